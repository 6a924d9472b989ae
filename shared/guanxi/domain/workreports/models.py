from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import IdMixin, TenantBase


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
