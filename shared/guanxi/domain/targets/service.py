"""Targets and how far each part of the company is from them; the forecast from the weighted pipeline; the
leaderboard.

A target is for a period (``2027``, ``2027-Q1``, ``2027-03``), on won amount (deals won in the period, by their
owner) or collected amount (payments received in the period, by the order's owner), for the company, a department
or a member. Amounts are in the workspace's currency: deals and payments in other currencies are not converted and
not counted. A department's figures are those of the members in it and in its sub-departments today. Targets are
set by administrators; the parts of a target may add up to less than it (the rest is not assigned yet), never more.

Who sees what: everyone sees the company's row; a department's row shows to those whose deal scope reaches all its
members; a member's row to those whose scope reaches that member. The leaderboard ranks every member, as sales
teams expect.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id
from guanxi.db.tenancy import scoped
from guanxi.domain.access.models import Department, Member
from guanxi.domain.access.service import Access
from guanxi.domain.customers.validation import Cleaner
from guanxi.domain.deals.models import Deal
from guanxi.domain.numbering.service import workspace_today
from guanxi.domain.orders.models import Order, Payment
from guanxi.domain.pipeline.models import PipelineStage
from guanxi.domain.targets.models import SalesTarget
from guanxi.domain.targets.periods import Period, month_after, parse_period, period_of
from guanxi.domain.targets.schemas import SplitIn, TargetIn, TargetsIn
from guanxi.domain.tenancy.models import WorkspaceSettings
from guanxi.errors import FieldError, forbidden, validation_error

CENT = Decimal("0.01")
FORECAST_MONTHS = 24


def period_or_error(text: str, field_name: str = "period") -> Period:
    period = parse_period(text)
    if period is None:
        raise validation_error(
            FieldError(field_name, "must be a year (2027), a quarter (2027-Q1) or a month (2027-03)", "invalid")
        )
    return period


@dataclass
class Org:
    """The department tree and the active members, in display order."""

    departments: dict[uuid.UUID, Any]
    children: dict[uuid.UUID | None, list[uuid.UUID]]
    members: dict[uuid.UUID, Any]
    members_in: dict[uuid.UUID | None, list[uuid.UUID]] = field(default_factory=dict)

    def subtree_members(self, department_id: uuid.UUID) -> set[uuid.UUID]:
        found, stack = set(), [department_id]
        while stack:
            current = stack.pop()
            found.update(self.members_in.get(current, []))
            stack.extend(self.children.get(current, []))
        return found


async def load_org(session: AsyncSession, access: Access) -> Org:
    options = scoped(access.scope)
    departments = {
        d.id: d
        for d in await session.execute(
            select(Department.id, Department.name, Department.parent_id).order_by(Department.name),
            execution_options=options,
        )
    }
    members = {
        m.id: m
        for m in await session.execute(
            select(Member.id, Member.name, Member.department_id)
            .where(Member.status == "active")
            .order_by(Member.name, Member.id),
            execution_options=options,
        )
    }
    children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
    for department in departments.values():
        parent = department.parent_id if department.parent_id in departments else None
        children.setdefault(parent, []).append(department.id)
    members_in: dict[uuid.UUID | None, list[uuid.UUID]] = {}
    for member in members.values():
        home = member.department_id if member.department_id in departments else None
        members_in.setdefault(home, []).append(member.id)
    return Org(departments, children, members, members_in)


async def _zone_and_currency(session: AsyncSession, access: Access) -> tuple[str, str]:
    row = (
        await session.execute(
            select(WorkspaceSettings.timezone, WorkspaceSettings.currency).limit(1),
            execution_options=scoped(access.scope),
        )
    ).first()
    return (row.timezone or "UTC", row.currency or "CNY") if row else ("UTC", "CNY")


def _bounds(zone: str, period: Period) -> tuple[Any, Any]:
    """The period's start and end as instants in the workspace's time zone."""
    start = dt.datetime.combine(period.start, dt.time())
    end = dt.datetime.combine(period.end, dt.time())
    return func.timezone(zone, literal(start)), func.timezone(zone, literal(end))


async def won_by_owner(
    session: AsyncSession, access: Access, period: Period, zone: str, currency: str
) -> dict[uuid.UUID | None, tuple[Decimal, int]]:
    start, end = _bounds(zone, period)
    rows = await session.execute(
        select(Deal.owner_id, func.sum(Deal.amount), func.count())
        .where(
            Deal.status == "won",
            Deal.deleted_at.is_(None),
            Deal.currency == currency,
            Deal.closed_at >= start,
            Deal.closed_at < end,
        )
        .group_by(Deal.owner_id),
        execution_options=scoped(access.scope),
    )
    return {r[0]: (Decimal(r[1]), int(r[2])) for r in rows}


async def collected_by_owner(
    session: AsyncSession, access: Access, period: Period, currency: str
) -> dict[uuid.UUID | None, tuple[Decimal, int]]:
    """Payments received in the period (回款), by the payment's owner (the order's), not voided."""
    rows = await session.execute(
        select(Payment.owner_id, func.sum(Payment.amount), func.count())
        .where(
            Payment.voided_at.is_(None),
            Payment.currency == currency,
            Payment.paid_on >= period.start,
            Payment.paid_on < period.end,
        )
        .group_by(Payment.owner_id),
        execution_options=scoped(access.scope),
    )
    return {r[0]: (Decimal(r[1]), int(r[2])) for r in rows}


async def outstanding_by_owner(session: AsyncSession, access: Access, currency: str) -> dict[uuid.UUID | None, Decimal]:
    """What is still to collect on live orders today, by the order's owner (the receivables' total)."""
    rows = await session.execute(
        select(Order.owner_id, func.sum(Order.total - Order.collected))
        .where(
            Order.deleted_at.is_(None),
            Order.status != "cancelled",
            Order.collected < Order.total,
            Order.currency == currency,
        )
        .group_by(Order.owner_id),
        execution_options=scoped(access.scope),
    )
    return {r[0]: Decimal(r[1]) for r in rows}


async def _targets(session: AsyncSession, access: Access, period: str, metric: str) -> dict[tuple[str, Any], Decimal]:
    rows = await session.execute(
        select(SalesTarget.subject_type, SalesTarget.subject_id, SalesTarget.amount).where(
            SalesTarget.period == period, SalesTarget.metric == metric
        ),
        execution_options=scoped(access.scope),
    )
    return {(r.subject_type, r.subject_id): Decimal(r.amount) for r in rows}


def is_admin(access: Access) -> bool:
    return access.scope_of("settings", "update") == "all"


def _percent(part: Decimal, whole: Decimal | None) -> Decimal | None:
    if not whole:
        return None
    return (part * 100 / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


async def _period(session: AsyncSession, access: Access, text: str | None) -> Period:
    """The period asked for, or this month in the workspace's time zone."""
    if text is None:
        text = period_of("month", await workspace_today(session, access.scope))
    return period_or_error(text)


