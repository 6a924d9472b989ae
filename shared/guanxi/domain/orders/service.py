"""Orders (订单): created from priced lines (the product's cost kept per line, totals and margin stored on the row so
reports never add up lines), moved confirmed → shipped → delivered or cancelled, with tracking. Their payment
plans (回款计划), the payments (回款) recorded against an instalment or the order, invoices (发票), and receivables.

Stock: shipping an order takes its lines' quantities off the products' stock; cancelling a shipped order puts them
back (a confirmed order has not touched stock). Stock may go below zero: the order is a fact, the count is fixed
in the catalogue.

Amounts that several requests change at once (collected, invoiced) are changed under a row lock on the order
(``SELECT … FOR UPDATE``), taken before the open amount is read: two payments at the same moment are checked one
after the other, and the second sees the first."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

from msgspec import UNSET
from sqlalchemy import ColumnElement, func, insert, literal, select, tuple_, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id
from guanxi.db.tenancy import scoped
from guanxi.domain.access.models import Member
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.churn.service import rescore_soon
from guanxi.domain.customers import repository as customers
from guanxi.domain.customers.models import Account, Contact
from guanxi.domain.customers.service import check_owner
from guanxi.domain.customers.validation import Cleaner
from guanxi.domain.numbering.service import next_number, workspace_today
from guanxi.domain.orders.models import Instalment, Invoice, Order, OrderLine, Payment
from guanxi.domain.orders.schemas import InstalmentIn, InvoiceIn, OrderChangeIn, OrderIn, PaymentIn, StatusIn
from guanxi.domain.products.lines import price_lines, totals
from guanxi.domain.products.models import PriceList, Product
from guanxi.domain.quotes.service import account_links
from guanxi.domain.tenancy.models import WorkspaceSettings
from guanxi.domain.timeline.models import RecordChange
from guanxi.errors import FieldError, conflict, validation_error

MODULE = "orders"
NEXT = {"confirmed": ("shipped", "cancelled"), "shipped": ("delivered", "cancelled"), "delivered": (), "cancelled": ()}
ORDER_COLUMNS = [c for c in Order.__table__.columns if c.name not in ("deleted_at", "deleted_by", "created_by")]
MAX_INSTALMENTS = 60
ZERO = Decimal("0.00")
PaymentOrInvoice = TypeVar("PaymentOrInvoice", Payment, Invoice)
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def visible(access: Access, action: str = "read") -> ColumnElement[bool]:
    return access.where(MODULE, action, Order.owner_id)


def _day(c: Cleaner, field: str, value: dt.date | None) -> dt.date | None:
    if value is not None and not FIRST_DAY <= value <= LAST_DAY:
        c.fail(field, "must be a date between 2000 and 2100", "out_of_range")
    return value


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value) if isinstance(value, (uuid.UUID, Decimal)) else value


async def _timeline(
    session: AsyncSession, access: Access, order_id: uuid.UUID, action: str, changes: dict[str, list[Any]]
) -> None:
    await session.execute(
        insert(RecordChange).values(
            id=new_id(), record_type="order", record_id=order_id, actor_id=access.member_id, action=action,
            changes={k: [_json(v) for v in pair] for k, pair in changes.items()},
        ),
        execution_options=scoped(access.scope),
    )  # fmt: skip


# ---- orders --------------------------------------------------------------------------------------------------


def order_row(row: Any) -> dict[str, Any]:
    found = dict(row._mapping)
    found["open_amount"] = found["total"] - found["collected"] if found["status"] != "cancelled" else ZERO
    return found


async def fetch(
    session: AsyncSession, access: Access, order_id: uuid.UUID, action: str = "read", *, lock: bool = False
) -> dict[str, Any]:
    """One order the caller may ``action``; ``lock``: hold its row until the transaction ends."""
    statement = (
        select(*ORDER_COLUMNS, Account.name.label("account_name"))
        .join(Account, Account.id == Order.account_id)
        .where(Order.id == order_id, Order.deleted_at.is_(None), visible(access, action))
    )
    if lock:
        statement = statement.with_for_update(of=Order)
    row = (await session.execute(statement, execution_options=scoped(access.scope))).first()
    if row is None:
        raise not_found_for("Order")
    return order_row(row)


async def _check_parties(session: AsyncSession, access: Access, data: OrderIn, c: Cleaner) -> None:
    """The account (422 at once when the caller may not see it), and its contact, deal and contract."""
    links = await account_links(
        session, access, data.account_id, data.contact_id, data.deal_id, contract_id=data.contract_id
    )
    c.errors.extend(links)


async def _currency(session: AsyncSession, access: Access, c: Cleaner, data: OrderIn) -> str:
    if data.currency is not None:
        return c.currency("currency", data.currency)
    options = scoped(access.scope)
    if data.price_list_id is not None:
        listed = await session.scalar(
            select(PriceList.currency).where(PriceList.id == data.price_list_id), execution_options=options
        )
        if listed:
            return str(listed)
    code = await session.scalar(select(WorkspaceSettings.currency).limit(1), execution_options=options)
    return code or "CNY"


async def create(session: AsyncSession, access: Access, data: OrderIn) -> dict[str, Any]:
    """Confirm an order: number, lines priced and costed, totals stored, all in the caller's transaction."""
    access.require(MODULE, "create")
    c = Cleaner()
    await _check_parties(session, access, data, c)
    currency = await _currency(session, access, c, data)
    note = c.text("note", data.note, 5_000, multiline=True)
    order_date = _day(c, "order_date", data.order_date)
    if not data.lines:
        c.fail("lines", "must have at least one line", "required")
    if c.errors:
        raise validation_error(*c.errors)
    rows, errors = await price_lines(session, access, data.lines, currency=currency, price_list_id=data.price_list_id)
    if errors:
        raise validation_error(*errors)
    owner = data.owner_id or access.member_id
    await check_owner(session, access, MODULE, owner, "create")
    sums = totals(rows)
    order_id = new_id()
    options = scoped(access.scope)
    today = await workspace_today(session, access.scope)
    await session.execute(
        insert(Order).values(
            id=order_id, number=await next_number(session, access.scope, "order"), account_id=data.account_id,
            contact_id=data.contact_id, deal_id=data.deal_id, contract_id=data.contract_id, owner_id=owner,
            currency=currency, price_list_id=data.price_list_id, order_date=order_date or today, note=note,
            subtotal=sums.subtotal, discount=sums.discount, tax=sums.tax, total=sums.total, cost=sums.cost,
            margin=sums.margin, created_by=access.member_id,
        ),
        execution_options=options,
    )  # fmt: skip
    await session.execute(
        insert(OrderLine), [{"id": new_id(), "order_id": order_id, **row} for row in rows], execution_options=options
    )
    await _timeline(session, access, order_id, "created", {"total": [None, sums.total], "status": [None, "confirmed"]})
    await rescore_soon(session, access.scope, data.account_id)
    return await fetch(session, access, order_id)


