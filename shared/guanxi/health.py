"""Readiness checks shared by every service: database, Redis, and the worker heartbeat."""

from __future__ import annotations

import asyncio
import os
import socket
import time

from sqlalchemy import text

from guanxi.db.engine import get_engine
from guanxi.redis import get_redis

HEARTBEAT_PREFIX = "guanxi:worker-heartbeat:"


async def database_ready() -> bool:
    try:
        async with asyncio.timeout(3), get_engine().connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


async def redis_ready() -> bool:
    try:
        async with asyncio.timeout(3):
            return bool(await get_redis().ping())
    except Exception:
        return False


async def readiness() -> dict[str, bool]:
    database, redis = await asyncio.gather(database_ready(), redis_ready())
    return {"database": database, "redis": redis}


def heartbeat_key() -> str:
    return f"{HEARTBEAT_PREFIX}{socket.gethostname()}:{os.getpid()}"


async def worker_readiness(max_age: int) -> dict[str, bool]:
    checks = await readiness()
    fresh = False
    if checks["redis"]:
        now = time.time()
        async for key in get_redis().scan_iter(match=HEARTBEAT_PREFIX + "*", count=100):
            beat = await get_redis().get(key)
            if beat is not None and now - float(beat) <= max_age:
                fresh = True
                break
    checks["worker_heartbeat"] = fresh
    return checks
