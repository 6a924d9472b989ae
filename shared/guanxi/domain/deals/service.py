"""Deals (商机): created on an account, moved across their pipeline's stages (won needs nothing more, lost needs a
reason from the workspace's list), shown as a kanban per pipeline; and the pipelines and loss reasons an
administrator sets up.

Every read goes through ``Access.where("deals", …)``; a deal's account must be one the caller may see. A stage
change is written to ``deal_stage_changes`` with how long the deal sat in the stage it left ("at which stage do
we lose them" reads it), and to the deal's timeline entry in ``record_changes``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from msgspec import UNSET
from sqlalchemy import ColumnElement, and_, delete, func, insert, literal, or_, select, true, tuple_, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id, utcnow
from guanxi.db.tenancy import scoped
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.billing import limits
from guanxi.domain.customers import repository as customers
from guanxi.domain.customers.models import Account, Contact
from guanxi.domain.customers.service import check_owner
from guanxi.domain.customers.validation import Cleaner
from guanxi.domain.deals.models import Deal, DealLine, DealStageChange, LossReason
from guanxi.domain.deals.schemas import DealIn, DealLinesIn, LossReasonIn, MoveIn, PipelineIn
from guanxi.domain.pipeline.models import Pipeline, PipelineStage
from guanxi.domain.products.lines import price_lines, totals
from guanxi.domain.tenancy.models import WorkspaceSettings
from guanxi.domain.timeline.models import RecordChange
from guanxi.errors import FieldError, conflict, forbidden, validation_error

MODULE = "deals"
BOARD_CARDS = 50  # cards per stage on the kanban; the rest page through the list
CLOSED_DAYS = 30  # won and lost deals stay on the board this long after closing
MAX_STAGES = 30
MAX_COMPETITORS = 20
DEAL_COLUMNS = [c for c in Deal.__table__.columns if c.name not in ("deleted_at", "deleted_by", "created_by")]


def visible(access: Access, action: str = "read") -> ColumnElement[bool]:
    return access.where(MODULE, action, Deal.owner_id)


def _require_admin(access: Access) -> None:
    if access.scope_of("settings", "update") != "all":
        raise forbidden("Only a workspace administrator may set up pipelines and loss reasons.")


# ---- pipelines and loss reasons -------------------------------------------------------------------------------


async def pipelines(session: AsyncSession, access: Access) -> list[tuple[Pipeline, list[PipelineStage]]]:
    options = scoped(access.scope)
    found = list(
        await session.scalars(
            select(Pipeline).order_by(Pipeline.is_default.desc(), Pipeline.name), execution_options=options
        )
    )
    stages = list(
        await session.scalars(select(PipelineStage).order_by(PipelineStage.position), execution_options=options)
    )
    return [(p, [s for s in stages if s.pipeline_id == p.id]) for p in found]


async def pipeline(
    session: AsyncSession, access: Access, pipeline_id: uuid.UUID
) -> tuple[Pipeline, list[PipelineStage]]:
    for found, stages in await pipelines(session, access):
        if found.id == pipeline_id:
            return found, stages
    raise not_found_for("Pipeline")


def _check_stages(data: PipelineIn) -> list[FieldError]:
    errors: list[FieldError] = []
    if not data.name.strip():
        errors.append(FieldError("name", "must not be blank", "required"))
    outcomes = [s.outcome for s in data.stages]
    if not 3 <= len(data.stages) <= MAX_STAGES:
        errors.append(FieldError("stages", f"must have 3 to {MAX_STAGES} stages", "invalid"))
    elif outcomes.count("won") != 1 or outcomes.count("lost") != 1 or "open" not in outcomes:
        errors.append(FieldError("stages", "must have open stages, one won stage and one lost stage", "invalid"))
    for index, stage in enumerate(data.stages):
        if not stage.name.strip():
            errors.append(FieldError(f"stages[{index}].name", "must not be blank", "required"))
        if not (stage.probability.is_finite() and 0 <= stage.probability <= 100):
            errors.append(FieldError(f"stages[{index}].probability", "must be between 0 and 100", "out_of_range"))
        elif stage.probability != stage.probability.quantize(Decimal("0.01")):
            errors.append(FieldError(f"stages[{index}].probability", "must have at most two decimals", "invalid"))
    ids = [s.id for s in data.stages if s.id]
    if len(ids) != len(set(ids)):
        errors.append(FieldError("stages", "names a stage twice", "duplicate"))
    return errors


def _stage_key(name: str, taken: set[str]) -> str:
    base = "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in name.lower()).strip("_")[:30] or "stage"
    key, n = base, 2
    while key in taken:
        key, n = f"{base[:27]}_{n}", n + 1
    taken.add(key)
    return key


async def save_pipeline(
    session: AsyncSession, access: Access, data: PipelineIn, pipeline_id: uuid.UUID | None = None
) -> uuid.UUID:
    """Create a pipeline or replace its stages (kept stages keep their deals; a stage with deals may not go)."""
    _require_admin(access)
    existing: list[PipelineStage] = []
    if pipeline_id is not None:
        _, existing = await pipeline(session, access, pipeline_id)
    errors = _check_stages(data)
    if errors:
        raise validation_error(*errors)
    options = scoped(access.scope)
    known = {s.id: s for s in existing}
    for index, stage in enumerate(data.stages):
        if stage.id is not None and stage.id not in known:
            raise validation_error(FieldError(f"stages[{index}].id", "is not a stage of this pipeline", "invalid"))
    kept = {s.id for s in data.stages if s.id}
    dropped = [s.id for s in existing if s.id not in kept]
    if dropped:
        in_use = await session.scalar(
            select(func.count()).where(Deal.stage_id.in_(dropped), Deal.deleted_at.is_(None)),
            execution_options=options,
        )
        if in_use:
            raise conflict("stages", f"{in_use} deals are in the stages you removed: move them first", "stage-in-use")
    if pipeline_id is None:
        pipeline_id = new_id()
        await session.execute(
            insert(Pipeline).values(id=pipeline_id, name=data.name.strip(), created_by=access.member_id),
            execution_options=options,
        )
    else:
        await session.execute(
            update(Pipeline).where(Pipeline.id == pipeline_id).values(name=data.name.strip(), updated_at=func.now()),
            execution_options=options,
        )
    if data.is_default:
        await session.execute(update(Pipeline).values(is_default=Pipeline.id == pipeline_id), execution_options=options)
    if dropped:
        await session.execute(delete(PipelineStage).where(PipelineStage.id.in_(dropped)), execution_options=options)
    # Positions are unique per pipeline: park the kept stages out of the way before numbering them again.
    await session.execute(
        update(PipelineStage)
        .where(PipelineStage.pipeline_id == pipeline_id)
        .values(position=PipelineStage.position + 10_000),
        execution_options=options,
    )
    taken = {s.key for s in existing if s.id in kept}
    for position, stage in enumerate(data.stages, start=1):
        values = {"name": stage.name.strip(), "probability": stage.probability, "outcome": stage.outcome,
                  "position": position}  # fmt: skip
        if stage.id is not None:
            await session.execute(
                update(PipelineStage).where(PipelineStage.id == stage.id).values(**values), execution_options=options
            )
        else:
            await session.execute(
                insert(PipelineStage).values(
                    id=new_id(), pipeline_id=pipeline_id, key=_stage_key(stage.name, taken),
                    created_by=access.member_id, **values,
                ),
                execution_options=options,
            )  # fmt: skip
    # A stage that changed its outcome carries its deals along.
    for stage in data.stages:
        if stage.id is not None and known[stage.id].outcome != stage.outcome:
            await session.execute(
                update(Deal).where(Deal.stage_id == stage.id).values(status=stage.outcome), execution_options=options
            )
    return pipeline_id


async def loss_reasons(session: AsyncSession, access: Access) -> list[LossReason]:
    return list(
        await session.scalars(
            select(LossReason).order_by(LossReason.position, LossReason.name), execution_options=scoped(access.scope)
        )
    )


async def save_loss_reason(
    session: AsyncSession, access: Access, data: LossReasonIn, reason_id: uuid.UUID | None = None
) -> LossReason:
    _require_admin(access)
    c = Cleaner()
    name = c.text("name", data.name, 100, required=True)
    if c.errors:
        raise validation_error(*c.errors)
    options = scoped(access.scope)
    try:
        async with session.begin_nested():
            if reason_id is None:
                reason_id = new_id()
                position = await session.scalar(select(func.count()).select_from(LossReason), execution_options=options)
                await session.execute(
                    insert(LossReason).values(
                        id=reason_id, name=name, active=data.active, position=position or 0, created_by=access.member_id
                    ),
                    execution_options=options,
                )
            else:
                changed = await session.scalar(
                    update(LossReason)
                    .where(LossReason.id == reason_id)
                    .values(name=name, active=data.active, updated_at=func.now())
                    .returning(LossReason.id),
                    execution_options=options,
                )
                if changed is None:
                    raise not_found_for("Loss reason")
    except IntegrityError:
        raise conflict("name", "another loss reason has this name", "duplicate") from None
    found = await session.get(LossReason, reason_id, execution_options=options, populate_existing=True)
    assert found is not None
    return found


# ---- deals ---------------------------------------------------------------------------------------------------


def _clean(c: Cleaner, data: DealIn, values: dict[str, Any]) -> None:
    given = {name: getattr(data, name) for name in data.__struct_fields__ if getattr(data, name) is not UNSET}
    if "name" in given:
        values["name"] = c.text("name", given["name"], 200, required=True)
    if "description" in given:
        values["description"] = c.text("description", given["description"], 20_000, multiline=True)
    if "amount" in given:
        values["amount"] = c.money("amount", given["amount"])
        if given["amount"] is None:
            c.fail("amount", "must be an amount", "required")
    if "currency" in given:
        values["currency"] = c.currency("currency", given["currency"])
    if "probability" in given:
        probability = given["probability"]
        if probability is not None and not (probability.is_finite() and 0 <= probability <= 100):
            c.fail("probability", "must be between 0 and 100", "out_of_range")
        values["probability"] = probability
    if "expected_close_date" in given:
        day = given["expected_close_date"]
        if day is not None and not dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31):
            c.fail("expected_close_date", "must be a date between 2000 and 2100", "out_of_range")
        values["expected_close_date"] = day
    if "competitors" in given:
        values["competitors"] = c.listed(
            "competitors", given["competitors"], MAX_COMPETITORS, lambda name, value: c.text(name, value, 100)
        )
    for name in ("account_id", "contact_id", "pipeline_id", "stage_id", "owner_id"):
        if name in given:
            values[name] = given[name]


async def _stage_of(
    session: AsyncSession, access: Access, pipeline_id: uuid.UUID | None, stage_id: uuid.UUID | None
) -> PipelineStage:
    """The stage a deal goes to: the one named (it must belong to ``pipeline_id``), or the pipeline's first."""
    options = scoped(access.scope)
    if pipeline_id is None:
        pipeline_id = await session.scalar(
            select(Pipeline.id).order_by(Pipeline.is_default.desc(), Pipeline.created_at).limit(1),
            execution_options=options,
        )
    stages = list(
        await session.scalars(
            select(PipelineStage).where(PipelineStage.pipeline_id == pipeline_id).order_by(PipelineStage.position),
            execution_options=options,
        )
    )
    if not stages:
        raise validation_error(FieldError("pipeline_id", "is not a pipeline of this workspace", "invalid"))
    if stage_id is None:
        return next(s for s in stages if s.outcome == "open")
    stage = next((s for s in stages if s.id == stage_id), None)
    if stage is None:
        raise validation_error(FieldError("stage_id", "is not a stage of the deal's pipeline", "invalid"))
    return stage