async def change(session: AsyncSession, access: Access, order_id: uuid.UUID, data: OrderChangeIn) -> dict[str, Any]:
    before = await fetch(session, access, order_id, "update")
    c = Cleaner()
    values: dict[str, Any] = {}
    if data.carrier is not UNSET:
        values["carrier"] = c.text("carrier", data.carrier, 100)
    if data.tracking_number is not UNSET:
        values["tracking_number"] = c.text("tracking_number", data.tracking_number, 100)
    if data.note is not UNSET:
        values["note"] = c.text("note", data.note, 5_000, multiline=True)
    if data.contact_id is not UNSET:
        values["contact_id"] = data.contact_id
        if data.contact_id is not None:
            found = await session.scalar(
                select(Contact.id).where(
                    Contact.id == data.contact_id,
                    Contact.account_id == before["account_id"],
                    Contact.deleted_at.is_(None),
                ),
                execution_options=scoped(access.scope),
            )
            if found is None:
                c.fail("contact_id", "is not a contact of the order's account", "invalid")
    if c.errors:
        raise validation_error(*c.errors)
    if data.owner_id is not UNSET:
        await check_owner(session, access, MODULE, data.owner_id, "update")
        values["owner_id"] = data.owner_id
    changes = {k: [before.get(k), v] for k, v in values.items() if before.get(k) != v}
    if changes:
        options = scoped(access.scope)
        await session.execute(
            update(Order).where(Order.id == order_id).values(updated_at=func.now(), **values), execution_options=options
        )
        if "owner_id" in values:  # the plan and the receivables follow the order's owner
            for model in (Instalment, Payment, Invoice):
                await session.execute(
                    update(model).where(model.order_id == order_id).values(owner_id=values["owner_id"]),
                    execution_options=options,
                )
        await _timeline(session, access, order_id, "updated", changes)
    return await fetch(session, access, order_id)


