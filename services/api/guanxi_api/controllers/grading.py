"""Customer grading (客户分级): settings, runs on demand, the report, the distribution; manual grades per account."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from guanxi.domain.access.service import Access
from guanxi.domain.grading import service
from guanxi.domain.grading.models import GradingRun
from guanxi.domain.grading.schemas import (
    AccountGradeOut,
    Distribution,
    Grade,
    GradingSettingsIn,
    GradingSettingsOut,
    GrowthScoreIn,
    HistoryOut,
    LatestRun,
    ManualGradeIn,
    ReportPage,
    ReportRow,
    RunOut,
)
from guanxi.domain.identity.service import AuthContext
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import audit_action, auth_needing, provide_access
from guanxi_api.openapi import problems

Limit = Annotated[int, Parameter(ge=1, le=200)]


def run_out(run: GradingRun) -> RunOut:
    return RunOut(id=run.id, status=run.status, trigger=run.trigger, created_at=run.created_at,
                  finished_at=run.finished_at, scored=run.scored, changed=run.changed,
                  duration_ms=run.duration_ms)  # fmt: skip


class GradingController(Controller):
    path = "/api/v1/grading"
    tags = ["grading"]
    dependencies = {"auth": Provide(auth_needing("grading")), "access": Provide(provide_access)}

    @get("/settings", summary="The workspace's grading settings", responses=problems(401, 403))
    async def get_settings(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> GradingSettingsOut:
        auth.require_token_scope("customers", "read")
        access.require("customers", "read")
        config = await service.get_config(db, auth.scope)
        can_edit = access.can(service.SETTINGS_MODULE, "update")
        return msgspec.convert({**config, "can_edit": can_edit}, GradingSettingsOut)

    @put("/settings", summary="Change the grading settings (administrators)", responses=problems(400, 401, 403, 422))
    async def put_settings(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[GradingSettingsIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> GradingSettingsOut:
        auth.require_token_scope("settings", "write")
        config = await service.save_config(db, access, data)
        await audit_action(db, auth, request, "grading.settings_changed", target_type="grading", target_id=None)
        await db.commit()
        return msgspec.convert({**config, "can_edit": True}, GradingSettingsOut)

    @post("/runs", status_code=202, summary="Grade every customer now (the open run if one is under way)",
          responses=problems(401, 403))  # fmt: skip
    async def start_run(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> RunOut:
        auth.require_token_scope("settings", "write")
        access.require("settings", "update")
        run, _ = await service.request_run(db, auth.scope, trigger="manual", member_id=access.member_id)
        out = run_out(run)
        await db.commit()
        return out

    @get("/runs/latest", summary="The latest grading run and its status", responses=problems(401, 403))
    async def latest(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> LatestRun:
        auth.require_token_scope("customers", "read")
        access.require("customers", "read")
        run = await service.latest_run(db, auth.scope)
        return LatestRun(run_out(run) if run else None)

    @get("/report", summary="Each customer's criteria, points, score and grade from the latest run (keyset)",
         responses=problems(401, 403, 422))  # fmt: skip
    async def report(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        grade: FromQuery[Grade | None] = None,
        owner_id: FromQuery[uuid.UUID | None] = None,
        manual: FromQuery[bool | None] = None,
        q: FromQuery[Annotated[str | None, Parameter(max_length=200)]] = None,
        cursor: FromQuery[Annotated[str | None, Parameter(max_length=500)]] = None,
        limit: FromQuery[Limit] = 50,
    ) -> ReportPage:
        auth.require_token_scope("customers", "read")
        filters = {"grade": grade, "owner_id": owner_id, "manual": manual, "q": q}
        run, items, next_cursor = await service.report(db, access, filters=filters, cursor=cursor, limit=limit)
        return ReportPage(run=run_out(run) if run else None, items=msgspec.convert(items, list[ReportRow]),
                          next_cursor=next_cursor)  # fmt: skip

    @get("/report/export", summary="The grading report as CSV or XLSX (same filters, up to 100,000 rows)",
         responses=problems(401, 403, 422))  # fmt: skip
    async def export(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        format: FromQuery[Annotated[str, Parameter(pattern="^(csv|xlsx)$")]] = "csv",
        grade: FromQuery[Grade | None] = None,
        owner_id: FromQuery[uuid.UUID | None] = None,
        manual: FromQuery[bool | None] = None,
        q: FromQuery[Annotated[str | None, Parameter(max_length=200)]] = None,
    ) -> Response[bytes]:
        auth.require_token_scope("customers", "read")
        access.require("customers", "export")
        filters = {"grade": grade, "owner_id": owner_id, "manual": manual, "q": q}
        body, media = await service.export_report(db, access, filters, format)
        name = f"grading.{format}"
        return Response(body, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'})

    @get("/distribution", summary="Customers per grade now; grade moves between two dates",
         responses=problems(401, 403, 422))  # fmt: skip
    async def distribution(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        date_from: FromQuery[dt.date | None] = None,
        date_to: FromQuery[dt.date | None] = None,
    ) -> Distribution:
        auth.require_token_scope("customers", "read")
        return msgspec.convert(await service.distribution(db, access, date_from, date_to), Distribution)


class AccountGradeController(Controller):
    path = "/api/v1/accounts/{account_id:uuid}"
    tags = ["grading"]
    dependencies = {"auth": Provide(auth_needing("grading")), "access": Provide(provide_access)}

    @get("/grade", summary="The account's grade, whether it was set by hand and why", responses=problems(401, 404))
    async def get_grade(
        self,
        account_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> AccountGradeOut:
        auth.require_token_scope("customers", "read")
        return msgspec.convert(await service.account_grade(db, access, account_id), AccountGradeOut)

    @put("/grade", summary="Set a manual grade, with its reason (managers); it stays over runs until removed",
         responses=problems(400, 401, 403, 404, 422))  # fmt: skip
    async def put_grade(
        self,
        request: Request[Any, Any, Any],
        account_id: FromPath[uuid.UUID],
        data: JSONBody[ManualGradeIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> AccountGradeOut:
        auth.require_token_scope("customers", "write")
        found = await service.set_manual(db, access, account_id, data.grade, data.reason)
        await audit_action(db, auth, request, "account.grade_set", target_type="account", target_id=account_id)
        await db.commit()
        return msgspec.convert(found, AccountGradeOut)

    @delete("/grade", status_code=200, summary="Remove the manual grade; the computed one comes back",
            responses=problems(401, 403, 404))  # fmt: skip
    async def delete_grade(
        self,
        request: Request[Any, Any, Any],
        account_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> AccountGradeOut:
        auth.require_token_scope("customers", "write")
        found = await service.remove_manual(db, access, account_id)
        await audit_action(db, auth, request, "account.grade_removed", target_type="account", target_id=account_id)
        await db.commit()
        return msgspec.convert(found, AccountGradeOut)

    @put("/growth-score", summary="Set the growth prospect score 0-100 (managers); null removes it",
         responses=problems(400, 401, 403, 404, 422))  # fmt: skip
    async def put_growth(
        self,
        account_id: FromPath[uuid.UUID],
        data: JSONBody[GrowthScoreIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> AccountGradeOut:
        auth.require_token_scope("customers", "write")
        found = await service.set_growth(db, access, account_id, data.score)
        await db.commit()
        return msgspec.convert(found, AccountGradeOut)

    @get("/grade-history", summary="The account's grade changes, newest first", responses=problems(401, 404))
    async def grade_history(
        self,
        account_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> list[HistoryOut]:
        auth.require_token_scope("customers", "read")
        rows = await service.history(db, access, account_id)
        return [HistoryOut(r.id, r.from_grade, r.to_grade, r.source, r.reason, r.run_id, r.actor_id, r.changed_at)
                for r in rows]  # fmt: skip
