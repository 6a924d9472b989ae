"""Settings: the work report rules (日报/周报/月报提交规则): who must submit which report on which days, by what
time, and how long before it they are reminded. Administrators only; the API decides and names bad fields."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from guanxi_web.api_client import ApiCaller, ApiError, Me, WorkReportRule
from guanxi_web.controllers.settings import (
    NoAccess,
    handle_settings_api_error,
    no_access,
    provide_settings_me,
    require_admin,
    settings_page,
)
from guanxi_web.forms import Form, refusal_status
from guanxi_web.i18n import N_, _
from guanxi_web.session import redirect

FIELDS = {
    "name": N_("Rule name"),
    "kind": N_("Report"),
    "audience": N_("Who must submit"),
    "department_ids": N_("Departments"),
    "member_ids": N_("Members"),
    "weekdays": N_("Days a daily report is due"),
    "due_weekday": N_("Day a weekly report is due"),
    "day_of_month": N_("Day a monthly report is due"),
    "deadline": N_("Deadline"),
    "remind_minutes": N_("Remind minutes before the deadline"),
    "enabled": N_("Enabled"),
}
KINDS = {"daily": N_("Daily report"), "weekly": N_("Weekly report"), "monthly": N_("Monthly report")}
AUDIENCES = {"everyone": N_("Everyone"), "departments": N_("Members of departments"), "members": N_("Chosen members")}
WEEKDAYS = {
    "mon": N_("Monday"), "tue": N_("Tuesday"), "wed": N_("Wednesday"), "thu": N_("Thursday"), "fri": N_("Friday"),
    "sat": N_("Saturday"), "sun": N_("Sunday"),
}  # fmt: skip
WORKDAYS = ["mon", "tue", "wed", "thu", "fri"]
LISTS = ("department_ids", "member_ids", "weekdays")
NOTICES = {
    "rule-added": N_("The rule is added. Members are reminded before each deadline."),
    "rule-saved": N_("The rule is saved."),
    "rule-deleted": N_("The rule is deleted."),
}


def options(labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(value, _(label)) for value, label in labels.items()]


def values_of(rule: WorkReportRule) -> Form:
    form = Form(FIELDS, values={
        "name": rule.name, "kind": rule.kind, "audience": rule.audience, "due_weekday": rule.due_weekday or "fri",
        "day_of_month": str(rule.day_of_month or ""), "deadline": rule.deadline,
        "remind_minutes": str(rule.remind_minutes), "enabled": "on" if rule.enabled else "",
    })  # fmt: skip
    form.choices = {"department_ids": [str(d) for d in rule.department_ids],
                    "member_ids": [str(m) for m in rule.member_ids], "weekdays": list(rule.weekdays)}  # fmt: skip
    return form


def blank_form() -> Form:
    form = Form(FIELDS, values={"kind": "daily", "audience": "everyone", "due_weekday": "fri", "deadline": "18:00",
                                "remind_minutes": "60", "enabled": "on"})  # fmt: skip
    form.choices = {"weekdays": list(WORKDAYS)}
    return form


def read_rule(data: FormMultiDict) -> tuple[Form, dict[str, Any]]:
    """The form as typed, and the rule to send: only the fields the chosen kind and audience use."""
    form, submitted = Form.read(FIELDS, data)
    form.choices = {name: [str(v) for v in data.getall(name, [])] for name in LISTS}
    form.require(submitted, "name", "deadline")
    kind = submitted["kind"] if submitted["kind"] in KINDS else "daily"
    audience = submitted["audience"] if submitted["audience"] in AUDIENCES else "everyone"
    body: dict[str, Any] = {
        "name": submitted["name"], "kind": kind, "audience": audience, "deadline": submitted["deadline"].strip(),
        "enabled": bool(submitted["enabled"]),
    }  # fmt: skip
    minutes = submitted["remind_minutes"].strip()
    if minutes.lstrip("-").isdigit():
        body["remind_minutes"] = int(minutes)
    else:
        form.errors.setdefault("remind_minutes", []).append(_("Enter a whole number of minutes."))
    if audience == "departments":
        body["department_ids"] = form.choices["department_ids"]
    elif audience == "members":
        body["member_ids"] = form.choices["member_ids"]
    if kind == "daily":
        body["weekdays"] = form.choices["weekdays"]
    elif kind == "weekly":
        body["due_weekday"] = submitted["due_weekday"] or None
    else:
        day = submitted["day_of_month"].strip()
        body["day_of_month"] = int(day) if day.isdigit() else None
    return form, body


class WorkReportRulesController(Controller):
    path = "/w/settings/work-report-rules"
    tags = ["settings"]
    dependencies = {"me": Provide(provide_settings_me)}
    exception_handlers = {NoAccess: no_access, ApiError: handle_settings_api_error}

    async def _page(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, form: Form,
        editing: WorkReportRule | None = None, status_code: int = 200,
    ) -> Template:  # fmt: skip
        rules = await api.work_report_rules()
        departments = await api.departments()
        members = await api.members()
        said = NOTICES.get(request.query_params.get("done") or "")
        return settings_page(
            request, "settings/_work_report_rules.html", me, _("Work report rules"), "work-report-rules",
            rules=rules, form=form, editing=editing, kinds=KINDS, audiences=AUDIENCES, weekdays=WEEKDAYS,
            department_names={str(d.id): d.name for d in departments},
            member_names={str(m.id): m.name for m in members},
            departments=[(str(d.id), d.name) for d in departments],
            members=[(str(m.id), m.name) for m in members if m.status == "active"],
            days=[(str(day), str(day)) for day in range(1, 32)], kind_options=options(KINDS),
            audience_options=options(AUDIENCES), weekday_options=options(WEEKDAYS),
            notice=_(said) if said else None, status_code=status_code,
        )  # fmt: skip

    @get("")
    async def index(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        require_admin(me)
        return await self._page(request, api, me, blank_form())

    @post("")
    async def add(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any] | Template:
        require_admin(me)
        form, body = read_rule(await request.form())
        if not form.invalid:
            try:
                await api.create_work_report_rule(body)
            except ApiError as error:
                if error.status in (401, 403):
                    raise
                form.refuse(error)
                return await self._page(request, api, me, form, status_code=refusal_status(error))
        if form.invalid:
            return await self._page(request, api, me, form, status_code=422)
        return redirect(request, "/w/settings/work-report-rules?done=rule-added")

    @get("/{rule_id:str}")
    async def edit(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        rule_id: FromPath[str],
    ) -> Template:
        require_admin(me)
        rule = await api.work_report_rule(rule_id)
        return await self._page(request, api, me, values_of(rule), editing=rule)

    @post("/{rule_id:str}")
    async def save(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        rule_id: FromPath[str],
    ) -> Response[Any] | Template:
        require_admin(me)
        rule = await api.work_report_rule(rule_id)
        form, body = read_rule(await request.form())
        if not form.invalid:
            try:
                await api.change_work_report_rule(rule_id, body)
            except ApiError as error:
                if error.status in (401, 403, 404):
                    raise
                form.refuse(error)
                return await self._page(request, api, me, form, editing=rule, status_code=refusal_status(error))
        if form.invalid:
            return await self._page(request, api, me, form, editing=rule, status_code=422)
        return redirect(request, "/w/settings/work-report-rules?done=rule-saved")

    @post("/{rule_id:str}/delete")
    async def delete(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        rule_id: FromPath[str],
    ) -> Response[Any]:
        require_admin(me)
        await api.delete_work_report_rule(rule_id)
        return redirect(request, "/w/settings/work-report-rules?done=rule-deleted")