async def _check_account(
    session: AsyncSession, access: Access, account_id: uuid.UUID, contact_id: uuid.UUID | None
) -> None:
    if await customers.fetch_one(session, access, Account, account_id) is None:
        raise validation_error(FieldError("account_id", "is not an account you may see", "invalid"))
    if contact_id is not None:
        found = await session.scalar(
            select(Contact.id).where(
                Contact.id == contact_id, Contact.account_id == account_id, Contact.deleted_at.is_(None)
            ),
            execution_options=scoped(access.scope),
        )
        if found is None:
            raise validation_error(FieldError("contact_id", "is not a contact of this account", "invalid"))


async def _default_currency(session: AsyncSession, access: Access) -> str:
    code = await session.scalar(select(WorkspaceSettings.currency).limit(1), execution_options=scoped(access.scope))
    return code or "CNY"


def _json(value: Any) -> Any:
    if isinstance(value, (uuid.UUID, Decimal, dt.date)):
        return str(value) if not isinstance(value, dt.date) else value.isoformat()
    return value


async def _timeline(
    session: AsyncSession, access: Access, deal_id: uuid.UUID, action: str, changes: dict[str, list[Any]]
) -> None:
    await session.execute(
        insert(RecordChange).values(
            id=new_id(), record_type="deal", record_id=deal_id, actor_id=access.member_id, action=action,
            changes={k: [_json(v) for v in pair] for k, pair in changes.items()},
        ),
        execution_options=scoped(access.scope),
    )  # fmt: skip


