"""The rules of accounts and contacts: validation, ownership, data scopes and field permissions, the change
history, soft deletion with restore, collaborators (团队成员) and search. No HTTP, no commit."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec
from msgspec import UNSET
from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from guanxi import textsearch
from guanxi.db.base import utcnow
from guanxi.db.tenancy import scoped
from guanxi.domain.access.models import Collaborator
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.billing import limits
from guanxi.domain.customers import duplicates, repository
from guanxi.domain.customers.models import Account, Contact
from guanxi.domain.customers.repository import MODULE, RECORD_TYPE, ListQuery, Page, Record
from guanxi.domain.customers.schemas import AccountIn, CollaboratorIn, ContactIn, SearchHit
from guanxi.domain.customers.validation import MAX_PHONES, Cleaner
from guanxi.domain.customfields import service as customfields
from guanxi.domain.customfields.models import CustomField
from guanxi.errors import DomainError, FieldError, forbidden, validation_error

RESTORE_DAYS = 30
ACCOUNT_TEXT = {"source": 60, "industry": 100, "country": 60, "province": 60, "city": 60, "job_title": 100}
CONTACT_TEXT = {"family_name": 100, "given_name": 100, "title": 100, "wechat": 100, "whatsapp": 100, "line": 100}
NAME = {Account: "Account", Contact: "Contact"}


def given_fields(data: msgspec.Struct) -> dict[str, Any]:
    return {name: value for name in data.__struct_fields__ if (value := getattr(data, name)) is not UNSET}


def jsonable(value: Any) -> Any:
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


# Validation ---------------------------------------------------------------------------------------------


def clean_account(data: AccountIn, *, creating: bool) -> dict[str, Any]:
    c = Cleaner()
    values: dict[str, Any] = {}
    given = given_fields(data)
    if creating and "name" not in given:
        c.fail("name", "is required", "required")
    for name, value in given.items():
        if name == "custom":
            continue  # checked against the workspace's definitions: see custom_values
        if name == "name":
            values[name] = c.text(name, value, 200, required=True)
        elif name in ACCOUNT_TEXT:
            values[name] = c.text(name, value, ACCOUNT_TEXT[name])
        elif name == "address":
            values[name] = c.text(name, value, 500, multiline=True)
        elif name == "tags":
            values[name] = c.tags(name, value)
        elif name == "phone":
            values[name] = c.phone(name, value)
        elif name == "email":
            values[name] = c.email(name, value)
        elif name == "website":
            values[name] = c.url(name, value)
        elif name == "credit_limit":
            values[name] = c.money(name, value)
        elif name == "payment_terms_days":
            values[name] = c.integer(name, value, 0, 3650)
        elif name == "age":
            values[name] = c.integer(name, value, 0, 150)
        elif name == "birthday":
            values[name] = c.past_date(name, value)
        else:  # choices (kind, heat, size, stage, rating) are checked by the decoder; owner_id below
            values[name] = value
    if c.errors:
        raise validation_error(*c.errors)
    return values


def display_name(family: str | None, given: str | None) -> str | None:
    """Chinese names read family name first without a space (张伟); others given name first (Jane Smith)."""
    if not family and not given:
        return None
    if textsearch.has_cjk(f"{family or ''}{given or ''}"):
        return f"{family or ''}{given or ''}"
    return " ".join(part for part in (given, family) if part)


def clean_contact(data: ContactIn, *, creating: bool) -> dict[str, Any]:
    c = Cleaner()
    values: dict[str, Any] = {}
    given = given_fields(data)
    for name, value in given.items():
        if name == "custom":
            continue  # checked against the workspace's definitions: see custom_values
        if name == "name":
            values[name] = c.text(name, value, 200, required=True)
        elif name in CONTACT_TEXT:
            values[name] = c.text(name, value, CONTACT_TEXT[name])
        elif name == "phones":
            values[name] = c.listed(name, value, MAX_PHONES, c.phone)
        elif name == "emails":
            values[name] = c.listed(name, value, MAX_PHONES, c.email)
        else:
            values[name] = value
    if creating:
        if "account_id" not in given:
            c.fail("account_id", "is required", "required")
        if "name" not in given and not display_name(values.get("family_name"), values.get("given_name")):
            c.fail("name", "is required (or family_name / given_name)", "required")
    if c.errors:
        raise validation_error(*c.errors)
    return values


def search_columns(model: Record, row: dict[str, Any]) -> dict[str, Any]:
    if model is Account:
        names, phones, emails = [row.get("name")], [row.get("phone")], [row.get("email")]
    else:
        names = [row.get("name"), row.get("family_name"), row.get("given_name")]
        phones, emails = list(row.get("phones") or []), list(row.get("emails") or [])
    return {
        "search_vector": textsearch.tsvector_text(textsearch.name_lexemes(*names)),
        "search_phones": textsearch.phone_digits(phones),
        "search_emails": textsearch.email_text(emails),
    }


SEARCH_INPUTS = {
    Account: {"name", "phone", "email"},
    Contact: {"name", "family_name", "given_name", "phones", "emails"},
}


# Loading with the right refusal -------------------------------------------------------------------------


async def load(
    session: AsyncSession, access: Access, model: Record, record_id: uuid.UUID, action: str = "read"
) -> dict[str, Any]:
    """The record if the caller may ``action`` it; 404 when they may not even see it (existence must not
    leak), 403 when they see it but may not do this to it."""
    module = MODULE[model]
    access.require(module, "read" if action == "read" else action)
    row = await repository.fetch_one(session, access, model, record_id, action=action)
    if row is not None:
        return row
    if action != "read" and await repository.fetch_one(session, access, model, record_id) is not None:
        raise forbidden(f"Your role may not {action} this {NAME[model].lower()}.")
    raise not_found_for(NAME[model])


async def check_owner(session: AsyncSession, access: Access, module: str, owner_id: uuid.UUID, action: str) -> None:
    owners = access.owners(module, action)
    if owners is not None and owner_id not in owners:
        raise validation_error(FieldError("owner_id", "is outside the people your role may assign to", "out_of_scope"))
    if not await repository.active_member(session, access, owner_id):
        raise validation_error(FieldError("owner_id", "is not an active member of this workspace", "invalid"))


def shaped(access: Access, model: Record, row: dict[str, Any], view: str = "record") -> dict[str, Any]:
    return access.fields.shape(MODULE[model], row, "list" if view == "list" else "record")


def diff(before: dict[str, Any], values: dict[str, Any]) -> dict[str, list[Any]]:
    """Field -> [before, after] for what changes; a custom field is named ``custom.<key>``."""
    changes: dict[str, list[Any]] = {}
    for name, value in values.items():
        if name == "custom":
            old = before.get("custom") or {}
            for key in sorted(old.keys() | value.keys()):
                if old.get(key) != value.get(key):
                    changes[f"custom.{key}"] = [old.get(key), value.get(key)]
        elif before.get(name) != value:
            changes[name] = [jsonable(before.get(name)), jsonable(value)]
    return changes


async def custom_values(
    session: AsyncSession, access: Access, model: Record, data: AccountIn | ContactIn, before: dict[str, Any] | None
) -> dict[str, Any]:
    """``{"custom": {...}}`` when the write touches custom fields (or creates, where required ones count)."""
    if data.custom is UNSET and before is not None:
        return {}
    given = data.custom if isinstance(data.custom, dict) else {}
    access.fields.require_writable(MODULE[model], [f"custom.{key}" for key in given])
    current = before.get("custom") if before else None
    return {"custom": await customfields.clean_values(session, access, MODULE[model], given, before=current)}


async def write_update(
    session: AsyncSession,
    access: Access,
    model: Record,
    before: dict[str, Any],
    values: dict[str, Any],
    batch_id: uuid.UUID | None = None,
) -> dict[str, list[Any]]:
    changes = diff(before, values)
    if not changes:
        return changes
    if SEARCH_INPUTS[model] & changes.keys():
        values = {**values, **search_columns(model, {**before, **values})}
    if model is Account and "owner_id" in changes:
        values = {**values, "claimed_at": utcnow()}  # the new owner's pool clock starts now
    await repository.update_record(session, access, model, before["id"], values)
    await repository.record_change(session, access, model, before["id"], "updated", changes, batch_id)
    return changes


# Accounts -----------------------------------------------------------------------------------------------


async def create_account(
    session: AsyncSession, access: Access, data: AccountIn, *, reject_duplicates: bool = False
) -> tuple[dict[str, Any], list[duplicates.Duplicate]]:
    """The new account, and the accounts it may duplicate (refused instead with ``reject_duplicates``)."""
    access.require("customers", "create")
    values = clean_account(data, creating=True)
    owner_id = values.pop("owner_id", access.member_id)
    access.fields.require_writable("customers", values)
    values |= await custom_values(session, access, Account, data, None)
    await check_owner(session, access, "customers", owner_id, "create")
    values["owner_id"] = owner_id
    await limits.check_records(session, access.scope)
    found = await duplicates.find(session, access, values)
    if found and reject_duplicates:
        raise DomainError(
            detail="This account looks like one that exists: " + ", ".join(d.name for d in found) + ".",
            status=409,
            type="possible-duplicate",
            title="Possible duplicate",
            errors=[
                FieldError(reason, f"matches {d.name} ({d.id})", "duplicate") for d in found for reason in d.reasons
            ],
        )
    record_id = await repository.insert_record(session, access, Account, {**values, **search_columns(Account, values)})
    changes = diff({}, {name: value for name, value in values.items() if value not in (None, [])})
    await repository.record_change(session, access, Account, record_id, "created", changes)
    return shaped(access, Account, await load(session, access, Account, record_id)), found


async def check_duplicates(session: AsyncSession, access: Access, data: AccountIn) -> list[duplicates.Duplicate]:
    """What a new account with this data would duplicate, without writing anything."""
    access.require("customers", "read")
    return await duplicates.find(session, access, clean_account(data, creating=False))


async def merge_contacts(
    session: AsyncSession, access: Access, survivor_id: uuid.UUID, merge_ids: list[uuid.UUID]
) -> dict[str, Any]:
    """Merge contacts into ``survivor_id``: it must be yours to change, the others yours to delete."""
    ids = duplicates.check_merge_ids(survivor_id, merge_ids)
    survivor = await load(session, access, Contact, survivor_id, "update")
    others = [await load(session, access, Contact, other, "delete") for other in ids]
    values = await duplicates.merge_contacts(session, access, survivor, others)
    if values.get("is_primary"):
        await _make_primary(session, access, survivor["account_id"], survivor_id)
    await write_update(session, access, Contact, survivor, values)
    merged = [f"{row['name']} ({row['id']})" for row in others]
    await repository.record_change(session, access, Contact, survivor_id, "merged", {"merged": [None, merged]})
    return shaped(access, Contact, await load(session, access, Contact, survivor_id))


async def merge_accounts(
    session: AsyncSession, access: Access, survivor_id: uuid.UUID, merge_ids: list[uuid.UUID]
) -> dict[str, Any]:
    """Merge accounts into ``survivor_id``: it must be yours to change, the others yours to delete."""
    ids = duplicates.check_merge_ids(survivor_id, merge_ids)
    survivor = await load(session, access, Account, survivor_id, "update")
    others = [await load(session, access, Account, other, "delete") for other in ids]
    values = await duplicates.merge(session, access, survivor, others)
    await write_update(session, access, Account, survivor, values)
    merged = [f"{row['name']} ({row['id']})" for row in others]
    await repository.record_change(session, access, Account, survivor_id, "merged", {"merged": [None, merged]})
    return shaped(access, Account, await load(session, access, Account, survivor_id))


async def get_account(session: AsyncSession, access: Access, account_id: uuid.UUID) -> dict[str, Any]:
    return shaped(access, Account, await load(session, access, Account, account_id))


async def update_account(
    session: AsyncSession, access: Access, account_id: uuid.UUID, data: AccountIn
) -> dict[str, Any]:
    before = await load(session, access, Account, account_id, "update")
    values = clean_account(data, creating=False)
    access.fields.require_writable("customers", [name for name in values if name != "owner_id"])
    values |= await custom_values(session, access, Account, data, before)
    if "owner_id" in values and values["owner_id"] != before["owner_id"]:
        await check_owner(session, access, "customers", values["owner_id"], "update")
    await write_update(session, access, Account, before, values)
    return shaped(access, Account, await load(session, access, Account, account_id))


async def delete_record(session: AsyncSession, access: Access, model: Record, record_id: uuid.UUID) -> None:
    """Soft delete: restorable by an admin for RESTORE_DAYS days. An account takes its contacts along."""
    await load(session, access, model, record_id, "delete")
    stamp = utcnow()
    options = scoped(access.scope)
    await session.execute(
        update(model).where(model.id == record_id).values(deleted_at=stamp, deleted_by=access.member_id),
        execution_options=options,
    )
    if model is Account:
        await session.execute(
            update(Contact)
            .where(Contact.account_id == record_id, Contact.deleted_at.is_(None))
            .values(deleted_at=stamp, deleted_by=access.member_id),
            execution_options=options,
        )
    await repository.record_change(session, access, model, record_id, "deleted", {})


def require_restorer(access: Access, model: Record) -> None:
    if access.scope_of(MODULE[model], "delete") != "all":
        raise forbidden("Only an administrator may see and restore deleted records.")


async def restore_record(session: AsyncSession, access: Access, model: Record, record_id: uuid.UUID) -> dict[str, Any]:
    require_restorer(access, model)
    options = scoped(access.scope)
    stamp = await session.scalar(
        select(model.deleted_at).where(
            model.id == record_id, model.deleted_at > func.now() - dt.timedelta(days=RESTORE_DAYS)
        ),
        execution_options=options,
    )
    if stamp is None:
        raise not_found_for(f"Deleted {NAME[model].lower()}")
    if model is Contact:
        account_deleted = await session.scalar(
            select(Account.deleted_at).join(Contact, Contact.account_id == Account.id).where(Contact.id == record_id),
            execution_options=options,
        )
        if account_deleted is not None:
            raise DomainError(
                detail="Restore the contact's account first.", status=409, type="account-deleted", title="Conflict"
            )
    returning = 1  # and for an account, the contacts deleted with it
    if model is Account:
        returning += int(
            await session.scalar(
                select(func.count()).select_from(Contact).where(Contact.account_id == record_id,
                                                                Contact.deleted_at == stamp),
                execution_options=options,
            ) or 0
        )  # fmt: skip
    await limits.check_records(session, access.scope, adding=returning, field="id")
    await session.execute(
        update(model).where(model.id == record_id).values(deleted_at=None, deleted_by=None), execution_options=options
    )
    if model is Account:  # the contacts deleted with it come back with it
        await session.execute(
            update(Contact)
            .where(Contact.account_id == record_id, Contact.deleted_at == stamp)
            .values(deleted_at=None, deleted_by=None),
            execution_options=options,
        )
    await repository.record_change(session, access, model, record_id, "restored", {})
    row = await repository.fetch_one(session, access, model, record_id)
    return shaped(access, model, row or {"id": record_id})


@dataclass
class Filters:
    owner_id: uuid.UUID | None = None
    tag: str | None = None
    heat: str | None = None
    lifecycle_stage: str | None = None
    kind: str | None = None
    city: str | None = None
    account_id: uuid.UUID | None = None
    q: str | None = None
    custom: dict[str, str] = field(default_factory=dict)  # custom field key -> the value to match


FILTER_FIELD = {"tag": "tags"}
NOT_COLUMNS = ("q", "owner_id", "account_id", "custom")


async def list_context(
    session: AsyncSession, access: Access, model: Record, filters: Filters, sort: str
) -> tuple[list[ColumnElement[bool]], repository.SortKey]:
    """The conditions and the order of a list, with custom fields looked up only when the list uses them."""
    wants_custom = bool(filters.custom) or sort.lstrip("-").startswith("cf.")
    fields = {f.key: f for f in await customfields.definitions(session, access, MODULE[model])} if wants_custom else {}
    return filter_conditions(access, model, filters, fields), resolve_sort(access, model, sort, fields)


def resolve_sort(access: Access, model: Record, sort: str, fields: dict[str, CustomField]) -> repository.SortKey:
    if sort in repository.SORTS:
        return repository.builtin_sort(model, sort)
    key = sort.lstrip("-").removeprefix("cf.")
    if (
        sort.lstrip("-").startswith("cf.")
        and key in fields
        and not access.fields.visible(MODULE[model], f"custom.{key}")
    ):
        raise forbidden("Your role may not sort by that field.")  # the order would tell its values
    if sort.lstrip("-").startswith("cf.") and key in fields:
        parse = Decimal if fields[key].type in customfields.NUMERIC else str
        return repository.SortKey(customfields.sort_expression(model.custom, fields[key]), sort.startswith("-"), parse)
    choices = ", ".join(repository.SORTS)
    raise validation_error(FieldError("sort", f"must be one of {choices}, or cf.<custom field> with - for descending"))


def filter_conditions(
    access: Access, model: Record, filters: Filters, fields: dict[str, CustomField]
) -> list[ColumnElement[bool]]:
    module = MODULE[model]
    conditions: list[ColumnElement[bool]] = []
    wanted = {
        name: value for name, value in vars(filters).items() if value not in (None, False) and name not in NOT_COLUMNS
    }
    unknown = [name for name in wanted if not hasattr(model, FILTER_FIELD.get(name, name))]
    if unknown:  # e.g. heat on contacts, through a bulk action or a saved view
        raise validation_error(*(FieldError(name, "is not a filter of this list", "invalid") for name in unknown))
    # Filtering by a field one may not see would tell its value: refuse it like reading it.
    blind = [
        FILTER_FIELD.get(name, name)
        for name in wanted
        if not access.fields.visible(module, FILTER_FIELD.get(name, name))
    ]
    if blind:
        raise forbidden("Your role may not filter by: " + ", ".join(blind) + ".")
    for name, value in wanted.items():
        column = getattr(model, FILTER_FIELD.get(name, name))
        conditions.append(column.contains([value]) if name == "tag" else column == value)
    if filters.owner_id is not None:
        conditions.append(model.owner_id == filters.owner_id)
    if filters.account_id is not None and model is Contact:
        conditions.append(Contact.account_id == filters.account_id)
    hidden_custom = [f"cf.{key}" for key in filters.custom if not access.fields.visible(module, f"custom.{key}")]
    if hidden_custom:
        raise forbidden("Your role may not filter by: " + ", ".join(hidden_custom) + ".")
    for key, raw in filters.custom.items():
        if key not in fields:
            raise validation_error(FieldError(f"cf.{key}", f"is not a custom field of {module}", "unknown_field"))
        conditions.append(customfields.filter_condition(model.custom, fields[key], raw))
    if filters.q:
        match = text_match(access, model, filters.q)
        if match is None:
            raise validation_error(FieldError("q", "must contain letters, Chinese characters or digits", "invalid"))
        conditions.append(match)
    return conditions


def text_match(access: Access, model: Record, query: str) -> ColumnElement[bool] | None:
    module = MODULE[model]
    phone_field, email_field = ("phone", "email") if model is Account else ("phones", "emails")
    digits = textsearch.query_digits(query) if access.fields.searchable(module, phone_field) else None
    email = textsearch.query_email(query) if access.fields.searchable(module, email_field) else None
    return repository.match_condition(
        model,
        textsearch.name_query(query),
        digits,
        textsearch.like_pattern(email) if email else None,
    )


async def list_records(
    session: AsyncSession,
    access: Access,
    model: Record,
    filters: Filters,
    *,
    sort: str,
    cursor: str | None,
    limit: int,
    count: bool = False,
) -> Page:
    access.require(MODULE[model], "read")
    if filters.tag is not None:
        filters.tag = filters.tag.strip()
    conditions, order = await list_context(session, access, model, filters, sort)
    query = ListQuery(model, conditions, sort=order, cursor=cursor, limit=limit, count=count)
    page = await repository.list_page(session, access, query)
    page.rows = [shaped(access, model, row, "list") for row in page.rows]
    return page


async def list_deleted(session: AsyncSession, access: Access, model: Record, cursor: str | None, limit: int) -> Page:
    require_restorer(access, model)
    since = func.now() - dt.timedelta(days=RESTORE_DAYS)
    query = ListQuery(model, [model.deleted_at > since], cursor=cursor, limit=limit, live=False, count=True)
    page = await repository.list_page(session, access, query)
    page.rows = [shaped(access, model, row, "list") for row in page.rows]
    return page


# Contacts -----------------------------------------------------------------------------------------------


async def _check_account(session: AsyncSession, access: Access, account_id: uuid.UUID) -> dict[str, Any]:
    row = await repository.fetch_one(session, access, Account, account_id) if access.can("customers", "read") else None
    if row is None:
        raise validation_error(FieldError("account_id", "is not an account you can see", "not_found"))
    return row


async def _make_primary(session: AsyncSession, access: Access, account_id: uuid.UUID, contact_id: uuid.UUID) -> None:
    await session.execute(
        update(Contact)
        .where(Contact.account_id == account_id, Contact.is_primary, Contact.id != contact_id)
        .values(is_primary=False),
        execution_options=scoped(access.scope),
    )


async def create_contact(
    session: AsyncSession, access: Access, data: ContactIn
) -> tuple[dict[str, Any], list[duplicates.Duplicate]]:
    """The new contact, and the contacts it may duplicate (the caller shows them; it is created anyway)."""
    access.require("contacts", "create")
    values = clean_contact(data, creating=True)
    owner_id = values.pop("owner_id", access.member_id)
    access.fields.require_writable("contacts", [name for name in values if name not in ("account_id", "is_primary")])
    await check_owner(session, access, "contacts", owner_id, "create")
    await _check_account(session, access, values["account_id"])
    values |= await custom_values(session, access, Contact, data, None)
    values["owner_id"] = owner_id
    values.setdefault("name", display_name(values.get("family_name"), values.get("given_name")))
    await limits.check_records(session, access.scope)
    if values.get("marketing_consent"):
        values["consent_changed_at"] = utcnow()
    found = await duplicates.find_contacts(session, access, values)
    has_primary = await session.scalar(
        select(func.count())
        .select_from(Contact)
        .where(Contact.account_id == values["account_id"], Contact.is_primary, Contact.deleted_at.is_(None)),
        execution_options=scoped(access.scope),
    )
    wants_primary = values.pop("is_primary", False)
    record_id = await repository.insert_record(
        session, access, Contact, {**values, **search_columns(Contact, values), "is_primary": False}
    )
    if wants_primary or not has_primary:  # the first contact of an account is its primary one
        await _make_primary(session, access, values["account_id"], record_id)
        await repository.update_record(session, access, Contact, record_id, {"is_primary": True})
    changes = diff({}, {name: value for name, value in values.items() if value not in (None, [], False)})
    await repository.record_change(session, access, Contact, record_id, "created", changes)
    return shaped(access, Contact, await load(session, access, Contact, record_id)), found


async def get_contact(session: AsyncSession, access: Access, contact_id: uuid.UUID) -> dict[str, Any]:
    return shaped(access, Contact, await load(session, access, Contact, contact_id))


async def update_contact(
    session: AsyncSession, access: Access, contact_id: uuid.UUID, data: ContactIn
) -> dict[str, Any]:
    before = await load(session, access, Contact, contact_id, "update")
    values = clean_contact(data, creating=False)
    access.fields.require_writable(
        "contacts", [name for name in values if name not in ("owner_id", "account_id", "is_primary")]
    )
    values |= await custom_values(session, access, Contact, data, before)
    if "owner_id" in values and values["owner_id"] != before["owner_id"]:
        await check_owner(session, access, "contacts", values["owner_id"], "update")
    if "account_id" in values and values["account_id"] != before["account_id"]:
        await _check_account(session, access, values["account_id"])
        values["is_primary"] = False
    if ("family_name" in values or "given_name" in values) and "name" not in values:
        merged = {**before, **values}
        values["name"] = display_name(merged.get("family_name"), merged.get("given_name")) or before["name"]
    if "marketing_consent" in values and values["marketing_consent"] != before["marketing_consent"]:
        values["consent_changed_at"] = utcnow()
    if values.get("is_primary") and not before["is_primary"]:
        await _make_primary(session, access, values.get("account_id", before["account_id"]), contact_id)
    await write_update(session, access, Contact, before, values)
    return shaped(access, Contact, await load(session, access, Contact, contact_id))


# Collaborators (团队成员) --------------------------------------------------------------------------------


async def _load_as_manager(session: AsyncSession, access: Access, model: Record, record_id: uuid.UUID) -> None:
    """Who may change a record's team: whoever's scope reaches its owner (a collaborator may not)."""
    row = await load(session, access, model, record_id)
    owners = access.owners(MODULE[model], "update")
    if owners is not None and row["owner_id"] not in owners:
        raise forbidden("Only the owner and those above them may change who works on this record.")


async def list_collaborators(
    session: AsyncSession, access: Access, model: Record, record_id: uuid.UUID
) -> list[tuple[Collaborator, str]]:
    await load(session, access, model, record_id)
    return await repository.collaborators(session, access, RECORD_TYPE[model], record_id)


async def put_collaborator(
    session: AsyncSession,
    access: Access,
    model: Record,
    record_id: uuid.UUID,
    member_id: uuid.UUID,
    data: CollaboratorIn,
) -> None:
    await _load_as_manager(session, access, model, record_id)
    if data.expires_at is not None and (data.expires_at.tzinfo is None or data.expires_at <= utcnow()):
        raise validation_error(FieldError("expires_at", "must be a future time with a time zone", "invalid"))
    if not await repository.active_member(session, access, member_id):
        raise validation_error(FieldError("member_id", "is not an active member of this workspace", "invalid"))
    await session.execute(
        repository.collaborator_upsert(
            RECORD_TYPE[model],
            record_id,
            member_id,
            access=data.access,
            expires_at=data.expires_at,
            created_by=access.member_id,
        ),
        execution_options=scoped(access.scope),
    )


async def remove_collaborator(
    session: AsyncSession, access: Access, model: Record, record_id: uuid.UUID, member_id: uuid.UUID
) -> None:
    await _load_as_manager(session, access, model, record_id)
    result = await session.execute(
        delete(Collaborator).where(
            Collaborator.record_type == RECORD_TYPE[model],
            Collaborator.record_id == record_id,
            Collaborator.member_id == member_id,
        ),
        execution_options=scoped(access.scope),
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise not_found_for("Collaborator")


# History and search -------------------------------------------------------------------------------------


async def history(
    session: AsyncSession, access: Access, model: Record, record_id: uuid.UUID, limit: int = 100
) -> list[dict[str, Any]]:
    """The record's field changes, with the fields the caller may not see left out or masked."""
    await load(session, access, model, record_id)
    module = MODULE[model]
    entries = []
    for change in await repository.changes_of(session, access, model, record_id, limit):
        fields = {
            name: [access.fields.shape(module, {name: value}, "record").get(name) for value in pair]
            for name, pair in change.changes.items()
            if access.fields.visible(module, name)
        }
        entries.append(
            {
                "id": change.id,
                "occurred_at": change.occurred_at,
                "actor_id": change.actor_id,
                "action": change.action,
                "changes": fields,
            }
        )
    return entries


