"""Bulk actions on a selection or on a whole filtered list: change owner, add or remove tags, delete.

Each call changes at most BATCH records, only those the caller may change (or delete), and only those not
already in the wanted state; so a client repeats the call until ``remaining`` is false, and a repeat is
harmless. Every changed record gets its history entry; records outside the caller's scope are neither
changed nor counted (their existence must not leak).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, func, insert, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id, utcnow
from guanxi.db.tenancy import scoped
from guanxi.domain.access.service import Access
from guanxi.domain.customers import repository, service
from guanxi.domain.customers.models import Account, Contact
from guanxi.domain.customers.repository import MODULE, RECORD_TYPE, Record
from guanxi.domain.customers.schemas import BulkIn
from guanxi.domain.customers.service import check_owner
from guanxi.domain.customers.validation import Cleaner
from guanxi.domain.pools import service as pools
from guanxi.domain.pools.models import Pool
from guanxi.domain.timeline.models import RecordChange
from guanxi.errors import FieldError, validation_error

BATCH = 5_000
MAX_IDS = 5_000
ACTIONS = ("change_owner", "add_tags", "remove_tags", "delete", "move_to_pool")


@dataclass(frozen=True)
class BulkResult:
    changed: int
    remaining: bool


def _tags(tags: list[str] | None) -> list[str]:
    c = Cleaner()
    cleaned = c.tags("tags", tags or [])
    if not cleaned and not c.errors:
        c.fail("tags", "must name at least one tag", "required")
    if c.errors:
        raise validation_error(*c.errors)
    return cleaned


async def run(
    session: AsyncSession,
    access: Access,
    model: Record,
    action: str,
    selection: list[ColumnElement[bool]],
    *,
    owner_id: uuid.UUID | None = None,
    tags: list[str] | None = None,
    pool_id: uuid.UUID | None = None,
    reason: str | None = None,
) -> BulkResult:
    module = MODULE[model]
    needed = "delete" if action == "delete" else "update"
    if action not in ACTIONS:
        raise validation_error(FieldError("action", f"must be one of {', '.join(ACTIONS)}", "invalid_choice"))
    access.require(module, needed)
    wanted: list[str] = []
    if action == "change_owner":
        if owner_id is None:
            raise validation_error(FieldError("owner_id", "is required to change the owner", "required"))
        await check_owner(session, access, module, owner_id, "update")
        pending = model.owner_id.is_distinct_from(owner_id)
    elif action == "delete":
        pending = model.deleted_at.is_(None)
    elif action == "move_to_pool":
        if model is not Account:
            raise validation_error(FieldError("action", "only accounts go to the customer pool", "invalid_choice"))
        reason = await _pool_target(session, access, pool_id, reason)
        pending = Account.owner_id.is_not(None)
    else:
        if model is not Account:
            raise validation_error(FieldError("action", "contacts have no tags", "invalid_choice"))
        access.fields.require_writable(module, ["tags"])
        wanted = _tags(tags)
        pending = not_(Account.tags.contains(wanted)) if action == "add_tags" else Account.tags.overlap(wanted)
    options = scoped(access.scope)
    chosen = (
        select(model.id, model.owner_id, *([Account.tags] if model is Account else []))
        .where(model.deleted_at.is_(None), repository.visible(access, model, needed), pending, *selection)
        .order_by(model.id)
        .limit(BATCH + 1)
        .with_for_update(skip_locked=True)  # two bulk runs at once each take their own rows
    )
    rows = (await session.execute(chosen, execution_options=options)).all()
    remaining = len(rows) > BATCH
    rows = rows[:BATCH]
    if not rows:
        return BulkResult(0, False)
    ids = [row.id for row in rows]
    history: list[dict[str, Any]] = []
    if action == "change_owner":
        await session.execute(
            update(model)
            .where(model.id.in_(ids))
            .values(
                owner_id=owner_id, updated_at=func.now(), **({"claimed_at": func.now()} if model is Account else {})
            ),
            execution_options=options,
        )
        history = [
            change(model, access, row.id, "updated", {"owner_id": [_text(row.owner_id), _text(owner_id)]})
            for row in rows
        ]
    elif action == "move_to_pool":
        moved = [(row.id, row.owner_id, reason) for row in rows]
        await pools.release_rows(session, access.scope, access.member_id, moved, pool_id, "released")
        return BulkResult(len(rows), remaining)  # the pool service writes the timeline entries
    elif action == "delete":
        stamp = utcnow()
        await session.execute(
            update(model).where(model.id.in_(ids)).values(deleted_at=stamp, deleted_by=access.member_id),
            execution_options=options,
        )
        if model is Account:  # an account takes its contacts along, as a single delete does
            await session.execute(
                update(Contact)
                .where(Contact.account_id.in_(ids), Contact.deleted_at.is_(None))
                .values(deleted_at=stamp, deleted_by=access.member_id),
                execution_options=options,
            )
        history = [change(model, access, row.id, "deleted", {}) for row in rows]
    else:
        new_tags = {
            row.id: (
                list(dict.fromkeys([*row.tags, *wanted]))
                if action == "add_tags"
                else [tag for tag in row.tags if tag not in wanted]
            )
            for row in rows
        }
        table = cast(Table, Account.__table__)  # Core: one statement, many parameter sets (executemany)
        await session.execute(
            update(table)
            .where(table.c.id == bindparam("record"))
            .values(tags=bindparam("new_tags"), updated_at=func.now()),
            [{"record": record, "new_tags": value} for record, value in new_tags.items()],
            execution_options=options,
        )
        history = [
            change(model, access, row.id, "updated", {"tags": [list(row.tags), new_tags[row.id]]}) for row in rows
        ]
    await session.execute(insert(RecordChange), history, execution_options=options)
    return BulkResult(len(rows), remaining)


async def _pool_target(
    session: AsyncSession, access: Access, pool_id: uuid.UUID | None, reason: str | None
) -> str | None:
    """The pool named for a move exists; the reason is one clean line of text."""
    if pool_id is not None:
        found = await session.scalar(select(Pool.id).where(Pool.id == pool_id), execution_options=scoped(access.scope))
        if found is None:
            raise validation_error(FieldError("pool_id", "is not a pool of this workspace", "invalid"))
    c = Cleaner()
    cleaned = c.text("reason", reason, 500)
    if c.errors:
        raise validation_error(*c.errors)
    return cleaned


def _text(value: uuid.UUID | None) -> str | None:
    return str(value) if value else None


def change(model: Record, access: Access, record_id: uuid.UUID, action: str, changes: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": new_id(),
        "record_type": RECORD_TYPE[model],
        "record_id": record_id,
        "actor_id": access.member_id,
        "action": action,
        "changes": changes,
    }


async def bulk_selection(
    session: AsyncSession, access: Access, model: Record, data: BulkIn
) -> list[ColumnElement[bool]]:
    """Either the ids picked by hand or the conditions of a filtered list, never both, never neither."""
    if (data.ids is None) == (data.filter is None):
        raise validation_error(FieldError("ids", "send either ids or filter", "invalid"))
    if data.ids is not None:
        if not data.ids or len(data.ids) > MAX_IDS:
            raise validation_error(FieldError("ids", f"must list 1 to {MAX_IDS} records", "invalid"))
        return [model.id.in_(data.ids)]
    assert data.filter is not None
    chosen = service.Filters(**{name: getattr(data.filter, name) for name in data.filter.__struct_fields__})
    conditions, _ = await service.list_context(session, access, model, chosen, "-updated_at")
    return conditions
