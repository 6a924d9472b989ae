"""Deals (商机) and their kanban, pipelines and loss reasons. Thin: parse, authorize the token, call the service."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import msgspec
from guanxi.domain.access.service import Access
from guanxi.domain.deals import service
from guanxi.domain.deals.schemas import (
    BoardColumn,
    BoardOut,
    DealIn,
    DealLinesIn,
    DealLinesOut,
    DealOut,
    DealPage,
    LossReasonIn,
    LossReasonOut,
    MoveIn,
    PipelineIn,
    StageChangeOut,
)
from guanxi.domain.identity.service import AuthContext
from guanxi.domain.pipeline.schemas import PipelineOut, StageOut
from guanxi.domain.products.lines import sees_costs
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import audit_action, provide_access, provide_auth
from guanxi_api.openapi import problems

Limit = Annotated[int, Parameter(ge=1, le=200)]
Deps = {"auth": Provide(provide_auth), "access": Provide(provide_access)}


def deal_out(row: dict[str, Any]) -> DealOut:
    return msgspec.convert(row, DealOut, from_attributes=False)


def lines_out(found: dict[str, Any], access: Access) -> DealLinesOut:
    answer = msgspec.convert(found, DealLinesOut, from_attributes=True)
    if not sees_costs(access):
        for line in answer.lines:
            line.unit_cost = None
        answer.totals.cost = answer.totals.margin = answer.totals.margin_percent = None
    return answer


def reason_out(reason: Any) -> LossReasonOut:
    return LossReasonOut(reason.id, reason.name, reason.active, reason.position)


def pipeline_out(found: Any, stages: list[Any]) -> PipelineOut:
    return PipelineOut(
        id=found.id,
        name=found.name,
        stages=[StageOut(s.id, s.key, s.name, s.position, s.probability, s.outcome) for s in stages],
    )


class DealController(Controller):
    path = "/api/v1/deals"
    tags = ["sales"]
    dependencies = Deps

    @get("", summary="Deals you may see, filtered, by keyset pages", responses=problems(401, 403, 422))
    async def list_deals(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        pipeline_id: FromQuery[uuid.UUID | None] = None,
        stage_id: FromQuery[uuid.UUID | None] = None,
        owner_id: FromQuery[uuid.UUID | None] = None,
        account_id: FromQuery[uuid.UUID | None] = None,
        status: FromQuery[Literal["open", "won", "lost"] | None] = None,
        q: FromQuery[Annotated[str | None, Parameter(max_length=200)]] = None,
        sort: FromQuery[Literal["-updated_at", "expected_close_date", "-amount"]] = "-updated_at",
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> DealPage:
        auth.require_token_scope("deals", "read")
        filters = {"pipeline_id": pipeline_id, "stage_id": stage_id, "owner_id": owner_id, "account_id": account_id,
                   "status": status, "q": q}  # fmt: skip
        rows, next_cursor = await service.list_deals(db, access, filters=filters, sort=sort, cursor=cursor, limit=limit)
        return DealPage(items=[deal_out(r) for r in rows], next_cursor=next_cursor)

    @post("", status_code=201, summary="Open a deal on an account", responses=problems(400, 401, 403, 422))
    async def create_deal(
        self,
        data: JSONBody[DealIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> DealOut:
        auth.require_token_scope("deals", "write")
        row = await service.create(db, access, data)
        await db.commit()
        return deal_out(row)

    @get("/{deal_id:uuid}", summary="One deal", responses=problems(401, 403, 404))
    async def get_deal(
        self,
        deal_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> DealOut:
        auth.require_token_scope("deals", "read")
        return deal_out(await service.fetch(db, access, deal_id))

    @patch(
        "/{deal_id:uuid}", summary="Change a deal (not its stage: move it)", responses=problems(400, 401, 403, 404, 422)
    )
    async def change_deal(
        self,
        deal_id: FromPath[uuid.UUID],
        data: JSONBody[DealIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> DealOut:
        auth.require_token_scope("deals", "write")
        row = await service.change(db, access, deal_id, data)
        await db.commit()
        return deal_out(row)

    @post(
        "/{deal_id:uuid}/move",
        status_code=200,
        summary="Move a deal to another stage of its pipeline (lost: with a loss reason)",
        responses=problems(400, 401, 403, 404, 409, 422),
    )
    async def move_deal(
        self,
        request: Request[Any, Any, Any],
        deal_id: FromPath[uuid.UUID],
        data: JSONBody[MoveIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> DealOut:
        auth.require_token_scope("deals", "write")
        row = await service.move(db, access, deal_id, data)
        if row["status"] != "open":
            await audit_action(db, auth, request, f"deal.{row['status']}", target_type="deal", target_id=deal_id)
        await db.commit()
        return deal_out(row)

    @delete("/{deal_id:uuid}", status_code=204, summary="Delete a deal", responses=problems(401, 403, 404))
    async def delete_deal(
        self,
        request: Request[Any, Any, Any],
        deal_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> None:
        auth.require_token_scope("deals", "write")
        await service.remove(db, access, deal_id)
        await audit_action(db, auth, request, "deal.deleted", target_type="deal", target_id=deal_id)
        await db.commit()

    @get(
        "/{deal_id:uuid}/stages",
        summary="The stages a deal went through, with how long it stayed in each",
        responses=problems(401, 403, 404),
    )
    async def deal_stages(
        self,
        deal_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> list[StageChangeOut]:
        auth.require_token_scope("deals", "read")
        rows = await service.stage_history(db, access, deal_id)
        return [
            StageChangeOut(r.from_stage_id, r.to_stage_id, r.amount, r.seconds_in_previous, r.actor_id, r.changed_at)
            for r in rows
        ]

    @get("/{deal_id:uuid}/lines", summary="The deal's products with totals and margin", responses=problems(401, 404))
    async def deal_lines(
        self,
        deal_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> DealLinesOut:
        auth.require_token_scope("deals", "read")
        return lines_out(await service.lines(db, access, deal_id), access)

    @put(
        "/{deal_id:uuid}/lines",
        summary="Replace the deal's products; the deal's amount becomes their total",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def put_deal_lines(
        self,
        deal_id: FromPath[uuid.UUID],
        data: JSONBody[DealLinesIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> DealLinesOut:
        auth.require_token_scope("deals", "write")
        answer = await service.set_lines(db, access, deal_id, data)
        await db.commit()
        return lines_out(answer, access)


class PipelineAdminController(Controller):
    path = "/api/v1/pipelines"
    tags = ["sales"]
    dependencies = Deps

    @get("", summary="The workspace's pipelines with their stages", responses=problems(401))
    async def list_pipelines(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> list[PipelineOut]:
        auth.require_token_scope("deals", "read")
        return [pipeline_out(p, stages) for p, stages in await service.pipelines(db, access)]

    @post("", status_code=201, summary="Add a pipeline (administrators)", responses=problems(400, 401, 403, 409, 422))
    async def create_pipeline(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[PipelineIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> PipelineOut:
        auth.require_token_scope("settings", "write")
        pipeline_id = await service.save_pipeline(db, access, data)
        await audit_action(db, auth, request, "pipeline.created", target_type="pipeline", target_id=pipeline_id)
        found = await service.pipeline(db, access, pipeline_id)
        await db.commit()
        return pipeline_out(*found)

    @put(
        "/{pipeline_id:uuid}",
        summary="Rename a pipeline and set its stages in order (administrators)",
        responses=problems(400, 401, 403, 404, 409, 422),
    )
    async def put_pipeline(
        self,
        request: Request[Any, Any, Any],
        pipeline_id: FromPath[uuid.UUID],
        data: JSONBody[PipelineIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> PipelineOut:
        auth.require_token_scope("settings", "write")
        await service.save_pipeline(db, access, data, pipeline_id)
        await audit_action(db, auth, request, "pipeline.changed", target_type="pipeline", target_id=pipeline_id)
        found = await service.pipeline(db, access, pipeline_id)
        await db.commit()
        return pipeline_out(*found)

    @get(
        "/{pipeline_id:uuid}/board",
        summary="The kanban of a pipeline: per stage the count, sums and weighted sums, and the latest deals",
        responses=problems(401, 403, 404, 422),
    )
    async def board(
        self,
        pipeline_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        owner_id: FromQuery[uuid.UUID | None] = None,
        cards: FromQuery[Annotated[int, Parameter(ge=1, le=200)]] = service.BOARD_CARDS,
    ) -> BoardOut:
        auth.require_token_scope("deals", "read")
        found, columns = await service.board(db, access, pipeline_id, owner_id, cards)
        return BoardOut(
            pipeline_id=found.id,
            name=found.name,
            columns=[
                BoardColumn(**{**c, "deals": [deal_out(d) for d in c["deals"]]})  # type: ignore[arg-type]
                for c in columns
            ],
        )


class LossReasonController(Controller):
    path = "/api/v1/loss-reasons"
    tags = ["sales"]
    dependencies = Deps

    @get("", summary="Why deals are lost: the workspace's list", responses=problems(401))
    async def list_reasons(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> list[LossReasonOut]:
        auth.require_token_scope("deals", "read")
        return [reason_out(r) for r in await service.loss_reasons(db, access)]

    @post(
        "", status_code=201, summary="Add a loss reason (administrators)", responses=problems(400, 401, 403, 409, 422)
    )
    async def create_reason(
        self,
        data: JSONBody[LossReasonIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> LossReasonOut:
        auth.require_token_scope("settings", "write")
        reason = await service.save_loss_reason(db, access, data)
        await db.commit()
        return reason_out(reason)

    @put(
        "/{reason_id:uuid}",
        summary="Rename a loss reason or retire it (active=false)",
        responses=problems(400, 401, 403, 404, 409, 422),
    )
    async def put_reason(
        self,
        reason_id: FromPath[uuid.UUID],
        data: JSONBody[LossReasonIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> LossReasonOut:
        auth.require_token_scope("settings", "write")
        reason = await service.save_loss_reason(db, access, data, reason_id)
        await db.commit()
        return reason_out(reason)
