"""Two-factor sign-in in a real headless Chromium on a phone-sized screen: turn it on from Settings with a
code computed from the key the page shows, keep the recovery codes, sign out, and sign in with a code."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from typing import Any

import pyotp
import pytest
from guanxi_dev.stack import Stack

from tests.browser.conftest import screenshot
from tests.browser.test_signup_journey import PASSWORD, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


async def fresh_code(authenticator: pyotp.TOTP, spent: str) -> str:
    """A code from a time step not used yet: the API accepts each step once."""
    if authenticator.now() == spent:
        await asyncio.sleep(30 - time.time() % 30 + 0.2)
    return authenticator.now()


async def test_turn_on_two_factor_then_sign_in_with_a_code(browser: Any, stack: Stack) -> None:
    context = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = await context.new_page()
    try:
        email = f"guo.{uuid.uuid4().hex[:8]}@example.com"
        await sign_up(page, stack, email, "Pearl River Logistics", "Guo Lei")

        await page.goto(f"{stack.web_url}/w/settings/two-factor")
        await page.click("form[action='/w/settings/two-factor'] button[type=submit]")
        secret = (await page.inner_text("#two-factor-secret")).strip()
        assert (await page.get_attribute("a[href^='otpauth://']", "href") or "").startswith("otpauth://totp/")
        await screenshot(page, "phone-en-two-factor-setup")
        authenticator = pyotp.TOTP(secret)
        confirming = authenticator.now()
        await page.fill("#field-code", confirming)
        await page.click("form[action='/w/settings/two-factor/confirm'] button[type=submit]")
        codes = (await page.inner_text("#recovery-codes")).split()
        assert len(codes) == 10
        assert "Store these recovery codes now." in await page.inner_text("main")
        await screenshot(page, "phone-en-two-factor-recovery-codes")

        await page.click("details.user-menu > summary")
        await page.click("form[action='/logout'] button")
        await page.wait_for_url(re.compile(r".*/login"))
        await page.fill("#field-email", email)
        await page.fill("#field-password", PASSWORD)
        await page.click("main form[action='/login'] button[type=submit]")
        await page.wait_for_url(re.compile(r".*/login/code$"))
        assert "gx_web_session" not in {cookie["name"] for cookie in await context.cookies()}

        await page.fill("#field-code", "000000")
        await page.click("main button[type=submit]")
        assert "not right or was already used" in await page.inner_text("main")
        await screenshot(page, "phone-en-two-factor-wrong-code")

        await page.fill("#field-code", await fresh_code(authenticator, confirming))
        await page.click("main button[type=submit]")
        await page.wait_for_url(re.compile(r".*/home$"))
        assert "Pearl River Logistics" in await page.inner_text("header")
        assert "gx_web_mfa" not in {cookie["name"] for cookie in await context.cookies()}
    finally:
        await context.close()
