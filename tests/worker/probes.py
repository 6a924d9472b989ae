"""Probe actors the test worker imports (``GUANXI_WORKER_EXTRA_MODULES=tests.worker.probes``), never in production.

They go through ``tenant_job`` like every real actor, so time limits, retries, dead letters and redelivery are
exercised on the real path.
"""

from __future__ import annotations

import asyncio

import redis
import structlog
from guanxi.config import get_settings
from guanxi.db.tenancy import platform_session
from guanxi.jobs import JobContext, tenant_job
from sqlalchemy import text

log = structlog.get_logger("probe")

TABLE = "public.worker_probe"
CREATE_TABLE = f"CREATE TABLE IF NOT EXISTS {TABLE} (job_id uuid NOT NULL, n int NOT NULL, PRIMARY KEY (job_id, n))"


@tenant_job("probe.write_slowly", time_limit_ms=60_000, max_retries=3)
async def write_slowly(context: JobContext, rows: int, hold_seconds: float) -> None:
    """Writes ``rows`` result rows in one transaction and holds it open before committing.

    Idempotent like the real result writers: a job whose result exists is done; the result is committed
    all at once, so a worker killed before the commit leaves nothing behind.
    """
    async with platform_session() as session:
        done = await session.scalar(text(f"SELECT count(*) FROM {TABLE} WHERE job_id = :j"), {"j": context.job_id})
        if done:
            log.info("probe.already_done", job_id=str(context.job_id))
            return
        await session.execute(
            text(f"INSERT INTO {TABLE} (job_id, n) SELECT :j, g FROM generate_series(1, :rows) g"),
            {"j": context.job_id, "rows": rows},
        )
        log.info("probe.holding", job_id=str(context.job_id))
        await asyncio.sleep(hold_seconds)
        await session.commit()


@tenant_job("probe.overrun", time_limit_ms=1_000, max_retries=1)
async def overrun(context: JobContext) -> None:
    log.info("probe.overrun_started", job_id=str(context.job_id))
    await asyncio.sleep(60)
    log.info("probe.overrun_finished", job_id=str(context.job_id))  # never reached: the time limit cancels it


@tenant_job("probe.fail", time_limit_ms=10_000, max_retries=1)
async def fail(context: JobContext) -> None:
    client = redis.Redis.from_url(get_settings().redis_url)
    if client.get(f"probe:healed:{context.job_id}"):
        client.incr(f"probe:succeeded:{context.job_id}")
        return
    raise RuntimeError(f"probe failure 失败 for {context.job_id}")


@tenant_job("probe.nap", time_limit_ms=30_000, max_retries=0)
async def nap(context: JobContext, label: str, seconds: float) -> None:
    """Takes ``seconds``, then says which job it was: the order of work across queues."""
    await asyncio.sleep(seconds)
    log.info("probe.napped", label=label)
