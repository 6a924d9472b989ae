"""A workspace's subscription and the Stripe events that shape it (platform schema: billing spans workspaces)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import PlatformBase, TimestampsMixin

# trialing: the free trial; active: paid; past_due: a payment failed, still writable until ``grace_until``;
# read_only: the grace ended (nothing is deleted, exports still work); canceled: the subscription ended.
STATUSES = ("trialing", "active", "past_due", "read_only", "canceled")


class Subscription(TimestampsMixin, PlatformBase):
    __tablename__ = "subscriptions"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12))
    interval: Mapped[str | None] = mapped_column(String(5), default=None)  # month | year
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    seats: Mapped[int] = mapped_column(default=1)
    trial_ends_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    current_period_end: Mapped[dt.datetime | None] = mapped_column(default=None)
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    stripe_status: Mapped[str | None] = mapped_column(String(30), default=None)
    # A failed payment (``invoice.payment_failed``) not yet followed by a paid invoice: past due from then,
    # read-only after the grace days.
    payment_failed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # The ``created`` second of the newest Stripe event applied to the subscription's terms (plan, seats, status)
    # and to its payments: an older event arriving late changes nothing, so any order of delivery converges.
    stripe_event_created: Mapped[int] = mapped_column(BigInteger, default=0)
    payment_event_created: Mapped[int] = mapped_column(BigInteger, default=0)


class StripeEvent(PlatformBase):
    """Every webhook delivery, once per Stripe event id: stored before the answer, applied by the worker."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # Stripe's ``evt_…``
    type: Mapped[str] = mapped_column(String(100))
    created: Mapped[int] = mapped_column(BigInteger)  # Stripe's seconds since the epoch
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    received_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    applied_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(Text, default=None)  # applied | ignored: <why> | stale
