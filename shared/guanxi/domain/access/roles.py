"""Roles of a workspace: the built-in ones and those an admin defines, each with a data scope per module
and action. The owner role is locked (it can always do everything, so a workspace cannot lock itself out)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from guanxi_tenants.access import ACTIONS, MODULES, SCOPES
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.tenancy import scoped
from guanxi.domain.access.fields import CONFIGURABLE, FIELD_ACCESS, MASKS, SENSITIVE
from guanxi.domain.access.models import FieldRule, MemberRole, Role, RolePermission
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.customfields.service import definitions
from guanxi.domain.identity.validation import clean_text
from guanxi.errors import FieldError, conflict, forbidden, validation_error

Permissions = dict[str, dict[str, str]]
MAX_ROLES = 50


@dataclass(frozen=True)
class RoleView:
    role: Role
    permissions: Permissions


def check_permissions(permissions: Permissions) -> Permissions:
    errors: list[FieldError] = []
    cleaned: Permissions = {}
    for module, actions in permissions.items():
        if module not in MODULES:
            errors.append(FieldError(f"permissions.{module}", "unknown module", "invalid_choice"))
            continue
        for action, scope in actions.items():
            if action not in ACTIONS:
                errors.append(FieldError(f"permissions.{module}.{action}", "unknown action", "invalid_choice"))
            elif scope not in SCOPES:
                errors.append(
                    FieldError(
                        f"permissions.{module}.{action}", f"scope must be one of {', '.join(SCOPES)}", "invalid_choice"
                    )
                )
            elif scope != "none":
                cleaned.setdefault(module, {})[action] = scope
    if errors:
        raise validation_error(*errors[:20])
    return cleaned


async def list_roles(session: AsyncSession, access: Access) -> list[RoleView]:
    access.require("roles", "read")
    options = scoped(access.scope)
    roles = list(await session.scalars(select(Role).order_by(Role.builtin.desc(), Role.key), execution_options=options))
    grants: dict[str, Permissions] = {}
    for row in await session.scalars(select(RolePermission), execution_options=options):
        grants.setdefault(row.role_key, {}).setdefault(row.module, {})[row.action] = row.scope
    return [RoleView(role, grants.get(role.key, {})) for role in roles]


async def _replace_permissions(session: AsyncSession, access: Access, key: str, permissions: Permissions) -> None:
    options = scoped(access.scope)
    await session.execute(delete(RolePermission).where(RolePermission.role_key == key), execution_options=options)
    rows = [
        {"role_key": key, "module": m, "action": a, "scope": s}
        for m, acts in permissions.items()
        for a, s in acts.items()
    ]
    if rows:
        await session.execute(insert(RolePermission), rows, execution_options=options)


async def create_role(session: AsyncSession, access: Access, name: str, permissions: Permissions) -> RoleView:
    access.require("roles", "create")
    cleaned, error = clean_text("name", name, max_length=100)
    if error:
        raise validation_error(error)
    permissions = check_permissions(permissions)
    options = scoped(access.scope)
    count = await session.scalar(select(func.count()).select_from(Role), execution_options=options)
    if (count or 0) >= MAX_ROLES:
        raise conflict("name", "This workspace has the most roles it may have.", "role-limit")
    key = f"custom_{secrets.token_hex(4)}"
    await session.execute(
        insert(Role).values(key=key, name=cleaned, builtin=False, created_by=access.member_id),
        execution_options=options,
    )
    await _replace_permissions(session, access, key, permissions)
    role = await session.scalar(select(Role).where(Role.key == key), execution_options=options)
    assert role is not None
    return RoleView(role, permissions)


async def set_permissions(session: AsyncSession, access: Access, key: str, permissions: Permissions) -> RoleView:
    role = await _role_for_change(session, access, key)
    options = scoped(access.scope)
    permissions = check_permissions(permissions)
    await _replace_permissions(session, access, key, permissions)
    await session.execute(update(Role).where(Role.key == key).values(updated_at=func.now()), execution_options=options)
    return RoleView(role, permissions)


async def delete_role(session: AsyncSession, access: Access, key: str) -> None:
    access.require("roles", "delete")
    options = scoped(access.scope)
    role = await session.scalar(select(Role).where(Role.key == key), execution_options=options)
    if role is None:
        raise not_found_for("Role")
    if role.builtin:
        raise forbidden("Built-in roles cannot be deleted.")
    holders = await session.scalar(
        select(func.count()).select_from(MemberRole).where(MemberRole.role_key == key), execution_options=options
    )
    if holders:
        raise conflict("key", f"{holders} member(s) still have this role.", "role-in-use")
    await session.execute(delete(Role).where(Role.key == key), execution_options=options)


FieldRules = dict[str, dict[str, dict[str, str]]]  # module -> field -> {"access": ..., "mask": ...}


async def configurable_fields(session: AsyncSession, access: Access) -> dict[str, list[str]]:
    """Per module, the fields a role's rules may name: the fixed ones, and the workspace's custom fields."""
    return {
        module: [*names, *(f"custom.{field.key}" for field in await definitions(session, access, module))]
        for module, names in CONFIGURABLE.items()
    }


async def custom_field_labels(session: AsyncSession, access: Access) -> dict[str, dict[str, str]]:
    """Per module, ``custom.<key>`` -> the custom field's label, so a grid shows what people named the field."""
    return {
        module: {f"custom.{field.key}": field.label for field in await definitions(session, access, module)}
        for module in CONFIGURABLE
    }


