"""The SQL of exports. An export is read by its requester (or an administrator); the worker reads by id."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.access.service import Access
from guanxi.domain.customers import repository as customers
from guanxi.domain.customers.repository import ListQuery
from guanxi.domain.exports.models import Export

RECENT = 50


async def insert_export(session: AsyncSession, scope: TenantScope, values: dict[str, Any]) -> None:
    await session.execute(insert(Export).values(**values), execution_options=scoped(scope))


async def fetch(session: AsyncSession, scope: TenantScope, export_id: uuid.UUID) -> Export | None:
    return await session.scalar(
        select(Export).where(Export.id == export_id).execution_options(populate_existing=True),
        execution_options=scoped(scope),
    )


async def requested_by(session: AsyncSession, scope: TenantScope, member_id: uuid.UUID) -> Sequence[Export]:
    return (
        await session.scalars(
            select(Export)
            .where(Export.created_by == member_id)
            .order_by(Export.created_at.desc(), Export.id.desc())
            .limit(RECENT),
            execution_options=scoped(scope),
        )
    ).all()


async def change(session: AsyncSession, scope: TenantScope, export_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        update(Export).where(Export.id == export_id).values(updated_at=func.now(), **values),
        execution_options=scoped(scope),
    )


async def claim(session: AsyncSession, scope: TenantScope, export_id: uuid.UUID, stale: dt.timedelta) -> bool:
    """Take a queued export, or a running one whose run has not reported for ``stale`` (its worker died):
    one run at a time, however often the job is delivered."""
    result = await session.execute(
        update(Export)
        .where(
            Export.id == export_id,
            or_(Export.status == "queued", and_(Export.status == "running", Export.updated_at < func.now() - stale)),
        )
        .values(status="running", row_count=0, started_at=func.now(), updated_at=func.now())
        .returning(Export.id),
        execution_options=scoped(scope),
    )
    return result.first() is not None


async def count_rows(session: AsyncSession, access: Access, query: ListQuery) -> int:
    """Every row the export will write (for its progress): counted once, in the worker, never capped."""
    counted = customers.base_query(access, query).with_only_columns(func.count())
    return int(await session.scalar(counted, execution_options=scoped(access.scope)) or 0)


async def expired(session: AsyncSession, scope: TenantScope, now: dt.datetime, limit: int) -> Sequence[Export]:
    return (
        await session.scalars(
            select(Export)
            .where(Export.file_key.is_not(None), Export.expires_at <= now)
            .order_by(Export.expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True),
            execution_options=scoped(scope),
        )
    ).all()
