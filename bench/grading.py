"""Customer grading on a workspace of its own: ``accounts`` customers (bench/customers.py's generator) and twice as
many orders with three lines each, their payment plans and payments (bench/orders.py's set-based generation). Then
one full grading run (scores, grades, history, in one transaction) timed, beside a bare SQL aggregate over the same
rows (order sums per customer and instalment lateness per customer, no window functions, no writes), and the peak
RSS of this process, which runs the job exactly as the worker's actor does."""

from __future__ import annotations

import asyncio
import os
import resource
import time
from typing import Any

import asyncpg

from bench.customers import plain, reuse, seed
from bench.orders import ORDERS, seed_orders

TARGET_S = 10
BARE_SQL = """
SELECT count(*), sum(o.amount), sum(c.late) FROM "{s}".accounts a
LEFT JOIN (SELECT account_id, sum(total) AS amount, sum(margin) AS margin FROM "{s}".orders
           WHERE deleted_at IS NULL AND status <> 'cancelled' AND order_date > current_date - interval '12 months'
           GROUP BY account_id) o ON o.account_id = a.id
LEFT JOIN (SELECT i.account_id, count(*) FILTER (WHERE i.status <> 'paid' AND i.due_date < current_date) AS late
           FROM "{s}".payment_instalments i
           WHERE i.status <> 'void' AND i.due_date > current_date - interval '12 months' AND i.due_date <= current_date
           GROUP BY i.account_id) c ON c.account_id = a.id
WHERE a.deleted_at IS NULL
"""


async def measure(accounts: int, reuse_data: bool) -> dict[str, Any]:
    from guanxi.db.engine import dispose_engine
    from guanxi.db.tenancy import TenantScope, tenant_session
    from guanxi.domain.grading import service

    data = await (reuse() if reuse_data else seed(accounts))
    schema = data["schema"]
    connection = await asyncpg.connect(plain(os.environ["DATABASE_URL"]))
    try:  # a reused workspace is the customers benchmark's: its 2,000,000 orders come from the orders benchmark
        counts = await seed_orders(connection, schema, count=ORDERS if reuse_data else accounts * 2)
        tenant_id = await connection.fetchval("SELECT id FROM platform.tenants WHERE schema_name = $1", schema)
        started = time.perf_counter()
        await connection.fetch(BARE_SQL.format(s=schema))
        bare = time.perf_counter() - started
    finally:
        await connection.close()
    scope = TenantScope(tenant_id=tenant_id, schema=schema)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    runs = []
    for _ in range(2):  # the first sets every grade (all history rows); the second changes none
        started = time.perf_counter()
        async with tenant_session(scope) as session:
            run = await service.run_grading(session, scope, None, "nightly")
            await session.commit()
        runs.append((time.perf_counter() - started, run.scored, run.changed))
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    await dispose_engine()
    return {"accounts": data["accounts"], **counts, "bare_s": bare, "runs": runs, "rss_before": rss_before,
            "rss_after": rss_after}  # fmt: skip


def run(accounts: int, reuse_data: bool = False) -> str:
    """``reuse_data``: the customers benchmark's workspace (1,000,000 customers) and the orders benchmark's orders,
    graded as they are (the first run then changes only what changed since the last one)."""
    print(f"grading: {'the reused workspace' if reuse_data else f'{accounts:,} customers'}")
    m = asyncio.run(measure(accounts, reuse_data))
    (first, scored, changed), (second, _, changed_again) = m["runs"]
    return "\n".join(
        [
            f"## Grading: {m['accounts']:,} customers, {m['orders']:,} orders, {m['order_lines']:,} lines, "
            f"{m['payment_instalments']:,} instalments, {m['payments']:,} payments",
            "",
            "Method: generated with set-based SQL (bench/grading.py), then `service.run_grading` in one transaction "
            "as the `grading.run` actor does, twice; the bare aggregate is the order sums and instalment lateness "
            "per customer over the same rows without ranking or writes.",
            "",
            "| measure | target | figure |",
            "|---|---|---|",
            f"| first run (scored {scored:,}, grades set {changed:,}) | {TARGET_S} s | {first:.2f} s |",
            f"| second run (grades changed {changed_again:,}) | {TARGET_S} s | {second:.2f} s |",
            f"| bare SQL aggregate | - | {m['bare_s']:.2f} s |",
            f"| run / bare aggregate | - | {first / m['bare_s']:.1f}x / {second / m['bare_s']:.1f}x |",
            f"| peak RSS of the process running the job | - | {m['rss_after']:.0f} MiB "
            f"(before the runs {m['rss_before']:.0f} MiB) |",
        ]
    )
