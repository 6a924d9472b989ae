"""The monthly sales report on a generated workspace: ORDERS orders of 2-3 lines (5 lines per 2 orders) over two
years, for the customers the customers benchmark's generator makes, generated with set-based SQL. The report is
built in this process exactly as the worker builds a scheduled delivery (access of the owner, the registry's
``sales`` report, the XLSX file), beside the bare SQL aggregate over the same rows; the figure is the ratio, and
the process's peak resident memory."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

import asyncpg

from bench.customers import plain, seed

ORDERS_SQL = """
WITH acc AS (
    SELECT array_agg(id ORDER BY id) AS ids, array_agg(owner_id ORDER BY id) AS owners
    FROM (SELECT id, owner_id FROM "{s}".accounts WHERE deleted_at IS NULL) a
)
INSERT INTO "{s}".orders (id, number, account_id, owner_id, currency, order_date, status, subtotal, discount, tax,
                          total, cost, margin, collected, invoiced, plan_open, created_at, updated_at)
SELECT gen_random_uuid(), 'BENCH-R-' || g, acc.ids[1 + g % cardinality(acc.ids)],
       acc.owners[1 + g % cardinality(acc.ids)], 'CNY', current_date - (g % 730)::int,
       CASE WHEN g % 10 = 0 THEN 'cancelled' ELSE 'delivered' END,
       1000 + g % 5000, 0, round((1000 + g % 5000) * 0.13, 2), round((1000 + g % 5000) * 1.13, 2),
       round((1000 + g % 5000) * 0.6, 2), round((1000 + g % 5000) * 0.4, 2), 0, 0, 0, now(), now()
FROM generate_series($1::bigint, $2::bigint) g CROSS JOIN acc
"""
LINES_SQL = """
INSERT INTO "{s}".order_lines (id, order_id, position, name, unit, quantity, unit_price, discount_percent, tax_rate,
                               unit_cost, net_amount, tax_amount)
SELECT gen_random_uuid(), o.id, k, '产品 ' || (abs(hashtext(o.number)) + k) % 200, '件', 1 + k, 100, 0, 13, 60,
       100 * (1 + k), 13 * (1 + k)
FROM "{s}".orders o CROSS JOIN LATERAL generate_series(1, CASE WHEN right(o.number, 1) IN ('0','2','4','6','8')
                                                            THEN 3 ELSE 2 END) k
