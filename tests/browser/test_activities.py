"""Activities in a real headless Chromium against the whole running product: a call is logged from the
account page in two clicks and shows on its timeline, a task is added and ticked off, and the week's calendar
lists it. Screenshots of the account page with its timeline and of the calendar (desktop and phone, English
and 简体中文) are kept in test-artifacts/."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from guanxi_dev.stack import Stack

from tests.browser.conftest import screenshot
from tests.browser.test_customers import no_sideways_scroll
from tests.browser.test_signup_journey import choose_language, sign_up

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
