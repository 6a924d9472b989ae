"""Customer grading (客户分级): weighted criteria -> a 0-100 score -> grade A/B/C (D) by percentile or cut-off.

A run scores every live customer in ONE transaction with set-based SQL (see :func:`score_all`): the raw value of
each criterion from aggregates, its points, the score, the grade; then ``accounts.grade`` for customers without
a manual grade and a ``grade_history`` row only where the grade changed. A worker killed mid-run rolls back to
the previous run's results; a redelivered job redoes the run under the same id. Normalisation (docs/grading.md):

- credit: index = (1 - late share) x 30 / (30 + average days late of the late instalments); points = weight x
  index. Instalments due in the last 12 months count; one is late when paid after its due date or still unpaid
  past it. A customer with nothing due has index 1.
- order amount, profit (gross margin of the order lines, stored on each order), custom fields: points = weight x
  percent_rank of the raw value among all customers (0 for the lowest, the weight for the highest; ties share).
- growth prospect: points = weight x score / 100 (a manager's 0-100 score; none = 0).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import time
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.access.service import Access
from guanxi.domain.customers import repository as customers
from guanxi.domain.customers.models import Account
from guanxi.domain.customfields.models import CustomField
from guanxi.domain.grading.models import (
    GradeHistory,
    GradingRun,
    GradingScore,
    GradingSettings,
    GrowthScore,
    ManualGrade,
)
from guanxi.domain.grading.schemas import GradingSettingsIn
from guanxi.errors import FieldError, forbidden, not_found, validation_error

GRADES = ("A", "B", "C", "D")
DEFAULTS: dict[str, Any] = {
    "criteria": [
        {"kind": "credit", "weight": 10, "field_key": None},
        {"kind": "order_amount", "weight": 30, "field_key": None},
        {"kind": "profit", "weight": 60, "field_key": None},
    ],
    "bands": [
        {"grade": "A", "share_percent": 20, "min_score": None},
        {"grade": "B", "share_percent": 30, "min_score": None},
        {"grade": "C", "share_percent": 50, "min_score": None},
    ],
    "method": "percentile",
    "order_window_months": 12,
    "follow_up_days": {"A": 30, "B": 90, "C": 180},
    "complaint_response_days": {"A": 3, "B": 4, "C": 5},
}
SETTINGS_MODULE = "settings"
CREDIT_DAYS = 30  # the credit index halves at an average of 30 days late


def criterion_key(criterion: dict[str, Any]) -> str:
    return f"cf:{criterion['field_key']}" if criterion["kind"] == "custom_field" else str(criterion["kind"])


async def get_config(session: AsyncSession, scope: TenantScope) -> dict[str, Any]:
    """The workspace's settings; a workspace that never saved any grades by the defaults."""
    found = await session.scalar(
        select(GradingSettings.config).where(GradingSettings.id == 1), execution_options=scoped(scope)
    )
    return dict(found) if found else {**DEFAULTS}


def _err(field: str, message: str) -> FieldError:
    return FieldError(field, message, "invalid")


