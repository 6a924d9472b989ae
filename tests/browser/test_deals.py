"""Deals in a real headless Chromium against the whole running product: a deal is opened from an account,
dragged across the kanban (the column sums follow), marked lost with a reason asked for on the board, moved on
its own page along the stage path; the phone uses each card's stage picker. Screenshots are kept in
test-artifacts/."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from guanxi_dev.stack import Stack

from tests.browser.conftest import screenshot
from tests.browser.test_customers import no_sideways_scroll
from tests.browser.test_pool import add_account
from tests.browser.test_signup_journey import choose_language, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


async def open_deal(page: Any, stack: Stack, account_id: str, name: str, amount: str) -> str:
    await page.goto(f"{stack.web_url}/deals/new?account_id={account_id}")
    await page.fill("#field-name", name)
    await page.fill("#field-amount", amount)
    await page.fill("#field-expected_close_date", "2030-03-31")
    await page.click("main button:has-text('Open the deal')")
    await page.wait_for_url(re.compile(r".*/deals/[0-9a-f-]+\?done=deal-created$"))
    return str(page.url.split("/deals/")[1].split("?")[0])


async def test_a_deal_is_dragged_across_the_board_and_lost_with_a_reason(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"zhou.{uuid.uuid4().hex[:8]}@example.com", "Zhou Machinery", "Zhou Min")
    account = await add_account(page, stack, "佛山顺德机械有限公司")
    first = await open_deal(page, stack, account, "二号车间自动化改造", "380000")
    second = await open_deal(page, stack, account, "Spare parts 2030", "12000")
    token = next(c["value"] for c in await page.context.cookies() if c["name"] == "gx_web_session")
    async with httpx.AsyncClient(base_url=stack.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        made = await api.post("/api/v1/loss-reasons", json={"name": "Price too high"})
        assert made.status_code == 201, made.text

    # Wide enough for every column: a drag that scrolls the board sideways would start from another card.
    await page.set_viewport_size({"width": 1900, "height": 900})
    await page.goto(f"{stack.web_url}/deals")
    columns = page.locator("[data-stage]")
    assert "2" in await columns.nth(0).locator(".board-count").inner_text()
    assert "$392,000.00" in await columns.nth(0).inner_text()
    await page.locator(f"[data-deal='{first}']").drag_to(columns.nth(2))
    await columns.nth(2).locator(f"[data-deal='{first}']").wait_for()
    await columns.nth(0).locator(".board-count:text-is('1')").wait_for()  # the redrawn board's count
    assert "$380,000.00" in await columns.nth(2).inner_text()
    await screenshot(page, "desktop-en-deals-board")

    lost = page.locator("[data-outcome=lost]")
    await page.locator(f"[data-deal='{second}']").drag_to(lost)
    await page.locator("#lost-form").wait_for()
    await page.select_option("#field-loss_reason_id", label="Price too high")
    await page.fill("#field-loss_note", "选了便宜的竞品")
    await page.click("#lost-form button[type=submit]")
    await lost.locator(f"[data-deal='{second}']").wait_for()
    assert await page.locator("#lost-form").count() == 0

    await page.set_viewport_size({"width": 1280, "height": 800})
    await page.goto(f"{stack.web_url}/deals/{second}")
    assert "Lost because: Price too high — 选了便宜的竞品" in await page.inner_text("main")
    await page.goto(f"{stack.web_url}/deals/{first}")
    await page.click(".stage-step--won button")
    await page.wait_for_url(re.compile(rf".*/deals/{first}$"))
    main = await page.inner_text("main")
    assert "Won" in main and "Stage history" in main
    assert "Zhou Min moved a deal" in await page.inner_text("#timeline")  # the deal's own history on its page
    await screenshot(page, "desktop-en-deal-page")
    await page.goto(f"{stack.web_url}/accounts/{account}")
    assert "Customer" in await page.inner_text("main")  # a won deal makes the account a customer
    timeline = await page.inner_text("#timeline")  # the account's timeline tells its deals' story, by name
    assert "Zhou Min moved a deal · 二号车间自动化改造" in timeline and "Won" in timeline

    await choose_language(page, "简体中文")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{stack.web_url}/deals")
    await no_sideways_scroll(page)
    await screenshot(page, "phone-zh-Hans-deals-board")
    await page.goto(f"{stack.web_url}/deals/{first}")
    await no_sideways_scroll(page)
    await screenshot(page, "phone-zh-Hans-deal-page")


async def test_products_on_a_deal_set_its_amount_and_a_bad_line_is_marked(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"xu.{uuid.uuid4().hex[:8]}@example.com", "Xu Pumps", "Xu Lei")
    account = await add_account(page, stack, "常州水泵制造")
    deal = await open_deal(page, stack, account, "泵站改造", "1")
    token = next(c["value"] for c in await page.context.cookies() if c["name"] == "gx_web_session")
    async with httpx.AsyncClient(base_url=stack.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        made = await api.post(
            "/api/v1/products", json={"name": "离心泵 CP-80", "sku": "CP-80", "unit": "台", "cost": "900"}
        )
        assert made.status_code == 201, made.text

    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(f"{stack.web_url}/deals/{deal}")
    card = page.locator("#deal-lines")
    await card.locator("select[name='line-0-product_id']").select_option(label="离心泵 CP-80 · CP-80")
    await card.locator("input[name='line-0-quantity']").fill("abc")
    await card.locator("input[name='line-0-unit_price']").fill("1500")
    await card.locator("button:has-text('Save and recalculate')").click()
    await card.locator(".line-row--invalid").wait_for()  # the refusal sits on its row; what was typed stays
    assert await card.locator("input[name='line-0-unit_price']").input_value() == "1500"
    await page.locator("#deal-lines input[name='line-0-quantity']").fill("4")
    await page.locator("#deal-lines input[name='line-0-tax_rate']").fill("13")
    await page.locator("#deal-lines button:has-text('Save and recalculate')").click()
    await page.locator("#deal-lines .badge--success").wait_for()
    assert "$6,780.00" in await page.inner_text("#deal-amount")  # 4 × 1,500 + 13 % tax, in the header too
    assert "Gross margin" in await page.inner_text("#deal-lines")  # the owner sees what the products cost
    await screenshot(page, "desktop-en-deal-products")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.reload()
    await no_sideways_scroll(page)
    await screenshot(page, "phone-en-deal-products")
