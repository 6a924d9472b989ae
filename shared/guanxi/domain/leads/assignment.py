"""Assignment rules (线索分配规则): an ordered list the administrator keeps; the first active rule whose conditions
all match a new lead (source, region, company size) names its owner: one member, or members in turn (a list,
or a department and its sub-departments). No rule matches: the lead waits in the lead pool.

The round-robin pointer is advanced with one ``UPDATE … RETURNING``: the row lock makes concurrent leads take
consecutive turns, so a team gets its leads evenly however many arrive at once."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id
from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.access import repository as access_repository
from guanxi.domain.access.models import Member
from guanxi.domain.access.service import Access
from guanxi.domain.customers.validation import Cleaner
from guanxi.domain.leads.models import AssignmentRule
from guanxi.domain.leads.schemas import RuleIn
from guanxi.errors import FieldError, forbidden, validation_error

MAX_RULES = 100
MAX_VALUES = 50


def require_admin(access: Access) -> None:
    if access.scope_of("settings", "update") != "all":
        raise forbidden("Only a workspace administrator may set up lead assignment.")


async def rules(session: AsyncSession, scope: TenantScope) -> list[AssignmentRule]:
    return list(
        await session.scalars(
            select(AssignmentRule).order_by(AssignmentRule.position, AssignmentRule.id), execution_options=scoped(scope)
        )
    )


async def _clean_rule(session: AsyncSession, access: Access, index: int, rule: RuleIn, c: Cleaner) -> dict[str, Any]:
    at = f"rules[{index}]"
    name = c.text(f"{at}.name", rule.name, 100, required=True)

    def words(field: str, values: list[str]) -> list[str]:
        cleaned = c.listed(f"{at}.{field}", values, MAX_VALUES, lambda n, v: c.text(n, v, 60))
        return [v.casefold() for v in cleaned]

    low = c.integer(f"{at}.min_employees", rule.min_employees, 0, 10_000_000)
    high = c.integer(f"{at}.max_employees", rule.max_employees, 0, 10_000_000)
    if low is not None and high is not None and low > high:
        c.fail(f"{at}.max_employees", "must not be below min_employees", "invalid")
    if bool(rule.member_ids) == (rule.department_id is not None):
        c.fail(f"{at}.member_ids", "name the members or a department who get the leads (one of the two)", "required")
    if len(rule.member_ids) > MAX_VALUES:
        c.fail(f"{at}.member_ids", f"must have at most {MAX_VALUES} entries", "too_many")
    elif rule.member_ids:
        active = set(
            await session.scalars(
                select(Member.id).where(Member.id.in_(rule.member_ids), Member.status == "active"),
                execution_options=scoped(access.scope),
            )
        )
        for n, member in enumerate(rule.member_ids):
            if member not in active:
                c.fail(f"{at}.member_ids[{n}]", "is not an active member of this workspace", "invalid")
    if rule.department_id is not None:
        found = await access_repository.department_members(session, access.scope, rule.department_id)
        if found is None:
            c.fail(f"{at}.department_id", "is not a department of this workspace", "invalid")
    return {
        "name": name,
        "sources": words("sources", rule.sources),
        "regions": words("regions", rule.regions),
        "min_employees": low,
        "max_employees": high,
        "member_ids": list(dict.fromkeys(rule.member_ids)),
        "department_id": rule.department_id,
        "active": rule.active,
    }


async def replace(session: AsyncSession, access: Access, data: list[RuleIn]) -> list[AssignmentRule]:
    """Set the whole ordered list at once (the order given is the order tried)."""
    require_admin(access)
    c = Cleaner()
    if len(data) > MAX_RULES:
        raise validation_error(FieldError("rules", f"must have at most {MAX_RULES} rules", "too_many"))
    cleaned = [await _clean_rule(session, access, index, rule, c) for index, rule in enumerate(data)]
    if c.errors:
        raise validation_error(*c.errors)
    options = scoped(access.scope)
    await session.execute(delete(AssignmentRule), execution_options=options)
    for position, values in enumerate(cleaned):
        await session.execute(
            insert(AssignmentRule).values(id=new_id(), position=position, created_by=access.member_id, **values),
            execution_options=options,
        )
    return await rules(session, access.scope)


def matches(rule: AssignmentRule, lead: Mapping[str, Any]) -> bool:
    if rule.sources and (lead.get("source") or "").casefold() not in rule.sources:
        return False
    if rule.regions and (lead.get("region") or "").casefold() not in rule.regions:
        return False
    employees = lead.get("employees")
    if rule.min_employees is not None and (employees is None or employees < rule.min_employees):
        return False
    return rule.max_employees is None or (employees is not None and employees <= rule.max_employees)


async def _candidates(session: AsyncSession, scope: TenantScope, rule: AssignmentRule) -> list[uuid.UUID]:
    if rule.department_id is not None:
        return sorted(await access_repository.department_members(session, scope, rule.department_id) or [])
    active = set(
        await session.scalars(
            select(Member.id).where(Member.id.in_(rule.member_ids), Member.status == "active"),
            execution_options=scoped(scope),
        )
    )
    return [m for m in rule.member_ids if m in active]  # in the order the administrator listed them


async def owner_for(session: AsyncSession, scope: TenantScope, lead: Mapping[str, Any]) -> uuid.UUID | None:
    """The owner the first matching rule gives this lead, or None (the lead pool). A rule whose people have all
    left is passed over."""
    for rule in await rules(session, scope):
        if not rule.active or not matches(rule, lead):
            continue
        people = await _candidates(session, scope, rule)
        if not people:
            continue
        turn = await session.scalar(
            update(AssignmentRule)
            .where(AssignmentRule.id == rule.id)
            .values(turn=AssignmentRule.turn + 1)
            .returning(AssignmentRule.turn),
            execution_options=scoped(scope),
        )
        return people[((turn or 1) - 1) % len(people)]
    return None
