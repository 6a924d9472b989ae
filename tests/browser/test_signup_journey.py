"""A new company's first minutes, in a real headless Chromium against the whole running product:
sign up, read the welcome mail from the local SMTP server, confirm the address, sign out, sign in,
switch language (remembered), and use it on a phone. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest
from guanxi_dev.mailcatcher import MailStore, StoredMail
from guanxi_dev.stack import Stack

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
PASSWORD = "lantern orchard velvet 42"


async def wait_for_mail(mailbox: MailStore, recipient: str, timeout: float = 30) -> StoredMail:
    import asyncio

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in mailbox.all():
            if recipient in mail.recipients:
                return mail
        await asyncio.sleep(0.2)
    raise AssertionError(f"no mail to {recipient} within {timeout}s")


async def sign_up(page: Any, stack: Stack, email: str, company: str, name: str) -> None:
    await page.goto(f"{stack.web_url}/signup")
    await page.fill("#field-company_name", company)
    await page.fill("#field-name", name)
    await page.fill("#field-email", email)
    await page.fill("#field-password", PASSWORD)
    await page.click("main button[type=submit]")
    await page.wait_for_url(re.compile(r".*/home$"))


async def choose_language(page: Any, label: str) -> None:
    """Choosing a language loads the page again; wait for that load, not for a network that is idle already."""
    await page.click("details.language-menu > summary")
    async with page.expect_navigation():
        await page.click(f"details.language-menu button.language-option:has-text('{label}')")
    await page.wait_for_load_state("networkidle")


async def test_new_company_signs_up_confirms_email_and_comes_back(page: Any, stack: Stack, mailbox: MailStore) -> None:
    email = f"founder.{uuid.uuid4().hex[:8]}@example.com"
    await sign_up(page, stack, email, "Huaqiang Trading Ltd", "Chen Jie")
    assert "Chen Jie" in await page.inner_text("main")
    assert "Huaqiang Trading Ltd" in await page.inner_text("header")
    assert "Qualification" in await page.inner_text("main")  # the workspace's own pipeline, from its schema
    await screenshot(page, "desktop-en-home-after-signup")

    welcome = await wait_for_mail(mailbox, email)
    assert "Huaqiang Trading Ltd" in welcome.text
    link = re.search(r"https?://\S+/verify\?token=\S+", welcome.text)
    assert link, welcome.text
    await page.goto(link.group(0))
    assert "confirmed" in (await page.inner_text("main")).lower()
    await screenshot(page, "desktop-en-email-confirmed")
    await page.click("main a:has-text('Go to your workspace')")
    await page.wait_for_url(re.compile(r".*/home$"))

    await page.click("details.user-menu > summary")
    await page.click("form[action='/logout'] button")
    await page.wait_for_url(re.compile(r".*/login"))
    assert "gx_web_session" not in {cookie["name"] for cookie in await page.context.cookies()}
    await page.goto(f"{stack.web_url}/home")
    await page.wait_for_url(re.compile(r".*/login"))

    await page.fill("#field-email", email)
    await page.fill("#field-password", "a wrong password here")
    await page.click("main button[type=submit]")
    assert "incorrect" in (await page.inner_text("main")).lower()
    assert await page.input_value("#field-email") == email
    assert await page.input_value("#field-password") == ""

    await page.fill("#field-password", PASSWORD)
    await page.click("main button[type=submit]")
    await page.wait_for_url(re.compile(r".*/home$"))
    checklist = await page.inner_text("main")
    assert "Chen Jie" in checklist

    await choose_language(page, "简体中文")
    assert await page.get_attribute("html", "lang") == "zh-Hans"
    assert "首页" in await page.inner_text("nav")
    await screenshot(page, "desktop-zh-Hans-home")
    await page.reload()
    assert await page.get_attribute("html", "lang") == "zh-Hans"  # remembered

    await choose_language(page, "繁體中文")
    assert await page.get_attribute("html", "lang") == "zh-Hant"
    assert "客戶" in await page.inner_text("nav")
    await screenshot(page, "desktop-zh-Hant-home")


async def test_chinese_company_signs_up_on_a_phone(browser: Any, stack: Stack, mailbox: MailStore) -> None:
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = await context.new_page()
    try:
        await page.goto(f"{stack.web_url}/signup")
        assert await page.get_attribute("html", "lang") == "zh-Hans"  # from Accept-Language
        await screenshot(page, "phone-zh-Hans-signup")
        email = f"zhang.{uuid.uuid4().hex[:8]}@example.cn"
        await page.fill("#field-company_name", "深圳市华强北电子有限公司")
        await page.fill("#field-name", "张伟")
        await page.fill("#field-email", email)
        await page.fill("#field-password", "短")
        await page.click("main button[type=submit]")
        assert await page.locator("#field-password-error").count() == 1
        await screenshot(page, "phone-zh-Hans-signup-error")
        await page.fill("#field-password", PASSWORD)
        await page.click("main button[type=submit]")
        await page.wait_for_url(re.compile(r".*/home$"))
        main = await page.inner_text("main")
        assert "张伟" in main and "初步接洽" in main
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "the page scrolls sideways on a phone"
        await screenshot(page, "phone-zh-Hans-home")
        welcome = await wait_for_mail(mailbox, email)
        assert welcome.subject.startswith("欢迎")
    finally:
        await context.close()
