"""Custom fields: an admin defines them; every write is checked against them (naming ``custom.<key>``);
lists filter and sort by them; exports carry them; history shows their changes; other tenants never see
them; a rep may not define them."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.api.test_admin import join
from tests.api.test_customers import add_account, add_contact
from tests.conftest import bearer, signed_up

FIELDS = [
    {"module": "customers", "label": "客户编号", "type": "text", "required": True},
    {"module": "customers", "label": "Annual revenue", "key": "revenue", "type": "currency"},
    {"module": "customers", "label": "Employees", "type": "number"},
    {"module": "customers", "label": "Signed on", "type": "date"},
    {
        "module": "customers",
        "label": "Region",
        "type": "single_select",
        "options": [{"label": "华东", "value": "east"}, {"label": "华南", "value": "south"}],
    },
    {
        "module": "customers",
        "label": "Products",
        "type": "multi_select",
        "options": [{"label": "芯片"}, {"label": "电源"}, {"label": "Cables"}],
    },
    {"module": "customers", "label": "Account manager", "type": "user"},
    {"module": "customers", "label": "Portal", "type": "url"},
    {"module": "customers", "label": "Billing email", "type": "email"},
    {"module": "customers", "label": "Hotline", "type": "phone"},
    {"module": "customers", "label": "Key account", "type": "checkbox"},
    {"module": "customers", "label": "Notes", "type": "long_text"},
    {"module": "contacts", "label": "Birthday gift", "type": "text"},
]


async def define(client: Any, owner: dict[str, Any]) -> dict[str, dict[str, Any]]:
    made = {}
    for field in FIELDS:
        response = await client.post("/api/v1/custom-fields", json=field, headers=bearer(owner))
        assert response.status_code == 201, response.text
        made[response.json()["key"]] = response.json()
    return made


async def test_keys_come_from_labels_and_every_member_reads_the_definitions(client: Any) -> None:
    owner = await signed_up(client)
    made = await define(client, owner)
    assert {"ke_hu_bian_hao", "revenue", "employees", "region", "products", "key_account"} <= set(made)
    assert [o["value"] for o in made["products"]["options"]] == ["芯片", "电源", "Cables"]
    rep = await join(client, owner, "sales_rep")
    listed = await client.get("/api/v1/custom-fields", params={"module": "customers"}, headers=bearer(rep))
    assert [f["key"] for f in listed.json()][:2] == ["ke_hu_bian_hao", "revenue"]
    refused = await client.post(
        "/api/v1/custom-fields", json={"module": "customers", "label": "x", "type": "text"}, headers=bearer(rep)
    )
    assert refused.status_code == 403
    other = await signed_up(client)
    theirs = await client.get("/api/v1/custom-fields", params={"module": "customers"}, headers=bearer(other))
    assert theirs.json() == []
    patched = await client.patch(
        f"/api/v1/custom-fields/{made['region']['id']}", json={"label": "x"}, headers=bearer(other)
    )
    assert patched.status_code == 404


async def test_values_are_validated_stored_and_shown_with_their_history(client: Any) -> None:
    owner = await signed_up(client)
    await define(client, owner)
    custom = {
        "ke_hu_bian_hao": "KH-0001",
        "revenue": "1234567.50",
        "employees": 120,
        "signed_on": "2026-02-28",
        "region": "east",
        "products": ["芯片", "Cables", "芯片"],
        "account_manager": owner["user"]["id"],
        "portal": "portal.example.cn",
        "billing_email": "AP@Example.cn",
        "hotline": "400-800-8888",
        "key_account": True,
        "notes": "第一行\n第二行 🐉",
    }
    account = await add_account(client, owner, name="Custom Co", custom=custom)
    assert account["custom"] == {
        **custom,
        "products": ["芯片", "Cables"],
        "portal": "https://portal.example.cn",
        "billing_email": "ap@example.cn",
    }
    changed = await client.patch(
        f"/api/v1/accounts/{account['id']}", json={"custom": {"region": "south", "notes": None}}, headers=bearer(owner)
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["custom"]["region"] == "south" and "notes" not in changed.json()["custom"]
    assert changed.json()["custom"]["employees"] == 120  # untouched values stay
    history = (await client.get(f"/api/v1/accounts/{account['id']}/history", headers=bearer(owner))).json()
    assert history[0]["changes"] == {"custom.notes": ["第一行\n第二行 🐉", None], "custom.region": ["east", "south"]}


@pytest.mark.parametrize(
    ("custom", "field"),
    [
        ({}, "custom.ke_hu_bian_hao"),
        ({"ke_hu_bian_hao": "KH", "nope": 1}, "custom.nope"),
        ({"ke_hu_bian_hao": "KH", "region": "north"}, "custom.region"),
        ({"ke_hu_bian_hao": "KH", "products": ["芯片", "Rockets"]}, "custom.products"),
        ({"ke_hu_bian_hao": "KH", "signed_on": "2026-02-30"}, "custom.signed_on"),
        ({"ke_hu_bian_hao": "KH", "employees": "many"}, "custom.employees"),
        ({"ke_hu_bian_hao": "KH", "employees": True}, "custom.employees"),
        ({"ke_hu_bian_hao": "KH", "employees": 1e300}, "custom.employees"),
        ({"ke_hu_bian_hao": "KH", "revenue": "12.345"}, "custom.revenue"),
        ({"ke_hu_bian_hao": "KH", "revenue": "NaN"}, "custom.revenue"),
        ({"ke_hu_bian_hao": "KH", "account_manager": "00000000-0000-7000-8000-000000000000"}, "custom.account_manager"),
        ({"ke_hu_bian_hao": "KH", "portal": "javascript:alert(1)"}, "custom.portal"),
        ({"ke_hu_bian_hao": "KH", "billing_email": "nope"}, "custom.billing_email"),
        ({"ke_hu_bian_hao": "KH", "key_account": "yes"}, "custom.key_account"),
        ({"ke_hu_bian_hao": "x" * 501}, "custom.ke_hu_bian_hao"),
        ({"ke_hu_bian_hao": "a\nb"}, "custom.ke_hu_bian_hao"),
        ({"ke_hu_bian_hao": "KH", "notes": "x" * 10_001}, "custom.notes"),
        ({"ke_hu_bian_hao": {"nested": 1}}, "custom.ke_hu_bian_hao"),
    ],
)
async def test_bad_custom_values_name_the_field_and_write_nothing(
    client: Any, custom: dict[str, Any], field: str
) -> None:
    owner = await signed_up(client)
    await define(client, owner)
    response = await client.post("/api/v1/accounts", json={"name": "Bad", "custom": custom}, headers=bearer(owner))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert (await client.get("/api/v1/accounts", headers=bearer(owner))).json()["items"] == []


async def test_lists_filter_and_sort_by_custom_fields_and_exports_carry_them(client: Any) -> None:
    owner = await signed_up(client)
    await define(client, owner)
    for number, (region, employees, products) in enumerate(
        [("east", 5, ["芯片"]), ("south", 120, ["电源", "芯片"]), ("east", 40, ["Cables"]), ("east", 9, [])]
    ):
        await add_account(
            client,
            owner,
            name=f"Firm {number}",
            custom={
                "ke_hu_bian_hao": f"KH-{number}",
                "region": region,
                "employees": employees,
                "products": products,
                **({"signed_on": f"2026-0{number + 1}-15"} if number < 3 else {}),
            },
        )

    async def names(params: dict[str, Any]) -> list[str]:
        response = await client.get("/api/v1/accounts", params=params, headers=bearer(owner))
        assert response.status_code == 200, response.text
        return [a["name"] for a in response.json()["items"]]

    assert set(await names({"cf.region": "east"})) == {"Firm 0", "Firm 2", "Firm 3"}
    assert await names({"cf.products": "芯片", "sort": "name"}) == ["Firm 0", "Firm 1"]
    assert await names({"cf.employees": "120"}) == ["Firm 1"]
    assert await names({"sort": "cf.employees"}) == ["Firm 0", "Firm 3", "Firm 2", "Firm 1"]  # 5 < 9 < 40 < 120
    assert await names({"sort": "-cf.employees"}) == ["Firm 1", "Firm 2", "Firm 3", "Firm 0"]
    # number and date ranges, both ends included, either end open
    assert await names({"cf.employees": "9..40", "sort": "name"}) == ["Firm 2", "Firm 3"]
    assert await names({"cf.employees": "40..", "sort": "name"}) == ["Firm 1", "Firm 2"]
    assert await names({"cf.employees": "..5"}) == ["Firm 0"]
    assert await names({"cf.signed_on": "2026-02-01..2026-03-31", "sort": "name"}) == ["Firm 1", "Firm 2"]
    assert await names({"cf.signed_on": "..2026-01-31"}) == ["Firm 0"]
    pages, cursor = [], None
    while True:
        params = {"sort": "cf.employees", "limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/accounts", params=params, headers=bearer(owner))).json()
        pages += [a["name"] for a in page["items"]]
        if not (cursor := page.get("next_cursor")):
            break
    assert pages == ["Firm 0", "Firm 3", "Firm 2", "Firm 1"]
    for params, field in (({"cf.nope": "x"}, "cf.nope"), ({"cf.employees": "many"}, "cf.employees"),
                          ({"cf.employees": "1..many"}, "cf.employees"), ({"cf.employees": ".."}, "cf.employees"),
                          ({"cf.signed_on": "2026-13-01.."}, "cf.signed_on"),
                          ({"sort": "cf.nope"}, "sort"), ({"sort": "colour"}, "sort")):  # fmt: skip
        response = await client.get("/api/v1/accounts", params=params, headers=bearer(owner))
        assert response.status_code == 422, params
        assert response.json()["errors"][0]["field"] == field
    exported = await client.get("/api/v1/accounts/export.csv", params={"cf.region": "east"}, headers=bearer(owner))
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert {r["客户编号"] for r in rows} == {"KH-0", "KH-2", "KH-3"}
    assert {r["Products"] for r in rows} == {"芯片", "Cables", ""}


async def test_archived_fields_stop_being_accepted_but_keep_their_values(client: Any) -> None:
    owner = await signed_up(client)
    made = await define(client, owner)
    account = await add_account(client, owner, custom={"ke_hu_bian_hao": "KH-9", "region": "east"})
    archived = await client.post(f"/api/v1/custom-fields/{made['region']['id']}/archive", headers=bearer(owner))
    assert archived.status_code == 200
    refused = await client.patch(
        f"/api/v1/accounts/{account['id']}", json={"custom": {"region": "south"}}, headers=bearer(owner)
    )
    assert refused.status_code == 422
    restored = await client.post(
        f"/api/v1/custom-fields/{made['region']['id']}/archive", params={"restore": "true"}, headers=bearer(owner)
    )
    assert restored.status_code == 200
    kept = (await client.get(f"/api/v1/accounts/{account['id']}", headers=bearer(owner))).json()
    assert kept["custom"]["region"] == "east"


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"module": "customers", "label": "", "type": "text"}, "label", 422),
        ({"module": "customers", "label": "x", "type": "hologram"}, "type", 422),
        ({"module": "deals", "label": "x", "type": "text"}, "module", 422),
        ({"module": "customers", "label": "x", "type": "text", "key": "Bad Key!"}, "key", 422),
        ({"module": "customers", "label": "x", "type": "single_select"}, "options", 422),
        ({"module": "customers", "label": "x", "type": "text", "options": [{"label": "a"}]}, "options", 422),
        (
            {"module": "customers", "label": "x", "type": "single_select", "options": [{"label": "a"}, {"label": "a"}]},
            "options[1].value",
            422,
        ),
        ({"module": "customers", "label": "Duplicate", "type": "text", "key": "ke_hu_bian_hao"}, "key", 409),
    ],
)
async def test_bad_definitions_name_the_field(client: Any, body: dict[str, Any], field: str, status: int) -> None:
    owner = await signed_up(client)
    await define(client, owner)
    response = await client.post("/api/v1/custom-fields", json=body, headers=bearer(owner))
    assert response.status_code == status, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_options_in_use_cannot_be_removed_only_relabelled(client: Any) -> None:
    owner = await signed_up(client)
    made = await define(client, owner)
    url = f"/api/v1/custom-fields/{made['region']['id']}"
    dropped = await client.patch(url, json={"options": [{"label": "East", "value": "east"}]}, headers=bearer(owner))
    assert dropped.status_code == 422 and dropped.json()["errors"][0]["field"] == "options"
    relabelled = await client.patch(
        url,
        json={"options": [{"label": "East China", "value": "east"}, {"label": "华南", "value": "south"}]},
        headers=bearer(owner),
    )
    assert relabelled.status_code == 200
    assert relabelled.json()["options"][0] == {"value": "east", "label": "East China"}


async def test_contacts_have_their_own_custom_fields(client: Any) -> None:
    owner = await signed_up(client)
    await define(client, owner)
    account = await add_account(client, owner, custom={"ke_hu_bian_hao": "KH-1"})
    contact = await add_contact(client, owner, account["id"], custom={"birthday_gift": "茶叶"})
    assert contact["custom"] == {"birthday_gift": "茶叶"}
    wrong = await client.post(
        "/api/v1/contacts",
        json={"account_id": account["id"], "name": "X", "custom": {"region": "east"}},
        headers=bearer(owner),
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "custom.region"


async def test_a_custom_field_can_be_hidden_or_read_only_for_a_role(client: Any) -> None:
    from tests.api.test_admin import join

    owner = await signed_up(client)
    await define(client, owner)
    rep = await join(client, owner, "sales_rep")
    rules = await client.put(
        "/api/v1/admin/roles/sales_rep/fields",
        json={"fields": {"customers": {"custom.revenue": {"access": "hidden"}, "custom.region": {"access": "read"}}}},
        headers=bearer(owner),
    )
    assert rules.status_code == 200, rules.text
    assert "custom.revenue" in rules.json()["configurable"]["customers"]
    assert rules.json()["labels"]["customers"]["custom.ke_hu_bian_hao"] == "客户编号"
    assert rules.json()["labels"]["contacts"] == {"custom.birthday_gift": "Birthday gift"}
    stranger = await signed_up(client)
    theirs = await client.get("/api/v1/admin/roles/sales_rep/fields", headers=bearer(stranger))
    assert theirs.json()["labels"] == {"customers": {}, "contacts": {}}  # another workspace's fields stay there
    account = await add_account(
        client,
        owner,
        name="Secret revenue",
        owner_id=rep["user"]["id"],
        custom={"ke_hu_bian_hao": "KH-1", "revenue": "999.00", "region": "east"},
    )
    seen = (await client.get(f"/api/v1/accounts/{account['id']}", headers=bearer(rep))).json()
    assert seen["custom"] == {"ke_hu_bian_hao": "KH-1", "region": "east"}
    listed = (await client.get("/api/v1/accounts", headers=bearer(rep))).json()["items"][0]
    assert "revenue" not in listed["custom"]
    for body, field in (
        ({"custom": {"region": "south"}}, "custom.region"),
        ({"custom": {"revenue": "1.00"}}, "custom.revenue"),
    ):
        refused = await client.patch(f"/api/v1/accounts/{account['id']}", json=body, headers=bearer(rep))
        assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == field
    for params in ({"cf.revenue": "999"}, {"sort": "cf.revenue"}):
        assert (await client.get("/api/v1/accounts", params=params, headers=bearer(rep))).status_code == 403
    history = (await client.get(f"/api/v1/accounts/{account['id']}/history", headers=bearer(rep))).json()
    assert all("custom.revenue" not in h["changes"] for h in history)
    bad = await client.put(
        "/api/v1/admin/roles/sales_rep/fields",
        json={"fields": {"customers": {"custom.nope": {"access": "hidden"}}}},
        headers=bearer(owner),
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "fields.customers.custom.nope"