async def validate(session: AsyncSession, scope: TenantScope, data: GradingSettingsIn) -> dict[str, Any]:
    """Every problem of the settings, each naming its field; the config to store when there is none."""
    errors: list[FieldError] = []
    seen: set[str] = set()
    numeric = set(
        await session.scalars(
            select(CustomField.key).where(
                CustomField.module == "customers", CustomField.type.in_(("number", "currency")),
                CustomField.archived_at.is_(None),
            ),
            execution_options=scoped(scope),
        )
    )  # fmt: skip
    criteria: list[dict[str, Any]] = []
    if not data.criteria:
        errors.append(_err("criteria", "at least one criterion is needed"))
    for index, item in enumerate(data.criteria):
        where = f"criteria[{index}]"
        if item.weight < 0:
            errors.append(_err(f"{where}.weight", "must not be negative"))
        if item.kind == "custom_field":
            if not item.field_key:
                errors.append(_err(f"{where}.field_key", "name a numeric custom field of customers"))
            elif item.field_key not in numeric:
                errors.append(_err(f"{where}.field_key", "is not a numeric custom field of customers"))
        elif item.field_key is not None:
            errors.append(_err(f"{where}.field_key", "only custom-field criteria name a field"))
        entry = {"kind": item.kind, "weight": item.weight, "field_key": item.field_key if item.kind == "custom_field"
                 else None}  # fmt: skip
        if criterion_key(entry) in seen:
            errors.append(_err(f"{where}.kind", "is listed twice"))
        seen.add(criterion_key(entry))
        criteria.append(entry)
    if data.criteria and sum(c.weight for c in data.criteria) != 100:
        errors.append(_err("criteria", f"weights must add up to 100, not {sum(c.weight for c in data.criteria)}"))
    grades = [band.grade for band in data.bands]
    if len(data.bands) < 2:
        errors.append(_err("bands", "give at least two grades"))
    if grades != list(GRADES[: len(grades)]):
        errors.append(_err("bands", "list the grades in order: A, B, C and optionally D"))
    bands: list[dict[str, Any]] = []
    if data.method == "percentile":
        for index, band in enumerate(data.bands):
            if band.share_percent is None or band.share_percent < 0:
                errors.append(_err(f"bands[{index}].share_percent", "give a share of 0 to 100 percent"))
            bands.append({"grade": band.grade, "share_percent": band.share_percent, "min_score": None})
        if (
            all(b.share_percent is not None for b in data.bands)
            and sum(b.share_percent or 0 for b in data.bands) != 100
        ):
            errors.append(_err("bands", "shares must add up to 100"))
    else:
        previous: int | None = None
        for index, band in enumerate(data.bands):
            last = index == len(data.bands) - 1
            if band.min_score is None or not 0 <= band.min_score <= 100:
                errors.append(_err(f"bands[{index}].min_score", "give a cut-off score of 0 to 100"))
            elif previous is not None and band.min_score >= previous:
                errors.append(_err(f"bands[{index}].min_score", "overlaps the grade above: must be lower"))
            elif last and band.min_score != 0:
                errors.append(_err(f"bands[{index}].min_score", "the lowest grade starts at 0"))
            previous = band.min_score if band.min_score is not None else previous
            bands.append({"grade": band.grade, "share_percent": None, "min_score": band.min_score})
    days: dict[str, dict[str, int]] = {}
    for name, fallback in (("follow_up_days", DEFAULTS["follow_up_days"]),
                           ("complaint_response_days", DEFAULTS["complaint_response_days"])):  # fmt: skip
        given: dict[str, int] = dict(getattr(data, name))
        chosen: dict[str, int] = {}
        for grade in grades:
            value = given.get(grade, fallback.get(grade, fallback["C"]))
            if not 1 <= value <= 3650:
                errors.append(_err(f"{name}.{grade}", "give 1 to 3650 days"))
            chosen[grade] = value
        for extra in given:
            if extra not in grades:
                errors.append(_err(f"{name}.{extra}", "is not one of the configured grades"))
        days[name] = chosen
    if errors:
        raise validation_error(*errors)
    return {"criteria": criteria, "bands": bands, "method": data.method,
            "order_window_months": data.order_window_months, **days}  # fmt: skip


async def save_config(session: AsyncSession, access: Access, data: GradingSettingsIn) -> dict[str, Any]:
    access.require(SETTINGS_MODULE, "update")
    config = await validate(session, access.scope, data)
    await session.execute(
        pg_insert(GradingSettings)
        .values(id=1, config=config, updated_by=access.member_id)
        .on_conflict_do_update(
            index_elements=["id"], set_={"config": config, "updated_by": access.member_id, "updated_at": func.now()}
        ),
        execution_options=scoped(access.scope),
    )
    return config


# ---------------------------------------------------------------------------------------------------- runs


