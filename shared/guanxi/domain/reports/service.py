"""Running predefined and builder reports, saved reports and who may see them, and exports (CSV, XLSX, PDF)."""

from __future__ import annotations

import tempfile
import uuid
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from sqlalchemy import any_, delete, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id
from guanxi.db.tenancy import scoped
from guanxi.domain.access.models import Member
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.billing import limits
from guanxi.domain.billing.service import require_feature
from guanxi.domain.churn import reports as churn_reports  # noqa: F401  (registers churn's report)
from guanxi.domain.churn.models import ChurnScore
from guanxi.domain.customers import repository as customers
from guanxi.domain.customers.models import Account
from guanxi.domain.deals.models import Deal
from guanxi.domain.grading import reports as grading_reports  # noqa: F401  (registers grading's reports)
from guanxi.domain.numbering.service import workspace_today
from guanxi.domain.orders import service as orders
from guanxi.domain.orders.models import Order
from guanxi.domain.reports import builder, predefined  # noqa: F401  (registers this domain's reports)
from guanxi.domain.reports.models import ReportSchedule, SavedReport
from guanxi.domain.reports.pdf import table_pdf
from guanxi.domain.reports.registry import REPORTS, Table, clean_params, unknown_report
from guanxi.domain.reports.schemas import BuilderIn, SavedIn, ScheduleIn
from guanxi.domain.targets import service as targets
from guanxi.domain.workreports import service as workreports
from guanxi.errors import FieldError, forbidden, validation_error
from guanxi.spreadsheet import XlsxSheet, csv_line

MODULE = "reports"
MAX_SAVED_PAGE = 200


def available(access: Access) -> list[dict[str, Any]]:
    """The predefined reports whose module the reader may read."""
    return [
        {"key": r.key, "title": r.title, "module": r.module,
         "params": [{"name": p.name, "kind": p.kind, "choices": list(p.choices), "default": p.default}
                    for p in r.params]}
        for r in REPORTS.values() if access.can(r.module, "read")
    ]  # fmt: skip


async def run_predefined(session: AsyncSession, access: Access, key: str, params: dict[str, Any]) -> dict[str, Any]:
    definition = REPORTS.get(key)
    if definition is None:
        raise unknown_report(key)
    access.require(definition.module, "read")
    table = await definition.run(session, access, clean_params(definition, params))
    return shaped(definition.title, table)


async def run_builder(session: AsyncSession, access: Access, spec: BuilderIn, title: str = "") -> dict[str, Any]:
    return shaped(title or spec.entity, await builder.run(session, access, spec))


def shaped(title: str, table: Table) -> dict[str, Any]:
    return {"title": title, "columns": [c.__dict__ for c in table.columns], "rows": table.rows,
            "chart": table.chart, "truncated": table.truncated, "notes": table.notes}  # fmt: skip


# ---- saved reports -------------------------------------------------------------------------------------------


def _readable(access: Access) -> Any:
    """Saved reports the reader may open: their own, those shared with everyone, those shared with them."""
    return or_(
        SavedReport.owner_id == access.member_id,
        SavedReport.shared_with == "everyone",
        (SavedReport.shared_with == "members") & (literal(access.member_id) == any_(SavedReport.member_ids)),
    )


