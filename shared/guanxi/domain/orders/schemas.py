"""What the order, payment and invoice APIs read and write."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal

import msgspec
from msgspec import UNSET, UnsetType

from guanxi.domain.products.lines import LineIn, LineOut, TotalsOut

OrderStatus = Literal["confirmed", "shipped", "delivered", "cancelled"]
Method = Literal["bank_transfer", "cash", "alipay", "wechat_pay", "cheque", "card", "other"]
InvoiceKind = Literal["vat_normal", "vat_special", "generic"]


class OrderIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    account_id: uuid.UUID
    lines: list[LineIn]
    contact_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None
    contract_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    currency: str | None = None  # none: the price list's, else the workspace's
    price_list_id: uuid.UUID | None = None
    order_date: dt.date | None = None  # none: today in the workspace's time zone
    note: str | None = None


class OrderChangeIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A field left out is not touched, ``null`` clears it. Lines and amounts do not change after confirming."""

    contact_id: uuid.UUID | UnsetType | None = UNSET
    owner_id: uuid.UUID | UnsetType = UNSET
    carrier: str | UnsetType | None = UNSET
    tracking_number: str | UnsetType | None = UNSET
    note: str | UnsetType | None = UNSET


class StatusIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Move an order on: confirmed → shipped → delivered; cancelled from confirmed or shipped."""

    status: OrderStatus
    on: dt.date | None = None  # the shipping or delivery date; none: today
    carrier: str | None = None
    tracking_number: str | None = None


class OrderOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    number: str
    account_id: uuid.UUID
    account_name: str | None
    contact_id: uuid.UUID | None
    deal_id: uuid.UUID | None
    contract_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    currency: str
    price_list_id: uuid.UUID | None
    order_date: dt.date
    status: str
    carrier: str | None
    tracking_number: str | None
    shipped_on: dt.date | None
    delivered_on: dt.date | None
    cancelled_at: dt.datetime | None
    note: str | None
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    cost: Decimal | None
    margin: Decimal | None
    collected: Decimal
    invoiced: Decimal
    open_amount: Decimal
    created_at: dt.datetime
    updated_at: dt.datetime


class OrderPage(msgspec.Struct, omit_defaults=True):
    items: list[OrderOut]
    next_cursor: str | None = None


class InstalmentIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    due_date: dt.date
    amount: Decimal
    note: str | None = None


class InstalmentOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    order_id: uuid.UUID
    position: int
    due_date: dt.date
    amount: Decimal
    collected: Decimal
    open_amount: Decimal
    status: str  # pending | partly_paid | paid | overdue | void
    currency: str
    note: str | None
    paid_on: dt.date | None = None  # the day it was paid in full


class DueOut(InstalmentOut, kw_only=True):
    order_number: str
    account_name: str


class DuePage(msgspec.Struct, omit_defaults=True):
    items: list[DueOut]
    next_cursor: str | None = None


class PaymentIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    amount: Decimal
    method: Method
    instalment_id: uuid.UUID | None = None  # none: against the part of the order no instalment plans
    paid_on: dt.date | None = None  # none: today
    reference: str | None = None
    note: str | None = None


class PaymentOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    number: str
    order_id: uuid.UUID
    instalment_id: uuid.UUID | None
    paid_on: dt.date
    amount: Decimal
    currency: str
    method: str
    reference: str | None
    note: str | None
    voided_at: dt.datetime | None
    created_at: dt.datetime


class BillingIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The buyer's billing details (开票信息): 抬头, 税号, address and phone, bank and account."""

    title: str
    taxpayer_id: str | None = None
    address: str | None = None
    phone: str | None = None
    bank_name: str | None = None
    bank_account: str | None = None


class InvoiceIn(BillingIn, forbid_unknown_fields=True, kw_only=True):
    amount: Decimal
    kind: InvoiceKind = "vat_normal"
    issued_on: dt.date | None = None
    note: str | None = None


class InvoiceOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    number: str
    order_id: uuid.UUID
    kind: str
    status: str
    issued_on: dt.date
    amount: Decimal
    currency: str
    title: str
    taxpayer_id: str | None
    address: str | None
    phone: str | None
    bank_name: str | None
    bank_account: str | None
    note: str | None
    voided_at: dt.datetime | None


class OrderDetail(msgspec.Struct, kw_only=True):
    """The order page: the order, its lines with the margin, the payment plan, payments and invoices."""

    order: OrderOut
    lines: list[LineOut]
    totals: TotalsOut
    instalments: list[InstalmentOut]
    payments: list[PaymentOut]
    invoices: list[InvoiceOut]


class AgeingOut(msgspec.Struct, kw_only=True):
    currency: str
    not_due: Decimal
    days_1_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    over_90: Decimal
    total: Decimal


class ReceivableRow(msgspec.Struct, kw_only=True):
    key: uuid.UUID | None  # the account (by customer) or the owner (by rep)
    name: str | None
    ageing: list[AgeingOut]  # one per currency


class ReceivablePage(msgspec.Struct, omit_defaults=True):
    items: list[ReceivableRow]
    totals: list[AgeingOut]
    next_cursor: str | None = None
