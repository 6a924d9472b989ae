"""The workspace's invoices against the local Stripe-compatible server: kept by Stripe when a subscription is paid
or its payment fails, listed by the workspace's own Stripe customer only (another workspace's never show), the next
invoice; administrators see them, other members do not; Stripe out of reach is a clear 503."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from guanxi.config import get_settings

from tests.api import test_billing_checkout
from tests.api.test_admin import join
from tests.api.test_billing_checkout import delivered, events_since
from tests.api.test_billing_limits import subscription_set
from tests.api.test_billing_webhooks import subscription_of
from tests.conftest import bearer, signed_up
from tests.services import free_port

stripe_server = test_billing_checkout.stripe_server  # the fixture: the stand-in on this worker's port


async def subscribed(client: Any, plan: str = "growth", currency: str = "CNY") -> dict[str, Any]:
    """A new workspace whose owner paid for ``plan`` through the stand-in's Checkout, events delivered."""
    owner = await signed_up(client)
    tenant_id = owner["workspace"]["id"]
    seen = len(await events_since(0))
    body = {"plan": plan, "interval": "month", "currency": currency}
    started = await client.post("/api/v1/billing/checkout", json=body, headers=bearer(owner))
    assert started.status_code == 201, started.text
    async with httpx.AsyncClient() as browser:
        assert (await browser.post(f"{started.json()['url']}/pay")).status_code == 303
    await delivered(client, tenant_id, await events_since(seen))
    return owner


async def invoices_of(client: Any, person: dict[str, Any]) -> Any:
    answer = await client.get("/api/v1/billing/invoices", headers=bearer(person))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_the_owner_and_administrators_see_the_invoices_and_the_next_one(client: Any, stripe_server: str) -> None:
    owner = await subscribed(client)
    got = await invoices_of(client, owner)
    [paid] = got["invoices"]
    assert (paid["status"], paid["amount"], paid["currency"]) == (
        "paid",
        "1.00",
        "CNY",
    )  # 1 seat at the stand-in's 1.00
    assert paid["number"] and paid["date"] and paid["hosted_url"].startswith(stripe_server)
    pdf_url = paid["pdf_url"]
    async with httpx.AsyncClient() as browser:
        pdf = await browser.get(pdf_url)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and paid["number"].encode() in pdf.content
    assert got["upcoming"]["amount"] == "1.00" and got["upcoming"]["currency"] == "CNY" and got["upcoming"]["date"]

    # a failed payment leaves an open invoice, paid afterwards
    sub_id = (await subscription_of(owner["workspace"]["id"])).stripe_subscription_id
    async with httpx.AsyncClient(base_url=stripe_server) as stripe_api:
        assert (await stripe_api.post(f"/_local/subscriptions/{sub_id}/fail-payment")).is_success
        assert [i["status"] for i in (await invoices_of(client, owner))["invoices"]] == ["open", "paid"]
        assert (await stripe_api.post(f"/_local/subscriptions/{sub_id}/pay")).is_success
    admin = await join(client, owner, "admin")
    assert [i["status"] for i in (await invoices_of(client, admin))["invoices"]] == ["paid", "paid"]

    rep = await join(client, owner, "sales_rep")
    refused = await client.get("/api/v1/billing/invoices", headers=bearer(rep))
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("application/problem+json")
    anonymous = await client.get("/api/v1/billing/invoices")
    assert anonymous.status_code == 401 and anonymous.headers["content-type"].startswith("application/problem+json")


async def test_each_workspace_sees_only_the_invoices_of_its_own_customer(client: Any, stripe_server: str) -> None:
    first, second = await subscribed(client), await subscribed(client, plan="pro", currency="USD")
    mine, theirs = await invoices_of(client, first), await invoices_of(client, second)
    assert len(mine["invoices"]) == len(theirs["invoices"]) == 1
    assert mine["invoices"][0]["number"] != theirs["invoices"][0]["number"]
    assert (mine["invoices"][0]["currency"], theirs["invoices"][0]["currency"]) == ("CNY", "USD")
    customers = [(await subscription_of(o["workspace"]["id"])).stripe_customer_id for o in (first, second)]
    assert mine["invoices"][0]["number"].startswith(customers[0][-8:].upper())
    # what a client sends does not choose the customer
    sneaky = await client.get(f"/api/v1/billing/invoices?customer={customers[1]}", headers=bearer(first))
    assert sneaky.status_code == 200 and sneaky.json() == mine


async def test_a_workspace_without_a_stripe_customer_has_no_invoices(client: Any, stripe_server: str) -> None:
    owner = await signed_up(client)
    assert await invoices_of(client, owner) == {"invoices": [], "upcoming": None}


@pytest.fixture
def stripe_out_of_reach(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GUANXI_STRIPE_API_BASE", f"http://127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


async def test_stripe_out_of_reach_is_a_clear_503(client: Any, stripe_server: str, stripe_out_of_reach: None) -> None:
    owner = await signed_up(client)
    await subscription_set(owner["workspace"]["id"], "stripe_customer_id = 'cus_somewhere'")
    answer = await client.get("/api/v1/billing/invoices", headers=bearer(owner))
    assert answer.status_code == 503 and answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["type"].endswith("/payment-provider") and "Stripe" in answer.json()["detail"]
