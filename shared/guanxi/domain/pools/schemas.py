"""What the pool API reads and writes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec

RuleKind = Literal["no_follow_up", "no_open_deal", "not_won"]
Days = Annotated[int, msgspec.Meta(ge=1, le=3650)]
Count = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Grade = Annotated[str, msgspec.Meta(min_length=1, max_length=2)]


class RuleIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: RuleKind
    # Days per customer grade ("A": 30, …); "*" for every other grade and for customers not graded yet.
    days: dict[Grade, Days]


class PoolMemberIn(msgspec.Struct, forbid_unknown_fields=True):
    member_id: uuid.UUID | None = None
    department_id: uuid.UUID | None = None
    is_admin: bool = False


class PoolIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: Name
    daily_claim_limit: Count | None = None
    owned_cap: Count | None = None
    cap_counts_won: bool = True
    locked_cap: Count | None = None
    reclaim_cooldown_days: Count = 0
    warn_days: Annotated[int, msgspec.Meta(ge=0, le=365)] = 3
    recycle_won: bool = False
    recycle_with_open_deal: bool = False
    hide_contact_details: bool = True
    # Who may claim (users or departments); none but administrators listed: the whole workspace may claim.
    members: list[PoolMemberIn] = []
    rules: list[RuleIn] = []


class RuleOut(msgspec.Struct):
    kind: str
    days: dict[str, int]


class PoolMemberOut(msgspec.Struct):
    member_id: uuid.UUID | None
    department_id: uuid.UUID | None
    is_admin: bool


class PoolOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    is_default: bool
    daily_claim_limit: int | None
    owned_cap: int | None
    cap_counts_won: bool
    locked_cap: int | None
    reclaim_cooldown_days: int
    warn_days: int
    recycle_won: bool
    recycle_with_open_deal: bool
    hide_contact_details: bool
    members: list[PoolMemberOut]
    rules: list[RuleOut]
    may_manage: bool = False  # the caller may assign from it and change its settings


class PoolAccountOut(msgspec.Struct, omit_defaults=True):
    id: uuid.UUID
    name: str
    kind: str
    industry: str | None = None
    province: str | None = None
    city: str | None = None
    heat: str | None = None
    grade: str | None = None
    source: str | None = None
    tags: list[str] = []
    phone: str | None = None  # only when the pool shows contact details before a claim
    email: str | None = None
    previous_owner_id: uuid.UUID | None = None
    returned_at: dt.datetime | None = None
    return_reason: str | None = None
    last_activity_at: dt.datetime | None = None


class PoolAccountPage(msgspec.Struct, omit_defaults=True):
    items: list[PoolAccountOut]
    next_cursor: str | None = None


class ClaimIn(msgspec.Struct, forbid_unknown_fields=True):
    account_ids: list[uuid.UUID]


class AssignIn(msgspec.Struct, forbid_unknown_fields=True):
    account_ids: list[uuid.UUID]
    owner_id: uuid.UUID


class ClaimOut(msgspec.Struct):
    claimed: list[uuid.UUID]
    claims_left_today: int | None  # none when the pool has no daily limit


class LockIn(msgspec.Struct, forbid_unknown_fields=True):
    locked: bool


class ReturnOut(msgspec.Struct):
    """When an owned account goes back to its pool if nobody acts: the first rule due, and how many days are left
    (0 or less: it returns with the next nightly run)."""

    pool_id: uuid.UUID
    rule: str | None
    days_left: int | None
    locked: bool
