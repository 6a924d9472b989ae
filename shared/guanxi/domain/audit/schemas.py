"""The audit log as the API sends it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec


class AuditOut(msgspec.Struct):
    id: uuid.UUID
    occurred_at: dt.datetime
    actor_id: uuid.UUID | None
    actor_kind: str
    action: str
    target_type: str | None
    target_id: str | None
    ip: str | None
    detail: dict[str, Any] = {}


class AuditPage(msgspec.Struct):
    items: list[AuditOut]
    next_cursor: str | None = None
