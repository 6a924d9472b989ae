"""Work reports (工作日报/周报/月报): a member writes one per kind and period, pre-filled with their own figures of
the period computed in SQL; readers in their ``reports_work`` scope read and comment, and the author is told.

Choices: a report is written and submitted in one step (no separate draft state: the draft is what
``draft()`` computes until it is submitted); the author may change it until someone has commented; the figures
are taken again on every save, so they are the period's as of the last save. Periods are calendar days, ISO
weeks (Monday first) and calendar months in the workspace's time zone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, and_, delete, exists, func, literal, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id
from guanxi.db.tenancy import scoped
from guanxi.domain.access.models import Department, Member
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.activities.models import Activity
from guanxi.domain.customers.repository import decode_cursor, encode_cursor
from guanxi.domain.customers.validation import Cleaner
from guanxi.domain.deals.models import Deal, DealStageChange
from guanxi.domain.identity.models import User
from guanxi.domain.notifications.service import Kind, notify, register_kind
from guanxi.domain.orders.models import Payment
from guanxi.domain.targets.periods import month_after
from guanxi.domain.tenancy.models import WorkspaceSettings
from guanxi.domain.workreports.models import WorkReport, WorkReportComment, WorkReportRule
from guanxi.domain.workreports.schemas import WEEKDAYS, ReportIn, RuleIn
from guanxi.errors import conflict, validation_error

TEXT_MAX = 5000
COMMENT_MAX = 2000
MODULE = "reports_work"

register_kind(
    Kind(
        "work_report.comment",
        {
            "en": ("{name} commented on your {kind} report", "{preview}"),
            "zh-Hans": ("{name} 评论了你的工作报告", "{preview}"),
            "zh-Hant": ("{name} 評論了你的工作報告", "{preview}"),
        },
        email="instant",
    )
)
register_kind(
    Kind(
        "work_report.reminder",
        {
            "en": (
                "Reminder: your {kind_en} report is due by {deadline}",
                "Due {date} {deadline}. Write it under Work reports; the figures of the period are filled in for you.",
            ),
            "zh-Hans": (
                "提醒：请在 {deadline} 前提交{kind_hans}",
                "截止时间：{date} {deadline}。请在「工作报告」中填写并提交，本期数据已为你自动填好。",
            ),
            "zh-Hant": (
                "提醒：請在 {deadline} 前提交{kind_hant}",
                "截止時間：{date} {deadline}。請在「工作報告」中填寫並提交，本期數據已為你自動填好。",
            ),
        },
        email="instant",
    )
)


def period(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    if kind == "daily":
        return day, day + dt.timedelta(days=1)
    if kind == "weekly":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=7)
    start = day.replace(day=1)
    return start, month_after(start, 1)


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA zone of that name; None for none or one this system does not know."""
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


async def local_today(session: AsyncSession, access: Access, now: dt.datetime | None = None) -> dt.date:
    """Today where the caller is: their own time zone, else the workspace's (a period's default day)."""
    mine = select(User.timezone).where(User.id == access.member_id).scalar_subquery()
    workspace = select(WorkspaceSettings.timezone).limit(1).scalar_subquery()
    row = (await session.execute(select(mine, workspace), execution_options=scoped(access.scope))).one()
    zone = zone_named(row[0]) or zone_named(row[1]) or dt.UTC
    return (now or dt.datetime.now(dt.UTC)).astimezone(zone).date()


async def _zone_and_currency(session: AsyncSession, access: Access) -> tuple[str, str]:
    row = (
        await session.execute(
            select(WorkspaceSettings.timezone, WorkspaceSettings.currency).limit(1),
            execution_options=scoped(access.scope),
        )
    ).first()
    return (row.timezone or "UTC", row.currency or "CNY") if row else ("UTC", "CNY")


