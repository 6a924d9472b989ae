"""Targets, progress towards them, the forecast and the leaderboard. Thin: parse, authorize, call the service."""

from __future__ import annotations

from typing import Annotated

import msgspec
from guanxi.domain.access.service import Access
from guanxi.domain.identity.service import AuthContext
from guanxi.domain.targets import service
from guanxi.domain.targets.schemas import ForecastMonth, LeaderRow, Metric, ProgressOut, SplitIn, TargetsIn
from litestar import Controller, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import provide_access, provide_auth
from guanxi_api.openapi import problems


class TargetController(Controller):
    path = "/api/v1/targets"
    tags = ["sales"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    @get(
        "",
        summary="Progress towards the period's targets: company, departments and members",
        responses=problems(401, 422),
    )
    async def progress(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        period: FromQuery[str | None] = None,
        metric: FromQuery[Metric] = "won",
    ) -> ProgressOut:
        auth.require_token_scope("deals", "read")
        return msgspec.convert(await service.progress(db, access, period, metric), ProgressOut)

    @put(
        "",
        summary="Set, change or remove targets of one period (administrators)",
        responses=problems(400, 401, 403, 422),
    )
    async def put_targets(
        self,
        data: JSONBody[TargetsIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ProgressOut:
        auth.require_token_scope("settings", "write")
        await service.set_targets(db, access, data)
        answer = await service.progress(db, access, data.period, data.metric)
        await db.commit()
        return msgspec.convert(answer, ProgressOut)

    @post(
        "/split",
        status_code=200,
        summary="Share a target evenly among its departments and members (administrators)",
        responses=problems(400, 401, 403, 422),
    )
    async def split(
        self,
        data: JSONBody[SplitIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ProgressOut:
        auth.require_token_scope("settings", "write")
        await service.split(db, access, data)
        answer = await service.progress(db, access, data.period, data.metric)
        await db.commit()
        return msgspec.convert(answer, ProgressOut)

    @get(
        "/forecast",
        summary="Open deals by expected close month, weighted by win probability",
        responses=problems(401, 422),
    )
    async def forecast(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        months: FromQuery[Annotated[int, Parameter(ge=1, le=service.FORECAST_MONTHS)]] = 6,
    ) -> list[ForecastMonth]:
        auth.require_token_scope("deals", "read")
        return msgspec.convert(await service.forecast(db, access, months), list[ForecastMonth])

    @get(
        "/leaderboard",
        summary="Members ranked by the amount they won (or collected) in the period",
        responses=problems(401, 422),
    )
    async def leaderboard(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        period: FromQuery[str | None] = None,
        metric: FromQuery[Metric] = "won",
    ) -> list[LeaderRow]:
        auth.require_token_scope("deals", "read")
        return msgspec.convert(await service.leaderboard(db, access, period, metric), list[LeaderRow])
