"""Work reports: write yours pre-filled with your figures, read and comment those in your scope; administrators set
who must submit which report by when, and readers see who in their scope has not submitted."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from guanxi.domain.access.service import Access
from guanxi.domain.identity.service import AuthContext
from guanxi.domain.workreports import service
from guanxi.domain.workreports.schemas import (
    CommentIn,
    MissingOut,
    ReportIn,
    ReportKind,
    ReportOut,
    ReportPage,
    RuleIn,
    RuleOut,
)
from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import audit_action, provide_access, provide_auth
from guanxi_api.openapi import problems

Limit = Annotated[int, Parameter(ge=1, le=200)]


class WorkReportController(Controller):
    path = "/api/v1/work-reports"
    tags = ["work reports"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    @get(
        "/draft",
        summary="Your report of the period, pre-filled with your own figures",
        responses=problems(401, 403, 422),
    )
    async def draft(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        kind: FromQuery[ReportKind],
        date: FromQuery[dt.date | None] = None,
    ) -> ReportOut:
        auth.require_token_scope("activities", "read")
        day = date or await service.local_today(db, access)  # the author's today, as the reminders count it
        return msgspec.convert(await service.draft(db, access, kind, day), ReportOut)

    @put(
        "",
        summary="Submit (or change, until commented) your report of the period",
        responses=problems(400, 401, 403, 409, 422),
    )
    async def submit(
        self,
        data: JSONBody[ReportIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ReportOut:
        auth.require_token_scope("activities", "write")
        report_id = await service.submit(db, access, data)
        answer = await service.read(db, access, report_id)
        await db.commit()
        return msgspec.convert(answer, ReportOut)

    @get("", summary="Reports you may read (yours and your scope's), newest first", responses=problems(401, 422))
    async def listing(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        kind: FromQuery[ReportKind | None] = None,
        author_id: FromQuery[uuid.UUID | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> ReportPage:
        auth.require_token_scope("activities", "read")
        rows, next_cursor = await service.listing(
            db, access, kind=kind, author_id=author_id, cursor=cursor, limit=limit
        )
        return ReportPage(items=msgspec.convert(rows, list[ReportOut]), next_cursor=next_cursor)

    @get("/{report_id:uuid}", summary="One report with its comments", responses=problems(401, 404))
    async def read(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        report_id: FromPath[uuid.UUID],
    ) -> ReportOut:
        auth.require_token_scope("activities", "read")
        return msgspec.convert(await service.read(db, access, report_id), ReportOut)

    @post(
        "/{report_id:uuid}/comments",
        status_code=201,
        summary="Comment on a report you may read; its author is notified",
        responses=problems(400, 401, 404, 422),
    )
    async def comment(
        self,
        data: JSONBody[CommentIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        report_id: FromPath[uuid.UUID],
    ) -> ReportOut:
        auth.require_token_scope("activities", "write")
        answer = await service.comment(db, access, report_id, data.body)
        await db.commit()
        return msgspec.convert(answer, ReportOut)

    # ---- submission rules and who has not submitted

    @get(
        "/missing",
        summary="Who in your scope was asked for the report of the period (default: today) and has not submitted it",
        responses=problems(401, 403, 422),
    )
    async def missing(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        kind: FromQuery[ReportKind],
        date: FromQuery[dt.date | None] = None,
    ) -> MissingOut:
        auth.require_token_scope("activities", "read")
        return msgspec.convert(await service.missing(db, access, kind, date), MissingOut)

    @get("/rules", summary="The workspace's submission rules", responses=problems(401, 403))
    async def rules(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> list[RuleOut]:
        auth.require_token_scope("activities", "read")
        return msgspec.convert(await service.rules(db, access), list[RuleOut])

    @post(
        "/rules",
        status_code=201,
        summary="Add a submission rule (administrators)",
        responses=problems(400, 401, 403, 422),
    )
    async def create_rule(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[RuleIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> RuleOut:
        auth.require_token_scope("settings", "write")
        rule_id = await service.create_rule(db, access, data)
        answer = await service.rule(db, access, rule_id)
        await audit_action(
            db, auth, request, "work_report_rule.created", target_type="work_report_rule", target_id=rule_id,
            name=answer["name"], kind=answer["kind"],
        )  # fmt: skip
        await db.commit()
        return msgspec.convert(answer, RuleOut)

    @get("/rules/{rule_id:uuid}", summary="One submission rule", responses=problems(401, 403, 404))
    async def rule(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        rule_id: FromPath[uuid.UUID],
    ) -> RuleOut:
        auth.require_token_scope("activities", "read")
        return msgspec.convert(await service.rule(db, access, rule_id), RuleOut)

    @put(
        "/rules/{rule_id:uuid}",
        summary="Change a submission rule (administrators; the whole rule)",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def change_rule(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[RuleIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        rule_id: FromPath[uuid.UUID],
    ) -> RuleOut:
        auth.require_token_scope("settings", "write")
        await service.change_rule(db, access, rule_id, data)
        answer = await service.rule(db, access, rule_id)
        await audit_action(
            db, auth, request, "work_report_rule.changed", target_type="work_report_rule", target_id=rule_id,
            name=answer["name"], kind=answer["kind"], enabled=answer["enabled"],
        )  # fmt: skip
        await db.commit()
        return msgspec.convert(answer, RuleOut)

    @delete(
        "/rules/{rule_id:uuid}",
        status_code=204,
        summary="Remove a submission rule (administrators)",
        responses=problems(401, 403, 404),
    )
    async def delete_rule(
        self,
        request: Request[Any, Any, Any],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        rule_id: FromPath[uuid.UUID],
    ) -> None:
        auth.require_token_scope("settings", "write")
        await service.delete_rule(db, access, rule_id)
        await audit_action(
            db, auth, request, "work_report_rule.deleted", target_type="work_report_rule", target_id=rule_id
        )
        await db.commit()
