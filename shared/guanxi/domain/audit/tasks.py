"""Audit actors: the audit log is kept as long as the workspace's retention setting says, no longer."""

from __future__ import annotations

import structlog
from sqlalchemy import delete, func, select, text

from guanxi.db.tenancy import tenant_session
from guanxi.domain.audit.models import AuditEntry
from guanxi.domain.tenancy.models import WorkspaceSettings
from guanxi.jobs import JobContext, tenant_job

log = structlog.get_logger("audit")


async def purge_expired_entries(job: JobContext) -> int:
    async with tenant_session(job.scope) as session:
        days = await session.scalar(select(WorkspaceSettings.audit_retention_days).limit(1)) or 365
        result = await session.execute(
            delete(AuditEntry).where(AuditEntry.occurred_at < func.now() - text("make_interval(days => :days)")),
            {"days": days},
        )
        await session.commit()
    removed = int(result.rowcount)  # type: ignore[attr-defined]
    log.info("audit.purged", removed=removed, retention_days=days)
    return removed


@tenant_job("audit.purge_expired", time_limit_ms=300_000, max_retries=3)
async def purge_expired(job: JobContext) -> None:
    await purge_expired_entries(job)