async def latest_run(session: AsyncSession, scope: TenantScope, *, done: bool = False) -> GradingRun | None:
    query = select(GradingRun).order_by(GradingRun.created_at.desc(), GradingRun.id.desc()).limit(1)
    if done:
        query = query.where(GradingRun.status == "done")
    return (await session.scalars(query, execution_options=scoped(scope))).first()


async def request_run(
    session: AsyncSession, scope: TenantScope, *, trigger: str, member_id: uuid.UUID | None
) -> tuple[GradingRun, bool]:
    """A queued run and its job (through the outbox); the open run instead when one is queued or running."""
    from guanxi.domain.outbox.service import enqueue

    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"{scope.schema}:grading.request"})
    open_run = (
        await session.scalars(
            select(GradingRun).where(GradingRun.status.in_(("queued", "running"))).order_by(GradingRun.created_at),
            execution_options=scoped(scope),
        )
    ).first()
    if open_run is not None:
        return open_run, False
    run = (
        await session.scalars(
            insert(GradingRun).values(id=uuid.uuid4(), status="queued", trigger=trigger, requested_by=member_id)
            .returning(GradingRun),
            execution_options=scoped(scope),
        )
    ).one()  # fmt: skip
    await enqueue(session, "grading.run", {"run_id": str(run.id)}, tenant_id=scope.tenant_id)
    return run, True


