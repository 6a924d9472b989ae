"""A team forms, in a real headless Chromium against the whole running product: the owner invites a
colleague from Settings, the colleague joins from the mail in a second browser, the owner sees them among
the members, the colleague cannot open the administration, and a forgotten password is reset from the mail.
Screenshots of the admin pages (desktop and phone, English and 简体中文) are kept in test-artifacts/."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from typing import Any

import pytest
from guanxi_dev.mailcatcher import MailStore
from guanxi_dev.stack import Stack

from tests.browser.conftest import screenshot
from tests.browser.test_signup_journey import choose_language, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
COLLEAGUE_PASSWORD = "harbour willow copper 77"
NEW_PASSWORD = "meadow lantern quartz 19"
ADMIN_PAGES = ("members", "invitations", "departments", "tokens", "audit")


async def wait_for_link(mailbox: MailStore, recipient: str, path: str, timeout: float = 30) -> str:
    """The first link to ``path`` in a mail to ``recipient``."""
    pattern = re.compile(rf"https?://\S+{re.escape(path)}\?token=[^\s\"'<>]+")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in mailbox.all():
            if recipient in mail.recipients and (found := pattern.search(mail.text)):
                return found.group(0)
        await asyncio.sleep(0.2)
    raise AssertionError(f"no mail to {recipient} with a link to {path} within {timeout}s")


async def test_owner_invites_a_colleague_who_joins_and_resets_a_password(
    page: Any, browser: Any, stack: Stack, mailbox: MailStore
) -> None:
    suffix = uuid.uuid4().hex[:8]
    owner_email, colleague_email = f"owner.{suffix}@example.com", f"colleague.{suffix}@example.com"
    await sign_up(page, stack, owner_email, "Lotus Machinery Co", "Zhou Min")

    await page.goto(f"{stack.web_url}/w/settings/invitations")
    await page.fill("#field-email", colleague_email)
    await page.select_option("#field-role", "sales_rep")
    await page.click("form[action='/w/settings/invitations'] button[type=submit]")
    await page.wait_for_url(re.compile(r".*/w/settings/invitations\?done=invited$"))
    assert colleague_email in await page.inner_text("main")
    assert "Pending" in await page.inner_text("main")

    link = await wait_for_link(mailbox, colleague_email, "/invitations/accept")
    colleague_context = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    colleague = await colleague_context.new_page()
    try:
        await colleague.goto(link)
        card = await colleague.inner_text("main")
        assert "Lotus Machinery Co" in card and "Zhou Min" in card and "Sales representative" in card
        await screenshot(colleague, "phone-en-invitation-accept")
        await colleague.fill("#field-name", "Lin Tao")
        await colleague.fill("#field-password", COLLEAGUE_PASSWORD)
        await colleague.click("main button[type=submit]")
        await colleague.wait_for_url(re.compile(r".*/home$"))
        assert "Lotus Machinery Co" in await colleague.inner_text("header")

        await page.goto(f"{stack.web_url}/w/settings/members")
        members = await page.inner_text("main")
        assert "Lin Tao" in members and colleague_email in members and "Sales representative" in members

        # The colleague: no administration in Settings, and a clear page when trying the address anyway.
        await colleague.goto(f"{stack.web_url}/w/settings")
        assert await colleague.locator("a[href='/w/settings/members']").count() == 0
        assert await colleague.locator("a[href='/w/settings/tokens']").count() == 1
        refused = await colleague.goto(f"{stack.web_url}/w/settings/members")
        assert refused is not None and refused.status == 403
        assert "do not have access" in await colleague.inner_text("main")
        await screenshot(colleague, "phone-en-settings-no-access")

        # A forgotten password, reset from the mail.
        await colleague.click("details.user-menu > summary")
        await colleague.click("form[action='/logout'] button")
        await colleague.wait_for_url(re.compile(r".*/login"))
        await colleague.click("a[href='/password-reset']")
        await colleague.fill("#field-email", colleague_email)
        await colleague.click("main button[type=submit]")
        assert "has an account" in await colleague.inner_text("main")
        reset_link = await wait_for_link(mailbox, colleague_email, "/password-reset")
        await colleague.goto(reset_link)
        await colleague.fill("#field-password", NEW_PASSWORD)
        await colleague.click("main button[type=submit]")
        await colleague.wait_for_url(re.compile(r".*/login\?reset=done$"))
        assert "password is changed" in await colleague.inner_text("main")
        await colleague.fill("#field-email", colleague_email)
        await colleague.fill("#field-password", NEW_PASSWORD)
        await colleague.click("main button[type=submit]")
        await colleague.wait_for_url(re.compile(r".*/home$"))
    finally:
        await colleague_context.close()

    # The owner's admin pages, for the eye: desktop and phone, English and Simplified Chinese.
    member_row = page.locator("tr", has_text="Lin Tao")
    await member_row.locator("a:has-text('Edit')").click()
    await page.wait_for_url(re.compile(r".*/w/settings/members/[0-9a-f-]+$"))
    await screenshot(page, "desktop-en-settings-member")
    for slug in ADMIN_PAGES:
        await page.goto(f"{stack.web_url}/w/settings/{slug}")
        await screenshot(page, f"desktop-en-settings-{slug}")
    await page.goto(f"{stack.web_url}/w/settings/tokens")
    await page.fill("#field-name", "Nightly export")
    await page.check("input[value='customers:read']")
    await page.click("form[action='/w/settings/tokens'] button[type=submit]")
    assert await page.locator("#new-token").count() == 1
    await screenshot(page, "desktop-en-settings-token-created")
    await page.goto(f"{stack.web_url}/w/settings/tokens")
    assert "Nightly export" in await page.inner_text("main")
    assert await page.locator("#new-token").count() == 0

    await choose_language(page, "简体中文")
    for slug in ADMIN_PAGES:
        await page.goto(f"{stack.web_url}/w/settings/{slug}")
        await screenshot(page, f"desktop-zh-Hans-settings-{slug}")
    await page.set_viewport_size({"width": 390, "height": 844})
    for slug in ("members", "invitations", "tokens", "audit"):
        await page.goto(f"{stack.web_url}/w/settings/{slug}")
        await screenshot(page, f"phone-zh-Hans-settings-{slug}")
