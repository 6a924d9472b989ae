"""Quotes (报价单) with their priced lines, and the print templates they are rendered with."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, LargeBinary, Numeric, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import IdMixin, TenantBase, TenantRecordMixin
from guanxi.domain.access.members import register_owned_table
from guanxi.domain.products.lines import LineColumns


class PrintTemplate(TenantRecordMixin, TenantBase):
    __tablename__ = "print_templates"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_default: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(String(10), default="en")  # en | zh-Hans | zh-Hant: the labels
    company_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    accent_color: Mapped[str] = mapped_column(String(7), default="#1d4ed8")
    title: Mapped[str] = mapped_column(String(100), default="")
    footer: Mapped[str] = mapped_column(Text, default="")
    columns: Mapped[list[str]] = mapped_column(ARRAY(Text))


class Quote(TenantRecordMixin, TenantBase):
    __tablename__ = "quotes"

    number: Mapped[str] = mapped_column(String(60), unique=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id"), default=None)
    deal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("deals.id"), default=None)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)
    currency: Mapped[str] = mapped_column(String(3))
    price_list_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("price_lists.id"), default=None)
    template_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("print_templates.id"), default=None)
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft | sent | accepted | rejected
    valid_until: Mapped[dt.date | None] = mapped_column(Date, default=None)
    terms: Mapped[str | None] = mapped_column(Text, default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    subtotal: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=Decimal(0))
    discount: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=Decimal(0))
    tax: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=Decimal(0))
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    sent_to: Mapped[str | None] = mapped_column(String(254), default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    rejection_reason: Mapped[str | None] = mapped_column(String(1000), default=None)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class QuoteLine(LineColumns, IdMixin, TenantBase):
    __tablename__ = "quote_lines"

    quote_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"))


register_owned_table(Quote.__table__)  # type: ignore[arg-type]
