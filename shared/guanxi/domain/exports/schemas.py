"""Shapes of exports: what a list export is asked with, and how far it got."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec

from guanxi.domain.customers.schemas import BulkFilter

Entity = Literal["accounts", "contacts"]
Format = Literal["csv", "xlsx"]
MAX_COLUMNS = 60  # as many as a saved view may have
Column = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]


class ExportIn(msgspec.Struct, forbid_unknown_fields=True):
    """The list as its page asks for it: the same filters and sort, the columns of a saved view (or chosen
    here), or a saved view by id with the request's own filters over the view's."""

    entity: Entity
    format: Format = "xlsx"
    filters: BulkFilter = msgspec.field(default_factory=BulkFilter)
    sort: Annotated[str, msgspec.Meta(max_length=50)] | None = None
    columns: Annotated[list[Column], msgspec.Meta(max_length=MAX_COLUMNS)] | None = None
    view_id: uuid.UUID | None = None


class ExportOut(msgspec.Struct):
    id: uuid.UUID
    entity: str
    format: str
    status: str  # queued | running | done | failed | expired
    request: dict[str, Any]  # filters, sort, columns and view_id as asked (the view resolved)
    total_rows: int | None  # counted when the job starts
    row_count: int  # rows written so far
    progress: int  # per cent
    filename: str
    size_bytes: int | None
    failure: str | None
    requested_by: uuid.UUID
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    expires_at: dt.datetime | None  # the file is deleted then
    download_url: str | None  # while the file is there
