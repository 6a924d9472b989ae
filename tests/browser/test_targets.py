"""Targets in a real headless Chromium: an administrator sets the company's target for the month, shares it out
evenly between a department and themself, and the dashboard shows what was won against it, the forecast from the
open deals and the leaderboard; on a phone in Chinese it fits the screen. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import httpx
import pytest
from guanxi_dev.stack import Stack

from tests.browser.conftest import screenshot
from tests.browser.test_customers import no_sideways_scroll
from tests.browser.test_deals import open_deal
from tests.browser.test_pool import add_account
from tests.browser.test_signup_journey import choose_language, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


async def test_a_target_is_set_shared_out_and_followed_on_the_dashboard(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"lin.{uuid.uuid4().hex[:8]}@example.com", "Lin Valves", "Lin Hui")
    account = await add_account(page, stack, "温州永嘉阀门厂")
    won = await open_deal(page, stack, account, "年度框架采购", "60000")
    pipe = await open_deal(page, stack, account, "新厂区管道", "200000")
    token = next(c["value"] for c in await page.context.cookies() if c["name"] == "gx_web_session")
    async with httpx.AsyncClient(base_url=stack.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        made = await api.post("/api/v1/admin/departments", json={"name": "South team"})
        assert made.status_code == 201, made.text
        pipeline = (await api.get("/api/v1/pipelines")).json()[0]
        won_stage = next(s["id"] for s in pipeline["stages"] if s["outcome"] == "won")
        moved = await api.post(f"/api/v1/deals/{won}/move", json={"stage_id": won_stage})
        assert moved.status_code == 200, moved.text
        due = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
        task = {"kind": "task", "account_id": account, "subject": "寄样品给采购部", "due_at": due}
        assert (await api.post("/api/v1/activities", json=task)).status_code == 201
        line = {"name": "阀门 DN50", "quantity": "10", "unit_price": "2000"}
        order = await api.post("/api/v1/orders", json={"account_id": account, "lines": [line]})
        assert order.status_code == 201, order.text
        paid = await api.post(
            f"/api/v1/orders/{order.json()['id']}/payments", json={"amount": "5000", "method": "cash"}
        )
        assert paid.status_code == 201, paid.text
        soon = (dt.date.today() + dt.timedelta(days=35)).isoformat()
        assert (await api.patch(f"/api/v1/deals/{pipe}", json={"expected_close_date": soon})).status_code == 200

    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.click("nav a[href='/targets']")
    await page.wait_for_url(re.compile(r".*/targets$"))
    await page.click("main a:has-text('Set targets')")
    await page.fill("input[name='company:']", "abc")
    await page.click("main button:has-text('Save targets')")
    assert "Enter an amount" in await page.inner_text("main")  # caught at its box, nothing saved
    await page.fill("input[name='company:']", "240,000")
    await page.click("main button:has-text('Save targets')")
    await page.wait_for_url(re.compile(r".*/targets\?period=.*done=targets$"))
    await page.click("main a:has-text('Set targets')")
    await page.click("main button:has-text('Split evenly') >> nth=0")
    await page.locator("text=The target was shared out evenly.").wait_for()
    boxes = page.locator("input.input.num")
    assert [await boxes.nth(i).input_value() for i in range(3)] == ["240000.00", "120000.00", "120000.00"]
    await screenshot(page, "desktop-en-targets-edit")

    await page.goto(f"{stack.web_url}/targets")
    main = await page.inner_text("main")
    assert "$240,000.00" in main and "$60,000.00" in main and "$180,000.00" in main and "25.0%" in main
    assert "South team" in main and "Lin Hui" in await page.inner_text(".leaderboard")
    assert "$200,000.00" in await page.inner_text(".forecast-list")  # the open deal, expected next month
    await screenshot(page, "desktop-en-targets")
    await page.click("a.segmented-item:has-text('Collected amount')")
    await page.wait_for_url(re.compile(r".*metric=collected$"))
    kpis = await page.inner_text(".kpis")
    assert "$5,000.00" in kpis and "Still open on orders: $15,000.00" in kpis
    await screenshot(page, "desktop-en-targets-collected")
    await page.click("a.segmented-item:has-text('Won amount')")
    await page.click("a.segmented-item:has-text('Year')")
    await page.wait_for_url(re.compile(r".*/targets\?period=\d{4}&metric=won$"))
    assert "$60,000.00" in await page.inner_text("main")

    await choose_language(page, "简体中文")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{stack.web_url}/targets")
    await no_sideways_scroll(page)
    assert "销售目标" in await page.inner_text("main") and "排行榜" in await page.inner_text("main")
    await screenshot(page, "phone-zh-Hans-targets")
    await page.goto(f"{stack.web_url}/targets/edit")
    await no_sideways_scroll(page)

    await page.goto(f"{stack.web_url}/todo")
    assert "寄样品给采购部" in await page.inner_text("main")
    await no_sideways_scroll(page)
    await screenshot(page, "phone-zh-Hans-my-day")
    await page.click("main .todo-done button")
    await page.wait_for_url(re.compile(r".*/todo$"))
    assert "今天没有待跟进的事项" in await page.inner_text("main")
