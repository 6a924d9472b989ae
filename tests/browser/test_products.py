"""Products and price lists in a real headless Chromium: an administrator adds a product (a cost that is not a
number is marked at its field first), makes a price list with a volume price, and the price check applies it; on a
phone in Chinese the pages fit the screen. Screenshots are kept in test-artifacts/."""

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


async def test_a_product_and_a_price_list_with_a_volume_price(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"zhou.{uuid.uuid4().hex[:8]}@example.com", "Zhou Automation", "Zhou Min")
    await page.set_viewport_size({"width": 1280, "height": 900})

    await page.click("nav a[href='/products']")
    await page.wait_for_url(re.compile(r".*/products$"))
    assert "No products yet" in await page.inner_text("main")
    await page.click("main a[href='/products/new']")
    await page.fill("#field-name", "工业网关 G200")
    await page.fill("#field-sku", "GW-200")
    await page.fill("#field-unit", "台")
    await page.fill("#field-cost", "lots")
    await page.fill("#field-stock", "25")
    await page.click("main button:has-text('Add product')")
    assert "Enter a number" in await page.inner_text("#field-cost-error")
    await page.fill("#field-cost", "1,800")
    await screenshot(page, "desktop-en-product-form")
    await page.click("main button:has-text('Add product')")
    await page.wait_for_url(re.compile(r".*/products/[0-9a-f-]+\?done=created$"))
    await page.goto(f"{stack.web_url}/products")
    main = await page.inner_text("main")
    assert "工业网关 G200" in main and "GW-200" in main and "$1,800.00" in main
    await screenshot(page, "desktop-en-products")

    await page.click("main nav.tabs a[href='/products/price-lists']")
    await page.click("main a[href='/products/price-lists/new']")
    await page.fill("#field-name", "Dealer prices")
    await page.click("main button:has-text('Add a product')")
    await page.select_option("select[name='item_product']", label="工业网关 G200")
    await page.fill("input[name='item_price']", "2680")
    await page.fill("input[name='tier_min_0']", "10")
    await page.fill("input[name='tier_price_0']", "2480")
    await page.click("main button:has-text('Add a product')")  # the row keeps what was typed, with a new blank pair
    await page.locator("input[name='tier_min_0']").nth(1).fill("5")
    await page.locator("input[name='tier_price_0']").nth(1).fill("2400")
    await page.click("main button[aria-label='Remove Row 2']")
    await page.click("main .form-actions button:has-text('Save price list')")
    cell = page.locator("td.price-tiers .tier.field--invalid")
    assert "above the volume price before it" in await cell.inner_text()  # the API's items[0].tiers[1], at its pair
    assert await cell.locator("input").first.get_attribute("id") == "field-items[0].tiers[1].min_quantity"
    await page.locator("input[name='tier_min_0']").nth(1).fill("")
    await page.locator("input[name='tier_price_0']").nth(1).fill("")
    await page.click("main .form-actions button:has-text('Save price list')")
    await page.wait_for_url(re.compile(r".*/products/price-lists/[0-9a-f-]+\?done=list-created$"))
    assert await page.locator("input[name='tier_min_0']").first.input_value() == "10"

    await page.fill("#check-quantity", "12")
    await page.click("main button:has-text('Check the price')")
    result = await page.inner_text("#price-check-result")
    assert "$2,480.00" in result and "$29,760.00" in result
    await screenshot(page, "desktop-en-price-list")
    await page.goto(f"{stack.web_url}/products/price-lists")
    assert "Dealer prices" in await page.inner_text("main")
    await screenshot(page, "desktop-en-price-lists")

    await choose_language(page, "简体中文")
    await page.set_viewport_size({"width": 390, "height": 844})
    pages = (("/products", "products"), ("/products/new", "product-form"), ("/products/price-lists", "price-lists"))
    for path, name in pages:
        await page.goto(f"{stack.web_url}{path}")
        await no_sideways_scroll(page)
        await screenshot(page, f"phone-zh-Hans-{name}")
    await page.goto(f"{stack.web_url}/products/price-lists")
    await page.click("main a.record-link")
    await page.wait_for_url(re.compile(r".*/products/price-lists/[0-9a-f-]+$"))
    await page.locator("#price-check-title").wait_for()
    await no_sideways_scroll(page)
    assert "价格核算" in await page.inner_text("main")
    await screenshot(page, "phone-zh-Hans-price-list")
