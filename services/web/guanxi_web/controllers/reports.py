"""Reports (报表): the predefined reports and the saved ones shared with the reader, each with its parameters, a
chart drawn on the server as SVG (bars, a line for periods, a pie; no script, no inline style: the CSP allows it)
above the table it is drawn from, and downloads as CSV, XLSX and PDF passed through from the API; the report
builder, saving and sharing, and the email schedules of a report."""

from __future__ import annotations

import math
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

import structlog
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from guanxi_web import report_forms as forms
from guanxi_web.api_client import ApiCaller, ApiError, Me, optional
from guanxi_web.controllers.customers import customers_page
from guanxi_web.dependencies import provide_me
from guanxi_web.i18n import N_, _, zone_choices
from guanxi_web.session import hx_target, redirect

log = structlog.get_logger("web.reports")

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
    "days_61_90": N_("61–90 days"), "over_90": N_("Over 90 days"), "grade": N_("Grade"),
    "customers": N_("Customers"), "share": N_("Share"), "change": N_("Change"), "from_grade": N_("From"),
    "to_grade": N_("To"), "lost": N_("Lost customers"), "new": N_("New customers"), "reason": N_("Reason"),
    "losses": N_("Losses"), "count": N_("Count"),
}  # fmt: skip
VALUES = {"Ungraded": N_("Ungraded"), "Pre-sale": N_("Pre-sale"), "In negotiation": N_("In negotiation"),
          "After sale": N_("After sale"), "Total": N_("Total")}  # fmt: skip
CHOICES = {
    "by": {"period": N_("Period"), "rep": N_("Rep"), "product": N_("Product"), "region": N_("Region"),
           "customer": N_("Customer"), "stage": N_("Stage"), "reason": N_("Reason")},
    "grain": forms.GRAINS,
    "metric": {"won": N_("Won amount"), "collected": N_("Collected amount")},
}  # fmt: skip
PARAM_LABELS = {"from": N_("From"), "to": N_("To"), "by": N_("Group by"), "grain": N_("Grain"),
                "period": N_("Period"), "metric": N_("Measure"), "months": N_("Months")}  # fmt: skip
FORMATS = ("csv", "xlsx", "pdf")
CHART_ROWS = 30  # a chart shows the first rows; the table holds them all
WIDTH, BAR, GAP, LABEL = 640, 18, 8, 180
PIE_SLICES, RADIUS = 8, 90  # the largest slices, the rest as one "All others"


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
    """Bars (or a line for periods, or a pie) of the first money column, else the first number column, by the first
    column; none when the report asks for a table only."""
    columns = answer["columns"]
    measure = next((i for i, c in enumerate(columns) if c["type"] == "money"), None)
    if measure is None:
        measure = next((i for i, c in enumerate(columns) if c["type"] in ("number", "percent")), None)
    if measure is None or not answer["rows"] or measure == 0 or answer["chart"] == "table":
        return None
    if answer["chart"] == "pie" and (drawn := pie(answer["rows"], measure)) is not None:
        return {**drawn, "measure": columns[measure]["label"]}
    rows = answer["rows"][:CHART_ROWS]
    values = [_number(r[measure]) or Decimal(0) for r in rows]
    if not any(values):  # nothing to draw: the table says it
        return None
    top = max(abs(v) for v in values)
    span = WIDTH - LABEL - 70
    bars = []
    for index, (row, value) in enumerate(zip(rows, values, strict=True)):
        length = max(int(span * abs(value) / top), 1)
        bars.append({"label": _label(row[0])[:24], "value": value, "y": index * (BAR + GAP), "width": length,
                     "text_x": LABEL + length + 6})  # fmt: skip
    points = ""
    if answer["chart"] == "line" and len(rows) > 1:
        step = (WIDTH - 40) / (len(rows) - 1)
        points = " ".join(f"{20 + i * step:.1f},{190 - float(170 * v / top):.1f}" for i, v in enumerate(values))
    return {"kind": "bars", "bars": bars, "height": len(rows) * (BAR + GAP), "label_x": LABEL, "bar": BAR,
            "width": WIDTH, "measure": columns[measure]["label"], "points": points}  # fmt: skip


def _label(value: Any) -> str:
    text = str(value if value not in (None, "") else "—")
    return _(VALUES[text]) if text in VALUES else text


