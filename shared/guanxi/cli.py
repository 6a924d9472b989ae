"""Operator command line: ``python -m guanxi <group> <command>``."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from guanxi.logging import configure_logging

T = TypeVar("T")
PROGRESS_EVERY = 100


def run_async(factory: Callable[[], Awaitable[T]]) -> T:
    async def wrapped() -> T:
        from guanxi.db.engine import dispose_engine

        try:
            return await factory()
        finally:
            await dispose_engine()

    return asyncio.run(wrapped())


@click.group()
def main() -> None:
    """Guanxi CRM operations."""
    configure_logging("cli")


@main.group()
def db() -> None:
    """The database as a whole."""


@db.command("migrate")
@click.option("--concurrency", default=None, type=int, help="Tenant schemas migrated at once.")
def db_migrate(concurrency: int | None) -> None:
    """Upgrade the platform schema, then every tenant schema."""
    from guanxi.db.engine import get_engine
    from guanxi.db.migrate import upgrade_platform

    run_async(lambda: upgrade_platform(get_engine()))
    click.echo("platform schema: at head")
    _migrate_tenants(concurrency, None)


@main.group()
def tenants() -> None:
    """Tenant workspaces."""


@tenants.command("migrate")
@click.option("--concurrency", default=None, type=int, help="Tenant schemas migrated at once.")
@click.option("--tenant", "only", multiple=True, type=click.UUID, help="Only this tenant (repeatable).")
def tenants_migrate(concurrency: int | None, only: tuple[uuid.UUID, ...]) -> None:
    """Upgrade every tenant schema to head: concurrent, resumable, failures reported per tenant."""
    _migrate_tenants(concurrency, list(only) or None)


def _migrate_tenants(concurrency: int | None, only: list[uuid.UUID] | None) -> None:
    from guanxi.config import get_settings
    from guanxi.db.engine import make_engine
    from guanxi.db.migrate import tenant_history
    from guanxi.domain.tenancy.operations import MigrationReport, migrate_all_tenants

    limit = concurrency or get_settings().tenant_migrate_concurrency
    history = tenant_history()

    def progress(report: MigrationReport, schema: str, outcome: str) -> None:
        if outcome == "failed":
            click.echo(f"  FAILED {schema}: {report.failed[schema]}", err=True)
        if report.done % PROGRESS_EVERY == 0 or report.done == report.total:
            click.echo(
                f"  {report.done}/{report.total} tenants ({report.upgraded} upgraded, "
                f"{report.already_current} current, {len(report.failed)} failed)"
            )

    async def go() -> MigrationReport:
        # A pool as large as the concurrency (plus room to record failures), so no tenant waits for a connection.
        engine = make_engine(get_settings().database_url, pool_size=limit + 2)
        try:
            return await migrate_all_tenants(engine, history, concurrency=limit, only=only, progress=progress)
        finally:
            await engine.dispose()

    report = run_async(go)
    click.echo(
        f"tenant schemas at {history.head}: {report.upgraded} upgraded, {report.already_current} "
        f"already current, {len(report.failed)} failed, in {report.seconds:.1f}s"
    )
    if report.failed:
        sys.exit(1)


@tenants.command("list")
def tenants_list() -> None:
    """Every workspace with its schema, status and revision."""
    from sqlalchemy import select

    from guanxi.db.tenancy import platform_session
    from guanxi.domain.tenancy.models import Tenant

    async def go() -> list[Any]:
        async with platform_session() as session:
            return list(await session.scalars(select(Tenant).order_by(Tenant.created_at)))

    for tenant in run_async(go):
        click.echo(
            f"{tenant.id}  {tenant.schema_name}  {tenant.status:<9} {tenant.schema_revision or '-':<8} {tenant.name}"
        )


@main.command("demo")
def demo() -> None:
    """Create the demo workspace with realistic data (once; later runs print the login again)."""
    from guanxi.demo import ensure_demo_workspace

    email, password, created = run_async(ensure_demo_workspace)
    click.echo(("created" if created else "found") + " the demo workspace")
    click.echo(f"  sign in as {email} / {password}")


@main.group()
def outbox() -> None:
    """The transactional outbox of jobs."""


@outbox.command("replay")
@click.argument("job_ids", nargs=-1)
def outbox_replay(job_ids: tuple[str, ...]) -> None:
    """Make pending (or the given) jobs due now; the relay sends them on its next pass."""
    from guanxi.domain.outbox.relay import replay

    count = run_async(lambda: replay(list(job_ids) or None))
    click.echo(f"{count} job(s) due now")


@main.command("worker-ready")
@click.option("--max-age", default=60, help="Seconds since the last worker heartbeat.")
def worker_ready(max_age: int) -> None:
    """Exit 0 when the database, Redis and a live worker heartbeat are all there."""
    from guanxi.health import worker_readiness

    checks = run_async(lambda: worker_readiness(max_age))
    for name, ok in checks.items():
        click.echo(f"{name}: {'ok' if ok else 'FAILED'}")
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
