"""Products and price lists pages over the fake products API: the catalogue, the product form, read-only for reps,
price-list rows with volume tiers and the API's errors at their cell."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.web.conftest import (  # noqa: F401 (fixtures)
    FakeApi,
    csrf,
    fake_api_fixture,
    post_form,
    signed_in_fixture,
    web_fixture,
)
from tests.web.fake_products import FakeProducts
from tests.web.test_sales_settings import post_rows as post_fields


@pytest.fixture(name="catalogue")
def catalogue_fixture(fake_api: FakeApi) -> FakeProducts:
    return FakeProducts(fake_api)


def price_list_fields(catalogue: FakeProducts, **changes: Any) -> dict[str, Any]:
    gateway, kit = catalogue.products[0]["id"], catalogue.products[1]["id"]
    fields: dict[str, Any] = {
        "name": "经销商价",
        "currency": "CNY",
        "active": "on",
        "item_product": [gateway, kit],
        "item_price": ["2680", "450"],
        "tier_min_0": ["10", ""],
        "tier_price_0": ["2480", ""],
        "tier_min_1": [""],
        "tier_price_1": [""],
        "action": "save",
    }
    fields.update(changes)
    return fields


def test_the_catalogue_lists_products_with_costs_for_those_who_may_change_it(
    signed_in: TestClient[Any], catalogue: FakeProducts
) -> None:
    html = signed_in.get("/products").text

    assert "工业网关 G200" in html and "GW-200" in html and "套" in html
    assert "1,800.00" in html  # the cost column
    assert 'href="/products/new"' in html
    assert 'href="/products"' in html and "aria-current" in html  # the sidebar section


def test_search_and_the_active_filter_are_sent_to_the_api(
    signed_in: TestClient[Any], catalogue: FakeProducts, fake_api: FakeApi
) -> None:
    catalogue.add_product("旧款网关 G100", "GW-100", "台", active=False)

    html = signed_in.get("/products?q=gw&active=false").text

    assert "旧款网关 G100" in html and "工业网关 G200" not in html
    sent = fake_api.calls("GET", "/api/v1/products")[-1].url.params
    assert sent["q"] == "gw" and sent["active"] == "false"
    rows = signed_in.get("/products?q=gw", headers={"hx-request": "true", "hx-target": "product-rows"}).text
    assert "<header" not in rows and "工业网关 G200" in rows and "旧款网关 G100" in rows


def test_next_page_link_carries_the_cursor(signed_in: TestClient[Any], catalogue: FakeProducts) -> None:
    for number in range(55):
        catalogue.add_product(f"配件 {number:02d}", f"P-{number:02d}")

    first = signed_in.get("/products").text
    assert first.count('class="record-link"') == 50
    link = first.split('href="/products?cursor=')[1].split('"')[0].replace("&amp;", "&")

    second = signed_in.get("/products?cursor=" + link).text
    assert second.count('class="record-link"') == 8 and "配件 54" in second and "First page" in second


def test_a_rep_sees_the_catalogue_read_only_without_costs_or_buttons(
    signed_in: TestClient[Any], catalogue: FakeProducts
) -> None:
    catalogue.may_change = False

    html = signed_in.get("/products").text
    assert "工业网关 G200" in html and "1,800.00" not in html and "Cost" not in html
    assert 'href="/products/new"' not in html

    product = signed_in.get(f"/products/{catalogue.products[0]['id']}").text
    assert "GW-200" in product and "<form" not in product.split('class="page-title"')[1].split("</main>")[0]
    assert signed_in.get("/products/new", follow_redirects=False).status_code in (302, 303)
    lists = signed_in.get("/products/price-lists").text
    assert 'href="/products/price-lists/new"' not in lists


def test_a_rep_posting_anyway_is_refused_by_the_api(signed_in: TestClient[Any], catalogue: FakeProducts) -> None:
    catalogue.may_change = False

    response = post_fields(signed_in, "/products/new", {"name": "私自添加", "stock": "1"})

    assert response.status_code == 403
    assert [p["name"] for p in catalogue.products].count("私自添加") == 0


def test_adding_a_product_sends_its_fields_and_opens_it(
    signed_in: TestClient[Any], catalogue: FakeProducts, fake_api: FakeApi
) -> None:
    fields = {"name": " 边缘服务器 E1 ", "sku": "ES-1", "unit": "台", "cost": "12,800.50", "stock": "3",
              "description": "含三年保修", "active": "on"}  # fmt: skip
    response = post_fields(signed_in, "/products/new", fields)

    assert response.status_code == 303
    body = json.loads(fake_api.calls("POST", "/api/v1/products")[-1].content)
    assert body == {"name": "边缘服务器 E1", "sku": "ES-1", "unit": "台", "description": "含三年保修",
                    "cost": "12800.50", "stock": "3", "active": True}  # fmt: skip
    page = signed_in.get(response.headers["location"]).text
    assert "The product is added." in page and 'value="12800.5"' in page


def test_form_errors_are_shown_at_their_field(signed_in: TestClient[Any], catalogue: FakeProducts) -> None:
    not_numbers = post_fields(signed_in, "/products/new", {"name": "网关", "cost": "很多", "stock": "abc"})
    assert not_numbers.status_code == 422
    for name in ("cost", "stock"):
        error = not_numbers.text.split(f'id="field-{name}-error"')[1].split("</p>")[0]
        assert "Enter a number, like 1280 or 12.5." in error
    assert 'value="很多"' in not_numbers.text

    refused = post_fields(signed_in, "/products/new", {"name": "", "cost": "-5"})
    assert refused.status_code == 422
    html = refused.text
    assert 'id="field-name-error"' in html and "This field is required." in html
    assert 'id="field-cost-error"' in html and "Must not be negative" in html

    taken = post_fields(signed_in, "/products/new", {"name": "网关二代", "sku": "GW-200"})
    assert taken.status_code == 409
    assert 'id="field-sku-error"' in taken.text and "Another product already has this SKU." in taken.text


def test_editing_and_deleting_a_product(signed_in: TestClient[Any], catalogue: FakeProducts) -> None:
    product = catalogue.products[0]
    page = signed_in.get(f"/products/{product['id']}").text
    assert 'value="GW-200"' in page and "Yes, delete" in page and 'name="active" checked' in page

    saved = post_fields(signed_in, f"/products/{product['id']}", {"name": product["name"], "stock": "30"})
    assert saved.status_code == 303 and product["stock"] == "30" and product["active"] is False

    deleted = post_form(signed_in, f"/products/{product['id']}/delete")
    assert deleted.status_code == 303 and deleted.headers["location"] == "/products?done=deleted"
    assert product not in catalogue.products


def test_price_lists_show_currency_default_and_product_count(
    signed_in: TestClient[Any], catalogue: FakeProducts
) -> None:
    item = {
        "product_id": catalogue.products[0]["id"],
        "product_name": "工业网关 G200",
        "unit_price": "2680",
        "tiers": [],
    }
    catalogue.add_price_list("标准价", "CNY", [item])

    html = signed_in.get("/products/price-lists").text

    assert "标准价" in html and "CNY" in html and "Default" in html
    assert '<td class="cell-number" data-label="Products">1</td>' in html


def test_rows_are_added_and_removed_without_saving(
    signed_in: TestClient[Any], catalogue: FakeProducts, fake_api: FakeApi
) -> None:
    added = post_fields(signed_in, "/products/price-lists/new", price_list_fields(catalogue, action="add"))
    assert added.status_code == 200
    assert added.text.count('name="item_product"') == 3
    assert 'name="tier_min_0" value="10"' in added.text  # what was typed stays

    removed = post_fields(signed_in, "/products/price-lists/new", price_list_fields(catalogue, action="remove:0"))
    assert removed.text.count('name="item_product"') == 1
    assert 'value="450"' in removed.text and 'value="2680"' not in removed.text
    assert not fake_api.calls("POST", "/api/v1/price-lists")[1:] or all(
        json.loads(r.content)["name"] == "" for r in fake_api.calls("POST", "/api/v1/price-lists")
    )  # only the permission probe, never a save
    assert catalogue.price_lists == []


def test_saving_a_price_list_sends_rows_and_tiers_without_blank_pairs(
    signed_in: TestClient[Any], catalogue: FakeProducts, fake_api: FakeApi
) -> None:
    response = post_fields(signed_in, "/products/price-lists/new", price_list_fields(catalogue))

    assert response.status_code == 303
    saved = catalogue.price_lists[0]
    assert saved["name"] == "经销商价"
    assert saved["items"][0]["tiers"] == [{"min_quantity": "10", "unit_price": "2480"}]
    assert saved["items"][1]["tiers"] == []
    page = signed_in.get(response.headers["location"]).text
    assert "The price list is created." in page and 'name="tier_min_0" value="10"' in page


def test_api_errors_are_shown_at_their_cell(signed_in: TestClient[Any], catalogue: FakeProducts) -> None:
    # The second tier quantity is not above the first; blank pairs are dropped, so the API's tiers[1] is row 0's
    # third shown pair and must be marked there.
    fields = price_list_fields(
        catalogue,
        currency="元",
        tier_min_0=["10", "", "5"],
        tier_price_0=["2480", "", "2400"],
        item_price=["2680", "-1"],
    )
    response = post_fields(signed_in, "/products/price-lists/new", fields)

    assert response.status_code == 422
    html = response.text
    tier_cell = html.split('id="field-items[0].tiers[2].min_quantity"')[1].split("</div>")[0]
    assert "Use a quantity above the volume price before it." in tier_cell
    price_cell = html.split('id="field-items[1].unit_price"')[1].split("</td>")[0]
    assert "Must not be negative" in price_cell
    assert 'id="field-currency-error"' in html
    assert catalogue.price_lists == []


def test_cells_that_are_not_numbers_are_marked_without_asking_the_api(
    signed_in: TestClient[Any], catalogue: FakeProducts, fake_api: FakeApi
) -> None:
    fields = price_list_fields(catalogue, item_product=[catalogue.products[0]["id"], ""], tier_min_0=["十", ""])
    response = post_fields(signed_in, "/products/price-lists/new", fields)

    assert response.status_code == 422
    html = response.text
    assert "Enter a quantity." in html.split('id="field-items[0].tiers[0].min_quantity"')[1].split("</div>")[0]
    assert "Choose a product, or remove the row." in html.split('id="field-items[1].product_id"')[1].split("</td>")[0]
    assert all(json.loads(r.content)["name"] == "" for r in fake_api.calls("POST", "/api/v1/price-lists"))


def test_price_check_shows_the_tier_price(signed_in: TestClient[Any], catalogue: FakeProducts) -> None:
    gateway = catalogue.products[0]["id"]
    item = {"product_id": gateway, "product_name": "工业网关 G200", "unit_price": "2680",
            "tiers": [{"min_quantity": "10", "unit_price": "2480"}]}  # fmt: skip
    price_list = catalogue.add_price_list("标准价", "CNY", [item])

    html = signed_in.get(f"/products/price-lists/{price_list['id']}?check_product={gateway}&check_quantity=12").text

    result = html.split('id="price-check-result"')[1].split("</dl>")[0]
    assert "2,480.00" in result and "29,760.00" in result and "from 10" in result
    bad = signed_in.get(f"/products/price-lists/{price_list['id']}?check_product={gateway}&check_quantity=-1").text
    assert "Enter a quantity above 0." in bad


def test_a_rep_sees_a_price_list_without_the_editor(signed_in: TestClient[Any], catalogue: FakeProducts) -> None:
    catalogue.may_change = False
    item = {"product_id": catalogue.products[0]["id"], "product_name": "工业网关 G200", "unit_price": "2680",
            "tiers": [{"min_quantity": "10", "unit_price": "2480"}]}  # fmt: skip
    price_list = catalogue.add_price_list("标准价", "CNY", [item])

    html = signed_in.get(f"/products/price-lists/{price_list['id']}").text

    assert 'name="item_product"' not in html and "Save price list" not in html
    assert "¥2,680.00" in html and "Price check" in html


def test_pages_in_chinese(signed_in: TestClient[Any], catalogue: FakeProducts, fake_api: FakeApi) -> None:
    fake_api.user["locale"] = "zh-Hans"

    html = signed_in.get("/products").text

    assert "产品" in html and "价格表" in html and "名称或 SKU 编码" in html
    fake_api.user["locale"] = "zh-Hant"
    traditional = signed_in.get("/products/new").text
    assert "產品名稱" in traditional and "庫存" in traditional and "在售" in traditional


def test_tampered_and_unusual_input_is_refused_at_its_cell_never_a_server_error(
    signed_in: TestClient[Any], catalogue: FakeProducts
) -> None:
    fields = price_list_fields(
        catalogue,
        name="🚀 价格表 ‏עברית",
        item_product=["' OR 1=1 --", catalogue.products[1]["id"]],
        item_price=["12.3.4", "450"],
    )
    response = post_fields(signed_in, "/products/price-lists/new", fields)

    assert response.status_code == 422
    assert (
        "Enter a price, like 1280 or 12.50."
        in response.text.split('id="field-items[0].unit_price"')[1].split("</td>")[0]
    )
    assert 'value="🚀 价格表 ‏עברית"' in response.text

    fields["item_price"] = ["2680", "450"]
    refused = post_fields(signed_in, "/products/price-lists/new", fields)
    assert refused.status_code == 422
    cell = refused.text.split('id="field-items[0].product_id"')[1].split("</td>")[0]
    assert "This product is no longer in the catalogue." in cell
    assert catalogue.price_lists == []


def test_a_rep_saving_a_price_list_anyway_is_refused(signed_in: TestClient[Any], catalogue: FakeProducts) -> None:
    catalogue.may_change = False

    response = post_fields(signed_in, "/products/price-lists/new", price_list_fields(catalogue))

    assert response.status_code == 403
    assert catalogue.price_lists == []
    adding = post_fields(signed_in, "/products/price-lists/new", price_list_fields(catalogue, action="add"))
    assert adding.status_code == 303 and 'name="item_product"' not in adding.text