async def fetch(session: AsyncSession, access: Access, deal_id: uuid.UUID, action: str = "read") -> dict[str, Any]:
    row = (
        await session.execute(
            select(
                *DEAL_COLUMNS, Account.name.label("account_name"), PipelineStage.probability.label("stage_probability")
            )
            .join(Account, Account.id == Deal.account_id)
            .join(PipelineStage, PipelineStage.id == Deal.stage_id)
            .where(Deal.id == deal_id, Deal.deleted_at.is_(None), visible(access, action)),
            execution_options=scoped(access.scope),
        )
    ).first()
    if row is None:
        raise not_found_for("Deal")
    return dict(row._mapping)


async def create(session: AsyncSession, access: Access, data: DealIn) -> dict[str, Any]:
    access.require(MODULE, "create")
    c = Cleaner()
    values: dict[str, Any] = {}
    _clean(c, data, values)
    for name in ("name", "account_id"):
        if name not in values:
            c.fail(name, "is required", "required")
    if c.errors:
        raise validation_error(*c.errors)
    await _check_account(session, access, values["account_id"], values.get("contact_id"))
    stage = await _stage_of(session, access, values.pop("pipeline_id", None), values.pop("stage_id", None))
    owner = values.pop("owner_id", None) or access.member_id
    await check_owner(session, access, MODULE, owner, "create")
    await limits.check_records(session, access.scope)
    values.setdefault("currency", await _default_currency(session, access))
    values.setdefault("amount", Decimal(0))
    deal_id = new_id()
    now = utcnow()
    await session.execute(
        insert(Deal).values(
            id=deal_id, pipeline_id=stage.pipeline_id, stage_id=stage.id, status=stage.outcome, owner_id=owner,
            created_by=access.member_id, stage_entered_at=now, closed_at=now if stage.outcome != "open" else None,
            **values,
        ),
        execution_options=scoped(access.scope),
    )  # fmt: skip
    await session.execute(
        insert(DealStageChange).values(
            id=new_id(), deal_id=deal_id, to_stage_id=stage.id, amount=values["amount"], actor_id=access.member_id
        ),
        execution_options=scoped(access.scope),
    )
    await _timeline(
        session, access, deal_id, "created", {"stage_id": [None, stage.id], "amount": [None, values["amount"]]}
    )
    if stage.outcome == "won":
        await _won(session, access, values["account_id"])
    return await fetch(session, access, deal_id)


