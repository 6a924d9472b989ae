"""Sales targets (销售目标): an amount to win or to collect in a month, quarter or year, for the company, a
department or a member."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import TenantBase, TenantRecordMixin


class SalesTarget(TenantRecordMixin, TenantBase):
    __tablename__ = "sales_targets"

    period: Mapped[str] = mapped_column(String(7))  # 2027 | 2027-Q1 | 2027-03
    metric: Mapped[str] = mapped_column(String(10))  # won | collected
    subject_type: Mapped[str] = mapped_column(String(10))  # company | department | member
    subject_id: Mapped[uuid.UUID | None] = mapped_column(default=None)  # none for the company
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
