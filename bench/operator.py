"""The operator's view of billing over 10,000 workspaces: tenants and their subscriptions inserted directly (every
status, plan, currency and interval; no tenant schemas, since only platform tables are read), then the summary and
the first page of the list (unfiltered, and filtered by status and by a name), each timed in-process through the
code the API runs (``guanxi.domain.billing.operator``). The rows are deleted afterwards, so that later commands do
not meet workspaces without a schema."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.stats import summary_ms

REPEAT = 30
TARGET_P95_MS = 100
MARK = "operator-bench-"

# Every tenth workspace of each kind: statuses, plans, currencies and intervals spread as an installation has them.
INSERT = """
WITH made AS (
    INSERT INTO platform.tenants (id, name, schema_name, status, locale)
    SELECT gen_random_uuid(), '运营基准 ' || n, :mark || n, 'active', 'zh-Hans' FROM generate_series(1, :count) AS n
    RETURNING id, CAST(split_part(schema_name, '-', 3) AS int) AS n
)
INSERT INTO platform.subscriptions (tenant_id, plan_key, status, interval, currency, seats, trial_ends_at,
                                    stripe_status, payment_failed_at, stripe_customer_id)
SELECT id,
       CASE WHEN n % 10 < 4 THEN 'trial' ELSE (ARRAY['starter', 'growth', 'pro'])[1 + n % 3] END,
       'trialing',
       CASE WHEN n % 10 < 4 THEN NULL ELSE (ARRAY['month', 'year'])[1 + n % 2] END,
       CASE WHEN n % 10 < 4 THEN NULL ELSE (ARRAY['CNY', 'USD', 'EUR'])[1 + n % 3] END,
       1 + n % 20,
       now() + make_interval(days => n % 20 - 5),
       CASE WHEN n % 10 < 4 THEN NULL WHEN n % 10 = 9 THEN 'canceled' ELSE 'active' END,
       CASE WHEN n % 10 = 8 THEN now() - make_interval(days => n % 12) END,
       CASE WHEN n % 10 >= 4 THEN 'cus_bench_' || n END
FROM made
"""


async def _timed(call: Callable[[], Awaitable[Any]]) -> list[float]:
    await call()  # warm up
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    return times


async def _run(count: int) -> dict[str, list[float]]:
    from guanxi.db.engine import dispose_engine
    from guanxi.db.tenancy import platform_session
    from guanxi.domain.billing import operator
    from sqlalchemy import text

    async with platform_session() as session:
        await session.execute(text(INSERT), {"mark": MARK, "count": count})
        await session.commit()
    try:
        async with platform_session() as session:
            for table in ("tenants", "subscriptions"):
                await session.execute(text(f"ANALYZE platform.{table}"))

            async def first_page(**filters: Any) -> Any:
                return await operator.workspaces(session, operator.Filters(**filters), cursor=None, limit=50)

            return {
                "summary": await _timed(lambda: operator.summary(session)),
                "first page": await _timed(first_page),
                "first page, status past_due": await _timed(lambda: first_page(status="past_due")),
                "first page, name contains": await _timed(lambda: first_page(q="基准 99")),
            }
    finally:
        async with platform_session() as session:
            await session.execute(text("DELETE FROM platform.tenants WHERE schema_name LIKE :m"), {"m": MARK + "%"})
            await session.commit()
        await dispose_engine()


def run(count: int = 10_000) -> str:
    figures = asyncio.run(_run(count))
    rows = "\n".join(f"| {name} | {summary_ms(times)} |" for name, times in figures.items())
    return (
        f"## Operator view of billing\n\n{count:,} workspaces with subscriptions in every status, plan, currency and "
        f"interval; each call {REPEAT} times in-process after a warm-up (target p95 {TARGET_P95_MS} ms).\n\n"
        f"| call | time |\n|---|---|\n{rows}"
    )
