"""Reports: predefined reports, the report builder, saved and shared reports, exports as CSV, XLSX and PDF.
Thin: parse, authorize the token, call the service."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal
from urllib.parse import quote

import msgspec
from guanxi.domain.access.service import Access
from guanxi.domain.identity.service import AuthContext
from guanxi.domain.reports import builder, service
from guanxi.domain.reports.registry import REPORTS, unknown_report
from guanxi.domain.reports.schemas import (
    BuilderIn,
    EntityOut,
    ReportOut,
    SavedIn,
    SavedOut,
    ScheduleIn,
    ScheduleOut,
    TableOut,
)
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import auth_needing, provide_access, provide_auth
from guanxi_api.openapi import problems

Format = Literal["csv", "xlsx", "pdf"]
BUILDER = {"auth": Provide(auth_needing("reports_builder"))}  # the builder's routes: plans with the builder only
RESERVED = {"format"}


def _params(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return {k: v for k, v in request.query_params.items() if k not in RESERVED}


def _file(answer: dict[str, Any], fmt: str, name: str) -> Response[bytes]:
    filename = f"{name}.{fmt}"
    return Response(
        service.export(answer, fmt),
        media_type=service.FORMATS[fmt],
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def _module_of(key: str) -> str:
    found = REPORTS.get(key)
    if found is None:
        raise unknown_report(key)
    return found.module


class ReportController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    @get("", summary="The predefined reports the reader may run", responses=problems(401))
    async def index(self, auth: NamedDependency[AuthContext], access: NamedDependency[Access]) -> list[ReportOut]:
        auth.require_token_scope("reports", "read")
        return msgspec.convert(service.available(access), list[ReportOut])

    @get("/predefined/{key:str}", summary="Run a predefined report; its parameters are query parameters",
         responses=problems(401, 403, 404, 422))  # fmt: skip
    async def run(
        self,
        request: Request[Any, Any, Any],
        key: FromPath[str],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> TableOut:
        auth.require_token_scope(_module_of(key), "read")
        return msgspec.convert(await service.run_predefined(db, access, key, _params(request)), TableOut)

    @get("/predefined/{key:str}/export", summary="A predefined report as CSV, XLSX or PDF",
         responses=problems(401, 403, 404, 422))  # fmt: skip
    async def export_predefined(
        self,
        request: Request[Any, Any, Any],
        key: FromPath[str],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        format: FromQuery[Format] = "csv",
    ) -> Response[bytes]:
        module = _module_of(key)
        auth.require_token_scope(module, "read")
        access.require(module, "export")
        return _file(await service.run_predefined(db, access, key, _params(request)), format, key)

    @get("/builder/entities", summary="What the builder may report on, and the fields the reader may see",
         dependencies=BUILDER, responses=problems(401, 402))  # fmt: skip
    async def entities(self, auth: NamedDependency[AuthContext], access: NamedDependency[Access]) -> list[EntityOut]:
        auth.require_token_scope("reports", "read")
        return msgspec.convert(builder.catalogue(access), list[EntityOut])

    @post("/builder/run", status_code=200, summary="Run a builder definition (not saved)",
          dependencies=BUILDER, responses=problems(400, 401, 402, 403, 422))  # fmt: skip
    async def run_builder(
        self,
        data: JSONBody[BuilderIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> TableOut:
        auth.require_token_scope("reports", "read")
        return msgspec.convert(await service.run_builder(db, access, data), TableOut)

    @post("/builder/export", status_code=200, summary="A builder definition's answer as CSV, XLSX or PDF",
          dependencies=BUILDER, responses=problems(400, 401, 402, 403, 422))  # fmt: skip
    async def export_builder(
        self,
        data: JSONBody[BuilderIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        format: FromQuery[Format] = "csv",
    ) -> Response[bytes]:
        auth.require_token_scope("reports", "read")
        entity = builder.ENTITIES.get(data.entity)
        if entity is not None:
            access.require(entity.module, "export")
        return _file(await service.run_builder(db, access, data), format, data.entity)

    @get("/saved", summary="Saved reports: the reader's own and those shared with them, keyset-paged by id",
         responses=problems(401, 403))  # fmt: skip
    async def list_saved(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        after: FromQuery[uuid.UUID | None] = None,
        limit: FromQuery[Annotated[int, Parameter(ge=1, le=service.MAX_SAVED_PAGE)]] = 50,
    ) -> list[SavedOut]:
        auth.require_token_scope("reports", "read")
        rows = await service.list_saved(db, access, after, limit)
        return [msgspec.convert(service.saved_row(r, access), SavedOut) for r in rows]

    @post(
        "/saved",
        summary="Save a report (validated for its author) and share it",
        responses=problems(400, 401, 403, 422),
    )
    async def create_saved(
        self,
        data: JSONBody[SavedIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> SavedOut:
        auth.require_token_scope("reports", "write")
        report = await service.create_saved(db, access, data)
        answer = msgspec.convert(service.saved_row(report, access), SavedOut)
        await db.commit()
        return answer

    @get("/saved/{report_id:uuid}", summary="One saved report", responses=problems(401, 403, 404))
    async def get_saved(
        self,
        report_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> SavedOut:
        auth.require_token_scope("reports", "read")
        return msgspec.convert(service.saved_row(await service.saved(db, access, report_id), access), SavedOut)

    @put("/saved/{report_id:uuid}", summary="Change a saved report (its author or an administrator)",
         responses=problems(400, 401, 403, 404, 422))  # fmt: skip
    async def change_saved(
        self,
        report_id: FromPath[uuid.UUID],
        data: JSONBody[SavedIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> SavedOut:
        auth.require_token_scope("reports", "write")
        report = await service.change_saved(db, access, report_id, data)
        answer = msgspec.convert(service.saved_row(report, access), SavedOut)
        await db.commit()
        return answer

    @delete("/saved/{report_id:uuid}", summary="Delete a saved report (its author or an administrator)",
            responses=problems(401, 403, 404))  # fmt: skip
    async def delete_saved(
        self,
        report_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> None:
        auth.require_token_scope("reports", "write")
        await service.delete_saved(db, access, report_id)
        await db.commit()

    @get("/saved/{report_id:uuid}/run", summary="Run a saved report in the reader's own scope",
         responses=problems(401, 403, 404, 422))  # fmt: skip
    async def run_saved(
        self,
        report_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> TableOut:
        auth.require_token_scope("reports", "read")
        return msgspec.convert(await service.run_saved(db, access, report_id), TableOut)

    @get("/saved/{report_id:uuid}/export", summary="A saved report as CSV, XLSX or PDF, in the reader's scope",
         responses=problems(401, 403, 404, 422))  # fmt: skip
    async def export_saved(
        self,
        report_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        format: FromQuery[Format] = "csv",
    ) -> Response[bytes]:
        auth.require_token_scope("reports", "read")
        report = await service.saved(db, access, report_id)
        module = _module_of(report.report_key) if report.report_key else None
        if module is None:
            entity = builder.ENTITIES.get(str((report.definition or {}).get("entity")))
            module = entity.module if entity else "reports"
        access.require(module, "export")
        return _file(await service.run_saved(db, access, report_id), format, "report")

    @get("/saved/{report_id:uuid}/schedules", summary="The email deliveries scheduled for a saved report",
         responses=problems(401, 403, 404))  # fmt: skip
    async def list_schedules(
        self,
        report_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> list[ScheduleOut]:
        auth.require_token_scope("reports", "read")
        found = await service.schedules(db, access, report_id)
        return msgspec.convert([service.schedule_row(s) for s in found], list[ScheduleOut])

    @post("/saved/{report_id:uuid}/schedules",
          summary="Mail a saved report daily, weekly or monthly, at an hour in each recipient's time zone",
          responses=problems(400, 401, 403, 404, 422))  # fmt: skip
    async def create_schedule(
        self,
        report_id: FromPath[uuid.UUID],
        data: JSONBody[ScheduleIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ScheduleOut:
        auth.require_token_scope("reports", "write")
        schedule = await service.create_schedule(db, access, report_id, data)
        answer = msgspec.convert(service.schedule_row(schedule), ScheduleOut)
        await db.commit()
        return answer

    @delete("/saved/{report_id:uuid}/schedules/{schedule_id:uuid}", summary="Stop a scheduled delivery",
            responses=problems(401, 403, 404))  # fmt: skip
    async def delete_schedule(
        self,
        report_id: FromPath[uuid.UUID],
        schedule_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> None:
        auth.require_token_scope("reports", "write")
        await service.delete_schedule(db, access, report_id, schedule_id)
        await db.commit()

    @get("/dashboard", summary="Home's widgets for the reader: this month's sales, open pipeline, target progress",
         responses=problems(401))  # fmt: skip
    async def dashboard(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> dict[str, Any]:
        auth.require_token_scope("reports", "read")
        return await service.dashboard(db, access)
