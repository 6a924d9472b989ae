"""Products and price lists: the catalogue with cost and stock, price lists in one currency with volume tiers,
the price of a quantity, deleted products kept off new prices, who may change them, bad input named by field,
and other workspaces kept out."""

from __future__ import annotations

from typing import Any

from tests.api.test_admin import join
from tests.conftest import bearer, signed_up


async def add_product(client: Any, who: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"name": "工业网关 GW-200", "sku": "GW-200", "unit": "台", "cost": "1800.00", "stock": "35", **fields}
    answer = await client.post("/api/v1/products", json=body, headers=bearer(who))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def add_price_list(client: Any, who: dict[str, Any], **fields: Any) -> Any:
    body = {"name": "2027 人民币价目表", "currency": "CNY", **fields}
    return await client.post("/api/v1/price-lists", json=body, headers=bearer(who))


async def test_a_product_is_kept_with_its_cost_and_stock_and_found_by_name_or_sku(client: Any) -> None:
    owner = await signed_up(client)
    gateway = await add_product(client, owner)
    await add_product(client, owner, name="Sensor S-1", sku="S-1", cost=None)
    assert (gateway["cost"], gateway["stock"], gateway["unit"], gateway["active"]) == ("1800.00", "35.000", "台", True)
    found = (await client.get("/api/v1/products", params={"q": "gw-2"}, headers=bearer(owner))).json()
    assert [p["name"] for p in found["items"]] == ["工业网关 GW-200"]
    pages, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/products", params=params, headers=bearer(owner))).json()
        pages += [p["name"] for p in page["items"]]
        if not (cursor := page.get("next_cursor")):
            break
    assert pages == ["Sensor S-1", "工业网关 GW-200"]
    changed = await client.patch(f"/api/v1/products/{gateway['id']}", json={"stock": "34", "cost": None},
                                 headers=bearer(owner))  # fmt: skip
    assert changed.json()["stock"] == "34.000" and changed.json()["cost"] is None
    twin = await client.post("/api/v1/products", json={"name": "Copy", "sku": "GW-200"}, headers=bearer(owner))
    assert twin.status_code == 409 and twin.json()["errors"][0]["field"] == "sku"