def layout(config: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The keys of a score row's ``raw`` and ``points`` arrays, in order, for the run's ``config``."""
    raw: list[str] = []
    for criterion in config["criteria"]:
        raw += (["credit_late_share", "credit_days_late", "instalments_due"] if criterion["kind"] == "credit"
                else [criterion_key(criterion)])  # fmt: skip
    return raw, [criterion_key(c) for c in config["criteria"]]


def _score_sql(schema: str, config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """INSERT INTO grading_scores SELECT ...: every live customer's raw values, points, score and grade.

    Sized for a million customers: the customers are read from the narrow ``ix_accounts_live_scan`` index (the
    customer rows themselves only for custom-field criteria), each instalment carries the day it was paid in full
    (no join of the payments), the windows sort narrow rows, and raw values and points are numeric arrays in the
    order of :func:`layout`."""
    s = f'"{schema}"'
    params: dict[str, Any] = {"months": int(config["order_window_months"]), "credit_days": CREDIT_DAYS}
    raw_cols: list[str] = []
    raw_values: list[str] = []
    point_cols: list[str] = []
    for index, criterion in enumerate(config["criteria"]):
        weight = f"w{index}"
        params[weight] = Decimal(criterion["weight"])
        kind = criterion["kind"]
        name = f"p{index}"
        if kind == "credit":
            expr = ("CASE WHEN r.due = 0 THEN 1 ELSE (1 - r.late::numeric / r.due) * :credit_days "
                    "/ (:credit_days + r.avg_late) END")  # fmt: skip
            point_cols.append(f"round(:{weight} * {expr}, 2) AS {name}")
            raw_values += ["round(CASE WHEN g.due = 0 THEN 0 ELSE g.late::numeric / g.due END, 4)",
                           "round(g.avg_late, 1)", "g.due"]  # fmt: skip
        elif kind in ("order_amount", "profit"):
            point_cols.append(f"round(:{weight} * percent_rank() OVER (ORDER BY r.{kind})::numeric, 2) AS {name}")
            raw_values.append(f"g.{kind}")
        elif kind == "growth":
            point_cols.append(f"round(:{weight} * coalesce(r.growth, 0) / 100.0, 2) AS {name}")
            raw_values.append("g.growth")
        else:
            key = f"k{index}"
            params[key] = criterion["field_key"]
            raw_cols.append(
                f"CASE WHEN jsonb_typeof(a.custom -> CAST(:{key} AS text)) = 'number' "
                f"THEN (a.custom ->> CAST(:{key} AS text))::numeric END AS cf{index}"
            )
            point_cols.append(
                f"round(:{weight} * percent_rank() OVER (ORDER BY r.cf{index} NULLS FIRST)::numeric, 2) AS {name}"
            )
            raw_values.append(f"g.cf{index}")
    count = len(config["criteria"])
    total = " + ".join(f"p.p{i}" for i in range(count)) or "0"
    bands = config["bands"]
    cases: list[str] = []
    if config["method"] == "percentile":
        cumulative = 0
        for index, band in enumerate(bands[:-1]):
            cumulative += int(band["share_percent"])
            params[f"c{index}"] = cumulative
            cases.append(f"WHEN g.position < :c{index} THEN '{band['grade']}'")
    else:
        for index, band in enumerate(bands[:-1]):
            params[f"c{index}"] = Decimal(band["min_score"])
            cases.append(f"WHEN g.score >= :c{index} THEN '{band['grade']}'")
    grade_expr = f"CASE {' '.join(cases)} ELSE '{bands[-1]['grade']}' END"
    extra_raw = (", " + ", ".join(raw_cols)) if raw_cols else ""
    sql = f"""
INSERT INTO {s}.grading_scores (run_id, account_id, score, computed_grade, previous_grade, raw, points)
WITH ord AS (
    SELECT o.account_id, sum(o.total) AS order_amount, sum(coalesce(o.margin, 0)) AS profit
    FROM {s}.orders o
    WHERE o.deleted_at IS NULL AND o.status <> 'cancelled'
      AND o.order_date > current_date - make_interval(months => :months)
    GROUP BY o.account_id
), credit AS (
    SELECT i.account_id, count(*) AS due, count(*) FILTER (WHERE l.days_late > 0) AS late,
           coalesce(avg(l.days_late) FILTER (WHERE l.days_late > 0), 0) AS avg_late
    FROM {s}.payment_instalments i
    CROSS JOIN LATERAL (
        SELECT CASE WHEN i.status = 'paid' THEN greatest(coalesce(i.paid_on, i.due_date) - i.due_date, 0)
                    ELSE greatest(current_date - i.due_date, 0) END AS days_late
    ) l
    WHERE i.status <> 'void' AND i.due_date > current_date - interval '12 months' AND i.due_date <= current_date
    GROUP BY i.account_id
), r AS (
    SELECT a.id AS account_id, a.grade AS previous_grade,
           coalesce(o.order_amount, 0) AS order_amount, coalesce(o.profit, 0) AS profit,
           coalesce(c.due, 0) AS due, coalesce(c.late, 0) AS late, coalesce(c.avg_late, 0) AS avg_late,
           gs.score AS growth{extra_raw}
    FROM {s}.accounts a
    LEFT JOIN ord o ON o.account_id = a.id
    LEFT JOIN credit c ON c.account_id = a.id
    LEFT JOIN {s}.growth_scores gs ON gs.account_id = a.id
    WHERE a.deleted_at IS NULL
), p AS (
    SELECT r.*, {", ".join(point_cols) if point_cols else "0 AS p_none"} FROM r
), g AS (
    SELECT p.*, ({total}) AS score,
           (rank() OVER (ORDER BY ({total}) DESC) - 1) * 100.0 / count(*) OVER () AS position
    FROM p
)
SELECT CAST(:run_id AS uuid), g.account_id, g.score, {grade_expr}, g.previous_grade,
       CAST(ARRAY[{", ".join(raw_values)}] AS numeric[]),
       CAST(ARRAY[{", ".join(f"g.p{i}" for i in range(count))}] AS numeric[])
FROM g
"""
    return sql, params


async def score_all(session: AsyncSession, scope: TenantScope, run_id: uuid.UUID) -> tuple[int, int]:
    """Score every customer under ``run_id``, set the grades, record the changes; (scored, changed). No commit."""
    s = f'"{scope.schema}"'
    config = await get_config(session, scope)
    await session.execute(text("SET LOCAL work_mem = '256MB'"))  # the rank sorts of ~1M rows stay in memory
    await session.execute(text(f"DELETE FROM {s}.grading_scores WHERE run_id = :r"), {"r": run_id})
    sql, params = _score_sql(scope.schema, config)
    scored = (await session.execute(text(sql), {**params, "run_id": run_id})).rowcount  # type: ignore[attr-defined]
    changed = (
        await session.execute(
            text(f"""
WITH moved AS MATERIALIZED (
    SELECT account_id, previous_grade, computed_grade FROM {s}.grading_scores
    WHERE run_id = :r AND previous_grade IS DISTINCT FROM computed_grade
), changed AS (
    UPDATE {s}.accounts a SET grade = sc.computed_grade
    FROM moved sc
    WHERE a.id = sc.account_id AND a.grade IS DISTINCT FROM sc.computed_grade
      AND NOT EXISTS (SELECT 1 FROM {s}.manual_grades m WHERE m.account_id = a.id)
    RETURNING a.id, sc.previous_grade, sc.computed_grade
)
INSERT INTO {s}.grade_history (id, account_id, from_grade, to_grade, source, run_id)
SELECT gen_random_uuid(), id, previous_grade, computed_grade, 'run', CAST(:r AS uuid) FROM changed
"""),
            {"r": run_id},
        )
    ).rowcount  # type: ignore[attr-defined]
    await session.execute(text(f"DELETE FROM {s}.grading_scores WHERE run_id <> :r"), {"r": run_id})
    await session.execute(
        text(f"UPDATE {s}.grading_runs SET config = CAST(:c AS jsonb) WHERE id = :r"),
        {"r": run_id, "c": json.dumps(config)},
    )
    return int(scored or 0), int(changed or 0)


async def run_grading(session: AsyncSession, scope: TenantScope, run_id: uuid.UUID | None, trigger: str) -> GradingRun:
    """The whole run in the session's one transaction (the caller commits): redone from scratch if redelivered."""
    s = f'"{scope.schema}"'
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"{scope.schema}:grading.run"})
    options = scoped(scope)
    found = select(GradingRun).where(GradingRun.id == run_id).with_for_update()
    run = (await session.scalars(found, execution_options=options)).first() if run_id else None
    if run is None:
        run = (
            await session.scalars(
                insert(GradingRun).values(id=run_id or uuid.uuid4(), status="running", trigger=trigger)
                .returning(GradingRun),
                execution_options=options,
            )
        ).one()  # fmt: skip
    elif run.status == "done":
        return run  # a second delivery of a finished run
    started = time.monotonic()
    scored, changed = await score_all(session, scope, run.id)
    await session.execute(
        text(f"UPDATE {s}.grading_runs SET status = 'done', finished_at = now(), scored = :n, changed = :c, "
             "duration_ms = :d WHERE id = :r"),
        {"n": scored, "c": changed, "d": int((time.monotonic() - started) * 1000), "r": run.id},
    )  # fmt: skip
    return (
        await session.scalars(
            select(GradingRun).where(GradingRun.id == run.id).execution_options(populate_existing=True),
            execution_options=options,
        )
    ).one()


