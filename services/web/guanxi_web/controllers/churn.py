"""Churn early warning (流失预警): customers at risk, riskiest first, each with the signals that made its score as
readable phrases; and the churn analytics (lost customers by stage, reasons, win-backs, customers per period)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from guanxi_web.api_client import ApiCaller, ApiError, Me
from guanxi_web.churn_signals import signal_text
from guanxi_web.controllers.customers import customers_page
from guanxi_web.dependencies import provide_me
from guanxi_web.i18n import N_, _
from guanxi_web.session import redirect

PERIODS = {"month": N_("Month"), "quarter": N_("Quarter"), "year": N_("Year")}
STAGES = {
    "pre_sale": N_("Pre-sale"),
    "in_negotiation": N_("In negotiation"),
    "after_sale": N_("After sale"),
    "in_pool": N_("Unclaimed in the pool"),
}


SIGNAL_LABELS = {
    "order_gap": N_("Late against the customer's usual order interval"),
    "falling_amount": N_("Falling order amounts"),
    "overdue_payment": N_("Overdue payments"),
    "complaints": N_("Open or repeated complaints (when service cases exist)"),
    "no_activity": N_("No follow-up"),
    "lost_deal": N_("A lost deal"),
}
DAYS = {
    "no_activity_days": N_("Days without follow-up"),
    "lost_deal_days": N_("Lost deals within (days)"),
    "win_back_days": N_("A win-back counts if an order follows within (days)"),
    "pool_unclaimed_days": N_("Unclaimed in the pool after (days)"),
    "amount_drop_percent": N_("Amounts fall by at least this percentage"),
}


def read_settings(data: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The form as the API's body; fields that are not whole numbers are named back at once."""
    body: dict[str, Any] = {"points": {}}
    errors: dict[str, str] = {}

    def number(name: str) -> int | None:
        text = str(data.get(name, "")).strip()
        if text.isdigit() and len(text) < 6:
            return int(text)
        errors[name] = _("Enter a whole number.")
        return None

    for name in ("threshold", *DAYS):
        body[name] = number(name)
    for key in SIGNAL_LABELS:
        body["points"][key] = number(f"points.{key}")
    body["order_lateness"] = str(data.get("order_lateness", "")).strip()[:10]
    return body, errors


def _params(request: Request[Any, Any, Any], names: tuple[str, ...]) -> dict[str, str]:
    return {name: value[:100] for name in names if (value := (request.query_params.get(name) or "").strip())}


class ChurnController(Controller):
    path = "/churn"
    tags = ["churn"]
    dependencies = {"me": Provide(provide_me)}

    @get("")
    async def at_risk(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        params = _params(request, ("min_score", "cursor"))
        if params.get("min_score") and not params["min_score"].isdigit():
            params.pop("min_score")
        page = await api.churn_at_risk(params)
        return customers_page(
            request, "churn/_at_risk.html", me, _("Churn early warning"), "churn",
            page=page, signal_text=signal_text, min_score=params.get("min_score", ""),
        )  # fmt: skip

    async def _settings_page(
        self,
        request: Request[Any, Any, Any],
        me: Me,
        settings: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        page = customers_page(
            request, "churn/_settings.html", me, _("Churn settings"), "churn", settings=settings, errors=errors,
            signal_labels=SIGNAL_LABELS, days=DAYS,
        )  # fmt: skip
        page.status_code = status
        return page

    @get("/settings")
    async def settings(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        return await self._settings_page(request, me, await api.churn_settings(), {})

    @post("/settings")
    async def save_settings(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template | Response[Any]:
        data = await request.form()
        body, errors = read_settings(data)
        shown = {**body, "points": {k: v if v is not None else "" for k, v in body["points"].items()}, "can_edit": True}
        if errors:
            return await self._settings_page(request, me, shown, errors, 422)
        try:
            await api.set_churn_settings(body)
        except ApiError as error:
            if error.status not in (400, 422):
                raise
            named = {problem.field: problem.message for problem in error.problem.errors} or {"": error.problem.detail}
            return await self._settings_page(request, me, shown, named, 422)
        return redirect(request, "/churn/settings?done=churn-settings")

    @get("/analytics")
    async def analytics(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        params = _params(request, ("period",))
        if params.get("period") not in PERIODS:
            params["period"] = "month"
        figures = await api.churn_analytics(params)
        stages = [(key, _(label), figures["lost_by_stage"].get(key, 0)) for key, label in STAGES.items()]
        top_stage = max([count for _key, _label, count in stages] + [1])
        top_reason = max([row["count"] for row in figures["loss_reasons"]] + [1])
        top_total = max([row["total"] for row in figures["periods"]] + [1])
        return customers_page(
            request, "churn/_analytics.html", me, _("Churn analytics"), "churn", figures=figures, stages=stages,
            top_stage=top_stage, top_reason=top_reason, top_total=top_total, periods=PERIODS,
            period=params["period"],
        )  # fmt: skip


class AccountWinBackController(Controller):
    """On an account's page: record an attempt to win the customer back."""

    path = "/accounts/{account_id:uuid}/win-back"
    tags = ["churn"]

    @post("")
    async def win_back(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], account_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        data = await request.form()
        note = str(data.get("note") or "").strip()[:1000] or None
        await api.win_back(str(account_id), note)
        return redirect(request, f"/accounts/{account_id}?done=win-back#churn")