async def change(session: AsyncSession, access: Access, deal_id: uuid.UUID, data: DealIn) -> dict[str, Any]:
    before = await fetch(session, access, deal_id, "update")
    c = Cleaner()
    values: dict[str, Any] = {}
    _clean(c, data, values)
    for name in ("pipeline_id", "stage_id"):
        if name in values:
            c.fail(name, "changes by moving the deal (POST /deals/{id}/move)", "invalid")
    if "account_id" in values:
        c.fail("account_id", "cannot change: a deal stays with its account", "invalid")
    if c.errors:
        raise validation_error(*c.errors)
    if "contact_id" in values:
        await _check_account(session, access, before["account_id"], values["contact_id"])
    if "owner_id" in values:
        await check_owner(session, access, MODULE, values["owner_id"], "update")
    changes = {k: [before.get(k), v] for k, v in values.items() if before.get(k) != v}
    if changes:
        await session.execute(
            update(Deal).where(Deal.id == deal_id).values(updated_at=func.now(), **values),
            execution_options=scoped(access.scope),
        )
        await _timeline(session, access, deal_id, "updated", changes)
    return await fetch(session, access, deal_id)


LINE_COLUMNS = [c for c in DealLine.__table__.columns if c.name != "deal_id"]


async def lines(session: AsyncSession, access: Access, deal_id: uuid.UUID) -> dict[str, Any]:
    """The deal's products in order with their totals (cost and margin only for those who may see them)."""
    deal = await fetch(session, access, deal_id)
    rows = [
        dict(r._mapping)
        for r in await session.execute(
            select(*LINE_COLUMNS).where(DealLine.deal_id == deal_id).order_by(DealLine.position),
            execution_options=scoped(access.scope),
        )
    ]
    for row in rows:
        row["total"] = row["net_amount"] + row["tax_amount"]
    return {"deal_id": deal_id, "currency": deal["currency"], "amount": deal["amount"], "lines": rows,
            "totals": totals(rows)}  # fmt: skip