# ------------------------------------------------------------------------------------------ manual grades


async def _account(session: AsyncSession, access: Access, account_id: uuid.UUID, action: str) -> Account:
    found = (
        await session.scalars(
            select(Account).where(
                Account.id == account_id, Account.deleted_at.is_(None), customers.visible(access, Account, action)
            ),
            execution_options=scoped(access.scope),
        )
    ).first()
    if found is None:
        raise not_found("account")
    return found


def is_manager(access: Access) -> bool:
    """Grades are set by hand by those who manage others' customers: a scope wider than their own."""
    return access.scope_of("customers", "update") not in ("none", "shared", "own")


def _require_manager(access: Access) -> None:
    if not is_manager(access):
        raise forbidden("Only managers may set a customer's grade by hand.")


async def account_grade(session: AsyncSession, access: Access, account_id: uuid.UUID) -> dict[str, Any]:
    account = await _account(session, access, account_id, "read")
    options = scoped(access.scope)
    manual = (
        await session.scalars(
            select(ManualGrade).where(ManualGrade.account_id == account_id), execution_options=options
        )
    ).first()
    growth = await session.scalar(
        select(GrowthScore.score).where(GrowthScore.account_id == account_id), execution_options=options
    )
    return {"account_id": account.id, "grade": account.grade, "manual": manual is not None,
            "reason": manual.reason if manual else None, "set_by": manual.set_by if manual else None,
            "set_at": manual.set_at if manual else None, "growth_score": growth,
            "can_set": is_manager(access)}  # fmt: skip


