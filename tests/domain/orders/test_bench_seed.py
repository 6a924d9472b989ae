"""The benchmark's order generator, run small: the orders it makes hold together the way the API keeps them (totals
are the sums of their lines, collected the sum of their payments, plans within the total), and the API reads them."""

from __future__ import annotations

import os
from typing import Any

import asyncpg

from bench.orders import seed_orders
from tests.api.test_customers import add_account
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for

CHECKS = {
    "totals are the sums of the lines": """
        SELECT count(*) FROM "{s}".orders o JOIN LATERAL (
            SELECT sum(net_amount) AS net, sum(tax_amount) AS tax, sum(quantity * unit_cost) AS cost
            FROM "{s}".order_lines WHERE order_id = o.id) l ON true
        WHERE o.subtotal <> l.net OR o.tax <> l.tax OR o.total <> l.net + l.tax OR o.cost <> l.cost""",
    "collected is the sum of the payments": """
        SELECT count(*) FROM "{s}".orders o
        WHERE o.collected <> (SELECT coalesce(sum(amount), 0) FROM "{s}".payments WHERE order_id = o.id)""",
    "the plan adds up to the total": """
        SELECT count(*) FROM "{s}".orders o
        WHERE o.status <> 'cancelled' AND o.total <> (SELECT sum(amount) FROM "{s}".payment_instalments
                                                     WHERE order_id = o.id)""",
    "plan_open is what the instalments wait for": """
        SELECT count(*) FROM "{s}".orders o
        WHERE o.plan_open <> (SELECT coalesce(sum(amount - collected), 0) FROM "{s}".payment_instalments
                              WHERE order_id = o.id AND status IN ('pending', 'partly_paid'))""",
}


async def test_the_generated_orders_hold_together_and_the_api_reads_them(client: Any) -> None:
    owner = await signed_up(client)
    for n in range(5):
        await add_account(client, owner, name=f"Customer {n}")
    job = await job_for(owner["workspace"]["id"])
    connection = await asyncpg.connect(os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://"))
    try:
        counts = await seed_orders(connection, job.scope.schema, int(os.environ.get("BENCH_ORDERS", "2000")))
        assert counts["order_lines"] == 3 * counts["orders"] and counts["payments"] > 0
        for what, sql in CHECKS.items():
            assert await connection.fetchval(sql.format(s=job.scope.schema)) == 0, what
        again = await seed_orders(connection, job.scope.schema, counts["orders"])
        assert again == counts  # a rerun adds nothing
    finally:
        await connection.close()
    listed = await client.get("/api/v1/orders", params={"status": "delivered"}, headers=bearer(owner))
    assert listed.status_code == 200 and len(listed.json()["items"]) == 50
    ageing = (await client.get("/api/v1/receivables", headers=bearer(owner))).json()
    buckets = ageing["totals"][0]
    assert all(buckets[name] != "0.00" for name in ("not_due", "days_1_30", "days_31_60")), buckets
