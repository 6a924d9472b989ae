"""Products on a deal: prices from the deal's price list with volume tiers, discounts and tax per line, the deal's
amount following its lines, cost and margin shown only to those who see costs, deleted products kept on old lines
but refused on new ones, a price list in another currency refused, bad lines named by index, other workspaces out."""

from __future__ import annotations

from typing import Any

from tests.api.test_admin import join
from tests.api.test_customers import add_account
from tests.api.test_deals import add_deal
from tests.api.test_products import add_price_list, add_product
from tests.conftest import bearer, signed_up


async def put_lines(client: Any, who: dict[str, Any], deal_id: str, **body: Any) -> Any:
    return await client.put(f"/api/v1/deals/{deal_id}/lines", json=body, headers=bearer(who))


async def test_lines_are_priced_from_the_price_list_and_set_the_deal_amount(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner, name="华东制造")
    deal = await add_deal(client, owner, account["id"], currency="CNY", amount="1.00")
    gateway = await add_product(client, owner, cost="1800.00")
    prices = await add_price_list(
        client, owner,
        items=[{"product_id": gateway["id"], "unit_price": "2500.00",
                "tiers": [{"min_quantity": "10", "unit_price": "2300.00"}]}],
    )  # fmt: skip
    assert prices.status_code == 201, prices.text
    answer = await put_lines(
        client, owner, deal["id"], price_list_id=prices.json()["id"],
        lines=[{"product_id": gateway["id"], "quantity": "10", "discount_percent": "5", "tax_rate": "13"},
               {"name": "上门安装 🛠️", "quantity": "1", "unit_price": "800.00"}],
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    found = answer.json()
    first, second = found["lines"]
    assert (first["name"], first["unit"], first["unit_price"], first["net_amount"], first["tax_amount"]) == (
        "工业网关 GW-200", "台", "2300.00", "21850.00", "2840.50",
    )  # fmt: skip
    assert (second["product_id"], second["total"]) == (None, "800.00")
    totals = found["totals"]
    assert (totals["subtotal"], totals["discount"], totals["tax"], totals["total"]) == (
        "22650.00", "1150.00", "2840.50", "25490.50",
    )  # fmt: skip
    assert (totals["cost"], totals["margin"]) == ("18000.00", "4650.00")
    again = await client.get(f"/api/v1/deals/{deal['id']}", headers=bearer(owner))
    assert again.json()["amount"] == "25490.50"
    viewer = await join(client, owner, "viewer")  # reads every deal's lines but not what they cost us
    shown = (await client.get(f"/api/v1/deals/{deal['id']}/lines", headers=bearer(viewer))).json()
    assert shown["lines"][0]["unit_cost"] is None and shown["totals"]["margin"] is None
    product = await client.get(f"/api/v1/products/{gateway['id']}", headers=bearer(viewer))
    assert product.json()["cost"] is None
    emptied = await put_lines(client, owner, deal["id"], lines=[])
    assert emptied.json()["lines"] == [] and emptied.json()["amount"] == "25490.50"  # the amount stays as it was


async def test_bad_lines_are_named_by_index_and_change_nothing(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    deal = await add_deal(client, owner, account["id"], currency="CNY", amount="500.00")
    kept = await add_product(client, owner, name="旧型号", sku="OLD-1")
    assert (
        await put_lines(client, owner, deal["id"], lines=[{"product_id": kept["id"], "unit_price": "10"}])
    ).status_code == 200
    assert (await client.delete(f"/api/v1/products/{kept['id']}", headers=bearer(owner))).status_code == 204
    dollars = await add_price_list(client, owner, name="USD list", currency="USD")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"lines": [{"unit_price": "10"}]}, "lines[0].name"),
        ({"lines": [{"name": "x", "quantity": "0", "unit_price": "1"}]}, "lines[0].quantity"),
        ({"lines": [{"name": "x", "quantity": "-3", "unit_price": "1"}]}, "lines[0].quantity"),
        ({"lines": [{"name": "x", "unit_price": "-1"}]}, "lines[0].unit_price"),
        ({"lines": [{"name": "x", "unit_price": "1.001"}]}, "lines[0].unit_price"),
        ({"lines": [{"name": "x", "unit_price": "1", "discount_percent": "101"}]}, "lines[0].discount_percent"),
        ({"lines": [{"name": "x", "unit_price": "1", "tax_rate": "NaN"}]}, "lines[0].tax_rate"),
        ({"lines": [{"name": "x", "quantity": "999999999", "unit_price": "999999999999"}]}, "lines[0].quantity"),
        ({"lines": [{"name": "x"}]}, "lines[0].unit_price"),
        ({"lines": [{"name": "x" * 201, "unit_price": "1"}]}, "lines[0].name"),
        ({"lines": [{"product_id": "01900000-0000-7000-8000-000000000000", "unit_price": "1"}]}, "lines[0].product_id"),
        ({"price_list_id": dollars.json()["id"], "lines": [{"name": "x", "unit_price": "1"}]}, "price_list_id"),
        ({"lines": [{"name": "ok", "unit_price": "1"}] * 501}, "lines"),
    ]
    for body, field in cases:
        answer = await put_lines(client, owner, deal["id"], **body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert field in [e["field"] for e in answer.json()["errors"]], (field, answer.json())
    for body in ({"lines": "x"}, {"lines": [{"name": "x", "unit_price": "1", "colour": "red"}]}, {}):
        answer = await put_lines(client, owner, deal["id"], **body)
        assert answer.status_code == 422 and "lines" in answer.text, (body, answer.text)
    # The deleted product stays on the line it was on, but no line may newly name it.
    restored = await put_lines(client, owner, deal["id"], lines=[{"product_id": kept["id"], "unit_price": "10"}])
    assert restored.status_code == 200, restored.text
    other = await add_deal(client, owner, account["id"], currency="CNY")
    refused = await put_lines(client, owner, other["id"], lines=[{"product_id": kept["id"], "unit_price": "10"}])
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "lines[0].product_id"
    assert (await client.get(f"/api/v1/deals/{other['id']}/lines", headers=bearer(owner))).json()["lines"] == []
    sql = await put_lines(
        client, owner, deal["id"], lines=[{"name": "'; DROP TABLE deal_lines; --", "unit_price": "1"}]
    )
    assert sql.status_code == 200 and sql.json()["lines"][0]["name"] == "'; DROP TABLE deal_lines; --"


async def test_another_workspace_sees_no_lines_and_cannot_use_its_products(client: Any) -> None:
    owner, stranger = await signed_up(client), await signed_up(client)
    deal = await add_deal(client, owner, (await add_account(client, owner))["id"])
    theirs = await add_deal(client, stranger, (await add_account(client, stranger))["id"])
    product = await add_product(client, owner)
    assert (await client.get(f"/api/v1/deals/{deal['id']}/lines", headers=bearer(stranger))).status_code == 404
    answer = await put_lines(client, stranger, deal["id"], lines=[{"name": "x", "unit_price": "1"}])
    assert answer.status_code == 404
    borrowed = await put_lines(client, stranger, theirs["id"], lines=[{"product_id": product["id"], "unit_price": "1"}])
    assert borrowed.status_code == 422 and borrowed.json()["errors"][0]["field"] == "lines[0].product_id"
