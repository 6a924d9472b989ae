"""Custom fields: an admin defines them per module (accounts, contacts); every write is checked against
the definitions; lists filter and sort by them. Values live in the record's ``custom`` JSONB.

An archived field is no longer shown or accepted, but its values stay (unarchive brings them back).
Option values are stable keys: renaming an option's label never changes the records that chose it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from pypinyin import lazy_pinyin
from sqlalchemy import ColumnElement, Numeric, and_, cast, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id
from guanxi.db.tenancy import scoped
from guanxi.domain.access.models import Member
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.customers.validation import Cleaner
from guanxi.domain.customfields.models import CustomField
from guanxi.domain.customfields.schemas import CustomFieldIn, CustomFieldPatch, OptionIn
from guanxi.errors import FieldError, conflict, validation_error

KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS = 100  # per module
MAX_OPTIONS = 200
TEXT_LENGTH = {"text": 500, "long_text": 10_000}
NUMBER_LIMIT = 10**15
SELECTS = ("single_select", "multi_select")
NUMERIC = ("number", "currency")


def key_from(label: str) -> str:
    """行业代码 → hang_ye_dai_ma; "Customer code" → customer_code."""
    words = re.findall(r"[a-z0-9]+", " ".join(lazy_pinyin(label.lower())))
    key = "_".join(words)[:40].strip("_")
    return key if KEY.match(key) else f"field_{key}"[:40].rstrip("_")


# Definitions ---------------------------------------------------------------------------------------------


async def definitions(
    session: AsyncSession, access: Access, module: str, *, archived: bool = False
) -> list[CustomField]:
    statement = select(CustomField).where(CustomField.module == module)
    if not archived:
        statement = statement.where(CustomField.archived_at.is_(None))
    rows = await session.scalars(
        statement.order_by(CustomField.position, CustomField.created_at), execution_options=scoped(access.scope)
    )
    return list(rows)


def _options(field_type: str, options: Sequence[OptionIn], prefix: str = "options") -> list[dict[str, str]]:
    c = Cleaner()
    if field_type not in SELECTS:
        if options:
            c.fail(prefix, "only select fields have options", "invalid")
    elif not options:
        c.fail(prefix, "a select field needs at least one option", "required")
    elif len(options) > MAX_OPTIONS:
        c.fail(prefix, f"must have at most {MAX_OPTIONS} options", "too_many")
    cleaned: dict[str, dict[str, str]] = {}
    for index, option in enumerate(options[:MAX_OPTIONS]):
        label = c.text(f"{prefix}[{index}].label", option.label, 100, required=True) or ""
        value = c.text(f"{prefix}[{index}].value", option.value, 100) or label
        if value in cleaned:
            c.fail(f"{prefix}[{index}].value", "is used by another option", "duplicate")
        cleaned[value] = {"value": value, "label": label}
    if c.errors:
        raise validation_error(*c.errors)
    return list(cleaned.values())


async def _get(session: AsyncSession, access: Access, field_id: uuid.UUID) -> CustomField:
    row = await session.scalar(
        select(CustomField).where(CustomField.id == field_id), execution_options=scoped(access.scope)
    )
    if row is None:
        raise not_found_for("Custom field")
    return row


async def create(session: AsyncSession, access: Access, data: CustomFieldIn) -> CustomField:
    access.require("settings", "update")
    c = Cleaner()
    label = c.text("label", data.label, 100, required=True) or ""
    key = data.key if data.key is not None else key_from(label)
    if not KEY.match(key):
        c.fail("key", "must be lower-case letters, digits and _, starting with a letter, at most 40", "invalid")
    if not -10_000 <= data.position <= 10_000:
        c.fail("position", "must be between -10000 and 10000", "out_of_range")
    if c.errors:
        raise validation_error(*c.errors)
    options = _options(data.type, data.options)
    existing = await definitions(session, access, data.module, archived=True)
    if any(field.key == key for field in existing):
        raise conflict("key", f"The {data.module} module already has a field {key}.", "duplicate-key")
    if len(existing) >= MAX_FIELDS:
        raise conflict("module", f"A module has at most {MAX_FIELDS} custom fields.", "field-limit")
    field_id = new_id()
    await session.execute(
        insert(CustomField).values(
            id=field_id,
            module=data.module,
            key=key,
            label=label,
            type=data.type,
            options=options,
            required=data.required,
            position=data.position,
            created_by=access.member_id,
        ),
        execution_options=scoped(access.scope),
    )
    return await _get(session, access, field_id)


async def change(session: AsyncSession, access: Access, field_id: uuid.UUID, data: CustomFieldPatch) -> CustomField:
    """Label, options, required and position may change; the key and type may not (records hold values)."""
    access.require("settings", "update")
    field = await _get(session, access, field_id)
    values: dict[str, Any] = {}
    c = Cleaner()
    if isinstance(data.label, str):
        values["label"] = c.text("label", data.label, 100, required=True)
    if c.errors:
        raise validation_error(*c.errors)
    if not isinstance(data.options, type(None)) and isinstance(data.options, list):
        options = _options(field.type, data.options)
        dropped = {o["value"] for o in field.options} - {o["value"] for o in options}
        if dropped:  # records may hold them: an option is renamed through its label, never removed
            raise validation_error(
                FieldError("options", f"options in use cannot be removed: {', '.join(sorted(dropped))}", "in_use")
            )
        values["options"] = options
    if isinstance(data.required, bool):
        values["required"] = data.required
    if isinstance(data.position, int):
        values["position"] = data.position
    if values:
        await session.execute(
            update(CustomField).where(CustomField.id == field_id).values(updated_at=func.now(), **values),
            execution_options=scoped(access.scope),
        )
    return await _get(session, access, field_id)


async def set_archived(session: AsyncSession, access: Access, field_id: uuid.UUID, archived: bool) -> CustomField:
    access.require("settings", "update")
    await _get(session, access, field_id)
    await session.execute(
        update(CustomField)
        .where(CustomField.id == field_id)
        .values(archived_at=func.now() if archived else None, updated_at=func.now()),
        execution_options=scoped(access.scope),
    )
    return await _get(session, access, field_id)


# Values --------------------------------------------------------------------------------------------------


def _number(c: Cleaner, name: str, value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        c.fail(name, "must be a number", "invalid")
        return None
    if not math.isfinite(value) or abs(value) >= NUMBER_LIMIT:
        c.fail(name, f"must be a finite number below {NUMBER_LIMIT:,}", "out_of_range")
        return None
    return value


def _currency(c: Cleaner, name: str, value: Any) -> str | None:
    try:
        amount = Decimal(str(value)) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        c.fail(name, 'must be an amount such as "1234.50"', "invalid")
        return None
    if abs(amount) >= Decimal("1e12") or amount != amount.quantize(Decimal("0.01")):
        c.fail(name, "must be below 1,000,000,000,000 with at most two decimal places", "out_of_range")
        return None
    return str(amount.quantize(Decimal("0.01")))


def _date(c: Cleaner, name: str, value: Any) -> str | None:
    try:
        return dt.date.fromisoformat(value).isoformat() if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        pass
    c.fail(name, "must be a date as YYYY-MM-DD that exists", "invalid_date")
    return None


def _clean_one(c: Cleaner, field: CustomField, name: str, value: Any, members: set[uuid.UUID]) -> Any:
    kind = field.type
    if kind in TEXT_LENGTH:
        if not isinstance(value, str):
            c.fail(name, "must be text", "invalid")
            return None
        return c.text(name, value, TEXT_LENGTH[kind], multiline=kind == "long_text")
    if kind == "number":
        return _number(c, name, value)
    if kind == "currency":
        return _currency(c, name, value)
    if kind == "date":
        return _date(c, name, value)
    if kind == "checkbox":
        if not isinstance(value, bool):
            c.fail(name, "must be true or false", "invalid")
        return value
    allowed = {option["value"] for option in field.options}
    if kind == "single_select":
        if value not in allowed:
            c.fail(name, f"must be one of: {', '.join(sorted(allowed))}", "invalid_choice")
        return value
    if kind == "multi_select":
        if not isinstance(value, list) or any(item not in allowed for item in value):
            c.fail(name, f"must be a list of: {', '.join(sorted(allowed))}", "invalid_choice")
            return None
        return list(dict.fromkeys(value))
    if not isinstance(value, str):
        c.fail(name, "must be text", "invalid")
        return None
    if kind == "user":
        try:
            member = uuid.UUID(value)
        except ValueError:
            member = None
        if member not in members:
            c.fail(name, "must be an active member of this workspace", "invalid")
        return value
    return {"url": c.url, "email": c.email, "phone": c.phone}[kind](name, value)


async def clean_values(
    session: AsyncSession,
    access: Access,
    module: str,
    values: dict[str, Any],
    *,
    before: dict[str, Any] | None,
    known: list[CustomField] | None = None,
) -> dict[str, Any]:
    """The record's whole ``custom`` object after applying ``values`` (``null`` removes a value), checked
    against the module's live definitions (``known`` when the caller has them already); raises naming each
    bad field as ``custom.<key>``."""
    fields = {
        field.key: field for field in (known if known is not None else await definitions(session, access, module))
    }
    merged = dict(before or {})
    c = Cleaner()
    members: set[uuid.UUID] = set()
    if any(fields[key].type == "user" for key in values if key in fields):
        members = set(
            await session.scalars(
                select(Member.id).where(Member.status == "active"), execution_options=scoped(access.scope)
            )
        )
    for key, value in values.items():
        name = f"custom.{key}"
        field = fields.get(key)
        if field is None:
            c.fail(name, f"is not a custom field of {module}", "unknown_field")
        elif value is None or value == "" or value == []:
            merged.pop(key, None)
        else:
            cleaned = _clean_one(c, field, name, value, members)
            if cleaned is not None:
                merged[key] = cleaned
    for key, field in fields.items():
        if field.required and key not in merged and (before is None or key in values):
            c.fail(f"custom.{key}", "is required", "required")
    if c.errors:
        raise validation_error(*c.errors)
    return merged


# Lists ---------------------------------------------------------------------------------------------------


def filter_value(field: CustomField, raw: str) -> Any:
    """A query-string value in the field's own type, for a containment filter."""
    name = f"cf.{field.key}"
    if field.type in NUMERIC:
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise validation_error(FieldError(name, "must be a number", "invalid")) from None
        return str(number.quantize(Decimal("0.01"))) if field.type == "currency" else float(number)
    if field.type == "checkbox":
        if raw not in ("true", "false"):
            raise validation_error(FieldError(name, "must be true or false", "invalid"))
        return raw == "true"
    return [raw] if field.type == "multi_select" else raw


