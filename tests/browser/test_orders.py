"""Orders in a real headless Chromium against the whole running product: an order confirmed through the API is
found in the list, its page shows the lines with their margin and the payment plan, a payment is recorded with the
page's form (and one above what is open is refused by field), the order is shipped with its tracking number, and
receivables show the overdue instalment in its bucket; on a phone too. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from guanxi_dev.stack import Stack

from tests.browser.conftest import screenshot
from tests.browser.test_customers import no_sideways_scroll
from tests.browser.test_pool import add_account
from tests.browser.test_signup_journey import sign_up

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


async def test_an_order_is_paid_and_shipped_from_its_page_and_ages_in_receivables(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"lin.{uuid.uuid4().hex[:8]}@example.com", "Lin Electronics", "Lin Na")
    account = await add_account(page, stack, "深圳华强电子有限公司")
    token = next(c["value"] for c in await page.context.cookies() if c["name"] == "gx_web_session")
    async with httpx.AsyncClient(base_url=stack.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        product = await api.post("/api/v1/products", json={"name": "工业网关 GW-200", "unit": "台", "cost": "1800",
                                                           "stock": "50"})  # fmt: skip
        assert product.status_code == 201, product.text
        made = await api.post("/api/v1/orders", json={"account_id": account, "currency": "CNY", "lines": [
            {"product_id": product.json()["id"], "quantity": "4", "unit_price": "2500", "tax_rate": "13"},
            {"name": "安装调试", "quantity": "1", "unit_price": "1200"}]})  # fmt: skip
        assert made.status_code == 201, made.text
        order = made.json()
        for due, amount in (("2026-01-15", "5000"), ("2099-06-30", "7500")):
            planned = await api.post(f"/api/v1/orders/{order['id']}/instalments", json={"due_date": due,
                                     "amount": amount})  # fmt: skip
            assert planned.status_code == 201, planned.text

    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(f"{stack.web_url}/orders")
    assert order["number"] in await page.inner_text("main")
    await screenshot(page, "desktop-en-orders-list")
    await page.click(f"text={order['number']}")
    await page.wait_for_url(f"**/orders/{order['id']}")
    main = await page.inner_text("main")
    assert "Gross margin" in main and "Overdue" in main and "工业网关 GW-200" in main
    await page.fill("form[action$='/payments'] input[name=amount]", "99999")
    await page.click("button:has-text('Record payment')")
    assert "is more than" in await page.inner_text("[role=alert]")
    await page.fill("form[action$='/payments'] input[name=amount]", "2,000")
    await page.select_option("form[action$='/payments'] select[name=instalment_id]", index=1)
    await page.select_option("form[action$='/payments'] select[name=method]", "alipay")
    await page.click("button:has-text('Record payment')")
    await page.wait_for_url(f"**/orders/{order['id']}")
    assert "Alipay" in await page.inner_text("main")
    await page.fill("input[name=carrier]", "顺丰速运")
    await page.fill("input[name=tracking_number]", "SF1234567890")
    await page.click("button:has-text('Mark shipped')")
    await page.wait_for_url(f"**/orders/{order['id']}")
    main = await page.inner_text("main")
    assert "SF1234567890" in main and "Shipped" in main and "CN¥2,000.00" in main
    await screenshot(page, "desktop-en-order-page")

    await page.goto(f"{stack.web_url}/receivables")
    assert "深圳华强电子有限公司" in await page.inner_text("main")
    await screenshot(page, "desktop-en-receivables")

    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{stack.web_url}/orders/{order['id']}")
    await no_sideways_scroll(page)
    await screenshot(page, "phone-en-order-page")
    await page.goto(f"{stack.web_url}/receivables?by=rep")
    assert "Lin Na" in await page.inner_text("main")
    await screenshot(page, "phone-en-receivables")
