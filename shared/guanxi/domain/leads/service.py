"""Leads (线索): recorded by hand, through the API, a web form or an import; worked through new → contacted →
qualified (or unqualified, with the reason); converted in one step into an account, a contact on it and
optionally a deal, taking their activities along. A lead without an owner is in the lead pool (线索池), which
everyone who may read leads sees; claiming one is first come, first served.

Every read goes through ``visible``; writes need the leads data scope over the owner. No HTTP, no commit."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id
from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.activities.models import Activity
from guanxi.domain.billing import limits
from guanxi.domain.customers import repository as customers_repository
from guanxi.domain.customers import service as customers
from guanxi.domain.customers.models import Account
from guanxi.domain.customers.schemas import AccountIn, ContactIn, Size
from guanxi.domain.customers.validation import Cleaner
from guanxi.domain.deals import service as deals
from guanxi.domain.deals.schemas import DealIn
from guanxi.domain.leads import assignment
from guanxi.domain.leads.models import Lead
from guanxi.domain.leads.schemas import ConvertIn, LeadIn
from guanxi.domain.tenancy.models import WorkspaceSettings
from guanxi.domain.timeline.models import RecordChange
from guanxi.errors import DomainError, FieldError, conflict, forbidden, validation_error

MODULE = "leads"
TEXT = {"name": 100, "company": 200, "title": 100, "source": 60, "region": 60, "industry": 100}
NOTES = {"qualification_note": 1000, "disqualify_reason": 1000}
COLUMNS = [c for c in Lead.__table__.columns if c.name not in ("deleted_at", "deleted_by")]


def visible(access: Access, action: str = "read") -> ColumnElement[bool]:
    """Reading: the leads in one's scope and the whole pool. Changing: those in one's scope (a pool lead is
    changed by whoever may change every lead; the others claim it first)."""
    mine = access.where(MODULE, action, Lead.owner_id)
    if action == "read":
        return or_(Lead.owner_id.is_(None), mine)
    return mine


def _can_manage(access: Access) -> bool:
    return access.scope_of(MODULE, "update") == "all"


def clean(data: LeadIn, *, creating: bool) -> dict[str, Any]:
    c = Cleaner()
    values: dict[str, Any] = {}
    given = customers.given_fields(data)
    for name, value in given.items():
        if name in TEXT:
            values[name] = c.text(name, value, TEXT[name])
        elif name in NOTES:
            values[name] = c.text(name, value, NOTES[name], multiline=True)
        elif name == "description":
            values[name] = c.text(name, value, 20_000, multiline=True)
        elif name == "phone":
            values[name] = c.phone(name, value)
        elif name == "email":
            values[name] = c.email(name, value)
        elif name == "employees":
            values[name] = c.integer(name, value, 0, 10_000_000)
        elif name == "estimated_value":
            values[name] = c.money(name, value)
        elif name == "currency":
            values[name] = c.currency(name, value) if value is not None else None
        elif name == "tags":
            values[name] = c.tags(name, value)
        else:
            values[name] = value
    if values.get("status") == "converted":
        c.fail("status", "a lead is converted with POST /leads/{id}/convert", "invalid")
    if values.get("status") == "unqualified" and not values.get("disqualify_reason"):
        c.fail("disqualify_reason", "say why the lead is unqualified", "required")
    if creating and not (values.get("name") or values.get("company")):
        c.fail("name", "is required: the person's name or the company (company)", "required")
    if c.errors:
        raise validation_error(*c.errors)
    return values


async def _timeline(
    session: AsyncSession, access: Access, lead_id: uuid.UUID, action: str, changes: dict[str, list[Any]]
) -> None:
    await session.execute(
        insert(RecordChange).values(
            id=new_id(),
            record_type="lead",
            record_id=lead_id,
            actor_id=access.member_id,
            action=action,
            changes={k: [customers.jsonable(v) for v in pair] for k, pair in changes.items()},
        ),
        execution_options=scoped(access.scope),
    )


async def fetch(session: AsyncSession, access: Access, lead_id: uuid.UUID, action: str = "read") -> dict[str, Any]:
    """The lead if the caller may ``action`` it: 404 when they may not see it, 403 when they see but may not."""
    access.require(MODULE, "read")
    options = scoped(access.scope)
    query = select(*COLUMNS).where(Lead.id == lead_id, Lead.deleted_at.is_(None))
    row = (await session.execute(query.where(visible(access)), execution_options=options)).first()
    if row is None:
        raise not_found_for("Lead")
    found = dict(row._mapping)
    if action != "read":
        access.require(MODULE, action)
        allowed = (await session.execute(query.where(visible(access, action)), execution_options=options)).first()
        if allowed is None and not (found["owner_id"] is None and _can_manage(access)):
            raise forbidden(f"Your role may not {action} this lead.")
    return found


async def insert_lead(
    session: AsyncSession,
    scope: TenantScope,
    actor_id: uuid.UUID | None,
    values: dict[str, Any],
    via: str,
    batch_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Write a cleaned lead: an owner given is kept (None: the pool); none given, the assignment rules choose."""
    options = scoped(scope)
    if "owner_id" not in values:
        values = {**values, "owner_id": await assignment.owner_for(session, scope, values)}
    if values.get("estimated_value") is not None and not values.get("currency"):
        currency = await session.scalar(select(WorkspaceSettings.currency).limit(1), execution_options=options)
        values = {**values, "currency": currency or "CNY"}
    values.setdefault("status", "new")
    lead_id = new_id()
    await session.execute(
        insert(Lead).values(id=lead_id, captured_via=via, created_by=actor_id, import_id=batch_id, **values),
        execution_options=options,
    )
    changes = {k: [None, v] for k, v in values.items() if v not in (None, [], "")} | {"captured_via": [None, via]}
    await session.execute(
        insert(RecordChange).values(
            id=new_id(),
            record_type="lead",
            record_id=lead_id,
            actor_id=actor_id,
            action="created",
            changes={k: [customers.jsonable(v) for v in pair] for k, pair in changes.items()},
            batch_id=batch_id,
        ),
        execution_options=options,
    )
    return lead_id


