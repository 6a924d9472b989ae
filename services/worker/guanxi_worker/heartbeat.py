"""A worker process proves it is alive by refreshing a key in Redis (read by ``guanxi worker-ready``)."""

from __future__ import annotations

import threading
import time
from typing import Any

import dramatiq
import redis
import structlog
from guanxi.config import get_settings
from guanxi.health import heartbeat_key

INTERVAL_SECONDS = 10
log = structlog.get_logger("worker")


class Heartbeat(dramatiq.Middleware):
    def __init__(self) -> None:
        self._stop = threading.Event()

    def after_worker_boot(self, broker: dramatiq.Broker, worker: Any) -> None:
        self._stop.clear()
        threading.Thread(target=self._beat, name="heartbeat", daemon=True).start()
        log.info("worker.started", queues=sorted(broker.get_declared_queues()))

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: Any) -> None:
        self._stop.set()

    def _beat(self) -> None:
        client = redis.Redis.from_url(get_settings().redis_url, socket_connect_timeout=2, socket_timeout=2)
        key = heartbeat_key()
        while not self._stop.is_set():
            try:
                client.set(key, str(time.time()), ex=INTERVAL_SECONDS * 6)
            except redis.RedisError as error:
                log.warning("worker.heartbeat_failed", error=str(error))
            self._stop.wait(INTERVAL_SECONDS)
        try:
            client.delete(key)
        finally:
            client.close()
