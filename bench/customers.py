"""Customer lists, search and the account page on a big generated workspace: real API process (uvicorn),
sequential requests over loopback; and the bare SQL of each, replayed on its own, to show the overhead."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
import uuid
from typing import Any

import asyncpg
import httpx
from guanxi_dev.localservices import wait_for_port
from guanxi_dev.stack import wait_for_http

from bench.stats import percentile, summary_ms
from tests.services import free_port

REPS = 50
REQUESTS = 300
SEARCHES = ["张伟", "华强", "zhang wei", "zhangwei", "深圳恒信", "hengxin", "Smith", "jane smi", "8888", "0013 8",
            "acme1", "info@hooli", "有限公司", "王芳"]  # fmt: skip
SAME_AS_API = {"plan_cache_mode": "force_custom_plan"}  # as guanxi.db.engine sets it
TARGETS = {"list": 50, "search": 150, "page": 80}


def plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def seed(accounts: int) -> dict[str, Any]:
    """A workspace with REPS sales reps and the generated customers, ANALYZEd as autovacuum would."""
    from guanxi.db.engine import dispose_engine
    from guanxi.db.tenancy import TenantScope, platform_session
    from guanxi.domain.customers.generator import generate
    from guanxi.domain.identity.service import SignupInput, signup
    from guanxi.domain.tenancy.repository import add_member
    from sqlalchemy import text

    async with platform_session() as session:
        _owner, tenant, issued = await signup(
            session,
            SignupInput(
                company_name="基准客户公司",
                name="张伟",
                email=f"bench.{uuid.uuid4().hex[:10]}@example.com",
                password="correct horse battery staple",  # noqa: S106
                locale="zh-Hans",
            ),
            client_ip="bench",
            user_agent="bench",
        )
        scope = TenantScope(tenant_id=tenant.id, schema=tenant.schema_name)
        reps = [uuid.uuid4() for _ in range(REPS)]
        for index, rep in enumerate(reps):
            await session.execute(
                text(
                    "INSERT INTO platform.users (id, email, name, locale, password_hash) "
                    "VALUES (:id, :email, :name, 'zh-Hans', 'x')"
                ),
                {"id": rep, "email": f"rep{index}.{rep.hex[:6]}@example.com", "name": f"销售{index}"},
            )
            await add_member(session, scope, rep, role="sales_rep")
        await session.commit()
        schema, token = tenant.schema_name, issued.token
    connection = await asyncpg.connect(plain(os.environ["DATABASE_URL"]))
    started = time.perf_counter()
    try:
        made = await generate(
            connection,
            schema,
            reps,
            accounts=accounts,
            progress=lambda a, c: print(f"  generated {a:,} accounts, {c:,} contacts", end="\r", flush=True),
        )
        generated = time.perf_counter() - started
        await connection.execute(f'VACUUM ANALYZE "{schema}".accounts, "{schema}".contacts')
        sample = await connection.fetch(f'SELECT id FROM "{schema}".accounts TABLESAMPLE SYSTEM (1) LIMIT 500')
    finally:
        await connection.close()
        await dispose_engine()  # the next asyncio.run is another event loop: its pool must be new
    print()
    return {
        "token": token,
        "schema": schema,
        "reps": reps,
        "accounts": made[0],
        "contacts": made[1],
        "generated_s": generated,
        "sample": [row["id"] for row in sample],
    }


def timed(client: httpx.Client, calls: list[tuple[str, dict[str, Any]]], headers: dict[str, str]) -> float:
    started = time.perf_counter()
    for path, params in calls:
        response = client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
    return (time.perf_counter() - started) * 1000


def scenarios(data: dict[str, Any], rng: random.Random) -> dict[str, list[list[tuple[str, dict[str, Any]]]]]:
    tags = ["重点客户", "VIP", "老客户", "新客户", "华东", "key account"]
    lists = [
        [("/api/v1/accounts", {"owner_id": str(rng.choice(data["reps"])), "tag": rng.choice(tags), "limit": 50})]
        for _ in range(REQUESTS)
    ]
    searches = [[("/api/v1/search", {"q": SEARCHES[i % len(SEARCHES)]})] for i in range(REQUESTS)]
    pages = []
    for _ in range(REQUESTS):
        account = rng.choice(data["sample"])
        pages.append(
            [
                (f"/api/v1/accounts/{account}", {}),
                (f"/api/v1/accounts/{account}/contacts", {}),
                (f"/api/v1/accounts/{account}/timeline", {}),
            ]
        )
    return {"list": lists, "search": searches, "page": pages}


async def bare_sql(
    data: dict[str, Any], calls: dict[str, list[list[tuple[str, dict[str, Any]]]]]
) -> dict[str, list[float]]:
    """Each scenario's SQL as the API sends it (captured in-process), replayed alone over asyncpg."""
    from guanxi.db.engine import get_engine
    from guanxi_api.app import create_app
    from sqlalchemy import event

    captured: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        captured.append((statement, parameters))

    transport = httpx.ASGITransport(app=create_app())
    headers = {"Authorization": f"Bearer {data['token']}"}
    timings: dict[str, list[float]] = {}
    connection = await asyncpg.connect(plain(os.environ["DATABASE_URL"]), server_settings=SAME_AS_API)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name, scenario in calls.items():
                timings[name] = []
                for page in scenario[:100]:
                    captured.clear()
                    event.listen(get_engine().sync_engine, "before_cursor_execute", record)
                    try:
                        for path, params in page:
                            response = await client.get(path, params=params, headers=headers)
                            assert response.status_code == 200, response.text
                    finally:
                        event.remove(get_engine().sync_engine, "before_cursor_execute", record)
                    # The domain's statements only: not the session lookup, access facts or bookkeeping.
                    domain = [(s, p) for s, p in captured if data["schema"] in s and "members" not in s[:300]]
                    started = time.perf_counter()
                    for statement, parameters in domain:
                        await connection.fetch(statement, *(parameters or ()))
                    timings[name].append((time.perf_counter() - started) * 1000)
    finally:
        await connection.close()
    return timings


