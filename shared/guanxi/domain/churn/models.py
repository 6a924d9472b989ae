from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Numeric, SmallInteger, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import IdMixin, TenantBase


class ChurnSettings(TenantBase):
    """The workspace's churn settings: a single row (id 1), absent until an administrator saves them."""

    __tablename__ = "churn_settings"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=1)
    threshold: Mapped[int] = mapped_column(SmallInteger)
    points: Mapped[dict[str, int]] = mapped_column(JSONB)
    order_lateness: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    amount_drop_percent: Mapped[int] = mapped_column(SmallInteger)
    no_activity_days: Mapped[int] = mapped_column(SmallInteger)
    lost_deal_days: Mapped[int] = mapped_column(SmallInteger)
    win_back_days: Mapped[int] = mapped_column(SmallInteger)
    pool_unclaimed_days: Mapped[int] = mapped_column(SmallInteger)
    scanned_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    updated_by: Mapped[uuid.UUID | None] = mapped_column(default=None)


class ChurnScore(TenantBase):
    """An owned customer's risk score (0-100) and the signals that made it; ``at_risk_since`` is set while the
    score is at or above the threshold, ``crossings`` counts the times it went over (one alert each)."""

    __tablename__ = "churn_scores"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    owner_id: Mapped[uuid.UUID]
    score: Mapped[int] = mapped_column(SmallInteger)
    signals: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    changed_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    at_risk_since: Mapped[dt.datetime | None] = mapped_column(default=None)
    crossings: Mapped[int] = mapped_column(default=0)


class WinBack(IdMixin, TenantBase):
    """An attempt to win an at-risk or lost customer back; it came back if an order or a won deal followed within
    the workspace's win-back days (read when counted, never stored)."""

    __tablename__ = "churn_win_backs"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    member_id: Mapped[uuid.UUID]
    owner_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(String(1000), default="")
    score: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
