"""Contracts (合同): made from an accepted quote or by hand, with their dates, signatories and lines."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import IdMixin, TenantBase, TenantRecordMixin
from guanxi.domain.access.members import register_owned_table
from guanxi.domain.products.lines import LineColumns


class Contract(TenantRecordMixin, TenantBase):
    __tablename__ = "contracts"

    number: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    quote_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("quotes.id"), default=None, unique=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    deal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("deals.id"), default=None)
    customer_signatory_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id"), default=None)
    our_signatory_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    currency: Mapped[str] = mapped_column(String(3))
    start_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    end_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    signed_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft | active | expired | terminated
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    reminded_for: Mapped[dt.date | None] = mapped_column(Date, default=None)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class ContractLine(LineColumns, IdMixin, TenantBase):
    __tablename__ = "contract_lines"

    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))


register_owned_table(Contract.__table__)  # type: ignore[arg-type]
