"""Contracts (合同): made from an accepted quote (its amount and lines, once) or by hand, numbered by the rules,
signatories checked, files kept with them, expiring ones listed for the to-do page, bad input named by field,
and other workspaces kept out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.api.test_attachments import attach
from tests.api.test_customers import add_account, add_contact, counted_sql
from tests.api.test_quotes import add_quote
from tests.conftest import bearer, signed_up


async def accepted_quote(client: Any, owner: dict[str, Any], account_id: str, **fields: Any) -> dict[str, Any]:
    quote = await add_quote(client, owner, account_id, lines=[
        {"name": "工业网关 GW-200", "quantity": "3", "unit_price": "2600", "tax_rate": "13"},
        {"name": "安装调试服务", "unit_price": "1500"},
    ], **fields)  # fmt: skip
    accepted = await client.post(f"/api/v1/quotes/{quote['id']}/accept", json={}, headers=bearer(owner))
    assert accepted.status_code == 200, accepted.text
    return quote


async def add_contract(client: Any, who: dict[str, Any], account_id: str, **fields: Any) -> dict[str, Any]:
    body = {"name": "年度维保合同", "account_id": account_id, "amount": "36000", **fields}
    answer = await client.post("/api/v1/contracts", json=body, headers=bearer(who))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def test_an_accepted_quote_becomes_one_contract_with_its_amount_and_lines(client: Any) -> None:
    owner = await signed_up(client, locale="zh-Hans")
    account = await add_account(client, owner, name="深圳华强电子")
    contact = await add_contact(client, owner, account["id"])
    quote = await accepted_quote(client, owner, account["id"], contact_id=contact["id"])
    path = f"/api/v1/quotes/{quote['id']}/contract"
    made = await client.post(path, json={"start_date": "2027-01-01", "end_date": "2027-12-31",
                                         "signed_date": "2026-12-20", "our_signatory_id": owner["user"]["id"]},
                             headers=bearer(owner))  # fmt: skip
    assert made.status_code == 201, made.text
    contract = made.json()
    assert contract["number"].startswith("HT-") and contract["number"].endswith("-0001")
    assert (contract["amount"], contract["currency"], contract["quote_id"]) == ("10314.00", "CNY", quote["id"])
    assert contract["customer_signatory_id"] == contact["id"] and contract["status"] == "draft"
    assert [line["name"] for line in contract["lines"]] == ["工业网关 GW-200", "安装调试服务"]
    assert contract["name"] == f"深圳华强电子 {quote['number']}"
    twice = await client.post(path, json={}, headers=bearer(owner))
    assert twice.status_code == 409 and twice.json()["type"].endswith("contract-exists")
    changed = await client.patch(f"/api/v1/contracts/{contract['id']}", json={"amount": "1"}, headers=bearer(owner))
    assert changed.status_code == 422 and changed.json()["errors"][0]["field"] == "amount"
    active = await client.patch(f"/api/v1/contracts/{contract['id']}", json={"status": "active"},
                                headers=bearer(owner))  # fmt: skip
    assert active.json()["status"] == "active"
    pdf = b"%PDF-1.4\n" + b"0" * 100
    attached = await attach(client, owner, "contract", contract["id"], "合同扫描件.pdf", pdf)
    assert attached.status_code == 201, attached.text
    files = await client.get("/api/v1/attachments", params={"record_type": "contract", "record_id": contract["id"]},
                             headers=bearer(owner))  # fmt: skip
    assert [f["filename"] for f in files.json()] == ["合同扫描件.pdf"]


async def test_a_draft_quote_does_not_become_a_contract(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    quote = await add_quote(client, owner, account["id"])
    answer = await client.post(f"/api/v1/quotes/{quote['id']}/contract", json={}, headers=bearer(owner))
    assert answer.status_code == 409 and answer.json()["type"].endswith("quote-not-accepted")
    assert (await client.get("/api/v1/contracts", headers=bearer(owner))).json()["items"] == []


async def test_bad_contract_input_is_named_and_nothing_is_written(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    other = await add_account(client, owner, name="Other Ltd")
    stranger_contact = await add_contact(client, owner, other["id"])
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": ""}, "name"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "1e20"}, "amount"),
        ({"currency": "元"}, "currency"),
        ({"start_date": "2027-05-01", "end_date": "2027-01-01"}, "end_date"),
        ({"end_date": "2200-01-01"}, "end_date"),
        ({"customer_signatory_id": stranger_contact["id"]}, "customer_signatory_id"),
        ({"our_signatory_id": "00000000-0000-0000-0000-000000000001"}, "our_signatory_id"),
        ({"name": "x" * 201}, "name"),
    ]
    for fields, field in cases:
        body = {"name": "合同 🙂", "account_id": account["id"], "amount": "100", **fields}
        answer = await client.post("/api/v1/contracts", json=body, headers=bearer(owner))
        assert answer.status_code == 422, (field, answer.text)
        assert field in [e["field"] for e in answer.json()["errors"]], (field, answer.json())
    wrong = await client.post("/api/v1/contracts", json={"name": "x", "account_id": account["id"], "amount": "1",
                                                         "status": "expired"}, headers=bearer(owner))  # fmt: skip
    assert wrong.status_code in (400, 422)
    assert (await client.get("/api/v1/contracts", headers=bearer(owner))).json()["items"] == []
    assert (await add_contract(client, owner, account["id"]))["number"].endswith("-0001")


async def test_contracts_expiring_soon_are_listed_for_the_to_do_page(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    today = dt.date.today()
    soon = await add_contract(client, owner, account["id"], status="active", end_date=str(today + dt.timedelta(10)))
    later = await add_contract(client, owner, account["id"], status="active", end_date=str(today + dt.timedelta(90)))
    past = await add_contract(client, owner, account["id"], status="active", start_date=str(today - dt.timedelta(400)),
                              end_date=str(today - dt.timedelta(1)))  # fmt: skip
    await add_contract(client, owner, account["id"], end_date=str(today + dt.timedelta(5)))  # a draft: not expiring

    async def listed(**params: Any) -> list[str]:
        answer = await client.get("/api/v1/contracts", params=params, headers=bearer(owner))
        assert answer.status_code == 200, answer.text
        return [c["id"] for c in answer.json()["items"]]

    assert await listed(expiring_within=30) == [soon["id"]]
    assert await listed(status="expired") == [past["id"]]
    assert await listed(status="active") == [later["id"], soon["id"]]
    assert len(await listed(q="年度")) == 4
    with counted_sql() as statements:
        await listed()
    await add_contract(client, owner, account["id"])
    with counted_sql() as again:
        assert len(await listed()) == 5
    assert len(again) == len(statements)


async def test_other_workspaces_get_404_and_never_see_the_contracts(client: Any) -> None:
    owner = await signed_up(client)
    stranger = await signed_up(client)
    account = await add_account(client, owner)
    contract = await add_contract(client, owner, account["id"])
    quote = await accepted_quote(client, owner, account["id"])
    for method, path, body in [
        ("GET", f"/api/v1/contracts/{contract['id']}", None),
        ("PATCH", f"/api/v1/contracts/{contract['id']}", {"name": "x"}),
        ("DELETE", f"/api/v1/contracts/{contract['id']}", None),
        ("POST", f"/api/v1/quotes/{quote['id']}/contract", {}),
    ]:
        answer = await client.request(method, path, json=body, headers=bearer(stranger))
        assert answer.status_code == 404, (method, path, answer.status_code)
    assert (await client.get("/api/v1/contracts", headers=bearer(stranger))).json()["items"] == []
    files = await attach(client, stranger, "contract", contract["id"], "a.pdf", b"%PDF-1.4\n")
    assert files.status_code == 404


async def test_the_reminder_days_are_a_workspace_setting(client: Any) -> None:
    owner = await signed_up(client)
    assert (await client.get("/api/v1/settings/contracts", headers=bearer(owner))).json() == {"reminder_days": 30}
    for bad in (0, 400, "x"):
        answer = await client.put("/api/v1/settings/contracts", json={"reminder_days": bad}, headers=bearer(owner))
        assert answer.status_code in (400, 422), answer.text
    done = await client.put("/api/v1/settings/contracts", json={"reminder_days": 45}, headers=bearer(owner))
    assert done.json() == {"reminder_days": 45}
