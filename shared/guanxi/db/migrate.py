"""Alembic glue: the platform history, the tenant history, and the workspace template.

The tenant history (in ``tenants/``) is written without a schema and applied with ``search_path`` set
to one tenant's schema. A new workspace does not replay migrations one by one: the whole history is
rendered once per process as SQL (Alembic's offline mode) and executed in one round trip.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from guanxi_tenants import MIGRATIONS as TENANT_MIGRATIONS
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from guanxi.db.base import PLATFORM_SCHEMA, PlatformBase
from guanxi.db.tenancy import validate_schema_name

PLATFORM_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(location: Path, buffer: io.StringIO | None = None) -> Config:
    config = Config(output_buffer=buffer)
    config.set_main_option("script_location", str(location))
    return config


# -- env.py bodies --------------------------------------------------------------------------------


def run_platform_env(context: EnvironmentContext) -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run platform migrations with `python -m guanxi db migrate`")
    context.configure(
        connection=connection,
        target_metadata=PlatformBase.metadata,
        version_table_schema=PLATFORM_SCHEMA,
        include_schemas=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_tenant_env(context: EnvironmentContext) -> None:
    """Tenant migrations are only ever rendered to SQL here (see TenantHistory), then executed per tenant."""
    if not context.is_offline_mode():
        raise RuntimeError("apply tenant migrations with `python -m guanxi tenants migrate`")
    context.configure(dialect_name="postgresql", literal_binds=True, transactional_ddl=False)
    with context.begin_transaction():
        context.run_migrations()


# -- platform ------------------------------------------------------------------------------------


async def upgrade_platform(engine: AsyncEngine) -> None:
    def upgrade(connection: Connection) -> None:
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {PLATFORM_SCHEMA}"))
        config = alembic_config(PLATFORM_MIGRATIONS)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        # One migrator at a time: several services starting together must not race on the DDL.
        await connection.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
        await connection.run_sync(upgrade)


# -- tenants ------------------------------------------------------------------------------------


class TenantHistory:
    """The tenant migration history at one location (the real one, or a copy in a benchmark).

    Migrations are rendered to SQL once per starting revision (Alembic's offline mode) and that SQL is
    executed in each tenant's schema. This keeps upgrades of many tenants truly concurrent on one event
    loop (Alembic's online mode works through process-global proxies) and makes a new workspace one
    round trip. The price: a tenant migration must be expressible as SQL (DDL, ``op.execute``,
    ``op.bulk_insert``), not Python that reads rows and branches on them.
    """

    def __init__(self, location: Path = TENANT_MIGRATIONS) -> None:
        self.location = location
        self.script = ScriptDirectory.from_config(alembic_config(location))
        head = self.script.get_current_head()
        if head is None:
            raise RuntimeError(f"no tenant migrations in {location}")
        self.head: str = head
        self._sql: dict[str | None, str] = {}

    def sql_from(self, revision: str | None) -> str:
        """SQL that takes a schema from ``revision`` (None: an empty schema) to head, version stamp included."""
        if revision not in self._sql:
            buffer = io.StringIO()
            target = "head" if revision is None else f"{revision}:head"
            command.upgrade(alembic_config(self.location, buffer), target, sql=True)
            self._sql[revision] = buffer.getvalue()
        return self._sql[revision]

    async def upgrade(self, connection: AsyncConnection, schema: str, revision: str | None) -> None:
        """Upgrade one tenant schema from ``revision`` to head inside the caller's transaction."""
        await run_in_schema(connection, schema, self.sql_from(revision))


@lru_cache
def tenant_history() -> TenantHistory:
    return TenantHistory()


async def run_in_schema(connection: AsyncConnection, schema: str, sql: str) -> None:
    """Execute a multi-statement script with ``search_path`` set to one tenant schema."""
    validate_schema_name(schema)
    await connection.execute(text(f'SET LOCAL search_path TO "{schema}", public'))
    raw: Any = await connection.get_raw_connection()
    await raw.driver_connection.execute(sql)
    await connection.execute(text("SET LOCAL search_path TO DEFAULT"))


async def create_tenant_schema(connection: AsyncConnection, schema: str) -> None:
    """Create a tenant schema at head inside the caller's transaction (rolled back with it)."""
    validate_schema_name(schema)
    await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    await tenant_history().upgrade(connection, schema, None)


async def schema_revision(connection: AsyncConnection, schema: str) -> str | None:
    validate_schema_name(schema)
    exists = await connection.scalar(
        text("SELECT to_regclass(:name) IS NOT NULL"), {"name": f'"{schema}".alembic_version'}
    )
    if not exists:
        return None
    revision = await connection.scalar(text(f'SELECT version_num FROM "{schema}".alembic_version'))
    return str(revision) if revision is not None else None
