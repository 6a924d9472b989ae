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


@main.group()
def deadletters() -> None:
    """Jobs the worker gave up on after their retries (the broker's dead-letter queues)."""


@deadletters.command("list")
@click.option("--queue", default=None, help="Only this queue.")
@click.option("--limit", default=100, show_default=True)
def deadletters_list(queue: str | None, limit: int) -> None:
    """Newest first: message id, failed at, actor, tenant, job id, retries, last error."""
    from guanxi.deadletters import count_dead, list_dead

    counts = count_dead()
    click.echo("dead letters: " + ", ".join(f"{name}={count}" for name, count in counts.items()))
    for letter in list_dead(queue, limit):
        click.echo(
            f"{letter.message_id}  {letter.failed_at:%Y-%m-%d %H:%M:%S}Z  {letter.actor}  "
            f"tenant={letter.tenant_id or '-'}  job={letter.job_id or '-'}  retries={letter.retries}  {letter.error}"
        )


@deadletters.command("show")
@click.argument("message_id")
def deadletters_show(message_id: str) -> None:
    """One dead letter in full, with the traceback of its last failure."""
    from guanxi.deadletters import find

    letter = find(message_id)
    if letter is None:
        click.echo(f"no dead letter {message_id}", err=True)
        sys.exit(1)
    for key, value in letter.summary().items():
        click.echo(f"{key}: {value}")
    click.echo(f"args: {list(letter.message.args)!r}")
    click.echo(f"kwargs: {letter.message.kwargs!r}")
    click.echo("traceback:")
    click.echo(letter.traceback or "  (none recorded)")


@deadletters.command("requeue")
@click.argument("message_ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every dead letter (of --queue).")
@click.option("--queue", default=None)
def deadletters_requeue(message_ids: tuple[str, ...], everything: bool, queue: str | None) -> None:
    """Send dead letters back to their queue with a fresh retry budget (actors are idempotent)."""
    from guanxi.deadletters import requeue, requeue_all

    if everything:
        click.echo(f"{requeue_all(queue)} message(s) requeued")
        return
    if not message_ids:
        raise click.UsageError("name message ids or pass --all")
    missing = [message_id for message_id in message_ids if not requeue(message_id)]
    click.echo(f"{len(message_ids) - len(missing)} message(s) requeued")
    for message_id in missing:
        click.echo(f"  not found: {message_id}", err=True)
    if missing:
        sys.exit(1)


@deadletters.command("purge")
@click.argument("message_ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every dead letter (of --queue).")
@click.option("--queue", default=None)
def deadletters_purge(message_ids: tuple[str, ...], everything: bool, queue: str | None) -> None:
    """Delete dead letters for good."""
    from guanxi.deadletters import purge

    if everything:
        click.echo(f"{purge(queue=queue)} message(s) purged")
        return
    if not message_ids:
        raise click.UsageError("name message ids or pass --all")
    click.echo(f"{sum(purge(message_id) for message_id in message_ids)} message(s) purged")


@deadletters.command("stats")
@click.option("--prometheus", is_flag=True, help="Prometheus text format (for a node-exporter textfile collector).")
def deadletters_stats(prometheus: bool) -> None:
    """Queue depth and dead-letter count per queue."""
    from guanxi.deadletters import count_dead, queue_depth

    depth, dead = queue_depth(), count_dead()
    if prometheus:
        click.echo("# HELP guanxi_queue_depth Messages waiting in a worker queue (ready and delayed).")
        click.echo("# TYPE guanxi_queue_depth gauge")
        for name, value in depth.items():
            click.echo(f'guanxi_queue_depth{{queue="{name}"}} {value}')
        click.echo("# HELP guanxi_dead_letters Messages in a queue's dead-letter set.")
        click.echo("# TYPE guanxi_dead_letters gauge")
        for name, value in dead.items():
            click.echo(f'guanxi_dead_letters{{queue="{name}"}} {value}')
        return
    for name in depth:
        click.echo(f"{name}: {depth[name]} waiting, {dead.get(name, 0)} dead")


@main.group()
def operators() -> None:
    """The people who run this installation (the operator's pages and API)."""


@operators.command("grant")
@click.argument("email")
def operators_grant(email: str) -> None:
    """Make the user with this email an operator (they sign in as usual)."""
    _set_operator(email, True)


