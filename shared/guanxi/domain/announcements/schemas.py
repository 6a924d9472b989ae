"""What the announcements API reads and writes."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec


class AnnouncementIn(msgspec.Struct, forbid_unknown_fields=True):
    title: str
    body: str = ""
    department_ids: list[uuid.UUID] = []  # none: everyone
    pinned: bool = False


class AnnouncementOut(msgspec.Struct):
    id: uuid.UUID
    title: str
    body: str
    department_ids: list[uuid.UUID]
    pinned: bool
    author_id: uuid.UUID
    author_name: str | None
    published_at: dt.datetime
    read: bool


class AnnouncementPage(msgspec.Struct):
    items: list[AnnouncementOut]
    next_cursor: str | None


class Reader(msgspec.Struct):
    id: uuid.UUID
    name: str
    read_at: dt.datetime | None


class Receipts(msgspec.Struct):
    read_count: int
    unread_count: int
    read: list[Reader]
    unread: list[Reader]
