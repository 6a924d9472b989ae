"""Grading settings, runs, manual grades, the report and the distribution, as the API reads and writes them."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

Grade = Literal["A", "B", "C", "D"]
CriterionKind = Literal["credit", "order_amount", "profit", "growth", "custom_field"]
Weight = Annotated[int, msgspec.Meta(ge=-1000, le=1000)]  # the sign is checked by name, not by the decoder


class CriterionIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: CriterionKind
    weight: Weight
    field_key: Annotated[str, msgspec.Meta(max_length=40)] | None = None  # a numeric custom field of accounts


class BandIn(msgspec.Struct, forbid_unknown_fields=True):
    grade: Grade
    share_percent: Annotated[int, msgspec.Meta(ge=-1000, le=1000)] | None = None  # percentile method
    min_score: Annotated[int, msgspec.Meta(ge=-1000, le=1000)] | None = None  # cut-off method


class GradingSettingsIn(msgspec.Struct, forbid_unknown_fields=True):
    criteria: Annotated[list[CriterionIn], msgspec.Meta(max_length=20)]
    bands: Annotated[list[BandIn], msgspec.Meta(max_length=4)]
    method: Literal["percentile", "cutoffs"] = "percentile"
    order_window_months: Literal[12, 24] = 12
    follow_up_days: dict[Grade, Annotated[int, msgspec.Meta(ge=-100000, le=100000)]] = {}
    complaint_response_days: dict[Grade, Annotated[int, msgspec.Meta(ge=-100000, le=100000)]] = {}


class GradingSettingsOut(msgspec.Struct):
    criteria: list[dict[str, Any]]
    bands: list[dict[str, Any]]
    method: str
    order_window_months: int
    follow_up_days: dict[str, int]
    complaint_response_days: dict[str, int]
    can_edit: bool = False  # whether the reader may change them (administrators)


class RunOut(msgspec.Struct):
    id: uuid.UUID
    status: str
    trigger: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    scored: int
    changed: int
    duration_ms: int | None


class LatestRun(msgspec.Struct):
    run: RunOut | None


class ManualGradeIn(msgspec.Struct, forbid_unknown_fields=True):
    grade: Grade
    reason: Annotated[str, msgspec.Meta(max_length=500)]


class GrowthScoreIn(msgspec.Struct, forbid_unknown_fields=True):
    score: Annotated[int, msgspec.Meta(ge=0, le=100)] | None


class AccountGradeOut(msgspec.Struct):
    account_id: uuid.UUID
    grade: str | None
    manual: bool
    reason: str | None
    set_by: uuid.UUID | None
    set_at: dt.datetime | None
    growth_score: int | None
    can_set: bool = False  # whether the reader may set a manual grade or growth score (managers)


class HistoryOut(msgspec.Struct):
    id: uuid.UUID
    from_grade: str | None
    to_grade: str | None
    source: str
    reason: str | None
    run_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    changed_at: dt.datetime


class ReportRow(msgspec.Struct):
    account_id: uuid.UUID
    name: str
    owner_id: uuid.UUID | None
    score: Decimal
    computed_grade: str
    grade: str | None
    previous_grade: str | None
    manual: bool
    manual_reason: str | None
    raw: dict[str, Any]
    points: dict[str, Any]


class ReportPage(msgspec.Struct):
    run: RunOut | None
    items: list[ReportRow]
    next_cursor: str | None


class Distribution(msgspec.Struct):
    counts: dict[str, int]  # grade (or "none") -> customers now
    movement: list[dict[str, Any]]  # {"from", "to", "count"} between two dates, from history