async def set_lines(session: AsyncSession, access: Access, deal_id: uuid.UUID, data: DealLinesIn) -> dict[str, Any]:
    """Replace the deal's products in one transaction; with any lines the deal's amount becomes their total."""
    deal = await fetch(session, access, deal_id, "update")
    options = scoped(access.scope)
    kept = await session.scalars(
        select(DealLine.product_id).where(DealLine.deal_id == deal_id, DealLine.product_id.is_not(None)),
        execution_options=options,
    )
    rows, errors = await price_lines(
        session, access, data.lines, currency=deal["currency"], price_list_id=data.price_list_id,
        keep_products=[p for p in kept if p is not None],
    )  # fmt: skip
    if errors:
        raise validation_error(*errors)
    await session.execute(delete(DealLine).where(DealLine.deal_id == deal_id), execution_options=options)
    if rows:
        await session.execute(
            insert(DealLine), [{"id": new_id(), "deal_id": deal_id, **row} for row in rows], execution_options=options
        )
        amount = totals(rows).total
        if amount != deal["amount"]:
            await session.execute(
                update(Deal).where(Deal.id == deal_id).values(amount=amount, updated_at=func.now()),
                execution_options=options,
            )
            await _timeline(session, access, deal_id, "updated", {"amount": [deal["amount"], amount]})
    return await lines(session, access, deal_id)


async def _won(session: AsyncSession, access: Access, account_id: uuid.UUID) -> None:
    """Winning a deal makes a prospect (or former customer) a customer."""
    options = scoped(access.scope)
    stage = await session.scalar(
        select(Account.lifecycle_stage).where(Account.id == account_id), execution_options=options
    )
    if stage is not None and stage != "customer":
        await session.execute(
            update(Account).where(Account.id == account_id).values(lifecycle_stage="customer", updated_at=func.now()),
            execution_options=options,
        )
        changes = {"lifecycle_stage": [stage, "customer"]}
        await customers.record_change(session, access, Account, account_id, "updated", changes)


