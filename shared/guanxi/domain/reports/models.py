"""Saved reports: a predefined report with its parameters or a builder definition, owned by a member and shared
with no one, everyone or chosen members. Running one always uses the reader's scope, never the author's."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, SmallInteger, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import IdMixin, TenantBase, TenantRecordMixin


class SavedReport(TenantRecordMixin, TenantBase):
    __tablename__ = "saved_reports"

    name: Mapped[str] = mapped_column(String(200))
    report_key: Mapped[str | None] = mapped_column(String(60), default=None)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    definition: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True), default=None)
    shared_with: Mapped[str] = mapped_column(String(10), default="private")  # private | everyone | members
    member_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)


class ReportSchedule(TenantRecordMixin, TenantBase):
    """Delivery of a saved report by email: daily, weekly (``weekday`` 0 = Monday) or monthly (``day_of_month``),
    at ``hour`` in each recipient's own time zone (theirs, the schedule's choice for them, or the workspace's)."""

    __tablename__ = "report_schedules"

    saved_report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("saved_reports.id", ondelete="CASCADE"))
    frequency: Mapped[str] = mapped_column(String(10))  # daily | weekly | monthly
    hour: Mapped[int] = mapped_column(SmallInteger)
    weekday: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    day_of_month: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    formats: Mapped[list[str]] = mapped_column(ARRAY(String(4)), default=list)
    recipients: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)  # [{member_id, timezone}]
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)


class ReportDelivery(IdMixin, TenantBase):
    """One delivery per (schedule, recipient, local slot): asked for once, marked sent only after the mail left."""

    __tablename__ = "report_deliveries"
    __table_args__ = (UniqueConstraint("schedule_id", "member_id", "slot", name="uq_report_deliveries_slot"),)

    schedule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report_schedules.id", ondelete="CASCADE"))
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    slot: Mapped[str] = mapped_column(String(10))  # the recipient's local date, 2026-11-27
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued | sent | skipped
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
