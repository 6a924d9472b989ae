"""The predefined reports of this domain: sales by period, rep, product and region; target progress; pipeline and
forecast; activities and calls per rep; receivables ageing. Each runs in the reader's scope of its module."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Date, cast, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.tenancy import scoped
from guanxi.domain.access.models import Member
from guanxi.domain.access.service import Access
from guanxi.domain.activities.models import Activity
from guanxi.domain.customers.models import Account
from guanxi.domain.deals.models import Deal
from guanxi.domain.numbering.service import workspace_today
from guanxi.domain.orders import service as orders
from guanxi.domain.orders.models import Order, OrderLine
from guanxi.domain.pipeline.models import PipelineStage
from guanxi.domain.products.lines import sees_costs
from guanxi.domain.reports.registry import MAX_ROWS, Column, Param, Table, date_range, report
from guanxi.domain.targets import service as targets

GRAINS = ("day", "week", "month", "quarter", "year")
RANGE = (Param("from", "date"), Param("to", "date"))
STATEMENT_TIMEOUT = "SET LOCAL statement_timeout = '20s'"


async def bounded(session: AsyncSession) -> None:
    """A report query may not hold a connection for minutes: the transaction's statements stop at 20 s."""
    await session.execute(text(STATEMENT_TIMEOUT))


def _capped(rows: list[Any]) -> tuple[list[Any], bool]:
    return (rows[:MAX_ROWS], True) if len(rows) > MAX_ROWS else (rows, False)


@report(
    "sales",
    "Sales by period, rep, product or region",
    "orders",
    (*RANGE, Param("by", "choice", ("period", "rep", "product", "region"), "period"),
     Param("grain", "choice", GRAINS, "month")),
)  # fmt: skip
async def sales(session: AsyncSession, access: Access, params: dict[str, Any]) -> Table:
    """Orders that are not cancelled nor deleted, dated in the range, that the reader may see. Amounts in different
    currencies are never added: the currency is part of every row. Cost and margin only for those who see costs."""
    access.require("orders", "read")
    start, end = date_range(params, await workspace_today(session, access.scope))
    costs = sees_costs(access)
    by = params["by"]
    kept = (Order.deleted_at.is_(None), Order.status != "cancelled", Order.order_date.between(start, end),
            orders.visible(access))  # fmt: skip
    if by == "product":
        key: Any = func.coalesce(OrderLine.name, "")
        measures: list[Any] = [func.count(func.distinct(Order.id)), func.sum(OrderLine.quantity),
                               func.sum(OrderLine.net_amount)]  # fmt: skip
        if costs:
            cost = func.sum(OrderLine.quantity * OrderLine.unit_cost)
            measures += [cost, func.sum(OrderLine.net_amount) - cost]
        query = select(key, Order.currency, *measures).join(Order, Order.id == OrderLine.order_id)
        columns = [Column("product", "Product"), Column("currency", "Currency"), Column("orders", "Orders", "number"),
                   Column("quantity", "Quantity", "number"), Column("net", "Net amount", "money")]  # fmt: skip
    else:
        if by == "period":
            key = cast(func.date_trunc(params["grain"], Order.order_date), Date)
            label = Column("period", "Period", "date")
        elif by == "rep":
            key = func.coalesce(Member.name, "")
            label = Column("rep", "Rep")
        else:
            key = func.coalesce(Account.province, "")
            label = Column("region", "Region")
        measures = [func.count(), func.sum(Order.total)]
        if costs:
            measures += [func.sum(Order.cost), func.sum(Order.margin)]
        query = select(key, Order.currency, *measures)
        if by == "rep":
            query = query.outerjoin(Member, Member.id == Order.owner_id)
        elif by == "region":
            query = query.join(Account, Account.id == Order.account_id)
        columns = [label, Column("currency", "Currency"), Column("orders", "Orders", "number"),
                   Column("total", "Total", "money")]  # fmt: skip
    if costs:
        columns += [Column("cost", "Cost", "money"), Column("margin", "Margin", "money")]
    await bounded(session)
    found = await session.execute(
        query.where(*kept).group_by(key, Order.currency).order_by(key, Order.currency).limit(MAX_ROWS + 1),
        execution_options=scoped(access.scope),
    )
    rows, truncated = _capped([list(r) for r in found])
    return Table(columns, rows, "line" if by == "period" else "bar", truncated)


@report("target_progress", "Target progress", "deals",
        (Param("period", "text"), Param("metric", "choice", ("won", "collected"), "won")))  # fmt: skip
