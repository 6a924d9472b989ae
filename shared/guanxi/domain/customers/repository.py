"""The SQL of accounts and contacts. Every read goes through ``Access.where``; every row is live unless asked."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Select, func, insert, literal, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi import textsearch
from guanxi.db.base import new_id
from guanxi.db.tenancy import scoped
from guanxi.domain.access.models import Collaborator, Member
from guanxi.domain.access.service import Access
from guanxi.domain.customers.models import Account, Contact
from guanxi.domain.timeline.models import RecordChange
from guanxi.errors import FieldError, validation_error

Record = type[Account] | type[Contact]
MODULE = {Account: "customers", Contact: "contacts"}
RECORD_TYPE = {Account: "account", Contact: "contact"}
COUNT_CAP = 10_000
SEARCH_COLUMNS = ("search_vector", "search_phones", "search_emails")


def columns_of(model: Record) -> list[Any]:
    """Everything but the search keys and bookkeeping."""
    hidden = {*SEARCH_COLUMNS, "deleted_by", "created_by", "import_id"}
    return [column for column in model.__table__.columns if column.name not in hidden]


def shown_columns(model: Record) -> list[Any]:
    """What a record or a list shows: its columns, and for a contact its account's name (one index lookup
    per row, so a list of contacts needs no second request per account)."""
    if model is Account:
        return columns_of(model)
    account_name = select(Account.name).where(Account.id == Contact.account_id).scalar_subquery()
    return [*columns_of(model), account_name.label("account_name")]


def visible(access: Access, model: Record, action: str = "read") -> ColumnElement[bool]:
    return access.where(MODULE[model], action, model.owner_id, record_type=RECORD_TYPE[model], id_column=model.id)


async def fetch_one(
    session: AsyncSession, access: Access, model: Record, record_id: uuid.UUID, *, action: str = "read"
) -> dict[str, Any] | None:
    row = (
        await session.execute(
            select(*shown_columns(model)).where(
                model.id == record_id, model.deleted_at.is_(None), visible(access, model, action)
            ),
            execution_options=scoped(access.scope),
        )
    ).first()
    return dict(row._mapping) if row else None


async def insert_record(session: AsyncSession, access: Access, model: Record, values: dict[str, Any]) -> uuid.UUID:
    record_id = new_id()
    await session.execute(
        insert(model).values(id=record_id, created_by=access.member_id, **values),
        execution_options=scoped(access.scope),
    )
    return record_id


async def update_record(
    session: AsyncSession, access: Access, model: Record, record_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await session.execute(
        update(model).where(model.id == record_id).values(updated_at=func.now(), **values),
        execution_options=scoped(access.scope),
    )


async def record_change(
    session: AsyncSession,
    access: Access,
    model: Record,
    record_id: uuid.UUID,
    action: str,
    changes: dict[str, Any],
    batch_id: uuid.UUID | None = None,
) -> None:
    await session.execute(
        insert(RecordChange).values(
            id=new_id(),
            record_type=RECORD_TYPE[model],
            record_id=record_id,
            actor_id=access.member_id,
            action=action,
            changes=changes,
            batch_id=batch_id,
        ),
        execution_options=scoped(access.scope),
    )


async def changes_of(
    session: AsyncSession, access: Access, model: Record, record_id: uuid.UUID, limit: int
) -> Sequence[RecordChange]:
    return (
        await session.scalars(
            select(RecordChange)
            .where(RecordChange.record_type == RECORD_TYPE[model], RecordChange.record_id == record_id)
            .order_by(RecordChange.occurred_at.desc(), RecordChange.id.desc())
            .limit(limit),
            execution_options=scoped(access.scope),
        )
    ).all()


async def active_member(session: AsyncSession, access: Access, member_id: uuid.UUID) -> bool:
    status = await session.scalar(
        select(Member.status).where(Member.id == member_id), execution_options=scoped(access.scope)
    )
    return status == "active"


# Keyset pagination ------------------------------------------------------------------------------------

SORTS: dict[str, tuple[str, bool]] = {  # key -> (column, descending)
    "-updated_at": ("updated_at", True),
    "updated_at": ("updated_at", False),
    "name": ("name", False),
    "-name": ("name", True),
    "-created_at": ("created_at", True),
}


@dataclass(frozen=True)
class SortKey:
    """What a list is ordered by (then by id), and how a cursor's text turns back into that value."""

    expression: ColumnElement[Any]
    descending: bool
    parse: Callable[[str], Any]


def builtin_sort(model: Record, sort: str) -> SortKey:
    column_name, descending = SORTS[sort]
    parse: Callable[[str], Any] = dt.datetime.fromisoformat if column_name.endswith("_at") else str
    return SortKey(getattr(model, column_name), descending, parse)


def encode_cursor(value: Any, record_id: uuid.UUID) -> str:
    stamp = value.isoformat() if isinstance(value, dt.datetime) else str(value)
    raw = f"{stamp}\x1f{record_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, parse: Callable[[str], Any]) -> tuple[Any, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        value, _, ident = raw.rpartition("\x1f")
        return parse(value), uuid.UUID(ident)
    except (ValueError, ArithmeticError) as error:  # binascii.Error, UnicodeDecodeError, decimal errors
        raise validation_error(FieldError("cursor", "is not a cursor from a previous page", "invalid")) from error


