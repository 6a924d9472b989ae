"""Counters in Redis for the endpoints that attackers like (login, signup): fixed windows, and locks
that grow with each lockout (:class:`Backoff`)."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Backoff:
    """After ``failures`` failed attempts in a row a key is locked: ``first_seconds`` the first time, twice
    as long at each further lockout, at most ``max_seconds``. Failures and lockouts are forgotten
    ``memory_seconds`` after the last attempt, and at once by :func:`clear` (a success)."""

    failures: int
    first_seconds: int
    max_seconds: int
    memory_seconds: int


@dataclass(frozen=True)
class Attempt:
    refused_for: int  # > 0: the key is locked for this many more seconds, the attempt must not be made
    locks_for: int  # > 0: this attempt reached the threshold; unless it succeeds, the key is locked this long


# One script, so that counting, the threshold and the lock are one atomic step: parallel attempts can
# neither pass the threshold together nor lock twice. The lock is set as the last allowed attempt
# starts, before its outcome is known: every later attempt is refused until that one succeeds (and
# clears the key) or the lock runs out.
_ATTEMPT = """
local left = redis.call('TTL', KEYS[1])
if left > 0 then return {left, 0} end
local failures = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('EXPIRE', KEYS[3], ARGV[4]) -- the back-off is remembered as long as attempts go on
if failures < tonumber(ARGV[1]) then return {0, 0} end
local lockouts = redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[4])
local seconds = math.min(tonumber(ARGV[2]) * 2 ^ math.min(lockouts - 1, 30), tonumber(ARGV[3]))
seconds = math.floor(seconds)
redis.call('SET', KEYS[1], lockouts, 'EX', seconds)
redis.call('DEL', KEYS[2])
return {0, seconds}
"""


def _backoff_keys(key: str) -> list[str]:
    return [f"ratelimit:{key}:lock", f"ratelimit:{key}:failures", f"ratelimit:{key}:lockouts"]


async def locked_for(key: str) -> int:
    """Seconds left of ``key``'s lock, 0 when it is not locked; counts nothing."""
    return max(int(await get_redis().ttl(_backoff_keys(key)[0])), 0)


async def attempt(key: str, backoff: Backoff) -> Attempt:
    """Count an attempt as a failure before it is judged; a success then calls :func:`clear`."""
    redis = get_redis()
    script = redis.register_script(_ATTEMPT)
    refused_for, locks_for = await script(
        keys=_backoff_keys(key),
        args=[backoff.failures, backoff.first_seconds, backoff.max_seconds, backoff.memory_seconds],
    )
    return Attempt(refused_for=int(refused_for), locks_for=int(locks_for))


async def clear(key: str) -> None:
    """Forget the failures, lockouts and any lock of ``key``."""
    await get_redis().delete(*_backoff_keys(key))