async def _move_stock(session: AsyncSession, access: Access, order_id: uuid.UUID, sign: int) -> None:
    """Take the order's quantities off the stock (``sign`` -1) or put them back (+1), one statement."""
    per_product = (
        select(OrderLine.product_id, func.sum(OrderLine.quantity).label("quantity"))
        .where(OrderLine.order_id == order_id, OrderLine.product_id.is_not(None))
        .group_by(OrderLine.product_id)
        .subquery()
    )
    await session.execute(
        update(Product)
        .where(Product.id == per_product.c.product_id)
        .values(stock=Product.stock + sign * per_product.c.quantity, updated_at=func.now()),
        execution_options=scoped(access.scope),
    )


async def set_status(session: AsyncSession, access: Access, order_id: uuid.UUID, data: StatusIn) -> dict[str, Any]:
    """Move an order on. The order's row is locked first: of two people shipping it at once, one ships it and the
    other is told it moved; a cancelled order with money collected is refused (void the payments first)."""
    before = await fetch(session, access, order_id, "update", lock=True)
    current, wanted = before["status"], data.status
    if wanted not in NEXT[current]:
        allowed = ", ".join(NEXT[current]) or "nothing: it is final"
        raise conflict("status", f"a {current} order can move to {allowed}", "invalid-transition")
    c = Cleaner()
    on = _day(c, "on", data.on)
    carrier = c.text("carrier", data.carrier, 100)
    tracking = c.text("tracking_number", data.tracking_number, 100)
    if c.errors:
        raise validation_error(*c.errors)
    day = on or await workspace_today(session, access.scope)
    values: dict[str, Any] = {"status": wanted, "updated_at": func.now()}
    if wanted == "shipped":
        values.update(shipped_on=day, carrier=carrier or before["carrier"],
                      tracking_number=tracking or before["tracking_number"])  # fmt: skip
        await _move_stock(session, access, order_id, -1)
    elif wanted == "delivered":
        if day < before["shipped_on"]:
            raise validation_error(FieldError("on", "must not be before the shipping date", "out_of_range"))
        values["delivered_on"] = day
    else:
        if before["collected"] > 0:
            raise conflict("status", "payments were recorded on this order: void them first", "order-has-payments")
        if before["invoiced"] > 0:
            raise conflict("status", "invoices were issued on this order: void them first", "order-has-invoices")
        values.update(cancelled_at=func.now(), plan_open=0)
        if current == "shipped":
            await _move_stock(session, access, order_id, +1)
        await session.execute(
            update(Instalment).where(Instalment.order_id == order_id).values(status="void", updated_at=func.now()),
            execution_options=scoped(access.scope),
        )
    await session.execute(update(Order).where(Order.id == order_id).values(**values),
                          execution_options=scoped(access.scope))  # fmt: skip
    await _timeline(session, access, order_id, "status", {"status": [current, wanted]})
    return await fetch(session, access, order_id)


async def lines_of(session: AsyncSession, access: Access, order_ids: Sequence[uuid.UUID]) -> list[OrderLine]:
    return list(
        await session.scalars(
            select(OrderLine).where(OrderLine.order_id.in_(order_ids)).order_by(OrderLine.position),
            execution_options=scoped(access.scope),
        )
    )


SORT_PARSE = dt.date.fromisoformat