def _matched(access: Access, query: str, row: dict[str, Any], model: Record) -> tuple[str, str]:
    """Which field found the row; a phone or email is named only when the caller may search by it."""
    module = MODULE[model]
    digits = textsearch.query_digits(query)
    phones = row["phones"] if isinstance(row["phones"], list) else [row["phones"]]
    emails = row["emails"] if isinstance(row["emails"], list) else [row["emails"]]
    phone_field, email_field = ("phone", "email") if model is Account else ("phones", "emails")
    if not access.fields.searchable(module, email_field):
        emails = []
    if digits and access.fields.searchable(module, phone_field):
        for phone in phones:
            if phone and digits in textsearch.phone_digits([phone]):
                return phone_field, phone
    lowered = query.strip().lower()
    for email in emails:
        if email and lowered in email.lower():
            return email_field, email
    return "name", row["name"]


async def search(
    session: AsyncSession, access: Access, query: str, limit: int, *, modules: Iterable[str] = tuple(MODULE.values())
) -> list[SearchHit]:
    """One search box across accounts and contacts, best matches first, with the field that matched."""
    query = query.strip()
    if not query:
        raise validation_error(FieldError("q", "must not be empty", "required"))
    if len(query) > 100:
        raise validation_error(FieldError("q", "must be at most 100 characters", "too_long"))
    hits: list[tuple[float, SearchHit]] = []
    name_query = textsearch.name_query(query)
    for model in (Account, Contact):
        if MODULE[model] not in modules or not access.can(MODULE[model], "read"):
            continue
        condition = text_match(access, model, query)
        if condition is None:
            continue
        rows = await repository.search(session, access, model, condition, name_query, query, limit)
        for row in {row["id"]: row for row in reversed(rows)}.values():  # a prefix hit wins over a ranked one
            field, value = _matched(access, query, row, model)
            exact = 1.0 if row["name"].casefold() == query.casefold() else 0.0
            hits.append(
                (
                    exact + float(row["rank"]),
                    SearchHit(
                        type=RECORD_TYPE[model],  # type: ignore[arg-type]
                        id=row["id"],
                        title=row["name"],
                        subtitle=None,
                        matched_field=field,
                        matched_value=value,
                        account_id=row.get("account_id"),
                    ),
                )
            )
    if not hits and name_query is None and textsearch.query_digits(query) is None and "@" not in query:
        raise validation_error(FieldError("q", "must contain letters, Chinese characters or digits", "invalid"))
    hits.sort(key=lambda pair: pair[0], reverse=True)
    return [hit for _, hit in hits[:limit]]


