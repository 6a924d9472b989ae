"""Shapes of imports."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

import msgspec


class MappingIn(msgspec.Struct, forbid_unknown_fields=True):
    mapping: dict[str, str | None]  # column index ("0", "1", …) -> field, or null to leave the column out
    duplicates: Literal["skip", "update", "create"] = "skip"
    pool_id: uuid.UUID | None = None  # accounts only: import them into this customer pool, without an owner


class ImportOut(msgspec.Struct):
    id: uuid.UUID
    module: str
    filename: str
    format: str
    encoding: str | None
    size_bytes: int
    header: list[str]
    preview: list[list[str]]
    mapping: dict[str, str]
    fields: list[str]  # what a column can be imported as
    labels: dict[str, str]  # custom.<key> -> the custom field's label, for showing people
    duplicates: str
    status: str  # uploaded | queued | running | done | failed | undoing | undone
    total_rows: int | None
    processed_rows: int
    created_count: int
    updated_count: int
    skipped_count: int
    error_count: int
    problems: list[dict[str, Any]]  # the first 1,000: row, column, field, message
    failure: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    undone_at: dt.datetime | None
    pool_id: uuid.UUID | None = None
