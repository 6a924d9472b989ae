"""The account list in a real headless Chromium against the whole running product: the owner filters the list,
adds a custom field as a column, saves that as a view, opens it again from its tab, ticks two rows and
transfers them to a colleague with the bulk bar. Screenshots of the list with its views and bulk bar (desktop
and phone, English and 简体中文) are kept in test-artifacts/."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from guanxi_dev.mailcatcher import MailStore
from guanxi_dev.stack import Stack

from tests.browser.conftest import screenshot
from tests.browser.test_customers import no_sideways_scroll
from tests.browser.test_signup_journey import PASSWORD, choose_language, sign_up
from tests.browser.test_team import wait_for_link

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
HOT = ("深圳华强电子有限公司", "上海明辉贸易", "广州同创科技")


async def set_up_workspace(stack: Stack, mailbox: MailStore, owner_email: str) -> str:
    """Through the API, as the owner: a custom field, accounts (three hot), and a colleague who joined."""
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as api:
        login = await api.post("/api/v1/auth/login", json={"email": owner_email, "password": PASSWORD})
        owner = {"Authorization": f"Bearer {login.json()['token']}"}
        field = await api.post(
            "/api/v1/custom-fields",
            json={
                "module": "customers",
                "label": "客户等级",
                "key": "grade",
                "type": "single_select",
                "options": [{"label": "A 类", "value": "a"}, {"label": "B 类", "value": "b"}],
            },
            headers=owner,
        )
        assert field.status_code == 201, field.text
        for name, heat, grade in (*((name, "hot", "a") for name in HOT), ("北京冷门公司", "cold", "b")):
            body = {"name": name, "heat": heat, "city": "深圳", "tags": ["华南"], "custom": {"grade": grade}}
            created = await api.post("/api/v1/accounts", json=body, headers=owner)
            assert created.status_code == 201, created.text
        colleague_email = f"li.na.{uuid.uuid4().hex[:8]}@example.com"
        invited = await api.post(
            "/api/v1/admin/invitations", json={"email": colleague_email, "role": "sales_rep"}, headers=owner
        )
        assert invited.status_code == 201, invited.text
        link = await wait_for_link(mailbox, colleague_email, "/invitations/accept")
        token = link.split("token=", 1)[1]
        api.cookies.clear()  # the colleague is someone else: not the owner's browser session
        joined = await api.post(
            "/api/v1/invitations/accept", json={"token": token, "name": "李娜", "password": "harbour willow copper 77"}
        )
        assert joined.status_code in (200, 201), joined.text
    return "李娜"


async def test_a_filtered_list_is_saved_as_a_view_and_two_rows_change_owner_in_bulk(
    page: Any, browser: Any, stack: Stack, mailbox: MailStore
) -> None:
    owner_email = f"zhou.{uuid.uuid4().hex[:8]}@example.com"
    await sign_up(page, stack, owner_email, "Lotus Machinery Co", "Zhou Min")
    colleague = await set_up_workspace(stack, mailbox, owner_email)

    await page.goto(f"{stack.web_url}/accounts")
    await page.locator(".results-total", has_text="4 accounts").wait_for()  # counted after the rows
    async with page.expect_response(re.compile(r".*/accounts\?.*heat=hot.*")):
        await page.select_option("#filter-heat", "hot")
    await page.locator(".results-total", has_text="3 accounts").wait_for()
    await page.click(".filter-menu:has(input[name=col]) > summary")
    async with page.expect_response(re.compile(r".*/accounts\?.*custom\.grade.*")):
        await page.check("input[name=col][value='custom.grade']")
    await page.locator("th", has_text="客户等级").wait_for()
    assert await page.locator("td", has_text="A 类").count() == 3

    await page.click(".filter-menu:has(.more-filters) > summary")
    await page.locator("#filter-cf-grade").wait_for()
    await screenshot(page, "desktop-en-accounts-more-filters")
    await page.click(".views-menu > summary")
    await page.fill("#view-name", "热门客户")
    await screenshot(page, "desktop-en-accounts-views-menu")
    async with page.expect_navigation():
        await page.click(".views-panel form[action='/accounts/views'] button[type=submit]")
    assert re.search(r"/accounts\?view=[0-9a-f-]{36}$", page.url)
    assert await page.inner_text(".view-tab[aria-current]") == "热门客户"

    # the view opens again from its tab, with its filter and column
    await page.click(".view-tab[href='/accounts']")
    await page.locator(".results-total", has_text="4 accounts").wait_for()
    await page.click(".view-tab:has-text('热门客户')")
    await page.locator(".results-total", has_text="3 accounts").wait_for()
    assert await page.locator("th", has_text="客户等级").count() == 1
    assert await page.input_value("#filter-heat") == "hot"

    # two rows ticked: the bulk bar appears and transfers them
    assert not await page.locator("#bulk-form").is_visible()
    rows = page.locator("#account-rows tr")
    await rows.nth(0).locator("input.row-check").check()
    await rows.nth(1).locator("input.row-check").check()
    await page.locator("#bulk-form .bulk-selected", has_text="2 selected").wait_for()
    await page.select_option("#bulk-action", "change_owner")
    assert not await page.locator("#bulk-tags").is_visible()
    await page.select_option("#bulk-owner", label=colleague)
    await screenshot(page, "desktop-en-accounts-view-bulk")
    await page.click("#bulk-form button[type=submit]")
    await page.locator(".alert--success", has_text="The owner of 2 records is changed.").wait_for()
    assert await page.locator("#account-rows td", has_text=colleague).count() == 2
    assert await page.locator(".view-tab[aria-current]").inner_text() == "热门客户"

    phone_context = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = await phone_context.new_page()
    try:
        await phone.goto(f"{stack.web_url}/login")
        await phone.fill("#field-email", owner_email)
        await phone.fill("#field-password", PASSWORD)
        await phone.click("main button[type=submit]")
        await phone.wait_for_url(re.compile(r".*/home$"))
        await phone.goto(page.url)
        await phone.locator(".results-total", has_text="3 accounts").wait_for()
        await phone.locator("#account-rows tr").nth(0).locator("input.row-check").check()
        await phone.select_option("#bulk-action", "change_owner")
        await no_sideways_scroll(phone)
        await screenshot(phone, "phone-en-accounts-view-bulk")
        await choose_language(phone, "简体中文")
        await phone.locator(".results-total", has_text="共 3 个客户").wait_for()
        await phone.locator("#account-rows tr").nth(0).locator("input.row-check").check()
        await phone.select_option("#bulk-action", "change_owner")
        await no_sideways_scroll(phone)
        await screenshot(phone, "phone-zh-Hans-accounts-view-bulk")
    finally:
        await phone_context.close()

    await choose_language(page, "简体中文")
    await page.locator(".results-total", has_text="共 3 个客户").wait_for()
    await page.locator("#account-rows tr").nth(2).locator("input.row-check").check()
    await page.select_option("#bulk-action", "add_tags")
    await screenshot(page, "desktop-zh-Hans-accounts-view-bulk")
