"""Churn early warning: the workspace's rules, the scan that scores every owned customer and alerts the owner and
their manager once per crossing, the at-risk list, win-back attempts. Analytics are in ``analytics.py``."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id, utcnow
from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.access.models import Member
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.churn import repository
from guanxi.domain.churn.models import ChurnScore, ChurnSettings, WinBack
from guanxi.domain.churn.schemas import SIGNALS, AtRiskPage, AtRiskRow, RiskOut, SettingsIn, SettingsOut, WinBackIn
from guanxi.domain.customers.models import Account
from guanxi.domain.customers.repository import decode_cursor, encode_cursor, fetch_one, visible
from guanxi.domain.customers.validation import Cleaner
from guanxi.domain.notifications.service import Kind, Raise, notify_many, register_kind
from guanxi.domain.numbering.service import workspace_today
from guanxi.domain.outbox.service import enqueue
from guanxi.errors import FieldError, forbidden, validation_error

DEFAULTS: dict[str, Any] = {
    "threshold": 60,
    # Points a signal adds when it fires; the score is their sum, at most 100. Complaints add nothing until
    # service cases exist (see docs/churn.md).
    "points": {"order_gap": 35, "falling_amount": 20, "overdue_payment": 20, "complaints": 15, "no_activity": 15,
               "lost_deal": 15},
    "order_lateness": Decimal("1.5"),  # no order for 1.5 times the customer's usual interval
    "amount_drop_percent": 50,  # the last 90 days at least 50% below the average 90 days before
    "no_activity_days": 60,
    "lost_deal_days": 90,
    "win_back_days": 90,
    "pool_unclaimed_days": 30,
}  # fmt: skip
LIMITS = {
    "threshold": (1, 100), "amount_drop_percent": (1, 100), "no_activity_days": (1, 3650),
    "lost_deal_days": (1, 3650), "win_back_days": (1, 3650), "pool_unclaimed_days": (1, 3650),
}  # fmt: skip
NOTE_MAX = 1000
LIST_MAX = 200

AT_RISK = register_kind(
    Kind(
        "churn.at_risk",
        {
            "en": ("{account} is at risk of churning (score {score})", "{reasons_en}"),
            "zh-Hans": ("{account} 有流失风险（风险分 {score}）", "{reasons_zh_hans}"),
            "zh-Hant": ("{account} 有流失風險（風險分 {score}）", "{reasons_zh_hant}"),
        },
        email="digest",
    )
)

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "order_gap": "no order for {days} days, usually every {usual_days}",
        "falling_amount": "order amounts down {drop_percent}% on the months before",
        "overdue_payment": "{count} overdue instalment(s), {amount} outstanding",
        "complaints": "open or repeated complaints",
        "no_activity": "no follow-up for {days} days",
        "lost_deal": "{count} deal(s) lost in the last {within_days} days",
    },
    "zh-Hans": {
        "order_gap": "已 {days} 天没有下单，通常每 {usual_days} 天一单",
        "falling_amount": "订单金额比之前几个月下降 {drop_percent}%",
        "overdue_payment": "{count} 笔回款逾期，未收 {amount}",
        "complaints": "有未结或重复的投诉",
        "no_activity": "已 {days} 天没有跟进",
        "lost_deal": "近 {within_days} 天输单 {count} 个",
    },
    "zh-Hant": {
        "order_gap": "已 {days} 天沒有下單，通常每 {usual_days} 天一單",
        "falling_amount": "訂單金額比之前幾個月下降 {drop_percent}%",
        "overdue_payment": "{count} 筆回款逾期，未收 {amount}",
        "complaints": "有未結或重複的投訴",
        "no_activity": "已 {days} 天沒有跟進",
        "lost_deal": "近 {within_days} 天輸單 {count} 個",
    },
}


def phrase(signal: dict[str, Any], locale: str = "en") -> str:
    """A signal as a readable phrase in ``locale``."""
    texts = PHRASES.get(locale, PHRASES["en"])
    key = str(signal.get("key", ""))
    return texts.get(key, key).format_map(signal)


def present(signals: list[dict[str, Any]], today: dt.date, now: dt.datetime) -> list[dict[str, Any]]:
    """Signals as shown: ``days`` since the last order (workspace days) or the last follow-up (whole days)."""
    shown = []
    for signal in signals:
        signal = dict(signal)
        if signal.get("last_order"):
            signal["days"] = (today - dt.date.fromisoformat(signal["last_order"])).days
        if signal.get("last_touch"):
            signal["days"] = int((now - dt.datetime.fromisoformat(signal["last_touch"])).total_seconds() // 86400)
        shown.append(signal)
    return shown


def reasons(signals: list[dict[str, Any]], locale: str) -> str:
    return ("; " if locale == "en" else "；").join(phrase(s, locale) for s in signals)


def is_admin(access: Access) -> bool:
    return access.scope_of("settings", "update") == "all"


# -- settings ---------------------------------------------------------------------------------------------------


async def load_settings(session: AsyncSession, scope: TenantScope) -> dict[str, Any]:
    row = await session.get(ChurnSettings, 1, execution_options=scoped(scope))
    if row is None:
        return {**DEFAULTS, "points": dict(DEFAULTS["points"]), "scanned_at": None}
    return {
        "threshold": row.threshold, "points": {**DEFAULTS["points"], **row.points},
        "order_lateness": row.order_lateness, "amount_drop_percent": row.amount_drop_percent,
        "no_activity_days": row.no_activity_days, "lost_deal_days": row.lost_deal_days,
        "win_back_days": row.win_back_days, "pool_unclaimed_days": row.pool_unclaimed_days,
        "scanned_at": row.scanned_at,
    }  # fmt: skip


async def get_settings(session: AsyncSession, access: Access) -> SettingsOut:
    access.require("customers", "read")
    return SettingsOut(**await load_settings(session, access.scope), can_edit=is_admin(access))


def clean_settings(data: SettingsIn, current: dict[str, Any]) -> dict[str, Any]:
    c = Cleaner()
    values = {key: current[key] for key in DEFAULTS}
    for name, (low, high) in LIMITS.items():
        given = getattr(data, name)
        if given is None:
            continue
        if not low <= given <= high:
            c.fail(name, f"must be between {low} and {high}", "out_of_range")
        values[name] = given
    if data.order_lateness is not None:
        try:
            lateness = Decimal(data.order_lateness)
            if not lateness.is_finite() or not Decimal(1) <= lateness <= Decimal(10):
                raise InvalidOperation
            values["order_lateness"] = lateness.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        except InvalidOperation:
            c.fail("order_lateness", "must be a number between 1 and 10", "out_of_range")
    if data.points is not None:
        points = dict(values["points"])
        for key, value in data.points.items():
            if key not in SIGNALS:
                c.fail(f"points.{key[:40]}", f"is not a signal; signals are {', '.join(SIGNALS)}", "unknown")
            elif not 0 <= value <= 100:
                c.fail(f"points.{key}", "must be between 0 and 100", "out_of_range")
            else:
                points[key] = value
        values["points"] = points
    if c.errors:
        raise validation_error(*c.errors)
    return values


async def put_settings(session: AsyncSession, access: Access, data: SettingsIn) -> SettingsOut:
    if not is_admin(access):
        raise forbidden("Only administrators change the churn settings.")
    values = clean_settings(data, await load_settings(session, access.scope))
    changes = {**values, "updated_by": access.member_id, "updated_at": func.now()}
    await session.execute(
        insert(ChurnSettings).values(id=1, **changes).on_conflict_do_update(index_elements=["id"], set_=changes),
        execution_options=scoped(access.scope),
    )
    return await get_settings(session, access)


def rules_of(settings: dict[str, Any]) -> repository.Rules:
    return repository.Rules(
        threshold=settings["threshold"], points=settings["points"], order_lateness=settings["order_lateness"],
        amount_drop_percent=settings["amount_drop_percent"], no_activity_days=settings["no_activity_days"],
        lost_deal_days=settings["lost_deal_days"],
    )  # fmt: skip


# -- the scan ---------------------------------------------------------------------------------------------------


async def scan(
    session: AsyncSession, scope: TenantScope, today: dt.date | None = None, account_id: uuid.UUID | None = None
) -> int:
    """Score every owned customer (or one, on change) in one statement and alert the owner and their manager of
    each customer that crossed the threshold, in the caller's transaction. Returns the number of crossings."""
    settings = await load_settings(session, scope)
    day = today or await workspace_today(session, scope)
    crossed = await repository.scan(session, scope, rules_of(settings), day, account_id)
    if account_id is None:
        await session.execute(
            update(ChurnSettings).where(ChurnSettings.id == 1).values(scanned_at=func.now()),
            execution_options=scoped(scope),
        )
    await alert(session, scope, crossed, day)
    return len(crossed)


