"""Tasks done and opened again, and the calendar (日程): the tasks and meetings of a week, one's own or, through
the picker, a colleague's or a department's that one's data scope reaches (the API decides)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import structlog
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from guanxi_web.activities import (
    Whose,
    picker_options,
    read_week,
    read_whose,
    week_bounds,
    week_days,
    week_of,
    zone_of,
)
from guanxi_web.api_client import ApiCaller, ApiError, Me, optional
from guanxi_web.controllers.customers import account_names, customers_page
from guanxi_web.dependencies import provide_me
from guanxi_web.i18n import _
from guanxi_web.rendering import fragment
from guanxi_web.session import hx_target, redirect, safe_next

log = structlog.get_logger("web.activities")


class ActivityController(Controller):
    path = "/activities"
    tags = ["activities"]
    dependencies = {"me": Provide(provide_me)}

    @post("/{activity_id:uuid}/done")
    async def done(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        activity_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Tick a task off (or open it again); HTMX swaps just the task, a plain form goes back where it was."""
        data = await request.form()
        done = str(data.get("done") or "true") != "false"
        back = str(data.get("back") or "")
        try:
            activity = await api.set_task_done(str(activity_id), done)
        except ApiError as error:
            if error.status != 403:
                raise
            return customers_page(request, "activities/_no_access.html", me, _("Tasks"), "calendar", status_code=403)
        log.info("task.done" if done else "task.reopened", activity_id=str(activity_id))
        target = hx_target(request) or ""
        if target.startswith("calendar-"):
            names = await account_names(api, [str(activity.account_id)])
            return fragment(
                "activities/_calendar_item.html", item=activity, zone=zone_of(me), accounts=names, back=back
            )
        if target.startswith("activity-"):
            return fragment("activities/_activity_item.html", activity=activity, zone=zone_of(me))
        return redirect(request, safe_next(back, f"/accounts/{activity.account_id}#timeline"))


class CalendarController(Controller):
    path = "/calendar"
    tags = ["activities"]
    dependencies = {"me": Provide(provide_me)}

    @get("")
    async def calendar(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        zone = zone_of(me)
        today = dt.datetime.now(zone).date()
        monday = read_week(request.query_params.get("week"), today)
        whose = read_whose(request.query_params.get("who"), me)
        start, end = week_bounds(monday, zone)
        refusal, status_code = None, 200
        try:
            items = await api.calendar(start.isoformat(), end.isoformat(), whose.owner_id, whose.department_id)
        except ApiError as error:
            if error.status not in (403, 422):
                raise
            # Someone outside one's scope (or no longer there): one's own calendar, and why.
            refusal, status_code, whose = _("That calendar is outside your data scope."), error.status, Whose()
            items = await api.calendar(start.isoformat(), end.isoformat())
        people = await optional(api.calendar_people())
        names = await account_names(api, [str(item.account_id) for item in items])
        days = week_days(monday, items, zone, today)
        who = f"&who={whose.value}" if whose.value else ""
        return customers_page(
            request,
            "activities/_calendar.html",
            me,
            _("Calendar"),
            "calendar",
            days=days,
            accounts=names,
            zone=zone,
            whose=whose,
            picker=picker_options(people, me),
            owners={str(m.id): m.name for m in people.members} if people else {},
            refusal=refusal,
            monday=monday,
            sunday=monday + dt.timedelta(days=6),
            previous=f"/calendar?week={monday - dt.timedelta(days=7)}{who}",
            following=f"/calendar?week={monday + dt.timedelta(days=7)}{who}",
            this_week=f"/calendar?week={week_of(today)}{who}" if monday != week_of(today) else None,
            back=f"/calendar?week={monday}{who}",
            status_code=status_code,
        )
