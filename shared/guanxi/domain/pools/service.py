"""The customer pool (客户公海): settings, claims, assignment, locks, returns, and the nightly reclaim.

Rules of thumb the code keeps:
- A claim is all or nothing, and one member's claims run one at a time (a transaction-scoped advisory lock),
  so the daily limit and the cap (私海上限) hold under concurrent requests; two members claiming the same
  account at once both run ``UPDATE … WHERE owner_id IS NULL``: exactly one row is updated, the other claim
  is refused with 409 and changes nothing.
- An account's clock starts at the later of its last follow-up and its claim (``claimed_at``; accounts
  created before the pool existed count from their creation).
- Every move is written three times: the account's columns, ``pool_events`` (limits and cool-down) and
  ``record_changes`` (the account's timeline).
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from guanxi_tenants.defaults import localized
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    any_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id
from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.access.models import Department, Member
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.customers import repository
from guanxi.domain.customers.models import Account, Contact
from guanxi.domain.customers.service import text_match
from guanxi.domain.deals.models import Deal
from guanxi.domain.pools.models import Pool, PoolEvent, PoolMember, PoolRule
from guanxi.domain.pools.schemas import PoolIn
from guanxi.domain.tenancy.models import WorkspaceSettings
from guanxi.domain.timeline.models import RecordChange
from guanxi.errors import DomainError, FieldError, conflict, forbidden, validation_error

DEFAULT_NAME = {"en": "Public pool", "zh-Hans": "公海", "zh-Hant": "公海"}
MAX_CLAIM = 200  # accounts per claim or assignment request
BATCH = 5_000  # accounts returned per statement by the nightly reclaim
WON = "customer"  # the lifecycle stage of a won customer


def _refused(type_: str, detail: str, field: str = "account_ids") -> DomainError:
    return conflict(field, detail, type_)


# ---- pools and who may use them ------------------------------------------------------------------------------


async def default_pool_id(session: AsyncSession, scope: TenantScope) -> uuid.UUID:
    """The workspace's default pool, made on first use in the workspace's language."""
    options = scoped(scope)
    found = await session.scalar(select(Pool.id).where(Pool.is_default), execution_options=options)
    if found is not None:
        return found
    locale = await session.scalar(select(WorkspaceSettings.locale).limit(1), execution_options=options) or "en"
    await session.execute(
        pg_insert(Pool)
        .values(id=new_id(), name=localized(DEFAULT_NAME, locale), is_default=True)
        .on_conflict_do_nothing(),
        execution_options=options,
    )
    made = await session.scalar(select(Pool.id).where(Pool.is_default), execution_options=options)
    assert made is not None
    return made


def among(column: ColumnElement[uuid.UUID] | Any, ids: Sequence[uuid.UUID]) -> ColumnElement[bool]:
    """``column = ANY($1)`` with the ids as one array parameter: thousands of ids without thousands of binds."""
    condition: ColumnElement[bool] = column == any_(literal(list(ids), ARRAY(PG_UUID(as_uuid=True))))
    return condition


def home_pool(default_id: uuid.UUID) -> ColumnElement[Any]:
    return func.coalesce(Account.pool_id, default_id)


def _is_workspace_admin(access: Access) -> bool:
    return access.scope_of("pool", "update") == "all"


@dataclass(frozen=True)
class PoolDetail:
    pool: Pool
    members: list[PoolMember]
    rules: list[PoolRule]
    may_manage: bool


async def _my_department(session: AsyncSession, access: Access) -> uuid.UUID | None:
    return await session.scalar(
        select(Member.department_id).where(Member.id == access.member_id), execution_options=scoped(access.scope)
    )


def _standing(access: Access, department: uuid.UUID | None, members: Sequence[PoolMember]) -> tuple[bool, bool]:
    """(may claim, may manage) for the caller in a pool with these members. A pool that names nobody who may
    claim (administrators aside) is open to the whole workspace; workspace administrators manage every pool."""
    mine = [m for m in members if m.member_id == access.member_id or (department and m.department_id == department)]
    admin = _is_workspace_admin(access)
    open_to_all = not any(not m.is_admin for m in members)
    return (open_to_all or bool(mine) or admin), (admin or any(m.is_admin for m in mine))


async def details(
    session: AsyncSession, access: Access, pool_ids: Iterable[uuid.UUID] | None = None
) -> list[PoolDetail]:
    """The pools the caller may claim from (all of them for a workspace administrator), with members and rules."""
    access.require("pool", "read")
    options = scoped(access.scope)
    await default_pool_id(session, access.scope)
    query = select(Pool).order_by(Pool.is_default.desc(), Pool.name)
    if pool_ids is not None:
        query = query.where(Pool.id.in_(list(pool_ids)))
    pools = list(await session.scalars(query, execution_options=options))
    ids = [p.id for p in pools]
    members = list(
        await session.scalars(select(PoolMember).where(PoolMember.pool_id.in_(ids)), execution_options=options)
    )
    rules = list(
        await session.scalars(
            select(PoolRule).where(PoolRule.pool_id.in_(ids)).order_by(PoolRule.position), execution_options=options
        )
    )
    department = await _my_department(session, access)
    found = []
    for pool in pools:
        own_members = [m for m in members if m.pool_id == pool.id]
        may_claim, may_manage = _standing(access, department, own_members)
        if may_claim:
            found.append(PoolDetail(pool, own_members, [r for r in rules if r.pool_id == pool.id], may_manage))
    return found


async def detail(session: AsyncSession, access: Access, pool_id: uuid.UUID) -> PoolDetail:
    found = await details(session, access, [pool_id])
    if not found:
        raise not_found_for("Pool")
    return found[0]


def _check_rules(data: PoolIn) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, rule in enumerate(data.rules):
        if rule.kind in seen:
            errors.append(FieldError(f"rules[{index}].kind", "is already a rule of this pool", "duplicate"))
        seen.add(rule.kind)
        if not rule.days:
            errors.append(FieldError(f"rules[{index}].days", "must give days for at least one grade", "required"))
        for grade in rule.days:
            if grade != "*" and not (grade.isascii() and grade.isalpha() and grade.isupper()):
                errors.append(
                    FieldError(f"rules[{index}].days", f"{grade!r} is not a grade (A, B, C … or *)", "invalid")
                )
    if len(data.rules) > 10:
        errors.append(FieldError("rules", "must have at most 10 rules", "too_many"))
    return errors


async def _check_members(session: AsyncSession, access: Access, data: PoolIn) -> list[FieldError]:
    options = scoped(access.scope)
    errors: list[FieldError] = []
    member_ids = {m.member_id for m in data.members if m.member_id}
    department_ids = {m.department_id for m in data.members if m.department_id}
    known_members = set(
        await session.scalars(select(Member.id).where(Member.id.in_(member_ids)), execution_options=options)
    )
    known_departments = set(
        await session.scalars(select(Department.id).where(Department.id.in_(department_ids)), execution_options=options)
    )
    for index, entry in enumerate(data.members):
        if (entry.member_id is None) == (entry.department_id is None):
            errors.append(FieldError(f"members[{index}]", "name either a member_id or a department_id", "invalid"))
        elif entry.member_id and entry.member_id not in known_members:
            errors.append(FieldError(f"members[{index}].member_id", "is not a member of this workspace", "invalid"))
        elif entry.department_id and entry.department_id not in known_departments:
            errors.append(FieldError(f"members[{index}].department_id", "is not a department", "invalid"))
    if len(data.members) > 500:
        errors.append(FieldError("members", "must list at most 500 entries", "too_many"))
    return errors


async def save(session: AsyncSession, access: Access, data: PoolIn, pool_id: uuid.UUID | None = None) -> uuid.UUID:
    """Create a pool or replace its settings, members and rules (workspace administrators)."""
    if not _is_workspace_admin(access):
        raise forbidden("Only a workspace administrator may set up pools.")
    errors = _check_rules(data) + await _check_members(session, access, data)
    if not data.name.strip():
        errors.insert(0, FieldError("name", "must not be blank", "required"))
    if errors:
        raise validation_error(*errors)
    options = scoped(access.scope)
    settings = {name: getattr(data, name) for name in data.__struct_fields__ if name not in ("members", "rules")}
    settings["name"] = data.name.strip()
    try:
        async with session.begin_nested():
            if pool_id is None:
                pool_id = new_id()
                await session.execute(
                    insert(Pool).values(id=pool_id, created_by=access.member_id, **settings), execution_options=options
                )
            else:
                await detail(session, access, pool_id)
                await session.execute(
                    update(Pool).where(Pool.id == pool_id).values(updated_at=func.now(), **settings),
                    execution_options=options,
                )
    except IntegrityError:
        raise conflict("name", "another pool has this name", "duplicate") from None
    await session.execute(delete(PoolMember).where(PoolMember.pool_id == pool_id), execution_options=options)
    await session.execute(delete(PoolRule).where(PoolRule.pool_id == pool_id), execution_options=options)
    if data.members:
        await session.execute(
            insert(PoolMember),
            [{"id": new_id(), "pool_id": pool_id, **msgspec.structs.asdict(m)} for m in data.members],
            execution_options=options,
        )
    if data.rules:
        await session.execute(
            insert(PoolRule),
            [
                {"id": new_id(), "pool_id": pool_id, "kind": r.kind, "days": r.days, "position": position}
                for position, r in enumerate(data.rules)
            ],
            execution_options=options,
        )
    return pool_id


async def remove(session: AsyncSession, access: Access, pool_id: uuid.UUID) -> None:
    """Delete a pool; its accounts move to the default pool. The default pool stays."""
    if not _is_workspace_admin(access):
        raise forbidden("Only a workspace administrator may delete pools.")
    found = await detail(session, access, pool_id)
    if found.pool.is_default:
        raise conflict("pool_id", "the default pool cannot be deleted", "default-pool")
    options = scoped(access.scope)
    await session.execute(
        update(Account).where(Account.pool_id == pool_id).values(pool_id=None), execution_options=options
    )
    await session.execute(delete(Pool).where(Pool.id == pool_id), execution_options=options)


# ---- what sits in a pool --------------------------------------------------------------------------------------

POOL_COLUMNS = (
    Account.id, Account.name, Account.kind, Account.industry, Account.province, Account.city, Account.heat,
    Account.grade, Account.source, Account.tags, Account.phone, Account.email, Account.previous_owner_id,
    Account.returned_at, Account.return_reason, Account.last_activity_at,
)  # fmt: skip
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _cursor(row: Any) -> str:
    raw = msgspec.json.encode([(row.returned_at or EPOCH).isoformat(), str(row.id)])
    return base64.urlsafe_b64encode(raw).decode()


def _after(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    try:
        stamp, record = msgspec.json.decode(base64.urlsafe_b64decode(cursor.encode()))
        return dt.datetime.fromisoformat(stamp), uuid.UUID(record)
    except (ValueError, TypeError, msgspec.DecodeError):
        raise validation_error(FieldError("cursor", "is not a cursor of this list", "invalid")) from None


async def accounts_in(
    session: AsyncSession, access: Access, pool_id: uuid.UUID, q: str | None, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None, bool]:
    """The accounts waiting in a pool, most recently returned first; (rows, next cursor, contact details shown)."""
    found = await detail(session, access, pool_id)
    default_id = await default_pool_id(session, access.scope)
    returned = func.coalesce(Account.returned_at, literal(EPOCH))
    conditions: list[ColumnElement[bool]] = [
        Account.owner_id.is_(None),
        Account.deleted_at.is_(None),
        home_pool(default_id) == pool_id,
    ]
    if q and q.strip():
        matched = text_match(access, Account, q.strip())
        if matched is not None:
            conditions.append(matched)
    if cursor:
        stamp, last = _after(cursor)
        conditions.append(tuple_(returned, Account.id) < tuple_(literal(stamp), literal(last)))
    rows = (
        await session.execute(
            select(*POOL_COLUMNS).where(*conditions).order_by(returned.desc(), Account.id.desc()).limit(limit + 1),
            execution_options=scoped(access.scope),
        )
    ).all()
    next_cursor = _cursor(rows[limit - 1]) if len(rows) > limit else None
    shown = not found.pool.hide_contact_details
    items = [{**row._mapping, **({} if shown else {"phone": None, "email": None})} for row in rows[:limit]]
    return items, next_cursor, shown


# ---- claims and assignments -----------------------------------------------------------------------------------


async def _serialise(session: AsyncSession, scope: TenantScope, member_id: uuid.UUID) -> None:
    """One member's claims and assignments to them run one at a time (the limits hold under concurrency)."""
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"pool-owner:{scope.schema}:{member_id}", 0))),
    )


