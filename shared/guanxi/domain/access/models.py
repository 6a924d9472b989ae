from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import IdMixin, TenantBase, TimestampsMixin


class CreatedByMixin(TimestampsMixin):
    created_by: Mapped[uuid.UUID | None] = mapped_column(default=None)


class Department(IdMixin, CreatedByMixin, TenantBase):
    __tablename__ = "departments"

    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("departments.id"), default=None)
    head_id: Mapped[uuid.UUID | None] = mapped_column(default=None)


class Member(CreatedByMixin, TenantBase):
    """A person of this workspace; ``id`` is their platform user id."""

    __tablename__ = "members"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    title: Mapped[str | None] = mapped_column(String(100), default=None)
    department_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("departments.id"), default=None)
    manager_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)
    partner_org: Mapped[str | None] = mapped_column(String(100), default=None)
    status: Mapped[str] = mapped_column(String(20), default="active")


class Role(CreatedByMixin, TenantBase):
    __tablename__ = "roles"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    builtin: Mapped[bool] = mapped_column(default=False)


class RolePermission(TenantBase):
    __tablename__ = "role_permissions"

    role_key: Mapped[str] = mapped_column(ForeignKey("roles.key", ondelete="CASCADE"), primary_key=True)
    module: Mapped[str] = mapped_column(String(40), primary_key=True)
    action: Mapped[str] = mapped_column(String(20), primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))


class MemberRole(TenantBase):
    __tablename__ = "member_roles"

    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    role_key: Mapped[str] = mapped_column(ForeignKey("roles.key", ondelete="CASCADE"), primary_key=True)


class Collaborator(CreatedByMixin, TenantBase):
    """A member working on a record they do not own (团队成员), read-only or read-write, maybe until a date."""

    __tablename__ = "collaborators"

    record_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    access: Mapped[str] = mapped_column(String(10))  # read | write
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class FieldRule(TenantBase):
    """What a role may do with one field of a module (hidden / read / edit) and whether it is masked."""

    __tablename__ = "field_rules"

    role_key: Mapped[str] = mapped_column(ForeignKey("roles.key", ondelete="CASCADE"), primary_key=True)
    module: Mapped[str] = mapped_column(String(40), primary_key=True)
    field: Mapped[str] = mapped_column(String(60), primary_key=True)
    access: Mapped[str] = mapped_column(String(10), default="edit")  # hidden | read | edit
    mask: Mapped[str] = mapped_column(String(12), default="none")  # none | lists | everywhere
