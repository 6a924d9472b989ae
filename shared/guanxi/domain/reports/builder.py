"""The report builder: an entity from a whitelist, typed filters, one or two groups (dates truncated to a grain),
measures and a chart, compiled to SQLAlchemy Core with bound parameters only, inside the reader's scope.

A field the reader may not see (cost and margin without ``sees_costs``) is refused with 403 naming the field;
an unknown field, a wrong type or a date range longer than ten years with 422 naming it. Money is never added
across currencies: a money measure groups by currency as well. Answers hold at most ``limit`` groups and say
``truncated`` when there were more."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from sqlalchemy import ColumnElement, Date, Select, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from guanxi.db.tenancy import scoped
from guanxi.domain.access.models import Member
from guanxi.domain.access.service import Access
from guanxi.domain.activities.models import Activity
from guanxi.domain.customers.models import Account
from guanxi.domain.deals.models import Deal
from guanxi.domain.numbering.service import workspace_today
from guanxi.domain.orders.models import Order, OrderLine, Payment
from guanxi.domain.pipeline.models import PipelineStage
from guanxi.domain.products.lines import sees_costs
from guanxi.domain.reports.predefined import bounded
from guanxi.domain.reports.registry import MAX_DAYS, Column, Table
from guanxi.domain.reports.schemas import BuilderIn, FilterIn
from guanxi.errors import DomainError, FieldError, validation_error

FieldType = Literal["text", "number", "money", "date", "datetime"]
Owner = aliased(Member, name="owner")


@dataclass(frozen=True)
class Field:
    column: Any
    type: FieldType
    groupable: bool = True
    measurable: bool = False
    needs_costs: bool = False
    policy: str | None = None  # the field's name in the role field rules of the entity's module, when it has one


@dataclass(frozen=True)
class Entity:
    name: str
    module: str  # the module whose read scope limits the rows
    source: Callable[[], Select[Any]]  # the FROM with its joins, and the rows kept (not deleted, ...)
    owner: Any
    date_field: str
    fields: dict[str, Field] = field(default_factory=dict)


def _money(column: Any, costs: bool = False) -> Field:
    return Field(column, "money", groupable=False, measurable=True, needs_costs=costs)


def _orders() -> Select[Any]:
    return (select().select_from(Order).outerjoin(Owner, Owner.id == Order.owner_id)
            .outerjoin(Account, Account.id == Order.account_id).where(Order.deleted_at.is_(None)))  # fmt: skip


def _lines() -> Select[Any]:
    return (select().select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
            .outerjoin(Owner, Owner.id == Order.owner_id).outerjoin(Account, Account.id == Order.account_id)
            .where(Order.deleted_at.is_(None)))  # fmt: skip


ORDER_FIELDS = {
    "status": Field(Order.status, "text"),
    "currency": Field(Order.currency, "text"),
    "order_date": Field(Order.order_date, "date"),
    "owner": Field(Owner.name, "text"),
    "account": Field(Account.name, "text"),
    "region": Field(Account.province, "text"),
    "city": Field(Account.city, "text"),
}

ENTITIES = {
    e.name: e
    for e in (
        Entity("orders", "orders", _orders, Order.owner_id, "order_date", {
            **ORDER_FIELDS,
            "number": Field(Order.number, "text", groupable=False),
            "subtotal": _money(Order.subtotal), "discount": _money(Order.discount), "tax": _money(Order.tax),
            "total": _money(Order.total), "collected": _money(Order.collected), "invoiced": _money(Order.invoiced),
            "cost": _money(Order.cost, costs=True), "margin": _money(Order.margin, costs=True),
        }),
        Entity("order_lines", "orders", _lines, Order.owner_id, "order_date", {
            **ORDER_FIELDS,
            "product": Field(OrderLine.name, "text"),
            "quantity": Field(OrderLine.quantity, "number", groupable=False, measurable=True),
            "unit_price": _money(OrderLine.unit_price), "net_amount": _money(OrderLine.net_amount),
            "tax_amount": _money(OrderLine.tax_amount), "unit_cost": _money(OrderLine.unit_cost, costs=True),
        }),
        Entity("accounts", "customers",
               lambda: select().select_from(Account).outerjoin(Owner, Owner.id == Account.owner_id)
               .where(Account.deleted_at.is_(None)), Account.owner_id, "created_at", {
            "kind": Field(Account.kind, "text"), "industry": Field(Account.industry, "text", policy="industry"),
            "source": Field(Account.source, "text", policy="source"), "region": Field(Account.province, "text"),
            "city": Field(Account.city, "text"), "lifecycle_stage": Field(Account.lifecycle_stage, "text"),
            "owner": Field(Owner.name, "text"), "created_at": Field(Account.created_at, "datetime"),
            "credit_limit": Field(Account.credit_limit, "money", groupable=False, measurable=True,
                                  policy="credit_limit"),
        }),
        Entity("deals", "deals",
               lambda: select().select_from(Deal).outerjoin(Owner, Owner.id == Deal.owner_id)
               .join(PipelineStage, PipelineStage.id == Deal.stage_id).where(Deal.deleted_at.is_(None)),
               Deal.owner_id, "created_at", {
            "status": Field(Deal.status, "text"), "stage": Field(PipelineStage.name, "text"),
            "currency": Field(Deal.currency, "text"), "owner": Field(Owner.name, "text"),
            "expected_close_date": Field(Deal.expected_close_date, "date"),
            "closed_at": Field(Deal.closed_at, "datetime"), "created_at": Field(Deal.created_at, "datetime"),
            "amount": _money(Deal.amount),
        }),
        Entity("activities", "activities",
               lambda: select().select_from(Activity).outerjoin(Owner, Owner.id == Activity.owner_id)
               .where(Activity.deleted_at.is_(None)), Activity.owner_id, "occurred_at", {
            "kind": Field(Activity.kind, "text"), "direction": Field(Activity.direction, "text"),
            "outcome": Field(Activity.outcome, "text"), "owner": Field(Owner.name, "text"),
            "occurred_at": Field(Activity.occurred_at, "datetime"),
            "duration_seconds": Field(Activity.duration_seconds, "number", groupable=False, measurable=True),
        }),
        Entity("payments", "payments",
               lambda: select().select_from(Payment).outerjoin(Owner, Owner.id == Payment.owner_id)
               .where(Payment.voided_at.is_(None)), Payment.owner_id, "paid_on", {
            "method": Field(Payment.method, "text"), "currency": Field(Payment.currency, "text"),
            "owner": Field(Owner.name, "text"), "paid_on": Field(Payment.paid_on, "date"),
            "amount": _money(Payment.amount),
        }),
    )
}  # fmt: skip

TEXT_MAX = 200
LIST_MAX = 100


def _may_see(access: Access, entity: Entity, f: Field) -> bool:
    if f.needs_costs and not sees_costs(access):
        return False
    return f.policy is None or access.fields.visible(entity.module, f.policy)


def catalogue(access: Access) -> list[dict[str, Any]]:
    """The entities the reader may read and the fields they may see."""
    return [
        {"name": e.name, "fields": [
            {"name": n, "type": f.type, "filterable": True, "groupable": f.groupable, "measurable": f.measurable}
            for n, f in e.fields.items() if _may_see(access, e, f)]}
        for e in ENTITIES.values() if access.can(e.module, "read")
    ]  # fmt: skip


def _refused(path: str, name: str) -> DomainError:
    message = f"you may not see the field {name}"
    return DomainError(detail=f"{path}: {message}", status=403, type="forbidden", title="Forbidden",
                       errors=[FieldError(path, message, "forbidden")])  # fmt: skip


def _field(entity: Entity, access: Access, path: str, name: str) -> Field:
    found = entity.fields.get(name)
    if found is None:
        raise validation_error(FieldError(path, f"{entity.name} has no field {name}", "unknown_field"))
    if not _may_see(access, entity, found):
        raise _refused(path, name)
    return found


def _one(f: Field, path: str, value: Any) -> Any:
    try:
        if f.type == "text":
            if not isinstance(value, (str, int)) or len(str(value)) > TEXT_MAX:
                raise ValueError
            return str(value)
        if f.type in ("number", "money"):
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise ValueError
            number = Decimal(str(value))
            if not number.is_finite() or abs(number) >= Decimal(10) ** 14:
                raise ValueError
            return number
        if f.type == "date":
            return dt.date.fromisoformat(str(value))
        moment = dt.datetime.fromisoformat(str(value))
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    except (ValueError, TypeError, InvalidOperation):
        raise validation_error(FieldError(path, f"is not a valid {f.type}", "invalid")) from None


def _condition(f: Field, spec: FilterIn, path: str) -> ColumnElement[bool]:
    column = f.column
    if spec.op in ("is_null", "not_null"):
        return column.is_(None) if spec.op == "is_null" else column.is_not(None)  # type: ignore[no-any-return]
    if spec.op in ("in", "between"):
        values = spec.value if isinstance(spec.value, list) else None
        if values is None or not values or len(values) > LIST_MAX or (spec.op == "between" and len(values) != 2):
            wanted = "a list of two values" if spec.op == "between" else f"a list of 1 to {LIST_MAX} values"
            raise validation_error(FieldError(f"{path}.value", f"must be {wanted}", "invalid"))
        clean = [_one(f, f"{path}.value", v) for v in values]
        return column.in_(clean) if spec.op == "in" else column.between(*clean)  # type: ignore[no-any-return]
    if spec.op == "contains":
        if f.type != "text":
            raise validation_error(FieldError(f"{path}.op", "contains is for text fields", "invalid"))
        text = _one(f, f"{path}.value", spec.value)
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.ilike(f"%{escaped}%", escape="\\")  # type: ignore[no-any-return]
    value = _one(f, f"{path}.value", spec.value)
    compare = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "le": "__le__", "gt": "__gt__", "ge": "__ge__"}
    return getattr(column, compare[spec.op])(value)  # type: ignore[no-any-return]


def _as_date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _range(entity: Entity, filters: list[FilterIn], today: dt.date) -> tuple[dt.date | None, dt.date | None, str]:
    """The bounds the filters put on the entity's date field, to keep a report within ten years."""
    date_field = entity.fields[entity.date_field]
    low: dt.date | None = None
    high: dt.date | None = None
    path = "filters"
    for i, spec in enumerate(filters):
        if spec.field != entity.date_field:
            continue
        path = f"filters[{i}].value"
        if spec.op in ("ge", "gt", "eq"):
            low = max(low or dt.date.min, _as_date(_one(date_field, path, spec.value)))
        if spec.op in ("le", "lt", "eq"):
            high = min(high or dt.date.max, _as_date(_one(date_field, path, spec.value)))
        if spec.op == "between" and isinstance(spec.value, list) and len(spec.value) == 2:
            low = _as_date(_one(date_field, path, spec.value[0]))
            high = _as_date(_one(date_field, path, spec.value[1]))
    return low, high, path