async def progress(session: AsyncSession, access: Access, period_text: str | None, metric: str) -> dict[str, Any]:
    """The dashboard: company, departments (tree order) and members with target, achieved, gap and percent."""
    access.require("deals", "read")
    period = await _period(session, access, period_text)
    zone, currency = await _zone_and_currency(session, access)
    org = await load_org(session, access)
    won = await won_by_owner(session, access, period, zone, currency)
    if metric == "collected":
        access.require("payments", "read")
    money = access.can("payments", "read")  # collected and outstanding: for those who may read payments
    collected = await collected_by_owner(session, access, period, currency) if money else {}
    outstanding = await outstanding_by_owner(session, access, currency) if money else {}
    targets = await _targets(session, access, period.text, metric)
    reach = access.owners("deals", "read")
    won_amounts = {owner: amount for owner, (amount, _count) in won.items()}
    collected_amounts = {owner: amount for owner, (amount, _count) in collected.items()}
    rows: list[dict[str, Any]] = []

    def row(kind: str, subject: uuid.UUID | None, name: str, parent: uuid.UUID | None, depth: int,
            owners: Iterable[uuid.UUID | None] | None) -> None:  # fmt: skip
        """One row, adding up ``owners`` (None: everyone's, the company's own row)."""

        def added(found: dict[uuid.UUID | None, Decimal]) -> Decimal:
            return sum((found.get(o, Decimal(0)) for o in (found if owners is None else owners)), Decimal(0))

        amount = added(won_amounts)
        count = sum(won.get(o, (Decimal(0), 0))[1] for o in (won if owners is None else owners))
        got = added(collected_amounts)
        achieved = got if metric == "collected" else amount
        target = targets.get((kind, subject))
        rows.append({
            "subject_type": kind, "subject_id": subject, "name": name, "parent_id": parent, "depth": depth,
            "target": target, "won": amount, "won_count": count, "achieved": achieved,
            "collected": got if money else None, "outstanding": added(outstanding) if money else None,
            "gap": None if target is None else target - achieved, "percent": _percent(achieved, target),
        })  # fmt: skip

    row("company", None, "", None, 0, None)

    def department(department_id: uuid.UUID, depth: int) -> None:
        everyone = org.subtree_members(department_id)
        if reach is None or everyone <= reach:
            parent = org.departments[department_id].parent_id
            row("department", department_id, org.departments[department_id].name, parent, depth, everyone)
        for member_id in org.members_in.get(department_id, []):
            if reach is None or member_id in reach:
                row("member", member_id, org.members[member_id].name, department_id, depth + 1, [member_id])
        for child in org.children.get(department_id, []):
            department(child, depth + 1)

    for top in org.children.get(None, []):
        department(top, 1)
    for member_id in org.members_in.get(None, []):
        if reach is None or member_id in reach:
            row("member", member_id, org.members[member_id].name, None, 1, [member_id])
    today = await workspace_today(session, access.scope)
    elapsed = min(max((today - period.start).days + 1, 0), (period.end - period.start).days)
    return {
        "period": period.text, "metric": metric, "start": period.start.isoformat(), "end": period.end.isoformat(),
        "currency": currency, "rows": rows, "can_edit": is_admin(access),
        "elapsed_percent": (Decimal(elapsed * 100) / (period.end - period.start).days).quantize(Decimal("0.1")),
    }  # fmt: skip