async def set_manual(
    session: AsyncSession, access: Access, account_id: uuid.UUID, grade: str, reason: str
) -> dict[str, Any]:
    _require_manager(access)
    config = await get_config(session, access.scope)
    reason = reason.strip()
    errors = []
    if not reason:
        errors.append(FieldError("reason", "give the reason for a manual grade", "required"))
    if grade not in {b["grade"] for b in config["bands"]}:
        errors.append(FieldError("grade", "is not one of the configured grades", "invalid"))
    if errors:
        raise validation_error(*errors)
    account = await _account(session, access, account_id, "update")
    before = account.grade
    values = {"grade": grade, "reason": reason, "set_by": access.member_id}
    await session.execute(
        pg_insert(ManualGrade).values(account_id=account_id, **values)
        .on_conflict_do_update(index_elements=["account_id"], set_={**values, "set_at": func.now()}),
        execution_options=scoped(access.scope),
    )  # fmt: skip
    await _regrade(session, access, account_id, before, grade, "manual", reason)
    return await account_grade(session, access, account_id)


async def _regrade(
    session: AsyncSession,
    access: Access,
    account_id: uuid.UUID,
    before: str | None,
    after: str | None,
    source: str,
    reason: str | None,
) -> None:
    options = scoped(access.scope)
    await session.execute(
        update(Account).where(Account.id == account_id).values(grade=after), execution_options=options
    )
    await session.execute(
        insert(GradeHistory).values(id=uuid.uuid4(), account_id=account_id, from_grade=before, to_grade=after,
                                    source=source, reason=reason, actor_id=access.member_id),
        execution_options=options,
    )  # fmt: skip


async def remove_manual(session: AsyncSession, access: Access, account_id: uuid.UUID) -> dict[str, Any]:
    """The manual grade goes; the grade computed by the latest run (if any) takes its place at once."""
    _require_manager(access)
    account = await _account(session, access, account_id, "update")
    options = scoped(access.scope)
    removed = (
        await session.execute(
            delete(ManualGrade).where(ManualGrade.account_id == account_id), execution_options=options
        )
    ).rowcount  # type: ignore[attr-defined]
    if not removed:
        raise not_found("manual grade")
    latest = await latest_run(session, access.scope, done=True)
    computed = None
    if latest is not None:
        computed = await session.scalar(
            select(GradingScore.computed_grade)
            .where(GradingScore.account_id == account_id, GradingScore.run_id == latest.id),
            execution_options=options,
        )  # fmt: skip
    await _regrade(session, access, account_id, account.grade, computed or account.grade, "unset", None)
    return await account_grade(session, access, account_id)


async def set_growth(session: AsyncSession, access: Access, account_id: uuid.UUID, score: int | None) -> dict[str, Any]:
    _require_manager(access)
    await _account(session, access, account_id, "update")
    if score is None:
        await session.execute(
            delete(GrowthScore).where(GrowthScore.account_id == account_id), execution_options=scoped(access.scope)
        )
    else:
        await session.execute(
            pg_insert(GrowthScore).values(account_id=account_id, score=score, set_by=access.member_id)
            .on_conflict_do_update(index_elements=["account_id"],
                                   set_={"score": score, "set_by": access.member_id, "set_at": func.now()}),
            execution_options=scoped(access.scope),
        )  # fmt: skip
    return await account_grade(session, access, account_id)


async def history(session: AsyncSession, access: Access, account_id: uuid.UUID) -> list[GradeHistory]:
    await _account(session, access, account_id, "read")
    return list(
        await session.scalars(
            select(GradeHistory).where(GradeHistory.account_id == account_id)
            .order_by(GradeHistory.changed_at.desc(), GradeHistory.id.desc()).limit(200),
            execution_options=scoped(access.scope),
        )
    )  # fmt: skip


