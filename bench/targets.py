"""The target dashboard on the big generated workspace with its 200,000 deals (see deals.py): a company target
and one per member for this month, then `GET /api/v1/targets` (this month, won amount) through a real API process as
the workspace owner, beside the bare SQL of the same request."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import asyncpg

from bench.customers import plain, reuse
from bench.deals import bare_sql, seed_deals, served_timings
from bench.stats import percentile, summary_ms

TARGET_MS = 100
REQUESTS = 200


async def seed_targets(schema: str) -> dict[str, Any]:
    """A company target for this month and one per active member (the dashboard then has every row filled)."""
    connection = await asyncpg.connect(plain(os.environ["DATABASE_URL"]))
    try:
        period = await connection.fetchval("SELECT to_char(now(), 'YYYY-MM')")
        members = await connection.fetch(f"SELECT id FROM \"{schema}\".members WHERE status = 'active'")
        await connection.execute(f'DELETE FROM "{schema}".sales_targets WHERE period = $1', period)
        rows = []
        for metric in ("won", "collected"):
            rows += [(uuid.uuid4(), period, metric, "company", None, 10_000_000 * max(len(members), 1))]
            rows += [(uuid.uuid4(), period, metric, "member", m["id"], 10_000_000) for m in members]
        await connection.copy_records_to_table(
            "sales_targets", schema_name=schema, records=rows,
            columns=["id", "period", "metric", "subject_type", "subject_id", "amount"],
        )  # fmt: skip
        won = await connection.fetchval(
            f"SELECT count(*) FROM \"{schema}\".deals WHERE status = 'won' AND closed_at >= date_trunc('month', now())"
        )
        orders = await connection.fetchval(f'SELECT count(*) FROM "{schema}".orders')
        payments = await connection.fetchval(
            f"SELECT count(*) FROM \"{schema}\".payments WHERE paid_on >= date_trunc('month', now())"
        )
        return {"period": period, "members": len(members), "won_this_month": won, "orders": orders,
                "payments_this_month": payments}  # fmt: skip
    finally:
        await connection.close()


def run() -> str:
    print("targets: the target dashboard over 200,000 deals and the orders")
    data = asyncio.run(reuse())
    data.update(asyncio.run(seed_deals(data["schema"])))
    data.update(asyncio.run(seed_targets(data["schema"])))
    path = "/api/v1/targets?metric=collected"
    results = served_timings(data, path, REQUESTS)
    sql = asyncio.run(
        bare_sql(
            data, path, ("deals", "payments", "orders", "sales_targets", "members", "departments", "workspace_settings")
        )
    )
    p99, bare99 = percentile(results, 0.99), percentile(sql, 0.99)
    verdict = "meets" if p99 < TARGET_MS else "misses"
    return "\n".join(
        [
            f"## Targets: the dashboard over {data['deals']:,} deals and {data['orders']:,} orders",
            "",
            f"Method: on the deals benchmark's workspace ({data['deals']:,} deals, {data['won_this_month']:,} won "
            f"this month) with the orders benchmark's orders ({data['payments_this_month']:,} payments this month), "
            f"targets on won and on collected amounts for the company and each member ({data['members']} members) "
            f"for {data['period']}; then `GET /api/v1/targets?metric=collected` (this month: won, collected and "
            f"outstanding per row) {REQUESTS} times in a row as the workspace owner against one uvicorn process, "
            "after 10 warm-up requests. *Bare SQL*: the request's statements replayed alone over asyncpg.",
            "",
            "| scenario | target p99 | API p50 | API p99 | bare SQL p50 | bare SQL p99 | ratio |",
            "|---|---|---|---|---|---|---|",
            f"| target dashboard | {TARGET_MS} ms ({verdict}) | {percentile(results, 0.5):.1f} ms | {p99:.1f} ms | "
            f"{percentile(sql, 0.5):.1f} ms | {bare99:.1f} ms | {p99 / max(bare99, 0.01):.1f}× |",
            "",
            f"All timings: {summary_ms(results)}",
        ]
    )
