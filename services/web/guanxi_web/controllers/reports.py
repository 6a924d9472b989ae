"""Reports (报表): the predefined reports and the saved ones shared with the reader, each with its parameters, a
chart drawn on the server as SVG (no script, no inline style: the CSP allows it) above the table it is drawn from,
and downloads as CSV, XLSX and PDF passed through from the API."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from guanxi_web.api_client import ApiCaller, ApiError, Me
from guanxi_web.controllers.customers import customers_page
from guanxi_web.dependencies import provide_me
from guanxi_web.i18n import N_, _

TITLES = {
    "sales": N_("Sales by period, rep, product or region"),
    "target_progress": N_("Target progress"),
    "forecast": N_("Forecast by expected close month"),
    "pipeline": N_("Open pipeline by stage"),
    "activities": N_("Activities and calls per rep"),
    "receivables": N_("Receivables ageing"),
    "grade_distribution": N_("Customer grades"),
    "grade_movement": N_("Grade movement"),
    "churn": N_("Churn"),
}
LABELS = {
    "period": N_("Period"), "rep": N_("Rep"), "product": N_("Product"), "region": N_("Region"),
    "currency": N_("Currency"), "orders": N_("Orders"), "total": N_("Total"), "cost": N_("Cost"),
    "margin": N_("Margin"), "quantity": N_("Quantity"), "net": N_("Net amount"), "name": N_("Name"),
    "level": N_("Level"), "target": N_("Target"), "achieved": N_("Achieved"), "gap": N_("Gap"),
    "percent": N_("Percent"), "month": N_("Month"), "deals": N_("Deals"), "weighted": N_("Weighted"),
    "stage": N_("Stage"), "call": N_("Calls"), "meeting": N_("Meetings"), "visit": N_("Visits"),
    "email": N_("Emails"), "task": N_("Tasks"), "note": N_("Notes"), "call_minutes": N_("Call minutes"),
    "not_due": N_("Not due"), "days_1_30": N_("1–30 days"), "days_31_60": N_("31–60 days"),
    "days_61_90": N_("61–90 days"), "over_90": N_("Over 90 days"),
}  # fmt: skip
CHOICES = {
    "by": {"period": N_("Period"), "rep": N_("Rep"), "product": N_("Product"), "region": N_("Region"),
           "customer": N_("Customer")},
    "grain": {"day": N_("Day"), "week": N_("Week"), "month": N_("Month"), "quarter": N_("Quarter"),
              "year": N_("Year")},
    "metric": {"won": N_("Won amount"), "collected": N_("Collected amount")},
}  # fmt: skip
PARAM_LABELS = {"from": N_("From"), "to": N_("To"), "by": N_("Group by"), "grain": N_("Grain"),
                "period": N_("Period"), "metric": N_("Measure"), "months": N_("Months")}  # fmt: skip
FORMATS = ("csv", "xlsx", "pdf")
CHART_ROWS = 30  # a chart shows the first rows; the table holds them all
WIDTH, BAR, GAP, LABEL = 640, 18, 8, 180


def title_of(key: str, fallback: str) -> str:
    return _(TITLES[key]) if key in TITLES else fallback


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def chart(answer: dict[str, Any]) -> dict[str, Any] | None:
    """Bars (or a line for periods) of the first money column, else the first number column, by the first column."""
    columns = answer["columns"]
    measure = next((i for i, c in enumerate(columns) if c["type"] == "money"), None)
    if measure is None:
        measure = next((i for i, c in enumerate(columns) if c["type"] in ("number", "percent")), None)
    if measure is None or not answer["rows"] or measure == 0:
        return None
    rows = answer["rows"][:CHART_ROWS]
    values = [_number(r[measure]) or Decimal(0) for r in rows]
    top = max((abs(v) for v in values), default=Decimal(0)) or Decimal(1)
    span = WIDTH - LABEL - 70
    bars = []
    for index, (row, value) in enumerate(zip(rows, values, strict=True)):
        length = max(int(span * abs(value) / top), 1)
        label = str(row[0] if row[0] not in (None, "") else "—")[:24]
        bars.append({"label": label, "value": value, "y": index * (BAR + GAP), "width": length,
                     "text_x": LABEL + length + 6})  # fmt: skip
    points = ""
    if answer["chart"] == "line" and len(rows) > 1:
        step = (WIDTH - 40) / (len(rows) - 1)
        points = " ".join(f"{20 + i * step:.1f},{190 - float(170 * v / top):.1f}" for i, v in enumerate(values))
    return {"bars": bars, "height": len(rows) * (BAR + GAP), "label_x": LABEL, "bar": BAR, "width": WIDTH,
            "measure": columns[measure]["label"], "points": points}  # fmt: skip


def _params(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {k: str(v)[:100] for k, v in request.query_params.items() if k != "format"}


def _download(answer: Any) -> Response[bytes]:
    headers = {k: v for k, v in answer.headers.items() if k.lower() in ("content-disposition", "cache-control")}
    return Response(answer.content, media_type=answer.headers.get("content-type"),
                    headers={**headers, "X-Content-Type-Options": "nosniff"})  # fmt: skip


class ReportsController(Controller):
    path = "/reports"
    tags = ["reports"]
    dependencies = {"me": Provide(provide_me)}

    @get("")
    async def index(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        reports = await api.reports()
        saved = await api.saved_reports()
        listed = [{**r, "label": title_of(r["key"], r["title"])} for r in reports]
        return customers_page(request, "reports/_index.html", me, _("Reports"), "reports", reports=listed, saved=saved)

    async def _page(
        self, request: Request[Any, Any, Any], me: Me, answer: dict[str, Any] | None, **context: Any
    ) -> Template:
        columns = [{**c, "label": _(LABELS[c["key"]]) if c["key"] in LABELS else c["label"]}
                   for c in (answer or {}).get("columns", [])]  # fmt: skip
        shown = {**answer, "columns": columns} if answer else None
        page = customers_page(request, "reports/_report.html", me, context.get("heading") or _("Reports"), "reports",
                              answer=shown, chart=chart(shown) if shown else None, formats=FORMATS,
                              choices=CHOICES, param_labels=PARAM_LABELS, **context)  # fmt: skip
        if context.get("errors"):
            page.status_code = 422
        return page

    @get("/r/{key:str}")
    async def predefined(
        self,
        request: Request[Any, Any, Any],
        key: FromPath[str],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
    ) -> Template:
        found = next((r for r in await api.reports() if r["key"] == key), None)
        if found is None:
            raise NotFoundException()
        params = {k: v for k, v in _params(request).items() if v}
        answer, errors = None, {}
        try:
            answer = await api.report(key, params)
        except ApiError as error:
            if error.status not in (403, 422):
                raise
            errors = {e.field: e.message for e in error.problem.errors} or {"": error.problem.detail}
        heading = title_of(key, found["title"])
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return await self._page(request, me, answer, heading=heading, report=found, values=params, errors=errors,
                                export_base=f"/reports/r/{key}/export?{query}")  # fmt: skip

    @get("/r/{key:str}/export")
    async def export_predefined(
        self, request: Request[Any, Any, Any], key: FromPath[str], api: NamedDependency[ApiCaller]
    ) -> Response[bytes]:
        fmt = request.query_params.get("format", "csv")
        params = {**{k: v for k, v in _params(request).items() if v}, "format": fmt if fmt in FORMATS else "csv"}
        return _download(await api.report_file(f"predefined/{key}", params))

    @get("/saved/{report_id:uuid}")
    async def saved(
        self,
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
    ) -> Template:
        answer = await api.saved_report(report_id)
        return await self._page(request, me, answer, heading=answer["title"], report=None, values={}, errors={},
                                export_base=f"/reports/saved/{report_id}/export?")  # fmt: skip

    @get("/saved/{report_id:uuid}/export")
    async def export_saved(
        self, request: Request[Any, Any, Any], report_id: FromPath[uuid.UUID], api: NamedDependency[ApiCaller]
    ) -> Response[bytes]:
        fmt = request.query_params.get("format", "csv")
        return _download(await api.report_file(f"saved/{report_id}", {"format": fmt if fmt in FORMATS else "csv"}))
