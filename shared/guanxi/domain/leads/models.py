"""Leads (线索): people and companies that may become customers, before they are accounts. A lead without an
owner waits in the lead pool (线索池) for a member to claim it; assignment rules give new leads an owner."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Integer, Numeric, SmallInteger, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import TenantBase, TenantRecordMixin
from guanxi.domain.access.members import register_owned_table


class Lead(TenantRecordMixin, TenantBase):
    __tablename__ = "leads"

    name: Mapped[str | None] = mapped_column(String(100), default=None)  # the person
    company: Mapped[str | None] = mapped_column(String(200), default=None)
    title: Mapped[str | None] = mapped_column(String(100), default=None)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    source: Mapped[str | None] = mapped_column(String(60), default=None)
    region: Mapped[str | None] = mapped_column(String(60), default=None)
    industry: Mapped[str | None] = mapped_column(String(100), default=None)
    employees: Mapped[int | None] = mapped_column(Integer, default=None)
    estimated_value: Mapped[Decimal | None] = mapped_column(Numeric(16, 2), default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[str] = mapped_column(String(12), default="new")  # new|contacted|qualified|unqualified|converted
    qualification_note: Mapped[str | None] = mapped_column(String(1000), default=None)
    disqualify_reason: Mapped[str | None] = mapped_column(String(1000), default=None)
    captured_via: Mapped[str] = mapped_column(String(10), default="manual")  # api | form | import | manual
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)  # none: the pool
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"), default=None)  # converted into
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id"), default=None)
    deal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("deals.id"), default=None)
    converted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    import_id: Mapped[uuid.UUID | None] = mapped_column(default=None)  # the import that created the lead
    deleted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(default=None)


class AssignmentRule(TenantRecordMixin, TenantBase):
    """One rule of the ordered list: the first whose conditions all match a new lead gives it an owner."""

    __tablename__ = "lead_assignment_rules"

    position: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(String(100))
    sources: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)  # empty: any
    regions: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    min_employees: Mapped[int | None] = mapped_column(Integer, default=None)
    max_employees: Mapped[int | None] = mapped_column(Integer, default=None)
    # Who gets the lead: these members in turn (one member: always that one), or a department's members in turn.
    member_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(PG_UUID(as_uuid=True)), default=list)
    department_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("departments.id"), default=None)
    turn: Mapped[int] = mapped_column(Integer, default=0)  # the round-robin pointer
    active: Mapped[bool] = mapped_column(default=True)


class LeadForm(TenantRecordMixin, TenantBase):
    """A web form a workspace embeds on its own site; found by its random ``key`` (with the workspace's slug)."""

    __tablename__ = "lead_forms"

    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)  # [{field, label, required}]
    source: Mapped[str | None] = mapped_column(String(60), default=None)  # the leads' source; none: the form's name
    thank_you: Mapped[str | None] = mapped_column(String(1000), default=None)
    active: Mapped[bool] = mapped_column(default=True)


register_owned_table(Lead.__table__)  # type: ignore[arg-type]
