"""Declarative bases: one for the ``platform`` schema, one for every tenant schema.

Tenant tables are declared once against a placeholder schema. A session bound to a tenant translates
the placeholder into that tenant's schema (``schema_translate_map``); a statement that reaches the
database with the placeholder still in it was issued without a tenant, and is refused (see tenancy).
"""

from __future__ import annotations

import datetime as dt
import uuid

import uuid_utils
from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

PLATFORM_SCHEMA = "platform"
TENANT_PLACEHOLDER = "__tenant_unbound__"

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> uuid.UUID:
    """Time-ordered ids (UUIDv7): index-friendly, and not guessable like a sequence."""
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PlatformBase(DeclarativeBase):
    metadata = MetaData(schema=PLATFORM_SCHEMA, naming_convention=NAMING)
    type_annotation_map = {dt.datetime: DateTime(timezone=True), uuid.UUID: UUID(as_uuid=True)}


class TenantBase(DeclarativeBase):
    metadata = MetaData(schema=TENANT_PLACEHOLDER, naming_convention=NAMING)
    type_annotation_map = {dt.datetime: DateTime(timezone=True), uuid.UUID: UUID(as_uuid=True)}


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampsMixin:
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class TenantRecordMixin(IdMixin, TimestampsMixin):
    """What every tenant table has: a time-ordered id, timestamps and who created the row."""

    created_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
