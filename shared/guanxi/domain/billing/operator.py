"""The operator's view of billing across every workspace: how many are in each state and plan, the monthly recurring
revenue per currency, trials about to end, failed payments, and the workspaces themselves by keyset pages.

Only platform tables are read (subscriptions, tenants), in one aggregate query for the summary and one query per
page of the list. The effective status is the one :func:`guanxi.domain.billing.service.status_of` gives, written
once more in SQL (:func:`effective_status`) so that it can be filtered, counted and grouped in the database; a test
holds the two together.

MRR counts the workspaces that pay now (``active``, and ``past_due`` within its grace): the plan's price for the
subscription's currency and interval, times its seats; a yearly price is a twelfth a month. A subscription whose
plan, currency or interval has no price in the catalogue adds nothing and is counted as ``unpriced``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi import textsearch
from guanxi.config import get_settings
from guanxi.db.base import utcnow
from guanxi.domain.billing.models import STATUSES, Subscription
from guanxi.domain.billing.plans import catalogue
from guanxi.domain.customers.repository import decode_cursor, encode_cursor
from guanxi.domain.tenancy.models import Tenant
from guanxi.errors import FieldError, validation_error

PAYING = ("active", "past_due")
TRIALS_ENDING_DAYS = 7
CENT = Decimal("0.01")


class MrrOut(msgspec.Struct):
    currency: str
    amount: str  # a month, in the currency's major unit
    workspaces: int


class SummaryOut(msgspec.Struct):
    as_of: dt.datetime
    workspaces: int
    by_status: dict[str, int]  # every status, zero included
    by_plan: dict[str, int]  # the plans workspaces are on, whatever their status
    mrr: list[MrrOut]  # per currency, largest count of workspaces first
    unpriced: int  # paying, but no price in the catalogue for its plan, currency and interval
    trials_ending: int  # trialing, the trial ending within ``trials_ending_days``
    trials_ending_days: int
    failed_payments: int  # a failed payment not followed by a paid invoice (past due or read-only for it)


class WorkspaceRow(msgspec.Struct):
    id: uuid.UUID
    name: str
    workspace_status: str  # active | suspended
    created_at: dt.datetime
    plan: str
    plan_name: str
    status: str  # the effective status
    seats: int
    currency: str | None
    interval: str | None
    mrr: str | None  # what it adds to MRR a month (paying ones), in ``currency``
    trial_ends_at: dt.datetime | None
    current_period_end: dt.datetime | None
    cancel_at_period_end: bool
    payment_failed_at: dt.datetime | None
    stripe_customer_id: str | None


class WorkspacePage(msgspec.Struct, omit_defaults=True):
    items: list[WorkspaceRow]
    next_cursor: str | None = None


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    plan: str | None = None
    q: str | None = None
    trial_ending_within_days: int | None = None
    payment_failed: bool | None = None


# -- the effective status in SQL ------------------------------------------------------------------------------------


def _stripe() -> ColumnElement[str]:
    return func.coalesce(Subscription.stripe_status, "")  # so that no comparison below is NULL


def _failing_raw() -> ColumnElement[bool]:
    return or_(Subscription.payment_failed_at.is_not(None), _stripe().in_(("past_due", "unpaid")))


def effective_status(now: dt.datetime) -> ColumnElement[str]:
    """``status_of`` as a column: Stripe's word on the subscription, then a failed payment's grace, then the trial."""
    grace = dt.timedelta(days=get_settings().billing_grace_days)
    return case(
        (_stripe().in_(("canceled", "incomplete_expired")), "canceled"),
        (_failing_raw(), case((func.coalesce(Subscription.payment_failed_at, now) <= now - grace, "read_only"),
                              else_="past_due")),
        (_stripe() == "active", "active"),
        (and_(_stripe() == "", Subscription.trial_ends_at.is_not(None), Subscription.trial_ends_at <= now),
         "read_only"),
        else_="trialing",
    )  # fmt: skip


def payment_failing(now: dt.datetime) -> ColumnElement[bool]:
    """A failed payment not yet paid, in a subscription that has not ended."""
    return and_(_failing_raw(), effective_status(now).in_(("past_due", "read_only")))


def trial_ending(now: dt.datetime, days: int) -> ColumnElement[bool]:
    return and_(
        effective_status(now) == "trialing",
        Subscription.trial_ends_at > now,
        Subscription.trial_ends_at <= now + dt.timedelta(days=days),
    )


# -- money ----------------------------------------------------------------------------------------------------------


def monthly(plan_key: str, currency: str | None, interval: str | None, seats: int) -> Decimal | None:
    """What a subscription brings a month at its plan's price, unrounded; None without a price in the catalogue."""
    plan = catalogue().plan(plan_key)
    price = plan.price(currency or "", interval or "") if plan else None
    if price is None:
        return None
    amount = price.amount * seats
    return amount / 12 if price.interval == "year" else amount


def money(amount: Decimal) -> str:
    return str(amount.quantize(CENT, rounding=ROUND_HALF_UP))


# -- the summary ----------------------------------------------------------------------------------------------------


