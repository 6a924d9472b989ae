"""The API's orders, payments and receivables in memory, with the rule the order page relies on: a payment above
what is open is a 422 naming ``amount``; an order of another workspace is a 404."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from tests.web.conftest import FakeApi, problem


def new_order(number: str, account: str, total: str, status: str = "confirmed") -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()), "number": number, "account_id": str(uuid.uuid4()), "account_name": account,
        "contact_id": None, "deal_id": None, "contract_id": None, "owner_id": None, "currency": "CNY",
        "price_list_id": None, "order_date": "2026-11-20", "status": status, "carrier": None, "tracking_number": None,
        "shipped_on": None, "delivered_on": None, "cancelled_at": None, "note": None, "subtotal": total,
        "discount": "0", "tax": "0", "total": total, "cost": "6000.00", "margin": str(Decimal(total) - 6000),
        "collected": "0.00",
        "invoiced": "0.00", "open_amount": total, "created_at": "2026-11-20T08:00:00Z",
        "updated_at": "2026-11-20T08:00:00Z",
    }  # fmt: skip


@dataclass
class FakeOrders:
    api: FakeApi
    orders: list[dict[str, Any]] = field(default_factory=list)
    payments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.orders += [new_order("SO-20261120-0001", "深圳华强电子", "10600.00"),
                        new_order("SO-20261120-0002", "Acme Ltd", "8000.00", "shipped")]  # fmt: skip
        original = self.api._signed_in
        self.api._signed_in = lambda request: self.signed_in(request) or original(request)  # type: ignore[method-assign]

    def signed_in(self, request: httpx.Request) -> httpx.Response | None:
        if (request.method, request.url.path) == ("GET", "/api/v1/admin/members"):
            return httpx.Response(200, json=[])  # owners' names: none needed here
        parts = request.url.path.strip("/").split("/")  # api, v1, orders, <id>, <action>
        if parts[2:3] == ["receivables"]:
            bucket = {"currency": "CNY", "not_due": "600.00", "days_1_30": "1000.00", "days_31_60": "0.00",
                      "days_61_90": "0.00", "over_90": "4000.00", "total": "5600.00"}  # fmt: skip
            key = None if request.url.params.get("by") == "rep" else self.orders[0]["account_id"]
            items = [{"key": key, "name": "深圳华强电子" if key else "张伟", "ageing": [bucket]}]
            return httpx.Response(200, json={"items": items, "totals": [bucket]})
        if parts[2:3] != ["orders"]:
            return None
        if len(parts) == 3:
            status = request.url.params.get("status")
            return httpx.Response(200, json={"items": [o for o in self.orders if not status or o["status"] == status]})
        found = next((o for o in self.orders if o["id"] == parts[3]), None)
        if found is None:
            return problem(404, "not-found", "Order not found.")
        if len(parts) == 4:
            detail = {"order": found, "lines": [], "instalments": [], "payments": self.payments.get(found["id"], []),
                      "invoices": [], "totals": {"subtotal": found["subtotal"], "discount": "0", "tax": "0",
                      "total": found["total"], "cost": found["cost"], "margin": found["margin"],
                      "margin_percent": "43.40"}}  # fmt: skip
            return httpx.Response(200, json=detail)
        body = json.loads(request.content)
        if parts[4] == "payments" and len(parts) == 5:
            amount = Decimal(body["amount"])
            if amount > Decimal(found["open_amount"]):
                message = f"is more than the order's open amount of {found['open_amount']} CNY"
                return problem(422, "validation-error", errors=[{"field": "amount", "message": message,
                                                                  "code": "exceeds_open"}])  # fmt: skip
            found["collected"] = str(Decimal(found["collected"]) + amount)
            found["open_amount"] = str(Decimal(found["open_amount"]) - amount)
            self.payments.setdefault(found["id"], []).append(
                {"id": str(uuid.uuid4()), "number": "HK-202611-0001", "order_id": found["id"], "instalment_id": None,
                 "paid_on": body.get("paid_on", "2026-11-26"), "amount": str(amount), "currency": "CNY",
                 "method": body["method"], "reference": body.get("reference"), "note": None, "voided_at": None,
                 "created_at": "2026-11-26T08:00:00Z"}
            )  # fmt: skip
            return httpx.Response(201, json={})
        if parts[4:] == ["payments", parts[5] if len(parts) > 5 else "", "void"]:
            for payment in self.payments.get(found["id"], []):
                if payment["id"] == parts[5]:
                    payment["voided_at"] = "2026-11-26T09:00:00Z"
                    return httpx.Response(200, json=payment)
            return problem(404, "not-found", "Payment not found.")
        if parts[4] == "invoices":
            if not body.get("title"):
                return problem(422, "validation-error", errors=[{"field": "title", "message": "is required",
                                                                  "code": "required"}])  # fmt: skip
            return httpx.Response(201, json={})
        if parts[4] == "status":
            found["status"] = body["status"]
            found["carrier"] = body.get("carrier")
            return httpx.Response(200, json=found)
        return problem(405, "method-not-allowed")
