"""What the product and price-list APIs read and write."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import msgspec
from msgspec import UNSET, UnsetType


class ProductIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One shape for create and change: a field left out is not touched, ``null`` clears it."""

    name: str | UnsetType = UNSET
    sku: str | UnsetType | None = UNSET
    unit: str | UnsetType | None = UNSET
    description: str | UnsetType | None = UNSET
    cost: Decimal | UnsetType | None = UNSET
    stock: Decimal | UnsetType = UNSET
    active: bool | UnsetType = UNSET


class ProductOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    sku: str | None
    unit: str
    description: str | None
    cost: Decimal | None
    stock: Decimal
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class ProductPage(msgspec.Struct, omit_defaults=True):
    items: list[ProductOut]
    next_cursor: str | None = None


class Tier(msgspec.Struct, forbid_unknown_fields=True):
    """From ``min_quantity`` units on, each costs ``unit_price``."""

    min_quantity: Decimal
    unit_price: Decimal


class PriceIn(msgspec.Struct, forbid_unknown_fields=True):
    product_id: uuid.UUID
    unit_price: Decimal
    tiers: list[Tier] = []


class PriceListIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    currency: str
    is_default: bool = False
    active: bool = True
    items: list[PriceIn] = []


class PriceOut(msgspec.Struct):
    product_id: uuid.UUID
    product_name: str
    unit_price: Decimal
    tiers: list[Tier]


class PriceListOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    currency: str
    is_default: bool
    active: bool
    items: list[PriceOut]


class QuoteOut(msgspec.Struct):
    """What a quantity of a product costs on a price list: the tier that applies, and the line's total."""

    product_id: uuid.UUID
    price_list_id: uuid.UUID
    currency: str
    quantity: Decimal
    unit_price: Decimal
    total: Decimal
    tier_min_quantity: Decimal | None