@operators.command("revoke")
@click.argument("email")
def operators_revoke(email: str) -> None:
    """Take the operator's pages and API away from the user with this email."""
    _set_operator(email, False)


def _set_operator(email: str, operator: bool) -> None:
    from guanxi.db.tenancy import platform_session
    from guanxi.domain.identity.operators import UnknownUser, set_operator

    async def go() -> str:
        async with platform_session() as session:
            user = await set_operator(session, email, operator)
            await session.commit()
            return user.email

    try:
        found = run_async(go)
    except UnknownUser:
        click.echo(f"no user with the email {email}", err=True)
        sys.exit(1)
    click.echo(f"{found}: {'operator' if operator else 'not an operator'}")


@operators.command("list")
def operators_list() -> None:
    """Every operator: email and name."""
    from guanxi.db.tenancy import platform_session
    from guanxi.domain.identity.operators import operators as all_operators

    async def go() -> list[tuple[str, str]]:
        async with platform_session() as session:
            return [(user.email, user.name) for user in await all_operators(session)]

    found = run_async(go)
    for email, name in found:
        click.echo(f"{email}  {name}")
    click.echo(f"{len(found)} operator(s)")


@main.group()
def billing() -> None:
    """Plans, subscriptions and Stripe."""


# Commands of the billing group: the operator's overview.
@billing.command("overview")
def billing_overview() -> None:
    """Workspaces by status and plan, MRR per currency, trials ending soon, failed payments."""
    from guanxi.db.tenancy import platform_session
    from guanxi.domain.billing.operator import SummaryOut, summary

    async def go() -> SummaryOut:
        async with platform_session() as session:
            return await summary(session)

    found = run_async(go)
    click.echo(f"workspaces: {found.workspaces}  (as of {found.as_of:%Y-%m-%d %H:%M}Z)")
    click.echo("by status: " + ", ".join(f"{status}={count}" for status, count in found.by_status.items()))
    click.echo("by plan: " + (", ".join(f"{plan}={count}" for plan, count in found.by_plan.items()) or "-"))
    click.echo("MRR: " + (", ".join(f"{m.currency} {m.amount} ({m.workspaces})" for m in found.mrr) or "-"))
    if found.unpriced:
        click.echo(f"  paying without a price in the catalogue: {found.unpriced}")
    click.echo(f"trials ending within {found.trials_ending_days} days: {found.trials_ending}")
    click.echo(f"failed payments: {found.failed_payments}")


# Commands of the billing group: the plans on Stripe.


@billing.command("sync-plans")
@click.option(
    "--file", "path", default=None, type=click.Path(dir_okay=False), help="The plans file (else GUANXI_PLANS_FILE)."
)
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing on Stripe or in the file.")
def billing_sync_plans(path: str | None, dry_run: bool) -> None:
    """Make the plans file's plans and prices Stripe products and prices; write their ids back to the file."""
    from pathlib import Path

    import stripe

    from guanxi.config import get_settings
    from guanxi.domain.billing.plans import CatalogueError, read, write
    from guanxi.domain.billing.service import stripe_client
    from guanxi.domain.billing.sync import sync_plans
    from guanxi.errors import DomainError

    path = path or get_settings().plans_file
    if not path:
        raise click.ClickException(
            "no plans file: set GUANXI_PLANS_FILE or pass --file PATH (the built-in catalogue has no place to keep "
            "the Stripe ids: start from tests/plans.toml, see docs/billing.md)"
        )
    try:
        catalogue = read(Path(path))
        result = asyncio.run(sync_plans(stripe_client(), catalogue, dry_run=dry_run))
    except CatalogueError as error:
        raise click.ClickException(str(error)) from error
    except DomainError as error:
        raise click.ClickException(error.detail) from error
    except stripe.StripeError as error:
        raise click.ClickException(f"Stripe refused: {error.user_message or error}") from error
    for step in result.steps:
        click.echo(f"  {'*' if step.changed else ' '} {step}")
    if dry_run:
        click.echo(f"dry run: {len(result.changes)} change(s) would be made; nothing changed on Stripe or in {path}")
    elif result.catalogue != catalogue:
        write(Path(path), result.catalogue)
        click.echo(f"{len(result.changes)} change(s) on Stripe; the ids are written to {path}")
    else:
        click.echo(f"{len(result.changes)} change(s) on Stripe; {path} already had every id" if result.changes
                   else f"in step: nothing changed on Stripe or in {path}")  # fmt: skip


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
