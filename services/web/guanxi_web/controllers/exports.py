"""The Exports page (导出): the list pages start an export of what they show, the worker writes the file, and
this page follows it (every 2 seconds while one is working) and serves the download."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from guanxi_web.api_client import ApiCaller, ApiError, Export, Me
from guanxi_web.controllers.customers import customers_page
from guanxi_web.customers import ACCOUNT_FILTERS, CONTACT_FILTERS, Filters
from guanxi_web.dependencies import provide_me
from guanxi_web.exports import ENTITIES, FORMATS, STATUSES, WORKING, file_size
from guanxi_web.i18n import _
from guanxi_web.rendering import csv_download, fragment
from guanxi_web.session import hx_target, redirect

log = structlog.get_logger("web.exports")
LIST_FILTERS = {"accounts": ACCOUNT_FILTERS, "contacts": CONTACT_FILTERS}


def export_body(form: dict[str, str], me: Me) -> dict[str, Any]:
    """The API's export request from the list's form: its entity and format, and the list's own filters."""
    entity = form.get("entity", "")
    filters = Filters.read(form).api_params(me, names=LIST_FILTERS.get(entity, ()))
    sort = filters.pop("sort", None)
    body: dict[str, Any] = {"entity": entity, "format": form.get("format") or "xlsx", "filters": filters}
    if sort:
        body["sort"] = sort
    return body


def refusal_of(error: ApiError, entity: str) -> str:
    if error.status == 403:
        return (
            _("Your role may not export contacts.") if entity == "contacts" else _("Your role may not export accounts.")
        )
    return _("This export could not be started: %(reason)s") % {
        "reason": "; ".join(f"{e.field}: {e.message}" for e in error.field_errors) or error.problem.detail
    }


class ExportController(Controller):
    path = "/exports"
    tags = ["exports"]
    dependencies = {"me": Provide(provide_me)}

    async def _page(
        self,
        request: Request[Any, Any, Any],
        api: ApiCaller,
        me: Me,
        *,
        refusal: str | None = None,
        status_code: int = 200,
    ) -> Template:
        exports: list[Export] = await api.exports()
        context: dict[str, Any] = {
            "exports": exports,
            "working": any(export.status in WORKING for export in exports),
            "statuses": STATUSES,
            "entities": ENTITIES,
            "formats": FORMATS,
            "file_size": file_size,
            "started": request.query_params.get("started"),
            "refusal": refusal,
        }
        if hx_target(request) == "export-list":
            return fragment("exports/_list.html", status_code, **context)
        return customers_page(
            request, "exports/_exports.html", me, _("Exports"), "customers", status_code=status_code, **context
        )

    @get("")
    async def exports(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        return await self._page(request, api, me)

    @post("")
    async def start(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any]:
        form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
        body = export_body(form, me)
        try:
            export = await api.start_export(body)
        except ApiError as error:
            if error.status not in (403, 404, 422):
                raise
            return await self._page(
                request, api, me, refusal=refusal_of(error, body["entity"]), status_code=error.status
            )
        log.info("export.started", export_id=str(export.id), entity=export.entity, format=export.format)
        return redirect(request, f"/exports?started={export.id}")

    @get("/{export_id:uuid}/file")
    async def download(
        self,
        request: Request[Any, Any, Any],
        export_id: FromPath[uuid.UUID],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
    ) -> Response[Any]:
        try:
            upstream = await api.open_csv(f"/api/v1/exports/{export_id}/file", {})
        except ApiError as error:
            if error.status not in (409, 410):
                raise
            refusal = (
                _("This file was deleted after its retention time. Export the list again.")
                if error.status == 410
                else _("This export is not ready yet.")
            )
            return await self._page(request, api, me, refusal=refusal, status_code=error.status)
        return csv_download(upstream, "export")
