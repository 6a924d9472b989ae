"""Orders, their lines, payment plans and payments on the big generated workspace (see customers.py), generated
once with set-based SQL (``generate_series``, no row goes through Python): 2,000,000 orders of three lines each
(the unit cost kept, totals and margin stored), two instalments per order that is not cancelled, and a payment per
instalment collected. Orders are spread over two years of order dates and every status; the older an order, the
more of it is collected, so receivables have every ageing bucket. Then the order list, the receivables by customer
and the "won and collected" sums the dashboard reads are asked for through a real API process."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import asyncpg

from bench.customers import plain, reuse
from bench.deals import served
from bench.stats import percentile, summary_ms

ORDERS = 2_000_000
CHUNK = 200_000
REQUESTS = 100
TARGET_MS = 200

# One order per number ``g``: three lines priced from ``g`` alone, so the totals can be summed in the same statement.
LINE = "(1 + ({g} * 7 + k) % 20)::numeric AS q, (100 + ({g} * 13 + k * 31) % 5000)::numeric AS p"
ORDERS_SQL = """
WITH acc AS (
    SELECT array_agg(id ORDER BY id) AS ids, array_agg(owner_id ORDER BY id) AS owners
    FROM (SELECT id, owner_id FROM "{s}".accounts WHERE deleted_at IS NULL LIMIT 200000) a
), made AS (
    SELECT g, acc.ids[1 + g % cardinality(acc.ids)] AS account_id, acc.owners[1 + g % cardinality(acc.ids)] AS owner_id,
           current_date - (g % 730)::int AS order_date,
           CASE WHEN g % 10 = 0 THEN 'cancelled' WHEN g % 10 < 3 THEN 'confirmed' WHEN g % 10 < 5 THEN 'shipped'
                ELSE 'delivered' END AS status,
           t.subtotal, t.tax, t.cost
    FROM generate_series($1::bigint, $2::bigint) g CROSS JOIN acc
    CROSS JOIN LATERAL (
        SELECT sum(v.q * v.p) AS subtotal, sum(round(v.q * v.p * 0.13, 2)) AS tax,
               sum(v.q * round(v.p * 0.6, 2)) AS cost
        FROM generate_series(0, 2) k CROSS JOIN LATERAL (SELECT {line}) v
    ) t
)
INSERT INTO "{s}".orders (id, number, account_id, owner_id, currency, order_date, status, subtotal, discount, tax,
                          total, cost, margin, collected, invoiced, plan_open, shipped_on, delivered_on, cancelled_at,
                          created_at, updated_at)
SELECT gen_random_uuid(), 'BENCH-SO-' || g, account_id, owner_id, 'CNY', order_date, status, subtotal, 0, tax,
       subtotal + tax, cost, subtotal - cost, c.collected, 0,
       CASE WHEN status = 'cancelled' THEN 0 ELSE subtotal + tax - c.collected END,
       CASE WHEN status IN ('shipped', 'delivered') THEN order_date + 2 END,
       CASE WHEN status = 'delivered' THEN order_date + 5 END,
       CASE WHEN status = 'cancelled' THEN order_date + 1 END, order_date, order_date
FROM made CROSS JOIN LATERAL (
    SELECT CASE WHEN status = 'cancelled' THEN 0
                WHEN current_date - order_date > 90 THEN subtotal + tax
                WHEN current_date - order_date > 30 THEN round((subtotal + tax) / 2, 2)
                ELSE 0 END AS collected
) c
"""
LINES_SQL = """
INSERT INTO "{s}".order_lines (id, order_id, position, name, unit, quantity, unit_price, discount_percent, tax_rate,
                               unit_cost, net_amount, tax_amount)
SELECT gen_random_uuid(), o.id, k, '工业网关 GW-' || k, '台', v.q, v.p, 0, 13, round(v.p * 0.6, 2), v.q * v.p,
       round(v.q * v.p * 0.13, 2)
FROM "{s}".orders o CROSS JOIN generate_series(0, 2) k
CROSS JOIN LATERAL (SELECT substr(o.number, 10)::bigint AS g) n
CROSS JOIN LATERAL (SELECT {line}) v
WHERE o.number LIKE 'BENCH-SO-%' AND substr(o.number, 10)::bigint BETWEEN $1 AND $2
"""
PLAN_SQL = """
INSERT INTO "{s}".payment_instalments (id, order_id, owner_id, account_id, currency, position, due_date, amount,
                                       collected, status, paid_on, created_at, updated_at)