RANGE = ".."  # cf.<key>=10..50, 10.., ..50; dates too: 2026-01-01..2026-03-31
RANGED = (*NUMERIC, "date")


def range_condition(custom: Any, field: CustomField, raw: str) -> ColumnElement[bool]:
    """Numbers and dates between two ends, both included; either end may be left open. A record without a
    value is outside every range."""
    name = f"cf.{field.key}"
    low, high = (part.strip() for part in raw.split(RANGE, 1))
    if not low and not high:
        raise validation_error(FieldError(name, "a range needs a lower or an upper end", "invalid"))
    if field.type == "date":
        ends: list[Any]
        try:
            ends = [dt.date.fromisoformat(end).isoformat() if end else None for end in (low, high)]
        except ValueError:
            raise validation_error(FieldError(name, "must be dates like 2026-05-31", "invalid")) from None
        value: Any = custom[field.key].astext  # ISO dates order as text
    else:
        try:
            ends = [Decimal(end) if end else None for end in (low, high)]
        except InvalidOperation:
            raise validation_error(FieldError(name, "must be numbers", "invalid")) from None
        value = cast(custom[field.key].astext, Numeric)
    conditions = [value >= ends[0]] if ends[0] is not None else []
    if ends[1] is not None:
        conditions.append(value <= ends[1])
    return and_(*conditions)


def filter_condition(custom: Any, field: CustomField, raw: str) -> ColumnElement[bool]:
    if RANGE in raw and field.type in RANGED:
        return range_condition(custom, field, raw)
    value = filter_value(field, raw)
    if field.type == "number":  # 5 and 5.0 are one number, but not one JSON value
        return cast(custom[field.key].astext, Numeric) == Decimal(str(value))
    return custom.contains({field.key: value})  # type: ignore[no-any-return]


def sort_expression(custom: Any, field: CustomField) -> ColumnElement[Any]:
    """What a list sorts by for this field; numbers as numbers, and no NULL (keyset tuples cannot hold one)."""
    text_value = custom[field.key].astext
    if field.type in NUMERIC:
        return func.coalesce(cast(text_value, Numeric), -NUMBER_LIMIT)
    if field.type in ("multi_select", "checkbox"):
        return func.coalesce(custom[field.key].astext, "")
    return func.coalesce(text_value, "")
