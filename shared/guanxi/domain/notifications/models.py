from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import IdMixin, TenantBase


class Notification(IdMixin, TenantBase):
    """One message to one member, written in their language when it was raised.

    ``dedupe_key`` makes a notification happen once: the same key for the same member is not raised again
    (a churn alert per customer and crossing, a reminder per report and deadline). ``email`` is what the
    member's preferences asked for at that moment: ``instant`` (a mail per notification), ``digest`` (one
    mail a day listing them) or ``none``; ``emailed_at`` is set when a mail was asked for.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index("uq_notifications_dedupe", "user_id", "dedupe_key", unique=True),
        Index("ix_notifications_inbox", "user_id", "id", postgresql_where=text("in_app")),
        Index("ix_notifications_unread", "user_id", postgresql_where=text("in_app AND read_at IS NULL")),
        Index("ix_notifications_digest", "user_id", postgresql_where=text("email = 'digest' AND emailed_at IS NULL")),
    )

    user_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500), default=None)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), default=None)
    in_app: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[str] = mapped_column(String(10), default="none")  # none | instant | digest
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    read_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    emailed_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class NotificationPreference(TenantBase):
    """A member's choice for one kind of notification; a kind without a row uses the kind's defaults."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    in_app: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[str] = mapped_column(String(10), default="none")
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
