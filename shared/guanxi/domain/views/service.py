"""Saved views: checked like the list they describe (filters, sort, columns), kept for their owner or
shared with the team by an administrator; a list asked for with ``view=`` starts from the view's filters
and sort, and what the request says itself wins."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id
from guanxi.db.tenancy import scoped
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.customers import service as customers
from guanxi.domain.customers.models import Account, Contact
from guanxi.domain.customers.repository import Record
from guanxi.domain.customers.schemas import BulkFilter
from guanxi.domain.customers.validation import Cleaner
from guanxi.domain.customfields import service as customfields
from guanxi.domain.views.models import SavedView
from guanxi.domain.views.schemas import ViewIn, ViewPatch
from guanxi.errors import FieldError, conflict, forbidden, validation_error

MODELS: dict[str, Record] = {"customers": Account, "contacts": Contact}
MAX_VIEWS = 100  # per member and module


def filters_of(data: BulkFilter) -> customers.Filters:
    return customers.Filters(**{name: getattr(data, name) for name in data.__struct_fields__})


async def _check(
    session: AsyncSession, access: Access, module: str, filters: BulkFilter, sort: str, columns: list[str]
) -> None:
    """A view must be a list one could ask for: the same checks, and columns that exist and one may see."""
    model = MODELS[module]
    await customers.list_context(session, access, model, filters_of(filters), sort)
    known = {*customers.EXPORT_FIELDS[model]} | {
        f"custom.{f.key}" for f in await customfields.definitions(session, access, module)
    }
    errors = [
        FieldError(f"columns[{index}]", f"{name!r} is not a column of this list", "invalid_choice")
        for index, name in enumerate(columns)
        if name not in known or not access.fields.visible(module, name)
    ]
    if len(columns) > 60:
        errors.append(FieldError("columns", "must have at most 60 columns", "too_many"))
    if errors:
        raise validation_error(*errors)


def _may_share(access: Access) -> bool:
    return access.scope_of("settings", "update") == "all"


async def _get(session: AsyncSession, access: Access, view_id: uuid.UUID) -> SavedView:
    row = await session.scalar(
        select(SavedView).where(SavedView.id == view_id, or_(SavedView.owner_id == access.member_id, SavedView.shared)),
        execution_options=scoped(access.scope),
    )
    if row is None:
        raise not_found_for("View")
    return row


async def _changeable(session: AsyncSession, access: Access, view_id: uuid.UUID) -> SavedView:
    row = await _get(session, access, view_id)
    if row.owner_id != access.member_id and not (row.shared and _may_share(access)):
        raise forbidden("Only the one who saved this view (or an administrator, for a shared one) may change it.")
    return row


async def list_views(session: AsyncSession, access: Access, module: str) -> list[SavedView]:
    rows = await session.scalars(
        select(SavedView)
        .where(SavedView.module == module, or_(SavedView.owner_id == access.member_id, SavedView.shared))
        .order_by(SavedView.shared.desc(), SavedView.name, SavedView.id),
        execution_options=scoped(access.scope),
    )
    return list(rows)


async def get(session: AsyncSession, access: Access, view_id: uuid.UUID) -> SavedView:
    return await _get(session, access, view_id)


async def create(session: AsyncSession, access: Access, data: ViewIn) -> SavedView:
    access.require(data.module, "read")
    c = Cleaner()
    name = c.text("name", data.name, 100, required=True)
    if c.errors:
        raise validation_error(*c.errors)
    if data.shared and not _may_share(access):
        raise forbidden("Only an administrator may share a view with the team.")
    await _check(session, access, data.module, data.filters, data.sort, data.columns)
    options = scoped(access.scope)
    count = await session.scalar(
        select(func.count())
        .select_from(SavedView)
        .where(SavedView.module == data.module, SavedView.owner_id == access.member_id),
        execution_options=options,
    )
    if (count or 0) >= MAX_VIEWS:
        raise conflict("name", f"You have {MAX_VIEWS} views of this list already.", "view-limit")
    view_id = new_id()
    await session.execute(
        insert(SavedView).values(
            id=view_id,
            module=data.module,
            name=name,
            filters=msgspec.to_builtins(data.filters),
            sort=data.sort,
            columns=data.columns,
            shared=data.shared,
            owner_id=access.member_id,
            created_by=access.member_id,
        ),
        execution_options=options,
    )
    return await _get(session, access, view_id)


async def change(session: AsyncSession, access: Access, view_id: uuid.UUID, data: ViewPatch) -> SavedView:
    row = await _changeable(session, access, view_id)
    values: dict[str, Any] = {}
    c = Cleaner()
    if isinstance(data.name, str):
        values["name"] = c.text("name", data.name, 100, required=True)
    if c.errors:
        raise validation_error(*c.errors)
    if isinstance(data.shared, bool):
        if data.shared != row.shared and not _may_share(access):
            raise forbidden("Only an administrator may share a view with the team.")
        values["shared"] = data.shared
    filters = data.filters if isinstance(data.filters, BulkFilter) else msgspec.convert(row.filters, BulkFilter)
    sort = data.sort if isinstance(data.sort, str) else row.sort
    columns = data.columns if isinstance(data.columns, list) else row.columns
    await _check(session, access, row.module, filters, sort, columns)
    values |= {"filters": msgspec.to_builtins(filters), "sort": sort, "columns": columns}
    await session.execute(
        update(SavedView).where(SavedView.id == view_id).values(updated_at=func.now(), **values),
        execution_options=scoped(access.scope),
    )
    return await _get(session, access, view_id)


async def remove(session: AsyncSession, access: Access, view_id: uuid.UUID) -> None:
    await _changeable(session, access, view_id)
    await session.execute(delete(SavedView).where(SavedView.id == view_id), execution_options=scoped(access.scope))


def apply(view: SavedView, filters: customers.Filters, sort: str | None) -> tuple[customers.Filters, str]:
    """The view's filters and sort under what the request asked for itself."""
    saved = filters_of(msgspec.convert(view.filters, BulkFilter))
    for name, value in vars(filters).items():
        if value not in (None, {}):
            setattr(saved, name, value)
    return saved, sort or view.sort