def _ids(account_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    unique = list(dict.fromkeys(account_ids))
    if not unique or len(unique) > MAX_CLAIM:
        raise validation_error(FieldError("account_ids", f"must list 1 to {MAX_CLAIM} accounts", "invalid"))
    return unique


async def _owned_count(session: AsyncSession, scope: TenantScope, member_id: uuid.UUID, count_won: bool) -> int:
    conditions = [Account.owner_id == member_id, Account.deleted_at.is_(None)]
    if not count_won:
        conditions.append(Account.lifecycle_stage != WON)
    return await session.scalar(select(func.count()).where(*conditions), execution_options=scoped(scope)) or 0


async def _start_of_today(session: AsyncSession, scope: TenantScope) -> dt.datetime:
    zone = await session.scalar(select(WorkspaceSettings.timezone).limit(1), execution_options=scoped(scope))
    stamp: dt.datetime | None = await session.scalar(
        select(func.timezone(zone or "UTC", func.date_trunc("day", func.timezone(zone or "UTC", func.now()))))
    )
    assert stamp is not None
    return stamp


async def claims_today(session: AsyncSession, scope: TenantScope, pool_id: uuid.UUID, member_id: uuid.UUID) -> int:
    since = await _start_of_today(session, scope)
    return (
        await session.scalar(
            select(func.count()).where(
                PoolEvent.member_id == member_id,
                PoolEvent.action == "claimed",
                PoolEvent.pool_id == pool_id,
                PoolEvent.occurred_at >= since,
            ),
            execution_options=scoped(scope),
        )
        or 0
    )


async def _take(
    session: AsyncSession,
    access: Access,
    pool: Pool,
    ids: list[uuid.UUID],
    owner_id: uuid.UUID,
    action: str,
) -> None:
    """Give the pool's unowned accounts ``ids`` to ``owner_id`` with their contacts; all of them or none."""
    options = scoped(access.scope)
    default_id = await default_pool_id(session, access.scope)
    taken = list(
        await session.scalars(
            update(Account)
            .where(
                Account.id.in_(ids),
                Account.owner_id.is_(None),
                Account.deleted_at.is_(None),
                home_pool(default_id) == pool.id,
            )
            .values(owner_id=owner_id, claimed_at=func.now(), updated_at=func.now())
            .returning(Account.id),
            execution_options=options,
        )
    )
    if len(taken) != len(ids):
        missing = [str(i) for i in ids if i not in set(taken)]
        raise _refused(
            "already-claimed",
            f"{len(missing)} of these accounts are not in this pool (someone else claimed them first, or they were "
            "never there): " + ", ".join(missing[:20]),
        )
    await session.execute(
        update(Contact)
        .where(Contact.account_id.in_(ids), Contact.deleted_at.is_(None))
        .values(owner_id=owner_id, updated_at=func.now()),
        execution_options=options,
    )
    await _record(session, access.scope, access.member_id, pool.id, [(i, owner_id) for i in ids], action, None)


async def claim(session: AsyncSession, access: Access, pool_id: uuid.UUID, account_ids: list[uuid.UUID]) -> int | None:
    """Claim accounts from a pool for oneself; returns the claims left today (None: no daily limit)."""
    access.require("customers", "create")
    ids = _ids(account_ids)
    pool = (await detail(session, access, pool_id)).pool
    await _serialise(session, access.scope, access.member_id)
    if pool.reclaim_cooldown_days:
        since = func.now() - func.make_interval(0, 0, 0, pool.reclaim_cooldown_days)
        cooling = list(
            await session.scalars(
                select(PoolEvent.account_id)
                .where(
                    PoolEvent.account_id.in_(ids),
                    PoolEvent.member_id == access.member_id,
                    PoolEvent.action.in_(("released", "reclaimed")),
                    PoolEvent.occurred_at > since,
                )
                .distinct(),
                execution_options=scoped(access.scope),
            )
        )
        if cooling:
            raise _refused(
                "claim-cooldown",
                f"You gave up {len(cooling)} of these accounts less than {pool.reclaim_cooldown_days} days ago "
                f"and may not claim them back yet: {', '.join(str(i) for i in cooling[:20])}",
            )
    left: int | None = None
    if pool.daily_claim_limit is not None:
        left = pool.daily_claim_limit - await claims_today(session, access.scope, pool.id, access.member_id)
        if len(ids) > left:
            raise _refused(
                "claim-limit",
                f"You may claim {pool.daily_claim_limit} accounts a day from this pool; {max(left, 0)} are left today.",
            )
    await _check_cap(session, access.scope, pool, access.member_id, len(ids))
    await _take(session, access, pool, ids, access.member_id, "claimed")
    return None if left is None else left - len(ids)


async def _check_cap(session: AsyncSession, scope: TenantScope, pool: Pool, member_id: uuid.UUID, adding: int) -> None:
    if pool.owned_cap is None:
        return
    owned = await _owned_count(session, scope, member_id, pool.cap_counts_won)
    if owned + adding > pool.owned_cap:
        raise _refused(
            "owned-cap",
            f"At most {pool.owned_cap} customers per person{'' if pool.cap_counts_won else ' (won ones not counted)'}; "
            f"{owned} are owned already, so {max(pool.owned_cap - owned, 0)} more may be taken.",
        )


async def assign(
    session: AsyncSession, access: Access, pool_id: uuid.UUID, account_ids: list[uuid.UUID], owner_id: uuid.UUID
) -> None:
    """A pool administrator hands accounts from the pool to a member (the cap applies, the daily limit not)."""
    ids = _ids(account_ids)
    found = await detail(session, access, pool_id)
    if not found.may_manage:
        raise forbidden("Only an administrator of this pool may assign its accounts.")
    active = await session.scalar(
        select(Member.id).where(Member.id == owner_id, Member.status == "active"),
        execution_options=scoped(access.scope),
    )
    if active is None:
        raise validation_error(FieldError("owner_id", "is not an active member of this workspace", "invalid"))
    await _serialise(session, access.scope, owner_id)
    await _check_cap(session, access.scope, found.pool, owner_id, len(ids))
    await _take(session, access, found.pool, ids, owner_id, "assigned")


async def set_locked(session: AsyncSession, access: Access, account_id: uuid.UUID, locked: bool) -> None:
    """Keep an account from recycling (or let it recycle again): its owner, within the pool's cap of locks."""
    row = await repository.fetch_one(session, access, Account, account_id, action="update")
    if row is None:
        raise not_found_for("Account")
    owner = row["owner_id"]
    if owner is None:
        raise conflict("locked", "an account in the pool has no owner to keep it", "in-pool")
    options = scoped(access.scope)
    if locked:
        default_id = await default_pool_id(session, access.scope)
        pool = await session.get(Pool, row.get("pool_id") or default_id, execution_options=options)
        await _serialise(session, access.scope, owner)
        if pool is not None and pool.locked_cap is not None:
            held = await session.scalar(
                select(func.count()).where(Account.owner_id == owner, Account.locked, Account.deleted_at.is_(None)),
                execution_options=options,
            )
            if (held or 0) >= pool.locked_cap:
                raise conflict("locked", f"At most {pool.locked_cap} locked customers per person.", "locked-cap")
    changed = await session.scalar(
        update(Account)
        .where(Account.id == account_id, Account.locked.is_not(locked))
        .values(locked=locked, updated_at=func.now())
        .returning(Account.id),
        execution_options=options,
    )
    if changed:
        await session.execute(
            insert(RecordChange).values(
                id=new_id(), record_type="account", record_id=account_id, actor_id=access.member_id,
                action="updated", changes={"locked": [not locked, locked]},
            ),
            execution_options=options,
        )  # fmt: skip


# ---- returns to the pool --------------------------------------------------------------------------------------


async def _record(
    session: AsyncSession,
    scope: TenantScope,
    actor_id: uuid.UUID | None,
    pool_id: uuid.UUID,
    moves: Sequence[tuple[uuid.UUID, uuid.UUID | None]] | Sequence[tuple[uuid.UUID, uuid.UUID | None, str]],
    action: str,
    reason: str | None,
) -> None:
    """Pool events and timeline entries for moved accounts: (account, member[, reason]) each."""
    options = scoped(scope)
    events = []
    changes = []
    for move in moves:
        account_id, member_id = move[0], move[1]
        why = move[2] if len(move) > 2 else reason
        events.append(
            {"id": new_id(), "pool_id": pool_id, "account_id": account_id, "member_id": member_id,
             "actor_id": actor_id, "action": action, "reason": why}
        )  # fmt: skip
        owner_change = [str(member_id), None] if action in ("released", "reclaimed") else [None, str(member_id)]
        reason_change = {"return_reason": [None, why]} if why else {}
        changes.append(
            {"id": new_id(), "record_type": "account", "record_id": account_id, "actor_id": actor_id,
             "action": f"pool_{action}", "changes": {"owner_id": owner_change, **reason_change}}
        )  # fmt: skip
    if events:
        await session.execute(insert(PoolEvent), events, execution_options=options)
        await session.execute(insert(RecordChange), changes, execution_options=options)


async def release_rows(
    session: AsyncSession,
    scope: TenantScope,
    actor_id: uuid.UUID | None,
    rows: Sequence[tuple[uuid.UUID, uuid.UUID | None, str | None]],
    pool_id: uuid.UUID | None,
    action: str,
) -> int:
    """Put owned accounts (id, owner, reason) back into a pool (their home pool when ``pool_id`` is None)."""
    if not rows:
        return 0
    options = scoped(scope)
    ids = [row[0] for row in rows]
    values: dict[str, Any] = {
        "owner_id": None,
        "previous_owner_id": Account.owner_id,
        "returned_at": func.now(),
        "claimed_at": None,
        "locked": False,
        "updated_at": func.now(),
    }
    if pool_id is not None:
        values["pool_id"] = pool_id
    reasons = {row[0]: row[2] for row in rows}
    by_reason: dict[str | None, list[uuid.UUID]] = {}
    for account_id, reason in reasons.items():
        by_reason.setdefault(reason, []).append(account_id)
    moved: list[Any] = []
    for reason, chosen in by_reason.items():  # a few distinct reasons: one statement each, no per-row CASE
        moved += (
            await session.execute(
                update(Account)
                .where(among(Account.id, chosen), Account.owner_id.is_not(None))
                .values(**values, return_reason=reason)
                .returning(Account.id, Account.previous_owner_id, Account.pool_id),
                execution_options=options,
            )
        ).all()
    await session.execute(
        update(Contact).where(among(Contact.account_id, ids), Contact.deleted_at.is_(None)).values(owner_id=None),
        execution_options=options,
    )
    default_id = await default_pool_id(session, scope)
    by_pool: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID | None, str]]] = {}
    for row in moved:
        by_pool.setdefault(row.pool_id or default_id, []).append((row.id, row.previous_owner_id, reasons[row.id] or ""))
    for home, moves in by_pool.items():
        await _record(session, scope, actor_id, home, moves, action, None)
    return len(moved)


