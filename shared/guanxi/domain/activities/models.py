"""What was done with a customer (calls, meetings, visits, emails, notes) and what is to be done (tasks)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import TenantBase, TenantRecordMixin
from guanxi.domain.access.members import register_owned_table


class Activity(TenantRecordMixin, TenantBase):
    __tablename__ = "activities"

    kind: Mapped[str] = mapped_column(String(20))  # call | meeting | visit | email | note | task
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"), default=None)
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id"), default=None)  # before conversion
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id"), default=None)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text, default=None)
    occurred_at: Mapped[dt.datetime] = mapped_column()
    due_at: Mapped[dt.datetime | None] = mapped_column(default=None)  # tasks: due; meetings: starts
    ends_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    reminder_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(default=None)  # when the reminder went out
    done_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    duration_seconds: Mapped[int | None] = mapped_column(default=None)
    direction: Mapped[str | None] = mapped_column(String(10), default=None)
    outcome: Mapped[str | None] = mapped_column(String(40), default=None)
    location: Mapped[str | None] = mapped_column(String(200), default=None)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(default=None)


register_owned_table(Activity.__table__)  # type: ignore[arg-type]
