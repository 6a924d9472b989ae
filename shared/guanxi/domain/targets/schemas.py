"""What the target, forecast and leaderboard APIs read and write."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Literal

import msgspec

Metric = Literal["won", "collected"]
SubjectType = Literal["company", "department", "member"]


class TargetIn(msgspec.Struct, forbid_unknown_fields=True):
    subject_type: SubjectType
    amount: Decimal | None  # none removes the target
    subject_id: uuid.UUID | None = None


class TargetsIn(msgspec.Struct, forbid_unknown_fields=True):
    """Set several targets of one period and metric at once; the ones not named stay as they are."""

    period: str
    metric: Metric
    items: list[TargetIn]


class SplitIn(msgspec.Struct, forbid_unknown_fields=True):
    """Share a target evenly among the direct parts of its subject: a department's sub-departments and members;
    the company's top departments and the members without one."""

    period: str
    metric: Metric
    subject_type: Literal["company", "department"]
    subject_id: uuid.UUID | None = None


class ProgressRow(msgspec.Struct):
    subject_type: str
    subject_id: uuid.UUID | None
    name: str
    parent_id: uuid.UUID | None  # the department it belongs to; none for the company and top departments
    depth: int
    target: Decimal | None
    won: Decimal
    won_count: int
    achieved: Decimal  # won or collected, as the metric says
    gap: Decimal | None  # what is left to reach the target; negative when beyond it
    percent: Decimal | None
    collected: Decimal | None = None
    outstanding: Decimal | None = None


class ProgressOut(msgspec.Struct):
    period: str
    metric: str
    start: str
    end: str  # exclusive
    currency: str
    elapsed_percent: Decimal  # how much of the period has passed, to compare with each row's percent
    rows: list[ProgressRow]
    can_edit: bool


class ForecastMonth(msgspec.Struct):
    month: str  # 2027-03, "overdue" (expected before this month, still open) or "none" (no date)
    currency: str
    count: int
    total: Decimal
    weighted: Decimal


class LeaderRow(msgspec.Struct):
    rank: int
    member_id: uuid.UUID
    name: str
    amount: Decimal
    count: int
    target: Decimal | None
    percent: Decimal | None