async def _check(session: AsyncSession, access: Access, data: SavedIn) -> dict[str, Any]:
    """Validated on save: one kind of report, its parameters or definition sound for the author, members known."""
    if not data.name.strip():
        raise validation_error(FieldError("name", "must not be blank", "required"))
    if (data.report_key is None) == (data.definition is None):
        raise validation_error(FieldError("report_key", "give either report_key or definition", "invalid"))
    params: dict[str, Any] = {}
    if data.report_key is not None:
        definition = REPORTS.get(data.report_key)
        if definition is None:
            raise validation_error(FieldError("report_key", "is not a known report", "unknown"))
        clean = clean_params(definition, data.params)
        params = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in clean.items() if v is not None}
    else:
        assert data.definition is not None
        await require_feature(session, access.scope.tenant_id, "reports_builder")
        await builder.run(session, access, msgspec.structs.replace(data.definition, limit=1))  # refuses what is wrong
    if data.shared_with != "members" and data.member_ids:
        raise validation_error(FieldError("member_ids", "only when shared_with is members", "invalid"))
    if data.member_ids:
        known = set(await session.scalars(select(Member.id).where(Member.id.in_(data.member_ids)),
                                          execution_options=scoped(access.scope)))  # fmt: skip
        missing = [i for i, m in enumerate(data.member_ids) if m not in known]
        if missing:
            raise validation_error(FieldError(f"member_ids[{missing[0]}]", "is not a member", "unknown"))
    return {"name": data.name.strip(), "report_key": data.report_key, "params": params,
            "definition": msgspec.to_builtins(data.definition) if data.definition else None,
            "shared_with": data.shared_with, "member_ids": list(dict.fromkeys(data.member_ids))}  # fmt: skip


def saved_row(report: SavedReport, access: Access) -> dict[str, Any]:
    return {"id": report.id, "name": report.name, "report_key": report.report_key, "params": report.params,
            "definition": report.definition, "shared_with": report.shared_with, "member_ids": report.member_ids,
            "owner_id": report.owner_id, "mine": report.owner_id == access.member_id,
            "created_at": report.created_at, "updated_at": report.updated_at}  # fmt: skip


async def create_saved(session: AsyncSession, access: Access, data: SavedIn) -> SavedReport:
    access.require(MODULE, "create")
    values = await _check(session, access, data)
    created = await session.scalars(
        insert(SavedReport)
        .values(id=new_id(), owner_id=access.member_id, created_by=access.member_id, **values)
        .returning(SavedReport),
        execution_options=scoped(access.scope),
    )
    return created.one()


async def saved(session: AsyncSession, access: Access, report_id: uuid.UUID) -> SavedReport:
    access.require(MODULE, "read")
    found = await session.scalar(
        select(SavedReport).where(SavedReport.id == report_id, _readable(access)),
        execution_options=scoped(access.scope),
    )
    if found is None:
        raise not_found_for("Report")
    return found


async def list_saved(session: AsyncSession, access: Access, after: uuid.UUID | None, limit: int) -> list[SavedReport]:
    """Keyset-paged by id (time-ordered): the reader's own and those shared with them."""
    access.require(MODULE, "read")
    query = select(SavedReport).where(_readable(access)).order_by(SavedReport.id).limit(min(limit, MAX_SAVED_PAGE))
    if after is not None:
        query = query.where(SavedReport.id > after)
    return list(await session.scalars(query, execution_options=scoped(access.scope)))


async def _mine(session: AsyncSession, access: Access, report_id: uuid.UUID) -> SavedReport:
    report = await saved(session, access, report_id)
    if report.owner_id != access.member_id and access.scope_of(MODULE, "update") != "all":
        raise forbidden("Only the author (or an administrator) may change a saved report.")
    return report


async def change_saved(session: AsyncSession, access: Access, report_id: uuid.UUID, data: SavedIn) -> SavedReport:
    await _mine(session, access, report_id)
    values = await _check(session, access, data)
    changed = await session.scalars(
        update(SavedReport).where(SavedReport.id == report_id).values(**values, updated_at=func.now())
        .returning(SavedReport),
        execution_options={**scoped(access.scope), "populate_existing": True},
    )  # fmt: skip
    return changed.one()


async def delete_saved(session: AsyncSession, access: Access, report_id: uuid.UUID) -> None:
    await _mine(session, access, report_id)
    await session.execute(
        delete(SavedReport).where(SavedReport.id == report_id), execution_options=scoped(access.scope)
    )


