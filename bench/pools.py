"""The nightly pool reclaim on the big generated workspace (see customers.py): rules set so that about one
customer in ten is due, the whole run timed (scan, row locks, updates, pool events, timeline entries), the
bare scan timed on its own; then every change is undone so the workspace stays as generated."""

from __future__ import annotations

import asyncio
import math
import os
import time
import uuid
from typing import Any

import asyncpg

from bench.customers import plain, reuse

SHARE_DUE = 0.10
TARGET_S = 30


async def measure(data: dict[str, Any]) -> dict[str, Any]:
    from guanxi.db.engine import dispose_engine
    from guanxi.db.tenancy import TenantScope, tenant_session
    from guanxi.domain.pools import service

    schema = data["schema"]
    connection = await asyncpg.connect(plain(os.environ["DATABASE_URL"]))
    try:
        tenant_id = await connection.fetchval("SELECT id FROM platform.tenants WHERE schema_name = $1", schema)
        # Days such that SHARE_DUE of the customers that may recycle (owned, not won) have been left alone longer.
        idle_days = await connection.fetchval(
            f"SELECT percentile_disc($1) WITHIN GROUP (ORDER BY extract(epoch FROM now() - "
            f'greatest(coalesce(claimed_at, created_at), last_activity_at)) / 86400) FROM "{schema}".accounts '
            "WHERE owner_id IS NOT NULL AND deleted_at IS NULL AND lifecycle_stage <> 'customer'",
            1 - SHARE_DUE,
        )
    finally:
        await connection.close()
    scope = TenantScope(tenant_id=tenant_id, schema=schema)
    days = max(1, math.floor(idle_days))
    async with tenant_session(scope) as session:
        default_id = await service.default_pool_id(session, scope)
        await session.commit()
    connection = await asyncpg.connect(plain(os.environ["DATABASE_URL"]))
    try:
        await connection.execute(f'DELETE FROM "{schema}".pool_rules')
        await connection.execute(
            f'INSERT INTO "{schema}".pool_rules (id, pool_id, kind, days, position) VALUES '
            "($1, $3, 'no_follow_up', $4::jsonb, 0), ($2, $3, 'not_won', '{\"*\": 3650}'::jsonb, 1)",
            uuid.uuid4(), uuid.uuid4(), default_id, f'{{"A": {days * 2}, "*": {days}}}',
        )  # fmt: skip
        owned = await connection.fetchval(f'SELECT count(*) FROM "{schema}".accounts WHERE owner_id IS NOT NULL')
        since = await connection.fetchval("SELECT now()")
    finally:
        await connection.close()
    async with tenant_session(scope) as session:
        pool_and_rules = await service.pool_rules(session, scope)
        pool, rules = next((p, r) for p, r in pool_and_rules if p.id == default_id)
        scan = service.due_query(pool, rules, default_id)
        started = time.perf_counter()
        due = len((await session.execute(scan)).all())
        scan_s = time.perf_counter() - started
        await session.rollback()
    async with tenant_session(scope) as session:
        started = time.perf_counter()
        returned = await service.reclaim(session, scope)
        reclaim_s = time.perf_counter() - started
    await dispose_engine()
    connection = await asyncpg.connect(plain(os.environ["DATABASE_URL"]))
    try:  # undo: the workspace stays as generated for the next run
        await connection.execute(
            f'UPDATE "{schema}".accounts SET owner_id = previous_owner_id, previous_owner_id = NULL, '
            "returned_at = NULL, return_reason = NULL, claimed_at = NULL WHERE returned_at >= $1",
            since,
        )
        await connection.execute(
            f'UPDATE "{schema}".contacts c SET owner_id = a.owner_id FROM "{schema}".accounts a '
            "WHERE c.account_id = a.id AND c.owner_id IS NULL AND a.owner_id IS NOT NULL"
        )
        await connection.execute(f'DELETE FROM "{schema}".pool_events WHERE occurred_at >= $1', since)
        await connection.execute(
            f"DELETE FROM \"{schema}\".record_changes WHERE action = 'pool_reclaimed' AND occurred_at >= $1", since
        )
        await connection.execute(f'DELETE FROM "{schema}".pool_rules')
        await connection.execute(f'VACUUM ANALYZE "{schema}".accounts, "{schema}".contacts')
    finally:
        await connection.close()
    return {"owned": owned, "days": days, "due": due, "returned": returned, "scan_s": scan_s, "reclaim_s": reclaim_s}


def run() -> str:
    print("pools: the nightly reclaim on the generated workspace")
    data = asyncio.run(reuse())
    figures = asyncio.run(measure(data))
    verdict = "meets" if figures["reclaim_s"] < TARGET_S else "misses"
    per_row = figures["reclaim_s"] / max(figures["returned"], 1) * 1e6
    return "\n".join(
        [
            f"## Customer pool: the nightly reclaim over {figures['owned']:,} owned accounts",
            "",
            "Method: the default pool of the generated workspace gets two rules, *no follow-up for "
            f"{figures['days']} days* (twice that for grade A; the days chosen so that about "
            f"{SHARE_DUE:.0%} of the customers that may recycle are due; won ones do not recycle) and *not won for "
            "3,650 days*; then `pools.reclaim` runs as the "
            "worker runs it (one scan, then batches of 5,000: row locks, the accounts and their contacts updated, "
            "a pool event and a timeline entry per account, a commit per batch). *Bare SQL*: the scan alone. "
            "Every change is undone afterwards.",
            "",
            "| what | target | result |",
            "|---|---|---|",
            f"| whole run: {figures['returned']:,} of {figures['owned']:,} accounts returned | {TARGET_S} s "
            f"({verdict}) | {figures['reclaim_s']:.1f} s ({per_row:.0f} µs per returned account) |",
            f"| bare scan: {figures['due']:,} due found | | {figures['scan_s']:.2f} s "
            f"(ratio {figures['reclaim_s'] / max(figures['scan_s'], 0.001):.1f}×) |",
        ]
    )