async def create(session: AsyncSession, access: Access, data: LeadIn, via: str) -> dict[str, Any]:
    access.require(MODULE, "create")
    values = clean(data, creating=True)
    if values.get("owner_id") is not None:
        await customers.check_owner(session, access, MODULE, values["owner_id"], "create")
    await limits.check_records(session, access.scope)
    lead_id = await insert_lead(session, access.scope, access.member_id, values, via)
    return await fetch(session, access, lead_id)


async def change(session: AsyncSession, access: Access, lead_id: uuid.UUID, data: LeadIn) -> dict[str, Any]:
    before = await fetch(session, access, lead_id, "update")
    if before["status"] == "converted":
        raise conflict("status", "the lead is converted: change the account, contact or deal it became", "converted")
    values = clean(data, creating=False)
    merged = {**before, **values}
    if not (merged.get("name") or merged.get("company")):
        raise validation_error(FieldError("name", "the person's name or the company must remain", "required"))
    if merged["status"] == "unqualified" and not merged.get("disqualify_reason"):
        raise validation_error(FieldError("disqualify_reason", "say why the lead is unqualified", "required"))
    if values.get("owner_id") is not None and values["owner_id"] != before["owner_id"]:
        await customers.check_owner(session, access, MODULE, values["owner_id"], "update")
    changes = {k: [before.get(k), v] for k, v in values.items() if before.get(k) != v}
    if changes:
        await session.execute(
            update(Lead).where(Lead.id == lead_id).values(updated_at=func.now(), **values),
            execution_options=scoped(access.scope),
        )
        await _timeline(session, access, lead_id, "updated", changes)
    return await fetch(session, access, lead_id)


async def remove(session: AsyncSession, access: Access, lead_id: uuid.UUID) -> None:
    await fetch(session, access, lead_id, "delete")
    await session.execute(
        update(Lead).where(Lead.id == lead_id).values(deleted_at=func.now(), deleted_by=access.member_id),
        execution_options=scoped(access.scope),
    )
    await _timeline(session, access, lead_id, "deleted", {})