@dataclass(frozen=True)
class Due:
    kind: str
    days: int
    deadline: ColumnElement[Any]


def _open_deal() -> ColumnElement[bool]:
    return exists().where(Deal.account_id == Account.id, Deal.status == "open", Deal.deleted_at.is_(None))


def _anchor(kind: str) -> ColumnElement[Any]:
    claimed = func.coalesce(Account.claimed_at, Account.created_at)
    if kind == "no_follow_up":
        return func.greatest(claimed, Account.last_activity_at)  # greatest() ignores NULL
    if kind == "no_open_deal":  # from the claim, or from the day its last deal closed
        last_closed = (
            select(func.max(Deal.closed_at))
            .where(Deal.account_id == Account.id, Deal.deleted_at.is_(None))
            .scalar_subquery()
        )
        return func.greatest(claimed, last_closed)
    return claimed  # not won: counted from the claim


def _days(rule: PoolRule) -> ColumnElement[Any]:
    days = {grade: value for grade, value in rule.days.items() if grade != "*"}
    fallback = rule.days.get("*")
    if not days:
        return literal(fallback, Integer)
    return case(days, value=Account.grade, else_=literal(fallback, Integer))


def _deadline(rule: PoolRule) -> ColumnElement[Any]:
    return _anchor(rule.kind) + func.make_interval(0, 0, 0, _days(rule))


