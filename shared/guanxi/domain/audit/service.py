"""The audit log: every security-relevant fact, written in the same transaction as the change itself."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id
from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.audit.models import AuditEntry


async def record(
    session: AsyncSession,
    scope: TenantScope,
    action: str,
    *,
    actor_id: uuid.UUID | None,
    actor_kind: str = "user",
    target_type: str | None = None,
    target_id: object | None = None,
    ip: str | None = None,
    **detail: Any,
) -> None:
    await session.execute(
        insert(AuditEntry).values(
            id=new_id(),
            actor_id=actor_id,
            actor_kind=actor_kind,
            action=action,
            target_type=target_type,
            target_id=str(target_id) if target_id is not None else None,
            ip=(ip or "")[:64] or None,
            detail={
                k: v if isinstance(v, (str, int, float, bool, type(None), list, dict)) else str(v)
                for k, v in detail.items()
            },
        ),
        execution_options=scoped(scope),
    )


async def search(
    session: AsyncSession,
    scope: TenantScope,
    *,
    action: str | None = None,
    actor_id: uuid.UUID | None = None,
    before: tuple[dt.datetime, uuid.UUID] | None = None,
    limit: int = 50,
) -> list[AuditEntry]:
    """Newest first, keyset-paginated on (occurred_at, id), which the index serves."""
    statement = select(AuditEntry).order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc()).limit(limit)
    if action:
        statement = statement.where(AuditEntry.action == action)
    if actor_id:
        statement = statement.where(AuditEntry.actor_id == actor_id)
    if before:
        statement = statement.where(tuple_(AuditEntry.occurred_at, AuditEntry.id) < tuple_(*before))
    return list(await session.scalars(statement, execution_options=scoped(scope)))
