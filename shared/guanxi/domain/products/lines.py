"""Line items of deals, quotes and orders: one way to check them, price them from a price list, keep the unit cost
for the margin, and add them up.

A line names a product of the catalogue (or, without one, just a name), a quantity, a unit price (taken from the
price list, volume tiers included, when left out), a discount and a tax rate in percent. The product's cost at the
time is kept on the line, so the gross margin of an order stays what it was when the cost changes later. Amounts are
rounded half-up to the cent per line; a document's totals are the sums of its lines, never recomputed from sums.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec
from sqlalchemy import ForeignKey, Numeric, SmallInteger, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from guanxi.db.tenancy import scoped
from guanxi.domain.access.service import Access
from guanxi.domain.customers.validation import Cleaner
from guanxi.domain.products.models import PriceList, PriceListItem, Product
from guanxi.errors import FieldError

CENT = Decimal("0.01")
AMOUNT_LIMIT = Decimal("1e12")
QUANTITY_LIMIT = Decimal("1e9")
MAX_LINES = 500


class LineIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A line as a client sends it. ``unit_price`` left out: the price list's price for the quantity."""

    product_id: uuid.UUID | None = None
    name: str | None = None
    description: str | None = None
    quantity: Decimal = Decimal(1)
    unit_price: Decimal | None = None
    discount_percent: Decimal = Decimal(0)
    tax_rate: Decimal = Decimal(0)


class LineOut(msgspec.Struct):
    id: uuid.UUID
    position: int
    product_id: uuid.UUID | None
    name: str
    description: str | None
    unit: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    unit_cost: Decimal | None
    net_amount: Decimal
    tax_amount: Decimal
    total: Decimal


class TotalsOut(msgspec.Struct):
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    cost: Decimal | None
    margin: Decimal | None
    margin_percent: Decimal | None


class LineColumns:
    """The columns every line table has; the table adds its parent's key and ``id``."""

    position: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    unit: Mapped[str] = mapped_column(String(20), default="")
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(16, 2), default=None)
    net_amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    tax_amount: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=Decimal(0))

    @declared_attr
    def product_id(cls) -> Mapped[uuid.UUID | None]:
        return mapped_column(ForeignKey("products.id"), default=None)


def sees_costs(access: Access) -> bool:
    """Product costs and margins are shown to those who may change the catalogue (administrators by default)."""
    return access.scope_of("products", "update") != "none"


def tier_price(
    unit_price: Decimal, tiers: Iterable[Mapping[str, Any]], quantity: Decimal
) -> tuple[Decimal, Decimal | None]:
    """The unit price for ``quantity``: the highest tier reached, else the list price; and that tier's quantity."""
    price, reached = Decimal(unit_price), None
    for tier in tiers:
        if quantity >= Decimal(tier["min_quantity"]):
            price, reached = Decimal(tier["unit_price"]), Decimal(tier["min_quantity"])
    return price, reached


def check_quantity(c: Cleaner, field: str, value: Decimal | None, *, positive: bool = False) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite() or value < 0 or (positive and value == 0) or value >= QUANTITY_LIMIT:
        c.fail(field, "must be a quantity from 0 to 999,999,999" + (" above 0" if positive else ""), "out_of_range")
    elif value != value.quantize(Decimal("0.001")):
        c.fail(field, "must have at most three decimal places", "invalid")
    return value


def _percent(c: Cleaner, field: str, value: Decimal) -> None:
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        c.fail(field, "must be a percentage from 0 to 100", "out_of_range")
    elif value != value.quantize(CENT):
        c.fail(field, "must have at most two decimal places", "invalid")


@dataclass(frozen=True)
class PriceBook:
    """A price list as lines need it: its currency and each product's list price and tiers."""

    id: uuid.UUID
    currency: str
    prices: dict[uuid.UUID, tuple[Decimal, list[dict[str, Any]]]]


async def load_price_book(
    session: AsyncSession, access: Access, price_list_id: uuid.UUID, product_ids: Iterable[uuid.UUID]
) -> PriceBook | None:
    options = scoped(access.scope)
    currency = await session.scalar(
        select(PriceList.currency).where(PriceList.id == price_list_id), execution_options=options
    )
    if currency is None:
        return None
    rows = await session.execute(
        select(PriceListItem.product_id, PriceListItem.unit_price, PriceListItem.tiers).where(
            PriceListItem.price_list_id == price_list_id, PriceListItem.product_id.in_(set(product_ids))
        ),
        execution_options=options,
    )
    return PriceBook(price_list_id, currency, {r.product_id: (Decimal(r.unit_price), list(r.tiers)) for r in rows})


