"""Saved views of a list: filters, sort and columns under a name, for oneself or the whole team."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import TenantBase, TenantRecordMixin


class SavedView(TenantRecordMixin, TenantBase):
    __tablename__ = "saved_views"

    module: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    sort: Mapped[str] = mapped_column(String(50), default="-updated_at")
    columns: Mapped[list[str]] = mapped_column(JSONB, default=list)
    shared: Mapped[bool] = mapped_column(default=False)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"))
