"""Subscriptions: the trial every workspace starts with, Stripe's webhooks received and applied, and what a
workspace may do now.

Webhooks are the source of truth (docs/billing.md). :func:`receive` verifies the signature and its timestamp,
stores the event once (its id is the key) and asks the worker to apply it, in one transaction, and answers at
once. :func:`apply` changes the subscription under a row lock; each aspect keeps the ``created`` second of the
newest event applied to it (the terms: plan, seats, Stripe status; the payments: failed or paid), so an event
delivered twice, or late after a newer one, changes nothing: any order of delivery ends in the same state.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgspec
import stripe
import structlog
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from stripe._base_address import BaseAddresses

from guanxi.config import get_settings
from guanxi.db.base import utcnow
from guanxi.domain.billing.models import StripeEvent, Subscription
from guanxi.domain.billing.plans import Plan, catalogue
from guanxi.domain.identity.models import Membership
from guanxi.domain.identity.schemas import BillingBadge
from guanxi.domain.outbox.service import enqueue
from guanxi.domain.tenancy.models import Tenant
from guanxi.errors import DomainError, FieldError, validation_error

log = structlog.get_logger("billing")

# The events that change a subscription; every other type is stored and ignored (Stripe sends what the endpoint
# subscribed to, and an operator may subscribe to more than this reads).
TERMS = ("customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted")
PAYMENTS = ("invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed")
CHECKOUT = ("checkout.session.completed",)
HANDLED = TERMS + PAYMENTS + CHECKOUT
MAX_PAYLOAD = 512 * 1024  # Stripe's events are a few kilobytes


def bad_webhook(detail: str) -> DomainError:
    return DomainError(detail=detail, status=400, type="invalid-webhook", title="Webhook refused")


async def subscription_of(session: AsyncSession, tenant_id: uuid.UUID, *, lock: bool = False) -> Subscription | None:
    """The workspace's subscription row. ``lock``: locked for the rest of the transaction, as changes to it are, and
    read again as it is now even when the session holds it already."""
    query = select(Subscription).where(Subscription.tenant_id == tenant_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def _required(session: AsyncSession, tenant_id: uuid.UUID) -> Subscription:
    sub = await subscription_of(session, tenant_id, lock=True)
    if sub is None:
        raise DomainError(detail="The workspace has no subscription.", status=404, type="not-found", title="Not found")
    return sub


# -- the trial ----------------------------------------------------------------------------------------------------


async def start_trial(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """A new workspace's subscription: the catalogue's trial plan for the configured days. No commit."""
    days = get_settings().trial_days
    await session.execute(
        pg_insert(Subscription)
        .values(tenant_id=tenant_id, plan_key=catalogue().trial_plan, status="trialing",
                trial_ends_at=utcnow() + dt.timedelta(days=days))
        .on_conflict_do_nothing(index_elements=["tenant_id"])
    )  # fmt: skip


async def link_customer(session: AsyncSession, tenant_id: uuid.UUID, customer_id: str) -> None:
    """The workspace's Stripe customer, made before its first Checkout: every later event finds the workspace by
    it, whatever order the events come in. No commit."""
    sub = await _required(session, tenant_id)
    if sub.stripe_customer_id not in (None, customer_id):
        raise DomainError(detail="The workspace already has a Stripe customer.", status=409, type="conflict",
                          title="Conflict")  # fmt: skip
    sub.stripe_customer_id = customer_id


# -- Checkout, the Billing Portal, seats -------------------------------------------------------------------------------


def stripe_client() -> stripe.StripeClient:
    """Stripe's API, or the local Stripe-compatible server ``GUANXI_STRIPE_API_BASE`` names (tests, development)."""
    settings = get_settings()
    if not settings.stripe_secret_key:
        raise DomainError(detail="Billing is not configured on this installation.", status=503,
                          type="billing-unavailable", title="Billing unavailable")  # fmt: skip
    key = (settings.stripe_secret_key, settings.stripe_api_base)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # no event loop: a client for this call only
        return _new_client(*key)
    for ended in [known for known in _clients if known.is_closed()]:  # loops of earlier asyncio.run calls
        del _clients[ended]
    per_loop = _clients.setdefault(loop, {})
    if key not in per_loop:
        per_loop[key] = _new_client(*key)
    return per_loop[key]


