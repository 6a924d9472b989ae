"""The churn SQL: the set-based scan (every owned customer's signals, points and score in one statement), the
at-risk list, and the analytics aggregates. Tenant tables are named through the validated schema of the scope."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.tenancy import TenantScope, validate_schema_name


@dataclass(frozen=True)
class Rules:
    threshold: int
    points: dict[str, int]
    order_lateness: Decimal
    amount_drop_percent: int
    no_activity_days: int
    lost_deal_days: int


@dataclass(frozen=True)
class Crossing:
    account_id: uuid.UUID
    name: str
    owner_id: uuid.UUID
    score: int
    signals: list[dict[str, Any]]
    at_risk_since: dt.datetime


RECENT_DAYS = 90  # "falling amounts": the last 90 days against the average 90 days of the nine months before
BEFORE_DAYS = 360

# One statement: signals per owned live account, points, score and the explaining list, upserted; a row whose
# score, signals and risk state did not change is not rewritten (they are compared in one hash join first: probing
# the key of a million unchanged rows one by one cost more than computing them). The owned customers come from
# the narrow ``ix_accounts_live_scan`` index. Signals hold the day of the last order and the time of the last
# follow-up, not "days since", so that a night on which nothing happened rewrites nothing: the days are worked out
# when the signals are read (``service.present``). ``{only}`` narrows every source to one account
# for the rescore on change. The crossing (score reaching the threshold with no ``at_risk_since`` yet) sets
# ``at_risk_since`` to the transaction time, which is how the rows that crossed are returned.
SCAN = """
WITH live AS MATERIALIZED (
  SELECT a.id, a.owner_id, COALESCE(a.last_activity_at, a.created_at) AS last_touch
  FROM {s}.accounts a
  WHERE a.owner_id IS NOT NULL AND a.deleted_at IS NULL {only_a}
),
gaps AS (
  SELECT o.account_id, o.order_date, o.total,
         o.order_date - lag(o.order_date) OVER (PARTITION BY o.account_id ORDER BY o.order_date) AS gap
  FROM {s}.orders o
  WHERE o.deleted_at IS NULL AND o.status <> 'cancelled' {only_o}
),
bought AS (
  SELECT account_id, max(order_date) AS last_order,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) FILTER (WHERE gap > 0) AS usual,
         sum(total) FILTER (WHERE order_date > CAST(:today AS date) - {recent}) AS recent,
         sum(total) FILTER (WHERE order_date <= CAST(:today AS date) - {recent}
                            AND order_date > CAST(:today AS date) - {before}) / {quarters} AS before
  FROM gaps GROUP BY account_id
),
due AS (
  SELECT i.account_id, count(*) AS n, sum(i.amount - i.collected) AS amount
  FROM {s}.payment_instalments i
  WHERE i.status IN ('pending', 'partly_paid') AND i.due_date < CAST(:today AS date) {only_i}
  GROUP BY i.account_id
),
lost AS (
  SELECT d.account_id, count(*) AS n
  FROM {s}.deals d
  WHERE d.status = 'lost' AND d.deleted_at IS NULL AND d.closed_at >= now() - make_interval(days => :lost_days)
    {only_d}
  GROUP BY d.account_id
),
raw AS (
  SELECT l.id, l.owner_id, l.last_touch, b.last_order,
         CAST(:today AS date) - b.last_order AS since, round(b.usual)::int AS usual,
         b.recent, b.before, u.n AS due_n, u.amount AS due_amount,
         floor(EXTRACT(epoch FROM now() - l.last_touch) / 86400)::int AS idle, lo.n AS lost_n
  FROM live l
  LEFT JOIN bought b ON b.account_id = l.id
  LEFT JOIN due u ON u.account_id = l.id
  LEFT JOIN lost lo ON lo.account_id = l.id
),
pts AS (
  SELECT r.*,
    CASE WHEN r.usual > 0 AND r.since >= :lateness * r.usual THEN :p_order_gap ELSE 0 END AS order_gap,
    CASE WHEN r.before > 0 AND COALESCE(r.recent, 0) <= r.before * (100 - :drop) / 100.0
         THEN :p_falling_amount ELSE 0 END AS falling_amount,
    CASE WHEN r.due_n > 0 THEN :p_overdue_payment ELSE 0 END AS overdue_payment,
    CASE WHEN r.idle >= :idle_days THEN :p_no_activity ELSE 0 END AS no_activity,
    CASE WHEN r.lost_n > 0 THEN :p_lost_deal ELSE 0 END AS lost_deal
  FROM raw r
),
scored AS (
  SELECT p.id, p.owner_id,
    LEAST(100, p.order_gap + p.falling_amount + p.overdue_payment + p.no_activity + p.lost_deal) AS score,
    CAST('[]' AS jsonb)
    || CASE WHEN p.order_gap > 0 THEN jsonb_build_array(jsonb_build_object(
         'key', 'order_gap', 'points', p.order_gap, 'last_order', p.last_order, 'usual_days', p.usual)) ELSE '[]' END
    || CASE WHEN p.falling_amount > 0 THEN jsonb_build_array(jsonb_build_object(
         'key', 'falling_amount', 'points', p.falling_amount, 'recent', round(COALESCE(p.recent, 0), 2),
         'before', round(p.before, 2),
         'drop_percent', round(100 - 100 * COALESCE(p.recent, 0) / p.before)::int)) ELSE '[]' END
    || CASE WHEN p.overdue_payment > 0 THEN jsonb_build_array(jsonb_build_object(
         'key', 'overdue_payment', 'points', p.overdue_payment, 'count', p.due_n,
         'amount', round(p.due_amount, 2))) ELSE '[]' END
    || CASE WHEN p.no_activity > 0 THEN jsonb_build_array(jsonb_build_object(
         'key', 'no_activity', 'points', p.no_activity, 'last_touch', p.last_touch)) ELSE '[]' END
    || CASE WHEN p.lost_deal > 0 THEN jsonb_build_array(jsonb_build_object(
         'key', 'lost_deal', 'points', p.lost_deal, 'count', p.lost_n, 'within_days', :lost_days)) ELSE '[]' END
    AS signals
  FROM pts p
),
changed AS (
  SELECT n.* FROM scored n LEFT JOIN {s}.churn_scores c ON c.account_id = n.id
  WHERE c.account_id IS NULL
     OR (c.owner_id, c.score, c.signals) IS DISTINCT FROM (n.owner_id, n.score, n.signals)
     OR (c.at_risk_since IS NULL) = (n.score >= :threshold)
),
up AS (
  INSERT INTO {s}.churn_scores AS c (account_id, owner_id, score, signals, changed_at, at_risk_since, crossings)
  SELECT id, owner_id, score, signals, now(),
         CASE WHEN score >= :threshold THEN now() END, CASE WHEN score >= :threshold THEN 1 ELSE 0 END
  FROM changed
  ON CONFLICT (account_id) DO UPDATE SET
    owner_id = excluded.owner_id, score = excluded.score, signals = excluded.signals, changed_at = now(),
    at_risk_since = CASE WHEN excluded.score >= :threshold THEN COALESCE(c.at_risk_since, now()) END,
    crossings = c.crossings + CASE WHEN excluded.score >= :threshold AND c.at_risk_since IS NULL THEN 1 ELSE 0 END
  WHERE (c.owner_id, c.score, c.signals) IS DISTINCT FROM (excluded.owner_id, excluded.score, excluded.signals)
     OR (c.at_risk_since IS NULL) = (excluded.score >= :threshold)
  RETURNING c.account_id, c.owner_id, c.score, c.signals, c.at_risk_since
)
SELECT up.account_id, a.name, up.owner_id, up.score, up.signals, up.at_risk_since
FROM up JOIN {s}.accounts a ON a.id = up.account_id
WHERE up.at_risk_since = now()
"""

# Scores of customers no longer owned (back in the pool, deleted) are dropped: they are nobody's to keep.
FORGET = """
DELETE FROM {s}.churn_scores c
WHERE {only_c} NOT EXISTS (
  SELECT 1 FROM {s}.accounts a WHERE a.id = c.account_id AND a.owner_id IS NOT NULL AND a.deleted_at IS NULL
)
"""


def _schema(scope: TenantScope) -> str:
    return f'"{validate_schema_name(scope.schema)}"'


async def scan(
    session: AsyncSession, scope: TenantScope, rules: Rules, today: dt.date, account_id: uuid.UUID | None = None
) -> list[Crossing]:
    """Score every owned customer (or just ``account_id``); returns the customers that crossed the threshold."""
    s = _schema(scope)
    only = {"only_a": "", "only_o": "", "only_i": "", "only_d": "", "only_c": ""}
    if account_id is not None:
        only = {
            "only_a": "AND a.id = :only", "only_o": "AND o.account_id = :only", "only_i": "AND i.account_id = :only",
            "only_d": "AND d.account_id = :only", "only_c": "c.account_id = :only AND",
        }  # fmt: skip
    params: dict[str, Any] = {
        "today": today, "threshold": rules.threshold, "lateness": rules.order_lateness,
        "drop": rules.amount_drop_percent, "idle_days": rules.no_activity_days, "lost_days": rules.lost_deal_days,
        **{f"p_{key}": rules.points.get(key, 0) for key in
           ("order_gap", "falling_amount", "overdue_payment", "no_activity", "lost_deal")},
    }  # fmt: skip
    if account_id is not None:
        params["only"] = account_id
    sql = SCAN.format(s=s, recent=RECENT_DAYS, before=BEFORE_DAYS, quarters=(BEFORE_DAYS - RECENT_DAYS) // RECENT_DAYS,
                      **only)  # fmt: skip
    if account_id is None:
        await session.execute(text("SET LOCAL work_mem = '256MB'"))  # sorting every order by customer, in memory
    rows = (await session.execute(text(sql), params)).all()
    await session.execute(text(FORGET.format(s=s, only_c=only["only_c"])), {"only": account_id} if account_id else {})
    return [Crossing(r.account_id, r.name, r.owner_id, r.score, r.signals, r.at_risk_since) for r in rows]


async def managers(
    session: AsyncSession, scope: TenantScope, owner_ids: set[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID | None]:
    """Each owner's manager: their own manager, else the head of their department (when that is not them)."""
    s = _schema(scope)
    rows = await session.execute(
        text(f"""
        SELECT m.id, COALESCE(m.manager_id, CASE WHEN d.head_id <> m.id THEN d.head_id END) AS manager
        FROM {s}.members m LEFT JOIN {s}.departments d ON d.id = m.department_id
        WHERE m.id = ANY(:owners)
        """),
        {"owners": list(owner_ids)},
    )
    return {r.id: r.manager for r in rows}
