"""What a plan lets a workspace hold and do: records, storage, scheduled reports and API calls a day.

Each limit is checked where the thing is made (a customer, contact, lead or deal; a file; a schedule; a call made
with an API token). A workspace at a limit gets **402** ``plan-limit`` naming the field and saying what to do; the
day's API calls beyond the plan's answer **429** ``api-quota`` until midnight UTC. Nothing made before a downgrade
is taken away: a workspace above a smaller plan's limit keeps its records and cannot add more.

Counting a million rows on every insert would cost more than the insert, so for a large limit the records check
first reads PostgreSQL's estimate of the tables' rows (``pg_class.reltuples``, kept by autovacuum, which analyses a
table again once a tenth of it changed) and counts exactly, up to the limit, only when the estimate is within a
fifth of it or the tables were never analysed. A small limit (up to ``EXACT_UP_TO``) is always counted exactly,
each table no further than the limit: a stale estimate could otherwise let a small workspace well past it.
"""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import utcnow
from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.attachments.models import Attachment
from guanxi.domain.billing.plans import Plan, catalogue
from guanxi.domain.billing.service import active_seats, feature_refused, includes, plan_key_of
from guanxi.domain.reports.models import ReportSchedule
from guanxi.errors import DomainError, FieldError
from guanxi.redis import get_redis

RECORD_TABLES = ("accounts", "contacts", "leads", "deals")  # each with deleted_at: the live rows count
NEAR = 0.8  # below this share of the limit by the estimate, no exact count
EXACT_UP_TO = 20_000  # limits up to this are always counted exactly (a bounded count of so many rows is cheap)
BULK = 0.01  # an addition of more than this share of the limit (an import) is always counted exactly
MIB = 1024 * 1024
NAMES = {"records": "customers, contacts, leads and deals", "storage_mb": "MB of files",
         "scheduled_reports": "scheduled reports"}  # fmt: skip


async def limited(
    session: AsyncSession, tenant_id: uuid.UUID, limit: str, *, feature: str | None = None
) -> tuple[Plan, int] | None:
    """The workspace's plan and its number for ``limit``, or None when nothing limits it; with ``feature``, a plan
    without it is refused first (402 ``plan-feature``). One key lookup for both."""
    plan_key = await plan_key_of(session, tenant_id)
    if feature is not None and not includes(plan_key, feature):
        raise feature_refused(feature)
    plan = catalogue().plan(plan_key) if plan_key else None
    allowed = getattr(plan.limits, limit) if plan else None
    return None if plan is None or allowed is None else (plan, allowed)


def limit_error(plan: Plan, limit: str, allowed: int, used: int, field: str) -> DomainError:
    return DomainError(
        detail=f"The {plan.name} plan holds {allowed:,} {NAMES[limit]} and this workspace has {used:,}. The owner "
        "can move to a larger plan on the billing page (Settings → Billing), or remove what is no longer needed.",
        status=402, type="plan-limit", title="Plan limit reached",
        errors=[FieldError(field, f"over the {plan.name} plan's limit of {allowed:,} {NAMES[limit]}", "plan_limit")],
        extensions={"limit": limit},
    )  # fmt: skip


async def _estimated_records(session: AsyncSession, schema: str) -> int | None:
    """PostgreSQL's estimate of the rows of the record tables (deleted ones too); None when one was never analysed."""
    row = (
        await session.execute(
            text(
                "SELECT coalesce(sum(greatest(c.reltuples, 0)), 0), coalesce(bool_or(c.reltuples < 0), true) "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :schema AND c.relname = ANY(:tables) AND c.relkind IN ('r', 'p')"
            ),
            {"schema": schema, "tables": list(RECORD_TABLES)},
        )
    ).one()
    return None if row[1] else int(row[0])


async def count_records(session: AsyncSession, scope: TenantScope, up_to: int | None = None) -> int:
    """Live customers, contacts, leads and deals; each table counted no further than ``up_to`` when given."""
    parts = []
    for table in RECORD_TABLES:
        inner = f'SELECT 1 FROM "{scope.schema}"."{table}" WHERE deleted_at IS NULL'
        if up_to is not None:
            inner += f" LIMIT {int(up_to)}"
        parts.append(f"(SELECT count(*) FROM ({inner}) AS {table})")
    return int(await session.scalar(text("SELECT " + " + ".join(parts))) or 0)


