"""Input and output shapes of reports, the builder and saved reports."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec

Op = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "contains", "between", "is_null", "not_null"]
Grain = Literal["day", "week", "month", "quarter", "year"]
Fn = Literal["count", "sum", "avg", "min", "max"]
Chart = Literal["table", "bar", "line", "pie"]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
FieldName = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]


class FilterIn(msgspec.Struct, forbid_unknown_fields=True):
    field: FieldName
    op: Op = "eq"
    value: Any = None


class GroupIn(msgspec.Struct, forbid_unknown_fields=True):
    field: FieldName
    grain: Grain | None = None


class MeasureIn(msgspec.Struct, forbid_unknown_fields=True):
    fn: Fn = "count"
    field: FieldName | None = None


class BuilderIn(msgspec.Struct, forbid_unknown_fields=True):
    entity: FieldName
    filters: Annotated[list[FilterIn], msgspec.Meta(max_length=20)] = []
    group_by: Annotated[list[GroupIn], msgspec.Meta(min_length=1, max_length=2)] = []
    measures: Annotated[list[MeasureIn], msgspec.Meta(min_length=1, max_length=6)] = msgspec.field(
        default_factory=lambda: [MeasureIn()]
    )
    sort: Literal["group", "measure_desc", "measure_asc"] = "group"
    chart: Chart = "table"
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1000


class ColumnOut(msgspec.Struct):
    key: str
    label: str
    type: str


class TableOut(msgspec.Struct):
    title: str
    columns: list[ColumnOut]
    rows: list[list[Any]]
    chart: str
    truncated: bool
    notes: list[str]


class ParamOut(msgspec.Struct):
    name: str
    kind: str
    choices: list[str]
    default: Any


class ReportOut(msgspec.Struct):
    key: str
    title: str
    module: str
    params: list[ParamOut]


class FieldOut(msgspec.Struct):
    name: str
    type: str
    filterable: bool
    groupable: bool
    measurable: bool


class EntityOut(msgspec.Struct):
    name: str
    fields: list[FieldOut]


class SavedIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    report_key: FieldName | None = None  # a predefined report with its parameters, or
    params: dict[str, Any] = {}
    definition: BuilderIn | None = None  # a builder report
    shared_with: Literal["private", "everyone", "members"] = "private"
    member_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=200)] = []


class SavedOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    report_key: str | None
    params: dict[str, Any]
    definition: dict[str, Any] | None
    shared_with: str
    member_ids: list[uuid.UUID]
    owner_id: uuid.UUID | None
    mine: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class RecipientIn(msgspec.Struct, forbid_unknown_fields=True):
    member_id: uuid.UUID
    timezone: Annotated[str, msgspec.Meta(max_length=64)] | None = None  # none: the member's, else the workspace's


class ScheduleIn(msgspec.Struct, forbid_unknown_fields=True):
    frequency: Literal["daily", "weekly", "monthly"]
    hour: Annotated[int, msgspec.Meta(ge=0, le=23)] = 8
    weekday: Annotated[int, msgspec.Meta(ge=0, le=6)] | None = None  # weekly: 0 = Monday
    day_of_month: Annotated[int, msgspec.Meta(ge=1, le=28)] | None = None  # monthly
    formats: Annotated[list[Literal["csv", "xlsx", "pdf"]], msgspec.Meta(min_length=1, max_length=3)] = msgspec.field(
        default_factory=lambda: ["xlsx"]
    )
    recipients: Annotated[list[RecipientIn], msgspec.Meta(min_length=1, max_length=50)] = msgspec.field(
        default_factory=list
    )


class RecipientOut(msgspec.Struct):
    member_id: uuid.UUID
    timezone: str | None


class ScheduleOut(msgspec.Struct):
    id: uuid.UUID
    saved_report_id: uuid.UUID
    frequency: str
    hour: int
    weekday: int | None
    day_of_month: int | None
    formats: list[str]
    recipients: list[RecipientOut]
    owner_id: uuid.UUID | None
