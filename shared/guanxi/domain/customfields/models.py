"""The fields a workspace adds to its records (custom fields), per module."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import TenantBase, TenantRecordMixin


class CustomField(TenantRecordMixin, TenantBase):
    __tablename__ = "custom_fields"

    module: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(20))
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)  # [{"value", "label"}]
    required: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[dt.datetime | None] = mapped_column(default=None)
