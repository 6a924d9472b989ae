"""Operator tasks over many tenants: migrate every tenant schema concurrently, with a bounded pool.

Each tenant is migrated in its own transaction, so an interruption leaves every tenant either done or
untouched, and a second run resumes where the first stopped (tenants already at head are skipped with
one cheap query). A failure is recorded on the tenant and reported; the others carry on.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from guanxi.db.base import utcnow
from guanxi.db.migrate import TenantHistory, schema_revision
from guanxi.domain.tenancy.models import Tenant

log = structlog.get_logger("tenancy")


@dataclass
class MigrationReport:
    total: int = 0
    upgraded: int = 0
    already_current: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def done(self) -> int:
        return self.upgraded + self.already_current + len(self.failed)


Progress = Callable[[MigrationReport, str, str], None]


async def migrate_all_tenants(
    engine: AsyncEngine,
    history: TenantHistory,
    *,
    concurrency: int = 8,
    only: list[uuid.UUID] | None = None,
    progress: Progress | None = None,
) -> MigrationReport:
    started = time.perf_counter()
    async with engine.connect() as connection:
        # Suspended workspaces are migrated too: they must be current the day they come back.
        statement = select(Tenant.id, Tenant.schema_name).order_by(Tenant.id)
        if only:
            statement = statement.where(Tenant.id.in_(only))
        tenants = (await connection.execute(statement)).all()
    report = MigrationReport(total=len(tenants))
    gate = asyncio.Semaphore(concurrency)

    async def migrate_one(tenant_id: uuid.UUID, schema: str) -> None:
        async with gate:
            outcome = "current"
            try:
                async with engine.begin() as connection:
                    # Two operators migrating at once: the second waits, then finds the tenant current.
                    await connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": schema})
                    revision = await schema_revision(connection, schema)
                    if revision == history.head:
                        report.already_current += 1
                    else:
                        await history.upgrade(connection, schema, revision)
                        outcome = "upgraded"
                        report.upgraded += 1
                    await connection.execute(
                        update(Tenant)
                        .where(Tenant.id == tenant_id)
                        .values(schema_revision=history.head, migration_error=None, migrated_at=utcnow())
                    )
            except Exception as error:
                outcome = "failed"
                message = f"{type(error).__name__}: {error}".splitlines()[0][:500]
                report.failed[schema] = message
                log.error("tenancy.migration_failed", tenant_id=str(tenant_id), schema=schema, error=message)
                async with engine.begin() as connection:
                    await connection.execute(
                        update(Tenant).where(Tenant.id == tenant_id).values(migration_error=message)
                    )
            if progress:
                progress(report, schema, outcome)

    await asyncio.gather(*(migrate_one(tenant_id, schema) for tenant_id, schema in tenants))
    report.seconds = time.perf_counter() - started
    log.info(
        "tenancy.migrated",
        total=report.total,
        upgraded=report.upgraded,
        current=report.already_current,
        failed=len(report.failed),
        seconds=round(report.seconds, 2),
    )
    return report
