"""The scheduler process: relays the outbox to the broker and enqueues periodic jobs (guanxi.periodic).

Run one (``python -m guanxi_worker.scheduler``). A second would do no harm: the relay claims rows with
SKIP LOCKED, and each periodic slot is claimed once in Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Any

import structlog
from guanxi.logging import configure_logging

configure_logging("scheduler")

from guanxi.broker import get_broker  # noqa: E402
from guanxi.db.engine import dispose_engine, get_engine  # noqa: E402
from guanxi.domain.outbox.relay import relay_once  # noqa: E402
from guanxi.domain.outbox.service import NOTIFY_CHANNEL  # noqa: E402
from guanxi.periodic import enqueue_due  # noqa: E402

log = structlog.get_logger("scheduler")

POLL_SECONDS = 1.0
PERIODIC_CHECK_SECONDS = 60.0


async def listen_for_jobs(wakeup: asyncio.Event) -> Any:
    """LISTEN on the outbox channel so a committed job is relayed within milliseconds."""
    connection = await get_engine().raw_connection()
    driver = connection.driver_connection
    await driver.add_listener(NOTIFY_CHANNEL, lambda *_: wakeup.set())
    return connection


async def relay_forever(stop: asyncio.Event) -> None:
    broker = get_broker()
    wakeup = asyncio.Event()
    listener = None
    while not stop.is_set():
        if listener is None:
            try:
                listener = await listen_for_jobs(wakeup)
            except Exception as error:
                log.warning("scheduler.listen_failed", error=str(error))
        try:
            sent = await relay_once(broker)
        except Exception as error:
            log.warning("scheduler.relay_failed", error=str(error))
            sent = 0
            if listener is not None:
                with contextlib.suppress(Exception):
                    listener.invalidate()
                listener = None
        if sent:
            continue  # there may be more
        wakeup.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), POLL_SECONDS)
    if listener is not None:
        with contextlib.suppress(Exception):
            listener.close()


async def periodic_forever(stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await enqueue_due()
        except Exception as error:
            log.warning("scheduler.periodic_failed", error=str(error))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), PERIODIC_CHECK_SECONDS)


async def main() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("scheduler.started")
    try:
        await asyncio.gather(relay_forever(stop), periodic_forever(stop))
    finally:
        await dispose_engine()
        log.info("scheduler.stopped")


if __name__ == "__main__":
    asyncio.run(main())