def _parts(org: Org, subject_type: str, subject_id: uuid.UUID | None) -> list[tuple[str, uuid.UUID]]:
    """The direct parts a target splits into."""
    home = subject_id if subject_type == "department" else None
    return [("department", d) for d in org.children.get(home, [])] + [
        ("member", m) for m in org.members_in.get(home, [])
    ]


async def _check_sums(session: AsyncSession, access: Access, org: Org, period: str, metric: str) -> None:
    targets = await _targets(session, access, period, metric)
    parents: list[tuple[str, uuid.UUID | None, str]] = [("company", None, "the company")]
    parents += [("department", d, org.departments[d].name) for d in org.departments]
    for kind, subject, name in parents:
        whole = targets.get((kind, subject))
        parts = sum((targets.get(p, Decimal(0)) for p in _parts(org, kind, subject)), Decimal(0))
        if whole is not None and parts > whole:
            raise validation_error(
                FieldError(
                    "items",
                    f"the targets within {name} add up to {parts}, more than its target {whole}",
                    "exceeds_parent",
                )
            )


async def set_targets(session: AsyncSession, access: Access, data: TargetsIn) -> None:
    if not is_admin(access):
        raise forbidden("Only administrators set targets.")
    period = period_or_error(data.period)
    org = await load_org(session, access)
    c = Cleaner()
    if len(data.items) > 2_000:
        c.fail("items", "must name at most 2,000 targets", "too_many")
    seen: set[tuple[str, Any]] = set()
    for index, item in enumerate(data.items):
        where = f"items[{index}]"
        known = {"company": item.subject_id is None, "department": item.subject_id in org.departments,
                 "member": item.subject_id in org.members}[item.subject_type]  # fmt: skip
        if not known:
            c.fail(f"{where}.subject_id", f"is not a {item.subject_type} of this workspace"
                   if item.subject_type != "company" else "must be left out for the company", "invalid")  # fmt: skip
        if (item.subject_type, item.subject_id) in seen:
            c.fail(f"{where}.subject_id", "is named twice", "duplicate")
        seen.add((item.subject_type, item.subject_id))
        if item.amount is not None:
            c.money(f"{where}.amount", item.amount)
    if c.errors:
        raise validation_error(*c.errors)
    options = scoped(access.scope)
    for item in data.items:
        await session.execute(
            delete(SalesTarget).where(
                SalesTarget.period == period.text, SalesTarget.metric == data.metric,
                SalesTarget.subject_type == item.subject_type,
                SalesTarget.subject_id.is_not_distinct_from(item.subject_id),
            ),
            execution_options=options,
        )  # fmt: skip
    rows = [
        {"id": new_id(), "period": period.text, "metric": data.metric, "subject_type": i.subject_type,
         "subject_id": i.subject_id, "amount": i.amount, "created_by": access.member_id}
        for i in data.items if i.amount is not None
    ]  # fmt: skip
    if rows:
        await session.execute(insert(SalesTarget), rows, execution_options=options)
    await _check_sums(session, access, org, period.text, data.metric)


