"""The API's products and price lists in memory, validating like ``guanxi.domain.products.service``.

Changing them takes ``may_change`` (administrators); others get 403 ``forbidden`` and see costs as null. A product
needs a name (200 characters at most); its SKU is unique (409 ``duplicate``); cost and stock are not negative.
A price list needs a name and a three-letter currency; each row a live product (once), a unit price not below 0,
and tiers with rising quantities above 0. Errors name their field like the API: ``items[2].tiers[0].min_quantity``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from tests.web.conftest import FakeApi, problem

Errors = list[dict[str, str]]


def fail(errors: Errors, name: str, message: str, code: str = "invalid") -> None:
    errors.append({"field": name, "message": message, "code": code})


def number(value: Any) -> Decimal | None:
    try:
        found = Decimal(str(value))
    except InvalidOperation:
        return None
    return found if found.is_finite() else None


@dataclass
class FakeProducts:
    api: FakeApi
    products: list[dict[str, Any]] = field(default_factory=list)
    price_lists: list[dict[str, Any]] = field(default_factory=list)
    may_change: bool = True

    def __post_init__(self) -> None:
        for name, sku, unit, cost, stock in (
            ("工业网关 G200", "GW-200", "台", "1800.00", "25"),
            ("传感器套件", "SK-10", "套", "320.50", "140"),
            ("安装调试服务", None, "小时", None, "0"),
        ):
            self.add_product(name, sku, unit, cost, stock)
        original = self.api._signed_in
        self.api._signed_in = lambda request: self.signed_in(request) or original(request)  # type: ignore[method-assign]

    def add_product(
        self, name: str, sku: str | None, unit: str = "", cost: str | None = None, stock: str = "0", active: bool = True
    ) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC).isoformat()
        product = {"id": str(uuid.uuid4()), "name": name, "sku": sku, "unit": unit, "description": None,
                   "cost": cost, "stock": stock, "active": active, "created_at": now, "updated_at": now}  # fmt: skip
        self.products.append(product)
        return product

    def add_price_list(self, name: str, currency: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        found = {"id": str(uuid.uuid4()), "name": name, "currency": currency, "is_default": not self.price_lists,
                 "active": True, "items": items}  # fmt: skip
        self.price_lists.append(found)
        return found

    def signed_in(self, request: httpx.Request) -> httpx.Response | None:
        parts = request.url.path.strip("/").split("/")  # api, v1, products|price-lists, <id>, price
        if parts[2:3] == ["products"] and len(parts) <= 4:
            return self._products(request, parts[3] if len(parts) == 4 else None)
        if parts[2:3] == ["price-lists"] and len(parts) <= 5:
            return self._price_lists(request, parts[3] if len(parts) >= 4 else None, parts[4:5])
        return None

    def _shown(self, product: dict[str, Any]) -> dict[str, Any]:
        return {**product, "cost": product["cost"] if self.may_change else None}

    # ---- products

    def _products(self, request: httpx.Request, product_id: str | None) -> httpx.Response:
        if request.method == "GET" and product_id is None:
            q = (request.url.params.get("q") or "").lower()
            active = request.url.params.get("active")
            rows = sorted(
                (
                    p
                    for p in self.products
                    if (q in p["name"].lower() or q in (p["sku"] or "").lower())
                    and (active is None or p["active"] == (active == "true"))
                ),
                key=lambda p: (p["name"], p["id"]),
            )
            cursor = request.url.params.get("cursor")
            if cursor:
                rows = [p for p in rows if (p["name"], p["id"]) > tuple(json.loads(cursor))]
            limit = int(request.url.params.get("limit", "50"))
            page: dict[str, Any] = {"items": [self._shown(p) for p in rows[:limit]]}
            if len(rows) > limit:
                page["next_cursor"] = json.dumps([rows[limit - 1]["name"], rows[limit - 1]["id"]])
            return httpx.Response(200, json=page)
        found = None
        if product_id is not None:
            found = next((p for p in self.products if p["id"] == product_id), None)
            if found is None:
                return problem(404, "not-found", "Product not found.")
            if request.method == "GET":
                return httpx.Response(200, json=self._shown(found))
        if not self.may_change:
            return problem(403, "forbidden", "Your role may not change the product catalogue.")
        if request.method == "DELETE" and found is not None:
            self.products.remove(found)
            return httpx.Response(204)
        if (request.method, found is None) not in (("POST", True), ("PATCH", False)):
            return problem(405, "method-not-allowed")
        body = json.loads(request.content)
        errors: Errors = []
        if found is None or "name" in body:
            name = str(body.get("name") or "").strip()
            if not name:
                fail(errors, "name", "must not be blank", "required")
            elif len(name) > 200:
                fail(errors, "name", "must be at most 200 characters", "too_long")
        for money in ("cost", "stock"):
            if body.get(money) is not None and (number(body[money]) is None or number(body[money]) < 0):  # type: ignore[operator]
                fail(errors, money, "must not be negative", "out_of_range")
        if errors:
            return problem(422, "validation-error", "The request is invalid.", errors)
        sku = body.get("sku")
        if sku and any(p["sku"] == sku and p is not found for p in self.products):
            message = "another product has this SKU"
            return problem(409, "duplicate", message, [{"field": "sku", "message": message, "code": "duplicate"}])
        if found is None:
            found = self.add_product(body["name"].strip(), None)
        found.update({k: v for k, v in body.items() if k in found})
        found["name"] = found["name"].strip()
        return httpx.Response(201 if request.method == "POST" else 200, json=self._shown(found))

    # ---- price lists

    def _price_lists(self, request: httpx.Request, price_list_id: str | None, rest: list[str]) -> httpx.Response:
        if request.method == "GET" and price_list_id is None:
            return httpx.Response(200, json=self.price_lists)
        found = None
        if price_list_id is not None:
            found = next((p for p in self.price_lists if p["id"] == price_list_id), None)
            if found is None:
                return problem(404, "not-found", "Price list not found.")
            if rest == ["price"]:
                return self._price(request, found)
            if request.method == "GET":
                return httpx.Response(200, json=found)
        if (request.method, found is None) not in (("POST", True), ("PUT", False)):
            return problem(405, "method-not-allowed")
        if not self.may_change:
            return problem(403, "forbidden", "Your role may not change the product catalogue.")
        body = json.loads(request.content)
        errors = self._check(body)
        if errors:
            return problem(422, "validation-error", "The request is invalid.", errors)
        names = {p["id"]: p["name"] for p in self.products}
        items = [{"product_id": i["product_id"], "product_name": names[i["product_id"]], "unit_price": i["unit_price"],
                  "tiers": i.get("tiers", [])} for i in body.get("items", [])]  # fmt: skip
        if found is None:
            found = self.add_price_list(body["name"].strip(), body["currency"], items)
        found.update(name=body["name"].strip(), currency=body["currency"].upper(), items=items,
                     is_default=bool(body.get("is_default")), active=bool(body.get("active", True)))  # fmt: skip
        return httpx.Response(201 if request.method == "POST" else 200, json=found)

    def _check(self, body: dict[str, Any]) -> Errors:
        errors: Errors = []
        if not str(body.get("name") or "").strip():
            fail(errors, "name", "must not be blank", "required")
        currency = str(body.get("currency") or "")
        if len(currency) != 3 or not currency.isalpha():
            fail(errors, "currency", "must be a three-letter currency code", "invalid_currency")
        live = {p["id"] for p in self.products}
        seen: set[str] = set()
        for index, item in enumerate(body.get("items", [])):
            if item["product_id"] in seen:
                fail(errors, f"items[{index}].product_id", "is already on this price list", "duplicate")
            elif item["product_id"] not in live:
                fail(errors, f"items[{index}].product_id", "is not a product of the catalogue", "invalid")
            seen.add(item["product_id"])
            price = number(item["unit_price"])
            if price is None or price < 0:
                fail(errors, f"items[{index}].unit_price", "must not be negative", "out_of_range")
            previous = Decimal(0)
            for n, tier in enumerate(item.get("tiers", [])):
                quantity = number(tier["min_quantity"]) or Decimal(0)
                if quantity <= previous:
                    fail(errors, f"items[{index}].tiers[{n}].min_quantity", "must be above the tier before it")
                previous = max(previous, quantity)
                tier_price = number(tier["unit_price"])
                if tier_price is None or tier_price < 0:
                    fail(errors, f"items[{index}].tiers[{n}].unit_price", "must not be negative", "out_of_range")
        return errors

    @staticmethod
    def _price(request: httpx.Request, price_list: dict[str, Any]) -> httpx.Response:
        product_id = request.url.params.get("product_id")
        quantity = number(request.url.params.get("quantity", "1")) or Decimal(1)
        item = next((i for i in price_list["items"] if i["product_id"] == product_id), None)
        if item is None:
            return problem(422, "validation-error", errors=[
                {"field": "product_id", "message": "has no price on this price list", "code": "invalid"}])  # fmt: skip
        unit_price, reached = Decimal(item["unit_price"]), None
        for tier in item["tiers"]:
            if quantity >= Decimal(tier["min_quantity"]):
                unit_price, reached = Decimal(tier["unit_price"]), tier["min_quantity"]
        return httpx.Response(200, json={
            "product_id": product_id, "price_list_id": price_list["id"], "currency": price_list["currency"],
            "quantity": str(quantity), "unit_price": str(unit_price),
            "total": str((unit_price * quantity).quantize(Decimal("0.01"))), "tier_min_quantity": reached})  # fmt: skip
