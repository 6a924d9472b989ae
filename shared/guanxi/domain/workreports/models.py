from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, SmallInteger, String, Text, Time, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import IdMixin, TenantBase, TimestampsMixin


class WorkReport(IdMixin, TenantBase):
    """A member's daily, weekly or monthly work report: their figures of the period as they were when it was
    written, and what they say about it. One per author, kind and period."""

    __tablename__ = "work_reports"
    __table_args__ = (
        Index("uq_work_reports_period", "author_id", "kind", "period_start", unique=True),
        Index("ix_work_reports_author", "author_id", "id"),
    )

    author_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(10))  # daily | weekly | monthly
    period_start: Mapped[dt.date]
    figures: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    summary: Mapped[str] = mapped_column(Text, default="")
    plans: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class WorkReportComment(IdMixin, TenantBase):
    __tablename__ = "work_report_comments"

    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("work_reports.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[uuid.UUID]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class WorkReportRule(IdMixin, TimestampsMixin, TenantBase):
    """Who must submit which kind of report for which days, the deadline (local time of day) and how long before it
    the reminder goes. Weekdays are 0 (Monday) to 6; a monthly rule without a day is due on the month's last day."""

    __tablename__ = "work_report_rules"
    __table_args__ = (Index("ix_work_report_rules_kind", "kind", "id"),)

    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # daily | weekly | monthly
    audience: Mapped[str] = mapped_column(String(12))  # everyone | departments | members
    department_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
    member_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
    weekdays: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), default=list)  # daily: the days it is due
    due_weekday: Mapped[int | None] = mapped_column(SmallInteger, default=None)  # weekly
    day_of_month: Mapped[int | None] = mapped_column(SmallInteger, default=None)  # monthly; None: the last day
    deadline: Mapped[dt.time] = mapped_column(Time)
    remind_minutes: Mapped[int]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
