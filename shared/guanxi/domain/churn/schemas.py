from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, Literal

import msgspec

SIGNALS = ("order_gap", "falling_amount", "overdue_payment", "complaints", "no_activity", "lost_deal")
Period = Literal["week", "month", "quarter", "year"]


class SettingsIn(msgspec.Struct, forbid_unknown_fields=True):
    threshold: int | None = None
    points: dict[str, int] | None = None
    order_lateness: Decimal | None = None
    amount_drop_percent: int | None = None
    no_activity_days: int | None = None
    lost_deal_days: int | None = None
    win_back_days: int | None = None
    pool_unclaimed_days: int | None = None


class SettingsOut(msgspec.Struct):
    threshold: int
    points: dict[str, int]
    order_lateness: Decimal
    amount_drop_percent: int
    no_activity_days: int
    lost_deal_days: int
    win_back_days: int
    pool_unclaimed_days: int
    scanned_at: dt.datetime | None
    can_edit: bool


class AtRiskRow(msgspec.Struct):
    account_id: uuid.UUID
    name: str
    owner_id: uuid.UUID
    owner_name: str | None
    grade: str | None
    score: int
    at_risk: bool
    at_risk_since: dt.datetime | None
    signals: list[dict[str, Any]]


class AtRiskPage(msgspec.Struct):
    items: list[AtRiskRow]
    next_cursor: str | None
    threshold: int


class RiskOut(msgspec.Struct):
    account_id: uuid.UUID
    score: int | None
    threshold: int
    at_risk: bool
    at_risk_since: dt.datetime | None
    signals: list[dict[str, Any]]
    win_backs: int


class WinBackIn(msgspec.Struct, forbid_unknown_fields=True):
    note: str | None = None


class WinBackOut(msgspec.Struct):
    id: uuid.UUID
    account_id: uuid.UUID
    member_id: uuid.UUID
    note: str
    score: int | None
    created_at: dt.datetime