async def figures(
    session: AsyncSession, access: Access, author_id: uuid.UUID, start: dt.date, end: dt.date
) -> dict[str, Any]:
    """The author's own figures of the period, in one round trip: calls and visits logged, tasks done, deal stage
    moves they made, the amount of their deals won and of their payments collected (the workspace currency)."""
    zone, currency = await _zone_and_currency(session, access)
    since = func.timezone(zone, literal(dt.datetime.combine(start, dt.time())))
    until = func.timezone(zone, literal(dt.datetime.combine(end, dt.time())))

    def logged(kind: str) -> Any:
        return (
            select(func.count())
            .where(
                Activity.owner_id == author_id,
                Activity.kind == kind,
                Activity.deleted_at.is_(None),
                Activity.occurred_at >= since,
                Activity.occurred_at < until,
            )
            .scalar_subquery()
        )

    tasks = (
        select(func.count())
        .where(
            Activity.owner_id == author_id,
            Activity.kind == "task",
            Activity.deleted_at.is_(None),
            Activity.done_at >= since,
            Activity.done_at < until,
        )
        .scalar_subquery()
    )
    moved = (
        select(func.count(func.distinct(DealStageChange.deal_id)))
        .where(
            DealStageChange.actor_id == author_id,
            DealStageChange.from_stage_id.is_not(None),
            DealStageChange.changed_at >= since,
            DealStageChange.changed_at < until,
        )
        .scalar_subquery()
    )
    won = (
        select(func.coalesce(func.sum(Deal.amount), 0))
        .where(
            Deal.owner_id == author_id,
            Deal.status == "won",
            Deal.deleted_at.is_(None),
            Deal.currency == currency,
            Deal.closed_at >= since,
            Deal.closed_at < until,
        )
        .scalar_subquery()
    )
    collected = (
        select(func.coalesce(func.sum(Payment.amount), 0))
        .where(
            Payment.owner_id == author_id,
            Payment.voided_at.is_(None),
            Payment.currency == currency,
            Payment.paid_on >= start,
            Payment.paid_on < end,
        )
        .scalar_subquery()
    )
    row = (
        await session.execute(
            select(logged("call"), logged("visit"), moved, won, collected, tasks),
            execution_options=scoped(access.scope),
        )
    ).one()
    return {"calls": int(row[0]), "visits": int(row[1]), "deals_moved": int(row[2]),
            "won_amount": str(Decimal(row[3])), "collected_amount": str(Decimal(row[4])), "tasks_done": int(row[5]),
            "currency": currency}  # fmt: skip


def _out(report: WorkReport, author_name: str | None, comments: list[dict[str, Any]]) -> dict[str, Any]:
    start, end = period(report.kind, report.period_start)
    return {
        "id": report.id, "author_id": report.author_id, "author_name": author_name, "kind": report.kind,
        "period_start": start, "period_end": end, "figures": report.figures, "summary": report.summary,
        "plans": report.plans, "problems": report.problems, "submitted_at": report.submitted_at,
        "comments": comments,
    }  # fmt: skip


async def draft(session: AsyncSession, access: Access, kind: str, day: dt.date) -> dict[str, Any]:
    """The caller's report of the period: the submitted one with fresh figures, or an empty one pre-filled."""
    access.require(MODULE, "create")
    start, end = period(kind, day)
    existing = await session.scalar(
        select(WorkReport).where(
            WorkReport.author_id == access.member_id, WorkReport.kind == kind, WorkReport.period_start == start
        ),
        execution_options=scoped(access.scope),
    )
    numbers = await figures(session, access, access.member_id, start, end)
    if existing is not None:
        shown = await read(session, access, existing.id)
        return {**shown, "figures": numbers}
    return {
        "id": None, "author_id": access.member_id, "author_name": None, "kind": kind, "period_start": start,
        "period_end": end, "figures": numbers, "summary": "", "plans": "", "problems": "", "submitted_at": None,
        "comments": [],
    }  # fmt: skip


