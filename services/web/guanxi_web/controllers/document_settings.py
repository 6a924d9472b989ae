"""Settings of sales documents (administrators): how quotes, contracts, orders … are numbered, and the print
templates quotes are drawn with."""

from __future__ import annotations

import base64
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from guanxi_web.api_client import ApiCaller, ApiError, Me
from guanxi_web.controllers.settings import (
    NoAccess,
    handle_settings_api_error,
    no_access,
    provide_settings_me,
    require_admin,
    settings_page,
)
from guanxi_web.i18n import N_, _
from guanxi_web.lines import problems_of
from guanxi_web.session import redirect

KINDS = {"quote": N_("Quotes"), "contract": N_("Contracts"), "order": N_("Orders"), "invoice": N_("Invoices"),
         "payment": N_("Payments")}  # fmt: skip
RESETS = {"never": N_("Never"), "yearly": N_("Every year"), "monthly": N_("Every month"), "daily": N_("Every day")}
COLUMNS = {
    "sku": N_("SKU"),
    "description": N_("Description"),
    "unit": N_("Unit"),
    "quantity": N_("Quantity"),
    "unit_price": N_("Unit price"),
    "discount": N_("Discount"),
    "tax": N_("Tax"),
    "amount": N_("Amount"),
}
LANGUAGES = {"en": "English", "zh-Hans": "简体中文", "zh-Hant": "繁體中文"}
TEXT_FIELDS = ("name", "language", "company_name", "address", "accent_color", "title", "footer")


class DocumentSettingsController(Controller):
    path = "/w/settings"
    tags = ["settings"]
    dependencies = {"me": Provide(provide_settings_me)}
    exception_handlers = {NoAccess: no_access, ApiError: handle_settings_api_error}

    async def _numbering(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, status: int = 200, **extra: Any
    ) -> Template:
        context = {"rules": await api.numbering_rules(), "kinds": KINDS, "resets": RESETS, "errors": {}, **extra}
        return settings_page(request, "settings/_numbering.html", me, _("Numbering"), "numbering",
                             status_code=status, **context)  # fmt: skip

    @get("/numbering")
    async def numbering(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        require_admin(me)
        return await self._numbering(request, api, me)

    @post("/numbering/{kind:str}")
    async def save_numbering(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me],
        kind: FromPath[str],
    ) -> Response[Any] | Template:  # fmt: skip
        require_admin(me)
        data = await request.form()
        body = {"pattern": str(data.get("pattern") or ""), "reset": str(data.get("reset") or "never")}
        try:
            await api.set_numbering_rule(kind, body)
        except ApiError as error:
            if error.status != 422:
                raise
            return await self._numbering(request, api, me, 422, errors={kind: problems_of(error)})
        return redirect(request, "/w/settings/numbering?done=numbering-saved")

    async def _templates(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, status: int = 200, **extra: Any
    ) -> Template:
        context = {"templates": await api.print_templates(), "columns": COLUMNS, "languages": LANGUAGES,
                   "errors": {}, "values": {}, **extra}  # fmt: skip
        return settings_page(request, "settings/_print_templates.html", me, _("Print templates"), "print-templates",
                             status_code=status, **context)  # fmt: skip

    @get("/print-templates")
    async def print_templates(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        require_admin(me)
        return await self._templates(request, api, me)

    @post("/print-templates/{template_id:str}")
    async def save_print_template(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me],
        template_id: FromPath[str],
    ) -> Response[Any] | Template:  # fmt: skip
        """``new`` adds a template; the logo file, when one is chosen, goes to the API as base64."""
        require_admin(me)
        data = await request.form()
        body: dict[str, Any] = {name: str(data.get(name) or "") for name in TEXT_FIELDS}
        body["is_default"] = data.get("is_default") == "on"
        body["columns"] = [str(c) for c in data.getall("columns", []) if c in COLUMNS]
        logo = data.get("logo")
        if isinstance(logo, UploadFile) and logo.filename:
            body["logo_base64"] = base64.b64encode(await logo.read()).decode()
        try:
            await api.save_print_template(None if template_id == "new" else template_id, body)
        except ApiError as error:
            if error.status not in (404, 409, 422):
                raise
            return await self._templates(request, api, me, error.status, errors={template_id: problems_of(error)},
                                         values={template_id: body})  # fmt: skip
        return redirect(request, "/w/settings/print-templates?done=template-saved")
