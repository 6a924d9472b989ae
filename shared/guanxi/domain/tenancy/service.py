"""Workspaces: provisioning a tenant schema from the prepared template, and the tenant scope for jobs."""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id, utcnow
from guanxi.db.migrate import create_tenant_schema, tenant_history
from guanxi.db.tenancy import TenantScope, schema_for
from guanxi.domain.billing.service import start_trial
from guanxi.domain.tenancy import repository
from guanxi.domain.tenancy.models import Tenant
from guanxi.errors import DomainError, not_found

log = structlog.get_logger("tenancy")


async def provision_workspace(
    session: AsyncSession, *, name: str, locale: str, owner_id: uuid.UUID
) -> tuple[Tenant, TenantScope]:
    """Create the tenant row, its schema at head and its defaults, all in the caller's transaction."""
    tenant_id = new_id()
    schema = schema_for(tenant_id)
    tenant = Tenant(
        id=tenant_id,
        name=name,
        schema_name=schema,
        locale=locale,
        status="active",
        schema_revision=tenant_history().head,
        migrated_at=utcnow(),
    )
    session.add(tenant)
    await session.flush()
    await create_tenant_schema(await session.connection(), schema)
    scope = TenantScope(tenant_id=tenant_id, schema=schema, user_id=owner_id, role="owner")
    await repository.seed_workspace_defaults(session, scope, company_name=name, locale=locale)
    await start_trial(session, tenant_id)
    log.info("tenancy.workspace_provisioned", tenant_id=str(tenant_id), schema=schema)
    return tenant, scope


async def scope_for_job(session: AsyncSession, tenant_id: uuid.UUID) -> TenantScope:
    """The scope a worker job runs in: only for a tenant that exists and is active."""
    tenant = await repository.get_tenant(session, tenant_id)
    if tenant is None:
        raise not_found("Workspace")
    if tenant.status != "active":
        raise DomainError(
            detail="This workspace is suspended.", status=423, type="workspace-suspended", title="Workspace suspended"
        )
    return TenantScope(tenant_id=tenant.id, schema=tenant.schema_name)