def _applies(rule: PoolRule) -> ColumnElement[bool]:
    if rule.kind == "not_won":
        return Account.lifecycle_stage != WON
    if rule.kind == "no_open_deal":
        return ~_open_deal()
    return literal(True)


def _recyclable(pool: Pool, default_id: uuid.UUID) -> list[ColumnElement[bool]]:
    conditions = [
        Account.owner_id.is_not(None),
        Account.deleted_at.is_(None),
        Account.locked.is_(False),
        home_pool(default_id) == pool.id,
    ]
    if not pool.recycle_won:
        conditions.append(Account.lifecycle_stage != WON)
    if not pool.recycle_with_open_deal:
        conditions.append(~_open_deal())
    return conditions


def _first_due(rules: Sequence[PoolRule]) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """The earliest deadline among the rules that apply to a row, and the rule it comes from."""
    deadlines = [case((_applies(r), _deadline(r))) for r in rules]
    earliest = func.least(*deadlines) if len(deadlines) > 1 else deadlines[0]
    which = case(*[(and_(_applies(r), _deadline(r) == earliest), func.concat(f"{r.kind}:", _days(r))) for r in rules])
    return earliest, which


async def pool_rules(session: AsyncSession, scope: TenantScope) -> list[tuple[Pool, list[PoolRule]]]:
    options = scoped(scope)
    pools = list(await session.scalars(select(Pool).order_by(Pool.id), execution_options=options))
    rules = list(await session.scalars(select(PoolRule).order_by(PoolRule.position), execution_options=options))
    return [(p, [r for r in rules if r.pool_id == p.id]) for p in pools]


