"""Orders (订单) with their priced lines and stored totals, payment plans (回款计划) of instalments, the payments
(回款) recorded against them, and invoices (发票) issued on an order."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Numeric, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import IdMixin, TenantBase, TenantRecordMixin
from guanxi.domain.access.members import register_owned_table
from guanxi.domain.products.lines import LineColumns

Money = Numeric(16, 2)


class Order(TenantRecordMixin, TenantBase):
    __tablename__ = "orders"

    number: Mapped[str] = mapped_column(String(60), unique=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id"), default=None)
    deal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("deals.id"), default=None)
    contract_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contracts.id"), default=None)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)
    currency: Mapped[str] = mapped_column(String(3))
    price_list_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("price_lists.id"), default=None)
    order_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="confirmed")
    carrier: Mapped[str | None] = mapped_column(String(100), default=None)
    tracking_number: Mapped[str | None] = mapped_column(String(100), default=None)
    shipped_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    delivered_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    subtotal: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    discount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    tax: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    cost: Mapped[Decimal | None] = mapped_column(Money, default=None)
    margin: Mapped[Decimal | None] = mapped_column(Money, default=None)
    collected: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    invoiced: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    plan_open: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))  # still open on active instalments
    deleted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(default=None)


class OrderLine(LineColumns, IdMixin, TenantBase):
    __tablename__ = "order_lines"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))


class Instalment(TenantRecordMixin, TenantBase):
    """One due amount of an order's payment plan. ``status`` stores pending / partly_paid / paid / void; overdue is
    read from the due date (an open instalment past it), never stored, so it is never stale."""

    __tablename__ = "payment_instalments"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    contract_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contracts.id"), default=None)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    currency: Mapped[str] = mapped_column(String(3))
    position: Mapped[int] = mapped_column(SmallInteger)
    due_date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    collected: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    note: Mapped[str | None] = mapped_column(String(500), default=None)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    paid_on: Mapped[dt.date | None] = mapped_column(Date, default=None)  # the day it was paid in full


class Payment(TenantRecordMixin, TenantBase):
    __tablename__ = "payments"

    number: Mapped[str] = mapped_column(String(60), unique=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    instalment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payment_instalments.id"), default=None)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    currency: Mapped[str] = mapped_column(String(3))
    paid_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(String(100), default=None)
    note: Mapped[str | None] = mapped_column(String(1000), default=None)
    voided_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    voided_by: Mapped[uuid.UUID | None] = mapped_column(default=None)


class Invoice(TenantRecordMixin, TenantBase):
    __tablename__ = "invoices"

    number: Mapped[str] = mapped_column(String(60), unique=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(10), default="issued")
    issued_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    title: Mapped[str] = mapped_column(String(200))
    taxpayer_id: Mapped[str | None] = mapped_column(String(20), default=None)
    address: Mapped[str | None] = mapped_column(String(300), default=None)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    bank_name: Mapped[str | None] = mapped_column(String(200), default=None)
    bank_account: Mapped[str | None] = mapped_column(String(40), default=None)
    note: Mapped[str | None] = mapped_column(String(1000), default=None)
    voided_at: Mapped[dt.datetime | None] = mapped_column(default=None)


for _table in (Order.__table__, Instalment.__table__, Payment.__table__, Invoice.__table__):
    register_owned_table(_table)  # type: ignore[arg-type]
