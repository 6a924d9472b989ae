"""Input and output shapes of accounts and contacts.

One input shape serves create and update: a field left out is not touched (``UNSET``), ``null`` clears it.
Outputs leave out the fields the caller's role may not see, so every restrictable field is optional.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

Kind = Literal["company", "individual"]
Heat = Literal["hot", "warm", "cold"]
Stage = Literal["prospect", "customer", "former_customer"]
Rating = Literal["high", "medium", "low"]
Size = Literal["1-10", "11-50", "51-200", "201-1000", "1000+"]
Grade = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{1,2}$")]  # A, B, C … as the grade bands name them
Channel = Literal["phone", "email", "wechat", "whatsapp", "line", "sms", "visit"]


class AccountIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: str | UnsetType = UNSET
    kind: Kind | UnsetType = UNSET
    tags: list[str] | UnsetType = UNSET
    heat: Heat | UnsetType | None = UNSET
    source: str | UnsetType | None = UNSET
    industry: str | UnsetType | None = UNSET
    country: str | UnsetType | None = UNSET
    province: str | UnsetType | None = UNSET
    city: str | UnsetType | None = UNSET
    address: str | UnsetType | None = UNSET
    size: Size | UnsetType | None = UNSET
    website: str | UnsetType | None = UNSET
    phone: str | UnsetType | None = UNSET
    email: str | UnsetType | None = UNSET
    owner_id: uuid.UUID | UnsetType = UNSET
    value_rating: Rating | UnsetType | None = UNSET
    credit_limit: Decimal | UnsetType | None = UNSET
    payment_terms_days: int | UnsetType | None = UNSET
    lifecycle_stage: Stage | UnsetType = UNSET
    birthday: dt.date | UnsetType | None = UNSET
    age: int | UnsetType | None = UNSET
    job_title: str | UnsetType | None = UNSET
    grade: Grade | UnsetType | None = UNSET  # set by hand until the grading computes it
    custom: dict[str, Any] | UnsetType = UNSET  # custom field key -> value; null removes a value


class DuplicateOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    city: str | None
    reasons: list[str]  # email | phone | name


class AccountOut(msgspec.Struct, omit_defaults=True):
    id: uuid.UUID
    name: str
    kind: str
    lifecycle_stage: str
    owner_id: uuid.UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime
    tags: list[str] | UnsetType = UNSET
    heat: str | UnsetType | None = UNSET
    source: str | UnsetType | None = UNSET
    industry: str | UnsetType | None = UNSET
    country: str | UnsetType | None = UNSET
    province: str | UnsetType | None = UNSET
    city: str | UnsetType | None = UNSET
    address: str | UnsetType | None = UNSET
    size: str | UnsetType | None = UNSET
    website: str | UnsetType | None = UNSET
    phone: str | UnsetType | None = UNSET
    email: str | UnsetType | None = UNSET
    value_rating: str | UnsetType | None = UNSET
    credit_limit: Decimal | UnsetType | None = UNSET
    payment_terms_days: int | UnsetType | None = UNSET
    birthday: dt.date | UnsetType | None = UNSET
    age: int | UnsetType | None = UNSET
    job_title: str | UnsetType | None = UNSET
    last_activity_at: dt.datetime | None = None
    deleted_at: dt.datetime | None = None
    grade: str | None = None
    # The customer pool: the home pool (none: the default one), kept from recycling, when the owner took it,
    # and the last return (from whom, why).
    pool_id: uuid.UUID | None = None
    locked: bool = False
    claimed_at: dt.datetime | None = None
    returned_at: dt.datetime | None = None
    previous_owner_id: uuid.UUID | None = None
    return_reason: str | None = None
    custom: dict[str, Any] = {}
    possible_duplicates: list[DuplicateOut] | None = None  # on create: accounts this one may duplicate


class MergeIn(msgspec.Struct, forbid_unknown_fields=True):
    merge_ids: list[uuid.UUID]


class AccountPage(msgspec.Struct, omit_defaults=True):
    items: list[AccountOut]
    next_cursor: str | None = None
    total: int | None = None  # on the first page only; counted up to ``total_capped_at``
    total_capped_at: int | None = None


class ContactIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    account_id: uuid.UUID | UnsetType = UNSET
    name: str | UnsetType = UNSET
    family_name: str | UnsetType | None = UNSET
    given_name: str | UnsetType | None = UNSET
    title: str | UnsetType | None = UNSET
    phones: list[str] | UnsetType = UNSET
    emails: list[str] | UnsetType = UNSET
    wechat: str | UnsetType | None = UNSET
    whatsapp: str | UnsetType | None = UNSET
    line: str | UnsetType | None = UNSET
    preferred_channel: Channel | UnsetType | None = UNSET
    marketing_consent: bool | UnsetType = UNSET
    is_primary: bool | UnsetType = UNSET
    owner_id: uuid.UUID | UnsetType = UNSET
    custom: dict[str, Any] | UnsetType = UNSET


class ContactOut(msgspec.Struct, omit_defaults=True):
    id: uuid.UUID
    account_id: uuid.UUID
    name: str
    family_name: str | None
    given_name: str | None
    is_primary: bool
    owner_id: uuid.UUID | None
    preferred_channel: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    title: str | UnsetType | None = UNSET
    phones: list[str] | UnsetType = UNSET
    emails: list[str] | UnsetType = UNSET
    wechat: str | UnsetType | None = UNSET
    whatsapp: str | UnsetType | None = UNSET
    line: str | UnsetType | None = UNSET
    marketing_consent: bool | UnsetType = UNSET
    consent_changed_at: dt.datetime | None = None
    deleted_at: dt.datetime | None = None
    custom: dict[str, Any] = {}
    possible_duplicates: list[DuplicateOut] | None = None  # on create: contacts this one may duplicate
    account_name: str | None = None  # the account's name, so that a list of contacts needs nothing more


class ContactPage(msgspec.Struct, omit_defaults=True):
    items: list[ContactOut]
    next_cursor: str | None = None
    total: int | None = None
    total_capped_at: int | None = None


class CollaboratorIn(msgspec.Struct, forbid_unknown_fields=True):
    access: Literal["read", "write"] = "read"
    expires_at: dt.datetime | None = None


class CollaboratorOut(msgspec.Struct):
    member_id: uuid.UUID
    name: str
    access: str
    expires_at: dt.datetime | None


class ChangeOut(msgspec.Struct):
    id: uuid.UUID
    occurred_at: dt.datetime
    actor_id: uuid.UUID | None
    action: str
    changes: dict[str, list[object]]


class SearchHit(msgspec.Struct):
    type: Literal["account", "contact"]
    id: uuid.UUID
    title: str
    subtitle: str | None
    matched_field: str
    matched_value: str
    account_id: uuid.UUID | None = None


class BulkFilter(msgspec.Struct, forbid_unknown_fields=True):
    """The same filters as the list: the whole filtered list, not only what one page shows."""

    owner_id: uuid.UUID | None = None
    tag: str | None = None
    heat: Heat | None = None
    lifecycle_stage: Stage | None = None
    kind: Kind | None = None
    city: str | None = None
    account_id: uuid.UUID | None = None
    q: str | None = None
    custom: dict[str, str] = {}


class BulkIn(msgspec.Struct, forbid_unknown_fields=True):
    action: Literal["change_owner", "add_tags", "remove_tags", "delete", "move_to_pool"]
    ids: list[uuid.UUID] | None = None
    filter: BulkFilter | None = None
    owner_id: uuid.UUID | None = None
    tags: list[str] | None = None
    pool_id: uuid.UUID | None = None  # move_to_pool: this pool (none: each account's home pool)
    reason: str | None = None  # move_to_pool: why, shown in the pool and the timeline


class BulkOut(msgspec.Struct):
    changed: int
    remaining: bool  # more records match: send the same request again
