"""Notification mails: one per notification for members who asked for them at once, and a daily digest."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from sqlalchemy import select

from guanxi.config import get_settings
from guanxi.db.tenancy import platform_session, scoped, tenant_session
from guanxi.domain.email.service import Email, render, send_once
from guanxi.domain.identity.models import User
from guanxi.domain.notifications.models import Notification
from guanxi.domain.notifications.service import schedule_digests
from guanxi.jobs import JobContext, tenant_job

log = structlog.get_logger("notifications")
LISTED = 50  # notifications named in one digest; the rest are counted


def _absolute(link: str | None) -> str:
    base = get_settings().public_url
    return f"{base}{link}" if link else f"{base}/notifications"


async def _fetch(job: JobContext, ids: list[uuid.UUID]) -> list[Any]:
    async with tenant_session(job.scope) as session:
        rows = (
            await session.execute(
                select(Notification.user_id, Notification.title, Notification.body, Notification.link)
                .where(Notification.id.in_(ids))
                .order_by(Notification.id),
                execution_options=scoped(job.scope),
            )
        ).all()
        await session.commit()
    return list(rows)


async def mail_notification(job: JobContext, notification_id: uuid.UUID) -> bool:
    """Mail one notification to its member; False when it is gone or was mailed by this job already."""
    rows = await _fetch(job, [notification_id])
    if not rows:
        return False
    note = rows[0]
    async with platform_session() as session:
        user = await session.get(User, note.user_id)
        if user is None:
            return False
        subject, body_text, body_html = render(
            "notification", user.locale, name=user.name, title=note.title, body=note.body, url=_absolute(note.link)
        )
        email = Email(user.email, subject, body_text, body_html)
        return await send_once(session, job.job_id, job.scope.tenant_id, email, "notification")


@tenant_job("notifications.send_email", time_limit_ms=60_000, max_retries=8)
async def send_email(job: JobContext, notification_id: str) -> None:
    sent = await mail_notification(job, uuid.UUID(notification_id))
    log.info("notifications.mailed" if sent else "notifications.not_mailed", notification_id=notification_id)


@tenant_job("notifications.send_digests", time_limit_ms=300_000, max_retries=3)
async def send_digests(job: JobContext) -> None:
    async with tenant_session(job.scope) as session:
        members = await schedule_digests(session, job.scope)
        await session.commit()
    log.info("notifications.digests_scheduled", members=members)


async def mail_digest(job: JobContext, user_id: uuid.UUID, notification_ids: list[uuid.UUID]) -> bool:
    """Mail one member the digest of ``notification_ids``; False when there is nothing or it left already."""
    rows = await _fetch(job, notification_ids)
    async with platform_session() as session:
        user = await session.get(User, user_id)
        if user is None or not rows:
            return False
        items = [{"title": r.title, "body": r.body, "url": _absolute(r.link)} for r in rows[:LISTED]]
        subject, body_text, body_html = render(
            "notification_digest", user.locale, name=user.name, count=len(rows), items=items,
            more=max(len(rows) - LISTED, 0), url=_absolute(None),
        )  # fmt: skip
        email = Email(user.email, subject, body_text, body_html)
        return await send_once(session, job.job_id, job.scope.tenant_id, email, "notification_digest")


@tenant_job("notifications.send_digest", time_limit_ms=60_000, max_retries=8)
async def send_digest(job: JobContext, user_id: str, notification_ids: list[str]) -> None:
    sent = await mail_digest(job, uuid.UUID(user_id), [uuid.UUID(i) for i in notification_ids])
    log.info("notifications.digest_mailed" if sent else "notifications.digest_not_mailed", user_id=user_id)