async def list_leads(
    session: AsyncSession, access: Access, *, filters: dict[str, Any], cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Leads one may see, latest change first, by keyset over (updated_at, id). ``owner`` is ``mine``, ``pool``
    or a member id."""
    access.require(MODULE, "read")
    conditions: list[ColumnElement[bool]] = [Lead.deleted_at.is_(None), visible(access)]
    owner = filters.get("owner")
    if owner == "mine":
        conditions.append(Lead.owner_id == access.member_id)
    elif owner == "pool":
        conditions.append(Lead.owner_id.is_(None))
    elif owner is not None:
        try:
            conditions.append(Lead.owner_id == uuid.UUID(owner))
        except ValueError:
            raise validation_error(FieldError("owner", "must be mine, pool or a member id", "invalid")) from None
    for name in ("status", "source", "captured_via"):
        if filters.get(name):
            conditions.append(getattr(Lead, name) == filters[name])
    if filters.get("q"):
        pattern = "%" + filters["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(*(getattr(Lead, n).ilike(pattern) for n in ("name", "company", "email", "phone"))))
    if cursor:
        at, last = customers_repository.decode_cursor(cursor, dt.datetime.fromisoformat)
        conditions.append(tuple_(Lead.updated_at, Lead.id) < (at, last))
    rows = [
        dict(row._mapping)
        for row in await session.execute(
            select(*COLUMNS).where(*conditions).order_by(Lead.updated_at.desc(), Lead.id.desc()).limit(limit + 1),
            execution_options=scoped(access.scope),
        )
    ]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = customers_repository.encode_cursor(rows[-1]["updated_at"], rows[-1]["id"])
    return rows, next_cursor


# ---- the lead pool ----------------------------------------------------------------------------------------


async def claim(session: AsyncSession, access: Access, lead_id: uuid.UUID) -> dict[str, Any]:
    """Take a pool lead. One conditional UPDATE: of two members claiming at once exactly one gets it."""
    access.require(MODULE, "update")
    found = (
        await session.execute(
            select(Lead.owner_id).where(Lead.id == lead_id, Lead.deleted_at.is_(None)),
            execution_options=scoped(access.scope),
        )
    ).first()
    if found is None:  # in the workspace but owned by someone else: 409 below (the pool is shared knowledge)
        raise not_found_for("Lead")
    before = found.owner_id
    taken = await session.scalar(
        update(Lead)
        .where(Lead.id == lead_id, Lead.owner_id.is_(None), Lead.deleted_at.is_(None), Lead.status != "converted")
        .values(owner_id=access.member_id, updated_at=func.now())
        .returning(Lead.id),
        execution_options=scoped(access.scope),
    )
    if taken is None:
        raise DomainError(
            detail="Someone else has this lead already.",
            status=409,
            type="already-claimed",
            title="Already claimed",
            errors=[FieldError("id", "is no longer in the lead pool", "already_claimed")],
        )
    await _timeline(session, access, lead_id, "claimed", {"owner_id": [before, access.member_id]})
    return await fetch(session, access, lead_id)


async def assign(session: AsyncSession, access: Access, lead_id: uuid.UUID, owner_id: uuid.UUID) -> dict[str, Any]:
    """An administrator (whoever may change every lead) gives a lead to a member."""
    if not _can_manage(access):
        raise forbidden("Only those who may change every lead assign them.")
    before = await fetch(session, access, lead_id, "update")
    if before["status"] == "converted":
        raise conflict("status", "the lead is converted already", "converted")
    await customers.check_owner(session, access, MODULE, owner_id, "update")
    await session.execute(
        update(Lead).where(Lead.id == lead_id).values(owner_id=owner_id, updated_at=func.now()),
        execution_options=scoped(access.scope),
    )
    await _timeline(session, access, lead_id, "assigned", {"owner_id": [before["owner_id"], owner_id]})
    return await fetch(session, access, lead_id)


async def give_back(session: AsyncSession, access: Access, lead_id: uuid.UUID) -> dict[str, Any]:
    """The owner (or someone whose scope reaches the owner) returns a lead to the pool."""
    before = await fetch(session, access, lead_id, "update")
    if before["owner_id"] is None:
        raise conflict("owner_id", "the lead is in the pool already", "in-pool")
    if before["status"] == "converted":
        raise conflict("status", "the lead is converted already", "converted")
    await session.execute(
        update(Lead).where(Lead.id == lead_id).values(owner_id=None, updated_at=func.now()),
        execution_options=scoped(access.scope),
    )
    await _timeline(session, access, lead_id, "released", {"owner_id": [before["owner_id"], None]})
    return await fetch(session, access, lead_id)


# ---- conversion -------------------------------------------------------------------------------------------


SIZES: tuple[tuple[int, Size], ...] = ((10, "1-10"), (50, "11-50"), (200, "51-200"), (1000, "201-1000"))


def _size(employees: int | None) -> Size | None:
    """The account's size band for a head count."""
    if employees is None:
        return None
    return next((band for top, band in SIZES if employees <= top), "1000+")


async def convert(
    session: AsyncSession, access: Access, lead_id: uuid.UUID, data: ConvertIn
) -> tuple[dict[str, Any], uuid.UUID, uuid.UUID, uuid.UUID | None]:
    """The lead becomes an account (or joins ``account_id``), a contact on it and optionally a deal, in the
    caller's transaction; its activities move onto the account and contact. Converting twice: 409."""
    lead = await fetch(session, access, lead_id, "update")
    if lead["status"] == "converted":
        raise conflict("status", "the lead is converted already", "converted")
    if lead["status"] == "unqualified":
        raise conflict("status", "an unqualified lead is not converted: qualify it first", "unqualified")
    options = scoped(access.scope)
    # Locks the lead: a second conversion running at the same time waits and then finds it converted.
    locked = await session.scalar(
        select(Lead.status).where(Lead.id == lead_id).with_for_update(), execution_options=options
    )
    if locked == "converted":
        raise conflict("status", "the lead is converted already", "converted")
    owner = lead["owner_id"] or access.member_id
    if data.account_id is not None:
        if await customers_repository.fetch_one(session, access, Account, data.account_id) is None:
            raise validation_error(FieldError("account_id", "is not an account you can see", "not_found"))
        account_id = data.account_id
    else:
        account = AccountIn(
            name=lead["company"] or lead["name"],
            kind="company" if lead["company"] else "individual",
            tags=lead["tags"],
            source=lead["source"],
            industry=lead["industry"],
            province=lead["region"],
            size=_size(lead["employees"]),
            phone=lead["phone"],
            email=lead["email"],
            owner_id=owner,
        )
        created, _ = await customers.create_account(
            session, access, account, reject_duplicates=not data.allow_duplicate
        )
        account_id = created["id"]
    contact, _ = await customers.create_contact(
        session,
        access,
        ContactIn(
            account_id=account_id,
            name=lead["name"] or lead["company"],
            title=lead["title"],
            phones=[lead["phone"]] if lead["phone"] else [],
            emails=[lead["email"]] if lead["email"] else [],
            owner_id=owner,
        ),
    )
    deal_id = None
    if data.deal is not None:
        amount = data.deal.amount if data.deal.amount is not None else lead["estimated_value"] or Decimal(0)
        deal_in = DealIn(
            name=data.deal.name or f"{lead['company'] or lead['name']}",
            account_id=account_id,
            contact_id=contact["id"],
            amount=amount,
            owner_id=owner,
        )
        currency = data.deal.currency or lead["currency"]
        if currency:
            deal_in.currency = currency
        if data.deal.pipeline_id:
            deal_in.pipeline_id = data.deal.pipeline_id
        try:
            deal_id = (await deals.create(session, access, deal_in))["id"]
        except DomainError as error:  # name the fields as the convert request spells them
            error.errors = [dataclasses.replace(e, field=f"deal.{e.field}") for e in error.errors]
            raise
    await session.execute(
        update(Activity)
        .where(Activity.lead_id == lead_id)
        .values(account_id=account_id, contact_id=func.coalesce(Activity.contact_id, contact["id"])),
        execution_options=options,
    )
    links = {"account_id": account_id, "contact_id": contact["id"], "deal_id": deal_id}
    await session.execute(
        update(Lead)
        .where(Lead.id == lead_id)
        .values(status="converted", converted_at=func.now(), updated_at=func.now(), **links),
        execution_options=options,
    )
    await _timeline(
        session,
        access,
        lead_id,
        "converted",
        {"status": [lead["status"], "converted"], **{k: [None, v] for k, v in links.items() if v is not None}},
    )
    return await fetch(session, access, lead_id), account_id, contact["id"], deal_id
