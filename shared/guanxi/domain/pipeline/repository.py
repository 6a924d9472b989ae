from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.pipeline.models import Pipeline, PipelineStage


async def default_pipeline_stages(session: AsyncSession, scope: TenantScope) -> list[tuple[Pipeline, PipelineStage]]:
    result = await session.execute(
        select(Pipeline, PipelineStage)
        .join(PipelineStage, PipelineStage.pipeline_id == Pipeline.id)
        .where(Pipeline.is_default.is_(True))
        .order_by(PipelineStage.position),
        execution_options=scoped(scope),
    )
    return [(p, s) for p, s in result.all()]
