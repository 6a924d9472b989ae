"""The worker applies each stored Stripe event to its workspace's subscription (one transaction, idempotent)."""

from __future__ import annotations

from guanxi.db.tenancy import platform_session
from guanxi.domain.billing import service
from guanxi.jobs import JobContext, tenant_job


async def apply_event(job: JobContext, event_id: str) -> str:
    async with platform_session() as session:
        outcome = await service.apply(session, job.scope.tenant_id, event_id)
        await session.commit()
    return outcome


@tenant_job("billing.apply_event", time_limit_ms=60_000, max_retries=8)
async def apply(job: JobContext, event_id: str) -> None:
    await apply_event(job, event_id)


async def sync_seats(job: JobContext) -> int | None:
    async with platform_session() as session:
        return await service.sync_seats(session, job.scope.tenant_id)


@tenant_job("billing.sync_seats", time_limit_ms=60_000, max_retries=8)
async def seats(job: JobContext) -> None:
    """Idempotent: it sets Stripe's quantity to the members counted now; a second delivery finds them equal."""
    await sync_seats(job)
