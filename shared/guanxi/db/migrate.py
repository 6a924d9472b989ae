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
    if context.is_offline_mode():
        context.configure(dialect_name="postgresql", literal_binds=True, transactional_ddl=False)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    schema = context.config.attributes.get("schema")
    if connection is None or schema is None:
        raise RuntimeError("run tenant migrations with `python -m guanxi tenants migrate`")
    context.configure(connection=connection, version_table_schema=validate_schema_name(schema))
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
    """The tenant migration history at one location (the real one, or a copy in a benchmark)."""

    def __init__(self, location: Path = TENANT_MIGRATIONS) -> None:
        self.location = location
        self.script = ScriptDirectory.from_config(alembic_config(location))
        head = self.script.get_current_head()
        if head is None:
            raise RuntimeError(f"no tenant migrations in {location}")
        self.head: str = head

    def upgrade(self, connection: Connection, schema: str) -> None:
        """Upgrade one tenant schema to head inside the caller's transaction."""
        validate_schema_name(schema)
        connection.execute(text(f'SET LOCAL search_path TO "{schema}", public'))
        config = alembic_config(self.location)
        config.attributes.update(connection=connection, schema=schema)
        command.upgrade(config, "head")
        connection.execute(text("SET LOCAL search_path TO DEFAULT"))

    def template_sql(self) -> str:
        """The whole history as one SQL script, version stamp included, for new workspaces."""
        buffer = io.StringIO()
        command.upgrade(alembic_config(self.location, buffer), "head", sql=True)
        return buffer.getvalue()


@lru_cache
def tenant_history() -> TenantHistory:
    return TenantHistory()


@lru_cache
def workspace_template_sql() -> str:
    return tenant_history().template_sql()


async def create_tenant_schema(connection: AsyncConnection, schema: str) -> None:
    """Create a tenant schema at head inside the caller's transaction (rolled back with it)."""
    validate_schema_name(schema)
    await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    await connection.execute(text(f'SET LOCAL search_path TO "{schema}", public'))
    raw: Any = await connection.get_raw_connection()
    await raw.driver_connection.execute(workspace_template_sql())
    await connection.execute(text("SET LOCAL search_path TO DEFAULT"))


async def schema_revision(connection: AsyncConnection, schema: str) -> str | None:
    validate_schema_name(schema)
    exists = await connection.scalar(
        text("SELECT to_regclass(:name) IS NOT NULL"), {"name": f'"{schema}".alembic_version'}
    )
    if not exists:
        return None
    return await connection.scalar(text(f'SELECT version_num FROM "{schema}".alembic_version'))
