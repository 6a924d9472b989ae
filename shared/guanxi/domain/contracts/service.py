"""Contracts (合同): made from an accepted quote (one contract per quote) or by hand, numbered by the workspace's
rules, with dates, both signatories, lines copied from the quote, and files (the attachments domain).

Status: ``draft`` → ``active`` → ``terminated`` by hand; an active contract past its end date reads as
``expired`` (computed on every read in the workspace's time zone, like a quote's validity). The daily reminder
mails the owner once per contract and end date, ``reminder_days`` (a workspace setting, 30 by default) before it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from msgspec import UNSET
from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id
from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.contracts.models import Contract, ContractLine
from guanxi.domain.contracts.schemas import ContractIn, FromQuoteIn
from guanxi.domain.customers import repository as customers
from guanxi.domain.customers.models import Account
from guanxi.domain.customers.service import check_owner
from guanxi.domain.customers.validation import Cleaner
from guanxi.domain.numbering.service import next_number, workspace_today
from guanxi.domain.quotes import service as quotes
from guanxi.domain.quotes.models import QuoteLine
from guanxi.domain.tenancy.models import WorkspaceSettings
from guanxi.errors import FieldError, conflict, forbidden, validation_error

MODULE = "contracts"
COLUMNS = [c for c in Contract.__table__.columns if c.name not in ("deleted_at", "created_by")]
LINE_FIELDS = [c.name for c in QuoteLine.__table__.columns if c.name not in ("id", "quote_id")]
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def visible(access: Access, action: str = "read") -> ColumnElement[bool]:
    return access.where(MODULE, action, Contract.owner_id)


def effective_status(status: str, end_date: dt.date | None, today: dt.date) -> str:
    return "expired" if status == "active" and end_date is not None and end_date < today else status


async def fetch(session: AsyncSession, access: Access, contract_id: uuid.UUID, action: str = "read") -> dict[str, Any]:
    options = scoped(access.scope)
    row = (
        await session.execute(
            select(*COLUMNS, Account.name.label("account_name"))
            .join(Account, Account.id == Contract.account_id)
            .where(Contract.id == contract_id, Contract.deleted_at.is_(None), visible(access, action)),
            execution_options=options,
        )
    ).first()
    if row is None:
        raise not_found_for("Contract")
    contract = dict(row._mapping)
    contract["status"] = effective_status(contract["status"], contract["end_date"],
                                          await workspace_today(session, access.scope))  # fmt: skip
    lines = await session.execute(
        select(ContractLine).where(ContractLine.contract_id == contract_id).order_by(ContractLine.position),
        execution_options=options,
    )
    contract["lines"] = [
        {**{f: getattr(line, f) for f in LINE_FIELDS}, "id": line.id, "total": line.net_amount + line.tax_amount}
        for line in lines.scalars()
    ]
    return contract


def _clean(c: Cleaner, data: ContractIn) -> dict[str, Any]:
    given = {n: getattr(data, n) for n in data.__struct_fields__ if getattr(data, n) is not UNSET}
    values: dict[str, Any] = {}
    if "name" in given:
        values["name"] = c.text("name", given["name"], 200, required=True)
    if "notes" in given:
        values["notes"] = c.text("notes", given["notes"], 20_000, multiline=True)
    if "amount" in given:
        values["amount"] = c.money("amount", given["amount"])
    if "currency" in given:
        values["currency"] = c.currency("currency", given["currency"])
    _check_dates(c, given)
    for name in ("account_id", "deal_id", "customer_signatory_id", "our_signatory_id", "owner_id", "status",
                 "start_date", "end_date", "signed_date"):  # fmt: skip
        if name in given:
            values[name] = given[name]
    return values


def _check_dates(c: Cleaner, given: dict[str, Any]) -> None:
    for name in ("start_date", "end_date", "signed_date"):
        if given.get(name) is not None and not EARLIEST <= given[name] <= LATEST:
            c.fail(name, "must be a date between 2000 and 2100", "out_of_range")


async def _check_links(session: AsyncSession, access: Access, contract: dict[str, Any]) -> None:
    errors = await quotes.account_links(
        session, access, contract["account_id"], contract.get("customer_signatory_id"), contract.get("deal_id"),
        contact_field="customer_signatory_id",
    )  # fmt: skip
    start, end = contract.get("start_date"), contract.get("end_date")
    if start is not None and end is not None and end < start:
        errors.append(FieldError("end_date", "must not be before the start date", "invalid"))
    signatory = contract.get("our_signatory_id")
    if signatory is not None and not await customers.active_member(session, access, signatory):
        errors.append(FieldError("our_signatory_id", "is not an active member of this workspace", "invalid"))
    if errors:
        raise validation_error(*errors)


async def _insert(session: AsyncSession, access: Access, values: dict[str, Any]) -> uuid.UUID:
    contract_id = new_id()
    number = await next_number(session, access.scope, "contract")
    await session.execute(
        insert(Contract).values(id=contract_id, number=number, created_by=access.member_id, **values),
        execution_options=scoped(access.scope),
    )
    await quotes.timeline(session, access, "contract", contract_id, "created",
                          {"amount": [None, values["amount"]]})  # fmt: skip
    return contract_id


async def create(session: AsyncSession, access: Access, data: ContractIn) -> dict[str, Any]:
    access.require(MODULE, "create")
    c = Cleaner()
    values = _clean(c, data)
    for name in ("name", "account_id", "amount"):
        if values.get(name) is None and not any(e.field == name for e in c.errors):
            c.fail(name, "is required", "required")
    if c.errors:
        raise validation_error(*c.errors)
    await _check_links(session, access, values)
    values["owner_id"] = values.get("owner_id") or access.member_id
    await check_owner(session, access, MODULE, values["owner_id"], "create")
    if "currency" not in values:
        currency = await session.scalar(select(WorkspaceSettings.currency).limit(1),
                                        execution_options=scoped(access.scope))  # fmt: skip
        values["currency"] = currency or "CNY"
    return await fetch(session, access, await _insert(session, access, values))


async def from_quote(session: AsyncSession, access: Access, quote_id: uuid.UUID, data: FromQuoteIn) -> dict[str, Any]:
    """The contract of an accepted quote: one per quote (a second try is 409 ``contract-exists``)."""
    access.require(MODULE, "create")
    quote = await quotes.fetch(session, access, quote_id)
    if quote["status"] != "accepted":
        raise conflict("status", "only an accepted quote becomes a contract", "quote-not-accepted")
    c = Cleaner()
    name = c.text("name", data.name, 200) or f"{quote['account_name']} {quote['number']}"
    given = {f: getattr(data, f) for f in ("start_date", "end_date", "signed_date")}
    _check_dates(c, given)
    if c.errors:
        raise validation_error(*c.errors)
    values = {
        "name": name, "quote_id": quote_id, "account_id": quote["account_id"], "deal_id": quote["deal_id"],
        "customer_signatory_id": data.customer_signatory_id or quote["contact_id"],
        "our_signatory_id": data.our_signatory_id, "owner_id": quote["owner_id"] or access.member_id,
        "amount": quote["total"], "currency": quote["currency"], **given,
    }  # fmt: skip
    await _check_links(session, access, values)
    try:
        async with session.begin_nested():
            contract_id = await _insert(session, access, values)
    except IntegrityError:
        raise conflict("quote_id", "this quote already has its contract", "contract-exists") from None
    rows = [{f: line[f] for f in LINE_FIELDS} | {"id": new_id(), "contract_id": contract_id} for line in quote["lines"]]
    if rows:
        await session.execute(insert(ContractLine), rows, execution_options=scoped(access.scope))
    return await fetch(session, access, contract_id)


async def change(session: AsyncSession, access: Access, contract_id: uuid.UUID, data: ContractIn) -> dict[str, Any]:
    before = await fetch(session, access, contract_id, "update")
    c = Cleaner()
    values = _clean(c, data)
    if "account_id" in values and values["account_id"] != before["account_id"]:
        c.fail("account_id", "cannot change: a contract stays with its account", "invalid")
    if "amount" in values and values["amount"] is None:
        c.fail("amount", "is required", "required")
    from_quote = before["quote_id"] is not None
    if from_quote and any(values.get(k, before[k]) != before[k] for k in ("amount", "currency")):
        c.fail("amount", "is the accepted quote's: make a new quote to change it", "invalid")
    if c.errors:
        raise validation_error(*c.errors)
    await _check_links(session, access, {**before, **values})
    if "owner_id" in values and values["owner_id"] != before["owner_id"]:
        await check_owner(session, access, MODULE, values["owner_id"], "update")
    changes = {k: [before.get(k), v] for k, v in values.items() if before.get(k) != v}
    if changes:
        await session.execute(
            update(Contract).where(Contract.id == contract_id).values(updated_at=func.now(), **values),
            execution_options=scoped(access.scope),
        )
        await quotes.timeline(session, access, "contract", contract_id, "updated", changes)
    return await fetch(session, access, contract_id)


async def remove(session: AsyncSession, access: Access, contract_id: uuid.UUID) -> None:
    await fetch(session, access, contract_id, "delete")
    # The quote may get a contract again: the unique link goes with the deleted one.
    await session.execute(
        update(Contract).where(Contract.id == contract_id).values(deleted_at=func.now(), quote_id=None),
        execution_options=scoped(access.scope),
    )
    await quotes.timeline(session, access, "contract", contract_id, "deleted", {})


async def list_contracts(
    session: AsyncSession, access: Access, *, filters: dict[str, Any], cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Contracts one may see, newest first, by keyset pages; ``expiring_within`` days: active ones ending that
    soon (the to-do list's "contracts expiring"); ``status=expired``: active ones past their end."""
    access.require(MODULE, "read")
    today = await workspace_today(session, access.scope)
    conditions: list[ColumnElement[bool]] = [Contract.deleted_at.is_(None), visible(access)]
    status = filters.get("status")
    if status == "expired":
        conditions += [Contract.status == "active", Contract.end_date < today]
    elif status == "active":
        conditions += [Contract.status == "active", (Contract.end_date.is_(None)) | (Contract.end_date >= today)]
    elif status is not None:
        conditions.append(Contract.status == status)
    if filters.get("expiring_within") is not None:
        conditions += [Contract.status == "active", Contract.end_date >= today,
                       Contract.end_date <= today + dt.timedelta(days=filters["expiring_within"])]  # fmt: skip
    for name in ("account_id", "owner_id", "quote_id"):
        if filters.get(name) is not None:
            conditions.append(getattr(Contract, name) == filters[name])
    if filters.get("q"):
        pattern = filters["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(Contract.number.ilike(pattern + "%") | Contract.name.ilike("%" + pattern + "%"))
    rows, next_cursor = await quotes.newest_first(session, access, Contract, COLUMNS, conditions, cursor, limit)
    for row in rows:
        row["status"] = effective_status(row["status"], row["end_date"], today)
    return rows, next_cursor


async def reminder_days(session: AsyncSession, scope: TenantScope) -> int:
    days = await session.scalar(select(WorkspaceSettings.contract_reminder_days).limit(1),
                                execution_options=scoped(scope))  # fmt: skip
    return int(days or 30)


async def set_reminder_days(session: AsyncSession, access: Access, days: int) -> int:
    if access.scope_of("settings", "update") != "all":
        raise forbidden("Only a workspace administrator may change the contract settings.")
    c = Cleaner()
    c.integer("reminder_days", days, 1, 365)
    if c.errors:
        raise validation_error(*c.errors)
    await session.execute(update(WorkspaceSettings).values(contract_reminder_days=days),
                          execution_options=scoped(access.scope))  # fmt: skip
    return days


async def due_reminders(session: AsyncSession, scope: TenantScope) -> list[dict[str, Any]]:
    """Active contracts with an owner ending within the reminder days and not reminded of this end date yet."""
    today = await workspace_today(session, scope)
    days = await reminder_days(session, scope)
    rows = await session.execute(
        select(Contract.id, Contract.number, Contract.name, Contract.end_date, Contract.owner_id,
               Account.name.label("account_name"))
        .join(Account, Account.id == Contract.account_id)
        .where(Contract.deleted_at.is_(None), Contract.status == "active", Contract.owner_id.is_not(None),
               Contract.end_date >= today, Contract.end_date <= today + dt.timedelta(days=days),
               Contract.reminded_for.is_distinct_from(Contract.end_date)),
        execution_options=scoped(scope),
    )  # fmt: skip
    return [{**r._mapping, "days": (r.end_date - today).days} for r in rows]


async def mark_reminded(session: AsyncSession, scope: TenantScope, contract_id: uuid.UUID, end_date: dt.date) -> bool:
    """Take the reminder of this end date: True once; a second run (or a concurrent one) gets False."""
    done = await session.scalar(
        update(Contract)
        .where(Contract.id == contract_id, Contract.end_date == end_date,
               Contract.reminded_for.is_distinct_from(end_date))
        .values(reminded_for=end_date)
        .returning(Contract.id),
        execution_options=scoped(scope),
    )  # fmt: skip
    return done is not None
