"""A local Stripe-compatible server for development and tests: the part of Stripe's API the product calls
(customers, Checkout sessions, subscriptions, Billing Portal sessions, products and prices, invoices and the
upcoming invoice), a stand-in Checkout page, invoice pages and PDFs, and the events Stripe would send, signed with
the webhook secret exactly as Stripe signs them.

``python -m guanxi_dev.stripelocal --port 12111 --webhook-url http://127.0.0.1:8001/api/v1/billing/webhooks/stripe``

Point the product at it with ``GUANXI_STRIPE_API_BASE=http://127.0.0.1:12111`` and any ``GUANXI_STRIPE_SECRET_KEY``.
Without ``--webhook-url`` the events are only kept: ``GET /_local/events`` lists them (tests deliver them to the
API they run in-process). State lives in memory; a subscription may name a price the server never made (its
invoices then charge 1.00 a seat), and errors come in Stripe's shape (``{"error": {"type", "code", "message"}}``).
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
from litestar.exceptions import HTTPException, NotFoundException

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
        self.products: dict[str, dict[str, Any]] = {}
        self.prices: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.refusing: set[str] = set()  # kinds of request refused once each (``/_local/refuse-next/{kind}``)
        self.lock = threading.Lock()
        self.clock = int(time.time())

    def reset(self) -> None:
        """Everything forgotten (a test that needs a Stripe account of its own)."""
        for kept in (self.customers, self.sessions, self.subscriptions, self.products, self.prices, self.invoices):
            kept.clear()
        self.events.clear()

    def invoice(self, sub: dict[str, Any], paid: bool, base: str) -> dict[str, Any]:
        """The subscription's invoice for a period, kept (paid, or open when the payment failed), numbered per
        customer as Stripe does, with its page and PDF on this server."""
        item = sub["items"]["data"][0]
        known = self.prices.get(item["price"]["id"])
        amount = (known["unit_amount"] if known else 100) * item["quantity"]
        number = 1 + sum(1 for i in self.invoices.values() if i["customer"] == sub["customer"])
        invoice_id = _id("in")
        invoice = {
            "id": invoice_id, "object": "invoice", "customer": sub["customer"], "subscription": sub["id"],
            "number": f"{sub['customer'][-8:].upper()}-{number:04d}", "created": self.tick(),
            "status": "paid" if paid else "open", "currency": item["price"]["currency"], "amount_due": amount,
            "amount_paid": amount if paid else 0, "total": amount, "period_end": item["current_period_end"],
            "hosted_invoice_url": f"{base}/invoices/{invoice_id}", "invoice_pdf": f"{base}/invoices/{invoice_id}/pdf",
        }  # fmt: skip
        self.invoices[invoice_id] = invoice
        return invoice

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
    known = state.prices.get(price)
    if known is not None:  # a price made here (sync-plans); else the tests' names: price_test_growth_month_cny
        interval, currency = known["recurring"]["interval"], known["currency"]
    else:
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


def _page(items: list[dict[str, Any]], url: str, query: dict[str, Any]) -> dict[str, Any]:
    """A Stripe list: ``limit`` (10 by default, 100 at most) after ``starting_after``."""
    limit = min(max(int(query.get("limit") or 10), 1), 100)
    after = query.get("starting_after")
    if after:
        ids = [item["id"] for item in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    return {"object": "list", "url": url, "data": items[:limit], "has_more": len(items) > limit}


def _one(store: dict[str, dict[str, Any]], kind: str, object_id: str) -> dict[str, Any]:
    """The stored object, or Stripe's 404 ``resource_missing`` for it."""
    found = store.get(object_id)
    if found is None:
        raise NotFoundException(f"No such {kind}: '{object_id}'")
    return found


