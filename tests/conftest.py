"""Test set-up: real PostgreSQL and Redis (started by ``make test``, or here when run bare).

Each xdist worker gets its own database, migrated once, and its own Redis database number. The
environment is set before any ``guanxi`` module reads its settings.
"""

from __future__ import annotations

import fcntl
import os
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
WORKER_NUMBER = int(WORKER.removeprefix("gw") or 0)
ARTIFACTS = ROOT / "test-artifacts"


def _server_urls() -> tuple[str, str]:
    database = os.environ.get("GUANXI_TEST_DATABASE_URL")
    redis = os.environ.get("GUANXI_TEST_REDIS_URL")
    if database and redis:
        return database, redis
    from guanxi_dev.localservices import data_dir, start_services

    with (data_dir() / "test-services.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        services = start_services(database="postgres", fast=True, log=lambda _: None)
    return services.database_url, services.redis_url


SERVER_URL, REDIS_SERVER_URL = _server_urls()
TEST_DATABASE = f"guanxi_test_{WORKER}"
os.environ["DATABASE_URL"] = SERVER_URL.rsplit("/", 1)[0] + f"/{TEST_DATABASE}"
os.environ["REDIS_URL"] = REDIS_SERVER_URL.rsplit("/", 1)[0] + f"/{1 + WORKER_NUMBER}"
os.environ["GUANXI_ENV"] = "test"
# Billing as an installation configures it: the webhook secret Stripe signs with, and a plans file with price ids.
os.environ["GUANXI_STRIPE_WEBHOOK_SECRET"] = "whsec_test_guanxi_0123456789abcdef"
os.environ["GUANXI_PLANS_FILE"] = str(Path(__file__).parent / "plans.toml")


# Stripe's API is the local Stripe-compatible server (guanxi_dev.stripelocal) on a port of this test worker's own;
# the tests that call it start it with the ``stripe_server`` fixture (tests/api/test_billing_checkout.py).
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


STRIPE_PORT = _free_port()
os.environ["GUANXI_STRIPE_SECRET_KEY"] = "sk_test_local"
os.environ["GUANXI_STRIPE_API_BASE"] = f"http://127.0.0.1:{STRIPE_PORT}"


def admin_dsn() -> str:
    return SERVER_URL.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"


def plain_dsn() -> str:
    return os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture(scope="session", autouse=True)
async def database() -> AsyncIterator[None]:
    import asyncpg
    from guanxi.db.engine import dispose_engine, get_engine
    from guanxi.db.migrate import upgrade_platform

    admin = await asyncpg.connect(admin_dsn())
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{TEST_DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{TEST_DATABASE}"')
    finally:
        await admin.close()
    await upgrade_platform(get_engine())
    yield
    await dispose_engine()


@pytest.fixture(autouse=True)
async def clean_redis() -> None:
    """Rate-limit counters and queues start empty in every test."""
    from guanxi.redis import get_redis

    await get_redis().flushdb()


@pytest.fixture(scope="session")
async def client() -> AsyncIterator[Any]:
    """The API in-process, on the test's own event loop (the engine's pool lives on that loop)."""
    import httpx
    from guanxi_api.app import create_app

    transport = httpx.ASGITransport(app=create_app(), client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as test_client:
        # Responses' cookies are not kept: the client is shared, so no test rides on another's session.
        test_client.cookies.extract_cookies = lambda response: None  # type: ignore[method-assign]
        yield test_client


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}@example.com"


def signup_payload(**overrides: Any) -> dict[str, Any]:
    payload = {
        "company_name": f"Acme Trading {uuid.uuid4().hex[:6]}",
        "name": "Li Na",
        "email": unique_email(),
        "password": "correct horse battery staple",
        "locale": "en",
    }
    payload.update(overrides)
    return payload


async def signed_up(client: Any, **overrides: Any) -> dict[str, Any]:
    """A new company via the public API; returns the session body plus the password used."""
    payload = signup_payload(**overrides)
    response = await client.post("/api/v1/signup", json=payload)
    assert response.status_code == 201, response.text
    return {**response.json(), "password": payload["password"]}


def bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['token']}"}
