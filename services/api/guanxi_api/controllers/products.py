"""Products and price lists. Thin: parse, authorize the token, call the service."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from guanxi.domain.access.service import Access
from guanxi.domain.identity.service import AuthContext
from guanxi.domain.products import service
from guanxi.domain.products.lines import sees_costs
from guanxi.domain.products.schemas import (
    PriceListIn,
    PriceListOut,
    ProductIn,
    ProductOut,
    ProductPage,
    QuoteOut,
)
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import audit_action, provide_access, provide_auth
from guanxi_api.openapi import problems

Limit = Annotated[int, Parameter(ge=1, le=200)]
Deps = {"auth": Provide(provide_auth), "access": Provide(provide_access)}


def product_out(row: dict[str, Any], access: Access) -> ProductOut:
    """The cost is for those who may change the catalogue (administrators by default), as margins are."""
    return msgspec.convert({**row, "cost": row["cost"] if sees_costs(access) else None}, ProductOut)


def price_list_out(row: dict[str, Any]) -> PriceListOut:
    return msgspec.convert(row, PriceListOut, from_attributes=False)


class ProductController(Controller):
    path = "/api/v1/products"
    tags = ["sales"]
    dependencies = Deps

    @get("", summary="The product catalogue, by name (keyset pages)", responses=problems(401, 403, 422))
    async def list_products(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        q: FromQuery[Annotated[str | None, Parameter(max_length=200)]] = None,
        active: FromQuery[bool | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> ProductPage:
        auth.require_token_scope("products", "read")
        rows, next_cursor = await service.list_products(db, access, q, active, cursor, limit)
        return ProductPage(items=[product_out(r, access) for r in rows], next_cursor=next_cursor)

    @post("", status_code=201, summary="Add a product", responses=problems(400, 401, 403, 409, 422))
    async def create_product(
        self,
        data: JSONBody[ProductIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ProductOut:
        auth.require_token_scope("products", "write")
        row = await service.create_product(db, access, data)
        await db.commit()
        return product_out(row, access)

    @get("/{product_id:uuid}", summary="One product", responses=problems(401, 403, 404))
    async def get_product(
        self,
        product_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ProductOut:
        auth.require_token_scope("products", "read")
        return product_out(await service.get_product(db, access, product_id), access)

    @patch("/{product_id:uuid}", summary="Change a product", responses=problems(400, 401, 403, 404, 409, 422))
    async def change_product(
        self,
        product_id: FromPath[uuid.UUID],
        data: JSONBody[ProductIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ProductOut:
        auth.require_token_scope("products", "write")
        row = await service.change_product(db, access, product_id, data)
        await db.commit()
        return product_out(row, access)

    @delete(
        "/{product_id:uuid}",
        status_code=204,
        summary="Delete a product (kept for old quotes and orders; off every new line)",
        responses=problems(401, 403, 404),
    )
    async def delete_product(
        self,
        request: Request[Any, Any, Any],
        product_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> None:
        auth.require_token_scope("products", "write")
        await service.delete_product(db, access, product_id)
        await audit_action(db, auth, request, "product.deleted", target_type="product", target_id=product_id)
        await db.commit()


class PriceListController(Controller):
    path = "/api/v1/price-lists"
    tags = ["sales"]
    dependencies = Deps

    @get("", summary="The price lists with their prices", responses=problems(401, 403))
    async def list_price_lists(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> list[PriceListOut]:
        auth.require_token_scope("products", "read")
        return [price_list_out(r) for r in await service.price_lists(db, access)]

    @post("", status_code=201, summary="Add a price list", responses=problems(400, 401, 403, 409, 422))
    async def create_price_list(
        self,
        data: JSONBody[PriceListIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> PriceListOut:
        auth.require_token_scope("products", "write")
        price_list_id = await service.save_price_list(db, access, data)
        row = await service.get_price_list(db, access, price_list_id)
        await db.commit()
        return price_list_out(row)

    @get("/{price_list_id:uuid}", summary="One price list", responses=problems(401, 403, 404))
    async def get_price_list(
        self,
        price_list_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> PriceListOut:
        auth.require_token_scope("products", "read")
        return price_list_out(await service.get_price_list(db, access, price_list_id))

    @put(
        "/{price_list_id:uuid}",
        summary="Replace a price list: name, currency and every price",
        responses=problems(400, 401, 403, 404, 409, 422),
    )
    async def put_price_list(
        self,
        price_list_id: FromPath[uuid.UUID],
        data: JSONBody[PriceListIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> PriceListOut:
        auth.require_token_scope("products", "write")
        await service.save_price_list(db, access, data, price_list_id)
        row = await service.get_price_list(db, access, price_list_id)
        await db.commit()
        return price_list_out(row)

    @get(
        "/{price_list_id:uuid}/price",
        summary="What a quantity of a product costs on this price list (volume tiers applied)",
        responses=problems(401, 403, 404, 422),
    )
    async def price(
        self,
        price_list_id: FromPath[uuid.UUID],
        product_id: FromQuery[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        quantity: FromQuery[Decimal] = Decimal(1),
    ) -> QuoteOut:
        auth.require_token_scope("products", "read")
        return msgspec.convert(
            await service.price(db, access, price_list_id, product_id, quantity), QuoteOut, from_attributes=False
        )
