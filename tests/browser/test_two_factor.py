"""Two-factor sign-in in a real headless Chromium: on a phone-sized screen, turn it on from Settings with a
code computed from the key the page shows, keep the recovery codes, sign out, and sign in with a code; on
a desktop screen, the set-up's QR code read back from the screen is the set-up link."""

from __future__ import annotations

import asyncio
import io
import re
import time
import uuid
from typing import Any

import pyotp
import pytest
import zxingcpp
from guanxi_dev.stack import Stack
from PIL import Image

from tests.browser.conftest import screenshot
from tests.browser.test_signup_journey import PASSWORD, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


async def fresh_code(authenticator: pyotp.TOTP, spent: str) -> str:
    """A code from a time step not used yet: the API accepts each step once."""
    if authenticator.now() == spent:
        await asyncio.sleep(30 - time.time() % 30 + 0.2)
    return authenticator.now()


async def qr_code_on_screen(page: Any) -> str:
    """What a phone's camera would read from the QR code as the page shows it."""
    shot = await page.locator(".qr-frame").screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    assert [barcode.format for barcode in found] == [zxingcpp.BarcodeFormat.QRCode]
    return str(found[0].text)


async def start_set_up(page: Any, stack: Stack) -> str:
    """Open the two-factor tab (off), start the set-up; returns the set-up link the page offers."""
    await page.goto(f"{stack.web_url}/w/settings/two-factor")
    assert (await page.inner_text("#two-factor-state")).strip() == "Off"
    await page.click("form[action='/w/settings/two-factor'] button[type=submit]")
    link = await page.get_attribute("a[href^='otpauth://']", "href") or ""
    assert link.startswith("otpauth://totp/")
    assert await qr_code_on_screen(page) == link
    return link


async def test_the_set_up_shows_a_qr_code_beside_the_key_on_a_desktop(page: Any, stack: Stack) -> None:
    email = f"he.{uuid.uuid4().hex[:8]}@example.com"
    await sign_up(page, stack, email, "Jade Harbour Trading", "He Ping")

    link = await start_set_up(page, stack)

    secret = (await page.inner_text("#two-factor-secret")).strip()
    assert f"secret={secret}" in link
    qr, key = await page.locator(".qr-frame").bounding_box(), await page.locator("#two-factor-secret").bounding_box()
    assert qr["width"] == qr["height"] == 184
    assert key["x"] > qr["x"] + qr["width"]  # side by side on a wide screen
    await screenshot(page, "desktop-en-two-factor-setup")


async def test_turn_on_two_factor_then_sign_in_with_a_code(browser: Any, stack: Stack) -> None:
    context = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = await context.new_page()
    try:
        email = f"guo.{uuid.uuid4().hex[:8]}@example.com"
        await sign_up(page, stack, email, "Pearl River Logistics", "Guo Lei")

        await start_set_up(page, stack)
        secret = (await page.inner_text("#two-factor-secret")).strip()
        qr, key = (
            await page.locator(".qr-frame").bounding_box(),
            await page.locator("#two-factor-secret").bounding_box(),
        )
        assert key["y"] > qr["y"] + qr["height"]  # the key under the code on a narrow screen
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
        await screenshot(page, "phone-en-two-factor-setup")
        authenticator = pyotp.TOTP(secret)
        confirming = authenticator.now()
        await page.fill("#field-code", confirming)
        await page.click("form[action='/w/settings/two-factor/confirm'] button[type=submit]")
        codes = (await page.inner_text("#recovery-codes")).split()
        assert len(codes) == 10
        assert "Store these recovery codes now." in await page.inner_text("main")
        await screenshot(page, "phone-en-two-factor-recovery-codes")
        await page.click(".secret-card .form-actions a[href='/w/settings/two-factor']")
        assert (await page.inner_text("#two-factor-state")).strip() == "On"
        assert await page.locator("form[action='/w/settings/two-factor/disable']").count() == 1
        await screenshot(page, "phone-en-two-factor-on")

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