async def test_a_price_list_prices_a_quantity_by_its_volume_tiers(client: Any) -> None:
    owner = await signed_up(client)
    gateway = await add_product(client, owner)
    made = await add_price_list(client, owner, is_default=True, items=[
        {"product_id": gateway["id"], "unit_price": "2600.00",
         "tiers": [{"min_quantity": "10", "unit_price": "2400.00"}, {"min_quantity": "50", "unit_price": "2200.00"}]},
    ])  # fmt: skip
    assert made.status_code == 201, made.text
    price_list = made.json()
    assert price_list["items"][0]["product_name"] == "工业网关 GW-200"
    for quantity, unit, total, tier in [
        ("1", "2600.00", "2600.00", None),
        ("10", "2400.00", "24000.00", "10"),
        ("49.5", "2400.00", "118800.00", "10"),
        ("120", "2200.00", "264000.00", "50"),
    ]:
        answer = await client.get(
            f"/api/v1/price-lists/{price_list['id']}/price", params={"product_id": gateway["id"], "quantity": quantity},
            headers=bearer(owner),
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        got = answer.json()
        assert (got["unit_price"], got["total"], got["currency"]) == (unit, total, "CNY"), quantity
        assert got["tier_min_quantity"] == tier
    other = await add_product(client, owner, name="Not priced", sku=None)
    unpriced = await client.get(f"/api/v1/price-lists/{price_list['id']}/price", params={"product_id": other["id"]},
                                headers=bearer(owner))  # fmt: skip
    assert unpriced.status_code == 422 and unpriced.json()["errors"][0]["field"] == "product_id"
    zero = await client.get(f"/api/v1/price-lists/{price_list['id']}/price",
                            params={"product_id": gateway["id"], "quantity": "0"}, headers=bearer(owner))  # fmt: skip
    assert zero.status_code == 422 and zero.json()["errors"][0]["field"] == "quantity"


async def test_a_deleted_product_stays_off_new_prices(client: Any) -> None:
    owner = await signed_up(client)
    gateway = await add_product(client, owner)
    made = (await add_price_list(client, owner, items=[{"product_id": gateway["id"], "unit_price": "10"}])).json()
    assert (await client.delete(f"/api/v1/products/{gateway['id']}", headers=bearer(owner))).status_code == 204
    assert (await client.get(f"/api/v1/products/{gateway['id']}", headers=bearer(owner))).status_code == 404
    priced = await client.get(f"/api/v1/price-lists/{made['id']}/price", params={"product_id": gateway["id"]},
                              headers=bearer(owner))  # fmt: skip
    assert priced.status_code == 422 and "deleted" in priced.json()["errors"][0]["message"]
    again = await client.put(f"/api/v1/price-lists/{made['id']}",
                             json={"name": made["name"], "currency": "CNY",
                                   "items": [{"product_id": gateway["id"], "unit_price": "9"}]},
                             headers=bearer(owner))  # fmt: skip
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "items[0].product_id"
    kept = (await client.get(f"/api/v1/price-lists/{made['id']}", headers=bearer(owner))).json()
    assert kept["items"][0]["unit_price"] == "10.00"  # the refused replacement changed nothing
    assert (await add_product(client, owner))["sku"] == "GW-200"  # the SKU is free again


async def test_bad_products_and_price_lists_are_refused_by_field(client: Any) -> None:
    owner = await signed_up(client)
    gateway = await add_product(client, owner)
    for body, field in [
        ({"name": ""}, "name"), ({"name": "x" * 201}, "name"), ({"name": "P", "cost": "-1"}, "cost"),
        ({"name": "P", "cost": "1e13"}, "cost"), ({"name": "P", "cost": "1.234"}, "cost"),
        ({"name": "P", "stock": "-5"}, "stock"), ({"name": "P", "stock": "abc"}, "stock"),
        ({"name": "P", "sku": "x" * 61}, "sku"), ({"name": "P", "color": "red"}, "color"),
    ]:  # fmt: skip
        answer = await client.post("/api/v1/products", json=body, headers=bearer(owner))
        assert answer.status_code in (400, 422) and field in answer.text, (body, answer.text)
    item = {"product_id": gateway["id"], "unit_price": "10"}
    for fields, field in [
        ({"currency": "RMB"}, "currency"), ({"currency": ""}, "currency"), ({"name": " "}, "name"),
        ({"items": [{**item, "unit_price": "-3"}]}, "items[0].unit_price"),
        ({"items": [item, item]}, "items[1].product_id"),
        ({"items": [{**item, "product_id": "00000000-0000-0000-0000-000000000001"}]}, "items[0].product_id"),
        ({"items": [{**item, "tiers": [{"min_quantity": "10", "unit_price": "9"},
                                       {"min_quantity": "5", "unit_price": "8"}]}]}, "items[0].tiers[1].min_quantity"),
        ({"items": [{**item, "tiers": [{"min_quantity": "0", "unit_price": "9"}]}]}, "items[0].tiers[0].min_quantity"),
    ]:  # fmt: skip
        answer = await add_price_list(client, owner, **fields)
        assert answer.status_code in (400, 422) and field in answer.text, (fields, answer.text)
    assert (await client.get("/api/v1/price-lists", headers=bearer(owner))).json() == []
    odd = await add_product(client, owner, name="🚀 ‮שלום'); DROP TABLE products;--", sku=None)
    assert odd["name"] == "🚀 ‮שלום'); DROP TABLE products;--"
    assert (await add_price_list(client, owner, name="USD list", currency="usd")).json()["currency"] == "USD"
    twice = await add_price_list(client, owner, name="USD list", currency="USD")
    assert twice.status_code == 409 and twice.json()["errors"][0]["field"] == "name"


async def test_reps_read_the_catalogue_and_only_administrators_change_it(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    gateway = await add_product(client, owner)
    assert [p["id"] for p in (await client.get("/api/v1/products", headers=bearer(rep))).json()["items"]] == [
        gateway["id"]
    ]
    assert (await client.post("/api/v1/products", json={"name": "Mine"}, headers=bearer(rep))).status_code == 403
    assert (await client.patch(f"/api/v1/products/{gateway['id']}", json={"cost": "1"},
                               headers=bearer(rep))).status_code == 403  # fmt: skip
    assert (await add_price_list(client, rep)).status_code == 403


async def test_another_workspace_never_reaches_the_catalogue(client: Any) -> None:
    owner = await signed_up(client)
    stranger = await signed_up(client)
    gateway = await add_product(client, owner)
    made = (await add_price_list(client, owner, items=[{"product_id": gateway["id"], "unit_price": "10"}])).json()
    for method, path, body in [
        ("GET", f"/api/v1/products/{gateway['id']}", None),
        ("PATCH", f"/api/v1/products/{gateway['id']}", {"name": "x"}),
        ("DELETE", f"/api/v1/products/{gateway['id']}", None),
        ("GET", f"/api/v1/price-lists/{made['id']}", None),
        ("PUT", f"/api/v1/price-lists/{made['id']}", {"name": "x", "currency": "CNY"}),
        ("GET", f"/api/v1/price-lists/{made['id']}/price?product_id={gateway['id']}", None),
    ]:
        answer = await client.request(method, path, json=body, headers=bearer(stranger))
        assert answer.status_code == 404, (method, path, answer.text)
    theirs = await add_price_list(client, stranger, items=[{"product_id": gateway["id"], "unit_price": "1"}])
    assert theirs.status_code == 422 and theirs.json()["errors"][0]["field"] == "items[0].product_id"
    assert (await client.get("/api/v1/products", headers=bearer(stranger))).json()["items"] == []
    assert (await client.get(f"/api/v1/products/{gateway['id']}", headers=bearer(owner))).json()["name"] == gateway[
        "name"
    ]


async def test_a_blank_price_list_tells_who_may_change_the_catalogue_and_writes_nothing(client: Any) -> None:
    """The web asks this to decide whether to show the catalogue's forms: 403 to a rep, 422 to an administrator."""
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    blank = {"name": "", "currency": ""}

    assert (await client.post("/api/v1/price-lists", json=blank, headers=bearer(rep))).status_code == 403
    assert (await client.post("/api/v1/price-lists", json=blank, headers=bearer(owner))).status_code == 422
    assert (await client.get("/api/v1/price-lists", headers=bearer(owner))).json() == []
