"""Reports in a real headless Chromium: orders in, a builder report saved and shared through the API, then the
sales report by rep with its chart and table, a CSV download, and the saved report; on a phone in Chinese it fits
the screen. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from guanxi_dev.stack import Stack

from tests.browser.conftest import screenshot
from tests.browser.test_customers import no_sideways_scroll
from tests.browser.test_pool import add_account
from tests.browser.test_signup_journey import choose_language, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


async def test_a_report_is_built_saved_charted_and_downloaded(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"wu.{uuid.uuid4().hex[:8]}@example.com", "Wu Fasteners", "Wu Fang")
    account = await add_account(page, stack, "宁波紧固件厂")
    token = next(c["value"] for c in await page.context.cookies() if c["name"] == "gx_web_session")
    async with httpx.AsyncClient(base_url=stack.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        for quantity in ("10", "25"):
            line = {"name": "螺栓 M8", "quantity": quantity, "unit_price": "200"}
            made = await api.post("/api/v1/orders", json={"account_id": account, "lines": [line]})
            assert made.status_code == 201, made.text
        definition = {"entity": "order_lines", "group_by": [{"field": "product"}],
                      "measures": [{"fn": "sum", "field": "quantity"}, {"fn": "sum", "field": "net_amount"}],
                      "chart": "bar"}  # fmt: skip
        saved = await api.post("/api/v1/reports/saved", json={"name": "产品销量", "definition": definition,
                                                              "shared_with": "everyone"})  # fmt: skip
        assert saved.status_code == 201, saved.text

    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.click("nav a[href='/reports']")
    await page.wait_for_url(re.compile(r".*/reports$"))
    assert "产品销量" in await page.inner_text("main")
    await screenshot(page, "desktop-en-reports")
    await page.click("main a[href='/reports/r/sales']")
    await page.select_option("select[name='by']", "rep")
    await page.click("main button:has-text('Show')")
    await page.wait_for_url(re.compile(r".*/reports/r/sales\?.*by=rep.*"))
    assert await page.locator("svg.chart rect.chart-bar").count() == 1
    table = await page.inner_text("main table")
    assert "Wu Fang" in table and "7,000.00" not in table and "7000.00" in table
    await screenshot(page, "desktop-en-report-sales")
    async with page.expect_download() as downloading:
        await page.click("main a:has-text('CSV')")
    download = await downloading.value
    content = await asyncio.to_thread(Path(await download.path()).read_bytes)
    assert "Wu Fang,USD,2,7000.00" in content.decode("utf-8-sig")
    await page.goto(f"{stack.web_url}/reports/saved/{saved.json()['id']}")
    assert "螺栓 M8" in await page.inner_text("main table") and "35.000" in await page.inner_text("main table")

    await choose_language(page, "简体中文")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{stack.web_url}/reports/r/sales?by=rep")
    await no_sideways_scroll(page)
    assert "按期间、销售、产品或地区的销售额" in await page.inner_text("main")
    await screenshot(page, "phone-zh-Hans-report-sales")
    await page.goto(f"{stack.web_url}/reports")
    await no_sideways_scroll(page)
    await screenshot(page, "phone-zh-Hans-reports")


async def redrawn(page: Any, name: str, value: str) -> None:
    """Choosing an entity, a filter's field or condition, or a group redraws the builder's form through HTMX (a
    choice already made changes nothing, so nothing is redrawn). The earlier redraw must have settled first: a change
    made while HTMX is still swapping the form is not sent."""
    await page.locator(".htmx-request, .htmx-swapping, .htmx-settling").first.wait_for(state="detached")
    if await page.locator(f"select[name='{name}']").input_value() == value:
        return
    async with page.expect_response(lambda r: r.url.endswith("/reports/builder") and r.request.method == "POST"):
        await page.select_option(f"select[name='{name}']", value)
    await page.wait_for_selector(f"select[name='{name}'] option[value='{value}'][selected]", state="attached")


async def test_a_report_is_built_run_as_a_pie_saved_and_scheduled_in_the_page(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"he.{uuid.uuid4().hex[:8]}@example.com", "He Valves", "He Ming")
    account = await add_account(page, stack, "温州阀门厂")
    token = next(c["value"] for c in await page.context.cookies() if c["name"] == "gx_web_session")
    async with httpx.AsyncClient(base_url=stack.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        for name, quantity in (("闸阀 DN50", "10"), ("球阀 DN25", "30"), ("止回阀", "5")):
            line = {"name": name, "quantity": quantity, "unit_price": "100"}
            made = await api.post("/api/v1/orders", json={"account_id": account, "lines": [line]})
            assert made.status_code == 201, made.text

    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(f"{stack.web_url}/reports")
    await page.click("main a[href='/reports/builder']")
    await page.wait_for_url(re.compile(r".*/reports/builder$"))
    await redrawn(page, "entity", "order_lines")
    await redrawn(page, "g0_field", "product")
    await redrawn(page, "f0_field", "order_date")
    assert await page.locator("input[name='f0_value'][type='date']").count() == 1  # a date field: a date input
    await redrawn(page, "f0_op", "ge")
    await page.select_option("select[name='m0_fn']", "sum")
    await page.select_option("select[name='m0_field']", "quantity")
    await page.fill("input[name='f0_value']", "2020-01-01")
    await page.select_option("select[name='chart']", "pie")
    await page.click("main button[value='run']")
    await page.wait_for_selector("svg.chart--pie path.chart-slice")
    assert await page.locator("svg.chart--pie path.chart-slice").count() == 3
    legend = await page.inner_text("ul.chart-legend")
    assert "球阀 DN25" in legend and "66.7%" in legend
    assert "球阀 DN25" in await page.inner_text("#builder table")
    await screenshot(page, "desktop-en-report-builder")

    await page.click("details.builder-save > summary")
    await page.fill("input[name='name']", "阀门销量")
    await page.check("input[name='shared_with'][value='everyone']")
    await page.click("main button[value='save']")
    await page.wait_for_url(re.compile(r".*/reports/saved/[0-9a-f-]+\?done=report-saved"))
    assert "The report is saved." in await page.inner_text("main")
    assert await page.locator("svg.chart--pie path.chart-slice").count() == 3

    await page.select_option("select[name='frequency']", "weekly")
    await page.select_option("select[name='weekday']", "4")
    await page.select_option("select[name='hour']", "18")
    await page.select_option("select[name='timezone']", "Asia/Shanghai")
    await page.check("input[name='formats'][value='pdf']")
    await page.click("form.schedule-form button[type='submit']")
    await page.wait_for_url(re.compile(r".*done=schedule-saved"))
    schedules = await page.inner_text("ul.schedule-list")
    assert "Every Friday" in schedules and "18:00" in schedules and "He Ming (Asia/Shanghai)" in schedules
    await screenshot(page, "desktop-en-saved-report-schedules")

    await page.goto(f"{stack.web_url}/reports/r/grade_distribution")
    assert "Customer grades" in await page.inner_text("main h1")
    await choose_language(page, "简体中文")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{stack.web_url}/reports/builder")
    await no_sideways_scroll(page)
    assert "报表设计器" in await page.inner_text("main")
    await screenshot(page, "phone-zh-Hans-report-builder")
    await page.goto(f"{stack.web_url}/reports")
    await page.click("main a.report-link:has-text('阀门销量')")
    await page.wait_for_selector("svg.chart--pie")
    await no_sideways_scroll(page)
    await screenshot(page, "phone-zh-Hans-saved-report-pie")
    await page.goto(f"{stack.web_url}/reports/r/churn?by=stage")
    await no_sideways_scroll(page)
    await screenshot(page, "phone-zh-Hans-report-churn")
