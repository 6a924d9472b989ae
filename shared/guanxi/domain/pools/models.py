"""The shared customer pool (客户公海): accounts with no owner, that members of the pool may claim.

Every account has a home pool (``accounts.pool_id``; none means the workspace's default pool). An owned
account goes back there when a recycling rule of that pool says it has been left alone too long, or when its
owner or an administrator releases it. ``pool_events`` keeps every claim, assignment and return: the daily
claim limit, the cool-down before a previous owner may claim again, and the account's timeline read it.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Integer, SmallInteger, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import IdMixin, TenantBase, TenantRecordMixin


class Pool(TenantRecordMixin, TenantBase):
    __tablename__ = "pools"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_default: Mapped[bool] = mapped_column(default=False)
    daily_claim_limit: Mapped[int | None] = mapped_column(Integer, default=None)  # per member and day
    owned_cap: Mapped[int | None] = mapped_column(Integer, default=None)  # 私海上限: accounts one member may own
    cap_counts_won: Mapped[bool] = mapped_column(default=True)  # whether won customers count towards the cap
    locked_cap: Mapped[int | None] = mapped_column(Integer, default=None)  # locked accounts one member may have
    reclaim_cooldown_days: Mapped[int] = mapped_column(Integer, default=0)  # before a previous owner may claim again
    warn_days: Mapped[int] = mapped_column(Integer, default=3)  # the owner hears this many days before a return
    recycle_won: Mapped[bool] = mapped_column(default=False)
    recycle_with_open_deal: Mapped[bool] = mapped_column(default=False)
    hide_contact_details: Mapped[bool] = mapped_column(default=True)  # phone and email shown only once claimed


class PoolMember(IdMixin, TenantBase):
    """A member or a whole department may claim from the pool; an admin of the pool also assigns from it."""

    __tablename__ = "pool_members"

    pool_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"))
    member_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), default=None)
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), default=None
    )
    is_admin: Mapped[bool] = mapped_column(default=False)


class PoolRule(IdMixin, TenantBase):
    """Return an owned account after ``days[grade]`` days (``days["*"]`` for other grades) of: no follow-up
    (counted from the later of the last follow-up and the claim), no open deal, or not being won."""

    __tablename__ = "pool_rules"

    pool_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    days: Mapped[dict[str, int]] = mapped_column(JSONB)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)


class PoolEvent(IdMixin, TenantBase):
    __tablename__ = "pool_events"

    pool_id: Mapped[uuid.UUID]
    account_id: Mapped[uuid.UUID]
    member_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    action: Mapped[str] = mapped_column(String(20))  # claimed | assigned | released | reclaimed
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    occurred_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
