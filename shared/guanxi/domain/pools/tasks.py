"""Pool actors: the nightly reclaim, then one mail per owner about the customers due back soon."""

from __future__ import annotations

import uuid

import structlog

from guanxi.config import get_settings
from guanxi.db.tenancy import platform_session, tenant_session
from guanxi.domain.email.service import Email, render, send_once
from guanxi.domain.identity.models import User
from guanxi.domain.outbox.service import enqueue
from guanxi.domain.pools import service
from guanxi.jobs import JobContext, tenant_job

log = structlog.get_logger("pools")
LISTED = 20  # accounts named in one warning mail; the rest are counted


async def reclaim_and_warn(job: JobContext) -> tuple[int, int]:
    """Return what is due to its pool, then ask for a warning mail per owner; (returned, owners warned)."""
    async with tenant_session(job.scope) as session:
        returned = await service.reclaim(session, job.scope)
        upcoming = await service.upcoming_returns(session, job.scope)
        for owner_id in upcoming:
            await enqueue(session, "pools.send_warning", {"owner_id": str(owner_id)}, tenant_id=job.scope.tenant_id)
        await session.commit()
    log.info("pools.reclaimed", returned=returned, owners_warned=len(upcoming))
    return returned, len(upcoming)


async def send_warning_mail(job: JobContext, owner_id: uuid.UUID) -> bool:
    async with tenant_session(job.scope) as session:
        due = (await service.upcoming_returns(session, job.scope)).get(owner_id, [])
        await session.commit()
    if not due:
        return False  # followed up since the scan: nothing to warn of
    async with platform_session() as session:
        user = await session.get(User, owner_id)
        if user is None:
            return False
        base = get_settings().public_url
        accounts = [
            {"name": u.name, "days": max(u.days_left, 0), "url": f"{base}/accounts/{u.account_id}"} for u in due
        ]
        subject, text, html = render(
            "pool_warning", user.locale, name=user.name, count=len(due), accounts=accounts[:LISTED],
            more=max(len(due) - LISTED, 0), url=f"{base}/accounts",
        )  # fmt: skip
        return await send_once(
            session, job.job_id, job.scope.tenant_id, Email(user.email, subject, text, html), "pool_warning"
        )


@tenant_job("pools.reclaim", time_limit_ms=1_800_000, max_retries=3)
async def reclaim(job: JobContext) -> None:
    await reclaim_and_warn(job)


@tenant_job("pools.send_warning", time_limit_ms=60_000, max_retries=8)
async def send_warning(job: JobContext, owner_id: str) -> None:
    sent = await send_warning_mail(job, uuid.UUID(owner_id))
    log.info("pools.warning_sent" if sent else "pools.warning_skipped", owner_id=owner_id)
