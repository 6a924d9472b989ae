"""The product catalogue: what a company sells, what it costs (for the margin) and how many are in stock; and
its price lists, one currency each, with a unit price per product and lower prices from a quantity on."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import IdMixin, TenantBase, TenantRecordMixin


class Product(TenantRecordMixin, TenantBase):
    __tablename__ = "products"

    sku: Mapped[str | None] = mapped_column(String(60), default=None)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20), default="")
    description: Mapped[str | None] = mapped_column(Text, default=None)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(16, 2), default=None)
    stock: Mapped[Decimal] = mapped_column(Numeric(14, 3), default=Decimal(0))
    active: Mapped[bool] = mapped_column(default=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class PriceList(TenantRecordMixin, TenantBase):
    __tablename__ = "price_lists"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    is_default: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)


class PriceListItem(IdMixin, TenantBase):
    __tablename__ = "price_list_items"

    price_list_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("price_lists.id", ondelete="CASCADE"))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
