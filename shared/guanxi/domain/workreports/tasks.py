"""The reminder before a work report's deadline.

Every five minutes ``work_reports.remind`` looks, for every active member and every enabled rule addressed to them,
at the member's local time (their profile's time zone, else the workspace's): when a day the rule's report is due
has its reminder time passed (the deadline less the rule's minutes) and its deadline not passed by more than
:data:`GRACE`, and the member has not written that report of the period, they get a ``work_report.reminder``
notification. Its key names the kind and the period, so each member hears of one report once, however many runs
or rules find it. Outside a rule's days nobody is reminded; a report written before the reminder time leaves
nothing to say.
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select, tuple_

from guanxi.db.tenancy import scoped, tenant_session
from guanxi.domain.access.models import Member
from guanxi.domain.identity.models import User
from guanxi.domain.notifications.service import Raise, notify_many
from guanxi.domain.tenancy.models import WorkspaceSettings
from guanxi.domain.workreports.models import WorkReport, WorkReportRule
from guanxi.domain.workreports.service import period, zone_named
from guanxi.jobs import JobContext, tenant_job

log = structlog.get_logger("work_reports")

# The job runs every five minutes; a run that comes late still reminds up to this long after the deadline.
GRACE = dt.timedelta(minutes=10)
KIND_WORDS = {
    "daily": {"kind_en": "daily", "kind_hans": "日报", "kind_hant": "日報"},
    "weekly": {"kind_en": "weekly", "kind_hans": "周报", "kind_hant": "週報"},
    "monthly": {"kind_en": "monthly", "kind_hans": "月报", "kind_hant": "月報"},
}


def due_on(rule: WorkReportRule, day: dt.date) -> bool:
    """Whether the rule's report is due on ``day``: a daily one on its weekdays, a weekly one on its weekday, a
    monthly one on its day of the month (the month's last day when it has none or the month is shorter)."""
    if rule.kind == "daily":
        return day.weekday() in (rule.weekdays or [])
    if rule.kind == "weekly":
        return day.weekday() == rule.due_weekday
    last = calendar.monthrange(day.year, day.month)[1]
    return day.day == min(rule.day_of_month or last, last)


def addressed(rule: WorkReportRule, member_id: uuid.UUID, department_id: uuid.UUID | None) -> bool:
    if rule.audience == "departments":
        return department_id is not None and department_id in (rule.department_ids or [])
    if rule.audience == "members":
        return member_id in (rule.member_ids or [])
    return True


def reminder_day(rule: WorkReportRule, local: dt.datetime) -> dt.date | None:
    """The due day whose reminder window holds the local moment: from the reminder time to the deadline plus
    :data:`GRACE`. The reminder may fall on the day before (up to a day ahead) and the grace past midnight."""
    today = local.date()
    for day in (today, today + dt.timedelta(days=1), today - dt.timedelta(days=1)):
        if not due_on(rule, day):
            continue
        deadline = dt.datetime.combine(day, rule.deadline, tzinfo=local.tzinfo)
        if deadline - dt.timedelta(minutes=rule.remind_minutes) <= local < deadline + GRACE:
            return day
    return None


async def remind_due(job: JobContext, now: dt.datetime | None = None) -> int:
    """Remind the members whose report is due soon and not written, at ``now`` (the real time unless a test
    freezes it). Returns how many reminders were raised."""
    moment = now or dt.datetime.now(dt.UTC)
    options = scoped(job.scope)
    async with tenant_session(job.scope) as session:
        rules = list(
            await session.scalars(
                select(WorkReportRule).where(WorkReportRule.enabled.is_(True)).order_by(WorkReportRule.id),
                execution_options=options,
            )
        )
        if not rules:
            return 0
        workspace_zone = zone_named(
            await session.scalar(select(WorkspaceSettings.timezone).limit(1), execution_options=options)
        ) or ZoneInfo("UTC")
        members = (
            await session.execute(
                select(Member.id, Member.department_id, User.timezone)
                .outerjoin(User, User.id == Member.id)
                .where(Member.status == "active"),
                execution_options=options,
            )
        ).all()
        due: dict[tuple[uuid.UUID, str, dt.date], dict[str, Any]] = {}
        for member_id, department_id, zone_name in members:
            local = moment.astimezone(zone_named(zone_name) or workspace_zone)
            for rule in rules:
                if not addressed(rule, member_id, department_id):
                    continue
                day = reminder_day(rule, local)
                if day is None:
                    continue
                start, _end = period(rule.kind, day)
                due.setdefault((member_id, rule.kind, start), {
                    **KIND_WORDS[rule.kind], "deadline": rule.deadline.strftime("%H:%M"), "date": day.isoformat(),
                    "period_start": start.isoformat(),
                })  # fmt: skip
        if not due:
            return 0
        written = {
            (row.author_id, row.kind, row.period_start)
            for row in (
                await session.execute(
                    select(WorkReport.author_id, WorkReport.kind, WorkReport.period_start).where(
                        tuple_(WorkReport.author_id, WorkReport.kind, WorkReport.period_start).in_(list(due))
                    ),
                    execution_options=options,
                )
            )
        }
        raises = [
            Raise(frozenset({member_id}), params, link=f"/work-reports?kind={kind}",
                  key=f"work_report.reminder:{kind}:{start.isoformat()}")
            for (member_id, kind, start), params in due.items()
            if (member_id, kind, start) not in written
        ]  # fmt: skip
        reminded = await notify_many(session, job.scope, "work_report.reminder", raises)
        await session.commit()
    log.info("work_reports.reminded", due=len(due), written=len(written), reminded=reminded)
    return reminded


@tenant_job("work_reports.remind", time_limit_ms=300_000, max_retries=3)
async def remind(job: JobContext) -> None:
    await remind_due(job)