async def target_progress(session: AsyncSession, access: Access, params: dict[str, Any]) -> Table:
    found = await targets.progress(session, access, params["period"], params["metric"])
    columns = [Column("name", "Name"), Column("level", "Level"), Column("target", "Target", "money"),
               Column("achieved", "Achieved", "money"), Column("gap", "Gap", "money"),
               Column("percent", "Percent", "percent")]  # fmt: skip
    rows = [[r["name"] or found["period"], r["subject_type"], r["target"], r["achieved"], r["gap"], r["percent"]]
            for r in found["rows"]]  # fmt: skip
    return Table(columns, rows, "bar", notes=[f"{found['period']} {found['currency']}"])


@report("forecast", "Forecast by expected close month", "deals",
        (Param("months", "int", default=6, minimum=1, maximum=targets.FORECAST_MONTHS),))  # fmt: skip
async def forecast(session: AsyncSession, access: Access, params: dict[str, Any]) -> Table:
    found = await targets.forecast(session, access, params["months"])
    columns = [Column("month", "Month"), Column("currency", "Currency"), Column("deals", "Deals", "number"),
               Column("total", "Total", "money"), Column("weighted", "Weighted", "money")]  # fmt: skip
    return Table(columns, [[f["month"], f["currency"], f["count"], f["total"], f["weighted"]] for f in found], "bar")


@report("pipeline", "Open pipeline by stage", "deals")
async def pipeline(session: AsyncSession, access: Access, params: dict[str, Any]) -> Table:
    access.require("deals", "read")
    probability = func.coalesce(Deal.probability, PipelineStage.probability)
    found = await session.execute(
        select(PipelineStage.name, Deal.currency, func.count(), func.sum(Deal.amount),
               func.round(func.sum(Deal.amount * probability / 100), 2))
        .join(PipelineStage, PipelineStage.id == Deal.stage_id)
        .where(Deal.status == "open", Deal.deleted_at.is_(None),
               access.where("deals", "read", Deal.owner_id, record_type="deal", id_column=Deal.id))
        .group_by(PipelineStage.pipeline_id, PipelineStage.position, PipelineStage.name, Deal.currency)
        .order_by(PipelineStage.pipeline_id, PipelineStage.position, Deal.currency)
        .limit(MAX_ROWS + 1),
        execution_options=scoped(access.scope),
    )  # fmt: skip
    rows, truncated = _capped([list(r) for r in found])
    columns = [Column("stage", "Stage"), Column("currency", "Currency"), Column("deals", "Deals", "number"),
               Column("total", "Total", "money"), Column("weighted", "Weighted", "money")]  # fmt: skip
    return Table(columns, rows, "bar", truncated)


KINDS = ("call", "meeting", "visit", "email", "task", "note")


@report("activities", "Activities and calls per rep", "activities", RANGE)
async def activities(session: AsyncSession, access: Access, params: dict[str, Any]) -> Table:
    access.require("activities", "read")
    start, end = date_range(params, await workspace_today(session, access.scope))
    day = cast(Activity.occurred_at, Date)
    counts = [func.count().filter(Activity.kind == kind) for kind in KINDS]
    minutes = func.coalesce(func.sum(Activity.duration_seconds).filter(Activity.kind == "call"), 0) / 60
    found = await session.execute(
        select(func.coalesce(Member.name, ""), *counts, func.count(), func.round(minutes, 1))
        .select_from(Activity)
        .outerjoin(Member, Member.id == Activity.owner_id)
        .where(Activity.deleted_at.is_(None), day.between(start, end),
               access.where("activities", "read", Activity.owner_id))
        .group_by(Activity.owner_id, Member.name)
        .order_by(func.coalesce(Member.name, ""), Activity.owner_id)
        .limit(MAX_ROWS + 1),
        execution_options=scoped(access.scope),
    )  # fmt: skip
    rows, truncated = _capped([list(r) for r in found])
    columns = [Column("rep", "Rep"), *(Column(k, k.capitalize() + "s", "number") for k in KINDS),
               Column("total", "Total", "number"), Column("call_minutes", "Call minutes", "number")]  # fmt: skip
    return Table(columns, [[*r[:-1], Decimal(r[-1])] for r in rows], "bar", truncated)


@report("receivables", "Receivables ageing", "payments", (Param("by", "choice", ("rep", "customer"), "rep"),))
async def receivables(session: AsyncSession, access: Access, params: dict[str, Any]) -> Table:
    found, sums, more = await orders.receivables(session, access, by=params["by"], cursor=None, limit=MAX_ROWS)
    columns = [Column("name", "Name"), Column("currency", "Currency"),
               *(Column(b, b.replace("_", " ").capitalize(), "money") for b in orders.BUCKETS),
               Column("total", "Total", "money")]  # fmt: skip
    rows = [[entry["name"] or "", a["currency"], *(a[b] for b in orders.BUCKETS), a["total"]]
            for entry in found for a in entry["ageing"]]  # fmt: skip
    rows += [["Total", a["currency"], *(a[b] for b in orders.BUCKETS), a["total"]] for a in sums]
    return Table(columns, rows, "bar", more is not None)
