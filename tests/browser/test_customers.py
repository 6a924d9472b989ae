"""Customers in a real headless Chromium against the whole running product: a new company adds an account
with a Chinese name (a bad email is refused under its field first) and a contact, finds the account by its
pinyin in the top bar's search box, opens it, changes two fields and reads the change in the account's
history, in English and in 简体中文. Screenshots of the lists, the record, its form, the search and a role's
field permissions (desktop and phone, English and 简体中文) are kept in test-artifacts/."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from guanxi_dev.stack import Stack

from tests.browser.conftest import screenshot
from tests.browser.test_signup_journey import choose_language, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
ACCOUNT = "深圳华强电子有限公司"


async def change_of(page: Any, field: str) -> tuple[str, str]:
    """The newest history entry's change of ``field``: (from, to)."""
    line = page.locator("#timeline .changes li", has_text=field).first
    return (await line.locator(".change-from").inner_text(), await line.locator(".change-to").inner_text())


async def no_sideways_scroll(page: Any) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    viewport = await page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url} scrolls sideways on a phone ({width} > {viewport})"


async def test_an_account_is_added_found_by_pinyin_changed_and_its_history_tells(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"chen.{uuid.uuid4().hex[:8]}@example.com", "Pearl River Trading", "Chen Jie")

    await page.click("nav a[href='/accounts']")
    await page.wait_for_url(re.compile(r".*/accounts$"))
    assert "No accounts yet" in await page.inner_text("main")
    await page.click("main .page-actions a[href='/accounts/new']")
    await page.wait_for_url(re.compile(r".*/accounts/new$"))
    await page.fill("#field-name", ACCOUNT)
    await page.select_option("#field-lifecycle_stage", "customer")
    await page.select_option("#field-heat", "warm")
    await page.fill("#field-tags", "重点客户, VIP")
    await page.fill("#field-industry", "电子元器件")
    await page.fill("#field-phone", "+86 755 8888 1234")
    await page.fill("#field-email", "sales at huaqiang")
    await page.fill("#field-city", "深圳")
    await page.fill("#field-credit_limit", "500,000")
    await page.fill("#field-payment_terms_days", "30")
    await page.click("main button[type=submit]")

    # The API's refusal, under its field, with everything typed still there.
    assert await page.locator("#field-email-error").count() == 1
    assert await page.input_value("#field-name") == ACCOUNT
    assert await page.input_value("#field-credit_limit") == "500,000"
    await screenshot(page, "desktop-en-account-form-error")
    await page.fill("#field-email", "sales@szhq-elec.example.cn")
    await page.click("main button[type=submit]")
    await page.wait_for_url(re.compile(r".*/accounts/[0-9a-f-]{36}\?done=account-created$"))
    account_url = page.url.split("?")[0]
    main = await page.inner_text("main")
    assert ACCOUNT in main and "Warm" in main and "$500,000.00" in main and "30 days" in main

    # A contact from the account's page: HTMX swaps the contacts panel, the page stays.
    panel = page.locator("#contacts-panel")
    await panel.locator("#field-name").fill("张伟")
    await panel.locator("#field-title").fill("采购经理")
    await panel.locator("#field-phone").fill("138 0013 8000")
    await panel.locator("button[type=submit]").click()
    await page.locator("#contacts-panel a", has_text="张伟").wait_for()
    assert page.url.startswith(account_url)

    # Found from the top bar by pinyin, as you type.
    await page.goto(f"{stack.web_url}/home")
    await page.locator("#global-search").press_sequentially("huaqiang", delay=40)
    hit = page.locator("#search-suggestions a.search-hit", has_text=ACCOUNT)
    await hit.wait_for()
    found = await hit.inner_text()
    assert "Account" in found and "Email" not in found and "Phone" not in found  # by its name's pinyin
    await screenshot(page, "desktop-en-search-suggestions")
    await hit.click()
    await page.wait_for_url(account_url)

    # Two fields changed; the history says who changed what from what to what.
    await page.click("main .record-actions a:has-text('Edit')")
    await page.wait_for_url(f"{account_url}/edit")
    await page.select_option("#field-heat", "hot")
    await page.fill("#field-city", "广州")
    await page.click("main button[type=submit]")
    await page.wait_for_url(f"{account_url}?done=account-saved")
    assert "Chen Jie changed this account" in await page.inner_text("#timeline")
    assert await change_of(page, "Heat") == ("Warm", "Hot")
    assert await change_of(page, "City") == ("深圳", "广州")
    await screenshot(page, "desktop-en-account")

    # The list, filtered through HTMX with the address kept in step; the contacts list.
    await page.goto(f"{stack.web_url}/accounts")
    await page.select_option("#filter-heat", "cold")
    await page.wait_for_url(re.compile(r".*/accounts\?heat=cold$"))
    assert "No accounts match" in await page.inner_text("#account-results")
    await page.select_option("#filter-heat", "hot")
    await page.wait_for_url(re.compile(r".*/accounts\?heat=hot$"))
    await page.locator("#account-results .results-total", has_text="1 account").wait_for()  # counted after the rows
    results = await page.inner_text("#account-results")
    assert ACCOUNT in results and "1 account" in results
    await screenshot(page, "desktop-en-accounts")
    await page.goto(f"{stack.web_url}/contacts")
    contacts = await page.inner_text("main")
    assert "张伟" in contacts and ACCOUNT in contacts
    await screenshot(page, "desktop-en-contacts")

    # 简体中文: the same history in Chinese, and the other pages for the eye.
    await page.goto(account_url)
    await choose_language(page, "简体中文")
    assert "Chen Jie 修改了此客户" in await page.inner_text("#timeline")
    assert await change_of(page, "客户热度") == ("温", "热")
    await screenshot(page, "desktop-zh-Hans-account")
    for name, path in (
        ("accounts", "/accounts"),
        ("contacts", "/contacts"),
        ("account-edit", f"{account_url}/edit"),
        ("search", "/search?q=huaqiang"),
        ("settings-role-fields", "/w/settings/roles/sales_rep/fields"),
    ):
        await page.goto(path if path.startswith("http") else f"{stack.web_url}{path}")
        await screenshot(page, f"desktop-zh-Hans-{name}")
    assert "字段权限" in await page.inner_text("main")

    await page.set_viewport_size({"width": 390, "height": 844})
    for name, path in (
        ("accounts", f"{stack.web_url}/accounts"),
        ("account", account_url),
        ("account-edit", f"{account_url}/edit"),
        ("contacts", f"{stack.web_url}/contacts"),
        ("search", f"{stack.web_url}/search?q=8888"),
    ):
        await page.goto(path)
        await no_sideways_scroll(page)
        await screenshot(page, f"phone-zh-Hans-{name}")
    assert ACCOUNT in await page.inner_text("main")  # found by phone digits too
