"""Accounts and contacts through the API: create, read, change with history, soft delete and restore,
keyset lists with flat query counts, CSV export, bad input, and other tenants' records."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from guanxi.db.engine import get_engine
from sqlalchemy import event

from tests.api.test_admin import join
from tests.conftest import bearer, signed_up

ZH_ACCOUNT = {
    "name": "深圳华强电子有限公司",
    "tags": ["重点客户", "VIP"],
    "heat": "hot",
    "source": "展会",
    "industry": "电子元器件",
    "country": "中国",
    "province": "广东",
    "city": "深圳",
    "phone": "+86 755 8888 1234",
    "email": "Sales@HuaQiang.example.cn",
    "website": "huaqiang.example.cn",
    "credit_limit": "500000.00",
    "payment_terms_days": 30,
    "lifecycle_stage": "customer",
    "value_rating": "high",
}


async def add_account(client: Any, who: dict[str, Any], **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/accounts", json={"name": "Acme Ltd", **fields}, headers=bearer(who))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def add_contact(client: Any, who: dict[str, Any], account_id: str, **fields: Any) -> dict[str, Any]:
    body = {"account_id": account_id, "family_name": "张", "given_name": "伟", **fields}
    response = await client.post("/api/v1/contacts", json=body, headers=bearer(who))
    assert response.status_code == 201, response.text
    return dict(response.json())


@contextlib.contextmanager
def counted_sql() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = get_engine().sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_an_account_is_created_read_and_listed_with_everything_it_was_given(client: Any) -> None:
    owner = await signed_up(client)
    created = await add_account(client, owner, **ZH_ACCOUNT)
    assert created["name"] == "深圳华强电子有限公司"
    assert created["owner_id"] == owner["user"]["id"]
    assert created["email"] == "sales@huaqiang.example.cn"
    assert created["website"] == "https://huaqiang.example.cn"
    assert created["credit_limit"] == "500000.00"
    assert created["tags"] == ["重点客户", "VIP"]
    fetched = (await client.get(f"/api/v1/accounts/{created['id']}", headers=bearer(owner))).json()
    assert created.pop("possible_duplicates") == []  # only a new account says what it may duplicate
    assert fetched == created
    listed = (await client.get("/api/v1/accounts", headers=bearer(owner))).json()
    assert [a["id"] for a in listed["items"]] == [created["id"]]
    assert "total" not in listed
    counted = (await client.get("/api/v1/accounts", params={"count": "true"}, headers=bearer(owner))).json()
    assert (counted["total"], counted["total_capped_at"]) == (1, 10_000)


async def test_changes_land_in_the_history_with_who_and_from_what_to_what(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner, heat="cold")
    changed = await client.patch(
        f"/api/v1/accounts/{account['id']}", json={"heat": "hot", "city": "上海"}, headers=bearer(owner)
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["heat"] == "hot"
    unchanged = await client.patch(f"/api/v1/accounts/{account['id']}", json={"heat": "hot"}, headers=bearer(owner))
    assert unchanged.status_code == 200
    history = (await client.get(f"/api/v1/accounts/{account['id']}/history", headers=bearer(owner))).json()
    assert [h["action"] for h in history] == ["updated", "created"]
    assert history[0]["changes"] == {"heat": ["cold", "hot"], "city": [None, "上海"]}
    assert history[0]["actor_id"] == owner["user"]["id"]


async def test_a_list_walks_by_keyset_pages_without_gaps_or_repeats(client: Any) -> None:
    owner = await signed_up(client)
    made = [(await add_account(client, owner, name=f"客户 {i}"))["id"] for i in range(7)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/accounts", params=params, headers=bearer(owner))).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert seen == list(reversed(made))  # newest change first
    by_name = (await client.get("/api/v1/accounts", params={"sort": "name"}, headers=bearer(owner))).json()
    assert [a["name"] for a in by_name["items"]] == sorted(f"客户 {i}" for i in range(7))
    bad = await client.get("/api/v1/accounts", params={"cursor": "not-a-cursor"}, headers=bearer(owner))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "cursor"


async def test_the_list_runs_the_same_number_of_queries_for_few_and_many_rows(client: Any) -> None:
    owner = await signed_up(client)
    for i in range(3):
        await add_account(client, owner, name=f"Few {i}", tags=["t"])
    with counted_sql() as few:
        assert len((await client.get("/api/v1/accounts", headers=bearer(owner))).json()["items"]) == 3
    for i in range(25):
        await add_account(client, owner, name=f"Many {i}", tags=["t"])
    with counted_sql() as many:
        assert len((await client.get("/api/v1/accounts", headers=bearer(owner))).json()["items"]) == 28
    assert len(many) == len(few)
    assert len(few) <= 6  # session, access facts, the page, the capped count (+ token bookkeeping)


async def test_filters_by_owner_tag_heat_and_stage(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    hot = await add_account(client, owner, name="Hot one", heat="hot", tags=["华南"], lifecycle_stage="customer")
    await add_account(client, owner, name="Cold one", heat="cold", tags=["华北"])
    theirs = await add_account(client, rep, name="Rep's")

    async def names(**params: Any) -> set[str]:
        response = await client.get("/api/v1/accounts", params=params, headers=bearer(owner))
        assert response.status_code == 200, response.text
        return {a["name"] for a in response.json()["items"]}

    assert await names(heat="hot") == {"Hot one"}
    assert await names(tag="华南") == {"Hot one"}
    assert await names(lifecycle_stage="customer") == {"Hot one"}
    assert await names(owner_id=rep["user"]["id"]) == {theirs["name"]}
    assert hot["id"]
    wrong = await client.get("/api/v1/accounts", params={"heat": "lukewarm"}, headers=bearer(owner))
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "heat"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "A" * 5_000_000}, "body"),
        ({"name": "bad\u0007bell"}, "name"),
        ({"name": "ok", "birthday": "2026-02-30"}, "birthday"),
        ({"name": "ok", "birthday": "2999-01-01"}, "birthday"),
        ({"name": "ok", "email": "not-an-email"}, "email"),
        ({"name": "ok", "phone": "call me maybe"}, "phone"),
        ({"name": "ok", "heat": "lukewarm"}, "heat"),
        ({"name": "ok", "credit_limit": "-5"}, "credit_limit"),
        ({"name": "ok", "credit_limit": "1.234"}, "credit_limit"),
        ({"name": "ok", "payment_terms_days": "thirty"}, "payment_terms_days"),
        ({"name": "ok", "age": 400}, "age"),
        ({"name": "ok", "tags": ["x" * 41]}, "tags[0]"),
        ({"name": "ok", "tags": "not a list"}, "tags"),
        ({"name": "ok", "website": "javascript:alert(1)"}, "website"),
        ({"name": "ok", "owner_id": "not-a-uuid"}, "owner_id"),
        ({"name": "ok", "colour": "red"}, "colour"),
        ({"name": 42}, "name"),
    ],
)
async def test_bad_account_input_is_refused_naming_the_field_and_nothing_is_written(
    client: Any, body: dict[str, Any], field: str
) -> None:
    owner = await signed_up(client)
    response = await client.post("/api/v1/accounts", json=body, headers=bearer(owner))
    assert response.status_code in (400, 413, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if response.status_code == 422:
        assert field in [e["field"] for e in response.json()["errors"]]
    assert (await client.get("/api/v1/accounts", headers=bearer(owner))).json()["items"] == []


@pytest.mark.parametrize(
    "name",
    ["张伟 🐉 Trading", "شركة النور", "Robert'); DROP TABLE accounts;--", "Ünïcödé GmbH", "株式会社 東京"],
)
async def test_unicode_and_sql_looking_names_are_kept_verbatim(client: Any, name: str) -> None:
    owner = await signed_up(client)
    created = await add_account(client, owner, name=name)
    assert (await client.get(f"/api/v1/accounts/{created['id']}", headers=bearer(owner))).json()["name"] == name


async def test_deleted_accounts_leave_every_list_and_an_admin_restores_them_with_their_contacts(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner, name="Gone Ltd")
    contact = await add_contact(client, owner, account["id"])
    assert (await client.delete(f"/api/v1/accounts/{account['id']}", headers=bearer(owner))).status_code == 204
    assert (await client.get(f"/api/v1/accounts/{account['id']}", headers=bearer(owner))).status_code == 404
    assert (await client.get(f"/api/v1/contacts/{contact['id']}", headers=bearer(owner))).status_code == 404
    assert (await client.get("/api/v1/accounts", headers=bearer(owner))).json()["items"] == []
    deleted = (await client.get("/api/v1/accounts/deleted", headers=bearer(owner))).json()
    assert [a["id"] for a in deleted["items"]] == [account["id"]]
    restored = await client.post(f"/api/v1/accounts/{account['id']}/restore", headers=bearer(owner))
    assert restored.status_code == 200, restored.text
    assert (await client.get(f"/api/v1/contacts/{contact['id']}", headers=bearer(owner))).status_code == 200
    audit = await client.get("/api/v1/admin/audit", params={"action": "account.deleted"}, headers=bearer(owner))
    assert [e["target_id"] for e in audit.json()["items"]] == [account["id"]]


async def test_a_rep_may_not_delete_or_restore_and_sees_no_deleted_list(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    mine = await add_account(client, rep, name="Rep's own")
    assert (await client.delete(f"/api/v1/accounts/{mine['id']}", headers=bearer(rep))).status_code == 403
    assert (await client.get("/api/v1/accounts/deleted", headers=bearer(rep))).status_code == 403
    assert (await client.post(f"/api/v1/accounts/{mine['id']}/restore", headers=bearer(rep))).status_code == 403


async def test_contacts_show_names_in_the_order_of_their_language_and_one_is_primary(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    zhang = await add_contact(client, owner, account["id"], phones=["138 0013 8000"], emails=["zw@example.cn"])
    jane = await add_contact(client, owner, account["id"], family_name="Smith", given_name="Jane")
    assert (zhang["name"], jane["name"]) == ("张伟", "Jane Smith")
    assert (zhang["is_primary"], jane["is_primary"]) == (True, False)
    promoted = await client.patch(f"/api/v1/contacts/{jane['id']}", json={"is_primary": True}, headers=bearer(owner))
    assert promoted.json()["is_primary"] is True
    listed = (await client.get(f"/api/v1/accounts/{account['id']}/contacts", headers=bearer(owner))).json()["items"]
    assert {c["name"]: c["is_primary"] for c in listed} == {"张伟": False, "Jane Smith": True}
    assert {c["account_name"] for c in listed} == {account["name"]}  # no second request per account
    renamed = await client.patch(f"/api/v1/contacts/{jane['id']}", json={"family_name": "Doe"}, headers=bearer(owner))
    assert renamed.json()["name"] == "Jane Doe"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"family_name": "张"}, "account_id"),
        ({"account_id": "00000000-0000-7000-8000-000000000000", "name": "Ghost"}, "account_id"),
        ({"account_id": "ACCOUNT", "name": "X", "phones": ["abc"]}, "phones[0]"),
        ({"account_id": "ACCOUNT", "name": "X", "emails": ["nope"]}, "emails[0]"),
        ({"account_id": "ACCOUNT", "name": "X", "preferred_channel": "pigeon"}, "preferred_channel"),
        ({"account_id": "ACCOUNT", "family_name": None, "given_name": None}, "name"),
        ({"account_id": "ACCOUNT", "name": "\u202e\u0000"}, "name"),
    ],
)
async def test_bad_contact_input_names_the_field(client: Any, body: dict[str, Any], field: str) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    payload = {key: account["id"] if value == "ACCOUNT" else value for key, value in body.items()}
    response = await client.post("/api/v1/contacts", json=payload, headers=bearer(owner))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert (await client.get("/api/v1/contacts", headers=bearer(owner))).json()["items"] == []


async def test_export_streams_csv_with_formulas_neutralised_and_is_audited(client: Any) -> None:
    owner = await signed_up(client)
    await add_account(client, owner, name='=HYPERLINK("http://evil","x")', city="-2+3")
    await add_account(client, owner, name="上海华强电子有限公司", phone="021 5555 1234")
    response = await client.get("/api/v1/accounts/export.csv", headers=bearer(owner))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["name"] for r in rows} == {'\'=HYPERLINK("http://evil","x")', "上海华强电子有限公司"}
    assert {r["city"] for r in rows} == {"'-2+3", ""}
    audit = await client.get("/api/v1/admin/audit", params={"action": "account.exported"}, headers=bearer(owner))
    assert len(audit.json()["items"]) == 1


async def test_another_tenants_records_are_not_found_by_id_list_search_or_export(client: Any) -> None:
    mine, theirs = await signed_up(client), await signed_up(client)
    account = await add_account(client, theirs, name="Their secret customer", phone="139 1111 2222")
    contact = await add_contact(client, theirs, account["id"])
    for method, url, body in [
        ("GET", f"/api/v1/accounts/{account['id']}", None),
        ("PATCH", f"/api/v1/accounts/{account['id']}", {"name": "mine now"}),
        ("DELETE", f"/api/v1/accounts/{account['id']}", None),
        ("GET", f"/api/v1/accounts/{account['id']}/history", None),
        ("GET", f"/api/v1/accounts/{account['id']}/contacts", None),
        ("GET", f"/api/v1/accounts/{account['id']}/collaborators", None),
        ("PUT", f"/api/v1/accounts/{account['id']}/collaborators/{mine['user']['id']}", {"access": "write"}),
        ("GET", f"/api/v1/contacts/{contact['id']}", None),
        ("PATCH", f"/api/v1/contacts/{contact['id']}", {"title": "x"}),
        ("POST", f"/api/v1/accounts/{account['id']}/restore", None),
    ]:
        response = await client.request(method, url, json=body, headers=bearer(mine))
        assert response.status_code == 404, (method, url, response.status_code)
    moved = await client.post(
        "/api/v1/contacts", json={"account_id": account["id"], "name": "Spy"}, headers=bearer(mine)
    )
    assert moved.status_code == 422
    assert (await client.get("/api/v1/accounts", headers=bearer(mine))).json()["items"] == []
    assert (await client.get("/api/v1/search", params={"q": "secret"}, headers=bearer(mine))).json() == []
    assert (await client.get("/api/v1/search", params={"q": "1111 2222"}, headers=bearer(mine))).json() == []
    exported = (await client.get("/api/v1/accounts/export.csv", headers=bearer(mine))).content.decode("utf-8-sig")
    assert "secret" not in exported
    still = (await client.get(f"/api/v1/accounts/{account['id']}", headers=bearer(theirs))).json()
    assert still["name"] == "Their secret customer"


async def test_export_as_xlsx_keeps_types_and_shows_formulas_as_text(client: Any) -> None:
    from openpyxl import load_workbook

    owner = await signed_up(client)
    await add_account(client, owner, name='=HYPERLINK("http://evil","x")', credit_limit="1234.50", tags=["甲", "乙"])
    response = await client.get("/api/v1/accounts/export.xlsx", headers=bearer(owner))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    row = {name: cell for name, cell in zip(header, sheet[2], strict=True)}
    assert (row["name"].value, row["name"].data_type) == ('=HYPERLINK("http://evil","x")', "s")
    assert row["credit_limit"].value == 1234.5 and row["credit_limit"].data_type == "n"
    assert row["tags"].value == "甲; 乙"
    audit = await client.get("/api/v1/admin/audit", params={"action": "account.exported"}, headers=bearer(owner))
    assert audit.json()["items"][0]["detail"]["format"] == "xlsx"