async def submit(session: AsyncSession, access: Access, data: ReportIn) -> uuid.UUID:
    """Write (or rewrite) the caller's report of the period; refused once a reader has commented on it."""
    access.require(MODULE, "create")
    c = Cleaner()
    texts = {name: c.text(name, getattr(data, name), TEXT_MAX, multiline=True) or "" for name in
             ("summary", "plans", "problems")}  # fmt: skip
    if not c.errors and not any(texts.values()):
        c.fail("summary", "write at least a summary, plans or problems", "required")
    if c.errors:
        raise validation_error(*c.errors)
    start, end = period(data.kind, data.date)
    options = scoped(access.scope)
    existing = await session.scalar(
        select(WorkReport).where(
            WorkReport.author_id == access.member_id, WorkReport.kind == data.kind, WorkReport.period_start == start
        ),
        execution_options=options,
    )
    if existing is not None:
        commented = await session.scalar(
            select(func.count()).where(WorkReportComment.report_id == existing.id), execution_options=options
        )
        if commented:
            raise conflict("summary", "This report has comments and can no longer be changed.", "report-commented")
    numbers = await figures(session, access, access.member_id, start, end)
    values = {"figures": numbers, **texts}
    statement = insert(WorkReport).values(
        id=new_id(), author_id=access.member_id, kind=data.kind, period_start=start, **values
    )
    report_id = await session.scalar(
        statement.on_conflict_do_update(
            index_elements=["author_id", "kind", "period_start"], set_={**values, "updated_at": func.now()}
        ).returning(WorkReport.id),
        execution_options=options,
    )
    assert isinstance(report_id, uuid.UUID)
    return report_id


def _visible(access: Access) -> Any:
    owners = access.owners(MODULE, "read")
    if owners is None:
        return literal(True)
    return WorkReport.author_id.in_(owners | {access.member_id})


async def _comments(session: AsyncSession, access: Access, report_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    if not report_ids:
        return {}
    rows = await session.execute(
        select(WorkReportComment, Member.name)
        .outerjoin(Member, Member.id == WorkReportComment.author_id)
        .where(WorkReportComment.report_id.in_(report_ids))
        .order_by(WorkReportComment.id),
        execution_options=scoped(access.scope),
    )
    found: dict[uuid.UUID, list[Any]] = {}
    for comment, name in rows:
        found.setdefault(comment.report_id, []).append({
            "id": comment.id, "author_id": comment.author_id, "author_name": name, "body": comment.body,
            "created_at": comment.created_at,
        })  # fmt: skip
    return found


async def read(session: AsyncSession, access: Access, report_id: uuid.UUID) -> dict[str, Any]:
    row = (
        await session.execute(
            select(WorkReport, Member.name)
            .outerjoin(Member, Member.id == WorkReport.author_id)
            .where(WorkReport.id == report_id, _visible(access)),
            execution_options=scoped(access.scope),
        )
    ).first()
    if row is None:
        raise not_found_for("Work report")
    comments = await _comments(session, access, [report_id])
    return _out(row[0], row[1], comments.get(report_id, []))


async def listing(
    session: AsyncSession,
    access: Access,
    *,
    kind: str | None = None,
    author_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], str | None]:
    """Reports the reader may see (their own and their ``reports_work`` read scope), newest first, keyset."""
    query = select(WorkReport, Member.name).outerjoin(Member, Member.id == WorkReport.author_id).where(_visible(access))
    if kind:
        query = query.where(WorkReport.kind == kind)
    if author_id:
        query = query.where(WorkReport.author_id == author_id)
    if cursor:
        _at, last_id = decode_cursor(cursor, str)
        query = query.where(WorkReport.id < last_id)
    rows = (
        await session.execute(
            query.order_by(WorkReport.id.desc()).limit(limit + 1), execution_options=scoped(access.scope)
        )
    ).all()
    page = rows[:limit]
    comments = await _comments(session, access, [r[0].id for r in page])
    next_cursor = encode_cursor("", rows[limit - 1][0].id) if len(rows) > limit else None
    return [_out(r[0], r[1], comments.get(r[0].id, [])) for r in page], next_cursor


async def comment(session: AsyncSession, access: Access, report_id: uuid.UUID, body: str) -> dict[str, Any]:
    """A reader in scope comments; the author (when it is not themselves) is notified."""
    shown = await read(session, access, report_id)
    c = Cleaner()
    text = c.text("body", body, COMMENT_MAX, required=True, multiline=True)
    if c.errors:
        raise validation_error(*c.errors)
    assert text is not None
    comment_id = new_id()
    await session.execute(
        insert(WorkReportComment).values(id=comment_id, report_id=report_id, author_id=access.member_id, body=text),
        execution_options=scoped(access.scope),
    )
    if shown["author_id"] != access.member_id:
        name = await session.scalar(
            select(Member.name).where(Member.id == access.member_id), execution_options=scoped(access.scope)
        )
        await notify(
            session, access.scope, "work_report.comment", [shown["author_id"]],
            {"name": name or "", "kind": shown["kind"], "preview": " ".join(text.split())[:280]},
            link=f"/work-reports/{report_id}", key=f"work_report.comment:{comment_id}",
        )  # fmt: skip
    return await read(session, access, report_id)