async def run_saved(session: AsyncSession, access: Access, report_id: uuid.UUID) -> dict[str, Any]:
    """In the READER's scope: sharing a report shares its question, never the author's answer."""
    report = await saved(session, access, report_id)
    if report.report_key is not None:
        answer = await run_predefined(session, access, report.report_key, dict(report.params))
        return {**answer, "title": report.name}
    await require_feature(session, access.scope.tenant_id, "reports_builder")
    spec = msgspec.convert(report.definition, BuilderIn)
    return await run_builder(session, access, spec, report.name)


# ---- exports ---------------------------------------------------------------------------------------------------

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def export(answer: dict[str, Any], fmt: str) -> bytes:
    headers = [c["label"] for c in answer["columns"]]
    if fmt == "csv":
        return ("\ufeff" + csv_line(headers) + "".join(csv_line(r) for r in answer["rows"])).encode()
    if fmt == "xlsx":
        sheet = XlsxSheet(headers)
        for row in answer["rows"]:
            sheet.append(row)
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as file:
            sheet.save(file.name)
            return file.read()
    if fmt == "pdf":
        return table_pdf(answer)
    raise validation_error(FieldError("format", f"must be one of {', '.join(FORMATS)}", "invalid_choice"))


# ---- schedules -------------------------------------------------------------------------------------------------


def known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


async def create_schedule(
    session: AsyncSession, access: Access, report_id: uuid.UUID, data: ScheduleIn
) -> ReportSchedule:
    """The author (or an administrator) schedules a saved report for members who may open it; each gets it in
    their own scope, at the hour in their time zone."""
    report = await _mine(session, access, report_id)
    await limits.check_schedules(session, access.scope)
    errors: list[FieldError] = []
    if data.frequency == "weekly" and data.weekday is None:
        errors.append(FieldError("weekday", "is needed for a weekly schedule", "required"))
    if data.frequency == "monthly" and data.day_of_month is None:
        errors.append(FieldError("day_of_month", "is needed for a monthly schedule", "required"))
    if not data.recipients:
        errors.append(FieldError("recipients", "needs at least one member", "required"))
    ids = [r.member_id for r in data.recipients]
    known = set(await session.scalars(select(Member.id).where(Member.id.in_(ids), Member.status == "active"),
                                      execution_options=scoped(access.scope)))  # fmt: skip
    allowed = {report.owner_id} | (set(known) if report.shared_with == "everyone" else set(report.member_ids))
    for i, recipient in enumerate(data.recipients):
        if recipient.member_id not in known:
            errors.append(FieldError(f"recipients[{i}].member_id", "is not an active member", "unknown"))
        elif recipient.member_id not in allowed:
            errors.append(FieldError(f"recipients[{i}].member_id", "may not open this report", "not_shared"))
        if recipient.timezone is not None and not known_zone(recipient.timezone):
            errors.append(FieldError(f"recipients[{i}].timezone", "is not a known time zone", "unknown_timezone"))
    if len(set(ids)) != len(ids):
        errors.append(FieldError("recipients", "names a member twice", "duplicate"))
    if errors:
        raise validation_error(*errors)
    created = await session.scalars(
        insert(ReportSchedule)
        .values(
            id=new_id(), saved_report_id=report.id, frequency=data.frequency, hour=data.hour,
            weekday=data.weekday if data.frequency == "weekly" else None,
            day_of_month=data.day_of_month if data.frequency == "monthly" else None,
            formats=list(dict.fromkeys(data.formats)),
            recipients=[{"member_id": str(r.member_id), "timezone": r.timezone} for r in data.recipients],
            owner_id=access.member_id, created_by=access.member_id,
        )
        .returning(ReportSchedule),
        execution_options=scoped(access.scope),
    )  # fmt: skip
    return created.one()


async def schedules(session: AsyncSession, access: Access, report_id: uuid.UUID) -> list[ReportSchedule]:
    report = await saved(session, access, report_id)
    found = await session.scalars(
        select(ReportSchedule).where(ReportSchedule.saved_report_id == report.id).order_by(ReportSchedule.id),
        execution_options=scoped(access.scope),
    )
    return list(found)


