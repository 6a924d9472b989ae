"""``tenants migrate`` over many tenants: a no-op pass, then one new migration across all of them."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from guanxi.db.base import new_id
from guanxi.db.engine import dispose_engine, get_engine
from guanxi.db.migrate import TenantHistory, create_tenant_schema, tenant_history
from guanxi.db.tenancy import TenantScope, platform_session, schema_for
from guanxi.domain.tenancy.models import Tenant
from guanxi.domain.tenancy.operations import migrate_all_tenants
from guanxi.domain.tenancy.repository import seed_workspace_defaults
from guanxi_tenants import MIGRATIONS

NEW_MIGRATION = '''"""benchmark: add a column and an index to pipeline_stages

Revision ID: bench0001
Revises: {head}
"""

import sqlalchemy as sa
from alembic import op

revision = "bench0001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("pipeline_stages", sa.Column("color", sa.String(7)))
    op.create_index("ix_pipeline_stages_key", "pipeline_stages", ["key"])


def downgrade() -> None:
    op.drop_index("ix_pipeline_stages_key")
    op.drop_column("pipeline_stages", "color")
'''


async def create_tenants(count: int) -> float:
    started = time.perf_counter()
    batch = 50
    for offset in range(0, count, batch):
        async with platform_session() as session:
            for i in range(offset, min(count, offset + batch)):
                tenant_id = new_id()
                schema = schema_for(tenant_id)
                session.add(
                    Tenant(
                        id=tenant_id,
                        name=f"Bench {i}",
                        schema_name=schema,
                        locale="en",
                        schema_revision=tenant_history().head,
                    )
                )
                await session.flush()
                await create_tenant_schema(await session.connection(), schema)
                scope = TenantScope(tenant_id=tenant_id, schema=schema)
                await seed_workspace_defaults(session, scope, company_name=f"Bench {i}", locale="en")
            await session.commit()
    return time.perf_counter() - started


async def migrate_new(history: TenantHistory) -> tuple[float, int, int]:
    report = await migrate_all_tenants(get_engine(), history, concurrency=8)
    return report.seconds, report.total, len(report.failed)


def run(count: int) -> str:
    created = asyncio.run(_create(count))
    started = time.perf_counter()
    noop = subprocess.run(
        [sys.executable, "-m", "guanxi", "tenants", "migrate"],
        env={**os.environ},
        capture_output=True,
        text=True,
        check=True,
    )
    noop_seconds = time.perf_counter() - started
    summary = noop.stdout.strip().splitlines()[-1]
    with tempfile.TemporaryDirectory() as folder:
        location = Path(folder) / "migrations"
        shutil.copytree(MIGRATIONS, location)
        (location / "versions" / "bench0001.py").write_text(NEW_MIGRATION.format(head=TenantHistory().head))
        seconds, total, failed = asyncio.run(_migrate(TenantHistory(location)))
    line = (
        f"## `tenants migrate` with {total:,} tenants (targets at 1,000: no-op < 30 s, new migration < 2 min)\n\n"
        f"Method: {count:,} workspaces created from the template ({created:.1f} s, "
        f"{created / count * 1000:.0f} ms each; {total:,} in all with those of the sign-up benchmark), then "
        "`python -m guanxi tenants migrate` run as an operator would (process start included) with nothing to "
        "do, then one new migration (a column and an index on `pipeline_stages`) applied to every tenant with 8 "
        "concurrent connections.\n\n"
        f"- no-op pass: {noop_seconds:.1f} s wall ({summary})\n"
        f"- new migration across all: {seconds:.1f} s ({total - failed:,} upgraded, {failed} failed)"
    )
    print(line)
    return line


async def _create(count: int) -> float:
    try:
        return await create_tenants(count)
    finally:
        await dispose_engine()


async def _migrate(history: TenantHistory) -> tuple[float, int, int]:
    try:
        return await migrate_new(history)
    finally:
        await dispose_engine()
