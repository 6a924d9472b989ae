from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import TenantBase, TenantRecordMixin


class Pipeline(TenantRecordMixin, TenantBase):
    __tablename__ = "pipelines"

    name: Mapped[str] = mapped_column(String(100))
    is_default: Mapped[bool] = mapped_column(default=False)


class PipelineStage(TenantRecordMixin, TenantBase):
    __tablename__ = "pipeline_stages"
    __table_args__ = (UniqueConstraint("pipeline_id", "position"),)

    pipeline_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int]
    probability: Mapped[Decimal] = mapped_column(Numeric(5, 2))  # win probability, percent
    outcome: Mapped[str] = mapped_column(String(10), default="open")  # open | won | lost