async def price_lines(
    session: AsyncSession,
    access: Access,
    lines: Sequence[LineIn],
    *,
    currency: str,
    price_list_id: uuid.UUID | None = None,
    keep_products: Iterable[uuid.UUID] = (),
    field: str = "lines",
) -> tuple[list[dict[str, Any]], list[FieldError]]:
    """Check and price ``lines`` for a document in ``currency``: the rows to insert (without parent key and id), or
    the errors, each naming its line (``lines[2].product_id``). ``keep_products`` are products already on the
    document: a line may keep one of them after it was deleted or retired, but no new line may name it."""
    c = Cleaner()
    if len(lines) > MAX_LINES:
        c.fail(field, f"must have at most {MAX_LINES} lines", "too_many")
        return [], c.errors
    wanted = {line.product_id for line in lines if line.product_id is not None}
    options = scoped(access.scope)
    products = {
        p.id: p
        for p in await session.execute(
            select(Product.id, Product.name, Product.unit, Product.cost, Product.active, Product.deleted_at).where(
                Product.id.in_(wanted)
            ),
            execution_options=options,
        )
    }
    book = None
    if price_list_id is not None:
        book = await load_price_book(session, access, price_list_id, wanted)
        if book is None:
            c.fail("price_list_id", "is not a price list of this workspace", "invalid")
        elif book.currency != currency:
            c.fail("price_list_id", f"is in {book.currency}, not in {currency}", "currency_mismatch")
            book = None
    kept = set(keep_products)
    rows: list[dict[str, Any]] = []
    for index, line in enumerate(lines):
        where = f"{field}[{index}]"
        product = products.get(line.product_id) if line.product_id is not None else None
        if line.product_id is not None:
            if product is None:
                c.fail(f"{where}.product_id", "is not a product of the catalogue", "invalid")
            elif (product.deleted_at is not None or not product.active) and line.product_id not in kept:
                state = "deleted" if product.deleted_at is not None else "inactive"
                c.fail(f"{where}.product_id", f"is a {state} product and cannot go on a new line", "invalid")
        name = c.text(f"{where}.name", line.name, 200) if line.name is not None else None
        if name is None and product is not None:
            name = product.name
        if not name and line.product_id is None:
            c.fail(f"{where}.name", "is required for a line without a product", "required")
        description = c.text(f"{where}.description", line.description, 2_000, multiline=True)
        quantity = check_quantity(c, f"{where}.quantity", line.quantity, positive=True)
        _percent(c, f"{where}.discount_percent", line.discount_percent)
        _percent(c, f"{where}.tax_rate", line.tax_rate)
        unit_price = c.money(f"{where}.unit_price", line.unit_price)
        if unit_price is None and line.unit_price is None:
            if book is not None and line.product_id in book.prices and quantity is not None:
                list_price, tiers = book.prices[line.product_id]
                unit_price = tier_price(list_price, tiers, quantity)[0]
            elif product is not None or line.product_id is None:
                c.fail(
                    f"{where}.unit_price",
                    "is required: the product has no price on the chosen price list"
                    if book is not None
                    else "is required when no price list is chosen",
                    "required",
                )
        if c.errors or unit_price is None or quantity is None:
            continue
        net = (quantity * unit_price * (100 - line.discount_percent) / 100).quantize(CENT, ROUND_HALF_UP)
        tax = (net * line.tax_rate / 100).quantize(CENT, ROUND_HALF_UP)
        if net + tax >= AMOUNT_LIMIT:
            c.fail(f"{where}.quantity", "makes the line total 1,000,000,000,000 or more", "out_of_range")
            continue
        rows.append(
            {
                "position": index,
                "product_id": line.product_id,
                "name": name,
                "description": description,
                "unit": product.unit if product is not None else "",
                "quantity": quantity,
                "unit_price": unit_price,
                "discount_percent": line.discount_percent,
                "tax_rate": line.tax_rate,
                "unit_cost": product.cost if product is not None else None,
                "net_amount": net,
                "tax_amount": tax,
            }
        )
    if not c.errors and sum((r["net_amount"] + r["tax_amount"] for r in rows), Decimal(0)) >= AMOUNT_LIMIT:
        c.fail(field, "add up to 1,000,000,000,000 or more", "out_of_range")
    return ([] if c.errors else rows), c.errors


def totals(lines: Iterable[Mapping[str, Any]]) -> TotalsOut:
    """Sums of priced lines (rows from ``price_lines`` or read back from a line table). Cost and margin are known
    only when every line with a product has its cost; lines without a product count as having no cost."""
    subtotal = discount = tax = cost = Decimal(0)
    cost_known = True
    for line in lines:
        quantity, unit_price = Decimal(line["quantity"]), Decimal(line["unit_price"])
        net = Decimal(line["net_amount"])
        subtotal += net
        discount += (quantity * unit_price).quantize(CENT, ROUND_HALF_UP) - net
        tax += Decimal(line["tax_amount"])
        if line.get("unit_cost") is not None:
            cost += (quantity * Decimal(line["unit_cost"])).quantize(CENT, ROUND_HALF_UP)
        elif line.get("product_id") is not None:
            cost_known = False
    margin = subtotal - cost if cost_known else None
    percent = (margin * 100 / subtotal).quantize(CENT, ROUND_HALF_UP) if margin is not None and subtotal else None
    return TotalsOut(
        subtotal=subtotal,
        discount=discount,
        tax=tax,
        total=subtotal + tax,
        cost=cost if cost_known else None,
        margin=margin,
        margin_percent=percent,
    )
