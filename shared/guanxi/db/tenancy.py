"""The tenant scope: a type produced only from an authenticated membership or a job's tenant id.

Every tenant repository takes a :class:`TenantScope`; sessions opened with :func:`tenant_session` are
bound to that tenant's schema, and the engine refuses tenant SQL from any other session.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from guanxi.db.base import TENANT_PLACEHOLDER
from guanxi.db.engine import get_engine, get_sessionmaker

SCHEMA_PATTERN = re.compile(r"^tenant_[0-9a-f]{12}$")


class InvalidSchemaNameError(ValueError):
    pass


def validate_schema_name(name: str) -> str:
    """Schema names are interpolated into DDL, so only one strict shape is ever accepted."""
    if not SCHEMA_PATTERN.fullmatch(name):
        raise InvalidSchemaNameError(f"not a tenant schema name: {name!r}")
    return name


def schema_for(tenant_id: uuid.UUID) -> str:
    # The low bits of a UUIDv7 are random: twelve hex digits keep names short and collisions negligible,
    # and the unique index on tenants.schema_name catches the rare clash at signup.
    return validate_schema_name(f"tenant_{tenant_id.hex[-12:]}")


@dataclass(frozen=True, slots=True)
class TenantScope:
    tenant_id: uuid.UUID
    schema: str
    user_id: uuid.UUID | None = None
    role: str | None = None

    def __post_init__(self) -> None:
        validate_schema_name(self.schema)

    def cache_key(self, key: str) -> str:
        """Every cache key of tenant data is prefixed by its tenant."""
        return f"{self.schema}:{key}"


@asynccontextmanager
async def platform_session() -> AsyncIterator[AsyncSession]:
    """A session for the platform schema; commit at the edge, roll back on error."""
    async with get_sessionmaker()() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise


@asynccontextmanager
async def tenant_session(scope: TenantScope) -> AsyncIterator[AsyncSession]:
    """A session whose tenant tables resolve to ``scope``'s schema (platform tables stay reachable)."""
    async with AsyncSession(bind=tenant_engine(scope), expire_on_commit=False, autoflush=False) as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise


def tenant_engine(scope: TenantScope) -> AsyncEngine:
    """The process engine (same pool) with the placeholder schema translated to the tenant's."""
    return get_engine().execution_options(**scoped(scope))


def scoped(scope: TenantScope) -> dict[str, object]:
    """Execution options that bind one statement to ``scope``'s schema (for any session)."""
    return {"schema_translate_map": {TENANT_PLACEHOLDER: scope.schema}}
