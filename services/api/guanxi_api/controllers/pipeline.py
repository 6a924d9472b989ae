from __future__ import annotations

from guanxi.domain.identity.service import AuthContext
from guanxi.domain.pipeline import repository
from guanxi.domain.pipeline.schemas import PipelineOut, StageOut
from guanxi.errors import not_found
from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import provide_auth
from guanxi_api.openapi import problems


class PipelineController(Controller):
    path = "/api/v1/pipeline"
    tags = ["sales"]
    dependencies = {"auth": Provide(provide_auth)}

    @get(
        "",
        summary="The default sales pipeline of the current workspace, with its stages",
        responses=problems(401, 404, 409),
    )
    async def default_pipeline(
        self, auth: NamedDependency[AuthContext], db: NamedDependency[AsyncSession]
    ) -> PipelineOut:
        rows = await repository.default_pipeline_stages(db, auth.scope)
        if not rows:
            raise not_found("Pipeline")
        pipeline = rows[0][0]
        return PipelineOut(
            id=pipeline.id,
            name=pipeline.name,
            stages=[
                StageOut(
                    id=s.id, key=s.key, name=s.name, position=s.position, probability=s.probability, outcome=s.outcome
                )
                for _, s in rows
            ],
        )
