"""Files kept with accounts and contacts: uploaded through the web to the API as they came, downloaded as
they arrive from the API (always as an attachment, except a recording played in the page), removed after a
confirmation. A refusal goes back to the record's page, said under the upload field."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import structlog
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Stream

from guanxi_web.activities import PLAYABLE
from guanxi_web.api_client import ApiCaller, ApiError
from guanxi_web.records import UPLOAD_OVERHEAD, Record, file_error_code, upload_limit
from guanxi_web.session import redirect, safe_next

log = structlog.get_logger("web.files")

RECORD_KINDS = {"accounts": "account", "contacts": "contact", "contracts": "contract"}


class FileController(Controller):
    path = "/"
    tags = ["customers"]

    @post(
        ["/accounts/{record_id:uuid}/files", "/contacts/{record_id:uuid}/files", "/contracts/{record_id:uuid}/files"],
        # A file up to twice the limit arrives and is refused in the page; a larger one is cut off (413).
        request_max_body_size=2 * upload_limit() + UPLOAD_OVERHEAD,
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        record_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        record = Record(RECORD_KINDS[request.url.path.split("/")[1]], str(record_id))
        upload = (await request.form()).get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return redirect(request, f"{record.base}?file_error=missing#files")
        size = upload.file.seek(0, 2)
        upload.file.seek(0)
        if size > upload_limit():
            return redirect(request, f"{record.base}?file_error=too-large#files")
        if size == 0:
            return redirect(request, f"{record.base}?file_error=empty#files")
        try:
            added = await api.upload_file(record.kind, record.id, upload.filename, upload.file, upload.content_type)
        except ApiError as error:
            if error.status in (401, 404):
                raise
            code = {403: "forbidden", 413: "too-large"}.get(error.status) or file_error_code(error.field_errors)
            log.info("file.refused", record_type=record.kind, record_id=record.id, status=error.status)
            return redirect(request, f"{record.base}?file_error={code}#files")
        log.info("file.added", record_type=record.kind, record_id=record.id, file_id=str(added.id), size=size)
        return redirect(request, f"{record.base}?done=file-added#files")

    @get("/files/{file_id:uuid}")
    async def download(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], file_id: FromPath[uuid.UUID]
    ) -> Stream:
        """``?play=1`` keeps a recording inline for the timeline's player; anything else is an attachment. The
        API's file name (RFC 5987), nosniff and sandboxing are passed on."""
        upstream = await api.open_file(str(file_id))
        media = upstream.headers.get("content-type", "application/octet-stream").split(";")[0]
        play = request.query_params.get("play") == "1" and media in PLAYABLE
        disposition = upstream.headers.get("content-disposition", "attachment")
        name = disposition[disposition.index(";") :] if ";" in disposition else ""
        headers = {
            "Content-Disposition": ("inline" if play else "attachment") + name,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        }
        if "content-length" in upstream.headers:
            headers["Content-Length"] = upstream.headers["content-length"]

        async def passthrough() -> AsyncIterator[bytes]:
            try:
                async for chunk in upstream.aiter_bytes():
                    yield chunk
            finally:
                await upstream.aclose()

        return Stream(passthrough(), media_type=media if play else "application/octet-stream", headers=headers)

    @post("/files/{file_id:uuid}/delete")
    async def delete(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], file_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """``back`` is the record's page (a local path only)."""
        back = safe_next(str((await request.form()).get("back") or ""), "/accounts").split("?")[0].split("#")[0]
        try:
            await api.delete_file(str(file_id))
        except ApiError as error:
            if error.status != 403:
                raise
            return redirect(request, f"{back}?file_error=forbidden#files")
        log.info("file.removed", file_id=str(file_id))
        return redirect(request, f"{back}?done=file-removed#files")
