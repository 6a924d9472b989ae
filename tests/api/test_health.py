from __future__ import annotations

from typing import Any


async def test_health_and_ready_report_database_and_redis(client: Any) -> None:
    assert (await client.get("/health")).json() == {"status": "ok", "checks": {}}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "redis": True}


async def test_ready_is_503_when_redis_is_unreachable(client: Any, monkeypatch: Any) -> None:
    from guanxi import health
    from redis.asyncio import Redis

    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    monkeypatch.setattr(health, "get_redis", lambda: unreachable)
    ready = await client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["redis"] is False
