"""SQL of the access domain: who a member is, what their roles grant, and whom they can see."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.tenancy import TenantScope, validate_schema_name


@dataclass(frozen=True)
class MemberFacts:
    status: str
    partner_org: str | None
    roles: list[str]
    grants: list[tuple[str, str, str]]
    subordinates: list[uuid.UUID]
    department: list[uuid.UUID]
    department_tree: list[uuid.UUID]
    partner_members: list[uuid.UUID]
    field_rules: list[tuple[str, str, str, str, str]]  # role, module, field, access, mask


async def member_facts(session: AsyncSession, scope: TenantScope, member_id: uuid.UUID) -> MemberFacts | None:
    """Everything an access decision needs about one member, in one round trip."""
    schema = validate_schema_name(scope.schema)
    row = (
        await session.execute(
            text(f"""
            WITH RECURSIVE
              me AS (SELECT id, status, department_id, partner_org FROM "{schema}".members WHERE id = :member),
              reports(id) AS (
                SELECT id FROM me
                UNION SELECT m.id FROM "{schema}".members m JOIN reports r ON m.manager_id = r.id
              ),
              tree(id) AS (
                SELECT department_id FROM me WHERE department_id IS NOT NULL
                UNION SELECT d.id FROM "{schema}".departments d JOIN tree t ON d.parent_id = t.id
              )
            SELECT me.status, me.partner_org,
              ARRAY(SELECT role_key FROM "{schema}".member_roles WHERE member_id = me.id ORDER BY role_key) AS roles,
              ARRAY(SELECT rp.module || ':' || rp.action || ':' || rp.scope
                    FROM "{schema}".member_roles mr JOIN "{schema}".role_permissions rp ON rp.role_key = mr.role_key
                    WHERE mr.member_id = me.id) AS grants,
              ARRAY(SELECT id FROM reports) AS subordinates,
              ARRAY(SELECT m.id FROM "{schema}".members m WHERE m.department_id = me.department_id) AS department,
              ARRAY(SELECT m.id FROM "{schema}".members m WHERE m.department_id IN (SELECT id FROM tree)) AS tree,
              ARRAY(SELECT m.id FROM "{schema}".members m
                    WHERE me.partner_org IS NOT NULL AND m.partner_org = me.partner_org) AS partners,
              ARRAY(SELECT fr.role_key || ':' || fr.module || ':' || fr.field || ':' || fr.access || ':' || fr.mask
                    FROM "{schema}".member_roles mr JOIN "{schema}".field_rules fr ON fr.role_key = mr.role_key
                    WHERE mr.member_id = me.id) AS field_rules
            FROM me
            """),
            {"member": member_id},
        )
    ).first()
    if row is None:
        return None
    return MemberFacts(
        status=row.status,
        partner_org=row.partner_org,
        roles=list(row.roles),
        grants=[tuple(grant.split(":", 2)) for grant in row.grants],
        subordinates=list(row.subordinates),
        department=list(row.department),
        department_tree=list(row.tree),
        partner_members=list(row.partners),
        field_rules=[tuple(rule.split(":", 4)) for rule in row.field_rules],
    )


async def department_members(
    session: AsyncSession, scope: TenantScope, department_id: uuid.UUID
) -> list[uuid.UUID] | None:
    """The active members of a department and its sub-departments; None when there is no such department."""
    schema = validate_schema_name(scope.schema)
    row = (
        await session.execute(
            text(f"""
            WITH RECURSIVE tree(id) AS (
              SELECT id FROM "{schema}".departments WHERE id = :department
              UNION SELECT d.id FROM "{schema}".departments d JOIN tree t ON d.parent_id = t.id
            )
            SELECT EXISTS (SELECT 1 FROM tree) AS found,
              ARRAY(SELECT m.id FROM "{schema}".members m
                    WHERE m.status = 'active' AND m.department_id IN (SELECT id FROM tree)) AS members
            """),
            {"department": department_id},
        )
    ).one()
    return list(row.members) if row.found else None


async def active_members_and_departments(
    session: AsyncSession, scope: TenantScope
) -> tuple[list[tuple[uuid.UUID, str, uuid.UUID | None]], list[tuple[uuid.UUID, str, uuid.UUID | None]]]:
    """Every active member (id, name, department) and every department (id, name, parent), by name."""
    schema = validate_schema_name(scope.schema)
    members = await session.execute(
        text(f"""SELECT id, name, department_id FROM "{schema}".members WHERE status = 'active' ORDER BY name, id""")
    )
    departments = await session.execute(
        text(f"""SELECT id, name, parent_id FROM "{schema}".departments ORDER BY name, id""")
    )
    return [tuple(r) for r in members], [tuple(r) for r in departments]
