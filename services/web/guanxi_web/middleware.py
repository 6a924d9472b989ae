"""ASGI middleware of the web service: the request's language, and the browser security headers."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from guanxi_web import i18n


def _payment_origins() -> str:
    """Where a form may lead besides our own pages: Stripe's Checkout and Billing Portal (the billing page's
    forms are answered with a redirect there), or the local stand-in an installation points billing at."""
    from urllib.parse import urlsplit

    from guanxi.config import get_settings

    base = get_settings().stripe_api_base
    local = urlsplit(base) if base else None
    origins = ["https://checkout.stripe.com", "https://billing.stripe.com"]
    if local is not None and local.scheme in ("http", "https") and local.netloc:
        origins.append(f"{local.scheme}://{local.netloc}")
    return " ".join(origins)


SECURITY_HEADERS = {
    # htmx runs from our own origin and is configured not to inject inline styles, so nothing inline
    # needs allowing.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; form-action 'self' {_payment_origins()}; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def activate_request_locale(scope: Scope, catalogs: i18n.Catalogs) -> None:
    """The language as far as the request itself tells: the cookie, then Accept-Language."""
    connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
    cookie = connection.cookies.get(i18n.LOCALE_COOKIE)
    i18n.activate(i18n.choose_locale(cookie, None, connection.headers.get("accept-language")), catalogs)


class LocaleMiddleware:
    """Picks the language before the handler runs; the ``me`` dependency refines it with the user's own.

    Requests that match no route never reach route middleware; their error page picks the language
    itself (``errors.error_page``).
    """

    def __init__(self, app: ASGIApp, catalogs: i18n.Catalogs) -> None:
        self.app = app
        self.catalogs = catalogs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            activate_request_locale(scope, self.catalogs)
        await self.app(scope, receive, send)


# The public lead forms (/f/<slug>/<key>) are made to be framed by the workspace's own site, whatever it is.
EMBEDDABLE_PREFIX = "/f/"
EMBEDDABLE_HEADERS = {
    **{name: value for name, value in SECURITY_HEADERS.items() if name != "X-Frame-Options"},
    "Content-Security-Policy": SECURITY_HEADERS["Content-Security-Policy"].replace(
        "frame-ancestors 'none'", "frame-ancestors *"
    ),
}


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook, so that every response has them, a 404 for an unknown path included. A response
    that sets one itself keeps its own (the quote's PDF may be framed by our own pages, nothing else may)."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        embeddable = str(scope.get("path", "")).startswith(EMBEDDABLE_PREFIX)
        for name, value in (EMBEDDABLE_HEADERS if embeddable else SECURITY_HEADERS).items():
            if headers.get(name) is None:  # a response may set its own (the PDF preview's framing rule)
                headers[name] = value
