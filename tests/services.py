"""Real local servers that a test can stop and start: a private Redis, an SMTP catcher, a worker."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from guanxi_dev.localservices import start_redis, stop_process
from guanxi_dev.mailcatcher import MailStore, StoredMail


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PrivateRedis:
    port: int
    folder: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = start_redis(self.port, self.folder, persist=False)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None


async def wait_for_mail(store: MailStore, match: Callable[[StoredMail], bool], timeout: float = 30) -> StoredMail:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in store.all():
            if match(mail):
                return mail
        await asyncio.sleep(0.1)
    raise TimeoutError("the expected mail did not arrive")


def start_worker(redis_url: str, smtp_port: int, log: Path) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "REDIS_URL": redis_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "GUANXI_LOG_LEVEL": "INFO",
    }
    dramatiq = Path(sys.executable).parent / "dramatiq"
    return subprocess.Popen(
        [str(dramatiq), "guanxi_worker.main", "--processes", "1", "--threads", "2"],
        env=environment,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    stop_process(process, timeout=20)


async def set_aside_other_jobs(tenant_id: str) -> None:
    """Mark every pending job of other workspaces as sent, so a test's worker handles only its own."""
    from guanxi.db.tenancy import platform_session
    from sqlalchemy import text

    async with platform_session() as session:
        await session.execute(
            text(
                "UPDATE platform.outbox SET sent_at = now() WHERE sent_at IS NULL "
                "AND tenant_id IS DISTINCT FROM CAST(:t AS uuid)"
            ),
            {"t": tenant_id},
        )
        await session.commit()
