"""The kanban of a pipeline with 10,000 open deals, on the big generated workspace (see customers.py): 200,000
deals are added once (10,000 open across the default pipeline's open stages, the rest won or lost), then the
board is asked for through a real API process as the workspace owner, beside the bare SQL of the same request."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
from guanxi_dev.localservices import wait_for_port
from guanxi_dev.stack import wait_for_http

from bench.customers import SAME_AS_API, plain, reuse, timed
from bench.stats import percentile, summary_ms
from tests.services import free_port

DEALS = 200_000
OPEN = 10_000
REQUESTS = 200
TARGET_MS = 200
NAMES = ["ERP 升级项目", "二号车间自动化改造", "年度维保合同", "CRM rollout", "Spare parts", "仓储系统", "培训服务"]


async def seed_deals(schema: str) -> dict[str, Any]:
    """The deals, unless the workspace has them already; returns the default pipeline's id."""
    connection = await asyncpg.connect(plain(os.environ["DATABASE_URL"]))
    try:
        pipeline_id = await connection.fetchval(
            f'SELECT id FROM "{schema}".pipelines ORDER BY is_default DESC, created_at LIMIT 1'
        )
        stages = await connection.fetch(
            f'SELECT id, outcome FROM "{schema}".pipeline_stages WHERE pipeline_id = $1 ORDER BY position', pipeline_id
        )
        existing = await connection.fetchval(f'SELECT count(*) FROM "{schema}".deals')
        if existing < DEALS:
            rng = random.Random(11)
            open_stages = [s["id"] for s in stages if s["outcome"] == "open"]
            won = next(s["id"] for s in stages if s["outcome"] == "won")
            lost = next(s["id"] for s in stages if s["outcome"] == "lost")
            reason = uuid.uuid4()
            await connection.execute(
                f'INSERT INTO "{schema}".loss_reasons (id, name) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING',
                reason, "价格太高",
            )  # fmt: skip
            reason = await connection.fetchval(f'SELECT id FROM "{schema}".loss_reasons LIMIT 1')
            accounts = await connection.fetch(
                f'SELECT id, owner_id FROM "{schema}".accounts TABLESAMPLE SYSTEM (20) LIMIT {DEALS}'
            )
            now = dt.datetime.now(dt.UTC)
            rows = []
            for n in range(DEALS - existing):
                account = accounts[n % len(accounts)]
                is_open = n < OPEN
                stage = rng.choice(open_stages) if is_open else (won if n % 3 else lost)
                status = "open" if is_open else ("won" if stage == won else "lost")
                changed = now - dt.timedelta(days=rng.randint(0, 720), seconds=rng.randint(0, 86_400))
                rows.append((
                    uuid.uuid4(), f"{rng.choice(NAMES)} {n}", account["id"], pipeline_id, stage, status,
                    Decimal(rng.randint(1_000, 2_000_000)), "CNY", account["owner_id"],
                    None if status != "lost" else reason, changed, None if is_open else changed, changed, changed,
                ))  # fmt: skip
            await connection.copy_records_to_table(
                "deals", schema_name=schema, records=rows,
                columns=["id", "name", "account_id", "pipeline_id", "stage_id", "status", "amount", "currency",
                         "owner_id", "loss_reason_id", "stage_entered_at", "closed_at", "created_at", "updated_at"],
            )  # fmt: skip
            await connection.execute(f'VACUUM ANALYZE "{schema}".deals')
        return {
            "pipeline_id": pipeline_id,
            "deals": await connection.fetchval(f'SELECT count(*) FROM "{schema}".deals'),
        }
    finally:
        await connection.close()


async def bare_sql(data: dict[str, Any], path: str, tables: tuple[str, ...] = ("deals",)) -> list[float]:
    """The request's statements on ``tables`` as the API sends them (captured in-process), replayed alone."""
    from guanxi.db.engine import dispose_engine, get_engine
    from guanxi_api.app import create_app
    from sqlalchemy import event

    captured: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        captured.append((statement, parameters))

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()), base_url="http://bench") as client:
        headers = {"Authorization": f"Bearer {data['token']}"}
        await client.get(path, headers=headers)  # sessions, settings: warm
        event.listen(get_engine().sync_engine, "before_cursor_execute", record)
        answer = await client.get(path, headers=headers)
        event.remove(get_engine().sync_engine, "before_cursor_execute", record)
        assert answer.status_code == 200, answer.text
    await dispose_engine()
    domain = [(s, p) for s, p in captured if any(table in s for table in tables)]
    connection = await asyncpg.connect(plain(os.environ["DATABASE_URL"]), server_settings=SAME_AS_API)
    timings = []
    try:
        for _ in range(100):
            started = time.perf_counter()
            for statement, parameters in domain:
                await connection.fetch(statement, *(parameters or ()))
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        await connection.close()
    return timings


def served(data: dict[str, Any], paths: list[str], requests: int = REQUESTS, warm: int = 10) -> dict[str, list[float]]:
    """Each of ``paths`` asked ``requests`` times in a row as the workspace owner from one uvicorn process, after
    ``warm`` warm-up requests; the milliseconds of each, by path."""
    port = free_port()
    api = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "--port", str(port), "--no-access-log",
         "guanxi_api.app:create_app"],
        env={**os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port)
        wait_for_http(f"http://127.0.0.1:{port}/health")
        headers = {"Authorization": f"Bearer {data['token']}"}
        results: dict[str, list[float]] = {}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for path in paths:
                for _ in range(warm):
                    timed(client, [(path, {})], headers)
                results[path] = [timed(client, [(path, {})], headers) for _ in range(requests)]
        return results
    finally:
        api.terminate()
        api.wait(timeout=10)


def served_timings(data: dict[str, Any], path: str, requests: int = REQUESTS) -> list[float]:
    return served(data, [path], requests)[path]


def run() -> str:
    print("deals: the kanban of a pipeline with 10,000 open deals")
    data = asyncio.run(reuse())
    data.update(asyncio.run(seed_deals(data["schema"])))
    path = f"/api/v1/pipelines/{data['pipeline_id']}/board"
    results = served_timings(data, path)
    sql = asyncio.run(bare_sql(data, path))
    p99, bare99 = percentile(results, 0.99), percentile(sql, 0.99)
    verdict = "meets" if p99 < TARGET_MS else "misses"
    return "\n".join(
        [
            f"## Deals: the kanban of a pipeline with {OPEN:,} open deals ({data['deals']:,} deals in all)",
            "",
            f"Method: {DEALS:,} deals generated once on the customers benchmark's workspace (COPY; {OPEN:,} open "
            "across the default pipeline's open stages, the rest won or lost), then "
            f"`GET /api/v1/pipelines/{{id}}/board` {REQUESTS} times in a row as the workspace owner (all deals in "
            "scope; 50 cards per stage, counts and per-currency sums of every stage) against one uvicorn process, "
            "after 10 warm-up requests. *Bare SQL*: the request's deal statements replayed alone over asyncpg.",
            "",
            "| scenario | target p99 | API p50 | API p99 | bare SQL p50 | bare SQL p99 | ratio |",
            "|---|---|---|---|---|---|---|",
            f"| kanban board | {TARGET_MS} ms ({verdict}) | {percentile(results, 0.5):.1f} ms | {p99:.1f} ms | "
            f"{percentile(sql, 0.5):.1f} ms | {bare99:.1f} ms | {p99 / max(bare99, 0.01):.1f}× |",
            "",
            f"All timings: {summary_ms(results)}",
        ]
    )
