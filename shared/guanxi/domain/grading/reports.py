"""Grading's predefined reports for the reports registry: customers per grade now, and the grade changes recorded
between two dates. Both read :func:`guanxi.domain.grading.service.distribution`, so they count exactly the
customers the reader's ``customers`` read scope reaches, as ``GET /api/v1/grading/distribution`` does."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.domain.access.service import Access
from guanxi.domain.grading import service as grading
from guanxi.domain.numbering.service import workspace_today
from guanxi.domain.reports.predefined import RANGE, bounded
from guanxi.domain.reports.registry import Column, Table, date_range, report

UNGRADED = "Ungraded"
NEW = "—"  # a move from no grade: the customer's first grade


def _grade_order(grade: str | None) -> tuple[int, str]:
    return (1, "") if grade in (None, "none") else (0, str(grade))


@report("grade_distribution", "Customer grades", "customers")
async def grade_distribution(session: AsyncSession, access: Access, params: dict[str, Any]) -> Table:
    await bounded(session)
    found = await grading.distribution(session, access, None, None)
    counts = sorted(found["counts"].items(), key=lambda item: _grade_order(item[0]))
    total = sum(n for _, n in counts)
    rows = [[UNGRADED if grade == "none" else grade, n,
             (Decimal(n * 100) / total).quantize(Decimal("0.1")) if total else Decimal(0)]
            for grade, n in counts]  # fmt: skip
    columns = [Column("grade", "Grade"), Column("customers", "Customers", "number"),
               Column("share", "Share", "percent")]  # fmt: skip
    return Table(columns, rows, "pie")


@report("grade_movement", "Grade movement", "customers", RANGE)
async def grade_movement(session: AsyncSession, access: Access, params: dict[str, Any]) -> Table:
    """Every change of grade recorded in the range (runs, manual grades and their removal), from -> to."""
    start, end = date_range(params, await workspace_today(session, access.scope))
    await bounded(session)
    found = await grading.distribution(session, access, start, end)
    moves = sorted(found["movement"], key=lambda m: (_grade_order(m["from"]), _grade_order(m["to"])))
    rows = [[f"{m['from'] or NEW} → {m['to'] or NEW}", m["from"] or NEW, m["to"] or NEW, m["count"]] for m in moves]
    columns = [Column("change", "Change"), Column("from_grade", "From"), Column("to_grade", "To"),
               Column("customers", "Customers", "number")]  # fmt: skip
    return Table(columns, rows, "bar", notes=[f"{start.isoformat()} – {end.isoformat()}"])
