"""A rep's day (今日待办) in one list: the follow-ups due today or overdue, the customers about to go back to the
pool, and — as those modules register sections — payments due, contracts expiring and quotes awaiting an answer.

Each section is a function of the reader's own records (their tasks, their customers, their documents), answering
how many there are and the first few, soonest first. A module adds its section with :func:`section`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import Row, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.tenancy import scoped
from guanxi.domain.access.service import Access
from guanxi.domain.activities.models import Activity
from guanxi.domain.contracts.models import Contract
from guanxi.domain.customers.models import Account
from guanxi.domain.leads.models import Lead
from guanxi.domain.numbering.service import workspace_today
from guanxi.domain.orders.models import Instalment, Order
from guanxi.domain.pools.service import upcoming_returns
from guanxi.domain.quotes.models import Quote
from guanxi.domain.tenancy.models import WorkspaceSettings

SHOWN = 10  # items per section; the count tells how many more
Section = Callable[[AsyncSession, Access, dt.datetime], Awaitable[tuple[int, list[dict[str, Any]]]]]
SECTIONS: dict[str, Section] = {}


def section(key: str) -> Callable[[Section], Section]:
    """Register a to-do section under ``key`` (sections show in the order they were registered)."""

    def register(function: Section) -> Section:
        SECTIONS[key] = function
        return function

    return register


async def end_of_today(session: AsyncSession, access: Access) -> dt.datetime:
    """Midnight tonight in the reader's workspace's time zone, as an instant."""
    zone = await session.scalar(select(WorkspaceSettings.timezone).limit(1), execution_options=scoped(access.scope))
    local = func.timezone(zone or "UTC", func.now())
    midnight = func.date_trunc("day", local) + func.make_interval(0, 0, 0, 1)
    instant: dt.datetime = (await session.execute(select(func.timezone(zone or "UTC", midnight)))).scalar_one()
    return instant


async def counted(
    session: AsyncSession, access: Access, table: Any, conditions: tuple[Any, ...], page: Any
) -> tuple[int, Sequence[Row[Any]]]:
    """How many rows of ``table`` meet ``conditions``, and the first ``SHOWN`` of ``page`` (which applies them)."""
    options = scoped(access.scope)
    count = await session.scalar(select(func.count()).select_from(table).where(*conditions), execution_options=options)
    rows = (await session.execute(page.where(*conditions).limit(SHOWN), execution_options=options)).all()
    return int(count or 0), rows


def by_grade(grade: Any) -> Any:
    """A customer's place in a work queue: A first, then B, C, D, ungraded last (客户分级 drives the order)."""
    return case({"A": 1, "B": 2, "C": 3, "D": 4}, value=grade, else_=9)


@section("follow_ups")
async def follow_ups(session: AsyncSession, access: Access, tonight: dt.datetime) -> tuple[int, list[dict[str, Any]]]:
    """The reader's tasks, calls, meetings and visits not done and due before tonight, on customers and on leads:
    the best-graded customers first, then the longest overdue."""
    mine = (
        Activity.owner_id == access.member_id,
        Activity.deleted_at.is_(None),
        Activity.done_at.is_(None),
        Activity.due_at < tonight,
        Activity.kind.in_(("task", "call", "meeting", "visit")),
    )
    count, rows = await counted(
        session, access, Activity, mine,
        select(Activity.id, Activity.subject, Activity.kind, Activity.due_at, Activity.account_id, Activity.lead_id,
               func.coalesce(Account.name, Lead.company, Lead.name).label("about"), Account.grade)
        .outerjoin(Account, Account.id == Activity.account_id)
        .outerjoin(Lead, Lead.id == Activity.lead_id)
        .order_by(by_grade(Account.grade), Activity.due_at, Activity.id)
    )  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    return count, [
        {"record_type": "activity", "record_id": r.id, "title": r.subject, "detail": r.about, "due": r.due_at,
         "overdue": r.due_at < now, "account_id": r.account_id, "lead_id": r.lead_id, "kind": r.kind,
         "grade": r.grade}
        for r in rows
    ]  # fmt: skip


@section("pool_returns")
async def pool_returns(session: AsyncSession, access: Access, tonight: dt.datetime) -> tuple[int, list[dict[str, Any]]]:
    """The reader's customers due back in the pool within the pool's warning days, soonest first."""
    found = (await upcoming_returns(session, access.scope, owner_id=access.member_id)).get(access.member_id, [])
    found.sort(key=lambda u: u.days_left)
    return len(found), [
        {"record_type": "account", "record_id": u.account_id, "title": u.name, "detail": u.rule, "due": None,
         "overdue": False, "account_id": u.account_id, "days_left": u.days_left}
        for u in found[:SHOWN]
    ]  # fmt: skip


