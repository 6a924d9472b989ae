"""Files kept with a record: call recordings, contracts, business cards, photos."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import TenantBase, TenantRecordMixin


class Attachment(TenantRecordMixin, TenantBase):
    __tablename__ = "attachments"

    record_type: Mapped[str] = mapped_column(String(40))  # account | contact | activity
    record_id: Mapped[uuid.UUID]
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
