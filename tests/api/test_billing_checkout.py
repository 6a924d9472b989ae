"""Checkout, seats and the Billing Portal against the local Stripe-compatible server (guanxi_dev.stripelocal, a
real HTTP server the Stripe SDK talks to): the owner starts Checkout for a plan, pays on the stand-in Checkout
page, Stripe's events (signed as Stripe signs them) make the workspace active on that plan; a new member adds a
seat on Stripe with proration; others may not pay; bad plans are named."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from guanxi.domain.billing.tasks import reconcile, sync_seats
from guanxi_dev.localservices import stop_process, wait_for_port

from tests.api.test_admin import join
from tests.api.test_billing_webhooks import applied_in_order, signed, subscription_of
from tests.conftest import STRIPE_PORT, bearer, signed_up
from tests.domain.audit.test_retention import job_for

STRIPE = f"http://127.0.0.1:{STRIPE_PORT}"


@pytest.fixture(scope="module")
def stripe_server() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "guanxi_dev.stripelocal", "--port", str(STRIPE_PORT)], start_new_session=True
    )
    try:
        wait_for_port(STRIPE_PORT, timeout=30)
        yield STRIPE
    finally:
        stop_process(process)


async def events_since(seen: int) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=STRIPE) as stripe_api:
        return list((await stripe_api.get("/_local/events")).json())[seen:]


async def delivered(client: Any, tenant_id: str, events: list[dict[str, Any]]) -> None:
    """What Stripe does with each event (POST it, signed), then what the worker does with what it was asked."""
    asked = []
    for event in events:
        body = json.dumps(event).encode()
        answer = await client.post("/api/v1/billing/webhooks/stripe", content=body, headers=signed(body))
        assert answer.status_code == 200, answer.text
        asked.append(event["id"])
    await applied_in_order(tenant_id, asked)


async def test_the_owner_pays_through_checkout_and_a_new_member_adds_a_seat(client: Any, stripe_server: str) -> None:
    owner = await signed_up(client)
    tenant_id = owner["workspace"]["id"]
    seen = len(await events_since(0))
    growth = {"plan": "growth", "interval": "month", "currency": "CNY"}
    started = await client.post("/api/v1/billing/checkout", json=growth, headers=bearer(owner))
    assert started.status_code == 201, started.text
    url = started.json()["url"]
    assert url.startswith(f"{STRIPE}/checkout/cs_")
    customer = (await subscription_of(tenant_id)).stripe_customer_id
    assert customer and customer.startswith("cus_")  # made before Checkout, so every event finds the workspace
    async with httpx.AsyncClient() as browser:
        page = await browser.get(url)
        assert page.status_code == 200 and "price_test_growth_month_cny" in page.text and "× 1" in page.text
        paid = await browser.post(f"{url}/pay")
        assert paid.status_code == 303 and paid.headers["location"].endswith("/w/settings/billing?done=checkout")
    await delivered(client, tenant_id, await events_since(seen))
    got = (await client.get("/api/v1/billing", headers=bearer(owner))).json()
    assert (got["plan"], got["status"], got["seats"], got["currency"], got["interval"]) == (
        "growth", "active", 1, "CNY", "month")  # fmt: skip
    again = await client.post("/api/v1/billing/checkout", json={"plan": "pro"}, headers=bearer(owner))
    assert again.status_code == 409 and again.json()["type"].endswith("/already-subscribed")

    # a colleague joins: the seats follow on Stripe, prorated, and come back as Stripe's event
    seen = len(await events_since(0))
    await join(client, owner, "sales_rep")
    assert await sync_seats(await job_for(tenant_id)) == 2
    changed = await events_since(seen)
    assert [e["type"] for e in changed] == ["customer.subscription.updated"]
    assert changed[0]["data"]["object"]["last_proration_behavior"] == "create_prorations"
    await delivered(client, tenant_id, changed)
    assert (await client.get("/api/v1/billing", headers=bearer(owner))).json()["seats"] == 2
    assert await sync_seats(await job_for(tenant_id)) == 2 and await events_since(seen + 1) == []  # nothing to do

    portal = await client.post("/api/v1/billing/portal", headers=bearer(owner))
    assert portal.status_code == 201 and portal.json()["url"] == f"{STRIPE}/portal/{customer}"

    # Stripe changed the seats and its event never arrived: the nightly reconciliation repairs it, and the old
    # event delivered late does not undo the repair
    sub_id = (await subscription_of(tenant_id)).stripe_subscription_id
    async with httpx.AsyncClient(base_url=STRIPE) as stripe_api:
        assert (await stripe_api.post(f"/_local/subscriptions/{sub_id}/quietly", data={"quantity": "7"})).is_success
    job = await job_for(tenant_id)
    assert await reconcile(job) == "repaired: seats"
    assert (await subscription_of(tenant_id)).seats == 7
    late = dict(changed[0], id=f"evt_late_{uuid.uuid4().hex[:8]}")  # an older state, delivered now
    await delivered(client, tenant_id, [late])
    assert (await subscription_of(tenant_id)).seats == 7 and await reconcile(job) == "in step"


async def test_reconciliation_makes_an_ended_trial_read_only(client: Any, stripe_server: str) -> None:
    from tests.api.test_billing_limits import subscription_set

    owner = await signed_up(client)
    tenant_id = owner["workspace"]["id"]
    job = await job_for(tenant_id)
    assert await reconcile(job) == "in step"
    await subscription_set(tenant_id, "trial_ends_at = now() - interval '1 hour'")
    assert await reconcile(job) == "repaired: status"
    assert (await subscription_of(tenant_id)).status == "read_only"


async def test_only_the_owner_pays_and_bad_plans_are_named(client: Any, stripe_server: str) -> None:
    owner = await signed_up(client)
    admin = await join(client, owner, "admin")
    body = {"plan": "growth", "interval": "month", "currency": "CNY"}
    assert (await client.post("/api/v1/billing/checkout", json=body, headers=bearer(admin))).status_code == 403
    assert (await client.post("/api/v1/billing/portal", headers=bearer(owner))).status_code == 409  # not subscribed

    async def field_of(**changes: Any) -> str:
        answer = await client.post("/api/v1/billing/checkout", json={**body, **changes}, headers=bearer(owner))
        assert answer.status_code in (400, 422), answer.text
        return str(answer.json()["errors"][0]["field"])

    assert await field_of(plan="trial") == "plan"  # not on sale
    assert await field_of(plan="'; DROP TABLE platform.subscriptions; --") == "plan"
    assert await field_of(plan="企业版 🚀") == "plan"
    assert await field_of(currency="GBP") == "currency"
    assert await field_of(interval="week") == "interval"
    assert await field_of(plan=12) == "plan"
    assert await field_of(plan="x" * 41) == "plan"
    assert (await subscription_of(owner["workspace"]["id"])).stripe_customer_id is None  # nothing half-done


async def test_a_checkout_stripe_refuses_keeps_the_customer_and_stripe_out_of_reach_is_a_503(
    client: Any, stripe_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guanxi.config import get_settings

    owner = await signed_up(client)
    tenant_id = owner["workspace"]["id"]
    growth = {"plan": "growth", "interval": "month", "currency": "CNY"}
    async with httpx.AsyncClient(base_url=STRIPE) as stripe_api:
        assert (await stripe_api.post("/_local/refuse-next/checkout.sessions")).status_code == 204
    refused = await client.post("/api/v1/billing/checkout", json=growth, headers=bearer(owner))
    assert refused.status_code == 502, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"].endswith("/payment-provider") and "Nothing was charged" in refused.json()["detail"]
    customer = (await subscription_of(tenant_id)).stripe_customer_id
    assert customer is not None  # kept: Stripe has it, and the next attempt uses it
    again = await client.post("/api/v1/billing/checkout", json=growth, headers=bearer(owner))
    assert again.status_code == 201, again.text
    assert (await subscription_of(tenant_id)).stripe_customer_id == customer

    other = await signed_up(client)
    monkeypatch.setattr(get_settings(), "stripe_api_base", "http://127.0.0.1:9")  # nothing listens there
    down = await client.post("/api/v1/billing/checkout", json=growth, headers=bearer(other))
    assert down.status_code == 503, down.text
    assert down.json()["type"].endswith("/payment-provider") and down.headers["retry-after"] == "60"
