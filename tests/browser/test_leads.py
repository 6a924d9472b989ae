"""Leads in a real headless Chromium against the whole running product: a lead from the pool is claimed from the
list, qualified, noted and converted with a deal; an administrator builds a web form and a visitor sends it (after
the minimum fill time) and sees the thank-you text. Screenshots (desktop and phone, English and 简体中文)."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import httpx
import pytest
from guanxi_dev.stack import Stack

from tests.browser.conftest import screenshot
from tests.browser.test_customers import no_sideways_scroll
from tests.browser.test_signup_journey import choose_language, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


async def test_a_pool_lead_is_claimed_qualified_and_converted(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"lin.{uuid.uuid4().hex[:8]}@example.com", "Pearl Delta Trading", "Lin Hui")
    token = next(c["value"] for c in await page.context.cookies() if c["name"] == "gx_web_session")
    async with httpx.AsyncClient(base_url=stack.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        for body in (
            {
                "name": "张伟",
                "company": "深圳华强电子有限公司",
                "title": "采购经理",
                "source": "展会",
                "region": "华南",
                "employees": 120,
                "estimated_value": "80000",
                "phone": "+86 138 0000 1111",
                "owner_id": None,
            },
            {"name": "Maria Lopez", "company": "Acme Trading Ltd", "source": "Website", "owner_id": None},
        ):
            assert (await api.post("/api/v1/leads", json=body)).status_code == 201

    await page.goto(f"{stack.web_url}/leads?tab=pool")
    table = await page.inner_text("main table")
    assert "张伟" in table and "Acme Trading Ltd" in table
    await screenshot(page, "desktop-en-leads-pool")
    await page.locator("main tr", has_text="张伟").locator("button:has-text('Claim')").click()
    await page.wait_for_url(re.compile(r".*/leads/[0-9a-f-]+\?done=lead-claimed$"))
    await page.select_option("#field-status", "qualified")
    await page.fill("#field-qualification_note", "预算已批，Q1 采购")
    await page.click("main button:has-text('Save status')")
    await page.wait_for_url(re.compile(r".*\?done=lead-updated$"))
    await page.fill("#note-subject", "电话沟通，约下周拜访")
    await page.click("main .quick-note button[type=submit]")
    await page.wait_for_url(re.compile(r".*\?done=note-added$"))
    assert "电话沟通，约下周拜访" in await page.inner_text("main")
    await screenshot(page, "desktop-en-lead")
    lead_url = page.url.split("?")[0]
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.reload()
    await no_sideways_scroll(page)
    await screenshot(page, "phone-en-lead")
    await page.set_viewport_size({"width": 1280, "height": 800})

    await page.click("main button:has-text('Convert the lead')")
    await page.wait_for_url(re.compile(r".*/accounts/[0-9a-f-]+\?done=lead-converted$"))
    main = await page.inner_text("main")
    assert "深圳华强电子有限公司" in main and "电话沟通，约下周拜访" in main  # the lead's history came along
    await page.goto(lead_url)
    assert "Converted" in await page.inner_text("main")

    await choose_language(page, "简体中文")
    await page.goto(f"{stack.web_url}/leads?tab=all")
    assert "线索" in await page.inner_text("main")
    await screenshot(page, "desktop-zh-Hans-leads")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.reload()
    await no_sideways_scroll(page)
    await screenshot(page, "phone-zh-Hans-leads")


async def test_a_visitor_sends_the_web_form_an_administrator_built(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"wu.{uuid.uuid4().hex[:8]}@example.com", "Jade River Tea", "Wu Fang")
    await page.goto(f"{stack.web_url}/w/settings/lead-forms/new")
    await page.fill("#field-name", "Contact our sales team")
    for name in ("company", "phone"):
        await page.check(f"input[name=field][value={name}]")
    await page.fill("#field-thank_you", "Thank you! We answer within one working day.")
    await screenshot(page, "desktop-en-lead-form-builder")
    await page.click("main button:has-text('Save the form')")
    await page.wait_for_url(re.compile(r".*/w/settings/lead-forms#form-.*"))
    address = await page.input_value("main input[readonly]")
    assert "/f/" in address and "&lt;" not in await page.input_value("main textarea.embed-snippet")
    await page.click("main summary:has-text('Preview')")
    await screenshot(page, "desktop-en-lead-forms")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.reload()
    await no_sideways_scroll(page)
    await screenshot(page, "phone-en-lead-forms")
    await page.goto(f"{stack.web_url}/w/settings/lead-rules")
    await screenshot(page, "phone-en-lead-rules")

    visitor = await page.context.browser.new_context(viewport={"width": 390, "height": 700}, locale="zh-CN")
    public = await visitor.new_page()
    await public.goto(address.replace(address.split("/f/")[0], stack.web_url))
    await public.fill("#f-name", "王芳")
    await public.fill("#f-email", "wang.fang@example.cn")
    await public.fill("#f-company", "杭州云栖科技")
    await screenshot(public, "phone-zh-Hans-public-form")
    await asyncio.sleep(2.2)  # a person takes at least a couple of seconds; a faster post is refused as a bot
    await public.click("button[type=submit]")
    await public.locator("text=We answer within one working day").wait_for()
    await screenshot(public, "phone-zh-Hans-public-form-sent")
    await visitor.close()
    await page.goto(f"{stack.web_url}/leads?tab=pool")
    assert "王芳" in await page.inner_text("main")