WHERE o.number LIKE 'BENCH-R-%' AND o.id > $1 AND o.id <= $2
"""
BARE_SQL = """
SELECT date_trunc('month', order_date)::date, currency, count(*), sum(total), sum(cost), sum(margin)
FROM "{s}".orders WHERE deleted_at IS NULL AND status <> 'cancelled' AND order_date BETWEEN $1 AND $2
GROUP BY 1, 2 ORDER BY 1, 2
"""
CHUNK = 100_000
RUNS = 5


async def _generate(schema: str, orders: int) -> dict[str, int]:
    connection = await asyncpg.connect(plain(os.environ["DATABASE_URL"]))
    try:
        for start in range(1, orders + 1, CHUNK):
            await connection.execute(ORDERS_SQL.format(s=schema), start, min(start + CHUNK - 1, orders))
            print(f"  {min(start + CHUNK - 1, orders):,} orders", end="\r", flush=True)
        bounds = [r[0] for r in await connection.fetch(
            f'SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) n FROM "{schema}".orders) x '
            f"WHERE n % {CHUNK} = 0 ORDER BY id")]  # fmt: skip
        edges = [uuid.UUID(int=0), *bounds, uuid.UUID(int=2**128 - 1)]
        for low, high in itertools.pairwise(edges):
            await connection.execute(LINES_SQL.format(s=schema), low, high)
        await connection.execute(f'VACUUM ANALYZE "{schema}".orders, "{schema}".order_lines')
        counts = {t: await connection.fetchval(f'SELECT count(*) FROM "{schema}".{t}') for t in
                  ("accounts", "orders", "order_lines")}  # fmt: skip
    finally:
        await connection.close()
    print()
    return counts


async def _measure(schema: str, tenant_id: uuid.UUID) -> dict[str, Any]:
    from guanxi.db.engine import dispose_engine
    from guanxi.db.tenancy import TenantScope, tenant_session
    from guanxi.domain.access.service import load_access
    from guanxi.domain.reports import service

    today = dt.date.today()
    start = today.replace(day=1) - dt.timedelta(days=730)
    params = {"by": "period", "grain": "month", "from": start.isoformat(), "to": today.isoformat()}
    connection = await asyncpg.connect(plain(os.environ["DATABASE_URL"]))
    owner = await connection.fetchval(f"SELECT member_id FROM \"{schema}\".member_roles WHERE role_key = 'owner'")
    bare: list[float] = []
    for _ in range(RUNS):
        began = time.perf_counter()
        await connection.fetch(BARE_SQL.format(s=schema), start, today)
        bare.append(time.perf_counter() - began)
    await connection.close()
    scope = TenantScope(tenant_id=tenant_id, schema=schema, user_id=owner)
    built: list[float] = []
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the imports' high-water mark
    for _ in range(RUNS):
        began = time.perf_counter()
        async with tenant_session(scope) as session:
            access = await load_access(session, scope)
            answer = await service.run_predefined(session, access, "sales", params)
            service.export(answer, "xlsx")
            await session.rollback()
        built.append(time.perf_counter() - began)
    products: list[float] = []
    for _ in range(RUNS):
        began = time.perf_counter()
        async with tenant_session(scope) as session:
            access = await load_access(session, scope)
            await service.run_predefined(session, access, "sales", {**params, "by": "product"})
            await session.rollback()
        products.append(time.perf_counter() - began)
    await dispose_engine()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"bare": statistics.median(bare), "built": statistics.median(built),
            "products": statistics.median(products), "rows": len(answer["rows"]),
            "rss_before": rss_before, "rss_peak": peak}  # fmt: skip


def run(orders: int, accounts: int) -> str:
    print(f"reports: {accounts:,} customers, {orders:,} orders")
    data = asyncio.run(seed(accounts))
    counts = asyncio.run(_generate(data["schema"], orders))
    tenant = asyncio.run(_tenant(data["schema"]))
    # A fresh process, like a worker: its peak memory is the report's, not the generator's.
    measured = subprocess.run(
        [sys.executable, "-c", f"import asyncio, json, uuid; from bench.reports import _measure; "
         f"print(json.dumps(asyncio.run(_measure({data['schema']!r}, uuid.UUID({str(tenant)!r})))))"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    m = json.loads(measured.stdout.strip().splitlines()[-1])
    return "\n".join([
        f"## Reports: monthly sales over {counts['orders']:,} orders, {counts['order_lines']:,} lines, "
        f"{counts['accounts']:,} customers",
        "",
        "Method: orders generated with set-based SQL over two years (bench/reports.py, 10% cancelled), VACUUM "
        f"ANALYZE, then the median of {RUNS} runs each, in one process as the worker builds a delivery.",
        "",
        "| what | median |",
        "|---|---|",
        f"| bare SQL aggregate (orders by month, count, total, cost, margin) | {m['bare'] * 1000:.0f} ms |",
        f"| `sales` report by month as the owner, with its XLSX file ({m['rows']} rows) | {m['built'] * 1000:.0f} ms |",
        f"| ratio report / bare SQL | {m['built'] / m['bare']:.2f} |",
        f"| `sales` report by product (reads the lines) | {m['products'] * 1000:.0f} ms |",
        f"| peak resident memory of the process building them (after its imports: {m['rss_before']:.0f} MiB) | "
        f"{m['rss_peak']:.0f} MiB |",
    ])  # fmt: skip


async def _tenant(schema: str) -> uuid.UUID:
    connection = await asyncpg.connect(plain(os.environ["DATABASE_URL"]))
    try:
        found: uuid.UUID = await connection.fetchval("SELECT id FROM platform.tenants WHERE schema_name = $1", schema)
        return found
    finally:
        await connection.close()
