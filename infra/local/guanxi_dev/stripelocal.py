"""A local Stripe-compatible server for development and tests: the part of Stripe's API the product calls
(customers, Checkout sessions, subscriptions, Billing Portal sessions), a stand-in Checkout page, and the events
Stripe would send, signed with the webhook secret exactly as Stripe signs them.

``python -m guanxi_dev.stripelocal --port 12111 --webhook-url http://127.0.0.1:8001/api/v1/billing/webhooks/stripe``

Point the product at it with ``GUANXI_STRIPE_API_BASE=http://127.0.0.1:12111`` and any ``GUANXI_STRIPE_SECRET_KEY``.
Without ``--webhook-url`` the events are only kept: ``GET /_local/events`` lists them (tests deliver them to the
API they run in-process). State lives in memory; prices are whatever ids the product names.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.request
import uuid
from typing import Any

from litestar import Litestar, Request, Response, get, post
from litestar.exceptions import NotFoundException

SECRET = "whsec_test_guanxi_0123456789abcdef"  # noqa: S105 -- the development and test secret, not a real one


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


class State:
    def __init__(self, webhook_url: str | None, secret: str) -> None:
        self.webhook_url = webhook_url
        self.secret = secret
        self.customers: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.refusing: set[str] = set()  # kinds of request refused once each (``/_local/refuse-next/{kind}``)
        self.lock = threading.Lock()
        self.clock = int(time.time())

    def tick(self) -> int:
        """Seconds that never go back, like Stripe's ``created`` (events of one second share it)."""
        self.clock = max(self.clock, int(time.time()))
        return self.clock

    def emit(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        event = {"id": _id("evt"), "object": "event", "type": kind, "created": self.tick(), "livemode": False,
                 "data": {"object": json.loads(json.dumps(obj))}}  # fmt: skip
        self.events.append(event)
        if self.webhook_url:
            body = json.dumps(event).encode()
            request = urllib.request.Request(  # noqa: S310 -- the local webhook URL given on the command line
                self.webhook_url, data=body, method="POST",
                headers={"content-type": "application/json", "stripe-signature": sign(body, self.secret)},
            )  # fmt: skip
            with contextlib.suppress(OSError):  # as Stripe: the event stays listed; a real Stripe would retry
                urllib.request.urlopen(request, timeout=10).close()  # noqa: S310
        return event


def sign(body: bytes, secret: str, at: int | None = None) -> str:
    stamp = at if at is not None else int(time.time())
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def _form(raw: dict[str, Any]) -> dict[str, Any]:
    """Stripe's form encoding (``line_items[0][price]=…``) as nested dicts and lists."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        parts = key.replace("]", "").split("[")
        node: Any = out
        for part, following in itertools.pairwise(parts):
            empty: Any = [] if following.isdigit() else {}
            if isinstance(node, list):
                while len(node) <= int(part):
                    node.append(empty)
                node = node[int(part)]
            else:
                node = node.setdefault(part, empty)
        if isinstance(node, list):
            while len(node) <= int(parts[-1]):
                node.append(None)
            node[int(parts[-1])] = value
        else:
            node[parts[-1]] = value
    return out


def _subscription(state: State, customer: str, price: str, quantity: int, metadata: dict[str, Any]) -> dict[str, Any]:
    sub_id = _id("sub")
    interval = "year" if "_year" in price else "month"
    currency = price.rsplit("_", 1)[-1] if price.count("_") >= 2 else "usd"
    sub = {
        "id": sub_id, "object": "subscription", "customer": customer, "status": "active",
        "cancel_at_period_end": False, "trial_end": None, "metadata": metadata, "latest_invoice": None,
        "items": {"object": "list", "data": [{
            "id": _id("si"), "object": "subscription_item", "quantity": quantity,
            "current_period_end": int(time.time()) + (365 if interval == "year" else 30) * 86400,
            "price": {"id": price, "object": "price", "currency": currency, "recurring": {"interval": interval}},
        }]},
    }  # fmt: skip
    state.subscriptions[sub_id] = sub
    return sub


def _invoice(sub: dict[str, Any], paid: bool) -> dict[str, Any]:
    item = sub["items"]["data"][0]
    return {"id": _id("in"), "object": "invoice", "customer": sub["customer"], "subscription": sub["id"],
            "status": "paid" if paid else "open", "currency": item["price"]["currency"],
            "amount_due": 100 * item["quantity"], "hosted_invoice_url": None}  # fmt: skip


# -- Events as Stripe sends them, for tests and benchmarks ----------------------------------------------------------


def event(kind: str, obj: dict[str, Any], created: int, event_id: str | None = None) -> dict[str, Any]:
    return {"id": event_id or f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "type": kind, "created": created,
            "livemode": False, "api_version": "2025-06-30.basil", "data": {"object": obj}}  # fmt: skip


def subscription(sub_id: str, customer: str, tenant_id: str, status: str, price: str, seats: int) -> dict[str, Any]:
    interval = "year" if "_year_" in price else "month"
    return {
        "id": sub_id, "object": "subscription", "customer": customer, "status": status,
        "cancel_at_period_end": False, "trial_end": None, "metadata": {"tenant_id": tenant_id},
        "items": {"object": "list", "data": [{
            "id": f"si_{sub_id}", "quantity": seats, "current_period_end": 1_900_000_000,
            "price": {"id": price, "currency": price.rsplit("_", 1)[1], "recurring": {"interval": interval}},
        }]},
    }  # fmt: skip


def invoice(customer: str, sub_id: str) -> dict[str, Any]:
    return {"id": f"in_{uuid.uuid4().hex[:14]}", "object": "invoice", "customer": customer, "subscription": sub_id,
            "amount_due": 9900, "currency": "cny"}  # fmt: skip


def story(tenant_id: str, customer: str, start: int) -> list[dict[str, Any]]:
    """Checkout, a subscription on Growth with 3 seats, paid; 5 seats; a failed payment and past due; paid again;
    then Pro, yearly in dollars, with 4 seats."""
    sub_id = f"sub_{uuid.uuid4().hex[:14]}"
    growth, pro = "price_test_growth_month_cny", "price_test_pro_year_usd"
    checkout = {
        "id": f"cs_{uuid.uuid4().hex[:14]}",
        "object": "checkout.session",
        "customer": customer,
        "subscription": sub_id,
        "client_reference_id": tenant_id,
        "metadata": {"tenant_id": tenant_id},
    }
    return [
        event("checkout.session.completed", checkout, start),
        event("customer.subscription.created", subscription(sub_id, customer, tenant_id, "active", growth, 3),
              start + 1),
        event("invoice.paid", invoice(customer, sub_id), start + 2),
        event("customer.subscription.updated", subscription(sub_id, customer, tenant_id, "active", growth, 5),
              start + 3),
        event("invoice.payment_failed", invoice(customer, sub_id), start + 4),
        event("customer.subscription.updated", subscription(sub_id, customer, tenant_id, "past_due", growth, 5),
              start + 5),
        event("invoice.paid", invoice(customer, sub_id), start + 6),
        event("customer.subscription.updated", subscription(sub_id, customer, tenant_id, "active", pro, 4),
              start + 7),
    ]  # fmt: skip


def refused(message: str) -> Response[dict[str, Any]]:
    """Stripe's answer to a request it will not do: 400 with an ``invalid_request_error``."""
    return Response({"error": {"type": "invalid_request_error", "message": message}}, status_code=400)


def create_app(state: State) -> Litestar:
    async def form(request: Request[Any, Any, Any]) -> dict[str, Any]:
        return _form(dict((await request.form()).items()))

    @post("/v1/customers", status_code=200)
    async def create_customer(request: Request[Any, Any, Any]) -> dict[str, Any]:
        data = await form(request)
        customer = {"id": _id("cus"), "object": "customer", "email": data.get("email"), "name": data.get("name"),
                    "metadata": data.get("metadata", {})}  # fmt: skip
        state.customers[customer["id"]] = customer
        return customer

    @get("/v1/customers/{customer_id:str}")
    async def read_customer(customer_id: str) -> dict[str, Any]:
        if customer_id not in state.customers:
            raise NotFoundException(f"No such customer: {customer_id}")
        return state.customers[customer_id]

    @post("/v1/checkout/sessions", status_code=200)
    async def create_session(request: Request[Any, Any, Any]) -> Any:
        if "checkout.sessions" in state.refusing:
            state.refusing.discard("checkout.sessions")
            return refused("No such price: 'price_gone'")
        data = await form(request)
        session_id = _id("cs")
        base = str(request.base_url).rstrip("/")
        session = {"id": session_id, "object": "checkout.session", "mode": data.get("mode"),
                   "customer": data.get("customer"), "client_reference_id": data.get("client_reference_id"),
                   "line_items": data.get("line_items", []), "success_url": data.get("success_url"),
                   "cancel_url": data.get("cancel_url"), "metadata": data.get("metadata", {}),
                   "subscription_data": data.get("subscription_data", {}), "subscription": None,
                   "status": "open", "url": f"{base}/checkout/{session_id}"}  # fmt: skip
        state.sessions[session_id] = session
        return session

    @get("/checkout/{session_id:str}", media_type="text/html")
    async def checkout_page(session_id: str) -> str:
        session = state.sessions.get(session_id)
        if session is None:
            raise NotFoundException("No such session")
        line = session["line_items"][0] if session["line_items"] else {}
        return (f"<!doctype html><html lang='en'><head><meta name='viewport' content='width=device-width'>"
                f"<title>Local Checkout</title></head><body><main><h1>Local Checkout</h1>"
                f"<p>Price <code>{line.get('price')}</code> × {line.get('quantity', 1)}</p>"
                f"<form method='post' action='/checkout/{session_id}/pay'>"
                f"<button type='submit'>Pay</button></form>"
                f"<p><a href='{session['cancel_url']}'>Cancel</a></p></main></body></html>")  # fmt: skip

    @post("/checkout/{session_id:str}/pay", status_code=303)
    async def pay(session_id: str) -> Response[None]:
        with state.lock:
            session = state.sessions.get(session_id)
            if session is None or session["status"] != "open":
                raise NotFoundException("No open session")
            line = session["line_items"][0]
            metadata = session.get("subscription_data", {}).get("metadata", {})
            sub = _subscription(state, session["customer"], line["price"], int(line.get("quantity", 1)), metadata)
            session.update(status="complete", subscription=sub["id"])
        state.emit("checkout.session.completed", session)
        state.emit("customer.subscription.created", sub)
        state.emit("invoice.paid", _invoice(sub, paid=True))
        return Response(None, status_code=303, headers={"location": session["success_url"]})

    @get("/v1/subscriptions/{sub_id:str}")
    async def read_subscription(sub_id: str) -> dict[str, Any]:
        if sub_id not in state.subscriptions:
            raise NotFoundException(f"No such subscription: {sub_id}")
        return state.subscriptions[sub_id]

    @get("/v1/subscriptions")
    async def list_subscriptions(customer: str | None = None) -> dict[str, Any]:
        found = [s for s in state.subscriptions.values() if customer is None or s["customer"] == customer]
        return {"object": "list", "data": found, "has_more": False}

    @post("/v1/subscriptions/{sub_id:str}", status_code=200)
    async def update_subscription(sub_id: str, request: Request[Any, Any, Any]) -> dict[str, Any]:
        data = await form(request)
        with state.lock:
            sub = state.subscriptions.get(sub_id)
            if sub is None:
                raise NotFoundException(f"No such subscription: {sub_id}")
            item = sub["items"]["data"][0]
            for change in data.get("items", []):
                if change.get("quantity") is not None:
                    item["quantity"] = int(change["quantity"])
                if change.get("price"):
                    item["price"]["id"] = change["price"]
            if "cancel_at_period_end" in data:
                sub["cancel_at_period_end"] = data["cancel_at_period_end"] == "true"
            sub["last_proration_behavior"] = data.get("proration_behavior")
        state.emit("customer.subscription.updated", sub)
        return sub

    @post("/v1/billing_portal/sessions", status_code=200)
    async def portal(request: Request[Any, Any, Any]) -> dict[str, Any]:
        data = await form(request)
        base = str(request.base_url).rstrip("/")
        return {"id": _id("bps"), "object": "billing_portal.session", "customer": data.get("customer"),
                "return_url": data.get("return_url"), "url": f"{base}/portal/{data.get('customer')}"}  # fmt: skip

    @post("/_local/refuse-next/{kind:str}", status_code=204)
    async def refuse_next(kind: str) -> None:
        """The next request of ``kind`` (``checkout.sessions``) is refused as Stripe refuses a bad one (400)."""
        state.refusing.add(kind)

    @get("/_local/events")
    async def events() -> list[dict[str, Any]]:
        return state.events

    @post("/_local/subscriptions/{sub_id:str}/fail-payment", status_code=200)
    async def fail_payment(sub_id: str) -> dict[str, Any]:
        sub = state.subscriptions[sub_id]
        sub["status"] = "past_due"
        state.emit("invoice.payment_failed", _invoice(sub, paid=False))
        state.emit("customer.subscription.updated", sub)
        return sub

    @post("/_local/subscriptions/{sub_id:str}/quietly", status_code=200)
    async def quietly(sub_id: str, request: Request[Any, Any, Any]) -> dict[str, Any]:
        """A change on Stripe's side whose event never reaches the product (what reconciliation repairs)."""
        data = await form(request)
        sub = state.subscriptions[sub_id]
        if data.get("quantity"):
            sub["items"]["data"][0]["quantity"] = int(data["quantity"])
        if data.get("status"):
            sub["status"] = data["status"]
        return sub

    @post("/_local/subscriptions/{sub_id:str}/pay", status_code=200)
    async def pay_again(sub_id: str) -> dict[str, Any]:
        sub = state.subscriptions[sub_id]
        sub["status"] = "active"
        state.emit("invoice.paid", _invoice(sub, paid=True))
        state.emit("customer.subscription.updated", sub)
        return sub

    return Litestar(
        route_handlers=[create_customer, read_customer, create_session, checkout_page, pay, read_subscription,
                        list_subscriptions, update_subscription, portal, events, fail_payment, quietly, pay_again,
                        refuse_next],
        logging_config=None,
    )  # fmt: skip


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--webhook-url", default=None)
    parser.add_argument("--secret", default=SECRET)
    args = parser.parse_args()
    uvicorn.run(create_app(State(args.webhook_url, args.secret)), host="127.0.0.1", port=args.port,
                log_level="warning")  # fmt: skip


if __name__ == "__main__":
    main()
