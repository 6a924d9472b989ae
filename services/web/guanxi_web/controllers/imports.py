"""The import wizard (导入) for accounts or contacts: choose which, upload a CSV or XLSX file (passed on to the API
as it came), map its columns to fields with the detected encoding and the first rows in view, choose what happens
to duplicates, start, then follow the progress and the problems row by row; undo the whole import."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from guanxi_web.api_client import ApiCaller, ApiError, Import, Me, optional
from guanxi_web.controllers.customers import customers_page, refuse
from guanxi_web.dependencies import provide_me
from guanxi_web.forms import Form, refusal_status
from guanxi_web.i18n import N_, _
from guanxi_web.imports import (
    DUPLICATES,
    KINDS,
    MAPPING_FIELDS,
    STATUSES,
    WORKING,
    column_name,
    field_options,
    kind_of,
    problem_field,
    progress,
    read_mapping,
    samples,
)
from guanxi_web.rendering import fragment
from guanxi_web.session import hx_target, redirect

log = structlog.get_logger("web.imports")

UPLOAD_FIELDS = {"module": N_("What the file holds"), "file": N_("File")}
MAX_UPLOAD_BYTES = 50 * 1024 * 1024 + 64 * 1024  # the API's 50 MiB, and the multipart framing around it


def _module(value: object) -> str:
    """What the wizard imports: accounts unless contacts or leads were chosen."""
    return value if value in ("contacts", "leads") else "customers"


def mapping_form(job: Import, values: dict[str, str] | None = None) -> Form:
    """One select per column, named after the column's header; the API's ``mapping.<n>`` errors go under it."""
    fields: dict[str, str] = {**MAPPING_FIELDS}
    fields.update({column_name(index): header or f"#{index + 1}" for index, header in enumerate(job.header)})
    start = {column_name(int(index)): field for index, field in job.mapping.items()}
    return Form(
        fields,
        values={**start, "duplicates": job.duplicates or "skip", **(values or {})},
        aliases={f"mapping.{index}": column_name(index) for index in range(len(job.header))},
    )


class ImportController(Controller):
    path = "/accounts/import"
    tags = ["imports"]
    dependencies = {"me": Provide(provide_me)}

    def _upload_page(self, request: Request[Any, Any, Any], me: Me, form: Form, status_code: int = 200) -> Template:
        kind = kind_of(form.value("module"))
        return customers_page(
            request,
            "imports/_upload.html",
            me,
            _(kind.title),
            form.value("module"),
            form=form,
            kind=kind,
            kinds=[(key, _(k.label), _(k.one_per_row)) for key, k in KINDS.items()],
            status_code=status_code,
        )

    @get("")
    async def upload_form(self, request: Request[Any, Any, Any], me: NamedDependency[Me]) -> Template:
        module = request.query_params.get("module")
        return self._upload_page(request, me, Form(UPLOAD_FIELDS, values={"module": _module(module)}))

    @post("", request_max_body_size=MAX_UPLOAD_BYTES)
    async def upload(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any]:
        data = await request.form()
        module = _module(data.get("module"))
        form = Form(UPLOAD_FIELDS, values={"module": module})
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            form.errors["file"] = [_("Choose a CSV or Excel (.xlsx) file.")]
            return self._upload_page(request, me, form, 422)
        try:
            job = await api.upload_import(module, upload.filename, upload.file, upload.content_type)
        except ApiError as error:
            if error.status == 401:
                raise
            if error.status == 413:
                form.errors["file"] = [_("The file is larger than 50 MB. Split it into smaller files.")]
            else:
                refuse(form, error, _(kind_of(module).forbidden))
            return self._upload_page(request, me, form, refusal_status(error))
        log.info("import.uploaded", import_id=str(job.id), format=job.format, module=module)
        return redirect(request, f"/accounts/import/{job.id}")

    async def _job_page(
        self,
        request: Request[Any, Any, Any],
        me: Me,
        job: Import,
        *,
        form: Form | None = None,
        api: ApiCaller | None = None,
        notice: str | None = None,
        refusal: str | None = None,
        status_code: int = 200,
    ) -> Template:
        """The mapping step while the file waits for it, the progress and problems after."""
        kind = kind_of(job.module)
        context: dict[str, Any] = {
            "job": job,
            "kind": kind,
            "problem_field": problem_field,
            "statuses": STATUSES,
            "working": job.status in WORKING,
            "percent": progress(job),
            "notice": notice,
            "refusal": refusal,
        }
        if job.status == "uploaded":
            form = form or mapping_form(job)
            context.update(
                form=form,
                field_options=field_options(job),
                duplicates_options=[(key, _(label)) for key, label in DUPLICATES.items()],
                # accounts may go straight into a customer pool, unowned (the pools one may see; none: no choice)
                pools=[(str(p.id), p.name) for p in await optional(api.pools()) or []]
                if api is not None and job.module == "customers"
                else [],
                column_name=column_name,
                samples=samples(job),
            )
            template = "imports/_mapping.html"
        elif hx_target(request) == "import-progress":
            return fragment("imports/_progress.html", **context)
        else:
            template = "imports/_job.html"
        return customers_page(request, template, me, _(kind.title), job.module, status_code=status_code, **context)

    @get("/{import_id:uuid}")
    async def job(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        import_id: FromPath[uuid.UUID],
    ) -> Template:
        notice = {"undo": _("Undoing the import. What it added is deleted and what it changed put back.")}.get(
            request.query_params.get("done") or ""
        )
        return await self._job_page(request, me, await api.import_(str(import_id)), api=api, notice=notice)

    @post("/{import_id:uuid}/start")
    async def start(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        import_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        job = await api.import_(str(import_id))
        data = await request.form()
        mapping, duplicates = read_mapping(data, job)
        pool_id = str(data.get("pool_id") or "") or None
        submitted = {column_name(int(index)): field or "" for index, field in mapping.items()}
        form = mapping_form(job, {**submitted, "duplicates": duplicates, "pool_id": pool_id or ""})
        try:
            await api.map_import(str(import_id), mapping, duplicates, pool_id)
            await api.start_import(str(import_id))
        except ApiError as error:
            if error.status in (401, 404):
                raise
            refuse(form, error, _(kind_of(job.module).forbidden))
            if "mapping" in form.errors:  # no column for the required field: say which field
                form.errors["mapping"] = [_(kind_of(job.module).missing)]
            job = await api.import_(str(import_id))
            return await self._job_page(request, me, job, form=form, api=api, status_code=refusal_status(error))
        log.info("import.started", import_id=str(import_id), duplicates=duplicates)
        return redirect(request, f"/accounts/import/{import_id}")

    @post("/{import_id:uuid}/undo")
    async def undo(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        import_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        try:
            await api.undo_import(str(import_id))
        except ApiError as error:
            if error.status not in (403, 409, 422):
                raise
            job = await api.import_(str(import_id))
            return await self._job_page(
                request, me, job, refusal=_("This import cannot be undone now."), status_code=error.status
            )
        log.info("import.undone", import_id=str(import_id))
        return redirect(request, f"/accounts/import/{import_id}?done=undo")
