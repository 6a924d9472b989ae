"""What happened to a record and who did it: the field-change half of a record's timeline."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import IdMixin, TenantBase


class RecordChange(IdMixin, TenantBase):
    __tablename__ = "record_changes"

    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[uuid.UUID]
    occurred_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    actor_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    action: Mapped[str] = mapped_column(String(20))  # created | updated | deleted | restored
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)  # field -> [before, after]
    batch_id: Mapped[uuid.UUID | None] = mapped_column(default=None)  # the import that made the change
