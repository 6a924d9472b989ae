"""Customer grading (客户分级): the latest run's report (score, grade, each criterion's points), filtered by grade,
and a button that grades every customer now."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from guanxi_web.api_client import ApiCaller, ApiError, Me
from guanxi_web.controllers.customers import customers_page
from guanxi_web.dependencies import provide_me
from guanxi_web.i18n import N_, _
from guanxi_web.session import redirect

GRADES = ("A", "B", "C", "D")
CRITERIA = {"credit": N_("Credit"), "order_amount": N_("Order amount"), "profit": N_("Profit contribution"),
            "growth": N_("Growth prospect")}  # fmt: skip
STATUSES = {"queued": N_("Queued"), "running": N_("Running"), "done": N_("Done"), "failed": N_("Failed")}


class GradingController(Controller):
    path = "/grading"
    tags = ["grading"]
    dependencies = {"me": Provide(provide_me)}

    @get("")
    async def report(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        grade = request.query_params.get("grade") or ""
        grade = grade if grade in GRADES else ""
        q = (request.query_params.get("q") or "").strip()[:200]
        params = {k: v for k, v in {"grade": grade, "q": q, "cursor": request.query_params.get("cursor", "")[:500]}
                  .items() if v}  # fmt: skip
        try:
            page = await api.grading_report(params)
        except ApiError as error:
            if error.status != 422:
                raise
            page = await api.grading_report({k: v for k, v in params.items() if k != "cursor"})
        latest = await api.grading_latest_run()
        keys = list(page.items[0].points) if page.items else []
        more = None
        if page.next_cursor:
            more = "/grading?" + urlencode({k: v for k, v in {"grade": grade, "q": q}.items() if v} |
                                           {"cursor": page.next_cursor})  # fmt: skip
        context = {"page": page, "latest": latest, "grade": grade, "q": q, "grades": GRADES, "keys": keys,
                   "criteria": CRITERIA, "statuses": STATUSES, "more": more}  # fmt: skip
        return customers_page(request, "grading/_report.html", me, _("Customer grading"), "grading", **context)

    @post("/runs")
    async def run_now(self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller]) -> Response[Any]:
        await api.start_grading()
        return redirect(request, "/grading?done=grading")
