"""What the contract API reads and writes."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal

import msgspec
from msgspec import UNSET, UnsetType

from guanxi.domain.products.lines import LineOut

ContractStatus = Literal["draft", "active", "expired", "terminated"]


class ContractIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One shape for create and change: a field left out is not touched, ``null`` clears it."""

    name: str | UnsetType = UNSET
    account_id: uuid.UUID | UnsetType = UNSET
    deal_id: uuid.UUID | UnsetType | None = UNSET
    customer_signatory_id: uuid.UUID | UnsetType | None = UNSET  # a contact of the account
    our_signatory_id: uuid.UUID | UnsetType | None = UNSET  # a member of the workspace
    owner_id: uuid.UUID | UnsetType = UNSET
    amount: Decimal | UnsetType = UNSET
    currency: str | UnsetType = UNSET
    start_date: dt.date | UnsetType | None = UNSET
    end_date: dt.date | UnsetType | None = UNSET
    signed_date: dt.date | UnsetType | None = UNSET
    status: Literal["draft", "active", "terminated"] | UnsetType = UNSET
    notes: str | UnsetType | None = UNSET


class FromQuoteIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A contract from an accepted quote: account, deal, amount, currency and lines are the quote's."""

    name: str | None = None
    customer_signatory_id: uuid.UUID | None = None
    our_signatory_id: uuid.UUID | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    signed_date: dt.date | None = None


class ContractOut(msgspec.Struct, omit_defaults=True):
    id: uuid.UUID
    number: str
    name: str
    quote_id: uuid.UUID | None
    account_id: uuid.UUID
    account_name: str | None
    deal_id: uuid.UUID | None
    customer_signatory_id: uuid.UUID | None
    our_signatory_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    amount: Decimal
    currency: str
    start_date: dt.date | None
    end_date: dt.date | None
    signed_date: dt.date | None
    status: ContractStatus
    notes: str | None
    reminded_for: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime
    lines: list[LineOut] | None = None


class ContractPage(msgspec.Struct, omit_defaults=True):
    items: list[ContractOut]
    next_cursor: str | None = None


class ContractSettings(msgspec.Struct, forbid_unknown_fields=True):
    reminder_days: int  # the owner hears of a contract's end this many days before it (1 to 365)
