"""Shapes of the access domain as the API sends them (the web decodes the same ones)."""

from __future__ import annotations

import uuid

import msgspec


class MemberOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    email: str
    status: str
    roles: list[str]
    department_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None


class DepartmentOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None = None
    head_id: uuid.UUID | None = None


class RoleOut(msgspec.Struct):
    """A role and its data scope per module and action (absent means ``none``)."""

    key: str
    name: str
    builtin: bool = False
    permissions: dict[str, dict[str, str]] = {}
