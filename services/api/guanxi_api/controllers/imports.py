"""Imports of accounts and contacts: upload (multipart), mapping, start, progress, undo."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from guanxi.config import get_settings
from guanxi.domain.access.service import Access
from guanxi.domain.customfields import service as customfields
from guanxi.domain.identity.service import AuthContext
from guanxi.domain.imports import service
from guanxi.domain.imports.models import Import
from guanxi.domain.imports.schemas import ImportOut, MappingIn
from guanxi.errors import FieldError, validation_error
from litestar import Controller, Request, get, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import audit_action, provide_access, provide_auth
from guanxi_api.openapi import problems
from guanxi_api.uploads import UPLOAD_OVERHEAD, received_file

Module = Annotated[str, "customers or contacts"]


async def import_out(db: AsyncSession, access: Access, row: Import) -> ImportOut:
    labels = {f"custom.{f.key}": f.label for f in await customfields.definitions(db, access, row.module)}
    return ImportOut(
        id=row.id,
        module=row.module,
        filename=row.filename,
        format=row.format,
        encoding=row.encoding,
        size_bytes=row.size_bytes,
        header=row.header,
        preview=row.preview,
        mapping=row.mapping,
        fields=[*service.FIELDS[row.module], *labels],
        labels=labels,
        duplicates=row.duplicates,
        status=row.status,
        total_rows=row.total_rows,
        processed_rows=row.processed_rows,
        created_count=row.created_count,
        updated_count=row.updated_count,
        skipped_count=row.skipped_count,
        error_count=row.error_count,
        problems=row.problems,
        failure=row.failure,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        undone_at=row.undone_at,
        pool_id=row.pool_id,
    )


def check_module(module: str) -> str:
    if module not in service.MODULES:
        raise validation_error(FieldError("module", f"must be one of {', '.join(service.MODULES)}", "invalid_choice"))
    return module


class ImportController(Controller):
    path = "/api/v1/imports"
    tags = ["customers"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    @post(
        "",
        status_code=201,
        summary="Upload a CSV (UTF-8, UTF-16, GB18030/GBK, Big5) or XLSX file of accounts, contacts or leads",
        description="Multipart form with a `file`, `?module=customers`, `contacts` or `leads`. Answers the header, "
        "the first rows and a suggested mapping (the last import with the same columns, or guessed from the column "
        "names in English or Chinese). A contact's `account` column holds the account's name or id; duplicates are "
        "found by email, phone or name (accounts) and by any email or phone number (contacts). Leads without an owner "
        "column go through the lead assignment rules; accounts mapped with a `pool_id` land unowned in that pool.",
        responses=problems(400, 401, 403, 413, 422),
        request_max_body_size=get_settings().import_max_bytes + UPLOAD_OVERHEAD,
        opt={"accepts_files": True},
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        module: FromQuery[str],
        data: Annotated[dict[str, UploadFile], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> ImportOut:
        check_module(module)
        auth.require_token_scope(module, "write")
        async with received_file(data) as (path, size, filename):
            row = await service.upload(db, access, module, filename, path, size)
        await audit_action(
            db, auth, request, "import.uploaded", target_type="import", target_id=row.id, filename=row.filename
        )
        await db.commit()
        return await import_out(db, access, row)

    @get("", summary="Your recent imports (administrators: everybody's)", responses=problems(401, 422))
    async def recent(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        module: FromQuery[str] = "customers",
    ) -> list[ImportOut]:
        check_module(module)
        auth.require_token_scope(module, "read")
        return [await import_out(db, access, row) for row in await service.recent(db, access, module)]

    @get(
        "/{import_id:uuid}", summary="An import: mapping, progress and the problems found", responses=problems(401, 404)
    )
    async def get_import(
        self,
        import_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ImportOut:
        row = await service.get(db, access, import_id)
        auth.require_token_scope(row.module, "read")
        return await import_out(db, access, row)

    @put(
        "/{import_id:uuid}/mapping",
        summary="Map the file's columns to fields, and choose what to do with duplicates (skip, update, create)",
        responses=problems(400, 401, 404, 409, 422),
    )
    async def set_mapping(
        self,
        import_id: FromPath[uuid.UUID],
        data: JSONBody[MappingIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ImportOut:
        row = await service.set_mapping(db, access, import_id, data.mapping, data.duplicates, data.pool_id)
        auth.require_token_scope(row.module, "write")
        await db.commit()
        return await import_out(db, access, row)

    @post(
        "/{import_id:uuid}/start",
        status_code=202,
        summary="Run the import in the background; follow it with GET",
        responses=problems(401, 404, 409, 422),
    )
    async def start(
        self,
        request: Request[Any, Any, Any],
        import_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ImportOut:
        row = await service.get(db, access, import_id)
        auth.require_token_scope(row.module, "write")
        row = await service.start(db, access, import_id)
        await audit_action(db, auth, request, "import.started", target_type="import", target_id=import_id)
        await db.commit()
        return await import_out(db, access, row)

    @post(
        "/{import_id:uuid}/undo",
        status_code=202,
        summary="Undo a whole import: what it created is deleted, what it changed is put back",
        responses=problems(401, 404, 409),
    )
    async def undo(
        self,
        request: Request[Any, Any, Any],
        import_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ImportOut:
        row = await service.get(db, access, import_id)
        auth.require_token_scope(row.module, "write")
        row = await service.undo(db, access, import_id)
        await audit_action(db, auth, request, "import.undone", target_type="import", target_id=import_id)
        await db.commit()
        return await import_out(db, access, row)
