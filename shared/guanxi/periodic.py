"""Periodic jobs: the scheduler asks for each due one, once per time slot, for every active workspace.

A job is enqueued through the outbox (one row per workspace), so the worker fleet does the work; a
Redis key per (job, slot) makes sure a restarted or second scheduler does not enqueue a slot twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import structlog
from sqlalchemy import select

from guanxi.config import get_settings
from guanxi.db.tenancy import platform_session
from guanxi.domain.outbox.service import BATCH_QUEUE, enqueue
from guanxi.domain.tenancy.models import Tenant
from guanxi.redis import get_redis

log = structlog.get_logger("periodic")


@dataclass(frozen=True)
class Periodic:
    actor: str
    every_seconds: int


SCHEDULE = (
    Periodic("audit.purge_expired", 24 * 3600),
    Periodic("customers.purge_deleted", 24 * 3600),
    Periodic("exports.purge_expired", 3600),  # an exported file is gone within the hour after it expires
    Periodic("activities.schedule_reminders", 300),  # a reminder goes out within five minutes of its time
    Periodic("pools.reclaim", 24 * 3600),  # unattended customers back to the pool, then the owners' warnings
    Periodic("contracts.remind_expiring", 24 * 3600),  # owners hear of contracts ending soon, once per end date
    Periodic("payments.remind", 24 * 3600),  # instalments due within the workspace's reminder days, once each
    Periodic("churn.scan", 24 * 3600),  # risk scores of every owned customer; alerts once per crossing
    Periodic("notifications.send_digests", 24 * 3600),  # one mail a day per member listing their digest notifications
    Periodic("reports.schedule_deliveries", 300),  # scheduled reports, at the hour in each recipient's time zone
    Periodic("work_reports.remind", 300),  # before a work report's deadline, once per member and period
    Periodic("grading.run", 24 * 3600),  # every customer scored and graded again, in one transaction
    Periodic("grading.schedule_follow_ups", 24 * 3600),  # a visit task per customer past its grade's cadence
    Periodic("billing.reconcile", 24 * 3600),  # the subscription against Stripe's; trials and grace that ended
    Periodic("billing.remind", 24 * 3600),  # owners hear before a trial or a grace ends, and when read-only
)


def configured() -> tuple[Periodic, ...]:
    """The schedule as ``GUANXI_PERIODIC_JOBS`` trims it (every job unless told otherwise)."""
    chosen = get_settings().periodic_jobs.strip()
    if chosen == "*":
        return SCHEDULE
    names = {name.strip() for name in chosen.split(",") if name.strip()}
    return tuple(job for job in SCHEDULE if job.actor in names)


async def enqueue_due(now: float | None = None, schedule: tuple[Periodic, ...] | None = None) -> dict[str, int]:
    """Enqueue every job whose slot has begun and was not enqueued yet; returns jobs enqueued per actor."""
    moment = time.time() if now is None else now
    if schedule is None:
        schedule = configured()
    enqueued: dict[str, int] = {}
    for job in schedule:
        slot = int(moment // job.every_seconds)
        claimed = await get_redis().set(f"periodic:{job.actor}:{slot}", "1", nx=True, ex=job.every_seconds * 2)
        if not claimed:
            continue
        async with platform_session() as session:
            tenants = list(await session.scalars(select(Tenant.id).where(Tenant.status == "active")))
            for tenant_id in tenants:
                await enqueue(session, job.actor, {}, tenant_id=tenant_id, queue=BATCH_QUEUE)
            await session.commit()
        enqueued[job.actor] = len(tenants)
        log.info("periodic.enqueued", actor=job.actor, slot=slot, workspaces=len(tenants))
    return enqueued
