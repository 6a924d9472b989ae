"""Duplicate accounts: found on create (same email, same phone, a similar name in the same city) among
the records the caller may see, and merged into one record that keeps the contacts, team and history of
all of them."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, ColumnElement, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi import textsearch
from guanxi.db.base import utcnow
from guanxi.db.tenancy import scoped
from guanxi.domain.access.models import Collaborator
from guanxi.domain.access.service import Access
from guanxi.domain.activities.models import Activity
from guanxi.domain.attachments.models import Attachment
from guanxi.domain.customers import repository
from guanxi.domain.customers.models import Account, Contact
from guanxi.domain.deals.models import Deal
from guanxi.domain.timeline.models import RecordChange
from guanxi.errors import FieldError, validation_error

MAX_SHOWN = 5
MAX_MERGED = 10
# Legal forms say nothing about who a company is: 深圳华强电子有限公司 and 深圳华强电子 are one company.
LEGAL_FORMS = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|集团公司|公司|集团|股份|"
    r"\b(co|corp|corporation|inc|incorporated|ltd|limited|llc|gmbh|plc|group|holdings?|company)\b\.?)",
    re.IGNORECASE,
)
# What a merge fills in on the surviving record when it has no value of its own.
FILLED = (
    "kind", "heat", "source", "industry", "country", "province", "city", "address", "size", "website", "phone",
    "email", "value_rating", "credit_limit", "payment_terms_days", "birthday", "age", "job_title",
)  # fmt: skip


def core_name(name: str) -> str:
    return LEGAL_FORMS.sub(" ", name).strip(" .,-()（）")


@dataclass(frozen=True)
class Duplicate:
    id: uuid.UUID
    name: str
    city: str | None
    reasons: list[str]


async def find(
    session: AsyncSession, access: Access, values: dict[str, Any], *, exclude: uuid.UUID | None = None
) -> list[Duplicate]:
    """Accounts the caller may see that look like ``values``. Phone and email count only when the caller
    may search by them (a masked number must not be confirmed this way)."""
    name, city = values.get("name") or "", values.get("city")
    email = (values.get("email") or "").lower()
    digits = textsearch.phone_digits([values.get("phone")])
    clauses: dict[str, ColumnElement[bool]] = {}
    if email and access.fields.searchable("customers", "email"):
        clauses["email"] = func.lower(Account.email) == email
    if len(digits) >= 7 and access.fields.searchable("customers", "phone"):
        clauses["phone"] = Account.search_phones.like(textsearch.like_pattern(digits[-8:]), escape="\\")
    core = textsearch.name_query(core_name(name)) if name else None
    if core and city:
        matches = Account.search_vector.op("@@", return_type=Boolean)(func.to_tsquery("simple", core))
        clauses["name"] = and_(matches, Account.city == city)
    elif name:
        clauses["name"] = func.lower(Account.name) == name.lower()
    if not clauses:
        return []
    checks = [clause.label(f"is_{reason}") for reason, clause in clauses.items()]
    statement = select(Account.id, Account.name, Account.city, *checks).where(
        Account.deleted_at.is_(None), repository.visible(access, Account), or_(*clauses.values())
    )
    if exclude is not None:
        statement = statement.where(Account.id != exclude)
    rows = await session.execute(
        statement.order_by(Account.updated_at.desc()).limit(MAX_SHOWN), execution_options=scoped(access.scope)
    )
    return [
        Duplicate(row.id, row.name, row.city, [reason for reason in clauses if getattr(row, f"is_{reason}")])
        for row in rows
    ]


async def merge(
    session: AsyncSession, access: Access, survivor: dict[str, Any], others: list[dict[str, Any]]
) -> dict[str, Any]:
    """Fold ``others`` into ``survivor`` (both already loaded with the right access): empty fields are
    filled from the others, tags and custom values joined; contacts, collaborators and history move over;
    the others are deleted (restorable like any deletion). Returns the values written to the survivor."""
    options = scoped(access.scope)
    survivor_id = survivor["id"]
    other_ids = [row["id"] for row in others]
    values: dict[str, Any] = {}
    for name in FILLED:  # only what the caller may edit: a merge must not write a field hidden from them
        if survivor.get(name) in (None, "") and access.fields.rule("customers", name).access == "edit":
            found = next((row[name] for row in others if row.get(name) not in (None, "")), None)
            if found is not None:
                values[name] = found
    tags = list(dict.fromkeys([*survivor["tags"], *(tag for row in others for tag in row["tags"])]))
    if tags != survivor["tags"]:
        values["tags"] = tags
    custom: dict[str, Any] = {}
    for row in reversed(others):
        custom |= row.get("custom") or {}
    custom |= survivor.get("custom") or {}
    if custom != (survivor.get("custom") or {}):
        values["custom"] = custom
    has_primary = await session.scalar(
        select(func.count())
        .select_from(Contact)
        .where(Contact.account_id == survivor_id, Contact.is_primary, Contact.deleted_at.is_(None)),
        execution_options=options,
    )
    await session.execute(
        update(Contact).where(Contact.account_id.in_(other_ids)).values(account_id=survivor_id, is_primary=False),
        execution_options=options,
    )
    if not has_primary:
        first = await session.scalar(
            select(Contact.id)
            .where(Contact.account_id == survivor_id, Contact.deleted_at.is_(None))
            .order_by(Contact.created_at)
            .limit(1),
            execution_options=options,
        )
        if first is not None:
            await session.execute(
                update(Contact).where(Contact.id == first).values(is_primary=True), execution_options=options
            )
    team = (
        await session.execute(
            select(Collaborator.member_id, Collaborator.access, Collaborator.expires_at).where(
                Collaborator.record_type == "account", Collaborator.record_id.in_(other_ids)
            ),
            execution_options=options,
        )
    ).all()
    for member_id, grant, expires_at in team:
        if member_id != survivor["owner_id"]:
            await session.execute(
                pg_insert(Collaborator)
                .values(
                    record_type="account",
                    record_id=survivor_id,
                    member_id=member_id,
                    access=grant,
                    expires_at=expires_at,
                    created_by=access.member_id,
                )
                .on_conflict_do_nothing(),
                execution_options=options,
            )
    # The merged records' history, activities and files become the survivor's: one timeline for one customer.
    await session.execute(
        update(RecordChange)
        .where(RecordChange.record_type == "account", RecordChange.record_id.in_(other_ids))
        .values(record_id=survivor_id),
        execution_options=options,
    )
    await session.execute(
        update(Activity).where(Activity.account_id.in_(other_ids)).values(account_id=survivor_id),
        execution_options=options,
    )
    await session.execute(  # and their deals: a customer's pipeline is one
        update(Deal).where(Deal.account_id.in_(other_ids)).values(account_id=survivor_id),
        execution_options=options,
    )
    await session.execute(
        update(Attachment)
        .where(Attachment.record_type == "account", Attachment.record_id.in_(other_ids))
        .values(record_id=survivor_id),
        execution_options=options,
    )
    await session.execute(
        update(Account).where(Account.id.in_(other_ids)).values(deleted_at=utcnow(), deleted_by=access.member_id),
        execution_options=options,
    )
    return values


def check_merge_ids(survivor_id: uuid.UUID, merged: list[uuid.UUID]) -> list[uuid.UUID]:
    ids = list(dict.fromkeys(merged))
    if not ids:
        raise validation_error(FieldError("merge_ids", "must name at least one other account", "required"))
    if len(ids) > MAX_MERGED:
        raise validation_error(FieldError("merge_ids", f"must name at most {MAX_MERGED} accounts", "too_many"))
    if survivor_id in ids:
        raise validation_error(FieldError("merge_ids", "must not include the account merged into", "invalid"))
    return ids


# Contacts --------------------------------------------------------------------------------------------

CONTACT_FILLED = ("family_name", "given_name", "title", "wechat", "whatsapp", "line", "preferred_channel")


async def find_contacts(
    session: AsyncSession, access: Access, values: dict[str, Any], *, exclude: uuid.UUID | None = None
) -> list[Duplicate]:
    """Contacts one may see sharing an email or a phone number, or with the same name at the same account."""
    emails = [email.lower() for email in values.get("emails") or []]
    digits = [d for phone in values.get("phones") or [] if len(d := textsearch.phone_digits([phone])) >= 7]
    clauses: dict[str, ColumnElement[bool]] = {}
    if emails and access.fields.searchable("contacts", "emails"):
        clauses["emails"] = Contact.emails.overlap(emails)
    if digits and access.fields.searchable("contacts", "phones"):
        clauses["phones"] = or_(
            *(Contact.search_phones.like(textsearch.like_pattern(d[-8:]), escape="\\") for d in digits)
        )
    if values.get("name") and values.get("account_id"):
        clauses["name"] = and_(
            func.lower(Contact.name) == values["name"].lower(), Contact.account_id == values["account_id"]
        )
    if not clauses:
        return []
    checks = [clause.label(f"is_{reason}") for reason, clause in clauses.items()]
    statement = select(Contact.id, Contact.name, *checks).where(
        Contact.deleted_at.is_(None), repository.visible(access, Contact), or_(*clauses.values())
    )
    if exclude is not None:
        statement = statement.where(Contact.id != exclude)
    rows = await session.execute(statement.limit(MAX_SHOWN), execution_options=scoped(access.scope))
    return [Duplicate(row.id, row.name, None, [r for r in clauses if getattr(row, f"is_{r}")]) for row in rows]


async def merge_contacts(
    session: AsyncSession, access: Access, survivor: dict[str, Any], others: list[dict[str, Any]]
) -> dict[str, Any]:
    """Fold ``others`` into ``survivor``: empty fields filled, phones, emails and custom values joined;
    activities, files and history move over; the others are deleted. Returns what to write to the survivor."""
    options = scoped(access.scope)
    survivor_id, other_ids = survivor["id"], [row["id"] for row in others]
    values: dict[str, Any] = {}
    for name in CONTACT_FILLED:
        if survivor.get(name) in (None, "") and access.fields.rule("contacts", name).access == "edit":
            found = next((row[name] for row in others if row.get(name) not in (None, "")), None)
            if found is not None:
                values[name] = found
    for name in ("phones", "emails"):
        joined = list(dict.fromkeys([*survivor[name], *(item for row in others for item in row[name])]))
        if joined != survivor[name] and access.fields.rule("contacts", name).access == "edit":
            values[name] = joined
    custom: dict[str, Any] = {}
    for row in reversed(others):
        custom |= row.get("custom") or {}
    custom |= survivor.get("custom") or {}
    if custom != (survivor.get("custom") or {}):
        values["custom"] = custom
    if not survivor["is_primary"] and any(
        row["is_primary"] and row["account_id"] == survivor["account_id"] for row in others
    ):
        values["is_primary"] = True  # the account's primary contact stays a primary contact
    await session.execute(
        update(Contact).where(Contact.id.in_(other_ids)).values(deleted_at=utcnow(), deleted_by=access.member_id),
        execution_options=options,
    )
    await session.execute(
        update(Activity).where(Activity.contact_id.in_(other_ids)).values(contact_id=survivor_id),
        execution_options=options,
    )
    await session.execute(
        update(Deal).where(Deal.contact_id.in_(other_ids)).values(contact_id=survivor_id),
        execution_options=options,
    )
    for model, type_column, id_column in (
        (RecordChange, RecordChange.record_type, RecordChange.record_id),
        (Attachment, Attachment.record_type, Attachment.record_id),
    ):
        await session.execute(
            update(model).where(type_column == "contact", id_column.in_(other_ids)).values(record_id=survivor_id),
            execution_options=options,
        )
    return values
