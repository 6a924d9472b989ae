"""Choosing the UI language: remembered in a cookie, and in the user's profile when signed in."""

from __future__ import annotations

from typing import Any

import structlog
from guanxi import locales
from guanxi.config import get_settings
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency

from guanxi_web.api_client import ApiCaller, ApiError, ApiUnavailable
from guanxi_web.errors import did_not_work
from guanxi_web.session import current_path, is_htmx, redirect, remember_locale, safe_next

log = structlog.get_logger("web.locale")


class LocaleController(Controller):
    tags = ["locale"]

    @post("/locale")
    async def switch_locale(self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller]) -> Response[Any]:
        data = await request.form()
        locale = str(data.get("locale") or "")
        if locale not in locales.SUPPORTED:
            return did_not_work(request, 400)
        # HTMX tells us the page in the address bar; a plain form says where it was shown.
        back = current_path(request) if is_htmx(request) else str(data.get("next") or "")
        if api.signed_in:
            try:
                await api.update_me(locale=locale)
            except (ApiError, ApiUnavailable) as error:
                # The cookie alone already switches this browser; the profile catches up next time.
                log.info("locale.profile_not_saved", error=str(error))
        response = redirect(request, safe_next(back, default="/"))
        remember_locale(response, locale, secure=get_settings().secure_cookies)
        return response
