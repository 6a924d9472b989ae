from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import String, func
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import PlatformBase


class EmailDelivery(PlatformBase):
    """One row per email job: a second delivery of the same job finds it sent and sends nothing."""

    __tablename__ = "email_deliveries"

    job_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    recipient: Mapped[str] = mapped_column(String(254))
    template: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10))  # sending | sent
    claimed_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
