"""Grading in a real headless Chromium, with the real worker: an administrator grades every customer from the
report page, sees the scores and grades, sets a manual grade (with its reason) on the account page that the
report marks as manual, changes the weights (a wrong sum is refused), finds the order to ship on My day, and the
pages fit a phone in Chinese. Screenshots are kept in test-artifacts/."""

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


async def test_an_administrator_grades_customers_and_sets_a_manual_grade(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"gao.{uuid.uuid4().hex[:8]}@example.com", "Gao Pumps", "Gao Min")
    big = await add_account(page, stack, "宁波东方泵业")
    small = await add_account(page, stack, "Cold Ltd")
    token = next(c["value"] for c in await page.context.cookies() if c["name"] == "gx_web_session")
    async with httpx.AsyncClient(base_url=stack.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        line = {"name": "离心泵", "quantity": "10", "unit_price": "3000"}
        order = await api.post("/api/v1/orders", json={"account_id": big, "lines": [line]})
        assert order.status_code == 201, order.text

        await page.set_viewport_size({"width": 1280, "height": 900})
        await page.click("nav a[href='/grading']")
        await page.wait_for_url(re.compile(r".*/grading$"))
        assert "No grading run yet." in await page.inner_text("main")
        await page.click("main button:has-text('Grade now')")
        await page.wait_for_url(re.compile(r".*/grading\?done=grading$"))
        for _ in range(60):  # the worker picks the run up from the outbox
            if "宁波东方泵业" in await page.inner_text("main"):
                break
            await page.wait_for_timeout(500)
            await page.reload()
        main = await page.inner_text("main")
        assert "宁波东方泵业" in main and "Cold Ltd" in main and "2 customers scored" in main
        await screenshot(page, "desktop-en-grading")

    # a manual grade from the account page's grade card, with its reason
    await page.goto(f"{stack.web_url}/accounts/{small}")
    card = page.locator("#grade")
    assert "Computed by the latest grading run." in await card.inner_text()
    await card.locator("summary:has-text('Set the grade by hand')").click()
    await card.locator("select[name=grade]").select_option("A")
    await card.locator("input[name=reason]").fill("战略合作伙伴")
    await card.locator("button:has-text('Set the grade')").click()
    await page.wait_for_url(re.compile(r".*done=grade-set.*"))
    card = page.locator("#grade")
    text = await card.inner_text()
    assert "Set by hand" in text and "战略合作伙伴" in text and "→ A" in text
    await card.scroll_into_view_if_needed()
    await screenshot(page, "desktop-en-account-grade")
    await page.goto(f"{stack.web_url}/grading?grade=A")
    main = await page.inner_text("main")
    assert "Cold Ltd" in main and "Manual grade" in main
    await screenshot(page, "desktop-en-grading-manual")

    # the settings: profit weighs less, credit more; the next run grades by them
    await page.goto(f"{stack.web_url}/grading/settings")
    await page.fill("input[name='weight.credit']", "20")
    await page.fill("input[name='weight.profit']", "50")
    await screenshot(page, "desktop-en-grading-settings")
    await page.click("main button:has-text('Save')")
    await page.wait_for_url(re.compile(r".*done=grading-settings$"))
    assert "Grading settings saved." in await page.inner_text("main")
    assert await page.input_value("input[name='weight.credit']") == "20"
    await page.fill("input[name='weight.profit']", "70")  # 20 + 30 + 70: not 100
    await page.click("main button:has-text('Save')")
    assert "weights must add up to 100, not 120" in await page.inner_text("main")

    # My day puts the order waiting to ship first, with its customer's grade
    await page.goto(f"{stack.web_url}/todo")
    assert "宁波东方泵业" in await page.locator("#todo-orders_to_fulfil").locator("..").inner_text()

    await choose_language(page, "简体中文")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{stack.web_url}/grading")
    await no_sideways_scroll(page)
    assert "客户分级" in await page.inner_text("main") and "手动等级" in await page.inner_text("main")
    await screenshot(page, "phone-zh-Hans-grading")
    await page.goto(f"{stack.web_url}/grading/settings")
    await no_sideways_scroll(page)
    assert "分级设置" in await page.inner_text("main")
    await screenshot(page, "phone-zh-Hans-grading-settings")
    await page.goto(f"{stack.web_url}/accounts/{small}")
    await no_sideways_scroll(page)
    assert "客户等级" in await page.inner_text("main")
    await page.locator("#grade").scroll_into_view_if_needed()
    await screenshot(page, "phone-zh-Hans-account-grade")
    await page.goto(f"{stack.web_url}/todo")
    assert "待发货订单" in await page.inner_text("main")
    await screenshot(page, "phone-zh-Hans-my-day")
