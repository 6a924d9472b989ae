"""Workspace administration: members (roles, department, manager, deactivation, hand-over), departments,
and the audit log (search and CSV export)."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import uuid
from typing import Any

import msgspec
from guanxi.db.base import new_id
from guanxi.db.tenancy import scoped
from guanxi.domain.access import members, roles
from guanxi.domain.access.fields import SENSITIVE
from guanxi.domain.access.models import Department, Member
from guanxi.domain.access.schemas import DepartmentOut, MemberOut, RoleOut
from guanxi.domain.access.service import Access
from guanxi.domain.audit import service as audit
from guanxi.domain.audit.models import AuditEntry
from guanxi.domain.audit.schemas import AuditOut, AuditPage
from guanxi.domain.identity import totp
from guanxi.domain.identity.service import AuthContext
from guanxi.domain.identity.validation import clean_text
from guanxi.domain.tenancy.models import WorkspaceSettings
from guanxi.domain.tenancy.schemas import WorkspaceSettingsOut
from guanxi.errors import FieldError, conflict, validation_error
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import audit_action, provide_access, provide_auth
from guanxi_api.openapi import problems

AUDIT_PAGE = 50
CSV_LIMIT = 100_000


class MemberUpdate(msgspec.Struct, forbid_unknown_fields=True):
    roles: list[str] | None = None
    department_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    manager_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET


class HandOver(msgspec.Struct, forbid_unknown_fields=True):
    to_member_id: uuid.UUID


class HandOverOut(msgspec.Struct):
    moved: dict[str, int]


class DepartmentIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    parent_id: uuid.UUID | None = None
    head_id: uuid.UUID | None = None


class RoleIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    permissions: dict[str, dict[str, str]] = {}


class PermissionsIn(msgspec.Struct, forbid_unknown_fields=True):
    permissions: dict[str, dict[str, str]]


class FieldRulesIn(msgspec.Struct, forbid_unknown_fields=True):
    fields: dict[str, dict[str, dict[str, str]]]


class FieldRulesOut(msgspec.Struct):
    fields: dict[str, dict[str, dict[str, str]]]
    configurable: dict[str, list[str]]
    maskable: dict[str, list[str]]
    labels: dict[str, dict[str, str]]  # per module, custom.<key> -> the custom field's label


async def field_rules_out(db: AsyncSession, access: Access, rules: roles.FieldRules) -> FieldRulesOut:
    return FieldRulesOut(
        fields=rules,
        configurable=await roles.configurable_fields(db, access),
        maskable={module: list(names) for module, names in SENSITIVE.items()},
        labels=await roles.custom_field_labels(db, access),
    )


def role_out(view: roles.RoleView) -> RoleOut:
    return RoleOut(key=view.role.key, name=view.role.name, builtin=view.role.builtin, permissions=view.permissions)


class WorkspaceSettingsIn(msgspec.Struct, forbid_unknown_fields=True):
    audit_retention_days: int | None = None
    require_two_factor: bool | None = None
    payment_reminder_days: int | None = None


def settings_out(row: WorkspaceSettings) -> WorkspaceSettingsOut:
    return WorkspaceSettingsOut(
        company_name=row.company_name,
        locale=row.locale,
        currency=row.currency,
        timezone=row.timezone,
        audit_retention_days=row.audit_retention_days,
        require_two_factor=row.require_two_factor,
        payment_reminder_days=row.payment_reminder_days,
    )


def member_out(view: members.MemberView) -> MemberOut:
    m = view.member
    return MemberOut(
        id=m.id,
        name=m.name,
        email=m.email,
        status=m.status,
        roles=view.roles,
        department_id=m.department_id,
        manager_id=m.manager_id,
    )


def audit_out(entry: AuditEntry) -> AuditOut:
    return msgspec.convert(entry, AuditOut, from_attributes=True)


def make_cursor(entry: AuditEntry) -> str:
    """An opaque keyset cursor: the (occurred_at, id) of the last row of a page, URL-safe."""
    return base64.urlsafe_b64encode(f"{entry.occurred_at.isoformat()}|{entry.id}".encode()).decode().rstrip("=")


def parse_cursor(cursor: str | None) -> tuple[dt.datetime, uuid.UUID] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, ident = raw.partition("|")
        return dt.datetime.fromisoformat(stamp), uuid.UUID(ident)
    except ValueError as error:  # binascii.Error and UnicodeDecodeError are ValueErrors too
        raise validation_error(FieldError("cursor", "is not a cursor from a previous page", "invalid")) from error


class AdminController(Controller):
    path = "/api/v1/admin"
    tags = ["administration"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    @get("/members", summary="People of the workspace with their roles", responses=problems(401, 403))
    async def list_members(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> list[MemberOut]:
        auth.require_token_scope("members", "read")
        return [member_out(v) for v in await members.list_members(db, access)]

    @patch(
        "/members/{member_id:uuid}",
        summary="Change a member's roles, department or manager",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def update_member(
        self,
        request: Request[Any, Any, Any],
        member_id: FromPath[uuid.UUID],
        data: JSONBody[MemberUpdate],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> MemberOut:
        auth.require_token_scope("members", "write")
        clear = frozenset(f for f in ("department_id", "manager_id") if getattr(data, f) is None)
        view = await members.update_member(
            db,
            access,
            member_id,
            roles=data.roles,
            department_id=data.department_id if isinstance(data.department_id, uuid.UUID) else None,
            manager_id=data.manager_id if isinstance(data.manager_id, uuid.UUID) else None,
            clear=clear,
        )
        await audit_action(
            db,
            auth,
            request,
            "member.updated",
            target_type="member",
            target_id=member_id,
            roles=view.roles,
            department_id=str(view.member.department_id),
            manager_id=str(view.member.manager_id),
        )
        await db.commit()
        return member_out(view)

    @post(
        "/members/{member_id:uuid}/deactivate",
        status_code=200,
        summary="Deactivate a member: their sessions and API tokens stop working at once",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def deactivate(
        self,
        request: Request[Any, Any, Any],
        member_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> MemberOut:
        auth.require_token_scope("members", "write")
        member = await members.deactivate(db, access, member_id)
        await audit_action(db, auth, request, "member.deactivated", target_type="member", target_id=member_id)
        await db.commit()
        return MemberOut(
            id=member.id,
            name=member.name,
            email=member.email,
            status=member.status,
            roles=[],
            department_id=member.department_id,
            manager_id=member.manager_id,
        )

    @post(
        "/members/{member_id:uuid}/hand-over",
        status_code=200,
        summary="Give everything a member owns to another member in one step",
        responses=problems(400, 401, 403, 404, 409, 422),
    )
    async def hand_over(
        self,
        request: Request[Any, Any, Any],
        member_id: FromPath[uuid.UUID],
        data: JSONBody[HandOver],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> HandOverOut:
        auth.require_token_scope("members", "write")
        moved = await members.hand_over(db, access, member_id, data.to_member_id)
        await audit_action(
            db,
            auth,
            request,
            "member.handed_over",
            target_type="member",
            target_id=member_id,
            to_member_id=str(data.to_member_id),
            moved=moved,
        )
        await db.commit()
        return HandOverOut(moved=moved)

    @get("/departments", summary="The department tree, as a flat list", responses=problems(401, 403))
    async def departments(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> list[DepartmentOut]:
        access.require("members", "read")
        auth.require_token_scope("members", "read")
        rows = await db.scalars(
            select(Department).order_by(Department.name, Department.id), execution_options=scoped(access.scope)
        )
        return [DepartmentOut(id=d.id, name=d.name, parent_id=d.parent_id, head_id=d.head_id) for d in rows]

    @post("/departments", status_code=201, summary="Add a department", responses=problems(400, 401, 403, 422))
    async def add_department(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[DepartmentIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> DepartmentOut:
        access.require("members", "update")
        auth.require_token_scope("members", "write")
        name, error = clean_text("name", data.name, max_length=100)
        errors = [error] if error else []
        options = scoped(access.scope)
        if data.parent_id and await db.get(Department, data.parent_id, execution_options=options) is None:
            errors.append(FieldError("parent_id", "no such department", "not_found"))
        if data.head_id and await db.get(Member, data.head_id, execution_options=options) is None:
            errors.append(FieldError("head_id", "no such member", "not_found"))
        if errors:
            raise validation_error(*errors)
        department_id = new_id()
        await db.execute(
            insert(Department).values(
                id=department_id, name=name, parent_id=data.parent_id, head_id=data.head_id, created_by=auth.user.id
            ),
            execution_options=options,
        )
        await audit_action(
            db, auth, request, "department.created", target_type="department", target_id=department_id, name=name
        )
        await db.commit()
        return DepartmentOut(id=department_id, name=name, parent_id=data.parent_id, head_id=data.head_id)

    @get("/settings", summary="Workspace settings", responses=problems(401, 403))
    async def get_settings(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> WorkspaceSettingsOut:
        access.require("settings", "read")
        auth.require_token_scope("settings", "read")
        row = await db.scalar(select(WorkspaceSettings).limit(1), execution_options=scoped(access.scope))
        assert row is not None  # seeded with every workspace
        return settings_out(row)

    @patch(
        "/settings",
        summary="Change workspace settings (audit retention 30 to 3650 days, payment reminders 0 to 60 days ahead)",
        responses=problems(400, 401, 403, 422),
    )
    async def update_settings(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[WorkspaceSettingsIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> WorkspaceSettingsOut:
        access.require("settings", "update")
        auth.require_token_scope("settings", "write")
        if data.audit_retention_days is not None:
            if not 30 <= data.audit_retention_days <= 3650:
                raise validation_error(
                    FieldError("audit_retention_days", "must be between 30 and 3650", "out_of_range")
                )
            await db.execute(
                update(WorkspaceSettings).values(audit_retention_days=data.audit_retention_days),
                execution_options=scoped(access.scope),
            )
            await audit_action(
                db,
                auth,
                request,
                "settings.changed",
                target_type="settings",
                audit_retention_days=data.audit_retention_days,
            )
        if data.payment_reminder_days is not None:
            if not 0 <= data.payment_reminder_days <= 60:
                raise validation_error(FieldError("payment_reminder_days", "must be between 0 and 60", "out_of_range"))
            await db.execute(
                update(WorkspaceSettings).values(payment_reminder_days=data.payment_reminder_days),
                execution_options=scoped(access.scope),
            )
            await audit_action(
                db, auth, request, "settings.changed", target_type="settings",
                payment_reminder_days=data.payment_reminder_days,
            )  # fmt: skip
        if data.require_two_factor is not None:
            if data.require_two_factor and not await totp.enrolled(db, auth.user.id):
                raise conflict(
                    "require_two_factor", "Turn on two-factor sign-in for yourself first.", "two-factor-not-enabled"
                )
            await db.execute(
                update(WorkspaceSettings).values(require_two_factor=data.require_two_factor),
                execution_options=scoped(access.scope),
            )
            await audit_action(
                db,
                auth,
                request,
                "settings.changed",
                target_type="settings",
                require_two_factor=data.require_two_factor,
            )
        await db.commit()
        row = await db.scalar(
            select(WorkspaceSettings).limit(1).execution_options(populate_existing=True),
            execution_options=scoped(access.scope),
        )
        assert row is not None
        return settings_out(row)

    @get("/roles", summary="Roles with their data scope per module and action", responses=problems(401, 403))
    async def list_roles(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> list[RoleOut]:
        auth.require_token_scope("roles", "read")
        return [role_out(view) for view in await roles.list_roles(db, access)]

    @post("/roles", status_code=201, summary="Define a new role", responses=problems(400, 401, 403, 409, 422))
    async def create_role(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[RoleIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> RoleOut:
        auth.require_token_scope("roles", "write")
        view = await roles.create_role(db, access, data.name, data.permissions)
        await audit_action(
            db,
            auth,
            request,
            "role.created",
            target_type="role",
            target_id=view.role.key,
            name=view.role.name,
            permissions=view.permissions,
        )
        await db.commit()
        return role_out(view)

    @put(
        "/roles/{key:str}/permissions",
        summary="Replace a role's permissions (not the owner's)",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def set_permissions(
        self,
        request: Request[Any, Any, Any],
        key: FromPath[str],
        data: JSONBody[PermissionsIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> RoleOut:
        auth.require_token_scope("roles", "write")
        view = await roles.set_permissions(db, access, key, data.permissions)
        await audit_action(
            db,
            auth,
            request,
            "role.permissions_changed",
            target_type="role",
            target_id=key,
            permissions=view.permissions,
        )
        await db.commit()
        return role_out(view)

    @get(
        "/roles/{key:str}/fields",
        summary="A role's field permissions (hidden / read / edit) and masks; fields not listed are editable",
        responses=problems(401, 403, 404),
    )
    async def field_rules(
        self,
        key: FromPath[str],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> FieldRulesOut:
        auth.require_token_scope("roles", "read")
        rules = await roles.field_rules(db, access, key)
        return await field_rules_out(db, access, rules)

    @put(
        "/roles/{key:str}/fields",
        summary="Replace a role's field permissions and masks (not the owner's)",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def set_field_rules(
        self,
        request: Request[Any, Any, Any],
        key: FromPath[str],
        data: JSONBody[FieldRulesIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> FieldRulesOut:
        auth.require_token_scope("roles", "write")
        rules = await roles.set_field_rules(db, access, key, data.fields)
        await audit_action(db, auth, request, "role.fields_changed", target_type="role", target_id=key, fields=rules)
        await db.commit()
        return await field_rules_out(db, access, rules)

    @delete(
        "/roles/{key:str}",
        status_code=204,
        summary="Delete a role nobody has (built-in roles stay)",
        responses=problems(401, 403, 404, 409),
    )
    async def delete_role(
        self,
        request: Request[Any, Any, Any],
        key: FromPath[str],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> None:
        auth.require_token_scope("roles", "write")
        await roles.delete_role(db, access, key)
        await audit_action(db, auth, request, "role.deleted", target_type="role", target_id=key)
        await db.commit()

    @get("/audit", summary="Search the audit log, newest first (keyset pages)", responses=problems(401, 403, 422))
    async def audit_log(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        action: FromQuery[str | None] = None,
        actor_id: FromQuery[uuid.UUID | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> AuditPage:
        access.require("audit", "read")
        auth.require_token_scope("audit", "read")
        entries = await audit.search(
            db, access.scope, action=action, actor_id=actor_id, before=parse_cursor(cursor), limit=AUDIT_PAGE + 1
        )
        more = len(entries) > AUDIT_PAGE
        entries = entries[:AUDIT_PAGE]
        last = entries[-1] if more and entries else None
        return AuditPage(
            items=[audit_out(e) for e in entries],
            next_cursor=make_cursor(last) if last else None,
        )

    @get("/audit.csv", summary="Export the audit log as CSV", media_type="text/csv", responses=problems(401, 403))
    async def audit_csv(
        self,
        request: Request[Any, Any, Any],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        action: FromQuery[str | None] = None,
    ) -> Response[str]:
        access.require("audit", "export")
        auth.require_token_scope("audit", "read")
        entries = await audit.search(db, access.scope, action=action, limit=CSV_LIMIT)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["occurred_at", "actor_id", "actor_kind", "action", "target_type", "target_id", "ip", "detail"])
        for e in entries:
            writer.writerow(
                [
                    e.occurred_at.isoformat(),
                    e.actor_id or "",
                    e.actor_kind,
                    e.action,
                    e.target_type or "",
                    e.target_id or "",
                    e.ip or "",
                    msgspec.json.encode(e.detail).decode(),
                ]
            )
        await audit_action(db, auth, request, "audit.exported", rows=len(entries))
        await db.commit()
        return Response(
            buffer.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
        )
