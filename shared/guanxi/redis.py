"""The process-wide Redis client (rate limits, heartbeats); the broker has its own connection pool."""

from __future__ import annotations

from functools import lru_cache

from redis.asyncio import Redis

from guanxi.config import get_settings


@lru_cache
def get_redis() -> Redis:
    return Redis.from_url(get_settings().redis_url, socket_connect_timeout=2, socket_timeout=2, decode_responses=True)


async def close_redis() -> None:
    if get_redis.cache_info().currsize:
        await get_redis().aclose()
        get_redis.cache_clear()
