"""What the lead APIs read and write."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal

import msgspec
from msgspec import UNSET, UnsetType

Status = Literal["new", "contacted", "qualified", "unqualified", "converted"]
Channel = Literal["api", "form", "import", "manual"]


class LeadIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One shape for create and change: a field left out is not touched, ``null`` clears it. Creating without an
    ``owner_id`` lets the assignment rules choose (or the lead pool); ``owner_id: null`` puts it in the pool."""

    name: str | UnsetType | None = UNSET
    company: str | UnsetType | None = UNSET
    title: str | UnsetType | None = UNSET
    phone: str | UnsetType | None = UNSET
    email: str | UnsetType | None = UNSET
    source: str | UnsetType | None = UNSET
    region: str | UnsetType | None = UNSET
    industry: str | UnsetType | None = UNSET
    employees: int | UnsetType | None = UNSET
    estimated_value: Decimal | UnsetType | None = UNSET
    currency: str | UnsetType | None = UNSET
    tags: list[str] | UnsetType = UNSET
    description: str | UnsetType | None = UNSET
    status: Status | UnsetType = UNSET
    qualification_note: str | UnsetType | None = UNSET
    disqualify_reason: str | UnsetType | None = UNSET
    owner_id: uuid.UUID | UnsetType | None = UNSET


class LeadOut(msgspec.Struct):
    id: uuid.UUID
    name: str | None
    company: str | None
    title: str | None
    phone: str | None
    email: str | None
    source: str | None
    region: str | None
    industry: str | None
    employees: int | None
    estimated_value: Decimal | None
    currency: str | None
    tags: list[str]
    description: str | None
    status: str
    qualification_note: str | None
    disqualify_reason: str | None
    captured_via: str
    owner_id: uuid.UUID | None
    account_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    deal_id: uuid.UUID | None
    converted_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: uuid.UUID | None


class LeadPage(msgspec.Struct, omit_defaults=True):
    items: list[LeadOut]
    next_cursor: str | None = None


class AssignIn(msgspec.Struct, forbid_unknown_fields=True):
    owner_id: uuid.UUID


class ConvertDeal(msgspec.Struct, forbid_unknown_fields=True):
    name: str | None = None  # default: the company's (or person's) name
    amount: Decimal | None = None  # default: the lead's estimated value
    currency: str | None = None
    pipeline_id: uuid.UUID | None = None


class ConvertIn(msgspec.Struct, forbid_unknown_fields=True):
    """Make the lead an account (or join an existing one), a contact on it, and optionally a deal."""

    account_id: uuid.UUID | None = None  # an existing account to add the contact to, instead of a new one
    deal: ConvertDeal | None = None
    allow_duplicate: bool = False  # create the account even if it looks like an existing one


class ConvertOut(msgspec.Struct):
    lead: LeadOut
    account_id: uuid.UUID
    contact_id: uuid.UUID
    deal_id: uuid.UUID | None


class RuleIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    sources: list[str] = []
    regions: list[str] = []
    min_employees: int | None = None
    max_employees: int | None = None
    member_ids: list[uuid.UUID] = []
    department_id: uuid.UUID | None = None
    active: bool = True


class RuleOut(msgspec.Struct):
    id: uuid.UUID
    position: int
    name: str
    sources: list[str]
    regions: list[str]
    min_employees: int | None
    max_employees: int | None
    member_ids: list[uuid.UUID]
    department_id: uuid.UUID | None
    active: bool


FormField = Literal["name", "company", "title", "phone", "email", "region", "industry", "employees", "description"]


class FormFieldIn(msgspec.Struct, forbid_unknown_fields=True):
    field: FormField
    label: str | None = None  # none: the field's usual name in the visitor's language
    required: bool = False


class FormIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    fields: list[FormFieldIn]
    source: str | None = None
    thank_you: str | None = None
    active: bool = True


class FormFieldOut(msgspec.Struct):
    field: str
    label: str | None
    required: bool


class FormOut(msgspec.Struct):
    id: uuid.UUID
    key: str
    slug: str  # the workspace's: the public address is /f/{slug}/{key}
    name: str
    fields: list[FormFieldOut]
    source: str | None
    thank_you: str | None
    active: bool


class PublicFormOut(msgspec.Struct):
    """What a visitor's page needs: the fields and a token that must be at least a few seconds old when posted."""

    name: str
    fields: list[FormFieldOut]
    thank_you: str | None
    token: str


class SubmissionIn(msgspec.Struct, forbid_unknown_fields=True):
    values: dict[str, str]  # field -> what the visitor typed
    token: str
    website: str = ""  # the honeypot: hidden from people, filled by bots
