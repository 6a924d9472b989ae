"""Request-scoped dependencies: the API as this browser's caller, and the signed-in user."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request
from litestar.di import NamedDependency

from guanxi_web import i18n
from guanxi_web.api_client import ApiCaller, ApiClient, Me
from guanxi_web.session import session_token


class NotSignedIn(Exception):
    """The page needs a session and the browser has none."""


async def provide_api(request: Request[Any, Any, Any]) -> ApiCaller:
    client: ApiClient = request.app.state.api
    return client.caller(
        token=session_token(request),
        client_ip=request.client.host if request.client else None,
        request_id=structlog.contextvars.get_contextvars().get("request_id"),
        locale=i18n.current_locale(),
    )


async def provide_me(request: Request[Any, Any, Any], api: NamedDependency[ApiCaller]) -> Me:
    """The signed-in user; their own language applies unless this browser chose one (the cookie), and their time
    zone to every moment the page shows."""
    if not api.signed_in:
        raise NotSignedIn
    me = await api.me()
    structlog.contextvars.bind_contextvars(
        user_id=str(me.user.id), tenant_id=str(me.workspace.id) if me.workspace else None
    )
    cookie = request.cookies.get(i18n.LOCALE_COOKIE)
    i18n.activate(
        i18n.choose_locale(cookie, me.user.locale, request.headers.get("accept-language")), request.app.state.catalogs
    )
    i18n.activate_zone(me.timezone)
    return me
