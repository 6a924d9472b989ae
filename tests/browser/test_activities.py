"""Activities in a real headless Chromium against the whole running product: a call is logged from the
account page in two clicks and shows on its timeline, a task is added and ticked off, and the week's calendar
lists it. Screenshots of the account page with its timeline and of the calendar (desktop and phone, English
and 简体中文) are kept in test-artifacts/."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from guanxi_dev.stack import Stack

from tests.api.test_activities import log
from tests.api.test_admin import join
from tests.api.test_customers import add_account
from tests.browser.conftest import screenshot
from tests.browser.test_account import sign_in
from tests.browser.test_customers import no_sideways_scroll
from tests.browser.test_signup_journey import choose_language, sign_up
from tests.conftest import bearer, signed_up

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
ACCOUNT = "广州白云贸易有限公司"


async def test_a_call_is_logged_from_the_account_page_and_shows_on_its_timeline(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"liu.{uuid.uuid4().hex[:8]}@example.com", "Baiyun Trading", "Liu Yang")
    await page.goto(f"{stack.web_url}/accounts/new")
    await page.fill("#field-name", ACCOUNT)
    await page.click("main button[type=submit]")
    await page.wait_for_url(re.compile(r".*/accounts/[0-9a-f-]+\?done=account-created$"))
    account_url = page.url.split("?")[0]

    # Two clicks: "Log call" opens the form in place with its subject filled in, "Save" logs it.
    opened = page.url
    await page.click("#log-panel a:has-text('Log call')")
    await page.wait_for_selector("#log-panel #field-subject")
    assert await page.input_value("#field-subject") == "Call"
    await page.fill("#field-duration_minutes", "12")
    await page.fill("#field-outcome", "Wants a quote")
    await screenshot(page, "desktop-en-account-log-call")
    await page.click("#log-panel button[type=submit]")
    await page.locator("#timeline", has_text="Logged.").wait_for()
    timeline = await page.inner_text("#timeline")
    assert "Call" in timeline and "12 min" in timeline and "Wants a quote" in timeline
    assert await page.locator("#log-panel #field-subject").count() == 0  # the bar is closed again
    assert page.url == opened  # no page load: HTMX swapped the panel

    # A task needs a due time; then it is ticked off in place.
    await page.click("#log-panel a:has-text('Add task')")
    await page.wait_for_selector("#log-panel #field-subject")
    await page.fill("#field-subject", "Send the samples")
    await page.click("#log-panel button[type=submit]")
    await page.wait_for_selector("#field-due_at-error")
    await page.fill("#field-due_at", "2030-01-02T10:00")
    await page.click("#log-panel button[type=submit]")
    task = page.locator("#timeline .timeline-item", has_text="Send the samples")
    await task.wait_for()
    assert "Due Jan 2, 2030" in await task.inner_text()
    await task.locator("button[role=checkbox]").click()
    await page.wait_for_selector("#timeline button[role=checkbox][aria-checked=true]")
    await screenshot(page, "desktop-en-account-timeline")

    await page.goto(f"{stack.web_url}/calendar?week=2030-01-02")
    week = await page.inner_text("main")
    assert "Send the samples" in week and "10:00" in week and ACCOUNT in week
    await screenshot(page, "desktop-en-calendar")

    await page.goto(account_url)
    await choose_language(page, "简体中文")
    assert "跟进记录" in await page.inner_text("#timeline")
    await page.click("#log-panel a:has-text('记录电话')")
    await page.wait_for_selector("#log-panel #field-subject")
    assert await page.input_value("#field-subject") == "电话"
    await screenshot(page, "desktop-zh-Hans-account-log-call")
    await page.set_viewport_size({"width": 390, "height": 844})
    for name, path in (("account", account_url), ("calendar", f"{stack.web_url}/calendar?week=2030-01-02")):
        await page.goto(path)
        await no_sideways_scroll(page)
        await screenshot(page, f"phone-zh-Hans-{name}")
    assert "Send the samples" in await page.inner_text("main")  # the calendar, as a list per day


async def test_a_manager_opens_a_departments_week_from_the_calendar_picker(page: Any, stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
        owner = await signed_up(client, locale="zh-Hans", name="张伟")
        rep = await join(client, owner, "sales_rep")
        sales = await client.post("/api/v1/admin/departments", json={"name": "华南销售部"}, headers=bearer(owner))
        for who in (owner, rep):
            placed = await client.patch(
                f"/api/v1/admin/members/{who['user']['id']}",
                json={"department_id": sales.json()["id"]},
                headers=bearer(owner),
            )
            assert placed.status_code == 200, placed.text
        account = await add_account(client, rep, name=ACCOUNT)
        await log(
            client, rep, kind="meeting", account_id=account["id"], subject="季度回顾", due_at="2030-01-03T06:00:00Z"
        )
        await log(client, owner, kind="task", account_id=(await add_account(client, owner, name="深圳华强电子"))["id"],
                  subject="准备报价", due_at="2030-01-02T02:00:00Z")  # fmt: skip

    await sign_in(page, stack, owner["user"]["email"], owner["password"])
    await page.wait_for_url(re.compile(r".*/home$"))
    await page.goto(f"{stack.web_url}/calendar?week=2030-01-02")
    assert "准备报价" in await page.inner_text("main") and "季度回顾" not in await page.inner_text("main")
    async with page.expect_response(re.compile(r".*/calendar\?.*who=d")):
        await page.select_option("#field-who", f"d:{sales.json()['id']}")  # HTMX loads the week on change
    await page.locator("main", has_text="季度回顾").wait_for()
    assert f"who=d%3A{sales.json()['id']}" in page.url
    week = await page.inner_text("main")
    assert "准备报价" in week and "Member sales_rep" in week and ACCOUNT in week  # whose each item is
    await screenshot(page, "desktop-zh-Hans-calendar-colleague-picker")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(page.url)
    await no_sideways_scroll(page)
    await screenshot(page, "phone-zh-Hans-calendar-colleague-picker")
