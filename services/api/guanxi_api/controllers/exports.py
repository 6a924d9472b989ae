"""Exports of the account and contact lists as background jobs: ask, follow, download. Thin: parse, authorize
the token, call the service."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from guanxi.domain.access.service import Access
from guanxi.domain.customers.repository import MODULE
from guanxi.domain.exports import service
from guanxi.domain.exports.models import Export
from guanxi.domain.exports.schemas import ExportIn, ExportOut
from guanxi.domain.identity.service import AuthContext
from guanxi.storage import get_storage
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import audit_action, provide_access, provide_auth
from guanxi_api.openapi import problems

RECORD_TYPE = {"accounts": "account", "contacts": "contact"}


def token_module(entity: str) -> str:
    return MODULE[service.MODELS[entity]]


def export_out(row: Export) -> ExportOut:
    return ExportOut(
        id=row.id,
        entity=row.entity,
        format=row.format,
        status=row.status,
        request=row.request,
        total_rows=row.total_rows,
        row_count=row.row_count,
        progress=service.progress(row),
        filename=row.filename,
        size_bytes=row.size_bytes,
        failure=row.failure,
        requested_by=row.created_by,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        expires_at=row.expires_at,
        download_url=f"/api/v1/exports/{row.id}/file" if row.status == "done" else None,
    )


class ExportController(Controller):
    path = "/api/v1/exports"
    tags = ["customers"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    @post(
        "",
        status_code=202,
        summary="Export the accounts or contacts of a list to CSV or XLSX in the background",
        description="The list as its page asks for it (`filters`, `sort`, the `columns` of a saved view, or "
        "`view_id`), checked like the list: what your role may see, without hidden fields, masked fields "
        "masked. Follow the export with GET; when `status` is `done`, `download_url` serves the file and a mail "
        "with the link goes to you. Files are deleted after the workspace's retention (7 days by default).",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def request_export(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[ExportIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ExportOut:
        auth.require_token_scope(token_module(data.entity), "read")
        row, checked = await service.request_export(db, access, data)
        record_type = RECORD_TYPE[data.entity]
        await audit_action(
            db,
            auth,
            request,
            f"{record_type}.exported",
            target_type=record_type,
            format=data.format,
            filters={key: str(value) for key, value in row.request["filters"].items()},
            columns=checked.headers,
            export_id=str(row.id),
        )
        await db.commit()
        return export_out(row)

    @get("", summary="Your exports, newest first (the last 50)", responses=problems(401))
    async def my_exports(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> list[ExportOut]:
        rows = await service.mine(db, access)
        return [export_out(row) for row in rows if auth.token_allows(token_module(row.entity), "read")]

    @get("/{export_id:uuid}", summary="An export: status and progress", responses=problems(401, 403, 404))
    async def get_export(
        self,
        export_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ExportOut:
        row = await service.get(db, access, export_id)
        auth.require_token_scope(token_module(row.entity), "read")
        return export_out(row)

    @get(
        "/{export_id:uuid}/file",
        summary="Download an export's file (the requester, or an administrator)",
        responses=problems(401, 403, 404, 409, 410),
    )
    async def download(
        self,
        request: Request[Any, Any, Any],
        export_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> Stream:
        row = await service.downloadable(db, access, export_id)
        auth.require_token_scope(token_module(row.entity), "read")
        await audit_action(db, auth, request, "export.downloaded", target_type="export", target_id=row.id)
        await db.commit()
        assert row.file_key is not None
        return Stream(
            get_storage().chunks(row.file_key),  # a blocking iterator: the framework runs it in a thread
            media_type=service.CONTENT_TYPES[row.format],
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}",
                "Content-Length": str(row.size_bytes),
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )
