"""Record-level visibility in one place: what a member may do, on which records, by role and scope.

Every list, record, search, export, report and job asks an :class:`Access` (never filters by hand):
``access.require(module, action)`` for the action, ``access.where(module, action, owner_column, ...)``
for the rows. Scopes and the built-in permission table are in ``tenants/guanxi_tenants/access.py``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from guanxi_tenants.access import SCOPES
from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from guanxi.db.tenancy import TenantScope
from guanxi.domain.access import repository
from guanxi.domain.access.fields import FieldPolicy
from guanxi.domain.access.models import Collaborator
from guanxi.errors import DomainError, forbidden

WIDTH = {scope: rank for rank, scope in enumerate(SCOPES)}


def widest(scopes: list[str]) -> str:
    return max(scopes, key=lambda scope: WIDTH.get(scope, 0), default="none")


@dataclass(frozen=True)
class Access:
    scope: TenantScope
    member_id: uuid.UUID
    roles: tuple[str, ...]
    grants: dict[tuple[str, str], str] = field(repr=False)
    subordinates: frozenset[uuid.UUID] = field(repr=False)
    department: frozenset[uuid.UUID] = field(repr=False)
    department_tree: frozenset[uuid.UUID] = field(repr=False)
    partner_members: frozenset[uuid.UUID] = field(repr=False)
    fields: FieldPolicy = field(default_factory=FieldPolicy, repr=False)

    def scope_of(self, module: str, action: str) -> str:
        return self.grants.get((module, action), "none")

    def can(self, module: str, action: str) -> bool:
        return self.scope_of(module, action) != "none"

    def require(self, module: str, action: str) -> None:
        if not self.can(module, action):
            raise forbidden(f"Your role may not {action} {module.replace('_', ' ')}.")

    def owners(self, module: str, action: str) -> frozenset[uuid.UUID] | None:
        """The owners whose records the scope reaches; None means every record."""
        scope = self.scope_of(module, action)
        if scope == "all":
            return None
        # Each scope reaches what the narrower ones do: a manager whose report sits in another department
        # still sees that report's records under 本部门 or 本部门及下属部门.
        own = frozenset({self.member_id})
        reach = {"own": own, "subordinates": own | self.subordinates}
        reach["department"] = reach["subordinates"] | self.department
        reach["department_tree"] = reach["department"] | self.department_tree
        return reach.get(scope, frozenset())

    def where(
        self,
        module: str,
        action: str,
        owner_column: ColumnElement[Any] | QueryableAttribute[Any],
        *,
        record_type: str | None = None,
        id_column: ColumnElement[Any] | QueryableAttribute[Any] | None = None,
    ) -> ColumnElement[bool]:
        """The rows of ``module`` this member may ``action``: by owner, plus records they collaborate on."""
        owners = self.owners(module, action)
        if owners is None:
            return true()
        clauses: list[ColumnElement[bool]] = [owner_column.in_(sorted(owners))] if owners else []
        # A role without any scope on the module gets nothing through collaboration either; any other scope
        # (``shared`` for partners) adds the records shared with the member or their partner organisation.
        if record_type is not None and id_column is not None and self.can(module, action):
            grant = select(Collaborator.record_id).where(
                Collaborator.record_type == record_type,
                Collaborator.member_id.in_([self.member_id, *self.partner_members]),
                or_(Collaborator.expires_at.is_(None), Collaborator.expires_at > func.now()),
            )
            if action != "read":
                grant = grant.where(Collaborator.access == "write")
            clauses.append(id_column.in_(grant))
        return or_(*clauses) if clauses else false()


def not_found_for(what: str) -> DomainError:
    """Outside your scope looks exactly like absent: existence must not leak."""
    return DomainError(detail=f"{what} not found.", status=404, type="not-found", title="Not found")


async def load_access(session: AsyncSession, scope: TenantScope) -> Access:
    if scope.user_id is None:
        raise forbidden("No member in this context.")
    facts = await repository.member_facts(session, scope, scope.user_id)
    if facts is None or facts.status != "active":
        raise forbidden("Your access to this workspace has been removed.")
    grants: dict[tuple[str, str], list[str]] = {}
    for module, action, granted in facts.grants:
        grants.setdefault((module, action), []).append(granted)
    return Access(
        scope=scope,
        member_id=scope.user_id,
        roles=tuple(facts.roles),
        grants={key: widest(values) for key, values in grants.items()},
        subordinates=frozenset(facts.subordinates),
        department=frozenset(facts.department),
        department_tree=frozenset(facts.department_tree),
        partner_members=frozenset(facts.partner_members) - {scope.user_id},
        fields=FieldPolicy.from_role_rules(facts.roles, facts.field_rules),
    )
