"""Import actors. A run reads the file in batches of BATCH rows; each batch is checked row by row with the
same rules as the API, written with multi-row statements, and committed with the progress, so a crash
resumes after the last committed batch and never leaves a batch half-written. Undo deletes what the
import created and reverts what it changed."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec
import structlog
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi import textsearch
from guanxi.db.base import new_id
from guanxi.db.tenancy import TenantScope, tenant_session
from guanxi.domain.access.models import Member
from guanxi.domain.access.service import Access, load_access
from guanxi.domain.billing import limits
from guanxi.domain.customers import repository
from guanxi.domain.customers import service as customers
from guanxi.domain.customers.models import Account, Contact
from guanxi.domain.customers.schemas import AccountIn, ContactIn
from guanxi.domain.customfields import service as customfields
from guanxi.domain.customfields.models import CustomField
from guanxi.domain.imports import reader
from guanxi.domain.imports.models import Import
from guanxi.domain.imports.service import storage_path
from guanxi.domain.leads import service as leads
from guanxi.domain.leads.models import Lead
from guanxi.domain.leads.schemas import LeadIn
from guanxi.domain.timeline.models import RecordChange
from guanxi.errors import DomainError
from guanxi.jobs import JobContext, tenant_job

log = structlog.get_logger("imports")
BATCH = 1_000
MAX_PROBLEMS = 1_000
SPLIT = re.compile(r"\s*[;,，；、|\n]\s*")
WORDS = {
    "heat": {"热": "hot", "熱": "hot", "温": "warm", "溫": "warm", "冷": "cold"},
    "lifecycle_stage": {
        "潜在客户": "prospect", "潛在客戶": "prospect", "潜在": "prospect", "成交客户": "customer",
        "成交客戶": "customer", "客户": "customer", "客戶": "customer", "流失客户": "former_customer",
        "流失客戶": "former_customer", "former customer": "former_customer",
    },
    "kind": {"公司": "company", "企业": "company", "企業": "company", "个人": "individual", "個人": "individual"},
}  # fmt: skip
TRUE, FALSE = {"true", "yes", "y", "1", "是", "对", "對", "✓"}, {"false", "no", "n", "0", "否", "不", ""}
LISTS = {"tags", "phones", "emails"}
INTEGERS = {"payment_terms_days", "age", "employees"}
_LOCATION = re.compile(r"at `\$\.([A-Za-z_]+)")


@dataclass
class Batch:
    """What one batch found: rows to create, to update, problems; and counts."""

    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)  # per row: which record it duplicates, done what
    skipped: int = 0


def _typed_custom(definition: CustomField | None, text: str) -> Any:
    if definition is None:
        return text
    if definition.type == "number":
        try:
            return float(text) if "." in text or "e" in text.lower() else int(text)
        except ValueError:
            return text
    if definition.type == "checkbox":
        lowered = text.casefold()
        return True if lowered in TRUE else False if lowered in FALSE else text
    if definition.type == "multi_select":
        return [part for part in SPLIT.split(text) if part]
    return text


class Converter:
    """A file row as the API's input shape, with every problem tied to its row and column."""

    def __init__(self, job: Import, owners: dict[str, uuid.UUID], custom: dict[str, CustomField]) -> None:
        self.job = job
        self.owners = owners
        self.custom = custom
        self.columns = {field: int(column) for column, field in job.mapping.items()}

    def problem(self, row: int, field_name: str, message: str) -> dict[str, Any]:
        column = (
            self.columns.get(field_name.split("[")[0])
            if not field_name.startswith("custom.")
            else (self.columns.get(field_name))
        )
        header = self.job.header[column] if column is not None and column < len(self.job.header) else None
        return {"row": row, "column": header, "field": field_name, "message": message}

    def payload(self, row_number: int, cells: list[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        payload: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        problems: list[dict[str, Any]] = []
        width = len(self.job.header)
        if any(cell.strip() for cell in cells[width:]):
            message = f"has {len(cells)} cells but the first row names {width} columns"
            return payload, [{"row": row_number, "column": None, "field": "row", "message": message}]
        for field_name, column in self.columns.items():
            text = cells[column].strip() if column < len(cells) else ""
            if not text:
                continue
            if field_name.startswith("custom."):
                key = field_name[7:]
                custom[key] = _typed_custom(self.custom.get(key), text)
            elif field_name in LISTS:
                payload[field_name] = [part for part in SPLIT.split(text) if part]
            elif field_name in INTEGERS:
                payload[field_name] = int(text) if text.isdigit() else text
            elif field_name in WORDS:
                payload[field_name] = WORDS[field_name].get(text, text.casefold().replace(" ", "_"))
            elif field_name == "owner":
                owner = self.owners.get(text.casefold())
                if owner is None:
                    problems.append(self.problem(row_number, "owner", f"no active member is called {text!r}"))
                else:
                    payload["owner_id"] = str(owner)
            else:
                payload[field_name] = text
        if custom:
            payload["custom"] = custom
        return payload, problems

    def decode(self, row_number: int, payload: dict[str, Any], shape: type[Any]) -> Any:
        try:
            return msgspec.convert(payload, shape, strict=False)
        except msgspec.ValidationError as error:
            match = _LOCATION.search(str(error))
            raise _RowError([self.problem(row_number, match.group(1) if match else "row", str(error))]) from None


class _RowError(Exception):
    def __init__(self, problems: list[dict[str, Any]]) -> None:
        self.problems = problems


async def _owners(session: AsyncSession) -> dict[str, uuid.UUID]:
    """Members by email and by name (case-insensitive): how a file names the owner."""
    owners: dict[str, uuid.UUID] = {}
    for member in await session.scalars(select(Member).where(Member.status == "active")):
        owners[member.email.casefold()] = member.id
        owners.setdefault(member.name.casefold(), member.id)
    return owners


def _account_keys(values: dict[str, Any]) -> list[str]:
    return [
        values.get("email") or "",
        textsearch.phone_digits([values.get("phone")]),
        (values.get("name") or "").casefold(),
    ]


async def _existing_accounts(session: AsyncSession, access: Access, values: list[dict[str, Any]]) -> dict[str, Any]:
    """Visible accounts matching a batch by email, phone digits or exact name: one query per batch."""
    emails = sorted({v["email"] for v in values if v.get("email")})
    phones = sorted({d for v in values if (d := textsearch.phone_digits([v.get("phone")]))})
    names = sorted({v["name"].casefold() for v in values if v.get("name")})
    rows = await session.execute(
        select(*repository.columns_of(Account)).where(
            Account.deleted_at.is_(None),
            repository.visible(access, Account, "update"),
            func.lower(Account.email).in_(emails)
            | Account.search_phones.in_(phones)
            | func.lower(Account.name).in_(names),
        )
    )
    found: dict[str, Any] = {}
    for row in rows:
        record = dict(row._mapping)
        for key in _account_keys(record):
            if key:
                found.setdefault(key, record)
    return found


def _match(existing: dict[str, Any], keys: list[str]) -> dict[str, Any] | None:
    for key in keys:
        if key and key in existing:
            return existing[key]  # type: ignore[no-any-return]
    return None


def phone_key(phone: str | None) -> str | None:
    """A phone number as digits without the international prefix: +86 138 0013 8000, 0086 13800138000 and
    138-0013-8000 are one number. Fewer than 7 digits identify nobody."""
    digits = textsearch.phone_digits([phone])
    digits = digits.removeprefix("00")
    if len(digits) > 11 and digits.startswith("86"):
        digits = digits[2:]
    return digits if len(digits) >= 7 else None


def contact_keys(values: dict[str, Any]) -> list[tuple[str, str]]:
    """What makes two contacts one person: the same email, or the same phone number (normalised)."""
    emails = [("emails", email.strip().lower()) for email in values.get("emails") or [] if email.strip()]
    return emails + [("phones", key) for phone in values.get("phones") or [] if (key := phone_key(phone))]


async def _existing_contacts(
    session: AsyncSession, access: Access, values: list[dict[str, Any]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """Contacts of the whole workspace with an email or a phone of the batch: one query per batch. Each comes
    with whether the importer may see it and change it."""
    keys = [key for v in values for key in contact_keys(v)]
    emails = sorted({value for kind, value in keys if kind == "emails"})
    digits = sorted(
        {form for kind, value in keys if kind == "phones" for form in (value, "86" + value, "0086" + value)}
    )
    if not emails and not digits:
        return {}
    tokens = func.string_to_array
    rows = await session.execute(
        select(
            *repository.columns_of(Contact),
            repository.visible(access, Contact).label("may_see"),
            repository.visible(access, Contact, "update").label("may_update"),
        )
        .where(
            Contact.deleted_at.is_(None),
            tokens(Contact.search_emails, " ").op("&&")(emails) | tokens(Contact.search_phones, " ").op("&&")(digits),
        )
        .order_by(Contact.created_at)
    )
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        record = dict(row._mapping)
        for key in contact_keys(record):
            found.setdefault(key, record)
    return found


def _duplicate_report(
    converter: Converter, row_number: int, key: tuple[str, str], match: dict[str, Any] | None, action: str
) -> dict[str, Any]:
    """One row's duplicate, for the import's report: which record (when the importer may see it) and why."""
    kind, value = key
    reason = "email" if kind == "emails" else "phone"
    if match is None:
        message = f"has the same {reason} as an earlier row of this file: {action}"
    elif match["may_see"]:
        message = f"has the same {reason} as the contact {match['name']!r}: {action}"
    else:
        message = f"has the same {reason} as a contact you cannot see: {action}"
    report = converter.problem(row_number, kind, message)
    report.update(duplicate=True, action=action, value=value)
    if match is not None and match["may_see"]:
        report["duplicate_of"] = str(match["id"])
    return report


def _sort_contacts(batch: Batch, converter: Converter, mode: str, checked: list[tuple[int, dict[str, Any]]],
                   existing: dict[tuple[str, str], dict[str, Any]]) -> None:  # fmt: skip
    """Create, update or skip each contact row by the chosen mode, reporting every duplicate by its row."""
    created: dict[tuple[str, str], int] = {}  # keys of rows this batch creates -> their row number
    for row_number, values in checked:
        keys = contact_keys(values) if mode != "create" else []
        match_key = next((key for key in keys if key in existing), None)
        earlier_key = next((key for key in keys if key in created), None)
        if match_key is not None:
            match = existing[match_key]
            if mode == "update" and match["may_update"]:
                batch.updates.append(({k: v for k, v in match.items() if k not in ("may_see", "may_update")}, values))
                batch.duplicates.append(_duplicate_report(converter, row_number, match_key, match, "updated"))
            else:
                batch.skipped += 1
                batch.duplicates.append(_duplicate_report(converter, row_number, match_key, match, "skipped"))
        elif earlier_key is not None:
            batch.skipped += 1
            batch.duplicates.append(_duplicate_report(converter, row_number, earlier_key, None, "skipped"))
        else:
            batch.creates.append(values)
            created.update(dict.fromkeys(keys, row_number))


async def _accounts_named(session: AsyncSession, access: Access, cells: set[str]) -> dict[str, uuid.UUID]:
    """Visible accounts by id (as written in the file) or by name (case-insensitive)."""
    ids = {text for text in cells if _is_uuid(text)}
    names = {text.casefold() for text in cells - ids}
    rows = await session.execute(
        select(Account.id, Account.name).where(
            Account.deleted_at.is_(None),
            repository.visible(access, Account),
            func.lower(Account.name).in_(names) | Account.id.in_([uuid.UUID(text) for text in ids]),
        )
    )
    found: dict[str, uuid.UUID] = {}
    for account_id, name in rows:
        found[str(account_id)] = account_id
        found.setdefault(name.casefold(), account_id)
    return found


def _account_key(cell: str) -> str:
    return str(uuid.UUID(cell)) if _is_uuid(cell) else cell.casefold()


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


async def _check_batch(
    session: AsyncSession, access: Access, job: Import, converter: Converter, numbered: list[tuple[int, list[str]]]
) -> Batch:
    if job.module == "leads":
        return await _check_leads(session, access, converter, numbered)
    batch = Batch()
    module = job.module
    model = Account if module == "customers" else Contact
    shape = AccountIn if model is Account else ContactIn
    definitions = list(converter.custom.values())
    members = set(converter.owners.values())
    checked: list[tuple[int, dict[str, Any]]] = []
    account_cells = {
        cells[converter.columns["account"]].strip()
        for _, cells in numbered
        if "account" in converter.columns and converter.columns["account"] < len(cells)
    }
    accounts = await _accounts_named(session, access, account_cells) if model is Contact else {}
    for row_number, cells in numbered:
        if not any(cell.strip() for cell in cells):
            batch.skipped += 1
            continue
        payload, problems = converter.payload(row_number, cells)
        if model is Contact:
            account_name = payload.pop("account", "")
            account_id = accounts.get(_account_key(account_name))
            if account_id is None:
                problems.append(
                    converter.problem(row_number, "account", f"no account you can see is named {account_name!r}")
                )
            else:
                payload["account_id"] = str(account_id)
        if problems:
            batch.problems += problems
            continue
        try:
            data = converter.decode(row_number, payload, shape)
            values = (customers.clean_account if model is Account else customers.clean_contact)(data, creating=True)
            access.fields.require_writable(module, [n for n in values if n not in ("owner_id", "account_id")])
            if isinstance(data.custom, dict) or any(f.required for f in definitions):
                values["custom"] = await customfields.clean_values(
                    session, access, module, data.custom if isinstance(data.custom, dict) else {}, before=None,
                    known=definitions,
                )  # fmt: skip
            owner = values.get("owner_id", access.member_id)
            owners = access.owners(module, "create")
            if job.pool_id is not None:  # straight into a customer pool: nobody owns them until claimed
                values.update(owner_id=None, pool_id=job.pool_id)
            elif owner not in members or (owners is not None and owner not in owners):
                raise _RowError([converter.problem(row_number, "owner", "is not someone you may assign records to")])
            else:
                values["owner_id"] = owner
            if model is Contact:
                values.setdefault("name", customers.display_name(values.get("family_name"), values.get("given_name")))
                values.pop("is_primary", None)
        except _RowError as error:
            batch.problems += error.problems
            continue
        except DomainError as error:
            batch.problems += [converter.problem(row_number, e.field, e.message) for e in error.errors] or [
                converter.problem(row_number, "row", error.detail)
            ]
            continue
        checked.append((row_number, values))
    wanted = job.duplicates != "create"
    if model is Contact:
        existing_contacts = await _existing_contacts(session, access, [v for _, v in checked]) if wanted else {}
        _sort_contacts(batch, converter, job.duplicates, checked, existing_contacts)
        return batch
    existing = await _existing_accounts(session, access, [v for _, v in checked]) if wanted else {}
    keys = _account_keys
    for _, values in checked:
        match = _match(existing, keys(values))
        if match is None:
            batch.creates.append(values)
        elif job.duplicates == "update":
            batch.updates.append((match, values))
        else:
            batch.skipped += 1
    return batch


async def _check_leads(
    session: AsyncSession, access: Access, converter: Converter, numbered: list[tuple[int, list[str]]]
) -> Batch:
    """Leads are checked like the API checks them; an owner column names the owner (one the importer may assign
    to), none: the assignment rules choose when the row is written. Every row makes a new lead."""
    batch = Batch()
    members = set(converter.owners.values())
    owners = access.owners("leads", "create")
    for row_number, cells in numbered:
        if not any(cell.strip() for cell in cells):
            batch.skipped += 1
            continue
        payload, problems = converter.payload(row_number, cells)
        if problems:
            batch.problems += problems
            continue
        try:
            values = leads.clean(converter.decode(row_number, payload, LeadIn), creating=True)
            owner = values.get("owner_id")
            if owner is not None and (owner not in members or (owners is not None and owner not in owners)):
                raise _RowError([converter.problem(row_number, "owner", "is not someone you may assign leads to")])
        except _RowError as error:
            batch.problems += error.problems
            continue
        except DomainError as error:
            batch.problems += [converter.problem(row_number, e.field, e.message) for e in error.errors]
            continue
        batch.creates.append(values)
    return batch


async def _write_batch(session: AsyncSession, access: Access, job: Import, batch: Batch) -> tuple[int, int]:
    if job.module == "leads":
        for values in batch.creates:
            await leads.insert_lead(session, access.scope, access.member_id, values, "import", job.id)
        return len(batch.creates), 0
    model = Account if job.module == "customers" else Contact
    changes = []
    if batch.creates:
        rows = []
        for values in batch.creates:
            record_id = new_id()
            rows.append(
                {**values, **customers.search_columns(model, values), "id": record_id, "import_id": job.id,
                 "created_by": access.member_id}
            )  # fmt: skip
            changes.append(
                {"id": new_id(), "record_type": repository.RECORD_TYPE[model], "record_id": record_id,
                 "actor_id": access.member_id, "action": "created", "batch_id": job.id,
                 "changes": customers.diff({}, {k: v for k, v in values.items() if v not in (None, [])})}
            )  # fmt: skip
        columns = sorted({key for row in rows for key in row})
        await session.execute(insert(model), [{column: row.get(column) for column in columns} for row in rows])
        await session.execute(insert(RecordChange), changes)
    updated = 0
    for before, values in batch.updates:
        values.pop("owner_id", None)  # an update from a file does not take a customer from its owner
        values.pop("account_id", None)  # nor move a contact to another account
        values = {k: v for k, v in values.items() if v not in (None, [])}
        if await customers.write_update(session, access, model, before, values, batch_id=job.id):
            updated += 1
    return len(batch.creates), updated


def _numbered(rows: Iterator[list[str]], start: int) -> Iterator[tuple[int, list[str]]]:
    """Data rows with their row number in the file (the header is row 1), from ``start`` data rows on."""
    next(rows, None)
    for index, cells in enumerate(rows):
        if index >= start:
            yield index + 2, cells


async def run_import(job_ctx: JobContext, import_id: uuid.UUID) -> None:
    scope = job_ctx.scope
    async with tenant_session(scope) as session:
        job = await session.scalar(select(Import).where(Import.id == import_id))
        if job is None or job.status not in ("queued", "running"):
            return  # done already, undone, or never started: a second delivery does nothing
        path = storage_path(scope, import_id)
        member_scope = TenantScope(tenant_id=scope.tenant_id, schema=scope.schema, user_id=job.created_by)
        if job.total_rows is None:
            try:
                total = sum(1 for _ in _numbered(reader.rows(path, job.format, job.encoding), 0))
            except reader.RowProblem as problem:
                total = problem.row - 2
            await session.execute(
                update(Import)
                .where(Import.id == import_id)
                .values(total_rows=total, status="running", started_at=func.now())
            )
            await session.commit()
    async with tenant_session(member_scope) as session:
        try:
            access = await load_access(session, member_scope)  # the importer's own scopes and field rules
            job = await session.scalar(select(Import).where(Import.id == import_id))
            assert job is not None
            if job.processed_rows == 0 and job.total_rows:  # every row may be a new record: the plan must hold them
                others = await session.scalar(  # and the rows other running imports of the workspace still add
                    select(func.coalesce(func.sum(Import.total_rows - Import.processed_rows), 0)).where(
                        Import.id != import_id, Import.status == "running", Import.total_rows.is_not(None)
                    )
                )
                await limits.check_records(
                    session, scope, adding=job.total_rows, field="file", reserved=int(others or 0)
                )
        except DomainError as error:  # the importer was deactivated since, or the plan is full: nothing is written
            await session.execute(
                update(Import)
                .where(Import.id == import_id)
                .values(status="failed", failure=error.detail, finished_at=func.now())
            )
            await session.commit()
            return
        converter = Converter(
            job, await _owners(session), {f.key: f for f in await customfields.definitions(session, access, job.module)}
        )
        rows = _numbered(reader.rows(path, job.format, job.encoding), job.processed_rows)
        failure = None
        while True:
            chunk: list[tuple[int, list[str]]] = []
            try:
                for numbered in rows:
                    chunk.append(numbered)
                    if len(chunk) == BATCH:
                        break
            except reader.RowProblem as problem:
                failure = f"Row {problem.row} {problem.message}"
            if not chunk and failure is None:
                break
            batch = await _check_batch(session, access, job, converter, chunk)
            created, updated = await _write_batch(session, access, job, batch)
            reported = batch.problems + batch.duplicates  # duplicates are reported per row, not counted as errors
            kept = job.problems + reported[: max(0, MAX_PROBLEMS - len(job.problems))]
            await session.execute(
                update(Import)
                .where(Import.id == import_id)
                .values(
                    processed_rows=Import.processed_rows + len(chunk),
                    created_count=Import.created_count + created,
                    updated_count=Import.updated_count + updated,
                    skipped_count=Import.skipped_count + batch.skipped + len(batch.updates) - updated,
                    error_count=Import.error_count + len(batch.problems),
                    problems=kept,
                    updated_at=func.now(),
                )
            )
            await session.commit()  # this batch and its progress, together
            job = await session.scalar(
                select(Import).where(Import.id == import_id).execution_options(populate_existing=True)
            )
            assert job is not None
            if failure is not None:
                break
        await session.execute(
            update(Import)
            .where(Import.id == import_id)
            .values(status="failed" if failure else "done", failure=failure, finished_at=func.now())
        )
        await session.commit()
    path.unlink(missing_ok=True)  # what it did is in the database now; undo does not need the file
    log.info("imports.finished", import_id=str(import_id), failure=failure)


async def undo_import(job_ctx: JobContext, import_id: uuid.UUID) -> None:
    async with tenant_session(job_ctx.scope) as session:
        job = await session.scalar(select(Import).where(Import.id == import_id))
        if job is None or job.status != "undoing":
            return
        for model in (Contact, Account, Lead):
            await session.execute(
                update(model)
                .where(model.import_id == import_id, model.deleted_at.is_(None))
                .values(deleted_at=func.now(), deleted_by=job.created_by)
            )
        reverted = list(
            await session.scalars(
                select(RecordChange)
                .where(RecordChange.batch_id == import_id, RecordChange.action == "updated")
                .order_by(RecordChange.occurred_at.desc())
            )
        )
        for change in reverted:
            await _revert(session, change)
        await session.execute(
            update(Import).where(Import.id == import_id).values(status="undone", undone_at=func.now())
        )
        await session.commit()
    log.info("imports.undone", import_id=str(import_id))


async def _revert(session: AsyncSession, change: RecordChange) -> None:
    """Put back the values an import changed (typed again: the history keeps them as JSON)."""
    model = Account if change.record_type == "account" else Contact
    current = (await session.execute(select(*repository.columns_of(model)).where(model.id == change.record_id))).first()
    if current is None:
        return
    row = dict(current._mapping)
    values: dict[str, Any] = {}
    custom = dict(row.get("custom") or {})
    for name, (old, _new) in change.changes.items():
        if name.startswith("custom."):
            if old is None:
                custom.pop(name[7:], None)
            else:
                custom[name[7:]] = old
            values["custom"] = custom
            continue
        column = model.__table__.c[name]
        python_type = column.type.python_type if old is not None else None
        if python_type is dt.date:
            values[name] = dt.date.fromisoformat(old)
        elif python_type is Decimal:
            values[name] = Decimal(old)
        elif python_type is uuid.UUID:
            values[name] = uuid.UUID(old)
        else:
            values[name] = old
    searchable = {**row, **values}
    await session.execute(
        update(model)
        .where(model.id == change.record_id)
        .values(**values, **customers.search_columns(model, searchable), updated_at=func.now())
    )


@tenant_job("imports.run", time_limit_ms=3_600_000, max_retries=3)
async def run(job: JobContext, import_id: str) -> None:
    await run_import(job, uuid.UUID(import_id))


@tenant_job("imports.undo", time_limit_ms=600_000, max_retries=3)
async def undo(job: JobContext, import_id: str) -> None:
    await undo_import(job, uuid.UUID(import_id))
