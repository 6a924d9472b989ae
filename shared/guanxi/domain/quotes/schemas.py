"""What the quote and print-template APIs read and write."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal

import msgspec
from msgspec import UNSET, UnsetType

from guanxi.domain.products.lines import LineIn, LineOut, TotalsOut

QuoteStatus = Literal["draft", "sent", "accepted", "rejected", "expired"]
Column = Literal["sku", "description", "unit", "quantity", "unit_price", "discount", "tax", "amount"]
Language = Literal["en", "zh-Hans", "zh-Hant"]


class QuoteIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One shape for create and change: a field left out is not touched, ``null`` clears it; ``lines`` given are
    the quote's lines from now on (replaced whole)."""

    account_id: uuid.UUID | UnsetType = UNSET
    contact_id: uuid.UUID | UnsetType | None = UNSET
    deal_id: uuid.UUID | UnsetType | None = UNSET
    owner_id: uuid.UUID | UnsetType = UNSET
    currency: str | UnsetType = UNSET
    price_list_id: uuid.UUID | UnsetType | None = UNSET
    template_id: uuid.UUID | UnsetType | None = UNSET
    valid_until: dt.date | UnsetType | None = UNSET
    terms: str | UnsetType | None = UNSET
    notes: str | UnsetType | None = UNSET
    lines: list[LineIn] | UnsetType = UNSET


class AcceptIn(msgspec.Struct, forbid_unknown_fields=True):
    mark_deal_won: bool = True  # the quote's deal (if open) moves to its pipeline's won stage


class RejectIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: str


class SendIn(msgspec.Struct, forbid_unknown_fields=True):
    """Mail the quote as PDF: to ``to`` or else the quote's contact's email, with ``message`` above it."""

    to: str | None = None
    message: str | None = None


class SendOut(msgspec.Struct):
    quote_id: uuid.UUID
    to: str
    queued: bool


class QuoteOut(msgspec.Struct, omit_defaults=True):
    id: uuid.UUID
    number: str
    account_id: uuid.UUID
    account_name: str | None
    contact_id: uuid.UUID | None
    deal_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    currency: str
    price_list_id: uuid.UUID | None
    template_id: uuid.UUID | None
    status: QuoteStatus
    valid_until: dt.date | None
    terms: str | None
    notes: str | None
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    sent_at: dt.datetime | None
    sent_to: str | None
    decided_at: dt.datetime | None
    rejection_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    lines: list[LineOut] | None = None  # on one quote; lists leave them out
    totals: TotalsOut | None = None  # with cost and margin, on one quote


class QuotePage(msgspec.Struct, omit_defaults=True):
    items: list[QuoteOut]
    next_cursor: str | None = None


class TemplateIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    language: Language = "en"
    is_default: bool = False
    company_name: str = ""
    address: str = ""
    accent_color: str = "#1d4ed8"
    title: str = ""
    footer: str = ""
    columns: list[Column] = msgspec.field(
        default_factory=lambda: ["description", "quantity", "unit_price", "discount", "tax", "amount"]
    )
    logo_base64: str | None = None  # PNG or JPEG, up to 512 KB; left out: none


class TemplateOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    language: str
    is_default: bool
    company_name: str
    address: str
    accent_color: str
    title: str
    footer: str
    columns: list[str]
    has_logo: bool