async def run(session: AsyncSession, access: Access, spec: BuilderIn, title: str = "") -> Table:
    entity = ENTITIES.get(spec.entity)
    if entity is None:
        raise validation_error(FieldError("entity", f"must be one of {', '.join(ENTITIES)}", "invalid_choice"))
    access.require(entity.module, "read")
    if not spec.group_by:
        raise validation_error(FieldError("group_by", "needs one or two fields", "required"))
    today = await workspace_today(session, access.scope)
    conditions = [_condition(_field(entity, access, f"filters[{i}].field", s.field), s, f"filters[{i}]")
                  for i, s in enumerate(spec.filters)]  # fmt: skip
    low, high, path = _range(entity, spec.filters, today)
    notes: list[str] = []
    if low is None:
        low = (high or today) - dt.timedelta(days=MAX_DAYS)
        date_column = entity.fields[entity.date_field].column
        conditions.append(date_column >= low)
        notes.append(f"{entity.date_field} from {low.isoformat()}: reports span at most ten years")
    if ((high or max(today, low)) - low).days > MAX_DAYS:
        raise validation_error(FieldError(path, "the date range may span at most 10 years", "range_too_long"))
    groups: list[Any] = []
    columns: list[Column] = []
    for i, g in enumerate(spec.group_by):
        f = _field(entity, access, f"group_by[{i}].field", g.field)
        if not f.groupable:
            raise validation_error(FieldError(f"group_by[{i}].field", f"{g.field} cannot be grouped by", "invalid"))
        expression = f.column
        if f.type in ("date", "datetime"):
            expression = cast(func.date_trunc(g.grain or "month", f.column), Date)
        elif g.grain is not None:
            raise validation_error(FieldError(f"group_by[{i}].grain", "is only for date fields", "invalid"))
        groups.append(expression.label(f"g{i}"))
        columns.append(Column(g.field, g.field, "date" if f.type in ("date", "datetime") else "text"))
    measures: list[Any] = []
    money = False
    for i, m in enumerate(spec.measures):
        if m.fn == "count" and m.field is None:
            measures.append(func.count().label(f"m{i}"))
            columns.append(Column("count", "count", "number"))
            continue
        if m.field is None:
            raise validation_error(FieldError(f"measures[{i}].field", f"{m.fn} needs a field", "required"))
        f = _field(entity, access, f"measures[{i}].field", m.field)
        if m.fn != "count" and not f.measurable:
            raise validation_error(FieldError(f"measures[{i}].field", f"{m.field} is not a number", "invalid"))
        money = money or f.type == "money"
        aggregate = func.count(f.column) if m.fn == "count" else getattr(func, m.fn)(f.column)
        if m.fn == "avg":
            aggregate = func.round(aggregate, 2)
        measures.append(aggregate.label(f"m{i}"))
        columns.append(
            Column(
                f"{m.fn}_{m.field}", f"{m.fn} {m.field}", "money" if m.fn != "count" and f.type == "money" else "number"
            )
        )
    if money and "currency" in entity.fields and all(g.field != "currency" for g in spec.group_by):
        groups.append(entity.fields["currency"].column.label("currency"))
        columns.insert(len(groups) - 1, Column("currency", "currency", "text"))
    conditions.append(access.where(entity.module, "read", entity.owner))
    query = entity.source().add_columns(*groups, *measures).where(*conditions).group_by(*groups)
    order_groups = [g.asc().nulls_last() for g in groups]
    if spec.sort == "group":
        query = query.order_by(*order_groups)
    else:
        first = measures[0].desc() if spec.sort == "measure_desc" else measures[0].asc()
        query = query.order_by(first.nulls_last(), *order_groups)
    await bounded(session)
    found = await session.execute(query.limit(spec.limit + 1), execution_options=scoped(access.scope))
    rows = [list(r) for r in found]
    truncated = len(rows) > spec.limit
    return Table(columns, rows[: spec.limit], spec.chart, truncated, notes)
