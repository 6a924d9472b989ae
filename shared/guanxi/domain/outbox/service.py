"""Jobs are written to the outbox in the caller's transaction: a rollback drops them, a commit keeps them
even while Redis is down. The relay (``relay.py``) hands them to the broker."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id
from guanxi.domain.outbox.models import OutboxMessage

NOTIFY_CHANNEL = "guanxi_outbox"
# Scheduled jobs (one message per workspace, thousands at once) wait on their own queue: a worker consumes each
# queue with its own prefetch, so a mail, an import or a "Grade now" is taken while a nightly batch is still queued;
# an operator may also run separate workers per queue (``--queues default`` / ``--queues batch``).
BATCH_QUEUE = "batch"


async def enqueue(
    session: AsyncSession,
    actor: str,
    payload: dict[str, Any],
    *,
    tenant_id: uuid.UUID | None,
    queue: str = "default",
) -> uuid.UUID:
    job_id = new_id()
    session.add(OutboxMessage(id=job_id, tenant_id=tenant_id, actor=actor, queue=queue, payload=payload))
    # Delivered at commit only, so the relay wakes up when the job can be seen.
    await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    return job_id
