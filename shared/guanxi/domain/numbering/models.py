"""How a workspace numbers its documents (quotes, contracts, orders, invoices, payments), and the counters."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import TenantBase


class NumberingRule(TenantBase):
    __tablename__ = "numbering_rules"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    pattern: Mapped[str] = mapped_column(String(60))
    reset: Mapped[str] = mapped_column(String(10))  # never | yearly | monthly | daily


class NumberCounter(TenantBase):
    __tablename__ = "number_counters"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)  # "" | 2027 | 202703 | 20270314
    value: Mapped[int] = mapped_column(BigInteger)
