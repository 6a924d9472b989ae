"""The Dramatiq broker every actor is declared on (Redis), set up once per process."""

from __future__ import annotations

from functools import lru_cache

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware.asyncio import AsyncIO

from guanxi.config import get_settings
from guanxi.domain.outbox.service import BATCH_QUEUE


@lru_cache
def get_broker() -> RedisBroker:
    settings = get_settings()
    broker = RedisBroker(  # type: ignore[no-untyped-call]
        url=settings.redis_url,
        socket_connect_timeout=2,
        socket_timeout=5,
        heartbeat_timeout=settings.broker_heartbeat_timeout_ms,
        maintenance_chance=settings.broker_maintenance_chance,
        dead_message_ttl=settings.broker_dead_message_ttl_ms,
    )
    broker.add_middleware(AsyncIO())
    broker.declare_queue(BATCH_QUEUE)
    dramatiq.set_broker(broker)
    return broker


get_broker()