async def alert(session: AsyncSession, scope: TenantScope, crossed: list[repository.Crossing], today: dt.date) -> None:
    if not crossed:
        return
    managers = await repository.managers(session, scope, {c.owner_id for c in crossed})
    raises = []
    now = utcnow()
    for c in crossed:
        manager = managers.get(c.owner_id)
        signals = present(c.signals, today, now)
        params = {
            "account": c.name, "score": c.score, "account_id": str(c.account_id),
            "reasons_en": reasons(signals, "en"), "reasons_zh_hans": reasons(signals, "zh-Hans"),
            "reasons_zh_hant": reasons(signals, "zh-Hant"),
        }  # fmt: skip
        # One alert per crossing: a customer that falls below and crosses again later alerts again.
        raises.append(Raise(
            frozenset({c.owner_id} if manager is None else {c.owner_id, manager}), params,
            link=f"/accounts/{c.account_id}", key=f"churn:{c.account_id}:{c.at_risk_since.isoformat()}",
        ))  # fmt: skip
    await notify_many(session, scope, AT_RISK.key, raises)


async def rescore_soon(session: AsyncSession, scope: TenantScope, account_id: uuid.UUID) -> None:
    """On change (an order, a payment): ask for the customer's rescore through the outbox, in the caller's
    transaction. Such changes can only lower a score, so a customer scoring nothing is left to the nightly scan."""
    scored = await session.scalar(
        select(ChurnScore.score).where(ChurnScore.account_id == account_id), execution_options=scoped(scope)
    )
    if scored:
        await enqueue(session, "churn.rescore", {"account_id": str(account_id)}, tenant_id=scope.tenant_id)


