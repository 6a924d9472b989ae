"""The whole product running as ``make run`` runs it (api, web, worker, scheduler, mail catcher) against
this test worker's database, and a real headless Chromium driving it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from guanxi_dev.mailcatcher import MailStore
from guanxi_dev.stack import Ports, Stack

from tests.conftest import ARTIFACTS, REDIS_SERVER_URL, WORKER, WORKER_NUMBER
from tests.services import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ARTIFACTS / "screenshots"


@contextmanager
def running_stack(tmp_path_factory: pytest.TempPathFactory, extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    """The whole product on free ports, with ``extra_env`` added to every process's environment."""
    mail_dir = tmp_path_factory.mktemp("mail")
    env = {
        **os.environ,
        "GUANXI_LOG_LEVEL": "INFO",
        # No nightly jobs for the hundreds of workspaces the test database gathers: the scheduler only relays
        # the outbox, so a test's own jobs (mails, imports, grading) are not queued behind them.
        "GUANXI_PERIODIC_JOBS": "",
        # Every browser signs up from 127.0.0.1, some forty times a run (the limit itself is tested in the API's).
        "GUANXI_SIGNUPS_PER_IP_PER_HOUR": "100000",
        # Its own Redis database: the per-test flush of the test's database must not drop its queue.
        "REDIS_URL": REDIS_SERVER_URL.rsplit("/", 1)[0] + f"/{20 + WORKER_NUMBER}",
        **(extra_env or {}),
    }
    # Start from an empty Redis database: rate-limit counters of an earlier run (every browser signs up
    # from 127.0.0.1) must not make this run's sign-ups "too many".
    import redis

    client = redis.Redis.from_url(env["REDIS_URL"])
    try:
        client.flushdb()
    finally:
        client.close()
    for attempt in range(3):
        # A free port is only free until someone else binds it (the other test worker's stack, an outgoing
        # connection): a process that lost its port exits, and the stack starts again on new ones.
        ports = Ports(web=free_port(), api=free_port(), smtp=free_port(), mail_web=free_port(), stripe=free_port())
        running = Stack(env=env, ports=ports, mail_dir=mail_dir, log_dir=ARTIFACTS / "logs" / WORKER)
        try:
            running.start()
            break
        except RuntimeError:
            if attempt == 2:
                raise
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="package")
def stack(database: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One for the browser tests (they run together on one test worker: ``xdist_group("browser")``), started
    once instead of once per module; gone when they are done, as its scheduler relays this database's outbox and
    must not run beside the outbox tests that run on this test worker afterwards."""
    with running_stack(tmp_path_factory) as running:
        yield running


@pytest.fixture(scope="module")
def mailbox(stack: Stack) -> MailStore:
    return MailStore(stack.mail_dir)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Any, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    opened = await context.new_page()
    yield opened
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        await screenshot(opened, f"FAILED-{request.node.name}")
    await context.close()


async def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)
