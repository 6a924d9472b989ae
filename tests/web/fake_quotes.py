"""The API's quotes and contracts in memory, checking like ``guanxi.domain.quotes.service``: a line's quantity
must be a number above 0 and its product one of the catalogue (422 naming ``lines[2].quantity``), a decided
quote cannot change or be answered again (409 ``quote-decided``), sending needs an address (422 ``to``)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from tests.web.conftest import FakeApi, problem

CENT = Decimal("0.01")


@dataclass
class FakeQuotes:
    api: FakeApi
    quotes: dict[str, dict[str, Any]] = field(default_factory=dict)
    products: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.products.append({"id": str(uuid.uuid4()), "sku": "GW-200", "name": "工业网关 GW-200", "unit": "台",
                              "description": None, "cost": None, "stock": "0", "active": True,
                              "created_at": "2026-11-26T00:00:00Z", "updated_at": "2026-11-26T00:00:00Z"})  # fmt: skip
        original = self.api._signed_in
        self.api._signed_in = lambda request: self.signed_in(request) or original(request)  # type: ignore[method-assign]

    def add(self, **fields: Any) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC).isoformat()
        quote = {"id": str(uuid.uuid4()), "number": f"QT-202611-{len(self.quotes) + 1:04d}",
                 "account_id": str(uuid.uuid4()), "account_name": "深圳华强电子", "contact_id": None, "deal_id": None,
                 "owner_id": None, "currency": "CNY", "price_list_id": None, "template_id": None, "status": "draft",
                 "valid_until": None, "terms": None, "notes": None, "sent_at": None, "sent_to": None,
                 "decided_at": None, "rejection_reason": None, "created_at": now, "updated_at": now, "lines": [],
                 **fields}  # fmt: skip
        self._price(quote, quote["lines"])
        self.quotes[quote["id"]] = quote
        return quote

    @staticmethod
    def _price(quote: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        subtotal = tax = Decimal(0)
        for line in lines:
            net = (Decimal(line["quantity"]) * Decimal(line["unit_price"])).quantize(CENT)
            line_tax = (net * Decimal(line["tax_rate"]) / 100).quantize(CENT)
            line.update(net_amount=str(net), tax_amount=str(line_tax), total=str(net + line_tax))
            subtotal, tax = subtotal + net, tax + line_tax
        quote.update(lines=lines, subtotal=str(subtotal), discount="0", tax=str(tax), total=str(subtotal + tax))

    def signed_in(self, request: httpx.Request) -> httpx.Response | None:
        parts = request.url.path.strip("/").split("/")  # api, v1, quotes|contracts|products|price-lists, <id>, …
        if request.url.path == "/api/v1/admin/members":
            return httpx.Response(200, json=[])
        if parts[2:3] == ["products"]:
            return httpx.Response(200, json={"items": self.products})
        if parts[2:3] == ["price-lists"]:
            return httpx.Response(200, json=[])
        if parts[2:3] == ["contracts"]:
            return httpx.Response(200, json={"items": []})
        if parts[2:3] != ["quotes"]:
            return None
        if len(parts) == 3:
            return httpx.Response(200, json={"items": list(self.quotes.values())})
        quote = self.quotes.get(parts[3])
        if quote is None:
            return problem(404, "not-found")
        action = parts[4] if len(parts) > 4 else None
        body = json.loads(request.content or b"{}")
        if action is None and request.method == "PATCH":
            return self._change(quote, body)
        if action in ("accept", "reject"):
            if quote["status"] in ("accepted", "rejected"):
                return problem(409, "quote-decided", "the quote has already been answered")
            quote["status"] = "accepted" if action == "accept" else "rejected"
        if action == "send":
            if not body.get("to"):
                return problem(
                    422, "validation", errors=[{"field": "to", "message": "is required", "code": "required"}]
                )
            self.sent.append(body)
            return httpx.Response(202, json={"quote_id": quote["id"], "to": body["to"], "queued": True})
        return httpx.Response(200, json=quote)

    def _change(self, quote: dict[str, Any], body: dict[str, Any]) -> httpx.Response:
        if quote["status"] in ("accepted", "rejected"):
            return problem(409, "quote-decided", "the quote was accepted: it can no longer change")
        if "lines" not in body:
            quote.update(body)
            return httpx.Response(200, json=quote)
        errors, lines = [], []
        known = {p["id"]: p for p in self.products}
        for index, line in enumerate(body["lines"]):
            try:
                quantity = Decimal(line.get("quantity", "1"))
            except InvalidOperation:
                quantity = Decimal(-1)
            if quantity <= 0:
                errors.append({"field": f"lines[{index}].quantity", "message": "must be above 0", "code": "invalid"})
            product = known.get(line.get("product_id", ""))
            lines.append({"id": str(uuid.uuid4()), "position": index, "product_id": line.get("product_id"),
                          "name": line.get("name") or (product["name"] if product else ""), "description": None,
                          "unit": "", "quantity": str(quantity), "unit_price": line.get("unit_price", "2600"),
                          "discount_percent": line.get("discount_percent", "0"), "tax_rate": line.get("tax_rate", "0"),
                          "unit_cost": None})  # fmt: skip
        if errors:
            return problem(422, "validation", errors=errors)
        self._price(quote, lines)
        quote["status"] = "draft"
        return httpx.Response(200, json=quote)
