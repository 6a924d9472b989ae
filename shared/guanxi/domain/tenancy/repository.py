from __future__ import annotations

import uuid

from guanxi_tenants import defaults
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id
from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.access.models import Member, MemberRole
from guanxi.domain.grading.models import GradeBand, GradingCriterion
from guanxi.domain.identity.models import User
from guanxi.domain.pipeline.models import Pipeline, PipelineStage
from guanxi.domain.tenancy.models import Tenant, WorkspaceSettings


async def get_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def workspace_timezone(session: AsyncSession, scope: TenantScope) -> str | None:
    zone: str | None = await session.scalar(
        select(WorkspaceSettings.timezone).limit(1), execution_options=scoped(scope)
    )
    return zone


async def seed_workspace_defaults(session: AsyncSession, scope: TenantScope, *, company_name: str, locale: str) -> None:
    """Insert the workspace defaults from ``tenants/`` and its owner as first member into its schema."""
    options = scoped(scope)
    owner = scope.user_id
    pipeline_id = new_id()
    if owner is not None:
        await add_member(session, scope, owner, role="owner")
    await session.execute(
        insert(WorkspaceSettings).values(
            id=new_id(),
            company_name=company_name,
            locale=locale,
            owner_id=owner,
            created_by=owner,
            currency=defaults.CURRENCY.get(locale, "USD"),
            timezone=defaults.TIMEZONE.get(locale, "UTC"),
        ),
        execution_options=options,
    )
    await session.execute(
        insert(Pipeline).values(
            id=pipeline_id,
            name=defaults.localized(defaults.PIPELINE_NAME, locale),
            is_default=True,
            created_by=owner,
        ),
        execution_options=options,
    )
    await session.execute(
        insert(PipelineStage),
        [
            {
                "id": new_id(),
                "pipeline_id": pipeline_id,
                "key": stage["key"],
                "position": position,
                "name": defaults.localized(stage["name"], locale),
                "probability": stage["probability"],
                "outcome": stage["outcome"],
                "created_by": owner,
            }
            for position, stage in enumerate(defaults.PIPELINE_STAGES, start=1)
        ],
        execution_options=options,
    )
    await session.execute(
        insert(GradingCriterion),
        [
            {
                "id": new_id(),
                "key": c["key"],
                "name": defaults.localized(c["name"], locale),
                "weight": c["weight"],
                "created_by": owner,
            }
            for c in defaults.GRADING_CRITERIA
        ],
        execution_options=options,
    )
    await session.execute(
        insert(GradeBand),
        [
            {
                "id": new_id(),
                "grade": band["grade"],
                "position": position,
                "created_by": owner,
                "share_percent": band["share_percent"],
                "complaint_response_days": band["complaint_response_days"],
            }
            for position, band in enumerate(defaults.GRADE_BANDS, start=1)
        ],
        execution_options=options,
    )


async def add_member(session: AsyncSession, scope: TenantScope, user_id: uuid.UUID, *, role: str) -> None:
    """Make a platform user a member of the workspace (name and email copied from the platform) with a role."""
    options = scoped(scope)
    await session.execute(
        insert(Member).from_select(
            ["id", "name", "email"], select(User.id, User.name, User.email).where(User.id == user_id)
        ),
        execution_options=options,
    )
    await session.execute(insert(MemberRole).values(member_id=user_id, role_key=role), execution_options=options)
