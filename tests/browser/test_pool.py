"""The customer pool in a real headless Chromium against the whole running product: customers given back to
the pool are listed with their previous owner and reason, one is claimed with its row's button and opens as
one's own, another is ticked and claimed, and the pool's settings take rules by grade. Screenshots (desktop
and phone, English and 简体中文) are kept in test-artifacts/."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from guanxi_dev.stack import Stack

from tests.browser.conftest import screenshot
from tests.browser.test_customers import no_sideways_scroll
from tests.browser.test_signup_journey import choose_language, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
NAMES = ("深圳华强电子有限公司", "Acme Trading Ltd", "上海明珠贸易有限公司")


async def add_account(page: Any, stack: Stack, name: str) -> str:
    await page.goto(f"{stack.web_url}/accounts/new")
    await page.fill("#field-name", name)
    await page.click("main button[type=submit]")
    await page.wait_for_url(re.compile(r".*/accounts/[0-9a-f-]+\?done=account-created$"))
    return str(page.url.split("/accounts/")[1].split("?")[0])


async def test_customers_given_back_are_claimed_from_the_pool(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"he.{uuid.uuid4().hex[:8]}@example.com", "Pearl Delta Trading", "He Jun")
    ids = [await add_account(page, stack, name) for name in NAMES]
    token = next(c["value"] for c in await page.context.cookies() if c["name"] == "gx_web_session")
    async with httpx.AsyncClient(base_url=stack.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        moved = await api.post(
            "/api/v1/accounts/bulk", json={"action": "move_to_pool", "ids": ids, "reason": "客户暂无需求"}
        )
        assert moved.json() == {"changed": 3, "remaining": False}

    await page.goto(f"{stack.web_url}/pool")
    table = await page.inner_text("main table")
    assert all(name in table for name in NAMES) and "客户暂无需求" in table and "He Jun" in table
    await screenshot(page, "desktop-en-pool")

    row = page.locator("main tr", has_text=NAMES[0])
    await row.locator("button:has-text('Claim')").click()
    await page.wait_for_url(re.compile(rf".*/accounts/{ids[0]}\?done=claimed$"))
    assert "The customer is yours now" in await page.inner_text("main")

    await page.goto(f"{stack.web_url}/pool")
    await page.locator("main tr", has_text=NAMES[1]).locator("input[type=checkbox]").check()
    await page.click("main button:has-text('Claim selected')")
    await page.locator("main", has_text="You claimed 1 customer.").wait_for()
    assert NAMES[1] not in await page.inner_text("main table") and NAMES[2] in await page.inner_text("main table")

    await page.click("main a:has-text('Pool settings')")
    await page.fill("[name='rules.no_follow_up.A']", "30")
    await page.fill("[name='rules.no_follow_up.*']", "15")
    await page.fill("#field-daily_claim_limit", "20")
    await page.click("main button:has-text('Save settings')")
    await page.wait_for_url(re.compile(r".*/pool/[0-9a-f-]+\?done=pool-saved$"))
    assert "No follow-up: A 30 days, others 15 days" in await page.inner_text("main")
    assert "Up to 20 claims a day." in await page.inner_text("main")

    await choose_language(page, "简体中文")
    assert "公海" in await page.inner_text("main") and "A 类 30 天" in await page.inner_text("main")
    await screenshot(page, "desktop-zh-Hans-pool")
    await page.set_viewport_size({"width": 390, "height": 844})
    for name, path in (("pool", "/pool"), ("pool-settings", page.url.split("?")[0] + "/settings")):
        await page.goto(path if path.startswith("http") else f"{stack.web_url}{path}")
        await no_sideways_scroll(page)
        await screenshot(page, f"phone-zh-Hans-{name}")
