"""Pipelines in settings, in a real headless Chromium against the whole running product: an administrator renames
a stage of the default pipeline, adds one before the won and lost stages, saves, and the deals board shows both;
the page is looked at on a desktop and on a 390 px phone. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from guanxi_dev.stack import Stack

from tests.browser.conftest import screenshot
from tests.browser.test_customers import no_sideways_scroll
from tests.browser.test_signup_journey import sign_up

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


async def test_an_admin_renames_and_adds_a_stage_and_the_board_follows(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"lin.{uuid.uuid4().hex[:8]}@example.com", "Lin Trading", "Lin Hui")
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(f"{stack.web_url}/w/settings/pipelines")
    await page.locator("main .list-title").first.click()
    await page.wait_for_url(re.compile(r".*/w/settings/pipelines/[0-9a-f-]+$"))

    await page.fill("#field-stages\\[0\\]\\.name", "初步接洽")
    await page.click("main button[value=add]")
    new_row = page.locator("input[name=stage_name][value='']")
    await new_row.wait_for()
    assert await page.input_value("#field-stages\\[0\\]\\.name") == "初步接洽"  # kept across the re-render
    await new_row.fill("Contract review")
    await screenshot(page, "desktop-en-pipeline-settings")
    await page.click("main button[value=save]")
    await page.wait_for_url(re.compile(r".*\?done=pipeline-saved$"))
    assert "The pipeline is saved" in await page.inner_text("main")

    await page.set_viewport_size({"width": 1900, "height": 900})
    await page.goto(f"{stack.web_url}/deals")
    board = await page.inner_text("main")
    assert "初步接洽" in board and "Contract review" in board
    stages = [await s.get_attribute("data-stage") for s in await page.locator("[data-stage]").all()]
    assert len(stages) >= 4

    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(page.url.replace("/deals", "/w/settings/pipelines"))
    await page.locator("main .list-title").first.click()
    await page.wait_for_url(re.compile(r".*/w/settings/pipelines/[0-9a-f-]+$"))
    await no_sideways_scroll(page)
    await screenshot(page, "phone-en-pipeline-settings")

    await page.goto(f"{stack.web_url}/w/settings/loss-reasons")
    await page.fill("#field-name", "价格太高")
    await page.click("main button:has-text('Add loss reason')")
    await page.wait_for_url(re.compile(r".*done=reason-added$"))
    assert await page.input_value("input[name=name][value='价格太高']") == "价格太高"
    await screenshot(page, "phone-en-loss-reasons")
