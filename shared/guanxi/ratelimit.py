"""Fixed-window counters in Redis for the endpoints that attackers like (login, signup)."""

from __future__ import annotations

from guanxi.errors import too_many_requests
from guanxi.redis import get_redis


async def hit(key: str, limit: int, window_seconds: int) -> tuple[bool, int]:
    """Count one attempt; return whether it is allowed and the seconds until the window resets."""
    redis = get_redis()
    full_key = f"ratelimit:{key}"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(full_key)
        pipe.expire(full_key, window_seconds, nx=True)
        pipe.ttl(full_key)
        count, _, ttl = await pipe.execute()
    return int(count) <= limit, max(int(ttl), 1)


async def enforce(key: str, limit: int, window_seconds: int, detail: str) -> None:
    allowed, retry_after = await hit(key, limit, window_seconds)
    if not allowed:
        raise too_many_requests(detail, retry_after)


async def is_blocked(key: str, limit: int) -> int:
    """Seconds left while ``key`` is over ``limit`` (0 when it is not), without counting an attempt."""
    redis = get_redis()
    full_key = f"ratelimit:{key}"
    count = await redis.get(full_key)
    if count is None or int(count) < limit:
        return 0
    return max(int(await redis.ttl(full_key)), 1)


async def reset(key: str) -> None:
    await get_redis().delete(f"ratelimit:{key}")
