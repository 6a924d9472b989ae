"""What the notification centre API reads and writes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

import msgspec

Email = Literal["none", "instant", "digest"]


class NotificationOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    title: str
    body: str
    link: str | None
    params: dict[str, Any]
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(msgspec.Struct):
    items: list[NotificationOut]
    next_cursor: str | None


class UnreadCount(msgspec.Struct):
    unread: int


class ReadAllOut(msgspec.Struct):
    marked: int


class PreferenceOut(msgspec.Struct):
    kind: str
    in_app: bool
    email: str


class PreferenceIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: str
    in_app: bool
    email: Email


class PreferencesIn(msgspec.Struct, forbid_unknown_fields=True):
    """The kinds named change; the others keep the member's earlier choice or the kind's default."""

    items: list[PreferenceIn]
