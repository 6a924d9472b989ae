from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import TenantBase, TenantRecordMixin


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