async def reuse() -> dict[str, Any]:
    """The workspace a previous run generated (``--reuse-data``): minutes saved when only code changed."""
    from guanxi.db.engine import dispose_engine
    from guanxi.db.tenancy import platform_session
    from guanxi.domain.identity.service import login
    from guanxi.redis import close_redis
    from sqlalchemy import text

    async with platform_session() as session:
        found = (
            await session.execute(
                text(
                    "SELECT t.schema_name, u.email FROM platform.tenants t "
                    "JOIN platform.memberships m ON m.tenant_id = t.id AND m.role = 'owner' "
                    "JOIN platform.users u ON u.id = m.user_id "
                    "WHERE t.name = '基准客户公司' ORDER BY t.created_at DESC LIMIT 1"
                )
            )
        ).one()
        _user, issued = await login(
            session, found.email, "correct horse battery staple", client_ip="bench", user_agent="bench"
        )
        await session.commit()
    await dispose_engine()
    await close_redis()  # the client belongs to this event loop; the next benchmark runs on another
    connection = await asyncpg.connect(plain(os.environ["DATABASE_URL"]))
    try:
        schema = found.schema_name
        reps = [row["id"] for row in await connection.fetch(f'SELECT member_id AS id FROM "{schema}".member_roles '
                                                              "WHERE role_key = 'sales_rep'")]  # fmt: skip
        accounts = await connection.fetchval(f'SELECT count(*) FROM "{schema}".accounts')
        contacts = await connection.fetchval(f'SELECT count(*) FROM "{schema}".contacts')
        sample = await connection.fetch(f'SELECT id FROM "{schema}".accounts TABLESAMPLE SYSTEM (1) LIMIT 500')
    finally:
        await connection.close()
    return {
        "token": issued.token,
        "schema": schema,
        "reps": reps,
        "accounts": accounts,
        "contacts": contacts,
        "generated_s": None,
        "sample": [row["id"] for row in sample],
    }


