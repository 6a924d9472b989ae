"""Workspace administration of people: roles, department and manager, deactivation, hand-over."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import utcnow
from guanxi.db.tenancy import scoped
from guanxi.domain.access.models import Department, Member, MemberRole, Role
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.billing.service import seats_changed
from guanxi.domain.identity.models import ApiToken, AuthSession, Membership
from guanxi.errors import FieldError, conflict, forbidden, validation_error

# Tables whose rows a member owns (``owner_id``): each domain that adds one registers it here, so that a
# hand-over moves everything at once and nothing is forgotten.
OWNED_TABLES: list[Table] = []


def register_owned_table(table: Table) -> Table:
    if table not in OWNED_TABLES:
        OWNED_TABLES.append(table)
    return table


@dataclass(frozen=True)
class MemberView:
    member: Member
    roles: list[str]


async def list_members(session: AsyncSession, access: Access) -> list[MemberView]:
    access.require("members", "read")
    options = scoped(access.scope)
    members = list(await session.scalars(select(Member).order_by(Member.name, Member.id), execution_options=options))
    roles: dict[uuid.UUID, list[str]] = {}
    for member_id, role in (
        await session.execute(
            select(MemberRole.member_id, MemberRole.role_key).order_by(MemberRole.role_key), execution_options=options
        )
    ).all():
        roles.setdefault(member_id, []).append(role)
    return [MemberView(m, roles.get(m.id, [])) for m in members]


async def get_member(session: AsyncSession, access: Access, member_id: uuid.UUID) -> Member:
    """The member as stored now. Tenant rows are read and written with statements bound to the scope,
    never through the unit of work (a flush or refresh would not know the tenant's schema)."""
    member = await session.scalar(
        select(Member).where(Member.id == member_id).execution_options(populate_existing=True),
        execution_options=scoped(access.scope),
    )
    if member is None:
        raise not_found_for("Member")
    return member


async def _owners(session: AsyncSession, access: Access) -> set[uuid.UUID]:
    return set(
        await session.scalars(
            select(MemberRole.member_id)
            .join(Member, Member.id == MemberRole.member_id)
            .where(MemberRole.role_key == "owner", Member.status == "active"),
            execution_options=scoped(access.scope),
        )
    )


async def update_member(
    session: AsyncSession,
    access: Access,
    member_id: uuid.UUID,
    *,
    roles: list[str] | None = None,
    department_id: uuid.UUID | None = None,
    manager_id: uuid.UUID | None = None,
    clear: frozenset[str] = frozenset(),
) -> MemberView:
    """Change roles, department or manager; ``clear`` names fields set back to none."""
    access.require("members", "update")
    options = scoped(access.scope)
    member = await get_member(session, access, member_id)
    errors: list[FieldError] = []
    if roles is not None:
        known = set(await session.scalars(select(Role.key), execution_options=options))
        if not roles:
            errors.append(FieldError("roles", "must name at least one role", "required"))
        elif unknown := sorted(set(roles) - known):
            errors.append(FieldError("roles", f"unknown roles: {', '.join(unknown)}", "invalid_choice"))
        elif "owner" in roles and "owner" not in access.roles:
            raise forbidden("Only an owner can make someone an owner.")
        elif "owner" not in roles and (await _owners(session, access)) == {member_id}:
            errors.append(FieldError("roles", "the workspace must keep at least one owner", "last_owner"))
    if department_id is not None and await session.get(Department, department_id, execution_options=options) is None:
        errors.append(FieldError("department_id", "no such department", "not_found"))
    if manager_id is not None:
        if manager_id == member_id:
            errors.append(FieldError("manager_id", "nobody is their own manager", "invalid"))
        elif manager_id in await _reports_of(session, access, member_id):
            errors.append(FieldError("manager_id", "would make a circle of managers", "cycle"))
        elif await session.get(Member, manager_id, execution_options=options) is None:
            errors.append(FieldError("manager_id", "no such member", "not_found"))
    if errors:
        raise validation_error(*errors)
    if roles is not None:
        await session.execute(delete(MemberRole).where(MemberRole.member_id == member_id), execution_options=options)
        await session.execute(
            insert(MemberRole),
            [{"member_id": member_id, "role_key": r} for r in sorted(set(roles))],
            execution_options=options,
        )
        main_role = "owner" if "owner" in roles else sorted(roles)[0]
        await session.execute(
            update(Membership)
            .where(Membership.user_id == member_id, Membership.tenant_id == access.scope.tenant_id)
            .values(role=main_role)
        )
    values: dict[str, object] = {}
    if department_id is not None or "department_id" in clear:
        values["department_id"] = department_id
    if manager_id is not None or "manager_id" in clear:
        values["manager_id"] = manager_id
    if values:
        await session.execute(update(Member).where(Member.id == member_id).values(**values), execution_options=options)
    member = await get_member(session, access, member_id)
    current = list(
        await session.scalars(
            select(MemberRole.role_key).where(MemberRole.member_id == member_id).order_by(MemberRole.role_key),
            execution_options=options,
        )
    )
    return MemberView(member, current)


async def _reports_of(session: AsyncSession, access: Access, member_id: uuid.UUID) -> set[uuid.UUID]:
    options = scoped(access.scope)
    found: set[uuid.UUID] = set()
    frontier = {member_id}
    while frontier:
        frontier = (
            set(
                await session.scalars(
                    select(Member.id).where(Member.manager_id.in_(frontier)), execution_options=options
                )
            )
            - found
        )
        found |= frontier
    return found


async def deactivate(session: AsyncSession, access: Access, member_id: uuid.UUID) -> Member:
    """The member loses the workspace at once: sessions pointing at it and their API tokens stop working."""
    access.require("members", "update")
    if member_id == access.member_id:
        raise validation_error(FieldError("member_id", "you cannot deactivate yourself", "self"))
    await get_member(session, access, member_id)
    if (await _owners(session, access)) == {member_id}:
        raise validation_error(FieldError("member_id", "the workspace must keep at least one owner", "last_owner"))
    tenant_id = access.scope.tenant_id
    await session.execute(
        update(Member).where(Member.id == member_id).values(status="deactivated"),
        execution_options=scoped(access.scope),
    )
    await session.execute(
        update(Membership)
        .where(Membership.user_id == member_id, Membership.tenant_id == tenant_id)
        .values(status="deactivated")
    )
    await session.execute(
        delete(AuthSession).where(AuthSession.user_id == member_id, AuthSession.tenant_id == tenant_id)
    )
    await session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == member_id, ApiToken.tenant_id == tenant_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    await seats_changed(session, tenant_id)
    return await get_member(session, access, member_id)


async def hand_over(session: AsyncSession, access: Access, from_id: uuid.UUID, to_id: uuid.UUID) -> dict[str, int]:
    """Give everything ``from_id`` owns to ``to_id`` in one step; returns rows moved per table."""
    access.require("members", "update")
    if from_id == to_id:
        raise validation_error(FieldError("to_member_id", "must be another member", "same_member"))
    await get_member(session, access, from_id)
    receiver = await get_member(session, access, to_id)
    if receiver.status != "active":
        raise conflict("to_member_id", "The receiving member is deactivated.", "member-inactive")
    import guanxi.domain.catalog  # noqa: F401 -- registers every domain's owned tables

    moved: dict[str, int] = {}
    for table in OWNED_TABLES:
        result = await session.execute(
            update(table).where(table.c.owner_id == from_id).values(owner_id=to_id),
            execution_options=scoped(access.scope),
        )
        moved[table.name] = int(result.rowcount)  # type: ignore[attr-defined]
    return moved
