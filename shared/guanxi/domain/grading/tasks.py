"""Grading actor: nightly for every workspace and on demand; one transaction per run, redone if redelivered."""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy import select, update

from guanxi.db.tenancy import tenant_session
from guanxi.domain.billing.tasks import in_plan
from guanxi.domain.grading import service
from guanxi.domain.grading.models import GradingRun
from guanxi.domain.tenancy.models import WorkspaceSettings
from guanxi.jobs import JobContext, tenant_job

log = structlog.get_logger("grading")


async def grade_customers(job: JobContext, run_id: uuid.UUID | None = None) -> GradingRun:
    if run_id is not None:  # shown as running while the work goes on; a killed worker leaves it so, to be redone
        async with tenant_session(job.scope) as session:
            await session.execute(
                update(GradingRun)
                .where(GradingRun.id == run_id, GradingRun.status == "queued")
                .values(status="running")
            )
            await session.commit()
    async with tenant_session(job.scope) as session:
        run = await service.run_grading(session, job.scope, run_id, "manual" if run_id else "nightly")
        await session.commit()
    log.info("grading.done", run_id=str(run.id), scored=run.scored, changed=run.changed, ms=run.duration_ms)
    return run


@tenant_job("grading.run", time_limit_ms=1_800_000, max_retries=3)
async def run(job: JobContext, run_id: str | None = None) -> None:
    if run_id is None and not await in_plan(job, "grading"):  # the nightly run of a plan without grading
        return
    await grade_customers(job, uuid.UUID(run_id) if run_id else None)


async def follow_up_by_grade(job: JobContext) -> int:
    async with tenant_session(job.scope) as session:
        locale = await session.scalar(select(WorkspaceSettings.locale).limit(1)) or "en"
        created = await service.schedule_follow_ups(session, job.scope, locale)
        await session.commit()
    log.info("grading.follow_ups", created=created)
    return created


@tenant_job("grading.schedule_follow_ups", time_limit_ms=600_000, max_retries=3)
async def schedule_follow_ups(job: JobContext) -> None:
    await follow_up_by_grade(job)