async def check_records(
    session: AsyncSession, scope: TenantScope, *, adding: int = 1, field: str = "name", reserved: int = 0
) -> None:
    """Refuse ``adding`` more records beyond the plan's ``records`` limit (``reserved``: rows that other work of the
    workspace, a running import, is about to add).

    The workspace's checks take turns (a transaction-scoped advisory lock, held until the caller's transaction ends),
    so two requests at the limit cannot both pass. A bulk addition (more than a hundredth of the limit) is always
    counted exactly."""
    found = await limited(session, scope.tenant_id, "records")
    if found is None:
        return
    plan, allowed = found
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"{scope.schema}:records"})
    if allowed > EXACT_UP_TO and adding <= allowed * BULK and not reserved:
        estimate = await _estimated_records(session, scope.schema)
        if estimate is not None and estimate + adding < allowed * NEAR:
            return
    used = await count_records(session, scope, up_to=allowed) + reserved
    if used + adding > allowed:
        raise limit_error(plan, "records", allowed, used, field)


async def storage_bytes(session: AsyncSession, scope: TenantScope) -> int:
    found = await session.scalar(
        select(func.coalesce(func.sum(Attachment.size_bytes), 0)).where(Attachment.deleted_at.is_(None)),
        execution_options=scoped(scope),
    )
    return int(found or 0)


async def check_storage(session: AsyncSession, scope: TenantScope, *, adding: int, field: str = "file") -> None:
    """Refuse a file that would take the workspace's files beyond the plan's ``storage_mb``."""
    found = await limited(session, scope.tenant_id, "storage_mb")
    if found is None:
        return
    plan, allowed = found
    used = await storage_bytes(session, scope)
    if used + adding > allowed * MIB:
        raise limit_error(plan, "storage_mb", allowed, -(-used // MIB), field)


async def count_schedules(session: AsyncSession, scope: TenantScope) -> int:
    found = await session.scalar(select(func.count()).select_from(ReportSchedule), execution_options=scoped(scope))
    return int(found or 0)


async def check_schedules(session: AsyncSession, scope: TenantScope, *, field: str = "frequency") -> None:
    """Scheduled reports need the plan's feature, and stop at its ``scheduled_reports``."""
    found = await limited(session, scope.tenant_id, "scheduled_reports", feature="scheduled_reports")
    if found is None:
        return
    plan, allowed = found
    used = await count_schedules(session, scope)
    if used + 1 > allowed:
        raise limit_error(plan, "scheduled_reports", allowed, used, field)


# ---- API calls a day -------------------------------------------------------------------------------------------


def _calls_key(tenant_id: uuid.UUID, day: dt.date) -> str:
    return f"billing:api-calls:{tenant_id}:{day.isoformat()}"


async def api_calls_today(tenant_id: uuid.UUID) -> int:
    found = await get_redis().get(_calls_key(tenant_id, utcnow().date()))
    return int(found or 0)


async def count_api_call(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """A call made with an API token: the plan must include the API, and the day's calls stop at its limit.

    Counted in Redis per workspace and UTC day (the key expires after two days); calls refused count too."""
    found = await limited(session, tenant_id, "api_calls_per_day", feature="api")
    if found is None:
        return
    plan, allowed = found
    now = utcnow()
    key = _calls_key(tenant_id, now.date())
    async with get_redis().pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, 2 * 86400)
        made, _ = await pipe.execute()
    if int(made) > allowed:
        midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        raise DomainError(
            detail=f"The {plan.name} plan allows {allowed:,} API calls a day and this workspace has made them all "
            "today. Calls are counted again from midnight UTC; the owner can move to a larger plan on the billing "
            "page for more.",
            status=429, type="api-quota", title="API calls for today used up",
            headers={"Retry-After": str(max(int((midnight - now).total_seconds()), 1))},
            extensions={"limit": "api_calls_per_day"},
        )  # fmt: skip


# ---- usage, as the billing page shows it ----------------------------------------------------------------------


class Usage(msgspec.Struct, frozen=True):
    seats: int
    records: int
    storage_mb: int
    api_calls_per_day: int
    scheduled_reports: int


async def usage(session: AsyncSession, scope: TenantScope) -> Usage:
    """What the workspace uses of each limit now (records: exact; a few hundred milliseconds at a million)."""
    return Usage(
        seats=await active_seats(session, scope.tenant_id),
        records=await count_records(session, scope),
        storage_mb=-(-(await storage_bytes(session, scope)) // MIB),
        api_calls_per_day=await api_calls_today(scope.tenant_id),
        scheduled_reports=await count_schedules(session, scope),
    )
