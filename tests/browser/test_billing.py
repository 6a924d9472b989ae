"""Billing in a real headless Chromium, with the real API, worker and the local Stripe stand-in (its Checkout page,
its webhooks signed as Stripe signs them): the owner of a trial workspace hits the trial's seat limit, subscribes
through Checkout and sees the plan paid; a failed payment shows the warning banner, and once the grace is over the
read-only banner, and the workspace refuses a new customer. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from guanxi.db.tenancy import platform_session
from guanxi.domain.identity.operators import set_operator
from guanxi_dev.stack import Stack
from sqlalchemy import text

from tests.browser.conftest import screenshot
from tests.browser.test_customers import no_sideways_scroll
from tests.browser.test_signup_journey import choose_language, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


async def reload_until(page: Any, wanted: str, what: str) -> None:
    for _ in range(60):  # the worker applies Stripe's events from the outbox
        if wanted in await page.inner_text("main"):
            return
        await page.wait_for_timeout(500)
        await page.reload()
    raise AssertionError(f"{what}: {wanted!r} never showed")


async def test_an_owner_subscribes_through_checkout_and_a_failed_payment_makes_the_workspace_read_only(
    page: Any, stack: Stack
) -> None:
    email = f"lin.{uuid.uuid4().hex[:8]}@example.com"
    await sign_up(page, stack, email, "Lin Valves", "Lin Hua")
    token = next(c["value"] for c in await page.context.cookies() if c["name"] == "gx_web_session")
    async with httpx.AsyncClient(base_url=stack.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        # the trial has five seats: four invitations fill them, a fifth is refused with the way out
        for n in range(4):
            invited = await api.post("/api/v1/admin/invitations", json={"email": f"p{n}.{email}", "role": "sales_rep"})
            assert invited.status_code == 201, invited.text
        refused = await api.post("/api/v1/admin/invitations", json={"email": f"p9.{email}", "role": "sales_rep"})
        assert refused.status_code == 402 and "billing page" in refused.json()["detail"]
        await page.set_viewport_size({"width": 1280, "height": 900})
        await page.goto(f"{stack.web_url}/w/settings/invitations")  # the same through the invitation form
        await page.fill("input[name=email]", f"p8.{email}")
        await page.click("main button:has-text('Send invitation')")
        await page.wait_for_selector("text=has no room for this")
        assert await page.input_value("input[name=email]") == f"p8.{email}"  # kept, to send once a seat is free
        await screenshot(page, "desktop-en-invitation-seat-limit")

        await page.goto(f"{stack.web_url}/w/settings/billing")
        main = await page.inner_text("main")
        assert "Free trial" in main and "Subscribe to Growth" in main
        await screenshot(page, "desktop-en-billing-trial")
        await page.click("main button:has-text('Subscribe to Growth')")
        await page.wait_for_url(re.compile(r".*/checkout/cs_.*"))  # the stand-in for Stripe Checkout
        await page.click("button:has-text('Pay')")
        await page.wait_for_url(re.compile(r".*/w/settings/billing\?done=checkout$"))
        await reload_until(page, "Subscribed", "the subscription applied")
        main = await page.inner_text("main")
        assert "Growth" in main and "Next invoice" in main and "Change plan, payment method or cancel" in main
        await screenshot(page, "desktop-en-billing-paid")

        # the next payment fails: a warning on every page, still writable during the grace
        sub_id = (await api.get("/api/v1/billing")).json()
        async with platform_session() as session:
            row = (
                await session.execute(
                    text("SELECT s.stripe_subscription_id FROM platform.subscriptions s "
                         "JOIN platform.memberships m ON m.tenant_id = s.tenant_id JOIN platform.users u "
                         "ON u.id = m.user_id WHERE u.email = :e AND m.role = 'owner'"), {"e": email},
                )
            ).one()  # fmt: skip
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.ports.stripe}") as stripe:
            assert (await stripe.post(f"/_local/subscriptions/{row[0]}/fail-payment")).is_success
        await page.goto(f"{stack.web_url}/home")
        await reload_until(page, "The last payment failed", "the failed payment applied")
        assert (await api.post("/api/v1/accounts", json={"name": "Still writable"})).status_code == 201

        # the grace is over: read-only, said on every page; nothing new is accepted, reading still works
        async with platform_session() as session:
            await session.execute(
                text("UPDATE platform.subscriptions SET payment_failed_at = now() - interval '8 days' "
                     "WHERE stripe_subscription_id = :s"), {"s": row[0]},
            )  # fmt: skip
            await session.commit()
        await page.goto(f"{stack.web_url}/accounts")
        assert "read-only until its subscription is paid" in await page.inner_text("main")
        assert "Still writable" in await page.inner_text("main")
        late = await api.post("/api/v1/accounts", json={"name": "Too late"})
        assert late.status_code == 402 and late.json()["type"].endswith("/workspace-read-only")
        await screenshot(page, "desktop-en-read-only")
        assert sub_id["plan"] == "growth"

    await choose_language(page, "简体中文")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{stack.web_url}/w/settings/billing")
    await no_sideways_scroll(page)
    main = await page.inner_text("main")
    assert "订阅付款前，此工作区为只读" in main and "更换套餐、付款方式或取消订阅" in main and "订阅 Growth" not in main
    await screenshot(page, "phone-zh-Hans-billing")

    # the installation's operator sees this workspace among all, its plan, status and what it brings each month
    async with platform_session() as session:
        await set_operator(session, email, True)
        await session.commit()
    await page.goto(f"{stack.web_url}/operator/billing")
    await no_sideways_scroll(page)
    assert "Lin Valves" in await page.inner_text("main")
    await screenshot(page, "phone-zh-Hans-operator-billing")
    await choose_language(page, "English")
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(f"{stack.web_url}/operator/billing?q=Lin%20Valves")
    main = await page.inner_text("main")
    assert "Lin Valves" in main and "Read-only" in main
    await screenshot(page, "desktop-en-operator-billing")
