"""Work reports and the notification centre in a real headless Chromium: the owner writes today's report (their
figures shown), a colleague comments on it and the owner's bell shows it; the owner reads the colleague's report
and comments; an announcement is published and read. Desktop and phone, English and 简体中文; screenshots are
kept in test-artifacts/."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import httpx
import pytest
from guanxi_dev.stack import Stack

from tests.api.test_admin import join
from tests.browser.conftest import screenshot
from tests.browser.test_customers import no_sideways_scroll
from tests.browser.test_signup_journey import choose_language, sign_up
from tests.conftest import bearer

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


async def test_a_daily_report_is_written_commented_and_the_bell_shows_it(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"zhou.{uuid.uuid4().hex[:8]}@example.com", "Zhou Trading", "Zhou Min")
    token = next(c["value"] for c in await page.context.cookies() if c["name"] == "gx_web_session")
    async with httpx.AsyncClient(base_url=stack.api_url) as api:
        me = (await api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).json()
        owner = {"token": token, "workspace": me["workspace"], "user": me["user"]}
        rep = await join(api, owner, "admin")  # a colleague whose scope reaches the owner's reports
        account = await api.post("/api/v1/accounts", json={"name": "宁波港联"}, headers=bearer(owner))
        assert account.status_code == 201, account.text
        call = {"kind": "call", "account_id": account.json()["id"], "subject": "回电",
                "occurred_at": dt.datetime.now(dt.UTC).isoformat()}  # fmt: skip
        assert (await api.post("/api/v1/activities", json=call, headers=bearer(owner))).status_code == 201
        theirs = {"kind": "daily", "date": dt.date.today().isoformat(), "summary": "拜访了三家客户\n明天报价"}
        assert (await api.put("/api/v1/work-reports", json=theirs, headers=bearer(rep))).status_code == 200

    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.click("nav a[href='/work-reports']")
    await page.wait_for_url(re.compile(r".*/work-reports$"))
    assert "1" in await page.inner_text(".figure:has-text('Calls') dd")
    await page.fill("#field-summary", "Called 宁波港联 about the order 🚢")
    await page.fill("#field-plans", "Send the quote tomorrow")
    await page.click("main button:has-text('Submit')")
    await page.wait_for_url(re.compile(r".*done=submitted$"))
    assert "Your report is submitted." in await page.inner_text("main")
    await screenshot(page, "desktop-en-work-reports")

    # The owner reads the colleague's report and comments.
    await page.click("main a:has-text('Member admin')")
    await page.wait_for_url(re.compile(r".*/work-reports/[0-9a-f-]+$"))
    assert "拜访了三家客户" in await page.inner_text("main")
    await page.fill("#field-body", "很好，报价发我看看 👍")
    await page.click("main button:has-text('Add comment')")
    await page.wait_for_url(re.compile(r".*done=commented$"))
    assert "很好，报价发我看看 👍" in await page.inner_text("main")
    await screenshot(page, "desktop-en-work-report")

    # The colleague comments on the owner's report: the owner's bell counts it.
    async with httpx.AsyncClient(base_url=stack.api_url) as api:
        mine = (await api.get("/api/v1/work-reports?author_id=" + owner["user"]["id"], headers=bearer(owner))).json()
        [report] = mine["items"]
        commented = await api.post(
            f"/api/v1/work-reports/{report['id']}/comments", json={"body": "Good, copy me on the quote"},
            headers=bearer(rep),
        )  # fmt: skip
        assert commented.status_code == 201, commented.text
        made = await api.post(
            "/api/v1/announcements", json={"title": "年终总结会", "body": "周五 15:00", "pinned": True},
            headers=bearer(owner),
        )  # fmt: skip
        assert made.status_code == 201, made.text
        rep_notes = (await api.get("/api/v1/notifications", headers=bearer(rep))).json()["items"]
        assert [n["kind"] for n in rep_notes] == ["announcement", "work_report.comment"]

    await page.goto(f"{stack.web_url}/home")
    bell = page.locator(".bell-count")
    await bell.wait_for()
    assert await bell.inner_text() == "1"
    await page.click("a.bell")
    await page.wait_for_url(re.compile(r".*/notifications$"))
    assert "commented on your daily report" in await page.inner_text("main")
    await screenshot(page, "desktop-en-notifications")
    await page.goto(f"{stack.web_url}/announcements")
    assert "年终总结会" in await page.inner_text("main")
    await screenshot(page, "desktop-en-announcements")

    await page.set_viewport_size({"width": 390, "height": 844})
    await choose_language(page, "简体中文")
    await page.goto(f"{stack.web_url}/work-reports")
    assert "工作报告" in await page.inner_text("main")
    await no_sideways_scroll(page)
    await screenshot(page, "phone-zh-work-reports")
    await page.goto(f"{stack.web_url}/notifications")
    await no_sideways_scroll(page)
    await screenshot(page, "phone-zh-notifications")
    await page.goto(f"{stack.web_url}/notifications/preferences")
    await no_sideways_scroll(page)
    await screenshot(page, "phone-zh-notification-preferences")
