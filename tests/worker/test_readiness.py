"""The worker's readiness check: database, Redis and a heartbeat from a live worker process."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import PrivateRedis, free_port, start_worker, stop_worker

pytestmark = pytest.mark.xdist_group("outbox")


def worker_ready(redis_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "guanxi", "worker-ready"],
        env={**os.environ, "REDIS_URL": redis_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def heartbeats(url: str) -> dict[str, str]:
    import redis

    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        return {key: client.get(key) or "" for key in client.scan_iter("guanxi:worker-heartbeat:*")}
    finally:
        client.close()


async def test_worker_ready_follows_a_live_worker(tmp_path: Path) -> None:
    server = PrivateRedis(free_port(), tmp_path / "redis")
    server.start()
    try:
        without = await asyncio.to_thread(worker_ready, server.url)
        assert without.returncode == 1, heartbeats(server.url)
        assert "worker_heartbeat: FAILED" in without.stdout

        worker = start_worker(server.url, free_port(), tmp_path / "worker.log")
        try:
            for _ in range(100):
                with_worker = await asyncio.to_thread(worker_ready, server.url)
                if with_worker.returncode == 0:
                    break
                await asyncio.sleep(0.3)
        finally:
            stop_worker(worker)
        assert with_worker.returncode == 0, with_worker.stdout
        assert "database: ok" in with_worker.stdout and "redis: ok" in with_worker.stdout

        after = await asyncio.to_thread(worker_ready, server.url)
        assert after.returncode == 1  # a stopped worker removes its heartbeat
    finally:
        server.stop()
