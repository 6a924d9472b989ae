"""Exports of the account and contact lists, written to a file in the background.

An export is checked when it is asked for, with the very rules of the list and of the streamed export
(``customers.prepare_export``: the export permission, the filters and sort one may use, the columns one may
see), and kept with the list as it was asked. The worker checks it again as the requester when it runs, so
a file never holds more than they may see then; it holds the records that existed when they asked.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.config import get_settings
from guanxi.db.base import new_id, utcnow
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.customers import service as customers
from guanxi.domain.customers.models import Account, Contact
from guanxi.domain.customers.repository import MODULE, Record
from guanxi.domain.customers.schemas import BulkFilter
from guanxi.domain.customfields import service as customfields
from guanxi.domain.exports import repository
from guanxi.domain.exports.models import Export
from guanxi.domain.exports.schemas import ExportIn
from guanxi.domain.outbox.service import enqueue
from guanxi.domain.views import service as views
from guanxi.errors import DomainError, FieldError, conflict, validation_error

MODELS: dict[str, Record] = {"accounts": Account, "contacts": Contact}
CONTENT_TYPES = {
    "csv": "text/csv",  # the framework adds "; charset=utf-8"
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def is_admin(access: Access) -> bool:
    """Administrators may open everybody's exports, as they may everybody's imports."""
    return access.scope_of("settings", "update") == "all"


def retention() -> dt.timedelta:
    return dt.timedelta(days=get_settings().export_retention_days)


async def check_columns(session: AsyncSession, access: Access, model: Record, columns: list[str]) -> None:
    """Chosen columns must be columns of the list that one may see, as in a saved view."""
    if not columns:
        return
    module = MODULE[model]
    known = set(customers.EXPORT_FIELDS[model])
    if any(name.startswith("custom.") for name in columns):
        known |= {f"custom.{f.key}" for f in await customfields.definitions(session, access, module)}
    errors = [
        FieldError(f"columns[{index}]", f"{name!r} is not a column of this list", "invalid_choice")
        for index, name in enumerate(columns)
        if name not in known or not access.fields.visible(module, name)
    ]
    if errors:
        raise validation_error(*errors)


def _stored_filters(filters: customers.Filters) -> dict[str, Any]:
    return {
        name: str(value) if isinstance(value, uuid.UUID) else value
        for name, value in vars(filters).items()
        if value not in (None, False, {})
    }


async def request_export(session: AsyncSession, access: Access, data: ExportIn) -> tuple[Export, customers.Export]:
    """Check the export as the list would, record it and ask the worker for it (in the same transaction)."""
    model = MODELS[data.entity]
    module = MODULE[model]
    access.require(module, "export")
    filters = views.filters_of(data.filters)
    sort = data.sort
    columns = list(data.columns or [])
    if data.view_id is not None:
        view = await views.get(session, access, data.view_id)
        if view.module != module:
            raise validation_error(FieldError("view_id", "is a view of another list", "invalid"))
        filters, sort = views.apply(view, filters, sort)
        columns = columns or list(view.columns)
    sort = sort or "-updated_at"
    await check_columns(session, access, model, columns)
    checked = await customers.prepare_export(session, access, model, filters, sort, columns)
    export_id = new_id()
    request = {
        "filters": _stored_filters(filters),
        "sort": sort,
        "columns": columns,
        "view_id": str(data.view_id) if data.view_id else None,
    }
    await repository.insert_export(
        session,
        access.scope,
        {
            "id": export_id,
            "entity": data.entity,
            "format": data.format,
            "request": request,
            "filename": f"{data.entity}-{utcnow():%Y%m%d-%H%M%S}.{data.format}",
            "created_by": access.member_id,
        },
    )
    await enqueue(session, "exports.run", {"export_id": str(export_id)}, tenant_id=access.scope.tenant_id)
    return await get(session, access, export_id), checked


async def get(session: AsyncSession, access: Access, export_id: uuid.UUID) -> Export:
    row = await repository.fetch(session, access.scope, export_id)
    if row is None or (row.created_by != access.member_id and not is_admin(access)):
        raise not_found_for("Export")  # another person's export looks absent
    return row


async def mine(session: AsyncSession, access: Access) -> list[Export]:
    return list(await repository.requested_by(session, access.scope, access.member_id))


async def downloadable(session: AsyncSession, access: Access, export_id: uuid.UUID) -> Export:
    row = await get(session, access, export_id)
    if row.status == "expired":
        raise DomainError(
            detail="This export's file was deleted after its retention time; ask for the export again.",
            status=410,
            type="export-expired",
            title="Gone",
        )
    if row.status != "done" or row.file_key is None:
        raise conflict("status", f"This export is {row.status}: there is no file yet.", "export-not-ready")
    return row


async def prepared(session: AsyncSession, access: Access, row: Export) -> customers.Export:
    """The export as recorded, checked again with the requester's rights as they are now, limited to the
    records that existed when it was asked for."""
    model = MODELS[row.entity]
    filters = views.filters_of(msgspec.convert(row.request.get("filters", {}), BulkFilter))
    export = await customers.prepare_export(
        session, access, model, filters, row.request.get("sort") or "-updated_at", row.request.get("columns") or None
    )
    export.query.conditions.append(model.created_at <= row.created_at)
    return export


def progress(row: Export) -> int:
    if row.status == "done":
        return 100
    if not row.total_rows:
        return 0
    return min(99, row.row_count * 100 // row.total_rows)


def storage_key(row: Export, schema: str) -> str:
    return f"exports/{schema}/{row.id}.{row.format}"
