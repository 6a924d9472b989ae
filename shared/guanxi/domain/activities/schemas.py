"""Shapes of activities, the timeline and the calendar."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

Kind = Literal["call", "meeting", "visit", "email", "note", "task"]
Direction = Literal["inbound", "outbound"]


class ActivityIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    kind: Kind | UnsetType = UNSET
    account_id: uuid.UUID | UnsetType = UNSET
    lead_id: uuid.UUID | UnsetType = UNSET  # an activity on a lead, instead of an account
    contact_id: uuid.UUID | UnsetType | None = UNSET
    subject: str | UnsetType = UNSET
    body: str | UnsetType | None = UNSET
    occurred_at: dt.datetime | UnsetType = UNSET
    due_at: dt.datetime | UnsetType | None = UNSET
    ends_at: dt.datetime | UnsetType | None = UNSET
    reminder_at: dt.datetime | UnsetType | None = UNSET
    duration_seconds: int | UnsetType | None = UNSET
    direction: Direction | UnsetType | None = UNSET
    outcome: str | UnsetType | None = UNSET
    location: str | UnsetType | None = UNSET
    owner_id: uuid.UUID | UnsetType = UNSET  # the assignee of a task; defaults to you


class ActivityOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    account_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    subject: str
    body: str | None
    occurred_at: dt.datetime
    due_at: dt.datetime | None
    ends_at: dt.datetime | None
    reminder_at: dt.datetime | None
    done_at: dt.datetime | None
    duration_seconds: int | None
    direction: str | None
    outcome: str | None
    location: str | None
    owner_id: uuid.UUID | None
    created_at: dt.datetime
    created_by: uuid.UUID | None
    lead_id: uuid.UUID | None = None


class ActivityPage(msgspec.Struct, omit_defaults=True):
    items: list[ActivityOut]
    next_cursor: str | None = None


class FileBrief(msgspec.Struct):
    """A file of an activity (a call's recording), enough to link its download."""

    id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int


class TimelineItem(msgspec.Struct, omit_defaults=True):
    type: Literal["activity", "change"]
    id: uuid.UUID
    at: dt.datetime
    activity: ActivityOut | None = None
    action: str | None = None  # a change: created | updated | deleted | restored | merged
    actor_id: uuid.UUID | None = None
    record_type: str | None = None
    record_id: uuid.UUID | None = None
    changes: dict[str, Any] | None = None
    files: list[FileBrief] = []  # an activity's files, oldest first
    record_name: str | None = None  # a deal's change: the deal's name
    names: dict[str, str] = {}  # ids in ``changes`` (a deal's stages, loss reasons) -> their names


class TimelinePage(msgspec.Struct, omit_defaults=True):
    items: list[TimelineItem]
    next_cursor: str | None = None


class CalendarPerson(msgspec.Struct):
    id: uuid.UUID
    name: str
    department_id: uuid.UUID | None


class CalendarDepartment(msgspec.Struct):
    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None


class CalendarPeople(msgspec.Struct):
    """Whose calendars the caller may open: colleagues in their data scope and the departments they sit in."""

    members: list[CalendarPerson]
    departments: list[CalendarDepartment]
