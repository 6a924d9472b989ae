"""Deals (商机) moving through a pipeline's stages, the history of those moves, and why deals are lost."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Numeric, SmallInteger, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import IdMixin, TenantBase, TenantRecordMixin
from guanxi.domain.access.members import register_owned_table
from guanxi.domain.products.lines import LineColumns


class LossReason(TenantRecordMixin, TenantBase):
    __tablename__ = "loss_reasons"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Deal(TenantRecordMixin, TenantBase):
    __tablename__ = "deals"

    name: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id"), default=None)
    pipeline_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pipelines.id"))
    stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pipeline_stages.id"))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | won | lost, as its stage says
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3))
    probability: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), default=None)  # none: the stage's
    expected_close_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)
    competitors: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    loss_reason_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("loss_reasons.id"), default=None)
    loss_note: Mapped[str | None] = mapped_column(String(1000), default=None)
    stage_entered_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(default=None)


class DealStageChange(IdMixin, TenantBase):
    """A deal entered ``to_stage_id`` (from ``from_stage_id``; none when it was created there)."""

    __tablename__ = "deal_stage_changes"

    deal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    from_stage_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    to_stage_id: Mapped[uuid.UUID]
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    seconds_in_previous: Mapped[int | None] = mapped_column(BigInteger, default=None)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    changed_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class DealLine(LineColumns, IdMixin, TenantBase):
    """A product (or a free-text item) the deal is about; the deal's amount is their total when it has any."""

    __tablename__ = "deal_lines"

    deal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))


register_owned_table(Deal.__table__)  # type: ignore[arg-type]