# ---- submission rules (who must submit which report on which days, by when) and who has not submitted


RULE_NAME_MAX = 100
RULE_DEPARTMENTS_MAX = 50
RULE_MEMBERS_MAX = 500
REMIND_MAX = 1440  # a reminder goes at most a day before the deadline


def may_set_rules(access: Access) -> bool:
    """Rules speak for the workspace: those who may change its settings (owners and administrators)."""
    return access.can("settings", "update")


def _deadline(c: Cleaner, value: str) -> dt.time | None:
    try:
        hours, minutes = value.strip().split(":")[:2]
        if len(hours) > 2 or len(minutes) != 2:
            raise ValueError(value)
        return dt.time(int(hours), int(minutes))
    except ValueError:
        c.fail("deadline", "must be a time of day, HH:MM (00:00 to 23:59)")
        return None


async def _known(
    session: AsyncSession, access: Access, c: Cleaner, field: str, ids: list[uuid.UUID], column: Any, most: int,
    *conditions: Any,
) -> list[uuid.UUID]:  # fmt: skip
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        c.fail(field, "name at least one", "required")
    elif len(wanted) > most:
        c.fail(field, f"at most {most}", "too_long")
    else:
        found = set(
            await session.scalars(
                select(column).where(column.in_(wanted), *conditions), execution_options=scoped(access.scope)
            )
        )
        for index, one in enumerate(wanted):
            if one not in found:
                c.fail(f"{field}[{index}]", "is not one of this workspace's", "unknown")
    return wanted


async def _rule_values(session: AsyncSession, access: Access, data: RuleIn) -> dict[str, Any]:
    """The rule's columns, every problem of the input reported at once by field name."""
    c = Cleaner()
    name = c.text("name", data.name, RULE_NAME_MAX, required=True)
    departments: list[uuid.UUID] = []
    members: list[uuid.UUID] = []
    if data.audience == "departments":
        departments = await _known(
            session, access, c, "department_ids", data.department_ids, Department.id, RULE_DEPARTMENTS_MAX
        )
    elif data.audience == "members":
        members = await _known(
            session, access, c, "member_ids", data.member_ids, Member.id, RULE_MEMBERS_MAX, Member.status == "active"
        )
    weekdays: list[int] = []
    due_weekday = day_of_month = None
    if data.kind == "daily":
        weekdays = sorted({WEEKDAYS.index(day) for day in data.weekdays})
        if not weekdays:
            c.fail("weekdays", "choose at least one day", "required")
    elif data.kind == "weekly":
        if data.due_weekday is None:
            c.fail("due_weekday", "choose the day the weekly report is due", "required")
        else:
            due_weekday = WEEKDAYS.index(data.due_weekday)
    elif data.day_of_month is not None:
        if not 1 <= data.day_of_month <= 31:
            c.fail("day_of_month", "must be 1 to 31, or empty for the month's last day", "out_of_range")
        day_of_month = data.day_of_month
    deadline = _deadline(c, data.deadline)
    if not 0 <= data.remind_minutes <= REMIND_MAX:
        c.fail("remind_minutes", f"must be 0 to {REMIND_MAX} minutes before the deadline", "out_of_range")
    if c.errors:
        raise validation_error(*c.errors)
    return {
        "name": name, "kind": data.kind, "audience": data.audience, "department_ids": departments,
        "member_ids": members, "weekdays": weekdays, "due_weekday": due_weekday, "day_of_month": day_of_month,
        "deadline": deadline, "remind_minutes": data.remind_minutes, "enabled": data.enabled,
    }  # fmt: skip


def _rule_out(rule: WorkReportRule) -> dict[str, Any]:
    return {
        "id": rule.id, "name": rule.name, "kind": rule.kind, "audience": rule.audience,
        "department_ids": list(rule.department_ids or []), "member_ids": list(rule.member_ids or []),
        "weekdays": [WEEKDAYS[day] for day in rule.weekdays or []],
        "due_weekday": WEEKDAYS[rule.due_weekday] if rule.due_weekday is not None else None,
        "day_of_month": rule.day_of_month, "deadline": rule.deadline.strftime("%H:%M"),
        "remind_minutes": rule.remind_minutes, "enabled": rule.enabled, "created_at": rule.created_at,
        "updated_at": rule.updated_at,
    }  # fmt: skip


