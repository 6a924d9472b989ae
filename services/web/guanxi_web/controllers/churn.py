"""Churn early warning (流失预警): customers at risk, riskiest first, each with the signals that made its score as
readable phrases; and the churn analytics (lost customers by stage, reasons, win-backs, customers per period)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from guanxi_web.api_client import ApiCaller, Me
from guanxi_web.controllers.customers import customers_page
from guanxi_web.dependencies import provide_me
from guanxi_web.i18n import N_, _

PERIODS = {"month": N_("Month"), "quarter": N_("Quarter"), "year": N_("Year")}
STAGES = {
    "pre_sale": N_("Pre-sale"),
    "in_negotiation": N_("In negotiation"),
    "after_sale": N_("After sale"),
    "in_pool": N_("Unclaimed in the pool"),
}


def signal_text(signal: dict[str, Any]) -> str:
    """One signal as a phrase in the reader's language: "no order for 95 days, usually every 30"."""
    key = signal.get("key")
    if key == "order_gap":
        return _("no order for %(days)s days, usually every %(usual)s") % {
            "days": signal["days"], "usual": signal["usual_days"]}  # fmt: skip
    if key == "falling_amount":
        return _("order amounts down %(percent)s%% on the months before") % {"percent": signal["drop_percent"]}
    if key == "overdue_payment":
        return _("%(count)s overdue instalment(s), %(amount)s outstanding") % {
            "count": signal["count"], "amount": signal["amount"]}  # fmt: skip
    if key == "no_activity":
        return _("no follow-up for %(days)s days") % {"days": signal["days"]}
    if key == "lost_deal":
        return _("%(count)s deal(s) lost in the last %(days)s days") % {
            "count": signal["count"], "days": signal["within_days"]}  # fmt: skip
    if key == "complaints":
        return _("open or repeated complaints")
    return str(key)


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