async def delete_schedule(session: AsyncSession, access: Access, report_id: uuid.UUID, schedule_id: uuid.UUID) -> None:
    report = await _mine(session, access, report_id)
    gone = await session.execute(
        delete(ReportSchedule)
        .where(ReportSchedule.id == schedule_id, ReportSchedule.saved_report_id == report.id)
        .returning(ReportSchedule.id),
        execution_options=scoped(access.scope),
    )
    if gone.first() is None:
        raise not_found_for("Schedule")


def schedule_row(schedule: ReportSchedule) -> dict[str, Any]:
    return {"id": schedule.id, "saved_report_id": schedule.saved_report_id, "frequency": schedule.frequency,
            "hour": schedule.hour, "weekday": schedule.weekday, "day_of_month": schedule.day_of_month,
            "formats": schedule.formats, "recipients": schedule.recipients, "owner_id": schedule.owner_id}  # fmt: skip


# ---- the home dashboard ----------------------------------------------------------------------------------------


async def dashboard(session: AsyncSession, access: Access) -> dict[str, Any]:
    """What home shows the reader, each widget one query in the reader's scope (a rep sees theirs, a manager their
    team's, an administrator the company's): this month's sales, the open pipeline, their target progress, the
    customers at risk of churning and, for those who read others' work reports, who has not written today's."""
    today = await workspace_today(session, access.scope)
    start = today.replace(day=1)
    options = scoped(access.scope)
    answer: dict[str, Any] = {"month": start.isoformat()[:7], "scope": access.scope_of("orders", "read"),
                              "sales": None, "pipeline": None, "target": None, "at_risk": None,
                              "work_reports": None}  # fmt: skip
    if access.can("customers", "read"):
        answer["at_risk"] = await session.scalar(
            select(func.count()).select_from(ChurnScore).join(Account, Account.id == ChurnScore.account_id)
            .where(ChurnScore.at_risk_since.is_not(None), Account.deleted_at.is_(None),
                   customers.visible(access, Account)),
            execution_options=options,
        )  # fmt: skip
    if access.scope_of(workreports.MODULE, "read") not in ("none", "own"):
        daily = await workreports.missing(session, access, "daily", None)
        if daily["required"]:
            answer["work_reports"] = {k: daily[k] for k in ("required", "submitted", "period_start")}
    if access.can("orders", "read"):
        rows = await session.execute(
            select(Order.currency, func.count(), func.sum(Order.total))
            .where(Order.deleted_at.is_(None), Order.status != "cancelled", Order.order_date.between(start, today),
                   orders.visible(access))
            .group_by(Order.currency).order_by(func.sum(Order.total).desc()),
            execution_options=options,
        )  # fmt: skip
        answer["sales"] = [{"currency": r[0], "count": int(r[1]), "total": r[2]} for r in rows]
    if access.can("deals", "read"):
        rows = await session.execute(
            select(Deal.currency, func.count(), func.sum(Deal.amount))
            .where(Deal.status == "open", Deal.deleted_at.is_(None),
                   access.where("deals", "read", Deal.owner_id, record_type="deal", id_column=Deal.id))
            .group_by(Deal.currency).order_by(func.sum(Deal.amount).desc()),
            execution_options=options,
        )  # fmt: skip
        answer["pipeline"] = [{"currency": r[0], "count": int(r[1]), "total": r[2]} for r in rows]
        progress = await targets.progress(session, access, None, "won")
        wide = access.scope_of("deals", "read") == "all"
        mine = [r for r in progress["rows"] if r["subject_type"] == "member" and r["subject_id"] == access.member_id]
        teams = [r for r in progress["rows"] if r["subject_type"] == "department"]
        row = progress["rows"][0] if wide else (teams[0] if teams and access.scope_of("deals", "read") not in (
            "own", "shared") else (mine[0] if mine else None))  # fmt: skip
        if row is not None:
            answer["target"] = {"name": row["name"], "level": row["subject_type"], "currency": progress["currency"],
                                "target": row["target"], "achieved": row["achieved"], "percent": row["percent"],
                                "period": progress["period"]}  # fmt: skip
    return answer
