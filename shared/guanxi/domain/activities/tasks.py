"""Activity actors: reminders. The scan marks what it enqueues in the same transaction, so a reminder is
asked for once; the mail goes out at most once per job (the email domain's delivery record)."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import func, select, update

from guanxi.config import get_settings
from guanxi.db.tenancy import platform_session, tenant_session
from guanxi.domain.activities.models import Activity
from guanxi.domain.customers.models import Account
from guanxi.domain.email.service import Email, render, send_once
from guanxi.domain.identity.models import User
from guanxi.domain.identity.service import timezone_of
from guanxi.domain.outbox.service import enqueue
from guanxi.domain.tenancy.models import Tenant
from guanxi.jobs import JobContext, tenant_job

log = structlog.get_logger("activities")
BATCH = 500
KIND_WORDS = {
    "en": {"task": "the task", "meeting": "the meeting", "call": "the call", "visit": "the visit",
           "email": "the email", "note": "the note"},
    "zh-Hans": {"task": "待办", "meeting": "会议", "call": "电话", "visit": "拜访", "email": "邮件", "note": "备注"},
    "zh-Hant": {"task": "待辦", "meeting": "會議", "call": "電話", "visit": "拜訪", "email": "郵件", "note": "備註"},
}  # fmt: skip


async def schedule_due_reminders(job: JobContext) -> int:
    """Ask for a mail for every reminder that has come due and not gone out; returns how many."""
    async with tenant_session(job.scope) as session:
        due = list(
            await session.scalars(
                select(Activity.id)
                .where(
                    Activity.reminded_at.is_(None),
                    Activity.reminder_at <= func.now(),
                    Activity.deleted_at.is_(None),
                    Activity.done_at.is_(None),
                )
                .order_by(Activity.reminder_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        for activity_id in due:
            await enqueue(session, "activities.send_reminder", {"activity_id": str(activity_id)},
                          tenant_id=job.scope.tenant_id)  # fmt: skip
        if due:
            await session.execute(update(Activity).where(Activity.id.in_(due)).values(reminded_at=func.now()))
        await session.commit()
    log.info("activities.reminders_enqueued", count=len(due))
    return len(due)


async def send_reminder_mail(job: JobContext, activity_id: uuid.UUID) -> bool:
    async with tenant_session(job.scope) as session:
        row = (
            await session.execute(
                select(Activity, Account.name)
                .join(Account, Account.id == Activity.account_id)
                .where(Activity.id == activity_id)
            )
        ).first()
    if row is None or row[0].owner_id is None or row[0].deleted_at is not None or row[0].done_at is not None:
        return False  # gone, unassigned or done since: nothing to remind of
    activity, account_name = row
    async with platform_session() as session:
        user = await session.get(User, activity.owner_id)
        if user is None:
            return False
        locale = user.locale if user.locale in KIND_WORDS else "en"
        tenant = await session.get(Tenant, job.scope.tenant_id)
        zone = await timezone_of(session, user, tenant)  # the assignee's zone, as the web shows their times
        due = (
            activity.due_at.astimezone(ZoneInfo(zone)).strftime(f"%Y-%m-%d %H:%M ({zone})") if activity.due_at else None
        )
        subject, text, html = render(
            "reminder",
            locale,
            name=user.name,
            kind=KIND_WORDS[locale][activity.kind],
            subject=activity.subject,
            account=account_name,
            due=due,
            url=f"{get_settings().public_url}/accounts/{activity.account_id}",
        )
        return await send_once(
            session, job.job_id, job.scope.tenant_id, Email(user.email, subject, text, html), "reminder"
        )


@tenant_job("activities.schedule_reminders", time_limit_ms=120_000, max_retries=3)
async def schedule_reminders(job: JobContext) -> None:
    await schedule_due_reminders(job)


@tenant_job("activities.send_reminder", time_limit_ms=60_000, max_retries=8)
async def send_reminder(job: JobContext, activity_id: str) -> None:
    sent = await send_reminder_mail(job, uuid.UUID(activity_id))
    log.info("activities.reminder_sent" if sent else "activities.reminder_skipped", activity_id=activity_id)