@section("quotes_waiting")
async def quotes_waiting(
    session: AsyncSession, access: Access, tonight: dt.datetime
) -> tuple[int, list[dict[str, Any]]]:
    """The reader's quotes sent and not answered yet, still valid; the ones running out first."""
    today = await workspace_today(session, access.scope)
    waiting = (
        Quote.owner_id == access.member_id,
        Quote.deleted_at.is_(None),
        Quote.status == "sent",
        or_(Quote.valid_until.is_(None), Quote.valid_until >= today),
    )
    count, rows = await counted(
        session,
        access,
        Quote,
        waiting,
        select(Quote.id, Quote.number, Quote.valid_until, Quote.total, Quote.currency, Quote.account_id, Account.name)
        .join(Account, Account.id == Quote.account_id)
        .order_by(Quote.valid_until.asc().nulls_last(), Quote.sent_at, Quote.id),
    )
    return count, [
        {"record_type": "quote", "record_id": r.id, "title": f"{r.number} · {r.name}", "detail": None, "due": None,
         "overdue": False, "account_id": r.account_id, "kind": "sent",
         "days_left": (r.valid_until - today).days if r.valid_until else None,
         "amount": r.total, "currency": r.currency}
        for r in rows
    ]  # fmt: skip


@section("contracts_expiring")
async def contracts_expiring(
    session: AsyncSession, access: Access, tonight: dt.datetime
) -> tuple[int, list[dict[str, Any]]]:
    """The reader's active contracts ending within the workspace's reminder days."""
    today = await workspace_today(session, access.scope)
    days = await session.scalar(
        select(WorkspaceSettings.contract_reminder_days).limit(1), execution_options=scoped(access.scope)
    )
    ending = (
        Contract.owner_id == access.member_id,
        Contract.deleted_at.is_(None),
        Contract.status == "active",
        Contract.end_date >= today,
        Contract.end_date <= today + dt.timedelta(days=days or 30),
    )
    count, rows = await counted(
        session,
        access,
        Contract,
        ending,
        select(
            Contract.id,
            Contract.number,
            Contract.name,
            Contract.end_date,
            Contract.account_id,
            Account.name.label("account_name"),
        )
        .join(Account, Account.id == Contract.account_id)
        .order_by(Contract.end_date, Contract.id),
    )
    return count, [
        {"record_type": "contract", "record_id": r.id, "title": f"{r.number} · {r.name}", "detail": r.account_name,
         "due": None, "overdue": False, "account_id": r.account_id, "days_left": (r.end_date - today).days}
        for r in rows
    ]  # fmt: skip


@section("payments_due")
async def payments_due(session: AsyncSession, access: Access, tonight: dt.datetime) -> tuple[int, list[dict[str, Any]]]:
    """The reader's open instalments due within the workspace's reminder days, overdue ones first."""
    today = await workspace_today(session, access.scope)
    days = await session.scalar(
        select(WorkspaceSettings.payment_reminder_days).limit(1), execution_options=scoped(access.scope)
    )
    due = (
        Instalment.owner_id == access.member_id,
        Instalment.status.in_(("pending", "partly_paid")),
        Instalment.due_date <= today + dt.timedelta(days=days if days is not None else 3),
    )
    count, rows = await counted(
        session, access, Instalment, due,
        select(Instalment.id, Instalment.order_id, Instalment.due_date, Instalment.amount, Instalment.collected,
               Instalment.currency, Instalment.account_id, Order.number, Account.name.label("account_name"))
        .join(Order, Order.id == Instalment.order_id)
        .join(Account, Account.id == Instalment.account_id)
        .order_by(Instalment.due_date, Instalment.id)
    )  # fmt: skip
    return count, [
        {"record_type": "order", "record_id": r.order_id, "title": f"{r.number} · {r.account_name}", "detail": None,
         "due": None, "overdue": r.due_date < today, "account_id": r.account_id, "days_left": (r.due_date - today).days,
         "amount": r.amount - r.collected, "currency": r.currency}
        for r in rows
    ]  # fmt: skip


@section("orders_to_fulfil")
async def orders_to_fulfil(
    session: AsyncSession, access: Access, tonight: dt.datetime
) -> tuple[int, list[dict[str, Any]]]:
    """The reader's confirmed orders not shipped yet: the best-graded customers' first, then the oldest."""
    today = await workspace_today(session, access.scope)
    waiting = (Order.owner_id == access.member_id, Order.status == "confirmed", Order.deleted_at.is_(None))
    count, rows = await counted(
        session, access, Order, waiting,
        select(Order.id, Order.number, Order.order_date, Order.total, Order.currency, Order.account_id,
               Account.name.label("account_name"), Account.grade)
        .join(Account, Account.id == Order.account_id)
        .order_by(by_grade(Account.grade), Order.order_date, Order.id)
    )  # fmt: skip
    return count, [
        {"record_type": "order", "record_id": r.id, "title": f"{r.number} · {r.account_name}", "detail": None,
         "due": None, "overdue": False, "account_id": r.account_id, "days_left": (today - r.order_date).days,
         "amount": r.total, "currency": r.currency, "grade": r.grade}
        for r in rows
    ]  # fmt: skip


async def todo(session: AsyncSession, access: Access) -> list[dict[str, Any]]:
    tonight = await end_of_today(session, access)
    answer = []
    for key, function in SECTIONS.items():
        count, items = await function(session, access, tonight)
        answer.append({"key": key, "count": count, "items": items})
    return answer
