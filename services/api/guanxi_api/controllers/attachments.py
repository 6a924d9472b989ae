"""Files on accounts, contacts and activities. A download is never run in the site's origin: everything but
raster images and audio is sent as an attachment, and every answer carries nosniff and a sandboxing CSP."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from guanxi.config import get_settings
from guanxi.domain.access.service import Access
from guanxi.domain.attachments import service
from guanxi.domain.attachments.models import Attachment
from guanxi.domain.identity.service import AuthContext
from guanxi.errors import FieldError, validation_error
from litestar import Controller, Request, delete, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import audit_action, provide_access, provide_auth
from guanxi_api.openapi import problems
from guanxi_api.uploads import UPLOAD_OVERHEAD, received_file

MODULE = {"account": "customers", "contact": "contacts", "activity": "activities", "contract": "contracts"}


class AttachmentOut(msgspec.Struct):
    id: uuid.UUID
    record_type: str
    record_id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    created_at: dt.datetime
    created_by: uuid.UUID | None


def attachment_out(row: Attachment) -> AttachmentOut:
    return msgspec.convert(row, AttachmentOut, from_attributes=True)


def module_of(record_type: str) -> str:
    if record_type not in MODULE:
        raise validation_error(FieldError("record_type", f"must be one of {', '.join(MODULE)}", "invalid_choice"))
    return MODULE[record_type]


class AttachmentController(Controller):
    path = "/api/v1/attachments"
    tags = ["customers"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    @post(
        "",
        status_code=201,
        summary="Attach a file (a call recording, a contract, a photo) to an account, contact or activity",
        responses=problems(400, 401, 403, 404, 413, 422),
        request_max_body_size=get_settings().attachment_max_bytes + UPLOAD_OVERHEAD,
        opt={"accepts_files": True},
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        record_type: FromQuery[str],
        record_id: FromQuery[uuid.UUID],
        data: Annotated[dict[str, UploadFile], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> AttachmentOut:
        auth.require_token_scope(module_of(record_type), "write")
        async with received_file(data) as (path, _size, filename):
            row = await service.add(db, access, record_type, record_id, filename, path)
        await audit_action(
            db, auth, request, "attachment.added", target_type=record_type, target_id=record_id, file=row.filename
        )
        await db.commit()
        return attachment_out(row)

    @get("", summary="The files of a record, newest first", responses=problems(401, 403, 404, 422))
    async def list_files(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        record_type: FromQuery[str],
        record_id: FromQuery[uuid.UUID],
    ) -> list[AttachmentOut]:
        auth.require_token_scope(module_of(record_type), "read")
        return [attachment_out(row) for row in await service.list_for(db, access, record_type, record_id)]

    @get("/{attachment_id:uuid}/download", summary="Download a file", responses=problems(401, 403, 404))
    async def download(
        self,
        attachment_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> Stream:
        row = await service.get(db, access, attachment_id)
        auth.require_token_scope(module_of(row.record_type), "read")
        inline = row.content_type in service.INLINE
        disposition = "inline" if inline else "attachment"
        return Stream(
            service.chunks_of(row),  # a blocking iterator: the framework runs it in a thread
            media_type=row.content_type if inline else "application/octet-stream",
            headers={
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(row.filename)}",
                "Content-Length": str(row.size_bytes),
                "Cache-Control": "private, no-store",
            },
        )

    @delete("/{attachment_id:uuid}", status_code=204, summary="Remove a file", responses=problems(401, 403, 404))
    async def remove(
        self,
        request: Request[Any, Any, Any],
        attachment_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> None:
        row = await service.remove(db, access, attachment_id)
        auth.require_token_scope(module_of(row.record_type), "write")
        await audit_action(
            db, auth, request, "attachment.removed", target_type=row.record_type, target_id=row.record_id,
            file=row.filename,
        )  # fmt: skip
        await db.commit()
