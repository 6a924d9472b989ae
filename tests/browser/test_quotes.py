"""Quotes and contracts in a real headless Chromium against the whole running product: a quote is made for an
account, product lines are added in the builder (the totals and the PDF preview follow through HTMX), the
quote is accepted and becomes a contract; the pages work on a phone and in Chinese. Screenshots are kept in
test-artifacts/."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from guanxi_dev.stack import Stack

from tests.browser.conftest import screenshot
from tests.browser.test_customers import no_sideways_scroll
from tests.browser.test_pool import add_account
from tests.browser.test_signup_journey import choose_language, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


async def test_a_quote_is_built_accepted_and_becomes_a_contract(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"lin.{uuid.uuid4().hex[:8]}@example.com", "Lin Automation", "Lin Tao")
    account = await add_account(page, stack, "深圳华强电子有限公司")
    token = next(c["value"] for c in await page.context.cookies() if c["name"] == "gx_web_session")
    async with httpx.AsyncClient(base_url=stack.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        gateway = await api.post("/api/v1/products", json={"name": "工业网关 GW-200", "sku": "GW-200", "unit": "台"})
        assert gateway.status_code == 201, gateway.text
        made = await api.post("/api/v1/price-lists", json={
            "name": "Standard", "currency": "USD", "is_default": True,
            "items": [{"product_id": gateway.json()["id"], "unit_price": "2600",
                       "tiers": [{"min_quantity": "10", "unit_price": "2400"}]}],
        })  # fmt: skip
        assert made.status_code == 201, made.text

    await page.set_viewport_size({"width": 1400, "height": 900})
    await page.goto(f"{stack.web_url}/quotes/new?account_id={account}")
    await page.click("main button:has-text('Make the quote')")
    await page.wait_for_url(re.compile(r".*/quotes/[0-9a-f-]+\?done=quote-created$"))
    await page.select_option("select[name='line-0-product_id']", label="工业网关 GW-200 · GW-200")
    await page.fill("input[name='line-0-quantity']", "10")
    await page.fill("input[name='line-0-tax_rate']", "13")
    await page.click("#builder button:has-text('Save and recalculate')")
    await page.locator("#quote-total:text('$27,120.00')").wait_for()  # 10 x 2400 (the tier) + 13% tax, via HTMX
    await page.click("#builder button:has-text('Add a line')")
    await page.locator("input[name='line-2-name']").wait_for()  # the redrawn builder: a kept blank row, a new one
    await page.fill("input[name='line-1-name']", "安装调试服务")
    await page.fill("input[name='line-1-unit_price']", "1500")
    await page.click("#builder button:has-text('Save and recalculate')")
    await page.locator("#quote-total:text('$28,620.00')").wait_for()
    await page.locator("#quote-amount:text('$28,620.00')").wait_for()  # the header follows (out of band)
    pdf = await page.request.get(page.url.split("?")[0] + "/pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    frame = await page.request.get(page.url.split("?")[0] + "/pdf")
    assert frame.headers["x-frame-options"] == "SAMEORIGIN"  # the preview frame may show it
    await page.wait_for_timeout(1500)  # the viewer in the frame draws the PDF
    await screenshot(page, "desktop-en-quote-builder")

    await page.fill("#field-valid_until", "2030-06-30")
    await page.fill("#field-terms", "货到付款，30 天内结清。")
    await page.click("main button:has-text('Save details')")
    await page.wait_for_url(re.compile(r".*\?done=document-saved$"))
    assert "2030" in await page.locator("main .record-header").inner_text()
    await page.click("main button[value=accept]")
    await page.wait_for_url(re.compile(r".*\?done=quote-accepted$"))
    assert "Accepted" in await page.locator("#quote-status").inner_text()
    await page.fill("#c-end", "2030-12-31")
    await page.click("main button:has-text('Make the contract')")
    await page.wait_for_url(re.compile(r".*/contracts/[0-9a-f-]+\?done=contract-created$"))
    assert "$28,620.00" in await page.locator("main").inner_text()
    await page.set_input_files("#field-file", files=[{"name": "合同扫描件.pdf", "mimeType": "application/pdf",
                                                      "buffer": b"%PDF-1.4\n" + b"0" * 64}])  # fmt: skip
    await page.click("#files button[type=submit]")
    await page.wait_for_url(re.compile(r".*/contracts/[0-9a-f-]+\?done=file-added#files$"))
    assert "合同扫描件.pdf" in await page.locator("#files").inner_text()
    contract_url = page.url.split("?")[0]
    await page.click("main button:has-text('Mark signed and active')")
    await page.click("main button:has-text('Create the order')")  # the contract's lines become the order's
    await page.wait_for_url(re.compile(r".*/orders/[0-9a-f-]+\?done=order-created$"))
    order_page = await page.locator("main").inner_text()
    assert "SO-" in order_page and "$28,620.00" in order_page
    await page.goto(contract_url)
    assert "SO-" in await page.locator("#orders-title").locator("..").inner_text()  # the contract lists its orders
    await screenshot(page, "desktop-en-contract")
    await page.locator("main a:has-text('From its quote')").click()
    await page.wait_for_url(re.compile(r".*/quotes/[0-9a-f-]+$"))
    assert "HT-" in await page.locator("#contract-title").locator("..").inner_text()  # a link, not a second one
    await page.goto(f"{stack.web_url}/quotes")
    assert "深圳华强电子有限公司" in await page.locator("main").inner_text()
    await screenshot(page, "desktop-en-quotes")

    await choose_language(page, "简体中文")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{stack.web_url}/quotes")
    await no_sideways_scroll(page)
    await screenshot(page, "phone-zh-Hans-quotes")
    await page.locator("main table a").first.click()
    await page.wait_for_url(re.compile(r".*/quotes/[0-9a-f-]+$"))
    await no_sideways_scroll(page)
    await screenshot(page, "phone-zh-Hans-quote")
    await page.goto(f"{stack.web_url}/contracts")
    await no_sideways_scroll(page)
    await screenshot(page, "phone-zh-Hans-contracts")


async def test_numbering_and_print_templates_are_set_up_in_settings(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"wu.{uuid.uuid4().hex[:8]}@example.com", "Wu Instruments", "Wu Fang")
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(f"{stack.web_url}/w/settings/numbering")
    await page.fill("#pattern-quote", "BJ-{yy}-{seq:3}")
    await page.click("form[action$='/numbering/quote'] button")
    await page.wait_for_url(re.compile(r".*\?done=numbering-saved$"))
    assert "BJ-" in await page.locator("form[action$='/numbering/quote']").inner_text()
    await page.fill("#pattern-contract", "no sequence")
    await page.click("form[action$='/numbering/contract'] button")
    await page.locator("form[action$='/numbering/contract'] .field-error").wait_for()
    await screenshot(page, "desktop-en-numbering")

    await page.goto(f"{stack.web_url}/w/settings/print-templates")
    await page.fill("#name-new", "标准模板")
    await page.select_option("#language-new", "zh-Hans")
    await page.fill("#company-new", "上海吴氏仪器有限公司")
    await page.click("form[action$='/print-templates/new'] button[type=submit]")
    await page.wait_for_url(re.compile(r".*\?done=template-saved$"))
    assert "标准模板" in await page.locator("main").inner_text()
    await choose_language(page, "繁體中文")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{stack.web_url}/w/settings/print-templates")
    await no_sideways_scroll(page)
    await screenshot(page, "phone-zh-Hant-print-templates")
    await page.goto(f"{stack.web_url}/w/settings/numbering")
    await no_sideways_scroll(page)
    await screenshot(page, "phone-zh-Hant-numbering")
