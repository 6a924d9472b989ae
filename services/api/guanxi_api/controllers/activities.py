"""Activities (跟进记录 and tasks), an account's and a contact's timeline and a member's calendar."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from guanxi.domain.access.service import Access
from guanxi.domain.activities import service
from guanxi.domain.activities.schemas import (
    ActivityIn,
    ActivityOut,
    ActivityPage,
    CalendarDepartment,
    CalendarPeople,
    CalendarPerson,
    Kind,
    TimelineItem,
    TimelinePage,
)
from guanxi.domain.identity.service import AuthContext
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import provide_access, provide_auth
from guanxi_api.openapi import problems

Limit = Annotated[int, Parameter(ge=1, le=200)]


def activity_out(row: dict[str, Any]) -> ActivityOut:
    return msgspec.convert(row, ActivityOut)


class ActivityController(Controller):
    path = "/api/v1"
    tags = ["activities"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    @get("/activities", summary="Activities you may see, newest first (keyset pages)", responses=problems(401, 403))
    async def list_activities(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        account_id: FromQuery[uuid.UUID | None] = None,
        contact_id: FromQuery[uuid.UUID | None] = None,
        owner_id: FromQuery[uuid.UUID | None] = None,
        kind: FromQuery[Kind | None] = None,
        open_tasks: FromQuery[bool] = False,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> ActivityPage:
        auth.require_token_scope("activities", "read")
        rows, next_cursor = await service.list_activities(
            db,
            access,
            account_id=account_id,
            contact_id=contact_id,
            owner_id=owner_id,
            kind=kind,
            open_tasks=open_tasks,
            cursor=cursor,
            limit=limit,
        )
        return ActivityPage(items=[activity_out(row) for row in rows], next_cursor=next_cursor)

    @post(
        "/activities",
        status_code=201,
        summary="Log a call, meeting, visit, email or note, or add a task",
        responses=problems(400, 401, 403, 422),
    )
    async def create_activity(
        self,
        data: JSONBody[ActivityIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ActivityOut:
        auth.require_token_scope("activities", "write")
        row = await service.create(db, access, data)
        await db.commit()
        return activity_out(row)

    @get("/activities/{activity_id:uuid}", summary="One activity", responses=problems(401, 403, 404))
    async def get_activity(
        self,
        activity_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ActivityOut:
        auth.require_token_scope("activities", "read")
        return activity_out(await service.get(db, access, activity_id))

    @patch("/activities/{activity_id:uuid}", summary="Change an activity", responses=problems(400, 401, 403, 404, 422))
    async def change_activity(
        self,
        activity_id: FromPath[uuid.UUID],
        data: JSONBody[ActivityIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ActivityOut:
        auth.require_token_scope("activities", "write")
        row = await service.change(db, access, activity_id, data)
        await db.commit()
        return activity_out(row)

    @post(
        "/activities/{activity_id:uuid}/done",
        status_code=200,
        summary="Mark a task done (or open again with done=false)",
        responses=problems(401, 403, 404, 422),
    )
    async def task_done(
        self,
        activity_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        done: FromQuery[bool] = True,
    ) -> ActivityOut:
        auth.require_token_scope("activities", "write")
        row = await service.set_done(db, access, activity_id, done)
        await db.commit()
        return activity_out(row)

    @delete(
        "/activities/{activity_id:uuid}",
        status_code=204,
        summary="Delete an activity",
        responses=problems(401, 403, 404),
    )
    async def delete_activity(
        self,
        activity_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> None:
        auth.require_token_scope("activities", "write")
        await service.delete(db, access, activity_id)
        await db.commit()

    @get(
        "/calendar",
        summary="Tasks and meetings due in a time range: yours, a colleague's, or a department's, in your scope",
        description="`owner_id` (a colleague) or `department_id` (its members and those of its sub-departments "
        "that your data scope reaches); neither: yours. A colleague outside your scope, or a department with "
        "nobody in it, is a 403.",
        responses=problems(401, 403, 422),
    )
    async def calendar(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        start: FromQuery[dt.datetime],
        end: FromQuery[dt.datetime],
        owner_id: FromQuery[uuid.UUID | None] = None,
        department_id: FromQuery[uuid.UUID | None] = None,
    ) -> list[ActivityOut]:
        auth.require_token_scope("activities", "read")
        rows = await service.calendar(db, access, owner_id, start, end, department_id)
        return [activity_out(row) for row in rows]

    @get(
        "/calendar/people",
        summary="Whose calendars you may open: colleagues in your data scope and the departments they are in",
        responses=problems(401, 403),
    )
    async def calendar_people(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> CalendarPeople:
        auth.require_token_scope("activities", "read")
        members, departments = await service.calendar_people(db, access)
        return CalendarPeople(
            members=[CalendarPerson(id=i, name=n, department_id=d) for i, n, d in members],
            departments=[CalendarDepartment(id=i, name=n, parent_id=p) for i, n, p in departments],
        )

    @get(
        "/accounts/{account_id:uuid}/timeline",
        summary="An account's activities and the change history of it and its contacts, newest first",
        responses=problems(401, 403, 404, 422),
    )
    async def timeline(
        self,
        account_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> TimelinePage:
        auth.require_token_scope("customers", "read")
        items, next_cursor = await service.timeline(db, access, account_id, cursor, limit)
        return TimelinePage(items=msgspec.convert(items, list[TimelineItem]), next_cursor=next_cursor)

    @get(
        "/deals/{deal_id:uuid}/timeline",
        summary="A deal's history and the activities logged on its account, newest first",
        responses=problems(401, 403, 404, 422),
    )
    async def deal_timeline(
        self,
        deal_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> TimelinePage:
        auth.require_token_scope("deals", "read")
        items, next_cursor = await service.deal_timeline(db, access, deal_id, cursor, limit)
        return TimelinePage(items=msgspec.convert(items, list[TimelineItem]), next_cursor=next_cursor)

    @get(
        "/contacts/{contact_id:uuid}/timeline",
        summary="A contact's activities and change history, newest first",
        responses=problems(401, 403, 404, 422),
    )
    async def contact_timeline(
        self,
        contact_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> TimelinePage:
        auth.require_token_scope("contacts", "read")
        items, next_cursor = await service.contact_timeline(db, access, contact_id, cursor, limit)
        return TimelinePage(items=msgspec.convert(items, list[TimelineItem]), next_cursor=next_cursor)