# One client per event loop and key: its connections and its TLS context (slow to build) serve every call, instead
# of new ones per call (the nightly reconciliation calls Stripe once per workspace). httpx binds connections to the
# loop that opened them, hence per loop; the clients of a loop that has ended are dropped (a client refers to its
# loop through its connections, so a weak mapping would never let go of them).
_clients: dict[asyncio.AbstractEventLoop, dict[tuple[str, str | None], stripe.StripeClient]] = {}


def _new_client(secret_key: str, api_base: str | None) -> stripe.StripeClient:
    base: BaseAddresses = {"api": api_base} if api_base else {}
    return stripe.StripeClient(secret_key, base_addresses=base, http_client=stripe.HTTPXClient(), max_network_retries=2)


@contextmanager
def stripe_call() -> Iterator[None]:
    """A call to Stripe on a person's behalf: Stripe out of reach or refusing becomes a problem that says so
    (503 / 502, ``payment-provider``), never a 500. Nothing is charged when a call fails."""
    try:
        yield
    except stripe.StripeError as error:
        unreachable = isinstance(error, stripe.APIConnectionError | stripe.RateLimitError | stripe.APIError)
        log.warning("billing.stripe_failed", error=type(error).__name__, status=error.http_status,
                    message=str(error.user_message or "")[:200])  # fmt: skip
        raise DomainError(
            detail="Stripe could not be reached. Nothing was charged; try again in a minute." if unreachable else
            "Stripe refused the request. Nothing was charged; if it happens again, tell the installation's operator.",
            status=503 if unreachable else 502, type="payment-provider", title="Payments unavailable",
            headers={"Retry-After": "60"} if unreachable else {},
        ) from error  # fmt: skip


