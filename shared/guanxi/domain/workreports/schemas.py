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
