from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import IdMixin, TenantBase


class AuditEntry(IdMixin, TenantBase):
    """Who did what, when, from where, in this workspace."""

    __tablename__ = "audit_log"

    occurred_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    actor_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    actor_kind: Mapped[str] = mapped_column(String(20))  # user | api_token | system
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str | None] = mapped_column(String(40), default=None)
    target_id: Mapped[str | None] = mapped_column(String(64), default=None)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