async def move(session: AsyncSession, access: Access, deal_id: uuid.UUID, data: MoveIn) -> dict[str, Any]:
    """Move a deal to another stage of its own pipeline; lost needs an active loss reason."""
    before = await fetch(session, access, deal_id, "update")
    stage = await _stage_of(session, access, before["pipeline_id"], data.stage_id)
    if stage.id == before["stage_id"]:
        return before
    options = scoped(access.scope)
    values: dict[str, Any] = {"stage_id": stage.id, "status": stage.outcome, "stage_entered_at": func.clock_timestamp(),
                              "updated_at": func.now(), "loss_reason_id": None, "loss_note": None,
                              "closed_at": func.now() if stage.outcome != "open" else None}  # fmt: skip
    if stage.outcome == "lost":
        c = Cleaner()
        note = c.text("loss_note", data.loss_note, 1000, multiline=True)
        if data.loss_reason_id is None:
            c.fail("loss_reason_id", "is required to mark a deal lost", "required")
        else:
            active = await session.scalar(
                select(LossReason.id).where(LossReason.id == data.loss_reason_id, LossReason.active),
                execution_options=options,
            )
            if active is None:
                c.fail("loss_reason_id", "is not one of the workspace's loss reasons", "invalid_choice")
        if c.errors:
            raise validation_error(*c.errors)
        values.update(loss_reason_id=data.loss_reason_id, loss_note=note)
    moved = await session.scalar(
        update(Deal)
        .where(Deal.id == deal_id, Deal.stage_id == before["stage_id"])  # a concurrent move wins: ours sees no row
        .values(**values)
        .returning(Deal.id),
        execution_options=options,
    )
    if moved is None:
        raise conflict("stage_id", "the deal was moved by someone else just now: reload it", "moved-meanwhile")
    seconds = int((utcnow() - before["stage_entered_at"]).total_seconds())
    await session.execute(
        insert(DealStageChange).values(
            id=new_id(), deal_id=deal_id, from_stage_id=before["stage_id"], to_stage_id=stage.id,
            amount=before["amount"], seconds_in_previous=max(seconds, 0), actor_id=access.member_id,
            changed_at=func.clock_timestamp(),  # the moment of the move, not of the transaction's start
        ),
        execution_options=options,
    )  # fmt: skip
    changes: dict[str, list[Any]] = {"stage_id": [before["stage_id"], stage.id]}
    if stage.outcome == "lost":
        changes["loss_reason_id"] = [None, data.loss_reason_id]
    await _timeline(session, access, deal_id, "moved", changes)
    if stage.outcome == "won":
        await _won(session, access, before["account_id"])
    return await fetch(session, access, deal_id)


async def remove(session: AsyncSession, access: Access, deal_id: uuid.UUID) -> None:
    await fetch(session, access, deal_id, "delete")
    await session.execute(
        update(Deal).where(Deal.id == deal_id).values(deleted_at=func.now(), deleted_by=access.member_id),
        execution_options=scoped(access.scope),
    )
    await _timeline(session, access, deal_id, "deleted", {})


async def stage_history(session: AsyncSession, access: Access, deal_id: uuid.UUID) -> Sequence[DealStageChange]:
    await fetch(session, access, deal_id)
    return list(
        await session.scalars(
            select(DealStageChange)
            .where(DealStageChange.deal_id == deal_id)
            .order_by(DealStageChange.changed_at, DealStageChange.id),
            execution_options=scoped(access.scope),
        )
    )


SORTS = {"-updated_at": (Deal.updated_at, True), "expected_close_date": (Deal.expected_close_date, False),
         "-amount": (Deal.amount, True)}  # fmt: skip


