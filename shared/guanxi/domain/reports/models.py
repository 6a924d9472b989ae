"""Saved reports: a predefined report with its parameters or a builder definition, owned by a member and shared
with no one, everyone or chosen members. Running one always uses the reader's scope, never the author's."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import TenantBase, TenantRecordMixin


class SavedReport(TenantRecordMixin, TenantBase):
    __tablename__ = "saved_reports"

    name: Mapped[str] = mapped_column(String(200))
    report_key: Mapped[str | None] = mapped_column(String(60), default=None)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    definition: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True), default=None)
    shared_with: Mapped[str] = mapped_column(String(10), default="private")  # private | everyone | members
    member_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)
