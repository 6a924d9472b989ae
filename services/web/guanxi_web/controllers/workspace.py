"""The signed-in workspace: home, the sections still to come, switching and creating workspaces."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import structlog
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from guanxi_web import i18n
from guanxi_web.api_client import ApiCaller, ApiError, ApiUnavailable, Me, Pipeline
from guanxi_web.dependencies import provide_me
from guanxi_web.errors import did_not_work
from guanxi_web.forms import WORKSPACE_FIELDS, Form, refusal_status
from guanxi_web.i18n import _
from guanxi_web.navigation import BY_SLUG
from guanxi_web.rendering import app_page
from guanxi_web.session import redirect

log = structlog.get_logger("web.workspace")
T = TypeVar("T")


async def load_pipeline(api: ApiCaller, me: Me) -> Pipeline | None:
    """The workspace's pipeline, or None when there is none to show (home still renders)."""
    if me.workspace is None:
        return None
    try:
        return await api.pipeline()
    except ApiError as error:
        if error.status == 401:
            raise
        log.warning("pipeline.unavailable", status=error.status, kind=error.kind)
    except ApiUnavailable:
        log.warning("pipeline.unavailable", status=None)
    return None


async def answer_or_none(call: Awaitable[T]) -> T | None:
    """Something home would like to show, or None when the API cannot tell this reader right now."""
    try:
        return await call
    except ApiError as error:
        if error.status == 401:
            raise
        log.info("home.step_unknown", status=error.status, kind=error.kind)
    except ApiUnavailable:
        log.warning("home.step_unknown", status=None)
    return None


async def none() -> None:
    return None


async def first_steps(api: ApiCaller, me: Me) -> tuple[bool, bool]:
    """Has the workspace an account yet, and has anyone joined the reader? Unknown counts as not yet."""
    if me.workspace is None:
        return False, False
    accounts, members = await asyncio.gather(
        answer_or_none(api.accounts({"limit": "1"})), answer_or_none(api.members())
    )
    has_accounts = bool(accounts and accounts.items)
    has_colleagues = bool(members and sum(member.status == "active" for member in members) > 1)
    return has_accounts, has_colleagues


def new_workspace_page(request: Request[Any, Any, Any], me: Me, form: Form, status_code: int = 200) -> Template:
    return app_page(
        request,
        "workspace/_new.html",
        me=me,
        title=_("Create a workspace"),
        active="settings",
        form=form,
        status_code=status_code,
    )


class WorkspaceController(Controller):
    tags = ["workspace"]
    dependencies = {"me": Provide(provide_me)}

    @get("/home")
    async def home(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        pipeline, (has_accounts, has_colleagues), dashboard = await asyncio.gather(
            load_pipeline(api, me), first_steps(api, me), answer_or_none(api.dashboard()) if me.workspace else none()
        )
        return app_page(
            request,
            "workspace/_home.html",
            me=me,
            title=_("Home"),
            active="home",
            pipeline=pipeline,
            dashboard=dashboard,
            has_accounts=has_accounts,
            has_colleagues=has_colleagues,
            checklist_done=sum((me.user.email_verified, has_accounts, has_colleagues)),
            checklist_total=3,
        )

    @get("/w/{slug:str}")
    async def section(
        self, request: Request[Any, Any, Any], slug: FromPath[str], me: NamedDependency[Me]
    ) -> Response[Any]:
        section = BY_SLUG.get(slug)
        if section is None:
            raise NotFoundException
        if section.built:  # its "coming soon" page was bookmarked before the section was built
            return Redirect(section.href, status_code=301)
        return app_page(request, "workspace/_section.html", me=me, title=_(section.label), active=slug, section=section)

    @get("/workspaces/new")
    async def new_workspace(self, request: Request[Any, Any, Any], me: NamedDependency[Me]) -> Template:
        return new_workspace_page(request, me, Form(WORKSPACE_FIELDS, values={"locale": i18n.current_locale()}))

    @post("/workspaces")
    async def create_workspace(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any]:
        form, submitted = Form.read(WORKSPACE_FIELDS, await request.form())
        form.keep_supported_locale(submitted)
        form.require(submitted, "name")
        if form.invalid:
            return new_workspace_page(request, me, form, 422)
        try:
            workspace = await api.create_workspace(name=submitted["name"], locale=submitted["locale"])
        except ApiError as error:
            if error.status == 401:
                raise
            form.refuse(error)
            return new_workspace_page(request, me, form, refusal_status(error))
        log.info("workspace.created", workspace_id=str(workspace.id))
        return redirect(request, "/home")

    @post("/workspaces/switch")
    async def switch_workspace(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any]:
        workspace_id = str((await request.form()).get("workspace_id") or "")
        if workspace_id not in {str(workspace.id) for workspace in me.workspaces}:
            return did_not_work(request, 422)
        await api.switch_workspace(workspace_id)
        log.info("workspace.switched", workspace_id=workspace_id)
        return redirect(request, "/home")