def pie(rows: list[list[Any]], measure: int) -> dict[str, Any] | None:
    """Slices as SVG arc paths around (100, 100), largest first; what is past the eighth slice is one "All others".
    Negative values cannot be shares of a whole: then bars (None)."""
    values = [(_label(r[0]), _number(r[measure]) or Decimal(0)) for r in rows]
    if any(v < 0 for _, v in values):
        return None
    values = sorted((item for item in values if item[1] > 0), key=lambda item: -item[1])
    if len(values) > PIE_SLICES:
        rest = sum((v for _, v in values[PIE_SLICES - 1 :]), Decimal(0))
        values = [*values[: PIE_SLICES - 1], (_("All others"), rest)]
    total = sum((v for _, v in values), Decimal(0))
    if not total:
        return None
    slices, angle = [], 0.0
    for index, (label, value) in enumerate(values):
        share = float(value / total)
        start, angle = angle, angle + share * 2 * math.pi
        x0, y0 = 100 + RADIUS * math.sin(start), 100 - RADIUS * math.cos(start)
        x1, y1 = 100 + RADIUS * math.sin(angle), 100 - RADIUS * math.cos(angle)
        large = 1 if share > 0.5 else 0
        path = f"M100,100 L{x0:.2f},{y0:.2f} A{RADIUS},{RADIUS} 0 {large} 1 {x1:.2f},{y1:.2f} Z"
        slices.append({"label": label, "value": value, "percent": f"{share * 100:.1f}", "path": path,
                       "whole": len(values) == 1, "tone": index})  # fmt: skip
    return {"kind": "pie", "slices": slices, "radius": RADIUS}


def shown_answer(answer: dict[str, Any], builder: bool) -> dict[str, Any]:
    """Column labels in the reader's language; a builder's groups by their field's name, measures as "Sum · Total"."""
    columns = []
    for c in answer.get("columns", []):
        key = c["key"]
        if builder and key in forms.FIELD_LABELS:
            label = forms.field_label(key)
        elif builder and "_" in key and key.split("_", 1)[0] in forms.FNS:
            fn, field = key.split("_", 1)
            label = f"{_(forms.FNS[fn])} · {forms.field_label(field)}"
        else:
            label = _(LABELS[key]) if key in LABELS else c["label"]
        columns.append({**c, "label": label})
    rows = [[_label(v) if isinstance(v, str) and v in VALUES else v for v in row] for row in answer.get("rows", [])]
    return {**answer, "columns": columns, "rows": rows}


