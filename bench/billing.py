"""Stripe webhooks: 1,000 events (a story of eight per workspace, a fifth of them delivered twice, all shuffled),
signed as Stripe signs them, posted one after the other to a real API process (uvicorn) over loopback; the time of
each acknowledgement; then the worker's code path applying every stored event (``billing.tasks.apply_event``, in
the order they were received), and a check that every workspace ended in the same state as the story in order."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx
from guanxi_dev.localservices import wait_for_port
from guanxi_dev.stack import wait_for_http
from guanxi_dev.stripelocal import sign, story

from bench.stats import percentile, summary_ms
from tests.services import free_port

TARGET_P99_MS = 50
SECRET = "whsec_bench_guanxi_0123456789"  # noqa: S105 -- the benchmark's own signing secret


async def _workspaces(count: int) -> list[tuple[str, str]]:
    """``count`` workspaces, each with its Stripe customer linked (as Checkout does before the first payment)."""
    from guanxi.db.base import new_id
    from guanxi.db.engine import dispose_engine
    from guanxi.db.tenancy import platform_session
    from guanxi.domain.billing.service import link_customer
    from guanxi.domain.identity.models import User
    from guanxi.domain.tenancy.service import provision_workspace

    made = []
    for n in range(count):  # one transaction each: a schema is hundreds of locks
        async with platform_session() as session:
            user = User(id=new_id(), email=f"billing.{uuid.uuid4().hex[:10]}@example.com", name=f"Owner {n}",
                        locale="zh-Hans", password_hash=None)  # fmt: skip
            session.add(user)
            await session.flush()
            tenant, _scope = await provision_workspace(
                session, name=f"计费基准 {n}", locale="zh-Hans", owner_id=user.id
            )
            customer = f"cus_bench_{uuid.uuid4().hex[:12]}"
            await link_customer(session, tenant.id, customer)
            made.append((str(tenant.id), customer))
            await session.commit()
    await dispose_engine()
    return made


async def _apply(received: list[tuple[str, str]]) -> float:
    from guanxi.db.engine import dispose_engine
    from guanxi.db.tenancy import platform_session
    from guanxi.domain.billing.tasks import apply_event
    from guanxi.domain.tenancy.service import scope_for_job
    from guanxi.jobs import JobContext

    jobs: dict[str, JobContext] = {}
    started = time.perf_counter()
    for tenant_id, event_id in received:
        if tenant_id not in jobs:
            async with platform_session() as session:
                jobs[tenant_id] = JobContext(uuid.uuid4(), await scope_for_job(session, uuid.UUID(tenant_id)))
        await apply_event(jobs[tenant_id], event_id)
    elapsed = time.perf_counter() - started
    await dispose_engine()
    return elapsed


async def _states(tenant_ids: list[str]) -> set[tuple[Any, ...]]:
    from guanxi.db.engine import dispose_engine
    from guanxi.db.tenancy import platform_session
    from sqlalchemy import text

    async with platform_session() as session:
        rows = await session.execute(
            text("SELECT plan_key, status, seats, interval, currency, payment_failed_at FROM platform.subscriptions "
                 "WHERE tenant_id = ANY(CAST(:t AS uuid[]))"), {"t": tenant_ids},
        )  # fmt: skip
        found = {tuple(r) for r in rows}
    await dispose_engine()
    return found


def run(events: int = 1000) -> str:
    from pathlib import Path

    from guanxi.config import get_settings
    from guanxi.domain.billing.plans import catalogue

    os.environ["GUANXI_STRIPE_WEBHOOK_SECRET"] = SECRET
    os.environ["GUANXI_PLANS_FILE"] = str(Path(__file__).parent.parent / "tests" / "plans.toml")  # price ids
    get_settings.cache_clear()
    catalogue.cache_clear()
    stories = events * 4 // 5 // 8  # a fifth of the deliveries are repeats
    workspaces = asyncio.run(_workspaces(stories))
    deliveries: list[dict[str, Any]] = []
    start = int(time.time()) - 3600
    for tenant_id, customer in workspaces:
        deliveries += story(tenant_id, customer, start)
    rng = random.Random(8)
    deliveries += rng.sample(deliveries, events - len(deliveries))
    rng.shuffle(deliveries)
    port = free_port()
    api = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "--port", str(port), "--no-access-log",
         "guanxi_api.app:create_app"],
        env={**os.environ, "GUANXI_LOG_LEVEL": "WARNING"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    timings: list[float] = []
    received: list[tuple[str, str]] = []
    try:
        wait_for_port(port)
        wait_for_http(f"http://127.0.0.1:{port}/health")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for payload in deliveries:
                body = json.dumps(payload).encode()
                headers = {"content-type": "application/json", "stripe-signature": sign(body, SECRET)}
                started = time.perf_counter()
                answer = client.post("/api/v1/billing/webhooks/stripe", content=body, headers=headers)
                timings.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, answer.text
                if not answer.json()["duplicate"]:
                    tenant = payload["data"]["object"].get("metadata", {}).get("tenant_id") or next(
                        t for t, c in workspaces if c == payload["data"]["object"].get("customer")
                    )
                    received.append((tenant, payload["id"]))
    finally:
        api.terminate()
        api.wait()
    applied_s = asyncio.run(_apply(received))
    states = asyncio.run(_states([t for t, _ in workspaces]))
    p99 = percentile(timings, 0.99)
    return "\n".join([
        f"## Stripe webhooks: {len(deliveries):,} deliveries ({len(received):,} events, the rest repeats), shuffled "
        f"(target p99 acknowledgement under {TARGET_P99_MS} ms: {'meets' if p99 < TARGET_P99_MS else 'misses'})",
        "",
        "Method: bench/billing.py; one uvicorn API process, deliveries posted one after the other over loopback, "
        "each signed as Stripe signs; then `billing.tasks.apply_event` (the worker's code path) for every stored "
        "event in the order received.",
        "",
        f"- Acknowledgement: p99 {p99:.0f} ms; {summary_ms(timings)}",
        f"- Applying the {len(received):,} events: {applied_s:.1f} s ({applied_s / max(len(received), 1) * 1000:.1f} "
        "ms each, one process, sequential)",
        f"- End states: {len(states)} distinct over {len(workspaces)} workspaces (1 = every shuffled story converged "
        f"to the same subscription: {sorted(states)[0][:3] if states else None})",
    ])  # fmt: skip