def _stripe_error(_: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    """Errors as Stripe answers them, so the SDK raises what it raises against Stripe."""
    code = "resource_missing" if error.status_code == 404 else None
    return Response({"error": {"type": "invalid_request_error", "code": code, "message": error.detail}},
                    status_code=error.status_code)  # fmt: skip


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF with lines of plain text (the invoice's download)."""
    text = "".join(f"({line.replace(chr(92), '').replace('(', '').replace(')', '')}) Tj T* " for line in lines)
    stream = f"BT /F1 12 Tf 14 TL 72 760 Td {text}ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


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
        return _one(state.customers, "customer", customer_id)

    @post("/v1/checkout/sessions", status_code=200)
    async def create_session(request: Request[Any, Any, Any]) -> dict[str, Any]:
        if "checkout.sessions" in state.refusing:
            state.refusing.discard("checkout.sessions")
            raise HTTPException(status_code=400, detail="No such price: 'price_gone'")
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
    async def pay(session_id: str, request: Request[Any, Any, Any]) -> Response[None]:
        with state.lock:
            session = state.sessions.get(session_id)
            if session is None or session["status"] != "open":
                raise NotFoundException("No open session")
            line = session["line_items"][0]
            metadata = session.get("subscription_data", {}).get("metadata", {})
            sub = _subscription(state, session["customer"], line["price"], int(line.get("quantity", 1)), metadata)
            session.update(status="complete", subscription=sub["id"])
            invoice = state.invoice(sub, True, _base(request))
        state.emit("checkout.session.completed", session)
        state.emit("customer.subscription.created", sub)
        state.emit("invoice.paid", invoice)
        return Response(None, status_code=303, headers={"location": session["success_url"]})

    @get("/v1/subscriptions/{sub_id:str}")
    async def read_subscription(sub_id: str) -> dict[str, Any]:
        return _one(state.subscriptions, "subscription", sub_id)

    @get("/v1/subscriptions")
    async def list_subscriptions(request: Request[Any, Any, Any]) -> dict[str, Any]:
        """By ``customer``, in pages; every status (Stripe leaves cancelled ones out unless ``status=all``)."""
        query = dict(request.query_params.items())
        found = [s for s in state.subscriptions.values()
                 if query.get("customer") in (None, s["customer"])
                 and (query.get("status") in (None, "all", s["status"]) or s["status"] != "canceled")]  # fmt: skip
        return _page(found, "/v1/subscriptions", query)

    @post("/v1/subscriptions/{sub_id:str}", status_code=200)
    async def update_subscription(sub_id: str, request: Request[Any, Any, Any]) -> dict[str, Any]:
        data = await form(request)
        with state.lock:
            sub = _one(state.subscriptions, "subscription", sub_id)
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
    async def fail_payment(sub_id: str, request: Request[Any, Any, Any]) -> dict[str, Any]:
        sub = state.subscriptions[sub_id]
        sub["status"] = "past_due"
        state.emit("invoice.payment_failed", state.invoice(sub, False, _base(request)))
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
    async def pay_again(sub_id: str, request: Request[Any, Any, Any]) -> dict[str, Any]:
        sub = state.subscriptions[sub_id]
        sub["status"] = "active"
        open_ = [i for i in state.invoices.values() if i["subscription"] == sub_id and i["status"] == "open"]
        for invoice in open_:  # Stripe's retry pays the open invoice; no open one: the next period's
            invoice.update(status="paid", amount_paid=invoice["amount_due"])
        state.emit("invoice.paid", open_[-1] if open_ else state.invoice(sub, True, _base(request)))
        state.emit("customer.subscription.updated", sub)
        return sub

    return Litestar(
        route_handlers=[create_customer, read_customer, create_session, checkout_page, pay, read_subscription,
                        list_subscriptions, update_subscription, portal, events, fail_payment, quietly, pay_again,
                        refuse_next, *catalogue_routes(state), *invoice_routes(state), *local_routes(state)],
        exception_handlers={HTTPException: _stripe_error}, logging_config=None,
    )  # fmt: skip


def _base(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


def _flag(value: Any) -> bool:
    return str(value).lower() == "true"


async def _form_of(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return _form(dict((await request.form()).items()))


def catalogue_routes(state: State) -> list[Any]:
    """Products and prices (what ``python -m guanxi billing sync-plans`` keeps in step with the plans file). Prices
    are immutable but for ``active``, ``metadata`` and ``lookup_key``, as on Stripe."""

    @post("/v1/products", status_code=200)
    async def create_product(request: Request[Any, Any, Any]) -> dict[str, Any]:
        data = await _form_of(request)
        product = {"id": data.get("id") or _id("prod"), "object": "product", "name": data.get("name"),
                   "active": _flag(data.get("active", "true")), "metadata": data.get("metadata", {}),
                   "created": state.tick()}  # fmt: skip
        state.products[product["id"]] = product
        return product

    @get("/v1/products/{product_id:str}")
    async def read_product(product_id: str) -> dict[str, Any]:
        return _one(state.products, "product", product_id)

    @post("/v1/products/{product_id:str}", status_code=200)
    async def update_product(product_id: str, request: Request[Any, Any, Any]) -> dict[str, Any]:
        data = await _form_of(request)
        product = _one(state.products, "product", product_id)
        if "name" in data:
            product["name"] = data["name"]
        if "active" in data:
            product["active"] = _flag(data["active"])
        product["metadata"].update(data.get("metadata", {}))
        return product

    @get("/v1/products")
    async def list_products(request: Request[Any, Any, Any]) -> dict[str, Any]:
        query = dict(request.query_params.items())
        found = [p for p in state.products.values() if "active" not in query or p["active"] == _flag(query["active"])]
        return _page(found, "/v1/products", query)

    @post("/v1/prices", status_code=200)
    async def create_price(request: Request[Any, Any, Any]) -> dict[str, Any]:
        data = await _form_of(request)
        _one(state.products, "product", str(data.get("product")))
        key = data.get("lookup_key")
        with state.lock:
            holder = next((p for p in state.prices.values() if key and p["lookup_key"] == key), None)
            if holder is not None and not _flag(data.get("transfer_lookup_key")):
                raise HTTPException(status_code=400, detail=f"A price already uses the lookup key {key!r}.")
            if holder is not None:
                holder["lookup_key"] = None
            recurring = data.get("recurring", {})
            price = {
                "id": _id("price"), "object": "price", "product": data["product"], "active": True,
                "currency": str(data.get("currency", "")).lower(), "unit_amount": int(data.get("unit_amount", 0)),
                "recurring": {"interval": recurring.get("interval", "month"),
                              "usage_type": recurring.get("usage_type", "licensed")},
                "type": "recurring", "lookup_key": key, "metadata": data.get("metadata", {}),
                "nickname": data.get("nickname"), "created": state.tick(),
            }  # fmt: skip
            state.prices[price["id"]] = price
        return price

    @get("/v1/prices/{price_id:str}")
    async def read_price(price_id: str) -> dict[str, Any]:
        return _one(state.prices, "price", price_id)

    @post("/v1/prices/{price_id:str}", status_code=200)
    async def update_price(price_id: str, request: Request[Any, Any, Any]) -> dict[str, Any]:
        data = await _form_of(request)
        price = _one(state.prices, "price", price_id)
        if set(data) - {"active", "metadata", "lookup_key", "nickname", "transfer_lookup_key"}:
            raise HTTPException(status_code=400, detail="A price's amount, currency and interval cannot change.")
        if "active" in data:
            price["active"] = _flag(data["active"])
        price["metadata"].update(data.get("metadata", {}))
        return price

    @get("/v1/prices")
    async def list_prices(request: Request[Any, Any, Any]) -> dict[str, Any]:
        query = _form(dict(request.query_params.items()))
        keys = query.get("lookup_keys")
        found = [p for p in state.prices.values()
                 if query.get("product") in (None, p["product"])
                 and ("active" not in query or p["active"] == _flag(query["active"]))
                 and (keys is None or p["lookup_key"] in keys)]  # fmt: skip
        return _page(found, "/v1/prices", query)

    return [create_product, read_product, update_product, list_products, create_price, read_price, update_price,
            list_prices]  # fmt: skip


def invoice_routes(state: State) -> list[Any]:
    """The invoices kept when a subscription was paid or its payment failed, newest first; the upcoming one; a
    page and a PDF for each."""

    @get("/v1/invoices")
    async def list_invoices(request: Request[Any, Any, Any]) -> dict[str, Any]:
        query = dict(request.query_params.items())
        found = [
            i
            for i in reversed(state.invoices.values())  # newest first (made in time order)
            if query.get("customer") in (None, i["customer"]) and query.get("status") in (None, i["status"])
        ]
        return _page(found, "/v1/invoices", query)

    @get("/v1/invoices/{invoice_id:str}")
    async def read_invoice(invoice_id: str) -> dict[str, Any]:
        return _one(state.invoices, "invoice", invoice_id)

    @post("/v1/invoices/create_preview", status_code=200)
    async def preview(request: Request[Any, Any, Any]) -> Response[Any]:
        """The next invoice of the customer's live subscription (Stripe's ``invoice_upcoming_none`` without one)."""
        data = await _form_of(request)
        live = [s for s in state.subscriptions.values()
                if s["customer"] == data.get("customer") and s["status"] in ("active", "past_due", "trialing")
                and not s["cancel_at_period_end"]]  # fmt: skip
        if not live:
            return Response({"error": {"type": "invalid_request_error", "code": "invoice_upcoming_none",
                                       "message": "No upcoming invoices for customer"}}, status_code=404)  # fmt: skip
        item = live[-1]["items"]["data"][0]
        known = state.prices.get(item["price"]["id"])
        amount = (known["unit_amount"] if known else 100) * item["quantity"]
        return Response({
            "id": None, "object": "invoice", "customer": data["customer"], "subscription": live[-1]["id"],
            "status": "draft", "currency": item["price"]["currency"], "amount_due": amount, "total": amount,
            "next_payment_attempt": item["current_period_end"], "period_end": item["current_period_end"],
        })  # fmt: skip

    @get("/invoices/{invoice_id:str}", media_type="text/html")
    async def invoice_page(invoice_id: str) -> str:
        invoice = _one(state.invoices, "invoice", invoice_id)
        return (f"<!doctype html><html lang='en'><head><meta name='viewport' content='width=device-width'>"
                f"<title>Invoice {invoice['number']}</title></head><body><main><h1>Invoice {invoice['number']}</h1>"
                f"<p>{invoice['total'] / 100:.2f} {invoice['currency'].upper()}, {invoice['status']}</p>"
                f"<p><a href='/invoices/{invoice_id}/pdf'>Download PDF</a></p></main></body></html>")  # fmt: skip

    @get("/invoices/{invoice_id:str}/pdf")
    async def invoice_pdf(invoice_id: str) -> Response[bytes]:
        invoice = _one(state.invoices, "invoice", invoice_id)
        lines = [f"Invoice {invoice['number']}", f"Customer {invoice['customer']}",
                 f"Total {invoice['total'] / 100:.2f} {invoice['currency'].upper()}",
                 f"Status {invoice['status']}"]  # fmt: skip
        download = f'attachment; filename="{invoice["number"]}.pdf"'
        return Response(_pdf(lines), media_type="application/pdf", headers={"content-disposition": download})

    return [list_invoices, read_invoice, preview, invoice_page, invoice_pdf]


def local_routes(state: State) -> list[Any]:
    """What a test or a benchmark sets up directly."""

    @post("/_local/reset", status_code=200)
    async def reset() -> dict[str, bool]:
        state.reset()
        return {"reset": True}

    @post("/_local/seed", status_code=200)
    async def seed(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        """Many customers with a subscription each, without events: ``{"subscriptions": [{"customer", "price",
        "quantity", "status", "metadata"}]}``; the subscriptions made, in order."""
        made = []
        with state.lock:
            for wanted in data.get("subscriptions", []):
                customer = wanted["customer"]
                state.customers.setdefault(customer, {"id": customer, "object": "customer",
                                                      "metadata": wanted.get("metadata", {})})  # fmt: skip
                sub = _subscription(state, customer, wanted["price"], int(wanted.get("quantity", 1)),
                                    wanted.get("metadata", {}))  # fmt: skip
                sub["status"] = wanted.get("status", "active")
                made.append(sub)
        return {"subscriptions": made}

    return [reset, seed]


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
