"""The churn scan on a generated workspace: customers from the customers benchmark's generator, then orders for
them with set-based SQL (``generate_series``; every customer orders at its own rhythm, some stopped ordering or
order less, some owe overdue instalments). The scan (``churn.scan``, the worker's code path) runs twice in a child
process whose peak resident memory is read from the kernel: the first writes every score, the second is a night
where little changed. Beside it, a bare SQL aggregate over the same orders (last order, count and sum per customer)
gives the ratio of the scan to the least any per-customer figure costs."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from typing import Any

import asyncpg

from bench.customers import plain, reuse, seed

ORDERS_PER_ACCOUNT = 2
CHUNK = 200_000

ORDERS_SQL = """
WITH acc AS (
    SELECT array_agg(id ORDER BY id) AS ids, array_agg(owner_id ORDER BY id) AS owners
    FROM "{s}".accounts WHERE deleted_at IS NULL AND owner_id IS NOT NULL
), made AS (
    SELECT g, acc.ids[1 + g % cardinality(acc.ids)] AS account_id, acc.owners[1 + g % cardinality(acc.ids)] AS owner_id,
           -- each customer's rhythm: every 20..110 days; one in four stopped 200 days ago
           current_date - ((g / cardinality(acc.ids)) * (20 + (g % cardinality(acc.ids)) % 91)
                           + CASE WHEN g % 4 = 0 THEN 200 ELSE 0 END)::int AS order_date,
           (100 + (g * 13) % 5000)::numeric AS total
    FROM generate_series($1::bigint, $2::bigint) g CROSS JOIN acc
)
INSERT INTO "{s}".orders (id, number, account_id, owner_id, currency, order_date, status, subtotal, discount, tax,
                          total, cost, margin, collected, invoiced, plan_open, created_at, updated_at)
SELECT gen_random_uuid(), 'BENCH-CHURN-' || g, account_id, owner_id, 'CNY', order_date,
       CASE WHEN g % 20 = 0 THEN 'cancelled' ELSE 'delivered' END, total, 0, 0, total, total * 0.6, total * 0.4,
       total, 0, 0, order_date, order_date
FROM made
"""
INSTALMENTS_SQL = """
INSERT INTO "{s}".payment_instalments (id, order_id, account_id, owner_id, currency, position, due_date, amount,
                                       collected, status, created_at, updated_at)
SELECT gen_random_uuid(), o.id, o.account_id, o.owner_id, 'CNY', 1, o.order_date + 30, o.total, 0, 'pending',
       now(), now()
FROM "{s}".orders o WHERE o.number LIKE 'BENCH-CHURN-%' AND right(o.number, 2) = '07'
"""
BARE_SQL = """
SELECT count(*), sum(n) FROM (
  SELECT account_id, max(order_date), count(*) AS n, sum(total)
  FROM "{s}".orders WHERE deleted_at IS NULL AND status <> 'cancelled' GROUP BY account_id
) t
"""
CHILD = """
import asyncio, json, resource, time, uuid
from guanxi.db.tenancy import platform_session
import datetime as dt
from guanxi.db.tenancy import tenant_session
from guanxi.domain.churn import service
from guanxi.domain.churn.tasks import run_scan
from guanxi.domain.numbering.service import workspace_today
from guanxi.domain.tenancy.service import scope_for_job
from guanxi.jobs import JobContext

async def main():
    async with platform_session() as session:
        scope = await scope_for_job(session, uuid.UUID({tenant!r}))
    started = time.perf_counter()
    if {days}:  # a later night: what the worker's run_scan does, with the workspace's day moved on
        async with tenant_session(scope) as session:
            today = await workspace_today(session, scope) + dt.timedelta(days={days})
            crossed = await service.scan(session, scope, today=today)
            await session.commit()
    else:
        crossed = await run_scan(JobContext(uuid.uuid4(), scope))
    print(json.dumps({{"seconds": time.perf_counter() - started, "crossed": crossed,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))

asyncio.run(main())
"""


async def _orders(schema: str, count: int, generate: bool = True) -> dict[str, Any]:
    connection = await asyncpg.connect(plain(os.environ["DATABASE_URL"]))
    try:
        started = time.perf_counter()
        if generate:
            for first in range(0, count, CHUNK):
                await connection.execute(ORDERS_SQL.format(s=schema), first, min(first + CHUNK, count) - 1)
            await connection.execute(INSTALMENTS_SQL.format(s=schema))
        await connection.execute(f'VACUUM ANALYZE "{schema}".orders, "{schema}".payment_instalments')
        tenant = await connection.fetchval("SELECT id FROM platform.tenants WHERE schema_name = $1", schema)
        figures = await connection.fetchrow(
            f'SELECT (SELECT count(*) FROM "{schema}".accounts) AS accounts, '
            f'(SELECT count(*) FROM "{schema}".orders) AS orders, '
            f'(SELECT count(*) FROM "{schema}".payment_instalments) AS instalments'
        )
        generated = time.perf_counter() - started
        bare = []
        for _ in range(3):
            started = time.perf_counter()
            await connection.fetchrow(BARE_SQL.format(s=schema))
            bare.append(time.perf_counter() - started)
    finally:
        await connection.close()
    return {"tenant": str(tenant), "generated_s": generated, "bare_s": min(bare), **dict(figures)}


def _scan(tenant: str, days: int = 0) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD.format(tenant=tenant, days=days)], check=True, capture_output=True, text=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run(accounts: int = 1_000_000, reuse_data: bool = False) -> str:
    """``reuse_data``: the customers benchmark's workspace (1,000,000 customers) with the orders benchmark's
    2,000,000 orders, instead of generating a workspace with orders of its own."""
    if reuse_data:
        data = asyncio.run(reuse())
        made = asyncio.run(_orders(data["schema"], 0, generate=False))
    else:
        data = asyncio.run(seed(accounts))
        made = asyncio.run(_orders(data["schema"], accounts * ORDERS_PER_ACCOUNT))
    first, second = _scan(made["tenant"]), _scan(made["tenant"])
    night = _scan(made["tenant"], days=1)
    ratio = second["seconds"] / made["bare_s"]
    return "\n".join([
        "## Churn scan",
        "",
        f"- Data: {made['accounts']:,} customers, {made['orders']:,} orders, {made['instalments']:,} instalments "
        f"(orders generated in {made['generated_s']:.0f} s).",
        f"- First scan ({'' if reuse_data else 'every score written, '}{first['crossed']:,} customers crossed the "
        "threshold and were alerted): "
        f"{first['seconds']:.1f} s, worker peak RSS {first['peak_rss_mib']:.0f} MiB.",
        f"- Second scan (a night where little changed, {second['crossed']:,} crossings): {second['seconds']:.1f} s, "
        f"worker peak RSS {second['peak_rss_mib']:.0f} MiB.",
        f"- The next night (the workspace's day moved on by one, {night['crossed']:,} crossings): "
        f"{night['seconds']:.1f} s, worker peak RSS {night['peak_rss_mib']:.0f} MiB.",
        f"- Bare SQL aggregate over the same orders (last order, count, sum per customer): {made['bare_s']:.2f} s; "
        f"the second scan takes {ratio:.1f}x that.",
        "",
        "Method: bench/churn.py; the scan runs the worker's code path (`guanxi.domain.churn.tasks.run_scan`) in a "
        "child process, peak RSS from getrusage.",
    ])  # fmt: skip
