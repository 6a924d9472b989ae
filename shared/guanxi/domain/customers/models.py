"""Accounts (a company or a person we sell to) and the contacts we talk to there."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Numeric, SmallInteger, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import TenantBase, TenantRecordMixin
from guanxi.domain.access.members import register_owned_table


class SoftDeleteMixin:
    custom: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    search_vector: Mapped[str] = mapped_column(TSVECTOR, default="")
    search_phones: Mapped[str] = mapped_column(Text, default="")
    search_emails: Mapped[str] = mapped_column(Text, default="")
    deleted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    import_id: Mapped[uuid.UUID | None] = mapped_column(default=None)  # the import that created the record


class Account(TenantRecordMixin, SoftDeleteMixin, TenantBase):
    __tablename__ = "accounts"

    kind: Mapped[str] = mapped_column(String(20), default="company")
    name: Mapped[str] = mapped_column(String(200))
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    heat: Mapped[str | None] = mapped_column(String(10), default=None)
    source: Mapped[str | None] = mapped_column(String(60), default=None)
    industry: Mapped[str | None] = mapped_column(String(100), default=None)
    country: Mapped[str | None] = mapped_column(String(60), default=None)
    province: Mapped[str | None] = mapped_column(String(60), default=None)
    city: Mapped[str | None] = mapped_column(String(60), default=None)
    address: Mapped[str | None] = mapped_column(String(500), default=None)
    size: Mapped[str | None] = mapped_column(String(20), default=None)
    website: Mapped[str | None] = mapped_column(String(500), default=None)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)
    value_rating: Mapped[str | None] = mapped_column(String(10), default=None)
    credit_limit: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), default=None)
    payment_terms_days: Mapped[int | None] = mapped_column(default=None)
    lifecycle_stage: Mapped[str] = mapped_column(String(20), default="prospect")
    birthday: Mapped[dt.date | None] = mapped_column(Date, default=None)
    age: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    job_title: Mapped[str | None] = mapped_column(String(100), default=None)
    last_activity_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # The customer pool (see guanxi.domain.pools): the home pool, when the owner took it, whether it is kept
    # from recycling, the grade that sets the rules' days, and the last return to the pool.
    pool_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pools.id"), default=None)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    locked: Mapped[bool] = mapped_column(default=False)
    grade: Mapped[str | None] = mapped_column(String(2), default=None)
    returned_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    previous_owner_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    return_reason: Mapped[str | None] = mapped_column(String(500), default=None)


class Contact(TenantRecordMixin, SoftDeleteMixin, TenantBase):
    __tablename__ = "contacts"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    family_name: Mapped[str | None] = mapped_column(String(100), default=None)
    given_name: Mapped[str | None] = mapped_column(String(100), default=None)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(100), default=None)
    phones: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    emails: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    wechat: Mapped[str | None] = mapped_column(String(100), default=None)
    whatsapp: Mapped[str | None] = mapped_column(String(100), default=None)
    line: Mapped[str | None] = mapped_column(String(100), default=None)
    preferred_channel: Mapped[str | None] = mapped_column(String(20), default=None)
    marketing_consent: Mapped[bool] = mapped_column(default=False)
    consent_changed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    is_primary: Mapped[bool] = mapped_column(default=False)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)


# A departing member's customers and contacts go to their successor in one step (hand-over).
register_owned_table(Account.__table__)  # type: ignore[arg-type]
register_owned_table(Contact.__table__)  # type: ignore[arg-type]