@dataclass
class ListQuery:
    model: Record
    conditions: list[ColumnElement[bool]] = field(default_factory=list)
    sort: SortKey | None = None  # None: the latest change first
    cursor: str | None = None
    limit: int = 50
    live: bool = True  # False: the soft-deleted rows instead
    count: bool = False  # asked for: counted on the first page only, and only up to COUNT_CAP
    action: str = "read"  # whose data scope applies: reading a list, or exporting it


@dataclass
class Page:
    rows: list[dict[str, Any]]
    next_cursor: str | None
    total: int | None


def base_query(access: Access, query: ListQuery) -> Select[Any]:
    model = query.model
    alive = model.deleted_at.is_(None) if query.live else model.deleted_at.is_not(None)
    return select(*shown_columns(model)).where(alive, visible(access, model, query.action), *query.conditions)


async def list_page(session: AsyncSession, access: Access, query: ListQuery) -> Page:
    model = query.model
    sort = query.sort or builtin_sort(model, "-updated_at")
    statement = base_query(access, query).add_columns(sort.expression.label("sort_key"))
    if query.cursor:
        value, last_id = decode_cursor(query.cursor, sort.parse)
        key = tuple_(sort.expression, model.id)
        statement = statement.where(key < (value, last_id) if sort.descending else key > (value, last_id))
    order = (sort.expression.desc(), model.id.desc()) if sort.descending else (sort.expression.asc(), model.id.asc())
    rows = [
        dict(row._mapping)
        for row in await session.execute(
            statement.order_by(*order).limit(query.limit + 1), execution_options=scoped(access.scope)
        )
    ]
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        next_cursor = encode_cursor(rows[-1]["sort_key"], rows[-1]["id"])
    for row in rows:
        del row["sort_key"]
    total = None
    if query.count and not query.cursor:  # counted once, on the first page, and only up to a cap: never a full COUNT(*)
        capped = base_query(access, query).with_only_columns(literal(1)).limit(COUNT_CAP + 1).subquery()
        total = int(
            await session.scalar(select(func.count()).select_from(capped), execution_options=scoped(access.scope)) or 0
        )
    return Page(rows=rows, next_cursor=next_cursor, total=total)


# Search -----------------------------------------------------------------------------------------------


def match_condition(
    model: Record, name_query: str | None, digits: str | None, email: str | None
) -> ColumnElement[bool] | None:
    clauses: list[ColumnElement[bool]] = []
    if name_query:
        clauses.append(model.search_vector.op("@@", return_type=Boolean)(func.to_tsquery("simple", name_query)))
    if digits:
        clauses.append(model.search_phones.like(f"%{digits}%"))
    if email:
        clauses.append(model.search_emails.like(email, escape="\\"))
    return or_(*clauses) if clauses else None


SEARCH_CANDIDATES = 200  # matches ranked per model; a term in most names (有限公司) must not rank them all


async def search(
    session: AsyncSession,
    access: Access,
    model: Record,
    condition: ColumnElement[bool],
    name_query: str | None,
    prefix: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Names starting with the query (exact first, by the name index), then the best-ranked of at most
    SEARCH_CANDIDATES other matches: bounded work however common the words searched for are."""
    extra = [Contact.account_id] if model is Contact else []
    phones = Account.phone if model is Account else Contact.phones
    emails = Account.email if model is Account else Contact.emails
    shown = [model.id, model.name, phones.label("phones"), emails.label("emails"), *extra]
    base = (model.deleted_at.is_(None), visible(access, model))
    options = scoped(access.scope)
    rows: list[dict[str, Any]] = []
    if prefix:
        starts = func.lower(model.name).like(textsearch.like_prefix(prefix), escape="\\")
        statement = select(*shown, literal(2.0).label("rank")).where(*base, starts).order_by(func.lower(model.name))
        rows += [dict(row._mapping) for row in await session.execute(statement.limit(limit), execution_options=options)]
    candidates = select(*shown, model.search_vector).where(*base, condition).limit(SEARCH_CANDIDATES).subquery()
    columns = [column for column in candidates.c if column.name != "search_vector"]
    rank = (
        func.ts_rank(candidates.c.search_vector, func.to_tsquery("simple", name_query)) if name_query else literal(0.0)
    )
    ranked = select(*columns, rank.label("rank")).order_by(text("rank DESC")).limit(limit)
    rows += [dict(row._mapping) for row in await session.execute(ranked, execution_options=options)]
    return rows


# Collaborators ----------------------------------------------------------------------------------------


async def collaborators(
    session: AsyncSession, access: Access, record_type: str, record_id: uuid.UUID
) -> list[tuple[Collaborator, str]]:
    rows = await session.execute(
        select(Collaborator, Member.name)
        .join(Member, Member.id == Collaborator.member_id)
        .where(Collaborator.record_type == record_type, Collaborator.record_id == record_id)
        .order_by(Member.name),
        execution_options=scoped(access.scope),
    )
    return [(row[0], row[1]) for row in rows]


def collaborator_upsert(record_type: str, record_id: uuid.UUID, member_id: uuid.UUID, **values: Any) -> Any:
    statement = pg_insert(Collaborator).values(
        record_type=record_type, record_id=record_id, member_id=member_id, **values
    )
    return statement.on_conflict_do_update(
        index_elements=[Collaborator.record_type, Collaborator.record_id, Collaborator.member_id],
        set_={"access": statement.excluded.access, "expires_at": statement.excluded.expires_at},
    )
