"""An import of a customer file: what was uploaded, how its columns map, and how far it got."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import TenantBase, TenantRecordMixin


class Import(TenantRecordMixin, TenantBase):
    __tablename__ = "imports"

    module: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(10))
    encoding: Mapped[str | None] = mapped_column(String(40), default=None)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    header: Mapped[list[str]] = mapped_column(JSONB, default=list)
    preview: Mapped[list[list[str]]] = mapped_column(JSONB, default=list)
    mapping: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    duplicates: Mapped[str] = mapped_column(String(10), default="skip")
    pool_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pools.id"), default=None)  # accounts: unowned, here
    status: Mapped[str] = mapped_column(String(20), default="uploaded")
    total_rows: Mapped[int | None] = mapped_column(default=None)
    processed_rows: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    failure: Mapped[str | None] = mapped_column(Text, default=None)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    undone_at: Mapped[dt.datetime | None] = mapped_column(default=None)
