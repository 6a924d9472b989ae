"""The account import in a real headless Chromium against the whole running product: a GBK-encoded CSV is
uploaded through the web (passed on to the API as multipart), its columns are matched to fields, the worker
imports it while the page follows the progress every 2 seconds, a bad row is listed as a problem, and the
import is undone. Screenshots of the mapping and the result (desktop and phone) are kept in test-artifacts/."""

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
CSV = (
    "客户名称,电话,城市,邮箱\n"
    "深圳华强电子,0755-88881234,深圳,sales@hq.example.cn\n"
    "广州白云贸易,020-12345678,广州,not an email\n"
)


async def test_a_gbk_csv_is_imported_followed_and_undone(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"wang.{uuid.uuid4().hex[:8]}@example.com", "Pearl River Imports", "Wang Fang")
    await page.goto(f"{stack.web_url}/accounts")
    await page.click("main .page-actions a[href='/accounts/import']")
    await page.wait_for_url(re.compile(r".*/accounts/import$"))
    await page.set_input_files(
        "#field-file", files=[{"name": "客户.csv", "mimeType": "text/csv", "buffer": CSV.encode("gb18030")}]
    )
    await page.click("main button[type=submit]")
    await page.wait_for_url(re.compile(r".*/accounts/import/[0-9a-f-]+$"))
    mapping = await page.inner_text("main")
    assert "Encoding:" in mapping and "深圳华强电子" in mapping
    assert await page.input_value("select[name=column_0]") == "name"
    assert await page.input_value("select[name=column_1]") == "phone"
    await screenshot(page, "desktop-en-import-mapping")

    await page.click("main button[type=submit]:has-text('Start the import')")
    await page.locator("#progress-title", has_text="Done").wait_for(timeout=30_000)
    result = await page.inner_text("#import-progress")
    assert "2 of 2 rows read" in result
    problems = await page.inner_text(".problems-table")
    assert "3" in problems and "邮箱" in problems
    await screenshot(page, "desktop-en-import-done")
    await page.goto(f"{stack.web_url}/accounts")
    assert "深圳华强电子" in await page.inner_text("main")

    await page.go_back()
    await page.click("details.confirm > summary")
    await page.click("details.confirm button[type=submit]")
    await page.wait_for_url(re.compile(r".*\?done=undo$"))
    await page.locator("#progress-title", has_text="Undone").wait_for(timeout=30_000)
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(page.url)
    await no_sideways_scroll(page)
    await screenshot(page, "phone-en-import-undone")


CONTACTS_CSV = (
    "客户名称,姓名,手机,邮箱,职位\n"
    "深圳华强电子,李娜,138 0013 8000,li.na@hq.example.cn,采购经理\n"
    "不存在的公司,王强,139 0000 0000,,\n"
)


async def upload_file(page: Any, stack: Stack, module: str, name: str, content: str) -> None:
    await page.goto(f"{stack.web_url}/accounts/import?module={module}")
    assert await page.is_checked(f"input[name=module][value={module}]")
    await page.set_input_files(
        "#field-file", files=[{"name": name, "mimeType": "text/csv", "buffer": content.encode("gb18030")}]
    )
    await page.click("main button[type=submit]")
    await page.wait_for_url(re.compile(r".*/accounts/import/[0-9a-f-]+$"))


async def test_contacts_are_imported_onto_an_account_by_its_name_in_chinese(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"li.{uuid.uuid4().hex[:8]}@example.com", "珠江进出口", "李娜")
    await choose_language(page, "简体中文")
    await upload_file(page, stack, "customers", "客户.csv", CSV)
    await page.click("main .form-actions button[type=submit]")
    await page.locator("#progress-title", has_text="已完成").wait_for(timeout=30_000)

    await page.goto(f"{stack.web_url}/accounts/import")
    await page.check("input[name=module][value=contacts]")
    await upload_file(page, stack, "contacts", "联系人.csv", CONTACTS_CSV)
    assert await page.inner_text("h1.page-title") == "导入联系人"
    assert await page.input_value("select[name=column_0]") == "account"
    assert await page.input_value("select[name=column_2]") == "phones"
    await screenshot(page, "desktop-zh-Hans-contact-import-mapping")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(page.url)
    await no_sideways_scroll(page)
    await screenshot(page, "phone-zh-Hans-contact-import-mapping")
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(page.url)

    await page.click("main .form-actions button[type=submit]")
    await page.locator("#progress-title", has_text="已完成").wait_for(timeout=30_000)
    assert "已读取 2 / 2 行" in await page.inner_text("#import-progress")
    problems = await page.inner_text(".problems-table")
    assert "3" in problems and "客户名称" in problems
    await screenshot(page, "desktop-zh-Hans-contact-import-done")
    await page.goto(f"{stack.web_url}/contacts")
    contacts = await page.inner_text("main")
    assert "李娜" in contacts and "深圳华强电子" in contacts and "王强" not in contacts
