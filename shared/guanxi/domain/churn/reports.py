"""Churn's predefined report for the reports registry, read from :func:`guanxi.domain.churn.analytics.churn_analytics`
(so in the reader's ``customers`` read scope, as ``GET /api/v1/churn/analytics``): new, lost and total customers
per period; losses by the stage they happened at; or loss reasons ranked. Customers left unclaimed in the pool are
counted apart by the analytics (they are also in their stage), so they are not a share of the stage pie."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.domain.access.service import Access
from guanxi.domain.churn.analytics import churn_analytics
from guanxi.domain.numbering.service import workspace_today
from guanxi.domain.reports.predefined import RANGE, bounded
from guanxi.domain.reports.registry import Column, Param, Table, date_range, report

STAGE_LABELS = {"pre_sale": "Pre-sale", "in_negotiation": "In negotiation", "after_sale": "After sale"}


@report(
    "churn",
    "Churn",
    "customers",
    (*RANGE, Param("by", "choice", ("period", "stage", "reason"), "period"),
     Param("grain", "choice", ("week", "month", "quarter", "year"), "month")),
)  # fmt: skip
async def churn(session: AsyncSession, access: Access, params: dict[str, Any]) -> Table:
    start, end = date_range(params, await workspace_today(session, access.scope))
    await bounded(session)
    found = await churn_analytics(session, access.scope, access, start=start, end=end, period=params["grain"])
    notes = [f"{found['from']} – {found['to']}"]
    if params["by"] == "stage":
        columns = [Column("stage", "Stage"), Column("customers", "Customers", "number")]
        rows: list[list[Any]] = [[label, found["lost_by_stage"][key]] for key, label in STAGE_LABELS.items()]
        return Table(columns, rows, "pie", notes=notes)
    if params["by"] == "reason":
        columns = [Column("reason", "Reason"), Column("losses", "Losses", "number")]
        return Table(columns, [[r["reason"], r["count"]] for r in found["loss_reasons"]], "bar", notes=notes)
    columns = [Column("period", "Period", "date"), Column("lost", "Lost", "number"), Column("new", "New", "number"),
               Column("total", "Total", "number")]  # fmt: skip
    rows = [[p["period"], p["lost"], p["new"], p["total"]] for p in found["periods"]]
    return Table(columns, rows, "line", notes=notes)
