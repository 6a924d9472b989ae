"""ASGI middleware of the web service: the request's language, and the browser security headers."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from guanxi_web import i18n

SECURITY_HEADERS = {
    # htmx runs from our own origin and is configured not to inject inline styles, so nothing inline
    # needs allowing.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


class LocaleMiddleware:
    """Picks the language before anything renders, error pages included (cookie, then Accept-Language).

    The signed-in user's own setting is known only once the API has been asked; the ``me`` dependency
    refines the choice then.
    """

    def __init__(self, app: ASGIApp, catalogs: i18n.Catalogs) -> None:
        self.app = app
        self.catalogs = catalogs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            connection: ASGIConnection[object, object, object, object] = ASGIConnection(scope)
            locale = i18n.choose_locale(
                connection.cookies.get(i18n.LOCALE_COOKIE), None, connection.headers.get("accept-language")
            )
            i18n.activate(locale, self.catalogs)
        await self.app(scope, receive, send)


def security_headers(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware
