"""Churn actors: the nightly scan of every owned customer, and the rescore of one customer when it changes."""

from __future__ import annotations

import uuid

import structlog

from guanxi.db.tenancy import tenant_session
from guanxi.domain.billing.tasks import in_plan
from guanxi.domain.churn import service
from guanxi.jobs import JobContext, tenant_job

log = structlog.get_logger("churn")


async def run_scan(job: JobContext, account_id: uuid.UUID | None = None) -> int:
    """Scores and alerts are written in one transaction: a killed run leaves the previous scores, and the
    alerts' keys make a second delivery raise nothing new."""
    async with tenant_session(job.scope) as session:
        crossed = await service.scan(session, job.scope, account_id=account_id)
        await session.commit()
    log.info("churn.scanned", crossed=crossed, account_id=str(account_id) if account_id else None)
    return crossed


@tenant_job("churn.scan", time_limit_ms=1_800_000, max_retries=3)
async def scan(job: JobContext) -> None:
    if await in_plan(job, "churn"):
        await run_scan(job)


@tenant_job("churn.rescore", time_limit_ms=60_000, max_retries=5)
async def rescore(job: JobContext, account_id: str) -> None:
    if await in_plan(job, "churn"):
        await run_scan(job, uuid.UUID(account_id))
