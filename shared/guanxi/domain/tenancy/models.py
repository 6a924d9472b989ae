from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import IdMixin, PlatformBase, TenantBase, TenantRecordMixin, TimestampsMixin


class Tenant(IdMixin, TimestampsMixin, PlatformBase):
    """A company's workspace. Its CRM data lives in its own schema, ``schema_name``."""

    __tablename__ = "tenants"

    name: Mapped[str] = mapped_column(String(200))
    schema_name: Mapped[str] = mapped_column(String(63), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | suspended
    locale: Mapped[str] = mapped_column(String(10), default="en")
    schema_revision: Mapped[str | None] = mapped_column(String(64), default=None)
    migration_error: Mapped[str | None] = mapped_column(Text, default=None)
    migrated_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class WorkspaceSettings(TenantRecordMixin, TenantBase):
    """One row per workspace: what the company set up for itself."""

    __tablename__ = "workspace_settings"

    company_name: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(10))
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    audit_retention_days: Mapped[int] = mapped_column(default=365)
    require_two_factor: Mapped[bool] = mapped_column(default=False)
    contract_reminder_days: Mapped[int] = mapped_column(default=30)  # expiry mail this many days before the end
    payment_reminder_days: Mapped[int] = mapped_column(default=3)  # owners are mailed this long before a due date