async def list_deals(
    session: AsyncSession,
    access: Access,
    *,
    filters: dict[str, Any],
    sort: str,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """Deals one may see, filtered, by keyset pages (sort by last change, close date or amount, then id)."""
    access.require(MODULE, "read")
    if sort not in SORTS:
        raise validation_error(FieldError("sort", f"must be one of {', '.join(SORTS)}", "invalid_choice"))
    column, descending = SORTS[sort]
    conditions: list[ColumnElement[bool]] = [Deal.deleted_at.is_(None), visible(access)]
    for name in ("pipeline_id", "stage_id", "owner_id", "account_id", "status"):
        if filters.get(name) is not None:
            conditions.append(getattr(Deal, name) == filters[name])
    if filters.get("q"):
        pattern = "%" + filters["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(Deal.name.ilike(pattern))
    key = func.coalesce(column, _FLOOR[sort])
    if cursor:
        value, last = customers.decode_cursor(cursor, _PARSE[sort])
        conditions.append(tuple_(key, Deal.id) < (value, last) if descending else tuple_(key, Deal.id) > (value, last))
    order = (key.desc(), Deal.id.desc()) if descending else (key.asc(), Deal.id.asc())
    rows = [
        dict(row._mapping)
        for row in await session.execute(
            select(*DEAL_COLUMNS, Account.name.label("account_name"),
                   PipelineStage.probability.label("stage_probability"), key.label("sort_key"))
            .join(Account, Account.id == Deal.account_id)
            .join(PipelineStage, PipelineStage.id == Deal.stage_id)
            .where(*conditions)
            .order_by(*order)
            .limit(limit + 1),
            execution_options=scoped(access.scope),
        )
    ]  # fmt: skip
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = customers.encode_cursor(rows[-1]["sort_key"], rows[-1]["id"])
    for row in rows:
        del row["sort_key"]
    return rows, next_cursor


_FLOOR: dict[str, Any] = {
    "-updated_at": Deal.updated_at,
    "expected_close_date": dt.date(9999, 12, 31),  # deals without a date come last
    "-amount": Decimal(0),
}
_PARSE: dict[str, Callable[[str], Any]] = {
    "-updated_at": dt.datetime.fromisoformat,
    "expected_close_date": dt.date.fromisoformat,
    "-amount": Decimal,
}


async def board(
    session: AsyncSession, access: Access, pipeline_id: uuid.UUID, owner_id: uuid.UUID | None, cards: int
) -> tuple[Pipeline, list[dict[str, Any]]]:
    """The kanban of a pipeline: per stage the count and sums (per currency) of the deals one may see, and the
    ``cards`` most recently changed ones. Open deals all; won and lost ones closed in the last CLOSED_DAYS days
    (a board is today's work, not the archive). Two statements whatever the number of stages."""
    access.require(MODULE, "read")
    found, stages = await pipeline(session, access, pipeline_id)
    options = scoped(access.scope)
    recent = or_(
        Deal.status == "open",
        and_(Deal.status != "open", Deal.closed_at >= func.now() - func.make_interval(0, 0, 0, CLOSED_DAYS)),
    )
    conditions = [Deal.pipeline_id == pipeline_id, Deal.deleted_at.is_(None), recent, visible(access)]
    if owner_id is not None:
        conditions.append(Deal.owner_id == owner_id)
    probability = func.coalesce(Deal.probability, PipelineStage.probability)
    sums = (
        await session.execute(
            select(Deal.stage_id, Deal.currency, func.count(), func.sum(Deal.amount),
                   func.sum(Deal.amount * probability / 100))
            .join(PipelineStage, PipelineStage.id == Deal.stage_id)
            .where(*conditions)
            .group_by(Deal.stage_id, Deal.currency),
            execution_options=options,
        )
    ).all()  # fmt: skip
    # Each stage's latest cards through the board index: a LATERAL per stage, LIMIT inside, no sort of the lot.
    stage_ids = (
        func.unnest(literal([s.id for s in stages], ARRAY(PG_UUID(as_uuid=True))))
        .table_valued("stage_id")
        .render_derived()
    )
    latest = (
        select(*DEAL_COLUMNS)
        .where(Deal.stage_id == stage_ids.c.stage_id, *conditions)
        .order_by(Deal.updated_at.desc(), Deal.id.desc())
        .limit(cards)
        .lateral("latest")
    )
    rows = (
        await session.execute(
            select(latest, Account.name.label("account_name"))
            .select_from(stage_ids)
            .join(latest, true())
            .join(Account, Account.id == latest.c.account_id),
            execution_options=options,
        )
    ).all()
    columns = []
    for stage in stages:
        mine = [s for s in sums if s[0] == stage.id]
        deals = [{**dict(r._mapping), "stage_probability": stage.probability} for r in rows if r.stage_id == stage.id]
        deals.sort(key=lambda d: (d["updated_at"], d["id"]), reverse=True)
        count = sum(s[2] for s in mine)
        columns.append(
            {
                "stage_id": stage.id,
                "name": stage.name,
                "outcome": stage.outcome,
                "probability": stage.probability,
                "count": count,
                "amounts": {s[1]: s[3].quantize(Decimal("0.01")) for s in mine},
                "weighted": {s[1]: s[4].quantize(Decimal("0.01")) for s in mine},
                "deals": deals,
                "more": count > len(deals),
            }
        )
    return found, columns
