"""How actors are declared: named ``domain.verb``, run in exactly one tenant context, logged once.

An actor receives ids only (``job_id`` is the outbox id, ``tenant_id`` the workspace), never objects.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import dramatiq
import structlog

import guanxi.broker  # noqa: F401  (declares actors on the configured broker)
from guanxi.db.tenancy import TenantScope, platform_session
from guanxi.domain.tenancy.service import scope_for_job

log = structlog.get_logger("jobs")


@dataclass(frozen=True)
class JobContext:
    job_id: uuid.UUID
    scope: TenantScope


JobFunction = Callable[..., Awaitable[None]]


def tenant_job(
    name: str, *, queue: str = "default", time_limit_ms: int = 60_000, max_retries: int = 5
) -> Callable[[JobFunction], dramatiq.Actor[Any, Any]]:
    def decorate(function: JobFunction) -> dramatiq.Actor[Any, Any]:
        async def run(job_id: str, tenant_id: str, **kwargs: Any) -> None:
            structlog.contextvars.bind_contextvars(job=name, job_id=job_id, tenant_id=tenant_id)
            started = time.perf_counter()
            try:
                async with platform_session() as session:
                    scope = await scope_for_job(session, uuid.UUID(tenant_id))
                await function(JobContext(uuid.UUID(job_id), scope), **kwargs)
            except Exception:
                log.exception("job.failed", duration_ms=round((time.perf_counter() - started) * 1000, 1))
                raise
            finally:
                structlog.contextvars.unbind_contextvars("job", "job_id", "tenant_id")
            log.info(
                "job.completed",
                job=name,
                job_id=job_id,
                tenant_id=tenant_id,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )

        run.__name__ = function.__name__
        # Retries start after a second and double up to five minutes: a busy or briefly unreachable
        # dependency is retried soon, a lasting outage does not spin.
        declare = dramatiq.actor(
            actor_name=name,
            queue_name=queue,
            time_limit=time_limit_ms,
            max_retries=max_retries,
            min_backoff=1_000,
            max_backoff=300_000,
        )
        return declare(run)

    return decorate