def check_field_rules(rules: FieldRules, configurable: dict[str, list[str]]) -> FieldRules:
    """Known modules and fields only; masks only on sensitive fields; rules equal to the default dropped."""
    errors: list[FieldError] = []
    cleaned: FieldRules = {}
    for module, fields in rules.items():
        if module not in CONFIGURABLE:
            errors.append(FieldError(f"fields.{module}", "unknown module", "invalid_choice"))
            continue
        for name, rule in fields.items():
            where = f"fields.{module}.{name}"
            access_, mask = rule.get("access", "edit"), rule.get("mask", "none")
            if name not in configurable[module]:
                errors.append(FieldError(where, "is not a field that can be restricted", "invalid_choice"))
            elif set(rule) - {"access", "mask"}:
                errors.append(FieldError(where, "may only have access and mask", "unknown_field"))
            elif access_ not in FIELD_ACCESS:
                errors.append(FieldError(f"{where}.access", f"must be one of {', '.join(FIELD_ACCESS)}", "invalid"))
            elif mask not in MASKS:
                errors.append(FieldError(f"{where}.mask", f"must be one of {', '.join(MASKS)}", "invalid"))
            elif mask != "none" and name not in SENSITIVE[module]:
                errors.append(
                    FieldError(f"{where}.mask", "only phone, email and similar fields can be masked", "invalid")
                )
            elif (access_, mask) != ("edit", "none"):
                cleaned.setdefault(module, {})[name] = {"access": access_, "mask": mask}
    if errors:
        raise validation_error(*errors[:20])
    return cleaned


async def _role_for_change(session: AsyncSession, access: Access, key: str) -> Role:
    access.require("roles", "update")
    if key == "owner":
        raise forbidden("The owner role cannot be changed.")
    role = await session.scalar(select(Role).where(Role.key == key), execution_options=scoped(access.scope))
    if role is None:
        raise not_found_for("Role")
    return role


async def field_rules(session: AsyncSession, access: Access, key: str) -> FieldRules:
    access.require("roles", "read")
    options = scoped(access.scope)
    if await session.scalar(select(Role.key).where(Role.key == key), execution_options=options) is None:
        raise not_found_for("Role")
    rules: FieldRules = {}
    for row in await session.scalars(select(FieldRule).where(FieldRule.role_key == key), execution_options=options):
        rules.setdefault(row.module, {})[row.field] = {"access": row.access, "mask": row.mask}
    return rules


async def set_field_rules(session: AsyncSession, access: Access, key: str, rules: FieldRules) -> FieldRules:
    await _role_for_change(session, access, key)
    cleaned = check_field_rules(rules, await configurable_fields(session, access))
    options = scoped(access.scope)
    await session.execute(delete(FieldRule).where(FieldRule.role_key == key), execution_options=options)
    rows = [
        {"role_key": key, "module": module, "field": name, **rule}
        for module, fields in cleaned.items()
        for name, rule in fields.items()
    ]
    if rows:
        await session.execute(insert(FieldRule), rows, execution_options=options)
    return cleaned
