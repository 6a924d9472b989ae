"""Your account, in a real headless Chromium against the whole running product: change the password from the
account page (a wrong current password first), see another browser signed out and this one stay signed in,
then sign in with the new password; connect the company's OpenID Connect provider (the loopback test
provider) and sign in with it as the same person; on a phone, the page fits the screen and switches to
简体中文 from the profile form. Screenshots (desktop and phone, English and 简体中文) are kept in
test-artifacts/."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from guanxi_dev.stack import Stack

from tests.browser.conftest import running_stack, screenshot
from tests.browser.test_signup_journey import PASSWORD, sign_up
from tests.oidc_provider import OidcProvider, TestUser

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
NEW_PASSWORD = "willow compass granite 63"


@pytest.fixture(scope="module", name="idp")
def idp_fixture() -> Iterator[OidcProvider]:
    server = OidcProvider()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(database: None, tmp_path_factory: pytest.TempPathFactory, idp: OidcProvider) -> Iterator[Stack]:
    """The product with the loopback provider configured as the company's single sign-on, "Acme SSO"."""
    provider = {
        "GUANXI_OIDC_ISSUER": idp.issuer,
        "GUANXI_OIDC_CLIENT_ID": idp.client_id,
        "GUANXI_OIDC_CLIENT_SECRET": idp.client_secret,
        "GUANXI_OIDC_NAME": "Acme SSO",
    }
    with running_stack(tmp_path_factory, provider) as running:
        idp.redirect_uris = {f"{running.web_url}/auth/oidc/callback"}
        yield running


async def sign_in(page: Any, stack: Stack, email: str, password: str) -> None:
    await page.goto(f"{stack.web_url}/login")
    await page.fill("#field-email", email)
    await page.fill("#field-password", password)
    await page.click("main form[action='/login'] button[type=submit]")


async def test_change_the_password_then_sign_in_with_the_new_one(page: Any, browser: Any, stack: Stack) -> None:
    email = f"song.{uuid.uuid4().hex[:8]}@example.com"
    await sign_up(page, stack, email, "Jade Bridge Imports", "Song Jia")
    other_context = await browser.new_context(viewport={"width": 1280, "height": 800})
    other = await other_context.new_page()
    try:
        await sign_in(other, stack, email, PASSWORD)
        await other.wait_for_url(re.compile(r".*/home$"))

        await page.click("details.user-menu > summary")
        await page.click("details.user-menu a[href='/w/settings/account']")
        await page.wait_for_url(re.compile(r".*/w/settings/account$"))
        assert (await page.inner_text(".subnav-item[aria-current='page']")).strip() == "Your account"
        assert await page.input_value("#field-name") == "Song Jia"
        await screenshot(page, "desktop-en-account")

        await page.fill("#field-current_password", "not my password at all")
        await page.fill("#field-new_password", NEW_PASSWORD)
        await page.click("form[action='/w/settings/account/password'] button[type=submit]")
        assert "This is not your current password." in await page.inner_text("#field-current_password-error")
        assert await page.input_value("#field-current_password") == ""  # typed again, never sent back
        await screenshot(page, "desktop-en-account-wrong-password")

        await page.fill("#field-current_password", PASSWORD)
        await page.fill("#field-new_password", NEW_PASSWORD)
        await page.click("form[action='/w/settings/account/password'] button[type=submit]")
        await page.wait_for_url(re.compile(r".*/w/settings/account\?done=password-changed$"))
        assert "everywhere else you were signed out" in await page.inner_text("main")
        await screenshot(page, "desktop-en-account-password-changed")

        await other.goto(f"{stack.web_url}/home")  # the other browser's session has ended
        await other.wait_for_url(re.compile(r".*/login\?next=%2Fhome$"))
        await page.goto(f"{stack.web_url}/home")  # this one has not
        await page.wait_for_url(re.compile(r".*/home$"))

        await page.click("details.user-menu > summary")
        await page.click("form[action='/logout'] button")
        await page.wait_for_url(re.compile(r".*/login"))
        await sign_in(page, stack, email, PASSWORD)
        assert "incorrect" in (await page.inner_text("main")).lower()
        await sign_in(page, stack, email, NEW_PASSWORD)
        await page.wait_for_url(re.compile(r".*/home$"))
        assert "Jade Bridge Imports" in await page.inner_text("header")
    finally:
        await other_context.close()