async def active_seats(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """Seats are the active members of the workspace (one at least)."""
    found = await session.scalar(
        select(func.count()).select_from(Membership)
        .where(Membership.tenant_id == tenant_id, Membership.status == "active")
    )  # fmt: skip
    return max(int(found or 0), 1)


async def checkout(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    email: str,
    plan_key: str,
    interval: str,
    currency: str,
    return_url: str,
) -> str:
    """The address of a Stripe Checkout page for the plan at the workspace's seats. The workspace's Stripe customer
    is made first (with the workspace in its metadata), so every event that follows finds it, and kept at once
    (committed), so a Checkout session Stripe then refuses leaves no customer the workspace forgot."""
    plan = catalogue().plan(plan_key)
    errors = []
    if plan is None or not plan.public:
        errors.append(FieldError("plan", "is not a plan on sale", "invalid"))
    price = plan.price(currency.upper(), interval) if plan else None
    if plan is not None and (price is None or not price.stripe_price_id):
        errors.append(FieldError("currency", f"the plan has no {interval}ly price in {currency.upper()}", "invalid"))
    if errors:
        raise validation_error(*errors)
    assert price is not None and price.stripe_price_id
    sub = await _required(session, tenant_id)
    if subscribed(sub):
        raise DomainError(detail="The workspace is subscribed already: change the plan or pay in the billing portal.",
                          status=409, type="already-subscribed", title="Already subscribed")  # fmt: skip
    client = stripe_client()
    name = await session.scalar(select(Tenant.name).where(Tenant.id == tenant_id))
    if sub.stripe_customer_id is None:
        with stripe_call():
            customer = await client.v1.customers.create_async(
                params={"email": email, "name": name or "", "metadata": {"tenant_id": str(tenant_id)}}
            )
        sub.stripe_customer_id = customer.id
        await session.commit()
    seats = await active_seats(session, tenant_id)
    with stripe_call():
        made = await client.v1.checkout.sessions.create_async(params={
            "mode": "subscription", "customer": sub.stripe_customer_id, "client_reference_id": str(tenant_id),
            "line_items": [{"price": price.stripe_price_id, "quantity": seats}],
            "subscription_data": {"metadata": {"tenant_id": str(tenant_id)}},
            "success_url": f"{return_url}?done=checkout", "cancel_url": return_url,
        })  # fmt: skip
    log.info("billing.checkout_started", tenant_id=str(tenant_id), plan=plan_key, seats=seats)
    return str(made.url)


async def portal(session: AsyncSession, tenant_id: uuid.UUID, return_url: str) -> str:
    """The Stripe Billing Portal for the workspace's customer: plan changes, cancellation, payment methods."""
    customer = await session.scalar(select(Subscription.stripe_customer_id).where(Subscription.tenant_id == tenant_id))
    if not customer:
        raise DomainError(detail="Subscribe first: the billing portal manages a paid subscription.", status=409,
                          type="not-subscribed", title="Not subscribed")  # fmt: skip
    with stripe_call():
        made = await stripe_client().v1.billing_portal.sessions.create_async(
            params={"customer": customer, "return_url": return_url}
        )
    return str(made.url)


async def seats_changed(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """A member joined or left: a paid subscription's seats follow, through the worker (Stripe is called out of the
    request), in the caller's transaction. No commit."""
    paid = await session.scalar(select(Subscription.stripe_subscription_id).where(Subscription.tenant_id == tenant_id))
    if paid:
        await enqueue(session, "billing.sync_seats", {}, tenant_id=tenant_id)


async def sync_seats(session: AsyncSession, tenant_id: uuid.UUID) -> int | None:
    """Tell Stripe the workspace's seats (active members) when they changed, prorated; the new count, or None
    when there is no paid subscription to change. The local count follows Stripe's event."""
    sub = await subscription_of(session, tenant_id)
    if sub is None or not sub.stripe_subscription_id or status_of(sub) == "canceled":
        return None
    seats = await active_seats(session, tenant_id)
    if seats == sub.seats:
        return seats
    client = stripe_client()
    current = (await client.v1.subscriptions.retrieve_async(sub.stripe_subscription_id)).to_dict()
    item = current["items"]["data"][0]
    await client.v1.subscriptions.update_async(sub.stripe_subscription_id, params={
        "items": [{"id": item["id"], "quantity": seats}], "proration_behavior": "create_prorations",
    })  # fmt: skip
    log.info("billing.seats_synced", tenant_id=str(tenant_id), seats=seats, before=sub.seats)
    return seats


async def reconcile(session: AsyncSession, tenant_id: uuid.UUID) -> str:
    """Compare the workspace's subscription with Stripe's and repair what drifted (a lost or unsent event): Stripe's
    subscription now is newer than any event already sent, so its terms win and older events stay stale. Then the
    stored status follows the clock (a trial or a grace that ended). What changed, or ``in step``. No commit."""
    sub = await subscription_of(session, tenant_id, lock=True)
    if sub is None:
        return "no subscription"
    repaired: list[str] = []
    if sub.stripe_customer_id and get_settings().stripe_secret_key:
        client = stripe_client()
        remote: Any = None
        if sub.stripe_subscription_id:
            remote = await client.v1.subscriptions.retrieve_async(sub.stripe_subscription_id)
        else:  # Checkout finished but its events never came
            found = await client.v1.subscriptions.list_async(params={"customer": sub.stripe_customer_id, "limit": 1})
            remote = found.data[0] if found.data else None
        if remote is not None:
            for name, value in _terms(remote.to_dict()).items():
                if getattr(sub, name) != value:
                    setattr(sub, name, value)
                    repaired.append(name)
            # Events of this second or before told an older (or the same) story than the one just read.
            sub.stripe_event_created = max(sub.stripe_event_created, int(utcnow().timestamp()) + 1)
    status = status_of(sub)
    if status != sub.status:
        sub.status = status
        repaired.append("status")
    if repaired:
        log.info("billing.reconciled", tenant_id=str(tenant_id), repaired=repaired)
    return "repaired: " + ", ".join(repaired) if repaired else "in step"


# -- receiving ------------------------------------------------------------------------------------------------------


def verify(payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event, when ``Stripe-Signature`` signs exactly these bytes with the webhook secret within the tolerance;
    a clear 400 otherwise (a bad or old signature, a body that is not an event)."""
    settings = get_settings()
    if not settings.stripe_webhook_secret:
        raise DomainError(detail="Billing is not configured on this installation.", status=404, type="not-found",
                          title="Not found")  # fmt: skip
    if len(payload) > MAX_PAYLOAD:
        raise bad_webhook("The body is larger than any Stripe event.")
    if not signature:
        raise bad_webhook("The Stripe-Signature header is missing.")
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(
            text, signature, settings.stripe_webhook_secret, settings.stripe_webhook_tolerance_seconds
        )
    except UnicodeDecodeError as error:
        raise bad_webhook("The body is not UTF-8 text.") from error
    except stripe.SignatureVerificationError as error:
        raise bad_webhook(f"The signature does not match: {error.user_message or 'invalid'}.") from error
    try:
        event = msgspec.json.decode(payload)
    except msgspec.DecodeError as error:
        raise bad_webhook("The body is not JSON.") from error
    if not (isinstance(event, dict) and isinstance(event.get("id"), str) and 0 < len(event["id"]) <= 255
            and isinstance(event.get("type"), str) and 0 < len(event["type"]) <= 100
            and isinstance(event.get("created"), int) and 0 <= event["created"] < 2**62
            and isinstance(event.get("data"), dict) and isinstance(event["data"].get("object"), dict)):  # fmt: skip
        raise bad_webhook("The body is not a Stripe event (id, type, created, data.object).")
    return event


def _object(event: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = event["data"]["object"]
    return found


async def _tenant_of(session: AsyncSession, event: dict[str, Any]) -> uuid.UUID | None:
    """The workspace an event is about: the ``tenant_id`` the product wrote into the object's metadata (or the
    Checkout session's reference), checked against the known Stripe customer; else found by its customer id."""
    obj = _object(event)
    customer = obj.get("customer") if isinstance(obj.get("customer"), str) else None
    if obj.get("object") == "customer":
        customer = obj.get("id")
    if customer:
        known = await session.scalar(select(Subscription.tenant_id).where(Subscription.stripe_customer_id == customer))
        if known is not None:
            return known
    metadata = obj.get("metadata")
    claimed = (metadata.get("tenant_id") if isinstance(metadata, dict) else None) or obj.get("client_reference_id")
    try:
        tenant_id = uuid.UUID(str(claimed)) if claimed else None
    except ValueError:
        return None
    if tenant_id is None:
        return None
    row = await session.execute(
        select(Tenant.id, Subscription.stripe_customer_id)
        .join(Subscription, Subscription.tenant_id == Tenant.id).where(Tenant.id == tenant_id)
    )  # fmt: skip
    found = row.first()
    # A workspace already tied to another Stripe customer is not taken over by an event that names it.
    if found is None or (found.stripe_customer_id and customer and found.stripe_customer_id != customer):
        return None
    return tenant_id


async def receive(session: AsyncSession, payload: bytes, signature: str | None) -> tuple[str, bool]:
    """Verify, store once, ask for it to be applied: (event id, whether it was new). No commit."""
    event = verify(payload, signature)
    tenant_id = await _tenant_of(session, event) if event["type"] in HANDLED else None
    outcome = None
    if event["type"] not in HANDLED:
        outcome = "ignored: not a type this installation applies"
    elif tenant_id is None:
        outcome = "ignored: no workspace has this customer"
    stored = await session.scalar(
        pg_insert(StripeEvent)
        .values(id=event["id"], type=event["type"], created=event["created"], tenant_id=tenant_id, payload=event,
                outcome=outcome, applied_at=utcnow() if outcome else None)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(StripeEvent.id)
    )  # fmt: skip
    new = stored is not None
    if new and tenant_id is not None:
        await enqueue(session, "billing.apply_event", {"event_id": event["id"]}, tenant_id=tenant_id)
    log.info("billing.webhook_received", event_id=event["id"], type=event["type"], new=new,
             tenant_id=str(tenant_id) if tenant_id else None, outcome=outcome)  # fmt: skip
    return event["id"], new


# -- applying -------------------------------------------------------------------------------------------------------


def _stamp(value: Any) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(value, dt.UTC) if isinstance(value, int) and value > 0 else None


def _terms(obj: dict[str, Any]) -> dict[str, Any]:
    """A Stripe subscription object as our subscription's terms."""
    items = (obj.get("items") or {}).get("data") or []
    item = items[0] if items else {}
    price = item.get("price") or {}
    plan = catalogue().by_price(str(price.get("id") or ""))
    recurring = price.get("recurring") or {}
    period_end = obj.get("current_period_end") or item.get("current_period_end")  # newer APIs keep it per item
    terms: dict[str, Any] = {
        "stripe_subscription_id": obj.get("id"),
        "stripe_status": obj.get("status"),
        "seats": max(int(item.get("quantity") or 1), 1),
        "cancel_at_period_end": bool(obj.get("cancel_at_period_end")),
        "current_period_end": _stamp(period_end),
        "trial_ends_at": _stamp(obj.get("trial_end")),
    }
    if plan is not None:
        terms["plan_key"] = plan.key
    if recurring.get("interval") in ("month", "year"):
        terms["interval"] = recurring["interval"]
    if isinstance(price.get("currency"), str):
        terms["currency"] = price["currency"].upper()
    if isinstance(obj.get("customer"), str):
        terms["stripe_customer_id"] = obj["customer"]
    return terms


def subscribed(sub: Subscription) -> bool:
    """Whether Stripe holds a live subscription for the workspace (paid, or waiting for a payment)."""
    return bool(sub.stripe_subscription_id) and sub.stripe_status not in ("canceled", "incomplete_expired")


def status_of(sub: Subscription, now: dt.datetime | None = None) -> str:
    """What the workspace is now: Stripe's word on the subscription, then a failed payment's grace."""
    now = now or utcnow()
    if sub.stripe_status in ("canceled", "incomplete_expired"):
        return "canceled"
    if sub.payment_failed_at is not None or sub.stripe_status in ("past_due", "unpaid"):
        failed = sub.payment_failed_at or now
        grace = dt.timedelta(days=get_settings().billing_grace_days)
        return "read_only" if now >= failed + grace else "past_due"
    if sub.stripe_status == "active":
        return "active"
    if sub.stripe_status is None and sub.trial_ends_at is not None and now >= sub.trial_ends_at:
        return "read_only"  # a trial that ended without a subscription
    return "trialing"


async def badge(session: AsyncSession, tenant_id: uuid.UUID) -> BillingBadge | None:
    sub = await subscription_of(session, tenant_id)
    if sub is None:
        return None
    plan = catalogue().plan(sub.plan_key)
    return BillingBadge(status=status_of(sub), plan=sub.plan_key, trial_ends_at=sub.trial_ends_at,
                        features=list(plan.features) if plan else [])  # fmt: skip


async def writes_refused(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    """Whether the workspace is read-only now (one key lookup per write request)."""
    sub = await subscription_of(session, tenant_id)
    return sub is not None and status_of(sub) in ("read_only", "canceled")


async def check_seats(session: AsyncSession, tenant_id: uuid.UUID, *, joining: int) -> None:
    """Refuse a new member (an invitation, or its acceptance) beyond the plan's seats, saying what to do."""
    plan = await plan_of(session, tenant_id)
    if plan is None or plan.limits.seats is None:
        return
    taken = await active_seats(session, tenant_id)
    if taken + joining > plan.limits.seats:
        raise DomainError(
            detail=f"The {plan.name} plan has {plan.limits.seats} seats and {taken} are taken"
            f"{f' (with {joining - 1} invitations pending)' if joining > 1 else ''}. The owner can move to a larger "
            "plan on the billing page, or an administrator can deactivate a member or revoke an invitation.",
            status=402, type="plan-limit", title="Plan limit reached",
            errors=[FieldError("email", f"no seat left on the {plan.name} plan", "plan_limit")],
            extensions={"limit": "seats"},
        )  # fmt: skip


async def plan_key_of(session: AsyncSession, tenant_id: uuid.UUID) -> str | None:
    """The key of the workspace's plan (None: no subscription row). One key lookup."""
    return await session.scalar(select(Subscription.plan_key).where(Subscription.tenant_id == tenant_id))


def includes(plan_key: str | None, feature: str) -> bool:
    """Whether the plan ``plan_key`` includes ``feature`` (a workspace without a subscription row: yes; a plan the
    catalogue no longer has: no)."""
    plan = catalogue().plan(plan_key) if plan_key else None
    return plan_key is None or (plan is not None and plan.has(feature))


async def has_feature(session: AsyncSession, tenant_id: uuid.UUID, feature: str) -> bool:
    return includes(await plan_key_of(session, tenant_id), feature)


async def plan_of(session: AsyncSession, tenant_id: uuid.UUID) -> Plan | None:
    """The plan the workspace is on (None: no subscription row, or a plan the catalogue no longer has)."""
    plan_key = await plan_key_of(session, tenant_id)
    return catalogue().plan(plan_key) if plan_key else None


def feature_refused(feature: str) -> DomainError:
    return DomainError(
        detail=f"The workspace's plan does not include {FEATURE_NAMES.get(feature, feature)}. The owner can "
        "move to a plan that does on the billing page.",
        status=402, type="plan-feature", title="Not in the plan",
    )  # fmt: skip


async def require_feature(session: AsyncSession, tenant_id: uuid.UUID, feature: str) -> None:
    if not await has_feature(session, tenant_id, feature):
        raise feature_refused(feature)


FEATURE_NAMES = {"grading": "customer grading", "churn": "churn early warning", "reports_builder": "the report builder",
                 "scheduled_reports": "scheduled reports", "api": "the API", "portal": "the customer portal",
                 "sso": "single sign-on"}  # fmt: skip


def read_only_error() -> DomainError:
    return DomainError(
        detail="This workspace is read-only: its subscription is not paid. Nothing is deleted and exports still "
        "work; the owner can pay on the billing page (Settings → Billing) to make it writable again at once.",
        status=402, type="workspace-read-only", title="Workspace read-only",
    )  # fmt: skip


async def apply(session: AsyncSession, tenant_id: uuid.UUID, event_id: str) -> str:
    """Apply one stored event to its workspace's subscription; the outcome. Idempotent. No commit."""
    sub = await subscription_of(session, tenant_id, lock=True)
    stored = await session.scalar(select(StripeEvent).where(StripeEvent.id == event_id).with_for_update())
    if stored is None or stored.tenant_id != tenant_id:
        return "ignored: no such event for this workspace"
    if stored.applied_at is not None:
        return stored.outcome or "applied"
    event = stored.payload
    obj = _object(event)
    outcome = "applied"
    if sub is None:
        outcome = "ignored: the workspace has no subscription"
    elif event["type"] in CHECKOUT:
        # Ties the workspace to its Stripe customer and subscription; the terms come with the subscription's events.
        if isinstance(obj.get("customer"), str) and sub.stripe_customer_id is None:
            sub.stripe_customer_id = obj["customer"]
        if isinstance(obj.get("subscription"), str) and sub.stripe_subscription_id is None:
            sub.stripe_subscription_id = obj["subscription"]
    elif event["type"] in TERMS:
        if sub.stripe_subscription_id and obj.get("id") != sub.stripe_subscription_id and sub.stripe_status not in (
            None, "canceled", "incomplete_expired"
        ):  # fmt: skip
            outcome = "ignored: another subscription than the workspace's"
        elif stored.created < sub.stripe_event_created:
            outcome = "stale"
        else:
            terms = _terms(obj)
            if event["type"] == "customer.subscription.deleted":
                terms["stripe_status"] = "canceled"
            for name, value in terms.items():
                setattr(sub, name, value)
            sub.stripe_event_created = stored.created
    elif event["type"] in PAYMENTS:
        if stored.created < sub.payment_event_created:
            outcome = "stale"
        else:
            failed = event["type"] == "invoice.payment_failed"
            sub.payment_failed_at = (sub.payment_failed_at or _stamp(stored.created)) if failed else None
            sub.payment_event_created = stored.created
    if sub is not None:
        sub.status = status_of(sub)
    stored.applied_at = utcnow()
    stored.outcome = outcome
    log.info("billing.event_applied", event_id=event_id, type=stored.type, outcome=outcome,
             status=sub.status if sub else None)  # fmt: skip
    return outcome
