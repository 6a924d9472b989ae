"""Products and price lists. Everyone with the ``products`` module reads them; changing them takes its
create / update / delete scope (administrators by default). A deleted product keeps its id for old quotes and
orders but cannot go on a price list or a new line; a price list has one currency, one price per product, and
optional volume tiers (ascending quantities, each a unit price)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from msgspec import UNSET
from sqlalchemy import ColumnElement, delete, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id
from guanxi.db.tenancy import scoped
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.customers.repository import decode_cursor, encode_cursor
from guanxi.domain.customers.validation import Cleaner
from guanxi.domain.products.lines import check_quantity, tier_price
from guanxi.domain.products.models import PriceList, PriceListItem, Product
from guanxi.domain.products.schemas import PriceListIn, ProductIn
from guanxi.errors import FieldError, conflict, validation_error

MODULE = "products"
MAX_ITEMS = 5_000
MAX_TIERS = 20
PRODUCT_COLUMNS = [c for c in Product.__table__.columns if c.name not in ("deleted_at", "created_by")]


def _clean_product(data: ProductIn, *, creating: bool) -> dict[str, Any]:
    c = Cleaner()
    given = {name: getattr(data, name) for name in data.__struct_fields__ if getattr(data, name) is not UNSET}
    values: dict[str, Any] = {}
    if creating and "name" not in given:
        c.fail("name", "is required", "required")
    if "name" in given:
        values["name"] = c.text("name", given["name"], 200, required=True)
    if "sku" in given:
        values["sku"] = c.text("sku", given["sku"], 60)
    if "unit" in given:
        values["unit"] = c.text("unit", given["unit"], 20) or ""
    if "description" in given:
        values["description"] = c.text("description", given["description"], 20_000, multiline=True)
    if "cost" in given:
        values["cost"] = c.money("cost", given["cost"])
    if "stock" in given:
        values["stock"] = check_quantity(c, "stock", given["stock"])
    if "active" in given:
        values["active"] = given["active"]
    if c.errors:
        raise validation_error(*c.errors)
    return values


async def _write_product(
    session: AsyncSession, access: Access, values: dict[str, Any], product_id: uuid.UUID | None
) -> uuid.UUID:
    options = scoped(access.scope)
    try:
        async with session.begin_nested():
            if product_id is None:
                product_id = new_id()
                await session.execute(
                    insert(Product).values(id=product_id, created_by=access.member_id, **values),
                    execution_options=options,
                )
            elif values:
                await session.execute(
                    update(Product).where(Product.id == product_id).values(updated_at=func.now(), **values),
                    execution_options=options,
                )
    except IntegrityError:
        raise conflict("sku", "another product has this SKU", "duplicate") from None
    return product_id


async def create_product(session: AsyncSession, access: Access, data: ProductIn) -> dict[str, Any]:
    access.require(MODULE, "create")
    product_id = await _write_product(session, access, _clean_product(data, creating=True), None)
    return await get_product(session, access, product_id)


async def change_product(
    session: AsyncSession, access: Access, product_id: uuid.UUID, data: ProductIn
) -> dict[str, Any]:
    access.require(MODULE, "update")
    await get_product(session, access, product_id)
    await _write_product(session, access, _clean_product(data, creating=False), product_id)
    return await get_product(session, access, product_id)


async def delete_product(session: AsyncSession, access: Access, product_id: uuid.UUID) -> None:
    access.require(MODULE, "delete")
    await get_product(session, access, product_id)
    await session.execute(
        update(Product).where(Product.id == product_id).values(deleted_at=func.now(), active=False),
        execution_options=scoped(access.scope),
    )


async def get_product(session: AsyncSession, access: Access, product_id: uuid.UUID) -> dict[str, Any]:
    access.require(MODULE, "read")
    row = (
        await session.execute(
            select(*PRODUCT_COLUMNS).where(Product.id == product_id, Product.deleted_at.is_(None)),
            execution_options=scoped(access.scope),
        )
    ).first()
    if row is None:
        raise not_found_for("Product")
    return dict(row._mapping)


async def list_products(
    session: AsyncSession, access: Access, q: str | None, active: bool | None, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """By name then id (keyset); ``q`` matches the name or the SKU."""
    access.require(MODULE, "read")
    conditions: list[ColumnElement[bool]] = [Product.deleted_at.is_(None)]
    if q and q.strip():
        pattern = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(Product.name.ilike(pattern) | Product.sku.ilike(pattern))
    if active is not None:
        conditions.append(Product.active.is_(active))
    if cursor:
        name, last = decode_cursor(cursor, str)
        conditions.append(tuple_(Product.name, Product.id) > (name, last))
    rows = [
        dict(r._mapping)
        for r in await session.execute(
            select(*PRODUCT_COLUMNS).where(*conditions).order_by(Product.name, Product.id).limit(limit + 1),
            execution_options=scoped(access.scope),
        )
    ]
    next_cursor = encode_cursor(rows[limit - 1]["name"], rows[limit - 1]["id"]) if len(rows) > limit else None
    return rows[:limit], next_cursor


# ---- price lists ---------------------------------------------------------------------------------------------


async def _check_price_list(session: AsyncSession, access: Access, data: PriceListIn) -> list[FieldError]:
    c = Cleaner()
    c.text("name", data.name, 100, required=True)
    c.currency("currency", data.currency)
    if len(data.items) > MAX_ITEMS:
        c.fail("items", f"must list at most {MAX_ITEMS} products", "too_many")
    seen: set[uuid.UUID] = set()
    for index, item in enumerate(data.items):
        if item.product_id in seen:
            c.fail(f"items[{index}].product_id", "is already on this price list", "duplicate")
        seen.add(item.product_id)
        c.money(f"items[{index}].unit_price", item.unit_price)
        if len(item.tiers) > MAX_TIERS:
            c.fail(f"items[{index}].tiers", f"must have at most {MAX_TIERS} tiers", "too_many")
        previous = Decimal(0)
        for number, tier in enumerate(item.tiers):
            where = f"items[{index}].tiers[{number}]"
            quantity = check_quantity(c, f"{where}.min_quantity", tier.min_quantity, positive=True)
            c.money(f"{where}.unit_price", tier.unit_price)
            if quantity is not None and quantity.is_finite() and quantity <= previous:
                c.fail(f"{where}.min_quantity", "must be above the tier before it", "invalid")
            previous = max(previous, quantity if quantity is not None and quantity.is_finite() else previous)
    live = set(
        await session.scalars(
            select(Product.id).where(Product.id.in_(seen), Product.deleted_at.is_(None)),
            execution_options=scoped(access.scope),
        )
    )
    for index, item in enumerate(data.items):
        if item.product_id not in live:
            c.fail(
                f"items[{index}].product_id", "is not a product of the catalogue (deleted, or never there)", "invalid"
            )
    return c.errors


async def save_price_list(
    session: AsyncSession, access: Access, data: PriceListIn, price_list_id: uuid.UUID | None = None
) -> uuid.UUID:
    """Create a price list or replace it (name, currency, its prices) in one transaction."""
    access.require(MODULE, "update" if price_list_id else "create")
    if price_list_id is not None:
        await get_price_list(session, access, price_list_id)
    errors = await _check_price_list(session, access, data)
    if errors:
        raise validation_error(*errors)
    options = scoped(access.scope)
    values = {"name": data.name.strip(), "currency": data.currency.strip().upper(), "is_default": data.is_default,
              "active": data.active}  # fmt: skip
    try:
        async with session.begin_nested():
            if price_list_id is None:
                price_list_id = new_id()
                await session.execute(
                    insert(PriceList).values(id=price_list_id, created_by=access.member_id, **values),
                    execution_options=options,
                )
            else:
                await session.execute(
                    update(PriceList).where(PriceList.id == price_list_id).values(updated_at=func.now(), **values),
                    execution_options=options,
                )
    except IntegrityError:
        raise conflict("name", "another price list has this name", "duplicate") from None
    if data.is_default:
        await session.execute(
            update(PriceList).values(is_default=PriceList.id == price_list_id), execution_options=options
        )
    await session.execute(
        delete(PriceListItem).where(PriceListItem.price_list_id == price_list_id), execution_options=options
    )
    if data.items:
        await session.execute(
            insert(PriceListItem),
            [
                {"id": new_id(), "price_list_id": price_list_id, "product_id": item.product_id,
                 "unit_price": item.unit_price,
                 "tiers": [{"min_quantity": str(t.min_quantity), "unit_price": str(t.unit_price)} for t in item.tiers]}
                for item in data.items
            ],
            execution_options=options,
        )  # fmt: skip
    return price_list_id


async def get_price_list(session: AsyncSession, access: Access, price_list_id: uuid.UUID) -> dict[str, Any]:
    access.require(MODULE, "read")
    options = scoped(access.scope)
    found = await session.get(PriceList, price_list_id, execution_options=options, populate_existing=True)
    if found is None:
        raise not_found_for("Price list")
    items = (
        await session.execute(
            select(PriceListItem.product_id, Product.name, PriceListItem.unit_price, PriceListItem.tiers)
            .join(Product, Product.id == PriceListItem.product_id)
            .where(PriceListItem.price_list_id == price_list_id)
            .order_by(Product.name, Product.id),
            execution_options=options,
        )
    ).all()
    return {
        "id": found.id,
        "name": found.name,
        "currency": found.currency,
        "is_default": found.is_default,
        "active": found.active,
        "items": [
            {"product_id": p, "product_name": name, "unit_price": price, "tiers": tiers}
            for p, name, price, tiers in items
        ],
    }


async def price_lists(session: AsyncSession, access: Access) -> list[dict[str, Any]]:
    access.require(MODULE, "read")
    ids = list(
        await session.scalars(
            select(PriceList.id).order_by(PriceList.is_default.desc(), PriceList.name),
            execution_options=scoped(access.scope),
        )
    )
    return [await get_price_list(session, access, i) for i in ids]


async def price(
    session: AsyncSession, access: Access, price_list_id: uuid.UUID, product_id: uuid.UUID, quantity: Decimal
) -> dict[str, Any]:
    """What ``quantity`` of a product costs on a price list: the highest tier reached, else the unit price."""
    access.require(MODULE, "read")
    c = Cleaner()
    check_quantity(c, "quantity", quantity, positive=True)
    if c.errors:
        raise validation_error(*c.errors)
    options = scoped(access.scope)
    row = (
        await session.execute(
            select(PriceList.currency, PriceListItem.unit_price, PriceListItem.tiers, Product.deleted_at)
            .join(PriceListItem, PriceListItem.price_list_id == PriceList.id)
            .join(Product, Product.id == PriceListItem.product_id)
            .where(PriceList.id == price_list_id, PriceListItem.product_id == product_id),
            execution_options=options,
        )
    ).first()
    if row is None:
        if await session.get(PriceList, price_list_id, execution_options=options) is None:
            raise not_found_for("Price list")
        raise validation_error(FieldError("product_id", "has no price on this price list", "invalid"))
    if row.deleted_at is not None:
        raise validation_error(FieldError("product_id", "is a deleted product", "invalid"))
    unit_price, reached = tier_price(row.unit_price, row.tiers, quantity)
    return {
        "product_id": product_id,
        "price_list_id": price_list_id,
        "currency": row.currency,
        "quantity": quantity,
        "unit_price": unit_price,
        "total": (unit_price * quantity).quantize(Decimal("0.01")),
        "tier_min_quantity": reached,
    }