async def split(session: AsyncSession, access: Access, data: SplitIn) -> None:
    """Share a target evenly among its direct parts (cents left over go to the first ones)."""
    if not is_admin(access):
        raise forbidden("Only administrators set targets.")
    period = period_or_error(data.period)
    org = await load_org(session, access)
    subject = data.subject_id if data.subject_type == "department" else None
    if data.subject_type == "department" and subject not in org.departments:
        raise validation_error(FieldError("subject_id", "is not a department of this workspace", "invalid"))
    whole = (await _targets(session, access, period.text, data.metric)).get((data.subject_type, subject))
    if whole is None:
        raise validation_error(FieldError("subject_id", "has no target in this period to split", "invalid"))
    parts = _parts(org, data.subject_type, subject)
    if not parts:
        raise validation_error(FieldError("subject_id", "has no departments or members to split among", "invalid"))
    share = (whole / len(parts)).quantize(CENT, ROUND_DOWN)
    left = int((whole - share * len(parts)) / CENT)
    items = [
        TargetIn(subject_type=kind, subject_id=part, amount=share + (CENT if index < left else 0))  # type: ignore[arg-type]
        for index, (kind, part) in enumerate(parts)
    ]
    await set_targets(session, access, TargetsIn(period=period.text, metric=data.metric, items=items))


async def forecast(session: AsyncSession, access: Access, months: int) -> list[dict[str, Any]]:
    """Open deals by expected close month: count, total and total weighted by win probability, per currency."""
    access.require("deals", "read")
    if not 1 <= months <= FORECAST_MONTHS:
        raise validation_error(FieldError("months", f"must be from 1 to {FORECAST_MONTHS}", "out_of_range"))
    today = await workspace_today(session, access.scope)
    first = today.replace(day=1)
    last = month_after(first, months)
    bucket = case(
        (Deal.expected_close_date.is_(None), literal("none")),
        (Deal.expected_close_date < first, literal("overdue")),
        else_=func.to_char(Deal.expected_close_date, "YYYY-MM"),
    )
    probability = func.coalesce(Deal.probability, PipelineStage.probability)
    rows = await session.execute(
        select(bucket.label("month"), Deal.currency, func.count(), func.sum(Deal.amount),
               func.sum(Deal.amount * probability / 100))
        .join(PipelineStage, PipelineStage.id == Deal.stage_id)
        .where(Deal.status == "open", Deal.deleted_at.is_(None),
               and_(Deal.expected_close_date.is_(None) | (Deal.expected_close_date < last)),
               access.where("deals", "read", Deal.owner_id, record_type="deal", id_column=Deal.id))
        .group_by(bucket, Deal.currency),
        execution_options=scoped(access.scope),
    )  # fmt: skip
    order = {"overdue": "0", "none": "9"}
    found = [
        {"month": r[0], "currency": r[1], "count": int(r[2]), "total": Decimal(r[3]),
         "weighted": Decimal(r[4]).quantize(CENT, ROUND_HALF_UP)}
        for r in rows
    ]  # fmt: skip
    return sorted(found, key=lambda f: (order.get(f["month"], "1" + f["month"]), f["currency"]))


async def leaderboard(
    session: AsyncSession, access: Access, period_text: str | None, metric: str = "won", limit: int = 50
) -> list[dict[str, Any]]:
    """Members ranked by amount won (or collected) in the period (ties share a rank), with their target on it."""
    access.require("deals", "read")
    period = await _period(session, access, period_text)
    zone, currency = await _zone_and_currency(session, access)
    if metric == "collected":
        access.require("payments", "read")
        amounts = await collected_by_owner(session, access, period, currency)
    else:
        amounts = await won_by_owner(session, access, period, zone, currency)
    targets = await _targets(session, access, period.text, metric)
    org = await load_org(session, access)
    ranked = sorted(
        ((amounts.get(m, (Decimal(0), 0)), m) for m in org.members),
        key=lambda x: (-x[0][0], -x[0][1], org.members[x[1]].name),
    )
    answer, rank, previous = [], 0, None
    for position, ((amount, count), member_id) in enumerate(ranked[:limit], start=1):
        if amount != previous:
            rank, previous = position, amount
        target = targets.get(("member", member_id))
        answer.append({"rank": rank, "member_id": member_id, "name": org.members[member_id].name, "amount": amount,
                       "count": count, "target": target, "percent": _percent(amount, target)})  # fmt: skip
    return answer