# Export -------------------------------------------------------------------------------------------------

EXPORT_BATCH = 1_000
EXPORT_FIELDS = {
    Account: (
        "id", "name", "kind", "lifecycle_stage", "owner_id", "tags", "heat", "source", "industry", "country",
        "province", "city", "address", "size", "website", "phone", "email", "value_rating", "credit_limit",
        "payment_terms_days", "birthday", "age", "job_title", "created_at", "updated_at",
    ),
    Contact: (
        "id", "account_id", "account_name", "name", "family_name", "given_name", "title", "phones", "emails", "wechat",
        "whatsapp", "line", "preferred_channel", "marketing_consent", "is_primary", "owner_id", "created_at",
        "updated_at",
    ),
}  # fmt: skip


@dataclass
class Export:
    """A checked export: the columns the caller may see, and the rows as they may see them, in batches."""

    access: Access
    model: Record
    query: ListQuery
    columns: list[str]
    custom: dict[str, str]  # "custom.<key>" -> the field's label (the column header)

    @property
    def headers(self) -> list[str]:
        return [*self.columns, *self.custom.values()]

    def cells(self, row: dict[str, Any]) -> list[Any]:
        values = row.get("custom") or {}
        return [row.get(name) for name in self.columns] + [values.get(key[7:]) for key in self.custom]

    async def batches(self, sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[list[dict[str, Any]]]:
        """Each batch in its own short transaction, by keyset: constant memory, no long-held snapshot."""
        cursor: str | None = None
        while True:
            async with sessionmaker() as session:
                self.query.cursor = cursor
                page = await repository.list_page(session, self.access, self.query)
            yield [shaped(self.access, self.model, row, "list") for row in page.rows]
            if page.next_cursor is None:
                return
            cursor = page.next_cursor


async def prepare_export(
    session: AsyncSession, access: Access, model: Record, filters: Filters, sort: str, chosen: list[str] | None = None
) -> Export:
    """``chosen``: the columns of a saved view, in its order; by default every column one may see."""
    module = MODULE[model]
    access.require(module, "export")
    conditions, order = await list_context(session, access, model, filters, sort)
    query = ListQuery(model, conditions, sort=order, limit=EXPORT_BATCH, action="export")
    columns = [name for name in EXPORT_FIELDS[model] if access.fields.visible(module, name)]
    custom = {
        f"custom.{f.key}": f.label
        for f in await customfields.definitions(session, access, module)
        if access.fields.visible(module, f"custom.{f.key}")
    }
    if chosen:
        columns = [name for name in chosen if name in columns]
        custom = {key: label for key, label in custom.items() if key in chosen}
    return Export(access, model, query, columns, custom)
