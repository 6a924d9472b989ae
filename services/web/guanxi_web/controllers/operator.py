"""The installation operator's billing page: MRR per currency, trials ending, failed payments, how many workspaces
are in each state and plan, and every workspace in a filterable table. Outside the workspace area (``/w/``): it
spans workspaces. For anyone the API does not know as an operator it does not exist (404)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.response import Template

from guanxi_web.api_client import ApiCaller, ApiError, Me
from guanxi_web.controllers.billing import STATUSES
from guanxi_web.dependencies import provide_me
from guanxi_web.i18n import N_, _
from guanxi_web.rendering import app_page

PATH = "/operator/billing"
TRIAL_DAYS = (7, 14, 30)
PAYMENT = {"true": N_("Payment failed"), "false": N_("No failed payment")}
INTERVALS = {"month": N_("monthly"), "year": N_("yearly")}


def chosen_filters(query: Any) -> dict[str, str]:
    """The filters of the address, kept only in shapes the API accepts; a plan the catalogue does not know is the
    API's to refuse (and the page says so)."""
    filters: dict[str, str] = {}
    if (status := query.get("status", "")) in STATUSES:
        filters["status"] = status
    if plan := query.get("plan", "").strip()[:40]:
        filters["plan"] = plan
    if q := query.get("q", "").strip()[:200]:
        filters["q"] = q
    if (days := query.get("trial_ending_within_days", "")) in {str(d) for d in TRIAL_DAYS}:
        filters["trial_ending_within_days"] = days
    if (failed := query.get("payment_failed", "")) in PAYMENT:
        filters["payment_failed"] = failed
    return filters


class OperatorBillingController(Controller):
    path = PATH
    tags = ["operator"]
    dependencies = {"me": Provide(provide_me)}

    @get("")
    async def billing(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        if not me.operator:
            raise NotFoundException
        filters = chosen_filters(request.query_params)
        summary = await api.operator_billing_summary()
        params = {**filters, "limit": "50"}
        if cursor := request.query_params.get("cursor", ""):
            params["cursor"] = cursor[:200]
        error = None
        try:
            page = await api.operator_billing_workspaces(params)
            rows, next_cursor = page.items, page.next_cursor
        except ApiError as refused:
            if refused.status != 422:
                raise
            rows, next_cursor, error = [], None, refused.problem.detail
        more = f"{PATH}?{urlencode({**filters, 'cursor': next_cursor})}" if next_cursor else None
        return app_page(
            request, "operator/_billing.html", me=me, title=_("Billing across workspaces"), active="operator",
            summary=summary, rows=rows, filters=filters, more=more, error=error, statuses=STATUSES,
            trial_days=TRIAL_DAYS, payment=PAYMENT, intervals=INTERVALS, path=PATH,
            status_code=422 if error else 200,
        )  # fmt: skip