async def with_activities(data: dict[str, Any], per_account: int) -> dict[str, Any]:
    """Activities for every account, unless the workspace has them already (a reused one)."""
    from guanxi.domain.customers.generator import generate_activities

    connection = await asyncpg.connect(plain(os.environ["DATABASE_URL"]))
    try:
        schema = data["schema"]
        existing = await connection.fetchval(f'SELECT count(*) FROM "{schema}".activities')
        started = time.perf_counter()
        if not existing and per_account:
            existing = await generate_activities(
                connection,
                schema,
                per_account=per_account,
                progress=lambda n: print(f"  generated {n:,} activities", end="\r", flush=True),
            )
            await connection.execute(f'VACUUM ANALYZE "{schema}".activities')
            data["activities_s"] = time.perf_counter() - started
    finally:
        await connection.close()
    return {**data, "activities": existing}


def run(accounts: int, *, reuse_data: bool = False, activities_per_account: int = 10) -> str:
    print(f"customers: {'reusing the generated workspace' if reuse_data else f'generating {accounts:,} accounts'}")
    data = asyncio.run(reuse() if reuse_data else seed(accounts))
    data = asyncio.run(with_activities(data, activities_per_account))
    rng = random.Random(7)
    calls = scenarios(data, rng)
    port = free_port()
    api = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "--port", str(port), "--no-access-log",
         "guanxi_api.app:create_app"],
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    results: dict[str, list[float]] = {}
    try:
        wait_for_port(port)
        wait_for_http(f"http://127.0.0.1:{port}/health")
        headers = {"Authorization": f"Bearer {data['token']}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for name, scenario in calls.items():
                for warm in scenario[:10]:
                    timed(client, warm, headers)
                results[name] = [timed(client, page, headers) for page in scenario]
    finally:
        api.terminate()
        api.wait(timeout=10)
    sql = asyncio.run(bare_sql(data, calls))
    generated = f": {data['generated_s']:.0f} s" if data["generated_s"] else ""
    lines = [
        f"## Customers at {data['accounts']:,} accounts, {data['contacts']:,} contacts and "
        f"{data['activities']:,} activities",
        "",
        f"Method: one workspace with {REPS} sales reps and generated customers (70 % Chinese, 30 % English names; "
        f"generator `shared/guanxi/domain/customers/generator.py`, COPY in batches{generated}), "
        f"then {REQUESTS} sequential requests per scenario against one uvicorn API process as the workspace owner "
        "(after 10 warm-up requests). *Bare SQL*: the domain statements each request sends (captured in-process), "
        "replayed alone over asyncpg, for 100 requests; the ratio is API time over bare SQL time at p99.",
        "",
        "| scenario | target p99 | API p50 | API p99 | bare SQL p50 | bare SQL p99 | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    descriptions = {
        "list": "list of 50 filtered by owner and tag, sorted by last update",
        "search": f"global search ({len(SEARCHES)} queries in turn: Chinese, pinyin, English, digits, email)",
        "page": "account page: the account, its contacts and its timeline (3 calls)",
    }
    for name, timings in results.items():
        p99, bare99 = percentile(timings, 0.99), percentile(sql[name], 0.99)
        verdict = "meets" if p99 < TARGETS[name] else "misses"
        lines.append(
            f"| {descriptions[name]} | {TARGETS[name]} ms ({verdict}) | {percentile(timings, 0.5):.1f} ms | "
            f"{p99:.1f} ms | {percentile(sql[name], 0.5):.1f} ms | {bare99:.1f} ms | {p99 / max(bare99, 0.01):.1f}× |"
        )
    lines += ["", "All timings: " + "; ".join(f"{k}: {summary_ms(v)}" for k, v in results.items())]
    return "\n".join(lines)
