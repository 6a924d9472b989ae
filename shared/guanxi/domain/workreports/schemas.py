"""What the work reports API reads and writes."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal

import msgspec

ReportKind = Literal["daily", "weekly", "monthly"]


class Figures(msgspec.Struct):
    calls: int
    visits: int
    deals_moved: int
    won_amount: Decimal
    collected_amount: Decimal
    tasks_done: int
    currency: str


class ReportIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: ReportKind
    date: dt.date  # any day of the period
    summary: str = ""
    plans: str = ""
    problems: str = ""


class CommentIn(msgspec.Struct, forbid_unknown_fields=True):
    body: str


class CommentOut(msgspec.Struct):
    id: uuid.UUID
    author_id: uuid.UUID
    author_name: str | None
    body: str
    created_at: dt.datetime


class ReportOut(msgspec.Struct):
    id: uuid.UUID | None  # none: a draft not yet submitted
    author_id: uuid.UUID
    author_name: str | None
    kind: str
    period_start: dt.date
    period_end: dt.date  # exclusive
    figures: Figures
    summary: str
    plans: str
    problems: str
    submitted_at: dt.datetime | None
    comments: list[CommentOut] = []


class ReportPage(msgspec.Struct):
    items: list[ReportOut]
    next_cursor: str | None


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Audience = Literal["everyone", "departments", "members"]


class RuleIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A submission rule. ``weekdays`` are the days a daily report is due, ``due_weekday`` the day a weekly one is,
    ``day_of_month`` the day a monthly one is (none: the month's last day; past a short month's end: its last day).
    ``deadline`` is a local time of day, HH:MM, in each member's time zone (else the workspace's)."""

    name: str
    kind: ReportKind
    audience: Audience = "everyone"
    department_ids: list[uuid.UUID] = []
    member_ids: list[uuid.UUID] = []
    weekdays: list[Weekday] = []
    due_weekday: Weekday | None = None
    day_of_month: int | None = None
    deadline: str
    remind_minutes: int = 60
    enabled: bool = True


class RuleOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    kind: str
    audience: str
    department_ids: list[uuid.UUID]
    member_ids: list[uuid.UUID]
    weekdays: list[str]
    due_weekday: str | None
    day_of_month: int | None
    deadline: str
    remind_minutes: int
    enabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class MissingMember(msgspec.Struct):
    id: uuid.UUID
    name: str
    department_id: uuid.UUID | None
    department_name: str | None


class MissingOut(msgspec.Struct):
    """Who a rule asks for this kind of report in the period, in the reader's scope, and who has not written it."""

    kind: str
    period_start: dt.date
    period_end: dt.date  # exclusive
    required: int
    submitted: int
    missing: list[MissingMember]