async def list_orders(
    session: AsyncSession, access: Access, *, filters: dict[str, Any], cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Orders one may see, newest order date first, by keyset pages (order date, then id)."""
    access.require(MODULE, "read")
    conditions: list[ColumnElement[bool]] = [Order.deleted_at.is_(None), visible(access)]
    for name in ("status", "account_id", "owner_id", "deal_id", "contract_id"):
        if filters.get(name) is not None:
            conditions.append(getattr(Order, name) == filters[name])
    if filters.get("date_from") is not None:
        conditions.append(Order.order_date >= filters["date_from"])
    if filters.get("date_to") is not None:
        conditions.append(Order.order_date <= filters["date_to"])
    if cursor:
        value, last = customers.decode_cursor(cursor, SORT_PARSE)
        conditions.append(tuple_(Order.order_date, Order.id) < (value, last))
    rows = [
        order_row(row)
        for row in await session.execute(
            select(*ORDER_COLUMNS, Account.name.label("account_name"))
            .join(Account, Account.id == Order.account_id)
            .where(*conditions)
            .order_by(Order.order_date.desc(), Order.id.desc())
            .limit(limit + 1),
            execution_options=scoped(access.scope),
        )
    ]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = customers.encode_cursor(rows[-1]["order_date"], rows[-1]["id"])
    return rows, next_cursor


# ---- payment plans and payments ------------------------------------------------------------------------------


def instalment_row(item: Instalment, today: dt.date) -> dict[str, Any]:
    """An instalment as shown: ``overdue`` when still open after its due date (read, never stored)."""
    status = item.status
    if status in ("pending", "partly_paid") and item.due_date < today:
        status = "overdue"
    return {"id": item.id, "order_id": item.order_id, "position": item.position, "due_date": item.due_date,
            "amount": item.amount, "collected": item.collected, "open_amount": item.amount - item.collected
            if item.status != "void" else ZERO, "status": status, "currency": item.currency,
            "note": item.note, "paid_on": item.paid_on}  # fmt: skip


async def instalments(session: AsyncSession, access: Access, order_id: uuid.UUID) -> list[Instalment]:
    return list(
        await session.scalars(
            select(Instalment).where(Instalment.order_id == order_id).order_by(Instalment.position),
            execution_options=scoped(access.scope),
        )
    )


def _check_amount(c: Cleaner, field: str, value: Decimal) -> Decimal | None:
    amount = c.money(field, value)
    if amount is not None and amount == 0:
        c.fail(field, "must be above 0", "out_of_range")
    return amount


async def add_instalment(session: AsyncSession, access: Access, order_id: uuid.UUID, data: InstalmentIn) -> Instalment:
    """Add an instalment to the plan; the plan's instalments (void ones aside) may not add up to more than the
    order's total."""
    access.require("payments", "create")
    order = await fetch(session, access, order_id, "update", lock=True)
    if order["status"] == "cancelled":
        raise conflict("order_id", "the order is cancelled", "order-cancelled")
    c = Cleaner()
    amount = _check_amount(c, "amount", data.amount)
    _day(c, "due_date", data.due_date)
    note = c.text("note", data.note, 500, multiline=True)
    if c.errors or amount is None:
        raise validation_error(*c.errors)
    plan = await instalments(session, access, order_id)
    active = [i for i in plan if i.status != "void"]
    if len(active) >= MAX_INSTALMENTS:
        raise validation_error(FieldError("due_date", f"a plan has at most {MAX_INSTALMENTS} instalments", "too_many"))
    room = order["open_amount"] - order["plan_open"]
    if amount > room:
        raise validation_error(
            FieldError(
                "amount", f"is more than the order's unplanned amount of {room} {order['currency']}", "exceeds_open"
            )
        )
    instalment_id = new_id()
    options = scoped(access.scope)
    await session.execute(
        insert(Instalment).values(
            id=instalment_id, order_id=order_id, contract_id=order["contract_id"], owner_id=order["owner_id"],
            account_id=order["account_id"], currency=order["currency"], position=len(plan) + 1,
            due_date=data.due_date, amount=amount, note=note, created_by=access.member_id,
        ),
        execution_options=options,
    )  # fmt: skip
    await _plan_open(session, access, order_id, amount)
    await _timeline(session, access, order_id, "instalment", {"amount": [None, amount], "due_date": [None,
                    data.due_date]})  # fmt: skip
    item = await session.get(Instalment, instalment_id, execution_options=options)
    assert item is not None
    return item


async def _instalment(
    session: AsyncSession, access: Access, order_id: uuid.UUID, instalment_id: uuid.UUID, field: str
) -> Instalment:
    item = await session.scalar(
        select(Instalment)
        .where(Instalment.id == instalment_id, Instalment.order_id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True),
        execution_options=scoped(access.scope),
    )
    if item is None:
        raise validation_error(FieldError(field, "is not an instalment of this order", "invalid"))
    return item


async def void_instalment(session: AsyncSession, access: Access, order_id: uuid.UUID, instalment_id: uuid.UUID) -> None:
    access.require("payments", "update")
    await fetch(session, access, order_id, "update", lock=True)
    item = await _instalment(session, access, order_id, instalment_id, "instalment_id")
    if item.collected > 0:
        raise conflict("instalment_id", "payments were recorded on this instalment: void them first", "has-payments")
    await session.execute(
        update(Instalment).where(Instalment.id == instalment_id).values(status="void", updated_at=func.now()),
        execution_options=scoped(access.scope),
    )
    await _plan_open(session, access, order_id, -item.amount)
    await _timeline(session, access, order_id, "instalment_void", {"amount": [item.amount, None]})


async def _plan_open(session: AsyncSession, access: Access, order_id: uuid.UUID, change: Decimal) -> None:
    await session.execute(
        update(Order).where(Order.id == order_id).values(plan_open=Order.plan_open + change),
        execution_options=scoped(access.scope),
    )


def _status_for(amount: Decimal, collected: Decimal) -> str:
    return "paid" if collected >= amount else "partly_paid" if collected > 0 else "pending"


def _paid_in_full_on(instalment_id: uuid.UUID, day: dt.date) -> Any:
    """The day an instalment became paid: the latest of this payment's day and its other live payments' days
    (the credit criterion of grading reads how late that was)."""
    earlier = (
        select(func.max(Payment.paid_on))
        .where(Payment.instalment_id == instalment_id, Payment.voided_at.is_(None))
        .scalar_subquery()
    )
    return func.greatest(day, earlier)


async def record_payment(session: AsyncSession, access: Access, order_id: uuid.UUID, data: PaymentIn) -> Payment:
    """Record money received, against an instalment or the order's unplanned part, never above what is open."""
    access.require("payments", "create")
    order = await fetch(session, access, order_id, "update", lock=True)
    c = Cleaner()
    amount = _check_amount(c, "amount", data.amount)
    paid_on = _day(c, "paid_on", data.paid_on)
    reference = c.text("reference", data.reference, 100)
    note = c.text("note", data.note, 1000, multiline=True)
    if c.errors or amount is None:
        raise validation_error(*c.errors)
    if order["status"] == "cancelled":
        raise conflict("order_id", "the order is cancelled", "order-cancelled")
    options = scoped(access.scope)
    if data.instalment_id is not None:
        item = await _instalment(session, access, order_id, data.instalment_id, "instalment_id")
        if item.status == "void":
            raise validation_error(FieldError("instalment_id", "is a void instalment", "invalid"))
        open_amount = item.amount - item.collected
        where = "the instalment's"
    else:
        open_amount = order["open_amount"] - order["plan_open"]
        where = "the order's unplanned" if order["plan_open"] else "the order's"
    if amount > open_amount:
        raise validation_error(
            FieldError(
                "amount", f"is more than {where} open amount of {open_amount} {order['currency']}", "exceeds_open"
            )
        )
    paid_on = paid_on or await workspace_today(session, access.scope)
    if data.instalment_id is not None:
        status = _status_for(item.amount, item.collected + amount)
        await session.execute(
            update(Instalment)
            .where(Instalment.id == data.instalment_id)
            .values(collected=Instalment.collected + amount, status=status, updated_at=func.now(),
                    paid_on=_paid_in_full_on(data.instalment_id, paid_on) if status == "paid" else None),
            execution_options=options,
        )  # fmt: skip
        await _plan_open(session, access, order_id, -amount)
    await session.execute(
        update(Order).where(Order.id == order_id).values(collected=Order.collected + amount, updated_at=func.now()),
        execution_options=options,
    )
    payment_id = new_id()
    await session.execute(
        insert(Payment).values(
            id=payment_id, number=await next_number(session, access.scope, "payment"), order_id=order_id,
            instalment_id=data.instalment_id, owner_id=order["owner_id"], account_id=order["account_id"],
            currency=order["currency"], paid_on=paid_on,
            amount=amount, method=data.method, reference=reference, note=note, created_by=access.member_id,
        ),
        execution_options=options,
    )  # fmt: skip
    await _timeline(session, access, order_id, "payment", {"amount": [None, amount]})
    await rescore_soon(session, access.scope, order["account_id"])
    found = await session.get(Payment, payment_id, execution_options=options)
    assert found is not None
    return found


async def _locked(
    session: AsyncSession, access: Access, model: type[PaymentOrInvoice], order_id: uuid.UUID, row_id: uuid.UUID
) -> PaymentOrInvoice:
    """A payment or invoice of the order, locked for the rest of the transaction; 404 when it is not the order's."""
    found = await session.scalar(
        select(model).where(model.id == row_id, model.order_id == order_id).with_for_update(),
        execution_options=scoped(access.scope),
    )
    if found is None:
        raise not_found_for(model.__name__)
    return found


async def void_payment(session: AsyncSession, access: Access, order_id: uuid.UUID, payment_id: uuid.UUID) -> Payment:
    """A payment recorded by mistake is voided (kept, marked), its amount open again."""
    access.require("payments", "update")
    await fetch(session, access, order_id, "update", lock=True)
    options = scoped(access.scope)
    payment = await _locked(session, access, Payment, order_id, payment_id)
    if payment.voided_at is not None:
        raise conflict("payment_id", "the payment is already void", "already-void")
    if payment.instalment_id is not None:
        item = await _instalment(session, access, order_id, payment.instalment_id, "instalment_id")
        collected = item.collected - payment.amount
        await session.execute(
            update(Instalment)
            .where(Instalment.id == item.id)
            .values(collected=collected, status=item.status if item.status == "void" else
                    _status_for(item.amount, collected), updated_at=func.now(), paid_on=None),
            execution_options=options,
        )  # fmt: skip
        if item.status != "void":
            await _plan_open(session, access, order_id, payment.amount)
    await session.execute(
        update(Order)
        .where(Order.id == order_id)
        .values(collected=Order.collected - payment.amount, updated_at=func.now()),
        execution_options=options,
    )
    await session.execute(
        update(Payment)
        .where(Payment.id == payment_id)
        .values(voided_at=func.now(), voided_by=access.member_id, updated_at=func.now()),
        execution_options=options,
    )
    await _timeline(session, access, order_id, "payment_void", {"amount": [payment.amount, None]})
    voided = await session.get(Payment, payment_id, execution_options=options, populate_existing=True)
    assert voided is not None
    return voided


async def payments(session: AsyncSession, access: Access, order_id: uuid.UUID) -> list[Payment]:
    return list(
        await session.scalars(
            select(Payment).where(Payment.order_id == order_id).order_by(Payment.paid_on, Payment.id),
            execution_options=scoped(access.scope),
        )
    )


async def instalments_due(
    session: AsyncSession, access: Access, *, filters: dict[str, Any], cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Open instalments one may see ("payments due"), earliest due date first, by keyset pages (due date, id);
    filters ``owner_id``, ``account_id``, ``due_to`` (on or before) — the open-instalment indexes serve them."""
    access.require("payments", "read")
    conditions: list[ColumnElement[bool]] = [
        Instalment.status.in_(("pending", "partly_paid")),
        access.where("payments", "read", Instalment.owner_id),
    ]
    for name in ("owner_id", "account_id"):
        if filters.get(name) is not None:
            conditions.append(getattr(Instalment, name) == filters[name])
    if filters.get("due_to") is not None:
        conditions.append(Instalment.due_date <= filters["due_to"])
    if cursor:
        value, last = customers.decode_cursor(cursor, SORT_PARSE)
        conditions.append(tuple_(Instalment.due_date, Instalment.id) > (value, last))
    today = await workspace_today(session, access.scope)
    found = list(
        await session.execute(
            select(Instalment, Order.number, Account.name)
            .join(Order, Order.id == Instalment.order_id)
            .join(Account, Account.id == Instalment.account_id)
            .where(*conditions)
            .order_by(Instalment.due_date, Instalment.id)
            .limit(limit + 1),
            execution_options=scoped(access.scope),
        )
    )
    rows = [
        {**instalment_row(item, today), "order_number": number, "account_name": name} for item, number, name in found
    ]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = customers.encode_cursor(rows[-1]["due_date"], rows[-1]["id"])
    return rows, next_cursor


# ---- invoices ------------------------------------------------------------------------------------------------

# 统一社会信用代码 (18 characters: digits and capitals without I, O, S, V, Z), or the older 15- and 20-character
# taxpayer numbers. Checked loosely: the length and the alphabet, not the check digit.
TAXPAYER_ID = re.compile(r"^(?:[0-9A-HJ-NPQRTUWXY]{18}|[0-9A-Z]{15}|[0-9A-Z]{20})$")


def clean_billing(c: Cleaner, data: InvoiceIn) -> dict[str, Any]:
    taxpayer = c.text("taxpayer_id", data.taxpayer_id, 20)
    if taxpayer:
        taxpayer = taxpayer.upper().replace(" ", "")
        if not TAXPAYER_ID.match(taxpayer):
            c.fail("taxpayer_id", "must be a unified social credit code of 18 characters (or an older taxpayer "
                   "number of 15 or 20): digits and capital letters", "invalid")  # fmt: skip
    bank_account = c.text("bank_account", data.bank_account, 40)
    if bank_account and not re.fullmatch(r"[0-9 -]{6,40}", bank_account):
        c.fail("bank_account", "must be the account number: digits, spaces and dashes", "invalid")
    values = {
        "title": c.text("title", data.title, 200, required=True),
        "taxpayer_id": taxpayer,
        "address": c.text("address", data.address, 300),
        "phone": c.text("phone", data.phone, 40),
        "bank_name": c.text("bank_name", data.bank_name, 200),
        "bank_account": bank_account,
    }
    if data.kind == "vat_special":
        for name in ("taxpayer_id", "address", "phone", "bank_name", "bank_account"):
            if not values[name]:
                c.fail(name, "is required on a VAT special invoice (增值税专用发票)", "required")
    return values


async def issue_invoice(session: AsyncSession, access: Access, order_id: uuid.UUID, data: InvoiceIn) -> Invoice:
    access.require("invoices", "create")
    order = await fetch(session, access, order_id, "read", lock=True)
    c = Cleaner()
    billing = clean_billing(c, data)
    amount = _check_amount(c, "amount", data.amount)
    issued_on = _day(c, "issued_on", data.issued_on)
    note = c.text("note", data.note, 1000, multiline=True)
    if c.errors or amount is None:
        raise validation_error(*c.errors)
    if order["status"] == "cancelled":
        raise conflict("order_id", "the order is cancelled", "order-cancelled")
    left = order["total"] - order["invoiced"]
    if amount > left:
        raise validation_error(
            FieldError(
                "amount", f"is more than the order's un-invoiced amount of {left} {order['currency']}", "exceeds_open"
            )
        )
    options = scoped(access.scope)
    invoice_id = new_id()
    await session.execute(
        insert(Invoice).values(
            id=invoice_id, number=await next_number(session, access.scope, "invoice"), order_id=order_id,
            owner_id=order["owner_id"], kind=data.kind, amount=amount, currency=order["currency"],
            issued_on=issued_on or await workspace_today(session, access.scope), note=note,
            created_by=access.member_id, **billing,
        ),
        execution_options=options,
    )  # fmt: skip
    await session.execute(
        update(Order).where(Order.id == order_id).values(invoiced=Order.invoiced + amount, updated_at=func.now()),
        execution_options=options,
    )
    await _timeline(session, access, order_id, "invoice", {"amount": [None, amount]})
    found = await session.get(Invoice, invoice_id, execution_options=options)
    assert found is not None
    return found


async def void_invoice(session: AsyncSession, access: Access, order_id: uuid.UUID, invoice_id: uuid.UUID) -> Invoice:
    access.require("invoices", "update")
    await fetch(session, access, order_id, "read", lock=True)
    options = scoped(access.scope)
    invoice = await _locked(session, access, Invoice, order_id, invoice_id)
    if invoice.status == "void":
        raise conflict("invoice_id", "the invoice is already void", "already-void")
    await session.execute(
        update(Invoice).where(Invoice.id == invoice_id).values(status="void", voided_at=func.now(),
                                                               updated_at=func.now()),
        execution_options=options,
    )  # fmt: skip
    await session.execute(
        update(Order)
        .where(Order.id == order_id)
        .values(invoiced=Order.invoiced - invoice.amount, updated_at=func.now()),
        execution_options=options,
    )
    await _timeline(session, access, order_id, "invoice_void", {"amount": [invoice.amount, None]})
    voided = await session.get(Invoice, invoice_id, execution_options=options, populate_existing=True)
    assert voided is not None
    return voided


async def invoices(session: AsyncSession, access: Access, order_id: uuid.UUID) -> list[Invoice]:
    return list(
        await session.scalars(
            select(Invoice).where(Invoice.order_id == order_id).order_by(Invoice.issued_on, Invoice.id),
            execution_options=scoped(access.scope),
        )
    )


# ---- receivables ---------------------------------------------------------------------------------------------

BUCKETS = ("not_due", "days_1_30", "days_31_60", "days_61_90", "over_90")
NO_OWNER = uuid.UUID(int=0)


def _open_amounts(access: Access) -> Any:
    """Every amount still open, with its due date: the open part of each active instalment (due on its date) and
    the unplanned open part of each order (due on the order date). Reads only rows with money open, through the
    partial indexes on open instalments and on orders not fully collected."""
    planned = select(
        Instalment.account_id,
        Instalment.owner_id,
        Instalment.currency,
        (Instalment.amount - Instalment.collected).label("open"),
        Instalment.due_date.label("due"),
    ).where(Instalment.status.in_(("pending", "partly_paid")), access.where("payments", "read", Instalment.owner_id))
    unplanned_open = Order.total - Order.collected - Order.plan_open
    unplanned = select(
        Order.account_id, Order.owner_id, Order.currency, unplanned_open.label("open"), Order.order_date.label("due")
    ).where(
        Order.deleted_at.is_(None),
        Order.status != "cancelled",
        Order.collected < Order.total,
        unplanned_open > 0,
        access.where("payments", "read", Order.owner_id),
    )
    return union_all(planned, unplanned).subquery("open_amounts")


def _ageing(open_amounts: Any, today: dt.date) -> list[Any]:
    late = literal(today) - open_amounts.c.due
    amount = open_amounts.c.open
    return [
        func.coalesce(func.sum(amount).filter(late <= 0), 0).label("not_due"),
        func.coalesce(func.sum(amount).filter(late.between(1, 30)), 0).label("days_1_30"),
        func.coalesce(func.sum(amount).filter(late.between(31, 60)), 0).label("days_31_60"),
        func.coalesce(func.sum(amount).filter(late.between(61, 90)), 0).label("days_61_90"),
        func.coalesce(func.sum(amount).filter(late > 90), 0).label("over_90"),
        func.sum(amount).label("total"),
    ]


def _bucket_row(row: Any) -> dict[str, Any]:
    return {"currency": row.currency, **{name: Decimal(getattr(row, name)) for name in (*BUCKETS, "total")}}


async def receivables(
    session: AsyncSession, access: Access, *, by: str, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
    """Open amounts per customer (``by="customer"``) or per rep (``"rep"``), aged by days past due, one row per
    key with a bucket set per currency (amounts in different currencies are never added), keyset-paged by the
    key; and the totals of everything the reader may see, per currency. Three statements."""
    access.require("payments", "read")
    options = scoped(access.scope)
    today = await workspace_today(session, access.scope)
    open_amounts = _open_amounts(access)
    key = (open_amounts.c.account_id if by == "customer" else func.coalesce(open_amounts.c.owner_id, NO_OWNER)).label(
        "key"
    )
    keys = select(key).select_from(open_amounts).group_by(key).order_by(key).limit(limit + 1)
    if cursor:
        kind, last = customers.decode_cursor(cursor, str)
        if kind != by:
            raise validation_error(FieldError("cursor", "is a cursor of another grouping", "invalid"))
        keys = keys.having(key > last)
    page = list(await session.scalars(keys, execution_options=options))
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        next_cursor = customers.encode_cursor(by, page[-1])
    rows: dict[uuid.UUID, dict[str, Any]] = {}
    if page:
        named = Account.name if by == "customer" else Member.name
        joined = Account.id == key if by == "customer" else Member.id == key
        found = await session.execute(
            select(key, named.label("name"), open_amounts.c.currency, *_ageing(open_amounts, today))
            .select_from(open_amounts)
            .outerjoin(Account if by == "customer" else Member, joined)
            .where(key.in_(page))
            .group_by(key, named, open_amounts.c.currency)
            .order_by(key, open_amounts.c.currency),
            execution_options=options,
        )
        for row in found:
            entry = rows.setdefault(row.key, {"key": None if row.key == NO_OWNER else row.key, "name": row.name,
                                              "ageing": []})  # fmt: skip
            entry["ageing"].append(_bucket_row(row))
    sums = await session.execute(
        select(open_amounts.c.currency, *_ageing(open_amounts, today))
        .group_by(open_amounts.c.currency)
        .order_by(open_amounts.c.currency),
        execution_options=options,
    )
    return [rows[k] for k in page if k in rows], [_bucket_row(r) for r in sums], next_cursor