def _params(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {k: str(v)[:100] for k, v in request.query_params.items() if k != "format"}


def _download(answer: Any) -> Response[bytes]:
    headers = {k: v for k, v in answer.headers.items() if k.lower() in ("content-disposition", "cache-control")}
    return Response(answer.content, media_type=answer.headers.get("content-type"),
                    headers={**headers, "X-Content-Type-Options": "nosniff"})  # fmt: skip


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


def _problems(error: ApiError) -> dict[str, str]:
    return {e.field: e.message for e in error.problem.errors} or {"": error.problem.detail}


def _refused(error: ApiError) -> None:
    """What the reader typed or chose that the API refuses is shown on the page; anything else is not ours."""
    if error.status not in (400, 403, 422):
        raise error


def _share_body(state: dict[str, Any]) -> dict[str, Any]:
    shared = state["shared_with"] if state["shared_with"] in forms.SHARING else "private"
    return {"name": state["name"], "shared_with": shared,
            "member_ids": state["member_ids"] if shared == "members" else []}  # fmt: skip


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
        notice = (
            _(NOTICES[request.query_params.get("done", "")]) if request.query_params.get("done") in NOTICES else None
        )
        return customers_page(request, "reports/_index.html", me, _("Reports"), "reports", reports=listed, saved=saved,
                              notice=notice)  # fmt: skip

    async def _page(
        self, request: Request[Any, Any, Any], me: Me, answer: dict[str, Any] | None, **context: Any
    ) -> Template:
        shown = shown_answer(answer, context.pop("builder", False)) if answer else None
        notice = (
            _(NOTICES[request.query_params.get("done", "")]) if request.query_params.get("done") in NOTICES else None
        )
        context.setdefault("notice", notice)
        for name, default in (("saved", None), ("editing", None), ("save_errors", {}), ("schedule_errors", {}),
                              ("schedules", []), ("names", {}), ("share", None), ("schedule", None),
                              ("members", []), ("zones", ())):  # fmt: skip
            context.setdefault(name, default)
        page = customers_page(request, "reports/_report.html", me, context.get("heading") or _("Reports"), "reports",
                              answer=shown, chart=chart(shown) if shown else None, formats=FORMATS,
                              choices=CHOICES, param_labels=PARAM_LABELS, forms=forms, **context)  # fmt: skip
        if context.get("errors") or context.get("schedule_errors") or context.get("save_errors"):
            page.status_code = 422
        return page

    async def _schedule_context(self, api: ApiCaller) -> dict[str, Any]:
        members = await optional(api.members()) or []
        return {"members": [m for m in members if m.status == "active"], "zones": zone_choices()}

    async def _predefined_page(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, key: str, params: dict[str, str], **extra: Any
    ) -> Template:
        found = next((r for r in await api.reports() if r["key"] == key), None)
        if found is None:
            raise NotFoundException()
        answer, errors = None, {}
        try:
            answer = await api.report(key, params)
        except ApiError as error:
            if error.status not in (403, 422):
                raise
            errors = _problems(error)
        heading = title_of(key, found["title"])
        extra.setdefault("schedule", forms.new_schedule(str(me.user.id)))
        extra.setdefault("share", {"name": heading, "shared_with": "private", "member_ids": []})
        return await self._page(request, me, answer, heading=heading, report=found, values=params, errors=errors,
                                export_base=f"/reports/r/{key}/export?{urlencode(params)}",
                                save_action=f"/reports/saved/{extra['editing']['id']}/share" if extra.get("editing")
                                else f"/reports/r/{key}/save", schedule_action=f"/reports/r/{key}/schedule",
                                **await self._schedule_context(api), **extra)  # fmt: skip

    @get("/r/{key:str}")
    async def predefined(
        self,
        request: Request[Any, Any, Any],
        key: FromPath[str],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
    ) -> Template:
        params = {k: v for k, v in _params(request).items() if v and k not in ("done", "edit")}
        extra: dict[str, Any] = {}
        editing = _uuid(request.query_params.get("edit"))
        if editing is not None:
            info = await api.saved_report_info(editing)
            extra = {"editing": info, "share": {"name": info["name"], "shared_with": info["shared_with"],
                                                "member_ids": [str(m) for m in info["member_ids"]]}}  # fmt: skip
        return await self._predefined_page(request, api, me, key, params, **extra)

    @get("/r/{key:str}/export")
    async def export_predefined(
        self, request: Request[Any, Any, Any], key: FromPath[str], api: NamedDependency[ApiCaller]
    ) -> Response[bytes]:
        fmt = request.query_params.get("format", "csv")
        params = {**{k: v for k, v in _params(request).items() if v}, "format": fmt if fmt in FORMATS else "csv"}
        return _download(await api.report_file(f"predefined/{key}", params))

    @post("/r/{key:str}/save")
    async def save_predefined(
        self,
        request: Request[Any, Any, Any],
        key: FromPath[str],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
    ) -> Template | Response[Any]:
        """Keeps the report with the parameters shown, under a name, shared as chosen."""
        data = await request.form()
        params = {k[2:]: str(v)[:100] for k, v in data.items() if k.startswith("p_") and v}
        share = _share_body(forms.read_builder(data, []))
        try:
            saved = await api.save_report({**share, "report_key": key, "params": params})
        except ApiError as error:
            _refused(error)
            return await self._predefined_page(request, api, me, key, params, share=share,
                                               save_errors=_problems(error))  # fmt: skip
        log.info("reports.saved", report_key=key)
        return redirect(request, f"/reports/saved/{saved['id']}?done=report-saved")

    @post("/r/{key:str}/schedule")
    async def schedule_predefined(
        self,
        request: Request[Any, Any, Any],
        key: FromPath[str],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
    ) -> Template | Response[Any]:
        """A schedule belongs to a saved report: the report is saved (privately, with the parameters shown) and
        scheduled together; when the schedule is refused, the report is not kept."""
        data = await request.form()
        params = {k[2:]: str(v)[:100] for k, v in data.items() if k.startswith("p_") and v}
        state, body = forms.read_schedule(data)
        found = next((r for r in await api.reports() if r["key"] == key), None)
        if found is None:
            raise NotFoundException()
        try:
            saved = await api.save_report({"name": title_of(key, found["title"]), "report_key": key,
                                           "params": params})  # fmt: skip
        except ApiError as error:
            _refused(error)
            return await self._predefined_page(request, api, me, key, params, schedule=state,
                                               schedule_errors=_problems(error))  # fmt: skip
        try:
            await api.create_report_schedule(saved["id"], body)
        except ApiError as error:
            await api.delete_saved_report(saved["id"])
            _refused(error)
            return await self._predefined_page(request, api, me, key, params, schedule=state,
                                               schedule_errors=forms.schedule_errors(error))  # fmt: skip
        log.info("reports.scheduled", report_key=key, frequency=body["frequency"])
        return redirect(request, f"/reports/saved/{saved['id']}?done=schedule-saved")

    async def _saved_page(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, report_id: uuid.UUID, **extra: Any
    ) -> Template:
        info = await api.saved_report_info(report_id)
        answer, errors = None, {}
        try:
            answer = await api.saved_report(report_id)
        except ApiError as error:
            if error.status not in (403, 422):
                raise
            errors = _problems(error)
        schedules = await api.report_schedules(report_id) if info["mine"] else []
        people = await self._schedule_context(api)
        names = {str(m.id): m.name for m in people["members"]}
        if "schedule" not in extra:
            editing = next((s for s in schedules if str(s["id"]) == request.query_params.get("schedule")), None)
            extra["schedule"] = forms.schedule_state(editing) if editing else forms.new_schedule(str(me.user.id))
        return await self._page(request, me, answer, heading=info["name"], report=None, values={}, errors=errors,
                                builder=info["definition"] is not None, saved=info, schedules=schedules,
                                names=names, export_base=f"/reports/saved/{report_id}/export?",
                                schedule_action=f"/reports/saved/{report_id}/schedules", **people,
                                **extra)  # fmt: skip

    @get("/saved/{report_id:uuid}")
    async def saved(
        self,
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
    ) -> Template:
        return await self._saved_page(request, api, me, report_id)

    @get("/saved/{report_id:uuid}/export")
    async def export_saved(
        self, request: Request[Any, Any, Any], report_id: FromPath[uuid.UUID], api: NamedDependency[ApiCaller]
    ) -> Response[bytes]:
        fmt = request.query_params.get("format", "csv")
        return _download(await api.report_file(f"saved/{report_id}", {"format": fmt if fmt in FORMATS else "csv"}))

    @post("/saved/{report_id:uuid}/delete")
    async def delete_saved(
        self, request: Request[Any, Any, Any], report_id: FromPath[uuid.UUID], api: NamedDependency[ApiCaller]
    ) -> Response[Any]:
        await api.delete_saved_report(report_id)
        log.info("reports.deleted")
        return redirect(request, "/reports?done=report-deleted")

    @post("/saved/{report_id:uuid}/schedules")
    async def save_schedule(
        self,
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
    ) -> Template | Response[Any]:
        """A new schedule, or a changed one: the API keeps schedules as they were made, so a change is a new
        schedule that replaces the old one once it is accepted (a refused change leaves the old one running)."""
        state, body = forms.read_schedule(await request.form())
        try:
            await api.create_report_schedule(report_id, body)
        except ApiError as error:
            _refused(error)
            return await self._saved_page(request, api, me, report_id, schedule=state,
                                          schedule_errors=forms.schedule_errors(error))  # fmt: skip
        replaced = _uuid(state["replaces"])
        if replaced is not None:
            await api.delete_report_schedule(report_id, replaced)
        log.info("reports.scheduled", frequency=body["frequency"], replaced=bool(state["replaces"]))
        return redirect(request, f"/reports/saved/{report_id}?done=schedule-saved")

    @post("/saved/{report_id:uuid}/schedules/{schedule_id:uuid}/delete")
    async def delete_schedule(
        self,
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
        schedule_id: FromPath[uuid.UUID],
        api: NamedDependency[ApiCaller],
    ) -> Response[Any]:
        await api.delete_report_schedule(report_id, schedule_id)
        return redirect(request, f"/reports/saved/{report_id}?done=schedule-deleted")

    # ---- the builder ----------------------------------------------------------------------------------------

    async def _builder(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, state: dict[str, Any] | None = None,
        **extra: Any,
    ) -> Template:  # fmt: skip
        entities = await api.report_entities()
        state = state or forms.blank_state(entities)
        answer = extra.pop("answer", None)
        shown = shown_answer(answer, True) if answer else None
        context = {
            "entities": entities, "state": state, "fields": forms.fields_of(entities, state["entity"]),
            "errors": extra.pop("errors", {}), "answer": shown, "chart": chart(shown) if shown else None,
            "members": [m for m in await optional(api.members()) or [] if m.status == "active"],
            "forms": forms, "saved_id": extra.pop("saved_id", ""), "heading": _("Report builder"), **extra,
        }  # fmt: skip
        status = 422 if context["errors"] else 200
        if hx_target(request) == "builder":
            return Template("reports/_builder_body.html", status_code=status, context=context)
        page = customers_page(request, "reports/_builder.html", me, _("Report builder"), "reports", **context)
        page.status_code = status
        return page

    @get("/builder")
    async def builder(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        return await self._builder(request, api, me)

    @get("/saved/{report_id:uuid}/edit")
    async def edit_saved(
        self,
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
    ) -> Template | Response[Any]:
        info = await api.saved_report_info(report_id)
        if info["definition"] is None:  # a standard report: its parameters and sharing are changed on its page
            query = urlencode({**info["params"], "edit": str(report_id)})
            return redirect(request, f"/reports/r/{info['report_key']}?{query}")
        return await self._builder(request, api, me, forms.state_of(info["definition"], info),
                                   saved_id=str(report_id))  # fmt: skip

    @post("/builder")
    async def build(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template | Response[Any]:
        """One form, three answers: ``run`` draws the report below the form, ``save`` keeps it (or changes the
        saved one being edited), anything else (a changed entity or field) redraws the form with fitting inputs."""
        data = await request.form()
        entities = await api.report_entities()
        state = forms.read_builder(data, entities)
        action = str(data.get("action") or "")
        saved_id = str(data.get("saved_id") or "")
        definition, origin = forms.definition_of(state, entities)
        if action == "run":
            try:
                answer = await api.run_builder(definition)
            except ApiError as error:
                _refused(error)
                return await self._builder(request, api, me, state, errors=forms.errors_of(error, origin),
                                           saved_id=saved_id)  # fmt: skip
            return await self._builder(request, api, me, state, answer=answer, saved_id=saved_id)
        if action == "save":
            if not state["name"]:
                return await self._builder(request, api, me, state, saved_id=saved_id,
                                           errors={"name": _("Give the report a name.")})  # fmt: skip
            try:
                saved = await api.save_report({**_share_body(state), "definition": definition},
                                              _uuid(saved_id))  # fmt: skip
            except ApiError as error:
                _refused(error)
                return await self._builder(request, api, me, state, errors=forms.errors_of(error, origin),
                                           saved_id=saved_id)  # fmt: skip
            log.info("reports.saved", entity=state["entity"], changed=bool(saved_id))
            return redirect(request, f"/reports/saved/{saved['id']}?done=report-saved")
        return await self._builder(request, api, me, state, saved_id=saved_id)

    @post("/saved/{report_id:uuid}/share")
    async def share_saved(
        self,
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
    ) -> Template | Response[Any]:
        """A saved standard report's name, sharing and parameters, changed from its report page."""
        data = await request.form()
        info = await api.saved_report_info(report_id)
        params = {k[2:]: str(v)[:100] for k, v in data.items() if k.startswith("p_") and v}
        share = _share_body(forms.read_builder(data, []))
        try:
            await api.save_report({**share, "report_key": info["report_key"], "params": params}, report_id)
        except ApiError as error:
            _refused(error)
            return await self._predefined_page(request, api, me, info["report_key"], params, share=share,
                                               editing=info, save_errors=_problems(error))  # fmt: skip
        return redirect(request, f"/reports/saved/{report_id}?done=report-saved")


NOTICES = {
    "report-saved": N_("The report is saved."),
    "report-deleted": N_("The report is deleted."),
    "schedule-saved": N_("The schedule is saved: the report will be mailed as planned."),
    "schedule-deleted": N_("The schedule is stopped."),
}
