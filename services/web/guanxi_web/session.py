"""The browser's side of a session: the cookies we set, HTMX-aware redirects, safe redirect targets."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response
from litestar.response import Redirect

from guanxi_web import i18n
from guanxi_web.api_client import Session

SESSION_COOKIE = "gx_web_session"
# Between a right password and the second factor: the API's ticket, for as long as the API honours it.
MFA_COOKIE = "gx_web_mfa"
MFA_COOKIE_PATH = "/login"
MFA_COOKIE_SECONDS = 300


def session_token(request: Request[Any, Any, Any]) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def start_session(response: Response[Any], session: Session, *, secure: bool) -> None:
    """Keep the API's session token where only our server can read it, for as long as the API honours it."""
    lifetime = session.expires_at - dt.datetime.now(dt.UTC)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=max(int(lifetime.total_seconds()), 0),
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def end_session(response: Response[Any]) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def keep_mfa_ticket(response: Response[Any], ticket: str, *, secure: bool) -> None:
    """Only the code page (under ``/login``) needs the ticket; scripts never see it."""
    response.set_cookie(
        MFA_COOKIE,
        ticket,
        max_age=MFA_COOKIE_SECONDS,
        path=MFA_COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def mfa_ticket(request: Request[Any, Any, Any]) -> str | None:
    return request.cookies.get(MFA_COOKIE) or None


def forget_mfa_ticket(response: Response[Any]) -> None:
    response.delete_cookie(MFA_COOKIE, path=MFA_COOKIE_PATH)


def remember_locale(response: Response[Any], locale: str, *, secure: bool) -> None:
    response.set_cookie(
        i18n.LOCALE_COOKIE,
        locale,
        max_age=i18n.LOCALE_COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def hx_target(request: Request[Any, Any, Any]) -> str | None:
    """The id of the element an HTMX request will swap (a list's rows, a panel of a record page)."""
    return request.headers.get("hx-target") if is_htmx(request) else None


def wants_fragment(request: Request[Any, Any, Any]) -> bool:
    """An HTMX navigation inside the app shell asks only for the main area (NetBox's pattern)."""
    return (
        is_htmx(request)
        and request.headers.get("hx-target") == "main"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def redirect(request: Request[Any, Any, Any], to: str) -> Response[Any]:
    """After a POST: a 303 for a plain form, an ``HX-Redirect`` for HTMX (a full page load either way)."""
    if is_htmx(request):
        return Response(content=b"", status_code=200, headers={"HX-Redirect": to})
    return Redirect(to, status_code=303)


def safe_next(target: str | None, default: str = "/home") -> str:
    """Only a path on this site: no scheme, no host, no ``//`` or backslash tricks, no control characters."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def current_path(request: Request[Any, Any, Any]) -> str:
    """Where the user is looking now; for HTMX, the page in the address bar rather than the fragment."""
    if is_htmx(request) and (shown := request.headers.get("hx-current-url")):
        parts = urlsplit(shown)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")
