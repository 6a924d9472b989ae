"""Customer grading (客户分级): the latest run's report (score, grade, each criterion's points), filtered by grade,
a button that grades every customer now, the grading settings, and the manual grade on an account's page."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
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

    async def _settings_page(
        self,
        request: Request[Any, Any, Any],
        api: ApiCaller,
        me: Me,
        settings: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        fields = [f for f in await api.custom_fields("customers") if f.type in ("number", "currency")]
        page = customers_page(
            request,
            "grading/_settings.html",
            me,
            _("Grading settings"),
            "grading",
            form=settings_form(settings),
            errors=errors,
            can_edit=settings.get("can_edit", True),
            criteria=CRITERIA,
            custom_fields=fields,
            grades=GRADES,
            custom_rows=CUSTOM_ROWS,
        )
        page.status_code = status
        return page

    @get("/settings")
    async def settings(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        return await self._settings_page(request, api, me, await api.grading_settings(), {})

    @post("/settings")
    async def save_settings(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template | Response[Any]:
        body, names, errors = read_settings(await request.form())
        if errors:
            return await self._settings_page(request, api, me, body, errors, 422)
        try:
            await api.set_grading_settings(body)
        except ApiError as error:
            if error.status not in (400, 422):
                raise
            named = {names.get(p.field, ""): p.message for p in error.problem.errors} or {"": error.problem.detail}
            return await self._settings_page(request, api, me, body, named, 422)
        return redirect(request, "/grading/settings?done=grading-settings")


CUSTOM_ROWS = 3  # custom-field criteria offered on the settings form
BUILT_IN = ("credit", "order_amount", "profit", "growth")


def settings_form(settings: dict[str, Any]) -> dict[str, Any]:
    """The API's settings as the form's flat fields (a criterion not in the settings has weight 0)."""
    weights = {c["kind"]: c["weight"] for c in settings["criteria"] if c["kind"] != "custom_field"}
    custom = [c for c in settings["criteria"] if c["kind"] == "custom_field"]
    form: dict[str, Any] = {f"weight.{kind}": weights.get(kind, 0) for kind in BUILT_IN}
    for index in range(CUSTOM_ROWS):
        row = custom[index] if index < len(custom) else {}
        form[f"custom.{index}.field_key"] = row.get("field_key") or ""
        form[f"custom.{index}.weight"] = row.get("weight", "")
    bands = {b["grade"]: b for b in settings["bands"]}
    form["method"] = settings.get("method", "percentile")
    form["use_d"] = "D" in bands
    form["order_window_months"] = settings.get("order_window_months", 12)
    for grade in GRADES:
        band = bands.get(grade, {})
        form[f"band.{grade}.share_percent"] = "" if band.get("share_percent") is None else band["share_percent"]
        form[f"band.{grade}.min_score"] = "" if band.get("min_score") is None else band["min_score"]
        for name in ("follow_up_days", "complaint_response_days"):
            form[f"{name}.{grade}"] = settings.get(name, {}).get(grade, "")
    return form


def read_settings(data: Any) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """The form as the API's body, the API's field names mapped to the form's, and the fields that are not whole
    numbers (named at once, before asking the API)."""
    errors: dict[str, str] = {}
    names: dict[str, str] = {}

    def number(name: str, blank: int | None = None) -> int | None:
        text = str(data.get(name, "")).strip()
        if not text:
            return blank
        if text.lstrip("-").isdigit() and len(text) < 7:
            return int(text)
        errors[name] = _("Enter a whole number.")
        return None

    criteria: list[dict[str, Any]] = []
    for kind in BUILT_IN:
        weight = number(f"weight.{kind}", 0)
        if weight:
            names[f"criteria[{len(criteria)}].weight"] = f"weight.{kind}"
            criteria.append({"kind": kind, "weight": weight})
    for index in range(CUSTOM_ROWS):
        key = str(data.get(f"custom.{index}.field_key", "")).strip()[:40]
        weight = number(f"custom.{index}.weight", 0)
        if key and weight:
            names[f"criteria[{len(criteria)}].weight"] = f"custom.{index}.weight"
            names[f"criteria[{len(criteria)}].field_key"] = f"custom.{index}.field_key"
            criteria.append({"kind": "custom_field", "weight": weight, "field_key": key})
    names["criteria"] = "criteria"
    method = "cutoffs" if data.get("method") == "cutoffs" else "percentile"
    grades = GRADES if data.get("use_d") else GRADES[:3]
    bands = []
    for index, grade in enumerate(grades):
        field = "share_percent" if method == "percentile" else "min_score"
        names[f"bands[{index}].{field}"] = f"band.{grade}.{field}"
        bands.append({"grade": grade, field: number(f"band.{grade}.{field}")})
    names["bands"] = "bands"
    body: dict[str, Any] = {
        "criteria": criteria, "bands": bands, "method": method,
        "order_window_months": 24 if str(data.get("order_window_months")) == "24" else 12,
    }  # fmt: skip
    for name in ("follow_up_days", "complaint_response_days"):
        body[name] = {}
        for grade in grades:
            value = number(f"{name}.{grade}")
            names[f"{name}.{grade}"] = f"{name}.{grade}"
            if value is not None:
                body[name][grade] = value
    return body, names, errors


class AccountGradeController(Controller):
    """On an account's page: a manager sets or removes a manual grade, or the growth prospect score."""

    path = "/accounts/{account_id:uuid}/grade"
    tags = ["grading"]

    @post("")
    async def set_grade(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], account_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        data = await request.form()
        grade, reason = str(data.get("grade") or ""), str(data.get("reason") or "").strip()[:500]
        done = "grade-refused"
        if grade in GRADES and reason:
            try:
                await api.set_manual_grade(str(account_id), grade, reason)
                done = "grade-set"
            except ApiError as error:
                if error.status not in (400, 422):
                    raise
        return redirect(request, f"/accounts/{account_id}?done={done}#grade")

    @post("/remove")
    async def remove_grade(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], account_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        await api.remove_manual_grade(str(account_id))
        return redirect(request, f"/accounts/{account_id}?done=grade-removed#grade")

    @post("/growth")
    async def set_growth(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], account_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        text = str((await request.form()).get("score") or "").strip()
        score = int(text) if text.isdigit() and int(text) <= 100 else None
        if text and score is None:
            return redirect(request, f"/accounts/{account_id}?done=grade-refused#grade")
        await api.set_growth_score(str(account_id), score)
        return redirect(request, f"/accounts/{account_id}?done=growth-set#grade")
