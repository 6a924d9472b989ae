from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import IdMixin, TenantBase


class Announcement(IdMixin, TenantBase):
    """An internal announcement, published at once to everyone (no departments) or to the members of the
    departments named (each department's own members, not its sub-departments')."""

    __tablename__ = "announcements"
    __table_args__ = (Index("ix_announcements_feed", "pinned", "id"),)

    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    department_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[uuid.UUID]
    published_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class AnnouncementRead(TenantBase):
    """A read receipt: one row per reader, the first time they opened it."""

    __tablename__ = "announcement_reads"

    announcement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    read_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