# ------------------------------------------------------------------------------------------------ report


def _parse_score(value: str) -> Decimal:
    return Decimal(value)


async def report(
    session: AsyncSession, access: Access, *, filters: dict[str, Any], cursor: str | None, limit: int
) -> tuple[GradingRun | None, list[dict[str, Any]], str | None]:
    """The latest finished run's scores of the customers one may see, best score first (keyset: score, id)."""
    access.require("customers", "read")
    run = await latest_run(session, access.scope, done=True)
    if run is None:
        return None, [], None
    conditions = [GradingScore.run_id == run.id, Account.deleted_at.is_(None), customers.visible(access, Account)]
    if filters.get("grade"):
        conditions.append(Account.grade == filters["grade"])
    if filters.get("owner_id"):
        conditions.append(Account.owner_id == filters["owner_id"])
    if filters.get("manual") is not None:
        conditions.append(
            ManualGrade.account_id.is_not(None) if filters["manual"] else ManualGrade.account_id.is_(None)
        )
    if filters.get("q"):
        term = filters["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(Account.name.ilike(f"%{term}%", escape="\\"))
    if cursor:
        value, last = customers.decode_cursor(cursor, _parse_score)
        conditions.append(
            or_(GradingScore.score < value, and_(GradingScore.score == value, GradingScore.account_id > last))
        )
    rows = (
        await session.execute(
            select(
                GradingScore,
                Account.name,
                Account.owner_id,
                Account.grade,
                ManualGrade.reason,
                ManualGrade.account_id.label("manual_id"),
            )
            .join(Account, Account.id == GradingScore.account_id)
            .outerjoin(ManualGrade, ManualGrade.account_id == GradingScore.account_id)
            .where(*conditions)
            .order_by(GradingScore.score.desc(), GradingScore.account_id)
            .limit(limit + 1),
            execution_options=scoped(access.scope),
        )
    ).all()
    raw_keys, point_keys = layout(run.config or await get_config(session, access.scope))
    items = [
        {"account_id": sc.account_id, "name": name, "owner_id": owner, "score": sc.score,
         "computed_grade": sc.computed_grade, "grade": grade, "previous_grade": sc.previous_grade,
         "manual": manual_id is not None, "manual_reason": reason, "raw": dict(zip(raw_keys, sc.raw, strict=False)),
         "points": dict(zip(point_keys, sc.points, strict=False))}
        for sc, name, owner, grade, reason, manual_id in rows[:limit]
    ]  # fmt: skip
    next_cursor = None
    if len(rows) > limit:
        tail: GradingScore = rows[limit - 1][0]
        next_cursor = customers.encode_cursor(tail.score, tail.account_id)
    return run, items, next_cursor


async def distribution(
    session: AsyncSession, access: Access, date_from: dt.date | None, date_to: dt.date | None
) -> dict[str, Any]:
    """Customers per grade now (in one's scope), and from->to moves recorded between two dates."""
    access.require("customers", "read")
    counts = {
        (grade or "none"): count
        for grade, count in await session.execute(
            select(Account.grade, func.count()).where(Account.deleted_at.is_(None), customers.visible(access, Account))
            .group_by(Account.grade),
            execution_options=scoped(access.scope),
        )
    }  # fmt: skip
    moves = (
        select(GradeHistory.from_grade, GradeHistory.to_grade, func.count())
        .join(Account, Account.id == GradeHistory.account_id)
        .where(customers.visible(access, Account))
    )
    if date_from:
        moves = moves.where(GradeHistory.changed_at >= date_from)
    if date_to:
        moves = moves.where(GradeHistory.changed_at < date_to + dt.timedelta(days=1))
    movement = [
        {"from": f, "to": t, "count": n}
        for f, t, n in await session.execute(
            moves.group_by(GradeHistory.from_grade, GradeHistory.to_grade), execution_options=scoped(access.scope)
        )
    ]
    return {"counts": counts, "movement": movement}


EXPORT_LIMIT = 100_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def export_report(session: AsyncSession, access: Access, filters: dict[str, Any], fmt: str) -> tuple[bytes, str]:
    """The report as one file: a column per criterion's raw value and points, after the grade columns."""
    from guanxi.spreadsheet import XlsxSheet, csv_line

    run = await latest_run(session, access.scope, done=True)
    raw_keys, keys = layout((run.config if run else None) or await get_config(session, access.scope))
    headers = ["account_id", "name", "owner_id", "score", "grade", "computed_grade", "previous_grade", "manual",
               "manual_reason", *[f"raw:{k}" for k in raw_keys], *[f"points:{k}" for k in keys]]  # fmt: skip
    _, items, _ = await report(session, access, filters=filters, cursor=None, limit=EXPORT_LIMIT)
    rows = [
        [i["account_id"], i["name"], i["owner_id"], i["score"], i["grade"], i["computed_grade"], i["previous_grade"],
         i["manual"], i["manual_reason"], *[i["raw"].get(k) for k in raw_keys], *[i["points"].get(k) for k in keys]]
        for i in items
    ]  # fmt: skip
    if fmt == "csv":
        return ("\ufeff" + csv_line(headers) + "".join(csv_line(r) for r in rows)).encode(), "text/csv; charset=utf-8"
    sheet = XlsxSheet(headers)
    for r in rows:
        sheet.append([str(v) if isinstance(v, uuid.UUID) else v for v in r])
    buffer = io.BytesIO()
    sheet.book.save(buffer)
    return buffer.getvalue(), XLSX


# ------------------------------------------------------------------------------------ follow-up cadence

FOLLOW_UP_SUBJECT = {"en": "Follow-up visit (grade {grade})", "zh-Hans": "定期拜访（{grade} 级客户）",
                     "zh-Hant": "定期拜訪（{grade} 級客戶）"}  # fmt: skip


async def schedule_follow_ups(session: AsyncSession, scope: TenantScope, locale: str) -> int:
    """One open visit task for the owner of each graded, owned customer not followed up within its grade's
    cadence (from the later of the last activity and the claim) and without an open visit already. Set-based,
    idempotent: a second run the same night finds every such customer with its open visit. No commit."""
    config = await get_config(session, scope)
    s = f'"{scope.schema}"'
    cadence = {grade: int(days) for grade, days in config["follow_up_days"].items()}
    if not cadence:
        return 0
    subject = FOLLOW_UP_SUBJECT.get(locale, FOLLOW_UP_SUBJECT["en"])
    values = ", ".join(f"(CAST(:g{i} AS text), CAST(:d{i} AS int))" for i in range(len(cadence)))
    params: dict[str, Any] = {}
    for i, (grade, days) in enumerate(sorted(cadence.items())):
        params |= {f"g{i}": grade, f"d{i}": days}
    created = (
        await session.execute(
            text(f"""
WITH cadence(grade, days) AS (VALUES {values})
INSERT INTO {s}.activities (id, kind, account_id, subject, occurred_at, due_at, owner_id)
SELECT gen_random_uuid(), 'visit', a.id, replace(CAST(:subject AS text), '{{grade}}', a.grade), now(),
       now() + interval '7 days', a.owner_id
FROM {s}.accounts a
JOIN cadence c ON c.grade = a.grade
WHERE a.deleted_at IS NULL AND a.owner_id IS NOT NULL
  AND greatest(coalesce(a.last_activity_at, a.created_at), coalesce(a.claimed_at, a.created_at))
      < now() - make_interval(days => c.days)
  AND NOT EXISTS (
      SELECT 1 FROM {s}.activities v
      WHERE v.account_id = a.id AND v.kind = 'visit' AND v.done_at IS NULL AND v.deleted_at IS NULL
        AND v.due_at IS NOT NULL
  )
"""),
            {**params, "subject": subject},
        )
    ).rowcount  # type: ignore[attr-defined]
    return int(created or 0)
