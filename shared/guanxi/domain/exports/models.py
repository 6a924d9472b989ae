"""An export of a list to a file, written in the background: who asked, with what, how far, where the file is."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import IdMixin, TenantBase, TimestampsMixin


class Export(IdMixin, TimestampsMixin, TenantBase):
    __tablename__ = "exports"

    entity: Mapped[str] = mapped_column(String(20))  # accounts | contacts
    format: Mapped[str] = mapped_column(String(10))  # csv | xlsx
    request: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)  # filters, sort, columns, view_id
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued | running | done | failed | expired
    total_rows: Mapped[int | None] = mapped_column(default=None)
    row_count: Mapped[int] = mapped_column(default=0)
    file_key: Mapped[str | None] = mapped_column(String(300), default=None)
    filename: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, default=None)
    failure: Mapped[str | None] = mapped_column(Text, default=None)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_by: Mapped[uuid.UUID]  # the member who asked: the file holds what they may see
