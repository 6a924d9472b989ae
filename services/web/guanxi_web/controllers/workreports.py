"""Work reports (工作报告): write today's, this week's or this month's report with your figures shown, read the
ones you may see (yours and your team's), comment on one, and see who in your scope has not submitted."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Response, Template

from guanxi_web.api_client import ApiCaller, ApiError, Me
from guanxi_web.controllers.customers import customers_page
from guanxi_web.dependencies import provide_me
from guanxi_web.forms import Form
from guanxi_web.i18n import N_, _
from guanxi_web.session import redirect

KINDS = {"daily": N_("Daily"), "weekly": N_("Weekly"), "monthly": N_("Monthly")}
FIELDS = {"summary": N_("What you did"), "plans": N_("Plans"), "problems": N_("Problems and help needed")}
COMMENT_FIELDS = {"body": N_("Comment")}
FIGURES = (
    ("calls", N_("Calls")), ("visits", N_("Visits")), ("deals_moved", N_("Deals moved")),
    ("won_amount", N_("Won")), ("collected_amount", N_("Collected")), ("tasks_done", N_("Tasks done")),
)  # fmt: skip
NOTICES = {"submitted": N_("Your report is submitted."), "commented": N_("Your comment is added.")}


class WorkReportController(Controller):
    path = "/work-reports"
    tags = ["work reports"]
    dependencies = {"me": Provide(provide_me)}

    async def _page(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, kind: str, form: Form | None = None,
        cursor: str | None = None, status_code: int = 200,
    ) -> Template:  # fmt: skip
        draft = await api.work_report_draft(kind)
        try:
            reports = await api.work_reports(cursor)
        except ApiError as error:
            if error.status not in (400, 422):
                raise
            reports = await api.work_reports()
        if form is None:
            form = Form(FIELDS, values={"summary": draft.summary, "plans": draft.plans, "problems": draft.problems})
        notice = NOTICES.get(str(request.query_params.get("done") or ""))
        return customers_page(
            request, "workreports/_index.html", me, _("Work reports"), "work_reports",
            kind=kind, kinds=KINDS, draft=draft, form=form, reports=reports, figures=FIGURES,
            locked=bool(draft.comments), notice=_(notice) if notice else None, status_code=status_code,
        )  # fmt: skip

    @get("")
    async def index(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        kind: FromQuery[str] = "daily",
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        return await self._page(request, api, me, kind if kind in KINDS else "daily", cursor=cursor)

    @get("/missing")
    async def missing(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        kind: FromQuery[str] = "daily",
        date: FromQuery[str | None] = None,
    ) -> Template:
        """Who in the reader's scope was asked for the report of the period and has not submitted it."""
        kind = kind if kind in KINDS else "daily"
        try:
            day = dt.date.fromisoformat(date).isoformat() if date else None
        except ValueError:
            day = None
        answer = await api.work_report_missing(kind, day)
        return customers_page(
            request, "workreports/_missing.html", me, _("Not submitted"), "work_reports",
            kind=kind, kinds=KINDS, answer=answer, day=day or answer.period_start.isoformat(),
            last_day=answer.period_end - dt.timedelta(days=1),
        )  # fmt: skip

    @post("")
    async def submit(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any] | Template:
        data = await request.form()
        kind = str(data.get("kind") or "daily")
        kind = kind if kind in KINDS else "daily"
        form, submitted = Form.read(FIELDS, data)
        draft = await api.work_report_draft(kind)
        body = {"kind": kind, "date": draft.period_start.isoformat(), **submitted}
        try:
            await api.submit_work_report(body)
        except ApiError as error:
            if error.status >= 500 or error.status in (401, 403):
                raise
            form.refuse(error)
            return await self._page(request, api, me, kind, form=form, status_code=422)
        return redirect(request, f"/work-reports?kind={kind}&done=submitted")

    @get("/{report_id:uuid}")
    async def show(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        report_id: FromPath[uuid.UUID],
    ) -> Template:
        return await self._show(request, api, me, str(report_id))

    async def _show(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, report_id: str, form: Form | None = None,
        status_code: int = 200,
    ) -> Template:  # fmt: skip
        report = await api.work_report(report_id)
        notice = NOTICES.get(str(request.query_params.get("done") or ""))
        return customers_page(
            request, "workreports/_show.html", me, _("Work report"), "work_reports",
            report=report, kinds=KINDS, figures=FIGURES, form=form or Form(COMMENT_FIELDS),
            notice=_(notice) if notice else None, status_code=status_code,
        )  # fmt: skip

    @post("/{report_id:uuid}/comments")
    async def comment(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        report_id: FromPath[uuid.UUID],
    ) -> Response[Any] | Template:
        data = await request.form()
        form, submitted = Form.read(COMMENT_FIELDS, data)
        form.require(submitted, "body")
        if not form.invalid:
            try:
                await api.comment_work_report(str(report_id), submitted["body"])
            except ApiError as error:
                if error.status >= 500 or error.status in (401, 403, 404):
                    raise
                form.refuse(error)
        if form.invalid:
            return await self._show(request, api, me, str(report_id), form=form, status_code=422)
        return redirect(request, f"/work-reports/{report_id}?done=commented")