SELECT gen_random_uuid(), o.id, o.owner_id, o.account_id, o.currency, i, o.order_date + 30 * i, a.amount,
       a.collected, CASE WHEN a.collected = a.amount THEN 'paid' ELSE 'pending' END,
       CASE WHEN a.collected = a.amount THEN o.order_date + 30 * i - 3 END, o.created_at, o.created_at
FROM "{s}".orders o CROSS JOIN generate_series(1, 2) i
CROSS JOIN LATERAL (
    SELECT CASE WHEN i = 1 THEN round(o.total / 2, 2) ELSE o.total - round(o.total / 2, 2) END AS amount
) s
CROSS JOIN LATERAL (
    SELECT s.amount, CASE WHEN o.collected >= o.total OR (i = 1 AND o.collected > 0) THEN s.amount ELSE 0 END
           AS collected
) a
WHERE o.number LIKE 'BENCH-SO-%' AND substr(o.number, 10)::bigint BETWEEN $1 AND $2 AND o.status <> 'cancelled'
"""
PAYMENTS_SQL = """
INSERT INTO "{s}".payments (id, number, order_id, instalment_id, owner_id, account_id, currency, paid_on, amount,
                            method, created_at, updated_at)
SELECT gen_random_uuid(), 'BENCH-HK-' || i.id, i.order_id, i.id, i.owner_id, i.account_id, i.currency,
       i.due_date - 3, i.collected, (ARRAY['bank_transfer', 'alipay', 'wechat_pay', 'cash'])[1 + i.position % 4],
       i.created_at, i.created_at
FROM "{s}".payment_instalments i JOIN "{s}".orders o ON o.id = i.order_id
WHERE i.collected > 0 AND o.number LIKE 'BENCH-SO-%' AND substr(o.number, 10)::bigint BETWEEN $1 AND $2
"""


async def seed_orders(connection: asyncpg.Connection, schema: str, count: int = ORDERS) -> dict[str, int]:
    """Add orders (numbered ``BENCH-SO-<n>``) until the workspace has ``count`` of them, in chunks, each chunk's
    lines, plan and payments with it; then analyse. Safe to rerun: it continues where it stopped."""
    made = await connection.fetchval(f"SELECT count(*) FROM \"{schema}\".orders WHERE number LIKE 'BENCH-SO-%'")
    for start in range(made + 1, count + 1, CHUNK):
        end = min(start + CHUNK - 1, count)
        async with connection.transaction():
            for sql in (ORDERS_SQL, LINES_SQL, PLAN_SQL, PAYMENTS_SQL):
                await connection.execute(sql.format(s=schema, line=LINE.format(g="g")), start, end)
        print(f"  orders {end:,} of {count:,}", flush=True)
    for table in ("orders", "order_lines", "payment_instalments", "payments"):
        await connection.execute(f'VACUUM ANALYZE "{schema}".{table}')
    return {
        table: await connection.fetchval(f'SELECT count(*) FROM "{schema}".{table}')
        for table in ("orders", "order_lines", "payment_instalments", "payments")
    }


async def _seed(schema: str) -> dict[str, Any]:
    connection = await asyncpg.connect(plain(os.environ["DATABASE_URL"]))
    try:
        return await seed_orders(connection, schema)
    finally:
        await connection.close()


def run() -> str:
    print(f"orders: {ORDERS:,} orders with lines, plans and payments")
    data = asyncio.run(reuse())
    counts = asyncio.run(_seed(data["schema"]))
    results = served(data, ["/api/v1/orders", "/api/v1/orders?status=shipped", "/api/v1/receivables"], REQUESTS, 1)
    rows = [
        f"| `{name}` | {TARGET_MS} ms | {percentile(r, 0.5):.1f} ms | {percentile(r, 0.99):.1f} ms |"
        for name, r in results.items()
    ]
    return "\n".join(
        [
            f"## Orders: {counts['orders']:,} orders, {counts['order_lines']:,} lines, {counts['payments']:,} payments",
            "",
            "Method: generated once on the customers benchmark's workspace with set-based SQL (bench/orders.py), "
            f"then each request {REQUESTS} times as the workspace owner against one uvicorn process.",
            "",
            "| request | target p99 | p50 | p99 |",
            "|---|---|---|---|",
            *rows,
            "",
            *(f"{name}: {summary_ms(r)}" for name, r in results.items()),
        ]
    )
