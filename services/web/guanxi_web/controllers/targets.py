"""Targets (销售目标): the dashboard of how far the company, each department and each person is from the period's
target, with the weighted forecast and the leaderboard; administrators set targets and share them out."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import structlog
from babel.dates import format_skeleton
from guanxi.domain.targets.periods import Period, parse_period, period_of, shifted
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from guanxi_web.api_client import ApiCaller, ApiError, Me, TargetProgress
from guanxi_web.controllers.customers import customers_page
from guanxi_web.dependencies import provide_me
from guanxi_web.i18n import N_, _, babel_locale
from guanxi_web.session import redirect

log = structlog.get_logger("web.targets")
KINDS = {"month": N_("Month"), "quarter": N_("Quarter"), "year": N_("Year")}
METRICS = {"won": N_("Won amount"), "collected": N_("Collected amount")}


def period_label(period: Period) -> str:
    """2026, Q4 2026 / 2026年第4季度, Nov 2026 / 2026年11月: as the reader's language writes it."""
    skeleton = {"year": "y", "quarter": "yQQQ", "month": "yMMM"}[period.kind]
    return format_skeleton(skeleton, period.start, locale=babel_locale())


def metrics_for(progress: TargetProgress) -> dict[str, str]:
    """Collected amounts are offered to those the API shows them to (who may read payments)."""
    return METRICS if progress.rows and progress.rows[0].collected is not None else {"won": METRICS["won"]}


def _query(request: Request[Any, Any, Any]) -> tuple[dict[str, str], str]:
    period = (request.query_params.get("period") or "").strip()[:10]
    metric = request.query_params.get("metric") or "won"
    metric = metric if metric in METRICS else "won"
    return ({"period": period} if parse_period(period) else {}) | {"metric": metric}, metric


def navigation(progress: TargetProgress) -> dict[str, Any]:
    period = parse_period(progress.period)
    assert period is not None
    today_kind = {kind: period_of(kind, period.start) for kind in KINDS}
    return {
        "period": period,
        "label": period_label(period),
        "previous": shifted(period, -1),
        "next": shifted(period, 1),
        "kinds": [(kind, label, today_kind[kind]) for kind, label in KINDS.items()],
    }


def read_amounts(progress: TargetProgress, data: Any) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The targets typed into the grid, one per row (blank removes it), and what could not be read, by row."""
    items, errors = [], {}
    for row in progress.rows:
        key = f"{row.subject_type}:{row.subject_id or ''}"
        text = str(data.get(key, "")).replace(",", "").replace("，", "").strip()
        amount: str | None = None
        if text:
            try:
                amount = str(Decimal(text))
            except InvalidOperation:
                errors[key] = _("Enter an amount, like 500000 or 500000.50.")
                continue
        item: dict[str, Any] = {"subject_type": row.subject_type, "amount": amount}
        if row.subject_id:
            item["subject_id"] = str(row.subject_id)
        items.append(item)
    return items, errors


class TargetController(Controller):
    path = "/targets"
    tags = ["targets"]
    dependencies = {"me": Provide(provide_me)}

    @get("")
    async def dashboard(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        params, metric = _query(request)
        progress = await api.targets(params)
        forecast = await api.forecast(6)
        leaders = await api.leaderboard({"period": progress.period, "metric": metric})
        currency = progress.currency
        mine = [m for m in forecast if m.currency == currency]
        context = {
            "progress": progress,
            "company": progress.rows[0],
            "nav": navigation(progress),
            "metric": metric,
            "metrics": metrics_for(progress),
            "forecast": mine,
            "forecast_other": [m for m in forecast if m.currency != currency],
            "forecast_top": max((m.total for m in mine), default=Decimal(0)),
            "leaders": leaders[:10],
        }
        return customers_page(request, "targets/_dashboard.html", me, _("Targets"), "targets", **context)

    async def _editor(
        self, request: Request[Any, Any, Any], me: Me, progress: TargetProgress, status: int = 200, **extra: Any
    ) -> Template:
        context = {"progress": progress, "nav": navigation(progress), "errors": {}, "values": {}, "error": None,
                   "metrics": metrics_for(progress), **extra}  # fmt: skip
        page = customers_page(request, "targets/_edit.html", me, _("Set targets"), "targets", **context)
        page.status_code = status
        return page

    @get("/edit")
    async def edit(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template | Response[Any]:
        params, _metric = _query(request)
        progress = await api.targets(params)
        if not progress.can_edit:
            return redirect(request, f"/targets?period={progress.period}")
        return await self._editor(request, me, progress)

    @post("/edit")
    async def save(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template | Response[Any]:
        data = await request.form()
        params = {"period": str(data.get("period", "")), "metric": str(data.get("metric", "won"))}
        progress = await api.targets(params)
        items, errors = read_amounts(progress, data)
        values = {key: str(value) for key, value in data.items()}
        if errors:
            return await self._editor(request, me, progress, 422, errors=errors, values=values)
        try:
            await api.set_targets({**params, "period": progress.period, "items": items})
        except ApiError as error:
            if error.status != 422:
                raise
            return await self._editor(request, me, progress, 422, values=values, error=error.problem.detail)
        log.info("targets.saved", period=progress.period, count=len(items))
        return redirect(request, f"/targets?period={progress.period}&metric={params['metric']}&done=targets")

    @post("/split")
    async def split(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template | Response[Any]:
        data = await request.form()
        body = {key: str(data.get(key, "")) for key in ("period", "metric", "subject_type")}
        if data.get("subject_id"):
            body["subject_id"] = str(data["subject_id"])
        try:
            progress = await api.split_target(body)
        except ApiError as error:
            if error.status != 422:
                raise
            progress = await api.targets({"period": body["period"], "metric": body["metric"]})
            return await self._editor(request, me, progress, 422, error=error.problem.detail)
        return await self._editor(request, me, progress, notice=_("The target was shared out evenly."))
