"""Churn early warning and analytics. Thin: parse, authorize, call the service."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from guanxi.domain.access.service import Access
from guanxi.domain.churn import analytics, service
from guanxi.domain.churn.schemas import AtRiskPage, Period, RiskOut, SettingsIn, SettingsOut, WinBackIn, WinBackOut
from guanxi.domain.identity.service import AuthContext
from litestar import Controller, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import auth_needing, provide_access
from guanxi_api.openapi import problems


class ChurnController(Controller):
    path = "/api/v1/churn"
    tags = ["churn"]
    dependencies = {"auth": Provide(auth_needing("churn")), "access": Provide(provide_access)}

    @get(
        "/settings",
        summary="The workspace's churn rules: threshold, points per signal, days",
        responses=problems(401, 403),
    )
    async def get_settings(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> SettingsOut:
        auth.require_token_scope("customers", "read")
        return await service.get_settings(db, access)

    @put("/settings", summary="Change the churn rules (administrators)", responses=problems(400, 401, 403, 422))
    async def put_settings(
        self,
        data: JSONBody[SettingsIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> SettingsOut:
        auth.require_token_scope("settings", "write")
        answer = await service.put_settings(db, access, data)
        await db.commit()
        return answer

    @get(
        "/at-risk",
        summary="Customers by risk score, riskiest first, with the signals that made each score",
        responses=problems(401, 403, 422),
    )
    async def at_risk(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        owner_id: FromQuery[uuid.UUID | None] = None,
        grade: FromQuery[Annotated[str | None, Parameter(max_length=2)]] = None,
        min_score: FromQuery[Annotated[int | None, Parameter(ge=0, le=100)]] = None,
        cursor: FromQuery[Annotated[str | None, Parameter(max_length=200)]] = None,
        limit: FromQuery[Annotated[int, Parameter(ge=1, le=service.LIST_MAX)]] = 50,
    ) -> AtRiskPage:
        auth.require_token_scope("customers", "read")
        return await service.at_risk(
            db, access, owner_id=owner_id, grade=grade, min_score=min_score, cursor=cursor, limit=limit
        )

    @get(
        "/analytics",
        summary="Lost customers by stage, loss reasons, time to loss, win-backs, new / lost / total per period",
        responses=problems(401, 403, 422),
    )
    async def analytics(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        from_: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        to: FromQuery[dt.date | None] = None,
        period: FromQuery[Period] = "month",
    ) -> dict[str, Any]:
        auth.require_token_scope("customers", "read")
        return await analytics.churn_analytics(db, access.scope, access, start=from_, end=to, period=period)


class AccountChurnController(Controller):
    """The churn side of one account: its risk score and signals, and win-back attempts."""

    path = "/api/v1/accounts/{account_id:uuid}"
    tags = ["churn"]
    dependencies = {"auth": Provide(auth_needing("churn")), "access": Provide(provide_access)}

    @get("/risk", summary="The account's churn risk score and the signals that made it", responses=problems(401, 404))
    async def risk(
        self,
        account_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> RiskOut:
        auth.require_token_scope("customers", "read")
        return await service.risk_of(db, access, account_id)

    @post(
        "/win-back",
        summary="Record an attempt to win the customer back; it counts as came back if an order or won deal follows",
        responses=problems(400, 401, 404, 422),
    )
    async def win_back(
        self,
        account_id: FromPath[uuid.UUID],
        data: JSONBody[WinBackIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> WinBackOut:
        auth.require_token_scope("customers", "write")
        attempt = await service.win_back(db, access, account_id, data)
        await db.commit()
        return msgspec.convert(attempt, WinBackOut, from_attributes=True)
