"""The notification centre: the bell's count, the member's notifications (read one, read all) and how they want
to hear of each kind (in the app; mailed at once, in the daily digest or not)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Response, Template

from guanxi_web.api_client import ApiCaller, ApiError, Me
from guanxi_web.controllers.customers import customers_page
from guanxi_web.dependencies import provide_me
from guanxi_web.i18n import N_, _
from guanxi_web.rendering import fragment
from guanxi_web.session import redirect, safe_next

EMAIL_LABELS = {"instant": N_("At once"), "digest": N_("In the daily digest"), "none": N_("Never")}
# What each kind is called on the preferences page; a kind the page does not know yet shows its key.
KIND_LABELS: dict[str, str] = {
    "announcement": N_("Announcements"),
    "work_report.comment": N_("Comments on your work reports"),
    "work_report.reminder": N_("Work report reminders"),
    "churn.at_risk": N_("Customers at risk of churning"),
    "billing.payment_failed": N_("A payment for the workspace failed"),
    "billing.payment_recovered": N_("A failed payment came through"),
    "billing.trial_ending": N_("The free trial is ending"),
    "billing.grace_ending": N_("A failed payment's grace is ending"),
    "billing.read_only": N_("The workspace became read-only"),
    "billing.records_full": N_("A web form refused a lead: the plan is full"),
}
NOTICES = {"prefs-saved": N_("Your notification preferences are saved."), "all-read": N_("All caught up.")}
BADGE_MAX = 99


def kind_label(kind: str) -> str:
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


class NotificationController(Controller):
    path = "/notifications"
    tags = ["notifications"]
    dependencies = {"me": Provide(provide_me)}

    @get("")
    async def inbox(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        unread: FromQuery[bool] = False,
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        try:
            page = await api.notifications(unread=unread, cursor=cursor)
        except ApiError as error:
            if error.status not in (400, 422):
                raise
            page = await api.notifications(unread=unread)  # a stale or edited cursor: start from the top
        notice = NOTICES.get(str(request.query_params.get("done") or ""))
        return customers_page(
            request, "notifications/_inbox.html", me, _("Notifications"), "notifications",
            page=page, unread=unread, notice=_(notice) if notice else None,
        )  # fmt: skip

    @get("/bell")
    async def bell(self, api: NamedDependency[ApiCaller]) -> Template:
        """The header's bell with the unread count; HTMX asks for it after each page and every minute."""
        try:
            count = await api.unread_notifications()
        except ApiError:
            count = 0
        return fragment("notifications/_bell.html", count=count, shown=f"{BADGE_MAX}+" if count > BADGE_MAX else count)

    @post("/{notification_id:uuid}/read")
    async def read(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], notification_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """Mark it read, then go where it points (a path on this site) or back to the list."""
        data = await request.form()
        row = await api.mark_notification_read(str(notification_id))
        target = "/notifications" if str(data.get("stay") or "") else safe_next(row.get("link"), "/notifications")
        return redirect(request, target)

    @post("/read-all")
    async def read_all(self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller]) -> Response[Any]:
        await api.mark_all_notifications_read()
        return redirect(request, "/notifications?done=all-read")

    @get("/preferences")
    async def preferences(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        notice = NOTICES.get(str(request.query_params.get("done") or ""))
        return customers_page(
            request, "notifications/_preferences.html", me, _("Notification preferences"), "notifications",
            preferences=await api.notification_preferences(), kind_label=kind_label, email_labels=EMAIL_LABELS,
            notice=_(notice) if notice else None, error=None,
        )  # fmt: skip

    @post("/preferences")
    async def save_preferences(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any] | Template:
        data = await request.form()
        current = await api.notification_preferences()
        items = []
        for preference in current:
            email = str(data.get(f"email:{preference.kind}") or preference.email)
            items.append({"kind": preference.kind, "in_app": data.get(f"in_app:{preference.kind}") == "on",
                          "email": email})  # fmt: skip
        try:
            await api.set_notification_preferences(items)
        except ApiError as error:
            if error.status != 422:
                raise
            return customers_page(
                request, "notifications/_preferences.html", me, _("Notification preferences"), "notifications",
                preferences=current, kind_label=kind_label, email_labels=EMAIL_LABELS, notice=None,
                error=_("Some choices could not be saved. Please choose again."), status_code=422,
            )  # fmt: skip
        return redirect(request, "/notifications/preferences?done=prefs-saved")