def due_query(pool: Pool, rules: Sequence[PoolRule], default_id: uuid.UUID) -> Select[Any]:
    """The owned accounts of ``pool`` that its rules say are due back: (id, owner, the rule that fired)."""
    earliest, which = _first_due(rules)
    return select(Account.id, Account.owner_id, which).where(*_recyclable(pool, default_id), earliest <= func.now())


async def reclaim(session: AsyncSession, scope: TenantScope) -> int:
    """The nightly run: every owned account whose pool's rules say it is due goes back, with the rule as reason.
    Returns how many went; commits after each batch so a long run holds no lock for long."""
    default_id = await default_pool_id(session, scope)
    options = scoped(scope)
    total = 0
    for pool, rules in await pool_rules(session, scope):
        if not rules:
            continue
        earliest, _ = _first_due(rules)
        due = (await session.execute(due_query(pool, rules, default_id), execution_options=options)).all()
        for start in range(0, len(due), BATCH):
            batch = due[start : start + BATCH]
            # Checked again under the row locks: a follow-up logged since the scan keeps the account.
            still = set(
                await session.scalars(
                    select(Account.id)
                    .where(
                        among(Account.id, [row[0] for row in batch]),
                        *_recyclable(pool, default_id),
                        earliest <= func.now(),
                    )
                    .with_for_update(skip_locked=True),
                    execution_options=options,
                )
            )
            rows = [(row[0], row[1], row[2]) for row in batch if row[0] in still]
            total += await release_rows(session, scope, None, rows, None, "reclaimed")
            await session.commit()
    return total