async def summary(session: AsyncSession, now: dt.datetime | None = None) -> SummaryOut:
    """Every workspace counted in one query, grouped by what MRR needs (status, plan, currency, interval)."""
    now = now or utcnow()
    rows = (
        select(
            effective_status(now).label("status"),
            Subscription.plan_key,
            Subscription.currency,
            Subscription.interval,
            Subscription.seats,
            trial_ending(now, TRIALS_ENDING_DAYS).label("trial_ending"),
            payment_failing(now).label("failing"),
        )
    ).subquery()
    groups = await session.execute(
        select(
            rows.c.status, rows.c.plan_key, rows.c.currency, rows.c.interval, func.count(), func.sum(rows.c.seats),
            func.count().filter(rows.c.trial_ending), func.count().filter(rows.c.failing),
        ).group_by(rows.c.status, rows.c.plan_key, rows.c.currency, rows.c.interval)
    )  # fmt: skip
    by_status = dict.fromkeys(STATUSES, 0)
    by_plan: dict[str, int] = {}
    mrr: dict[str, tuple[Decimal, int]] = {}
    unpriced = trials_ending = failed = 0
    for status, plan_key, currency, interval, count, seats, ending, failing in groups:
        by_status[status] += count
        by_plan[plan_key] = by_plan.get(plan_key, 0) + count
        trials_ending += ending
        failed += failing
        if status not in PAYING:
            continue
        amount = monthly(plan_key, currency, interval, int(seats))
        if amount is None:
            unpriced += count
            continue
        total, workspaces = mrr.get(currency, (Decimal(0), 0))
        mrr[currency] = (total + amount, workspaces + count)
    return SummaryOut(
        as_of=now,
        workspaces=sum(by_status.values()),
        by_status=by_status,
        by_plan=dict(sorted(by_plan.items(), key=lambda item: (-item[1], item[0]))),
        mrr=[MrrOut(currency, money(total), count)
             for currency, (total, count) in sorted(mrr.items(), key=lambda item: (-item[1][1], item[0]))],
        unpriced=unpriced,
        trials_ending=trials_ending,
        trials_ending_days=TRIALS_ENDING_DAYS,
        failed_payments=failed,
    )  # fmt: skip


# -- the workspaces -------------------------------------------------------------------------------------------------


def _conditions(filters: Filters, now: dt.datetime) -> list[ColumnElement[bool]]:
    errors = []
    if filters.status is not None and filters.status not in STATUSES:
        errors.append(FieldError("status", f"is one of {', '.join(STATUSES)}", "invalid"))
    if filters.plan is not None and catalogue().plan(filters.plan) is None:
        errors.append(FieldError("plan", "is not a plan of the catalogue", "invalid"))
    if errors:
        raise validation_error(*errors)
    conditions: list[ColumnElement[bool]] = []
    if filters.status is not None:
        conditions.append(effective_status(now) == filters.status)
    if filters.plan is not None:
        conditions.append(Subscription.plan_key == filters.plan)
    if filters.q:
        conditions.append(Tenant.name.ilike(textsearch.like_pattern(filters.q), escape="\\"))
    if filters.trial_ending_within_days is not None:
        conditions.append(trial_ending(now, filters.trial_ending_within_days))
    if filters.payment_failed is not None:
        failing = payment_failing(now)
        conditions.append(failing if filters.payment_failed else ~failing)
    return conditions


async def workspaces(
    session: AsyncSession, filters: Filters, *, cursor: str | None, limit: int, now: dt.datetime | None = None
) -> WorkspacePage:
    """The workspaces with their subscriptions, newest first (ids are time-ordered: the primary key serves the
    order), in keyset pages."""
    now = now or utcnow()
    conditions = _conditions(filters, now)
    if cursor:
        _, last = decode_cursor(cursor, str)
        conditions.append(Subscription.tenant_id < last)
    found = (
        await session.execute(
            select(
                Tenant.id, Tenant.name, Tenant.status.label("workspace_status"), Tenant.created_at,
                Subscription.plan_key, effective_status(now).label("status"), Subscription.seats,
                Subscription.currency, Subscription.interval, Subscription.trial_ends_at,
                Subscription.current_period_end, Subscription.cancel_at_period_end, Subscription.payment_failed_at,
                Subscription.stripe_customer_id,
            )
            .join(Tenant, Tenant.id == Subscription.tenant_id)
            .where(*conditions)
            .order_by(Subscription.tenant_id.desc())
            .limit(limit + 1)
        )
    ).all()  # fmt: skip
    page = [_row(row) for row in found[:limit]]
    return WorkspacePage(items=page, next_cursor=encode_cursor("", page[-1].id) if len(found) > limit else None)


def _row(row: Any) -> WorkspaceRow:
    plan = catalogue().plan(row.plan_key)
    amount = monthly(row.plan_key, row.currency, row.interval, row.seats) if row.status in PAYING else None
    return WorkspaceRow(
        id=row.id, name=row.name, workspace_status=row.workspace_status, created_at=row.created_at,
        plan=row.plan_key, plan_name=plan.name if plan else row.plan_key, status=row.status, seats=row.seats,
        currency=row.currency, interval=row.interval, mrr=money(amount) if amount is not None else None,
        trial_ends_at=row.trial_ends_at, current_period_end=row.current_period_end,
        cancel_at_period_end=row.cancel_at_period_end, payment_failed_at=row.payment_failed_at,
        stripe_customer_id=row.stripe_customer_id,
    )  # fmt: skip
