"""Moves committed outbox rows to the Dramatiq broker.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so several relays may run. A broker failure (Redis
down) leaves the row pending with a growing back-off; nothing is lost. The broker's message id is the
outbox id, which the actors use to make a second delivery harmless.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

import dramatiq
import structlog
from dramatiq import Message
from sqlalchemy import select, update

from guanxi.db.base import utcnow
from guanxi.db.tenancy import platform_session
from guanxi.domain.outbox.models import OutboxMessage

log = structlog.get_logger("outbox")

MAX_BACKOFF_SECONDS = 60


def to_message(row: OutboxMessage) -> Message[Any]:
    kwargs = dict(row.payload)
    kwargs["job_id"] = str(row.id)
    if row.tenant_id is not None:
        kwargs["tenant_id"] = str(row.tenant_id)
    return Message(
        queue_name=row.queue,
        actor_name=row.actor,
        args=(),
        kwargs=kwargs,
        options={},
        message_id=str(row.id),
    )


async def relay_once(
    broker: dramatiq.Broker, *, batch: int = 200, send: Callable[[Message[Any]], Any] | None = None
) -> int:
    """Send one batch of due jobs; return how many reached the broker."""
    deliver = send or broker.enqueue
    sent = 0
    async with platform_session() as session:
        rows = list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.sent_at.is_(None), OutboxMessage.available_at <= utcnow())
                .order_by(OutboxMessage.available_at)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        )
        for row in rows:
            try:
                await asyncio.to_thread(deliver, to_message(row))
            except Exception as error:  # the broker is unreachable: keep the rest for later too
                delay = min(2 ** min(row.attempts, 6), MAX_BACKOFF_SECONDS)
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_([r.id for r in rows[rows.index(row) :]]))
                    .values(
                        attempts=OutboxMessage.attempts + 1,
                        last_error=f"{type(error).__name__}: {error}"[:2000],
                        available_at=utcnow() + dt.timedelta(seconds=delay),
                    )
                )
                log.warning("outbox.broker_unavailable", error=str(error), pending=len(rows) - sent, retry_in_s=delay)
                break
            row.sent_at = utcnow()
            sent += 1
        await session.commit()
    if sent:
        log.debug("outbox.relayed", count=sent)
    return sent


async def replay(job_ids: list[str] | None = None) -> int:
    """Operator tool: make failed or selected jobs due now (they are sent on the relay's next pass)."""
    async with platform_session() as session:
        statement = update(OutboxMessage).values(available_at=utcnow(), sent_at=None)
        if job_ids:
            statement = statement.where(OutboxMessage.id.in_(job_ids))
        else:
            statement = statement.where(OutboxMessage.sent_at.is_(None))
        result = await session.execute(statement)
        await session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]