# -- reading ----------------------------------------------------------------------------------------------------


async def at_risk(
    session: AsyncSession,
    access: Access,
    *,
    owner_id: uuid.UUID | None = None,
    grade: str | None = None,
    min_score: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> AtRiskPage:
    """Scored customers the reader may see, riskiest first (score desc, id), by default those at or over the
    threshold; keyset pages."""
    access.require("customers", "read")
    settings = await load_settings(session, access.scope)
    floor = settings["threshold"] if min_score is None else min_score
    query = (
        select(ChurnScore, Account.name, Account.grade, Member.name.label("owner_name"))
        .join(Account, Account.id == ChurnScore.account_id)
        .outerjoin(Member, Member.id == ChurnScore.owner_id)
        .where(Account.deleted_at.is_(None), visible(access, Account), ChurnScore.score >= floor)
    )
    if owner_id is not None:
        query = query.where(ChurnScore.owner_id == owner_id)
    if grade is not None:
        query = query.where(Account.grade == grade)
    if cursor:
        score, last_id = decode_cursor(cursor, int)
        query = query.where(
            or_(ChurnScore.score < score, and_(ChurnScore.score == score, ChurnScore.account_id > last_id))
        )
    query = query.order_by(ChurnScore.score.desc(), ChurnScore.account_id).limit(limit + 1)
    rows = (await session.execute(query, execution_options=scoped(access.scope))).all()
    today, now = await workspace_today(session, access.scope), utcnow()
    items = [
        AtRiskRow(
            account_id=r.ChurnScore.account_id,
            name=r.name,
            owner_id=r.ChurnScore.owner_id,
            owner_name=r.owner_name,
            grade=r.grade,
            score=r.ChurnScore.score,
            at_risk=r.ChurnScore.at_risk_since is not None,
            at_risk_since=r.ChurnScore.at_risk_since,
            signals=present(r.ChurnScore.signals, today, now),
        )
        for r in rows[:limit]
    ]
    more = len(rows) > limit
    next_cursor = encode_cursor(items[-1].score, items[-1].account_id) if more and items else None
    return AtRiskPage(items=items, next_cursor=next_cursor, threshold=settings["threshold"])


async def risk_of(session: AsyncSession, access: Access, account_id: uuid.UUID) -> RiskOut:
    """One customer's score and signals (none if it was never scored: not owned, or not scanned yet)."""
    if await fetch_one(session, access, Account, account_id) is None:
        raise not_found_for("Account")
    options = scoped(access.scope)
    settings = await load_settings(session, access.scope)
    score = await session.get(ChurnScore, account_id, execution_options=options)
    tries = await session.scalar(
        select(func.count()).select_from(WinBack).where(WinBack.account_id == account_id), execution_options=options
    )
    return RiskOut(
        account_id=account_id, score=score.score if score else None, threshold=settings["threshold"],
        at_risk=bool(score and score.at_risk_since), at_risk_since=score.at_risk_since if score else None,
        signals=present(score.signals, await workspace_today(session, access.scope), utcnow()) if score else [],
        win_backs=tries or 0,
    )  # fmt: skip


async def win_back(session: AsyncSession, access: Access, account_id: uuid.UUID, data: WinBackIn) -> WinBack:
    """Record an attempt to win the customer back (anyone who may update it)."""
    account = await fetch_one(session, access, Account, account_id, action="update")
    if account is None:
        raise not_found_for("Account")
    c = Cleaner()
    note = c.text("note", data.note, NOTE_MAX, multiline=True) or ""
    if c.errors:
        raise validation_error(*c.errors)
    options = scoped(access.scope)
    score = await session.get(ChurnScore, account_id, execution_options=options)
    attempt = WinBack(
        id=new_id(), account_id=account_id, member_id=access.member_id, owner_id=account["owner_id"], note=note,
        score=score.score if score else None, created_at=utcnow(),
    )  # fmt: skip
    await session.execute(
        insert(WinBack).values(
            id=attempt.id, account_id=account_id, member_id=attempt.member_id, owner_id=attempt.owner_id, note=note,
            score=attempt.score, created_at=attempt.created_at,
        ),
        execution_options=options,
    )  # fmt: skip
    return attempt


def check_limit(limit: int) -> int:
    if not 1 <= limit <= LIST_MAX:
        raise validation_error(FieldError("limit", f"must be between 1 and {LIST_MAX}", "out_of_range"))
    return limit