async def test_the_account_page_on_a_phone_in_english_and_chinese(browser: Any, stack: Stack) -> None:
    context = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = await context.new_page()
    try:
        await sign_up(page, stack, f"lin.{uuid.uuid4().hex[:8]}@example.com", "Pearl Delta Textiles", "Lin Yue")
        await page.goto(f"{stack.web_url}/w/settings/account")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
        await screenshot(page, "phone-en-account")

        await page.fill("#field-new_password", "short")
        await page.fill("#field-current_password", PASSWORD)
        await page.click("form[action='/w/settings/account/password'] button[type=submit]")
        assert "Use at least 10 characters." in await page.inner_text("#field-new_password-error")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        await page.evaluate("window.scrollTo(0, 0)")  # the whole page, not from the field it scrolled to
        await screenshot(page, "phone-en-account-password-error")

        await page.fill("#field-name", "林悦")
        await page.select_option("#field-locale", "zh-Hans")
        await page.click("form[action='/w/settings/account/profile'] button[type=submit]")
        await page.wait_for_url(re.compile(r".*/w/settings/account\?done=profile-saved$"))
        assert await page.get_attribute("html", "lang") == "zh-Hans"
        main = await page.inner_text("main")
        assert "您的个人资料已保存。" in main and "更改密码" in main and "管理双重验证登录" not in main
        assert await page.input_value("#field-name") == "林悦"
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        await screenshot(page, "phone-zh-Hans-account")
    finally:
        await context.close()


async def test_connect_the_company_provider_then_sign_in_with_it_as_the_same_person(
    page: Any, stack: Stack, idp: OidcProvider
) -> None:
    suffix = uuid.uuid4().hex[:8]
    await sign_up(page, stack, f"he.{suffix}@example.com", "Silk Road Instruments", "He Lan")
    # The provider account has another address: connecting by hand does not go by the email.
    idp.user = TestUser(email=f"lan.he.{suffix}@acme.example", email_verified=True, name="Lan He at Acme")

    await page.goto(f"{stack.web_url}/w/settings/account")
    assert "No provider is connected to your account yet." in await page.inner_text("#identities")
    await page.click("#identities form[action='/auth/oidc'] button[type=submit]")
    await page.wait_for_url(re.compile(r".*/w/settings/account\?done=identity-linked$"))

    assert "The account is connected. You can now sign in with it." in await page.inner_text("main")
    connected = await page.inner_text("#identities")
    assert "Acme SSO" in connected and idp.user.email in connected
    assert await page.locator("#identities form[action='/auth/oidc']").count() == 0  # no second "Connect"
    assert await page.text_content("details.user-menu .menu-item-title") == "He Lan"  # still the same person
    await screenshot(page, "desktop-en-account-connected")

    await page.click("details.user-menu > summary")
    await page.click("form[action='/logout'] button")
    await page.wait_for_url(re.compile(r".*/login"))
    await page.click("a[href='/auth/oidc?intent=login']")
    await page.wait_for_url(re.compile(r".*/home$"))
    assert "Silk Road Instruments" in await page.inner_text("header")
    assert await page.text_content("details.user-menu .menu-item-title") == "He Lan"

    await page.goto(f"{stack.web_url}/w/settings/account")
    await page.click("#identities form[action$='/unlink'] button[type=submit]")
    await page.wait_for_url(re.compile(r".*/w/settings/account\?done=identity-unlinked$"))
    assert "No provider is connected to your account yet." in await page.inner_text("#identities")
