"""``tenants migrate``: every tenant upgraded concurrently; a rerun is a no-op; one broken tenant is
reported while the others are upgraded; after the fix a rerun resumes with just that one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from guanxi.db.engine import get_engine
from guanxi.db.migrate import TenantHistory
from guanxi.db.tenancy import platform_session
from guanxi.domain.tenancy.operations import migrate_all_tenants
from guanxi_tenants import MIGRATIONS
from sqlalchemy import text

from tests.conftest import ROOT, signed_up

NEW_MIGRATION = '''"""add a note column to pipelines

Revision ID: t9999
Revises: {head}
"""

import sqlalchemy as sa
from alembic import op

revision = "t9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("pipelines", sa.Column("note", sa.Text))


def downgrade() -> None:
    op.drop_column("pipelines", "note")
'''


@pytest.fixture
def history_with_new_migration(tmp_path: Path) -> TenantHistory:
    location = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, location)
    head = TenantHistory().head
    (location / "versions" / "9999_note.py").write_text(NEW_MIGRATION.format(head=head))
    return TenantHistory(location)


@pytest.fixture
async def tenants(client: Any) -> AsyncIterator[list[tuple[uuid.UUID, str]]]:
    """Three fresh workspaces; dropped afterwards, since they end at a revision only this test knows."""
    created = []
    for i in range(3):
        account = await signed_up(client, company_name=f"Migrating {i}")
        tenant_id = uuid.UUID(account["workspace"]["id"])
        async with platform_session() as session:
            schema = await session.scalar(
                text("SELECT schema_name FROM platform.tenants WHERE id = :i"), {"i": tenant_id}
            )
        created.append((tenant_id, schema))
    yield created
    async with platform_session() as session:
        for tenant_id, schema in created:
            await session.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await session.execute(text("DELETE FROM platform.tenants WHERE id = :i"), {"i": tenant_id})
        await session.commit()


async def column_exists(schema: str) -> bool:
    async with platform_session() as session:
        return bool(
            await session.scalar(
                text(
                    "SELECT count(*) FROM information_schema.columns WHERE table_schema = :s "
                    "AND table_name = 'pipelines' AND column_name = 'note'"
                ),
                {"s": schema},
            )
        )


async def test_new_migration_reaches_every_tenant_and_a_rerun_is_a_no_op(
    tenants: list[tuple[uuid.UUID, str]], history_with_new_migration: TenantHistory
) -> None:
    ids = [t for t, _ in tenants]
    seen: list[str] = []
    report = await migrate_all_tenants(
        get_engine(),
        history_with_new_migration,
        concurrency=2,
        only=ids,
        progress=lambda r, schema, outcome: seen.append(outcome),
    )
    assert (report.upgraded, report.already_current, report.failed) == (3, 0, {})
    assert seen == ["upgraded"] * 3
    assert all([await column_exists(schema) for _, schema in tenants])

    again = await migrate_all_tenants(get_engine(), history_with_new_migration, concurrency=2, only=ids)
    assert (again.upgraded, again.already_current) == (0, 3)
    async with platform_session() as session:
        revisions = set(
            await session.scalars(
                text("SELECT schema_revision FROM platform.tenants WHERE id = ANY(:ids)"), {"ids": ids}
            )
        )
    assert revisions == {"t9999"}


async def test_a_failing_tenant_is_reported_and_the_others_are_upgraded_then_resumed(
    tenants: list[tuple[uuid.UUID, str]], history_with_new_migration: TenantHistory
) -> None:
    ids = [t for t, _ in tenants]
    broken_id, broken_schema = tenants[1]
    async with platform_session() as session:  # the column is already there: the migration will fail
        await session.execute(text(f'ALTER TABLE "{broken_schema}".pipelines ADD COLUMN note text'))
        await session.commit()

    report = await migrate_all_tenants(get_engine(), history_with_new_migration, concurrency=3, only=ids)
    assert report.upgraded == 2
    assert list(report.failed) == [broken_schema]
    assert "note" in report.failed[broken_schema]
    async with platform_session() as session:
        error = await session.scalar(
            text("SELECT migration_error FROM platform.tenants WHERE id = :i"), {"i": broken_id}
        )
        assert error and "DuplicateColumn" in error
        await session.execute(text(f'ALTER TABLE "{broken_schema}".pipelines DROP COLUMN note'))
        await session.commit()

    resumed = await migrate_all_tenants(get_engine(), history_with_new_migration, concurrency=3, only=ids)
    assert (resumed.upgraded, resumed.already_current, resumed.failed) == (1, 2, {})


async def test_cli_migrates_all_tenants_and_prints_progress(client: Any) -> None:
    await signed_up(client, company_name="CLI tenant")
    result = subprocess.run(
        [sys.executable, "-m", "guanxi", "tenants", "migrate", "--concurrency", "4"],
        capture_output=True,
        text=True,
        env={**os.environ},
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "tenants (" in result.stdout
    assert "0 failed" in result.stdout.splitlines()[-1]


async def test_two_operators_migrating_at_once_do_not_collide(
    tenants: list[tuple[uuid.UUID, str]], history_with_new_migration: TenantHistory
) -> None:
    import asyncio

    ids = [t for t, _ in tenants]
    first, second = await asyncio.gather(
        migrate_all_tenants(get_engine(), history_with_new_migration, concurrency=3, only=ids),
        migrate_all_tenants(get_engine(), history_with_new_migration, concurrency=3, only=ids),
    )
    assert first.failed == {} and second.failed == {}
    assert first.upgraded + second.upgraded == 3
    assert first.already_current + second.already_current == 3
