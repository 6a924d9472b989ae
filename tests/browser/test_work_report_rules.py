"""Work report rules and the Not submitted tab in a real headless Chromium: the owner adds a daily rule in the
settings, edits it, sees themselves among those who have not submitted, writes the report and is gone from the
list. Desktop and phone, English and 简体中文; screenshots are kept in test-artifacts/."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from guanxi_dev.stack import Stack

from tests.browser.conftest import screenshot
from tests.browser.test_customers import no_sideways_scroll
from tests.browser.test_signup_journey import choose_language, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


async def test_an_admin_sets_a_rule_and_sees_who_has_not_submitted(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"lin.{uuid.uuid4().hex[:8]}@example.com", "Lin Trading", "Lin Hui")
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(f"{stack.web_url}/w/settings/work-report-rules")
    assert "No rules yet" in await page.inner_text("main")
    await page.fill("#field-name", "Daily report 日报")
    await page.check("input[name='weekdays'][value='sat']")
    await page.check("input[name='weekdays'][value='sun']")
    await page.fill("#field-deadline", "17:30")
    await page.fill("#field-remind_minutes", "45")
    await page.click("main button:has-text('Add rule')")
    await page.wait_for_url(re.compile(r".*done=rule-added$"))
    listed = await page.inner_text("main")
    assert "Daily report 日报" in listed and "by 17:30" in listed and "reminded 45 minutes before" in listed
    assert "Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday" in listed
    await screenshot(page, "desktop-en-work-report-rules")

    await page.click("main a:has-text('Edit')")
    await page.wait_for_url(re.compile(r".*/w/settings/work-report-rules/[0-9a-f-]+$"))
    await page.uncheck("input[name='weekdays'][value='sun']")
    await page.click("main button:has-text('Save rule')")
    await page.wait_for_url(re.compile(r".*done=rule-saved$"))
    assert "Friday, Saturday" in await page.inner_text("main") and "Sunday" not in await page.inner_text("main ul")

    today = dt.date.today()
    await page.goto(f"{stack.web_url}/work-reports/missing?kind=daily&date={today.isoformat()}")
    shown = await page.inner_text("main")
    if today.weekday() == 6:  # the rule no longer asks for Sunday
        assert "Nobody you can see is asked" in shown
    else:
        assert "Lin Hui" in shown and "0 of 1 asked have submitted." in shown
        await page.click("nav a:has-text('Daily')")
        await page.fill("#field-summary", "拜访了两家客户")
        await page.click("main button:has-text('Submit')")
        await page.wait_for_url(re.compile(r".*done=submitted$"))
        await page.click("nav a:has-text('Not submitted')")
        await page.wait_for_url(re.compile(r".*/work-reports/missing\?kind=daily$"))
        assert "Everyone asked has submitted." in await page.inner_text("main")
    await screenshot(page, "desktop-en-work-reports-missing")

    await page.set_viewport_size({"width": 390, "height": 844})
    await choose_language(page, "简体中文")
    await page.goto(f"{stack.web_url}/w/settings/work-report-rules")
    assert "工作报告规则" in await page.inner_text("main") and "星期一" in await page.inner_text("main")
    await no_sideways_scroll(page)
    await screenshot(page, "phone-zh-work-report-rules")
    await page.goto(f"{stack.web_url}/work-reports/missing")
    assert "未提交" in await page.inner_text("main")
    await no_sideways_scroll(page)
    await screenshot(page, "phone-zh-work-reports-missing")
