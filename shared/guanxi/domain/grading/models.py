from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Integer, Numeric, SmallInteger, String, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import IdMixin, TenantBase, TenantRecordMixin


class GradingCriterion(TenantRecordMixin, TenantBase):
    """A weighted criterion of the customer score (credit 10, order amount 30, profit 60 by default)."""

    __tablename__ = "grading_criteria"

    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    weight: Mapped[Decimal] = mapped_column(Numeric(5, 2))


class GradeBand(TenantRecordMixin, TenantBase):
    """Grades given by rank: the top ``share`` percent of scored customers get this grade."""

    __tablename__ = "grade_bands"

    grade: Mapped[str] = mapped_column(String(2), unique=True)
    position: Mapped[int]
    share_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    complaint_response_days: Mapped[int]


class GradingSettings(TenantBase):
    """The workspace's grading settings (one row, id 1); see :mod:`guanxi.domain.grading.settings`."""

    __tablename__ = "grading_settings"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=1)
    config: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    updated_by: Mapped[uuid.UUID | None] = mapped_column(default=None)


class GradingRun(IdMixin, TenantBase):
    __tablename__ = "grading_runs"

    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued | running | done | failed
    trigger: Mapped[str] = mapped_column(String(10))  # nightly | manual
    requested_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    scored: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    config: Mapped[dict[str, Any] | None] = mapped_column(JSONB, default=None)


class GradingScore(TenantBase):
    """One customer's score in a run. ``raw`` and ``points`` follow the run's criteria in order (see
    :func:`guanxi.domain.grading.service.layout`). Only the latest run's rows are kept."""

    __tablename__ = "grading_scores"

    run_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # no foreign keys: see migration t0024
    account_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    score: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    computed_grade: Mapped[str] = mapped_column(String(2))
    previous_grade: Mapped[str | None] = mapped_column(String(2), default=None)
    raw: Mapped[list[Decimal | None]] = mapped_column(ARRAY(Numeric))
    points: Mapped[list[Decimal]] = mapped_column(ARRAY(Numeric))


class ManualGrade(TenantBase):
    """A grade a manager set by hand: it stays over every run, with its reason, until removed."""

    __tablename__ = "manual_grades"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    grade: Mapped[str] = mapped_column(String(2))
    reason: Mapped[str] = mapped_column(String(500))
    set_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    set_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class GradeHistory(IdMixin, TenantBase):
    __tablename__ = "grade_history"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    from_grade: Mapped[str | None] = mapped_column(String(2), default=None)
    to_grade: Mapped[str | None] = mapped_column(String(2), default=None)
    source: Mapped[str] = mapped_column(String(10))  # run | manual | unset
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    run_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    changed_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class GrowthScore(TenantBase):
    """成长潜力: a manager's 0-100 score for a customer without history (the growth criterion reads it)."""

    __tablename__ = "growth_scores"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    score: Mapped[int] = mapped_column(SmallInteger)
    set_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    set_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
