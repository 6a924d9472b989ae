"""What the deal and pipeline APIs read and write."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from guanxi.domain.products.lines import LineIn, LineOut, TotalsOut

Outcome = Literal["open", "won", "lost"]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class StageIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    probability: Decimal  # win probability in percent, 0 to 100
    outcome: Outcome = "open"
    id: uuid.UUID | None = None  # an existing stage kept (renamed, moved); none: a new stage


class PipelineIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    stages: list[StageIn]
    is_default: bool = False


class LossReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    active: bool = True


class LossReasonOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    active: bool
    position: int


class DealIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One shape for create and change: a field left out is not touched, ``null`` clears it."""

    name: str | UnsetType = UNSET
    account_id: uuid.UUID | UnsetType = UNSET
    contact_id: uuid.UUID | UnsetType | None = UNSET
    pipeline_id: uuid.UUID | UnsetType = UNSET
    stage_id: uuid.UUID | UnsetType = UNSET
    amount: Decimal | UnsetType = UNSET
    currency: str | UnsetType = UNSET
    probability: Decimal | UnsetType | None = UNSET
    expected_close_date: dt.date | UnsetType | None = UNSET
    owner_id: uuid.UUID | UnsetType = UNSET
    competitors: list[str] | UnsetType = UNSET
    description: str | UnsetType | None = UNSET


class MoveIn(msgspec.Struct, forbid_unknown_fields=True):
    """Move a deal to another stage of its pipeline; a lost stage needs the reason."""

    stage_id: uuid.UUID
    loss_reason_id: uuid.UUID | None = None
    loss_note: str | None = None


class DealOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    account_id: uuid.UUID
    contact_id: uuid.UUID | None
    pipeline_id: uuid.UUID
    stage_id: uuid.UUID
    status: str
    amount: Decimal
    currency: str
    probability: Decimal | None
    expected_close_date: dt.date | None
    owner_id: uuid.UUID | None
    competitors: list[str]
    description: str | None
    loss_reason_id: uuid.UUID | None
    loss_note: str | None
    stage_entered_at: dt.datetime
    closed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    account_name: str | None = None
    stage_probability: Decimal | None = None  # the stage's win probability, when the deal has none of its own


class DealPage(msgspec.Struct, omit_defaults=True):
    items: list[DealOut]
    next_cursor: str | None = None


class BoardColumn(msgspec.Struct):
    """One stage of the kanban: how many deals, their amount and weighted amount, and the first cards."""

    stage_id: uuid.UUID
    name: str
    outcome: str
    probability: Decimal
    count: int
    amounts: dict[str, Decimal]  # currency -> total: deals in several currencies are not added up
    weighted: dict[str, Decimal]  # currency -> amount x win probability
    deals: list[DealOut]
    more: bool  # more deals than shown: page through /deals?stage_id=


class BoardOut(msgspec.Struct):
    pipeline_id: uuid.UUID
    name: str
    columns: list[BoardColumn]


class StageChangeOut(msgspec.Struct):
    from_stage_id: uuid.UUID | None
    to_stage_id: uuid.UUID
    amount: Decimal
    seconds_in_previous: int | None
    actor_id: uuid.UUID | None
    changed_at: dt.datetime


class DealLinesIn(msgspec.Struct, forbid_unknown_fields=True):
    """The deal's products, replaced whole; prices left out come from ``price_list_id`` in the deal's currency."""

    lines: list[LineIn]
    price_list_id: uuid.UUID | None = None


class DealLinesOut(msgspec.Struct):
    deal_id: uuid.UUID
    currency: str
    amount: Decimal
    lines: list[LineOut]
    totals: TotalsOut
