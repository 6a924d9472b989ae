"""A real worker fleet a test can start, SIGKILL and start again.

``WorkerProcess`` runs ``dramatiq guanxi_worker.main`` in its own process group, against the Redis a test
names, with short broker timings so a killed worker's unacknowledged messages are requeued within seconds
(``GUANXI_BROKER_HEARTBEAT_TIMEOUT_MS`` and ``GUANXI_BROKER_MAINTENANCE_CHANCE``). Extra modules (probe
actors) are imported through ``GUANXI_WORKER_EXTRA_MODULES``.

A SIGKILL test for any job is a few lines::

    with WorkerProcess(redis.url, tmp_path / "w1.log") as first:
        enqueue(...)                       # through the outbox, or broker.enqueue
        await wait_for(lambda: "job.started" in first.log() ...)
        first.kill()                       # kill -9 of the whole process group
    # assert nothing half-written is visible here
    with WorkerProcess(redis.url, tmp_path / "w2.log") as second:
        await wait_for(job_completed)      # the same message, redelivered
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Self

from guanxi_dev.localservices import stop_process

PROBES = "tests.worker.probes"
FAST_BROKER = {
    "GUANXI_BROKER_HEARTBEAT_TIMEOUT_MS": "2000",  # a worker silent for 2 s is dead
    "GUANXI_BROKER_MAINTENANCE_CHANCE": "1000000",  # every broker command runs the maintenance
}


class WorkerProcess:
    def __init__(
        self,
        redis_url: str,
        log: Path,
        *,
        smtp_port: int | None = None,
        env: dict[str, str] | None = None,
        modules: tuple[str, ...] = (PROBES,),
        threads: int = 2,
    ) -> None:
        self.log_path = log
        self.environment = {
            **os.environ,
            "REDIS_URL": redis_url,
            "GUANXI_LOG_LEVEL": "INFO",
            "GUANXI_LOG_JSON": "false",
            "GUANXI_WORKER_EXTRA_MODULES": ",".join(modules),
            **FAST_BROKER,
            **({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port)} if smtp_port else {}),
            **(env or {}),
        }
        self.threads = threads
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        dramatiq = Path(sys.executable).parent / "dramatiq"
        self.process = subprocess.Popen(
            [str(dramatiq), "guanxi_worker.main", "--processes", "1", "--threads", str(self.threads)],
            env=self.environment,
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self) -> None:
        """``kill -9`` the worker and every process it forked: no shutdown hook, no ack, no rollback sent."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, timeout=20)
            self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


async def wait_for(
    condition: Callable[[], Awaitable[bool]] | Callable[[], bool], timeout: float = 30, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{what} not met within {timeout} s")
