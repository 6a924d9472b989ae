"""The installation operator's API: billing across every workspace. Only people marked as operators (by the operator's
command line) reach it, signed in like anyone; to everyone else it answers 404, as if it did not exist."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from guanxi.domain.billing import operator
from guanxi.domain.identity.operators import is_operator
from guanxi.domain.identity.service import AuthContext
from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import provide_auth
from guanxi_api.openapi import problems

Limit = Annotated[int, Parameter(ge=1, le=200)]
Days = Annotated[int | None, Parameter(ge=1, le=366)]
Query = Annotated[str | None, Parameter(max_length=200)]
PlanKey = Annotated[str | None, Parameter(max_length=40)]
Status = Literal["trialing", "active", "past_due", "read_only", "canceled"]


async def provide_operator(request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]) -> AuthContext:
    """The caller, when they are an operator. Anyone else gets the framework's own 404 (the same as an unknown
    address, and not recorded in their workspace's audit log, where the route's name would show)."""
    auth = await provide_auth(request, db)
    if not is_operator(auth):
        raise NotFoundException
    return auth


class OperatorBillingController(Controller):
    path = "/api/v1/operator/billing"
    tags = ["operator"]
    dependencies = {"auth": Provide(provide_operator)}

    @get("/summary", summary="Every workspace by status and plan, MRR per currency, trials ending, failed payments "
         "(operators)", responses=problems(401, 404))  # fmt: skip
    async def summary(
        self, auth: NamedDependency[AuthContext], db: NamedDependency[AsyncSession]
    ) -> operator.SummaryOut:
        return await operator.summary(db)

    @get("/workspaces", summary="The workspaces with plan, status, seats, MRR and Stripe customer, newest first, by "
         "keyset pages (operators)", responses=problems(401, 404, 422))  # fmt: skip
    async def workspaces(
        self,
        auth: NamedDependency[AuthContext],
        db: NamedDependency[AsyncSession],
        status: FromQuery[Status | None] = None,
        plan: FromQuery[PlanKey] = None,
        q: FromQuery[Query] = None,
        trial_ending_within_days: FromQuery[Days] = None,
        payment_failed: FromQuery[bool | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> operator.WorkspacePage:
        filters = operator.Filters(
            status=status, plan=plan, q=(q or "").strip() or None, trial_ending_within_days=trial_ending_within_days,
            payment_failed=payment_failed,
        )  # fmt: skip
        return await operator.workspaces(db, filters, cursor=cursor, limit=limit)
