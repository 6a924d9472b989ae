"""Churn analytics, within the reader's data scope (the owner of each record, as ``Access.owners`` reaches):
lost customers by the stage they were lost at, loss reasons ranked, time from first follow-up to loss, win-back
attempts and how many came back, and new / lost / total customers per period. Definitions: docs/churn.md."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.tenancy import TenantScope, validate_schema_name
from guanxi.domain.access.service import Access
from guanxi.domain.churn.service import load_settings
from guanxi.errors import FieldError, validation_error

STAGES = ("pre_sale", "in_negotiation", "after_sale", "in_pool")
STEPS = {"week": "1 week", "month": "1 month", "quarter": "3 months", "year": "1 year"}  # PostgreSQL has no "1 quarter"
MAX_PERIODS = 400
DEFAULT_MONTHS = 12

# Every loss in the range: lost deals, customers released or reclaimed to the pool, and customers whose risk came
# from not ordering for too long (at risk since the range, with the order-gap signal). Each classified by whether
# the customer had ordered before.
EVENTS = """
events AS (
  SELECT 'deal' AS source, d.account_id, d.owner_id, d.closed_at AS lost_at, lr.name AS reason
  FROM {s}.deals d LEFT JOIN {s}.loss_reasons lr ON lr.id = d.loss_reason_id
  WHERE d.status = 'lost' AND d.deleted_at IS NULL AND d.closed_at >= :start AND d.closed_at < :end
    AND (:everyone OR d.owner_id = ANY(:owners))
  UNION ALL
  SELECT 'pool', e.account_id, e.member_id, e.occurred_at, e.reason
  FROM {s}.pool_events e
  WHERE e.action IN ('released', 'reclaimed') AND e.occurred_at >= :start AND e.occurred_at < :end
    AND (:everyone OR e.member_id = ANY(:owners))
  UNION ALL
  SELECT 'silent', c.account_id, c.owner_id, c.at_risk_since, NULL
  FROM {s}.churn_scores c
  WHERE c.at_risk_since >= :start AND c.at_risk_since < :end AND c.signals @> '[{{"key": "order_gap"}}]'
    AND (:everyone OR c.owner_id = ANY(:owners))
),
classified AS (
  SELECT ev.*,
    CASE WHEN EXISTS (SELECT 1 FROM {s}.orders o WHERE o.account_id = ev.account_id AND o.deleted_at IS NULL
                      AND o.status <> 'cancelled' AND o.order_date <= CAST(ev.lost_at AS date)) THEN 'after_sale'
         WHEN ev.source = 'deal' THEN 'in_negotiation' ELSE 'pre_sale' END AS stage
  FROM events ev
)
"""


def _range(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    today = dt.date.today()
    last = end or today
    first = start or (last.replace(day=1) - dt.timedelta(days=365)).replace(day=1)
    if first > last:
        raise validation_error(FieldError("from", "must not be after to", "invalid_range"))
    if (last - first).days > 366 * 20:
        raise validation_error(FieldError("from", "the range must be at most 20 years", "out_of_range"))
    return first, last


async def churn_analytics(
    session: AsyncSession,
    scope: TenantScope,
    access: Access,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    period: str = "month",
) -> dict[str, Any]:
    """The churn figures of ``[start, end]`` (dates, both included) by ``period`` (week, month, quarter, year)."""
    access.require("customers", "read")
    first, last = _range(start, end)
    settings = await load_settings(session, scope)
    owners = access.owners("customers", "read")
    s = f'"{validate_schema_name(scope.schema)}"'
    start_at = dt.datetime.combine(first, dt.time(), dt.UTC)
    end_at = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC)
    params: dict[str, Any] = {
        "start": start_at, "end": end_at, "everyone": owners is None, "owners": sorted(owners or ()),
        "pool_days": settings["pool_unclaimed_days"], "win_days": settings["win_back_days"], "period": period,
        "one": STEPS[period],
    }  # fmt: skip
    head = "WITH " + EVENTS.format(s=s)
    by_stage = dict.fromkeys(STAGES, 0)
    for row in await session.execute(
        text(
            head
            + """
        , last_per_account AS (
          SELECT DISTINCT ON (account_id) account_id, stage FROM classified ORDER BY account_id, lost_at DESC
        )
        SELECT stage, count(*) AS n FROM last_per_account GROUP BY stage
        """
        ),
        params,
    ):
        by_stage[row.stage] = row.n
    by_stage["in_pool"] = (
        await session.execute(
            text(f"""
            SELECT count(*) FROM {s}.accounts a
            WHERE a.owner_id IS NULL AND a.pool_id IS NOT NULL AND a.deleted_at IS NULL
              AND a.returned_at >= :start AND a.returned_at < :end
              AND a.returned_at < now() - make_interval(days => :pool_days)
              AND (:everyone OR a.previous_owner_id = ANY(:owners))
            """),
            params,
        )
    ).scalar_one()
    reasons = [
        {"reason": row.reason, "count": row.n}
        for row in await session.execute(
            text(
                head
                + """
            SELECT reason, count(*) AS n FROM classified WHERE reason IS NOT NULL AND source <> 'silent'
            GROUP BY reason ORDER BY n DESC, reason LIMIT 50
            """
            ),
            params,
        )
    ]
    timing = (
        await session.execute(
            text(
                head
                + f"""
            , spans AS (
              SELECT EXTRACT(epoch FROM c.lost_at - f.first_at) / 86400 AS days
              FROM classified c
              JOIN LATERAL (SELECT min(occurred_at) AS first_at FROM {s}.activities a
                            WHERE a.account_id = c.account_id AND a.deleted_at IS NULL) f ON true
              WHERE f.first_at IS NOT NULL AND f.first_at <= c.lost_at
            )
            SELECT count(*) AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS median, avg(days) AS mean
            FROM spans
            """
            ),
            params,
        )
    ).one()
    win = (
        await session.execute(
            text(f"""
            SELECT count(*) AS attempts,
              count(*) FILTER (WHERE EXISTS (
                SELECT 1 FROM {s}.orders o WHERE o.account_id = w.account_id AND o.deleted_at IS NULL
                  AND o.status <> 'cancelled' AND o.order_date >= CAST(w.created_at AS date)
                  AND o.order_date <= CAST(w.created_at AS date) + CAST(:win_days AS integer)
              ) OR EXISTS (
                SELECT 1 FROM {s}.deals d WHERE d.account_id = w.account_id AND d.status = 'won'
                  AND d.deleted_at IS NULL AND d.closed_at >= w.created_at
                  AND d.closed_at <= w.created_at + make_interval(days => :win_days)
              )) AS came_back
            FROM {s}.churn_win_backs w
            WHERE w.created_at >= :start AND w.created_at < :end AND (:everyone OR w.owner_id = ANY(:owners))
            """),
            params,
        )
    ).one()
    periods = [
        {"period": row.p.date().isoformat(), "new": row.new, "lost": row.lost, "total": row.total}
        for row in await session.execute(
            text(
                head
                + f"""
            , slots AS (
              SELECT p, p + step.one AS q
              FROM (SELECT CAST(CAST(:one AS text) AS interval) AS one) step,
                   generate_series(date_trunc(:period, CAST(:start AS timestamptz)),
                                   CAST(:end AS timestamptz) - interval '1 microsecond', step.one) p
              LIMIT {MAX_PERIODS}
            ), mine AS (
              SELECT a.created_at, a.deleted_at FROM {s}.accounts a
              WHERE a.owner_id IS NOT NULL AND (:everyone OR a.owner_id = ANY(:owners))
            )
            SELECT slots.p,
              (SELECT count(*) FROM mine WHERE mine.created_at >= slots.p AND mine.created_at < slots.q
                 AND mine.deleted_at IS NULL) AS new,
              (SELECT count(DISTINCT account_id) FROM classified
                 WHERE lost_at >= slots.p AND lost_at < slots.q) AS lost,
              (SELECT count(*) FROM mine WHERE mine.created_at < slots.q
                 AND (mine.deleted_at IS NULL OR mine.deleted_at >= slots.q)) AS total
            FROM slots ORDER BY slots.p
            """
            ),
            params,
        )
    ]
    return {
        "from": first.isoformat(), "to": last.isoformat(), "period": period,
        "lost_by_stage": by_stage, "loss_reasons": reasons,
        "time_to_loss": {"count": timing.n, "median_days": _round(timing.median), "mean_days": _round(timing.mean)},
        "win_backs": {"attempts": win.attempts, "came_back": win.came_back, "within_days": settings["win_back_days"]},
        "periods": periods,
    }  # fmt: skip


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)