async def rules(session: AsyncSession, access: Access) -> list[dict[str, Any]]:
    """Every rule of the workspace (members may read what they are asked to write), by kind then oldest first."""
    access.require(MODULE, "read")
    found = await session.scalars(
        select(WorkReportRule).order_by(WorkReportRule.kind, WorkReportRule.id), execution_options=scoped(access.scope)
    )
    return [_rule_out(rule) for rule in found]


async def rule(session: AsyncSession, access: Access, rule_id: uuid.UUID) -> dict[str, Any]:
    access.require(MODULE, "read")
    found = await session.get(WorkReportRule, rule_id, execution_options=scoped(access.scope))
    if found is None:
        raise not_found_for("Submission rule")
    return _rule_out(found)


async def create_rule(session: AsyncSession, access: Access, data: RuleIn) -> uuid.UUID:
    access.require("settings", "update")
    values = await _rule_values(session, access, data)
    rule_id = new_id()
    await session.execute(
        insert(WorkReportRule).values(id=rule_id, created_by=access.member_id, **values),
        execution_options=scoped(access.scope),
    )
    return rule_id


async def change_rule(session: AsyncSession, access: Access, rule_id: uuid.UUID, data: RuleIn) -> None:
    access.require("settings", "update")
    await rule(session, access, rule_id)
    values = await _rule_values(session, access, data)
    await session.execute(
        update(WorkReportRule).where(WorkReportRule.id == rule_id).values(**values, updated_at=func.now()),
        execution_options=scoped(access.scope),
    )


async def delete_rule(session: AsyncSession, access: Access, rule_id: uuid.UUID) -> None:
    access.require("settings", "update")
    gone = await session.execute(
        delete(WorkReportRule).where(WorkReportRule.id == rule_id).returning(WorkReportRule.id),
        execution_options=scoped(access.scope),
    )
    if gone.first() is None:
        raise not_found_for("Submission rule")


def required_of(kind: str, day: dt.date) -> ColumnElement[bool]:
    """A member is asked for this kind of report for the period holding ``day`` by an enabled rule addressed to
    them (everyone, their own department, or by name); a daily rule only on its weekdays. Correlates with
    :class:`Member`."""
    addressed = or_(
        WorkReportRule.audience == "everyone",
        and_(WorkReportRule.audience == "departments", WorkReportRule.department_ids.any_() == Member.department_id),
        and_(WorkReportRule.audience == "members", WorkReportRule.member_ids.any_() == Member.id),
    )
    on_day = WorkReportRule.weekdays.any_() == day.weekday() if kind == "daily" else true()
    return exists().where(WorkReportRule.kind == kind, WorkReportRule.enabled.is_(True), on_day, addressed)


async def missing(session: AsyncSession, access: Access, kind: str, day: dt.date | None) -> dict[str, Any]:
    """Who was asked for the report of the period and has not written it, among the members the reader's
    ``reports_work`` read scope reaches (themselves included). One statement, however many members; the period
    holds ``day``, by default the reader's today."""
    access.require(MODULE, "read")
    day = day or await local_today(session, access)
    start, end = period(kind, day)
    written = exists().where(
        WorkReport.author_id == Member.id, WorkReport.kind == kind, WorkReport.period_start == start
    )
    owners = access.owners(MODULE, "read")
    visible = true() if owners is None else Member.id.in_(sorted(owners | {access.member_id}))
    rows = (
        await session.execute(
            select(Member.id, Member.name, Member.department_id, Department.name.label("department_name"),
                   written.label("written"))
            .outerjoin(Department, Department.id == Member.department_id)
            .where(Member.status == "active", visible, required_of(kind, day))
            .order_by(Member.name, Member.id),
            execution_options=scoped(access.scope),
        )
    ).all()  # fmt: skip
    absent = [
        {"id": r.id, "name": r.name, "department_id": r.department_id, "department_name": r.department_name}
        for r in rows
        if not r.written
    ]
    return {"kind": kind, "period_start": start, "period_end": end, "required": len(rows),
            "submitted": len(rows) - len(absent), "missing": absent}  # fmt: skip