async def return_status(session: AsyncSession, access: Access, account_id: uuid.UUID) -> dict[str, Any]:
    """When an owned account goes back to its pool unless someone acts."""
    row = await repository.fetch_one(session, access, Account, account_id)
    if row is None:
        raise not_found_for("Account")
    default_id = await default_pool_id(session, access.scope)
    pool_id = row.get("pool_id") or default_id
    options = scoped(access.scope)
    pool = await session.get(Pool, pool_id, execution_options=options)
    rules = list(await session.scalars(select(PoolRule).where(PoolRule.pool_id == pool_id), execution_options=options))
    status: dict[str, Any] = {"pool_id": pool_id, "rule": None, "days_left": None, "locked": row.get("locked", False)}
    if pool is None or not rules or row["owner_id"] is None:
        return status
    earliest, which = _first_due(rules)
    found = (
        await session.execute(
            select(which, func.extract("epoch", earliest - func.now())).where(
                Account.id == account_id, *_recyclable(pool, default_id)
            ),
            execution_options=options,
        )
    ).first()
    if found is not None and found[0] is not None:
        status["rule"] = found[0]
        status["days_left"] = math.ceil(found[1] / 86400) if found[1] is not None else None
    return status


@dataclass(frozen=True)
class Upcoming:
    account_id: uuid.UUID
    name: str
    days_left: int
    rule: str


async def upcoming_returns(
    session: AsyncSession, scope: TenantScope, most: int = 5_000, owner_id: uuid.UUID | None = None
) -> dict[uuid.UUID, list[Upcoming]]:
    """Per owner (or just ``owner_id``), the accounts due back in their pool within the pool's warning days, soonest
    first."""
    default_id = await default_pool_id(session, scope)
    found: dict[uuid.UUID, list[Upcoming]] = {}
    for pool, rules in await pool_rules(session, scope):
        if not rules or pool.warn_days <= 0:
            continue
        earliest, which = _first_due(rules)
        rows = (
            await session.execute(
                select(Account.id, Account.name, Account.owner_id, which, func.extract("epoch", earliest - func.now()))
                .where(
                    *_recyclable(pool, default_id),
                    earliest > func.now(),
                    earliest <= func.now() + func.make_interval(0, 0, 0, pool.warn_days),
                    *([Account.owner_id == owner_id] if owner_id is not None else []),
                )
                .order_by(earliest)
                .limit(most),
                execution_options=scoped(scope),
            )
        ).all()
        for account_id, name, owner_id, rule, seconds in rows:
            found.setdefault(owner_id, []).append(Upcoming(account_id, name, math.ceil(seconds / 86400), rule))
    return found
