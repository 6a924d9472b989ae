"""Orders pages over the fake orders API: the list with its status tabs, an order's page with margin, status buttons
and a payment form whose refusal is shown by field, and receivables by customer and by rep."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.web.conftest import (  # noqa: F401 (fixtures)
    FakeApi,
    fake_api_fixture,
    post_form,
    signed_in_fixture,
    web_fixture,
)
from tests.web.fake_orders import FakeOrders


@pytest.fixture(name="orders")
def orders_fixture(fake_api: FakeApi) -> FakeOrders:
    return FakeOrders(fake_api)


def test_the_list_shows_orders_with_their_open_amount_and_filters_by_status(
    signed_in: TestClient[Any], orders: FakeOrders
) -> None:
    html = signed_in.get("/orders").text
    assert "SO-20261120-0001" in html and "深圳华强电子" in html and "SO-20261120-0002" in html
    assert 'href="/orders"' in html  # in the navigation
    shipped = signed_in.get("/orders?status=shipped").text
    assert "SO-20261120-0002" in shipped and "SO-20261120-0001" not in shipped


def test_an_order_page_shows_margin_and_records_a_payment(
    signed_in: TestClient[Any], orders: FakeOrders, fake_api: FakeApi
) -> None:
    order = orders.orders[0]
    html = signed_in.get(f"/orders/{order['id']}").text
    assert "Gross margin" in html and "43.40%" in html and "Mark shipped" in html and "Record payment" in html
    done = post_form(signed_in, f"/orders/{order['id']}/payments", {"amount": "1,000", "method": "alipay",
                                                                    "reference": "支付宝 2026"})  # fmt: skip
    assert done.status_code in (302, 303)
    sent = fake_api.calls("POST", f"/api/v1/orders/{order['id']}/payments")[-1]
    assert b'"amount":"1000"' in sent.content and b'"method":"alipay"' in sent.content
    page = signed_in.get(f"/orders/{order['id']}").text
    assert "HK-202611-0001" in page and "Alipay" in page


def test_a_payment_above_what_is_open_is_refused_by_field(signed_in: TestClient[Any], orders: FakeOrders) -> None:
    order = orders.orders[0]
    refused = post_form(signed_in, f"/orders/{order['id']}/payments", {"amount": "99999", "method": "cash"})
    assert refused.status_code == 422
    assert "Amount: is more than the order&#39;s open amount of 10600.00 CNY" in refused.text
    assert orders.payments == {}


def test_an_order_page_is_in_chinese_and_an_unknown_order_is_not_found(
    signed_in: TestClient[Any], orders: FakeOrders, fake_api: FakeApi
) -> None:
    fake_api.user["locale"] = "zh-Hans"
    html = signed_in.get(f"/orders/{orders.orders[0]['id']}").text
    assert "毛利" in html and "回款计划" in html and "登记回款" in html
    assert signed_in.get("/orders/00000000-0000-0000-0000-000000000001").status_code == 404


def test_receivables_show_ageing_by_customer_and_by_rep(signed_in: TestClient[Any], orders: FakeOrders) -> None:
    html = signed_in.get("/receivables").text
    assert "深圳华强电子" in html and "Over 90 days" in html and "4,000.00" in html
    assert "张伟" in signed_in.get("/receivables?by=rep").text


def test_a_payment_is_voided_and_an_invoice_needs_its_title(
    signed_in: TestClient[Any], orders: FakeOrders, fake_api: FakeApi
) -> None:
    order = orders.orders[0]
    post_form(signed_in, f"/orders/{order['id']}/payments", {"amount": "500", "method": "cash"})
    payment = orders.payments[order["id"]][0]
    assert "Void payment" in signed_in.get(f"/orders/{order['id']}").text
    voided = post_form(signed_in, f"/orders/{order['id']}/payments/{payment['id']}/void")
    assert voided.status_code in (302, 303) and payment["voided_at"] is not None
    refused = post_form(
        signed_in, f"/orders/{order['id']}/invoices", {"kind": "vat_normal", "title": "", "amount": "1"}
    )
    assert refused.status_code == 422 and "Invoice title: is required" in refused.text
    issued = post_form(signed_in, f"/orders/{order['id']}/invoices", {"kind": "vat_special", "title": "深圳华强电子",
                       "taxpayer_id": "91440300MA5FXXXX1A", "amount": "10,600"})  # fmt: skip
    assert issued.status_code in (302, 303)
    sent = fake_api.calls("POST", f"/api/v1/orders/{order['id']}/invoices")[-1].content.decode()
    assert '"amount":"10600"' in sent and '"kind":"vat_special"' in sent
