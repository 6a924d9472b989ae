"""Announcements (公告): the ones addressed to the member, one opened (which leaves the read receipt) with who
has read it for its author and administrators, and the editor administrators publish with."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Response, Template

from guanxi_web.api_client import ApiCaller, ApiError, Me, optional
from guanxi_web.controllers.customers import customers_page
from guanxi_web.dependencies import provide_me
from guanxi_web.forms import Form
from guanxi_web.i18n import N_, _
from guanxi_web.rendering import fragment, is_admin
from guanxi_web.session import redirect

FIELDS = {"title": N_("Title"), "body": N_("Text"), "department_ids": N_("Audience"), "pinned": N_("Pin to the top")}


class AnnouncementController(Controller):
    path = "/announcements"
    tags = ["announcements"]
    dependencies = {"me": Provide(provide_me)}

    @get("")
    async def index(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        try:
            page = await api.announcements(cursor=cursor)
        except ApiError as error:
            if error.status not in (400, 422):
                raise
            page = await api.announcements()
        published = request.query_params.get("done") == "published"
        return customers_page(
            request, "announcements/_index.html", me, _("Announcements"), "announcements",
            page=page, can_publish=is_admin(me), notice=_("The announcement is published.") if published else None,
        )  # fmt: skip

    @get("/banner")
    async def banner(self, api: NamedDependency[ApiCaller]) -> Template:
        """The home page's banner: the newest announcement (pinned first) the member has not read yet."""
        try:
            unread = (await api.announcements(unread=True)).items
        except ApiError:
            unread = []
        return fragment("announcements/_banner.html", item=unread[0] if unread else None, more=len(unread) - 1)

    async def _editor(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, form: Form, status_code: int = 200
    ) -> Template:
        departments = await optional(api.departments()) or []
        return customers_page(
            request, "announcements/_new.html", me, _("New announcement"), "announcements",
            form=form, departments=[(str(d.id), d.name) for d in departments], status_code=status_code,
        )  # fmt: skip

    @get("/new")
    async def new(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        return await self._editor(request, api, me, Form(FIELDS))

    @post("")
    async def publish(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any] | Template:
        data = await request.form()
        form, submitted = Form.read(FIELDS, data)
        chosen = [str(v) for v in data.getall("department_ids", [])]
        form.choices["department_ids"] = chosen
        form.require(submitted, "title")
        if not form.invalid:
            body = {"title": submitted["title"], "body": submitted["body"], "pinned": bool(submitted["pinned"]),
                    "department_ids": chosen}  # fmt: skip
            try:
                await api.publish_announcement(body)
            except ApiError as error:
                if error.status >= 500 or error.status in (401, 403):
                    raise
                form.refuse(error)
        if form.invalid:
            return await self._editor(request, api, me, form, status_code=422)
        return redirect(request, "/announcements?done=published")

    @get("/{announcement_id:uuid}")
    async def show(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        announcement_id: FromPath[uuid.UUID],
    ) -> Template:
        announcement = await api.announcement(str(announcement_id))
        receipts = None
        if announcement.author_id == me.user.id or is_admin(me):
            receipts = await optional(api.announcement_receipts(str(announcement_id)))
        return customers_page(
            request, "announcements/_show.html", me, announcement.title, "announcements",
            announcement=announcement, receipts=receipts,
        )  # fmt: skip
