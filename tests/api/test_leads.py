"""Leads (线索): recording, qualification, the lead pool (claim: exactly one winner), assignment rules (first match,
even round-robin under concurrency), conversion into account + contact + deal keeping the history, bad input and
other workspaces."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.test_admin import join
from tests.api.test_customers import add_account, counted_sql
from tests.api.test_tokens import as_token, new_token
from tests.conftest import bearer, signed_up


async def add_lead(client: Any, who: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"name": "张伟", "company": "深圳华强电子", **fields}
    answer = await client.post("/api/v1/leads", json=body, headers=bearer(who))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def leads(client: Any, who: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    page = await client.get("/api/v1/leads", params=params, headers=bearer(who))
    assert page.status_code == 200, page.text
    return list(page.json()["items"])


async def set_rules(client: Any, owner: dict[str, Any], rules: list[dict[str, Any]]) -> Any:
    return await client.put("/api/v1/lead-assignment-rules", json=rules, headers=bearer(owner))


async def test_a_lead_is_recorded_qualified_listed_and_deleted(client: Any) -> None:
    owner = await signed_up(client)
    lead = await add_lead(
        client,
        owner,
        title="采购经理",
        phone="+86 138 0000 1111",
        email="Zhang@HuaQiang.example",
        source="展会",
        region="华南",
        industry="电子",
        employees=120,
        estimated_value="50000.00",
        tags=["展会", "VIP"],
        owner_id=owner["user"]["id"],
    )
    assert lead["status"] == "new" and lead["captured_via"] == "manual" and lead["email"] == "zhang@huaqiang.example"
    assert lead["owner_id"] == owner["user"]["id"] and len(lead["currency"]) == 3  # the workspace's currency
    changed = await client.patch(
        f"/api/v1/leads/{lead['id']}",
        json={"status": "qualified", "qualification_note": "有预算，Q1 采购"},
        headers=bearer(owner),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "qualified"
    refused = await client.patch(f"/api/v1/leads/{lead['id']}", json={"status": "unqualified"}, headers=bearer(owner))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "disqualify_reason"
    assert [x["id"] for x in await leads(client, owner, q="华强")] == [lead["id"]]
    assert [x["id"] for x in await leads(client, owner, status="qualified", owner="mine")] == [lead["id"]]
    assert await leads(client, owner, status="new") == [] and await leads(client, owner, owner="pool") == []
    timeline = (await client.get(f"/api/v1/leads/{lead['id']}/timeline", headers=bearer(owner))).json()["items"]
    assert [i["action"] for i in timeline] == ["updated", "created"]
    assert (await client.delete(f"/api/v1/leads/{lead['id']}", headers=bearer(owner))).status_code == 204
    assert (await client.get(f"/api/v1/leads/{lead['id']}", headers=bearer(owner))).status_code == 404
    assert await leads(client, owner) == []


async def test_bad_lead_input_names_the_field_and_writes_nothing(client: Any) -> None:
    owner = await signed_up(client)
    for body, field in [
        ({}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "A", "email": "not-an-email"}, "email"),
        ({"name": "A", "phone": "'; DROP TABLE leads; --"}, "phone"),
        ({"name": "A", "employees": -1}, "employees"),
        ({"name": "A", "estimated_value": "1e20"}, "estimated_value"),
        ({"name": "A", "currency": "XXX1"}, "currency"),
        ({"name": "A", "status": "converted"}, "status"),
        ({"name": "A\u0000B"}, "name"),
    ]:
        answer = await client.post("/api/v1/leads", json=body, headers=bearer(owner))
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["errors"][0]["field"] == field, (body, answer.json())
    for body in ({"name": 5}, {"name": "A", "colour": "red"}, {"name": "A", "status": "won"}):
        answer = await client.post("/api/v1/leads", json=body, headers=bearer(owner))
        assert answer.status_code in (400, 422), (body, answer.text)
    emoji = await add_lead(client, owner, name="🙂 مرحبا 张伟", company=None)
    assert emoji["name"] == "🙂 مرحبا 张伟"
    assert len(await leads(client, owner)) == 1


async def test_two_reps_claiming_the_same_pool_lead_at_once_exactly_one_gets_it(client: Any) -> None:
    owner = await signed_up(client)
    reps = [await join(client, owner, "sales_rep") for _ in range(4)]
    for n in range(2):
        lead = await add_lead(client, owner, name=f"Contested {n}", owner_id=None)
        assert lead["owner_id"] is None
        assert [x["id"] for x in await leads(client, reps[0], owner="pool")] == [lead["id"]]
        answers = await asyncio.gather(
            *(client.post(f"/api/v1/leads/{lead['id']}/claim", headers=bearer(r)) for r in reps)
        )
        codes = sorted(a.status_code for a in answers)
        assert codes == [200, 409, 409, 409], [a.text for a in answers]
        assert next(a for a in answers if a.status_code == 409).json()["type"].endswith("/already-claimed")
        winner = reps[[a.status_code for a in answers].index(200)]
        got = await client.get(f"/api/v1/leads/{lead['id']}", headers=bearer(owner))
        assert got.json()["owner_id"] == winner["user"]["id"]
        assert await leads(client, reps[0], owner="pool") == []
        back = await client.post(f"/api/v1/leads/{lead['id']}/release", headers=bearer(winner))
        assert back.status_code == 200 and back.json()["owner_id"] is None
        await client.post(f"/api/v1/leads/{lead['id']}/claim", headers=bearer(winner))


async def test_a_rep_sees_their_own_leads_and_the_pool_not_a_colleagues(client: Any) -> None:
    owner = await signed_up(client)
    rep, other = await join(client, owner, "sales_rep"), await join(client, owner, "sales_rep")
    theirs = await add_lead(client, other, name="Other's lead", owner_id=other["user"]["id"])
    assert (await client.get(f"/api/v1/leads/{theirs['id']}", headers=bearer(rep))).status_code == 404
    assert await leads(client, rep) == []
    assigned = await client.post(
        f"/api/v1/leads/{theirs['id']}/assign", json={"owner_id": rep["user"]["id"]}, headers=bearer(owner)
    )
    assert assigned.status_code == 200, assigned.text
    assert [x["id"] for x in await leads(client, rep, owner="mine")] == [theirs["id"]]
    by_rep = await client.post(
        f"/api/v1/leads/{theirs['id']}/assign", json={"owner_id": other["user"]["id"]}, headers=bearer(rep)
    )
    assert by_rep.status_code == 403


async def test_converting_makes_account_contact_and_deal_and_keeps_the_leads_activities(client: Any) -> None:
    owner = await signed_up(client)
    lead = await add_lead(
        client,
        owner,
        phone="13800001111",
        email="zw@huaqiang.example",
        employees=80,
        estimated_value="12000",
        source="官网",
    )
    note = await client.post(
        "/api/v1/activities", json={"kind": "call", "lead_id": lead["id"], "subject": "首次电话"}, headers=bearer(owner)
    )
    assert note.status_code == 201, note.text
    elsewhere = await add_account(client, owner, name="Another customer")
    moved = await client.patch(
        f"/api/v1/activities/{note.json()['id']}", json={"account_id": elsewhere["id"]}, headers=bearer(owner)
    )
    assert moved.status_code == 422 and moved.json()["errors"][0]["field"] == "lead_id"
    timeline = (await client.get(f"/api/v1/leads/{lead['id']}/timeline", headers=bearer(owner))).json()["items"]
    assert [i["type"] for i in timeline] == ["activity", "change"]
    converted = await client.post(
        f"/api/v1/leads/{lead['id']}/convert", json={"deal": {"name": "华强 2027 采购"}}, headers=bearer(owner)
    )
    assert converted.status_code == 200, converted.text
    out = converted.json()
    assert out["lead"]["status"] == "converted" and out["lead"]["account_id"] == out["account_id"]
    account = (await client.get(f"/api/v1/accounts/{out['account_id']}", headers=bearer(owner))).json()
    assert account["name"] == "深圳华强电子" and account["size"] == "51-200" and account["source"] == "官网"
    contact = (await client.get(f"/api/v1/contacts/{out['contact_id']}", headers=bearer(owner))).json()
    assert contact["name"] == "张伟" and contact["account_id"] == out["account_id"]
    deal = (await client.get(f"/api/v1/deals/{out['deal_id']}", headers=bearer(owner))).json()
    assert deal["amount"] == "12000.00" and deal["contact_id"] == out["contact_id"]
    on_account = (await client.get(f"/api/v1/accounts/{out['account_id']}/timeline", headers=bearer(owner))).json()
    assert "首次电话" in [i["activity"]["subject"] for i in on_account["items"] if i["type"] == "activity"]
    lead_history = (await client.get(f"/api/v1/leads/{lead['id']}/timeline", headers=bearer(owner))).json()["items"]
    assert lead_history[0]["action"] == "converted" and lead_history[1]["type"] == "activity"
    again = await client.post(f"/api/v1/leads/{lead['id']}/convert", json={}, headers=bearer(owner))
    assert again.status_code == 409
    changed = await client.patch(f"/api/v1/leads/{lead['id']}", json={"name": "x"}, headers=bearer(owner))
    assert changed.status_code == 409


async def test_conversion_onto_an_existing_account_and_a_failed_one_writes_nothing(client: Any) -> None:
    owner = await signed_up(client)
    existing = await add_account(client, owner, name="深圳华强电子")
    lead = await add_lead(client, owner)
    dup = await client.post(f"/api/v1/leads/{lead['id']}/convert", json={}, headers=bearer(owner))
    assert dup.status_code == 409 and dup.json()["type"].endswith("/possible-duplicate")
    bad = await client.post(
        f"/api/v1/leads/{lead['id']}/convert",
        json={"account_id": existing["id"], "deal": {"currency": "NOPE"}},
        headers=bearer(owner),
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "deal.currency", bad.text
    contacts = (await client.get("/api/v1/contacts", headers=bearer(owner))).json()["items"]
    assert contacts == []  # the contact made before the deal failed was rolled back
    assert (await client.get(f"/api/v1/leads/{lead['id']}", headers=bearer(owner))).json()["status"] == "new"
    joined = await client.post(
        f"/api/v1/leads/{lead['id']}/convert", json={"account_id": existing["id"]}, headers=bearer(owner)
    )
    assert joined.status_code == 200, joined.text
    assert joined.json()["account_id"] == existing["id"] and joined.json()["deal_id"] is None


async def test_round_robin_spreads_new_leads_evenly_even_when_they_arrive_at_once(client: Any) -> None:
    owner = await signed_up(client)
    reps = [await join(client, owner, "sales_rep") for _ in range(3)]
    big = await join(client, owner, "sales_rep")
    rules = [
        {"name": "大客户", "min_employees": 1000, "member_ids": [big["user"]["id"]]},
        {
            "name": "展会轮流",
            "sources": ["展会"],
            "regions": ["华南", "华东"],
            "member_ids": [r["user"]["id"] for r in reps],
        },
    ]
    saved = await set_rules(client, owner, rules)
    assert saved.status_code == 200, saved.text
    assert [r["name"] for r in saved.json()] == ["大客户", "展会轮流"]
    created = await asyncio.gather(
        *(
            client.post(
                "/api/v1/leads", json={"name": f"L{n}", "source": "展会", "region": "华南"}, headers=bearer(owner)
            )
            for n in range(9)
        )
    )
    owners = [c.json()["owner_id"] for c in created]
    assert sorted(owners.count(r["user"]["id"]) for r in reps) == [3, 3, 3], owners
    first_match = await add_lead(client, owner, name="Big", source="展会", region="华南", employees=5000)
    assert first_match["owner_id"] == big["user"]["id"]
    no_match = await add_lead(client, owner, name="Elsewhere", source="官网")
    assert no_match["owner_id"] is None  # the lead pool
    refused = await set_rules(client, reps[0], rules)
    assert refused.status_code == 403
    bad = await set_rules(
        client,
        owner,
        [
            {
                "name": "x",
                "min_employees": 10,
                "max_employees": 5,
                "member_ids": ["00000000-0000-0000-0000-000000000001"],
            }
        ],
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"rules[0].max_employees", "rules[0].member_ids[0]"}
    assert len((await client.get("/api/v1/lead-assignment-rules", headers=bearer(owner))).json()) == 2


async def test_the_lead_list_runs_the_same_statements_however_many_rows(client: Any) -> None:
    owner = await signed_up(client)
    for n in range(3):
        await add_lead(client, owner, name=f"Lead {n}")
    with counted_sql() as few:
        await client.get("/api/v1/leads", headers=bearer(owner))
    for n in range(20):
        await add_lead(client, owner, name=f"More {n}")
    with counted_sql() as many:
        page = await client.get("/api/v1/leads", params={"limit": 10}, headers=bearer(owner))
    assert len(many) == len(few)
    rest = await client.get(
        "/api/v1/leads", params={"limit": 50, "cursor": page.json()["next_cursor"]}, headers=bearer(owner)
    )
    assert len(page.json()["items"]) + len(rest.json()["items"]) == 23


async def test_another_workspace_gets_404_for_our_leads_and_sees_none(client: Any) -> None:
    owner = await signed_up(client)
    stranger = await signed_up(client)
    lead = await add_lead(client, owner, owner_id=None)
    for method, path, body in [
        ("GET", f"/api/v1/leads/{lead['id']}", None),
        ("PATCH", f"/api/v1/leads/{lead['id']}", {"name": "x"}),
        ("DELETE", f"/api/v1/leads/{lead['id']}", None),
        ("GET", f"/api/v1/leads/{lead['id']}/timeline", None),
        ("POST", f"/api/v1/leads/{lead['id']}/claim", None),
        ("POST", f"/api/v1/leads/{lead['id']}/release", None),
        ("POST", f"/api/v1/leads/{lead['id']}/assign", {"owner_id": stranger["user"]["id"]}),
        ("POST", f"/api/v1/leads/{lead['id']}/convert", {}),
    ]:
        answer = await client.request(method, path, json=body, headers=bearer(stranger))
        assert answer.status_code == 404, (method, path, answer.text)
    assert await leads(client, stranger) == [] and await leads(client, stranger, owner="pool") == []
    on_ours = await client.post(
        "/api/v1/activities", json={"kind": "note", "lead_id": lead["id"], "subject": "x"}, headers=bearer(stranger)
    )
    assert on_ours.status_code == 422 and on_ours.json()["errors"][0]["field"] == "lead_id"


async def test_an_integration_records_leads_through_the_rules_within_its_token_scopes(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    await set_rules(client, owner, [{"name": "ERP", "sources": ["erp"], "member_ids": [rep["user"]["id"]]}])
    writer = await new_token(client, owner, ["leads:write"])
    reader = await new_token(client, owner, ["leads:read"])
    made = await client.post("/api/v1/leads", json={"company": "云栖科技", "source": "ERP"}, headers=as_token(writer))
    assert made.status_code == 201, made.text
    assert made.json()["captured_via"] == "api" and made.json()["owner_id"] == rep["user"]["id"]
    refused = await client.post("/api/v1/leads", json={"company": "x"}, headers=as_token(reader))
    assert refused.status_code == 403
    listed = await client.get("/api/v1/leads", headers=as_token(reader))
    assert [x["company"] for x in listed.json()["items"]] == ["云栖科技"]
    stranger = await signed_up(client)
    assert (await client.get("/api/v1/lead-assignment-rules", headers=bearer(stranger))).json() == []


async def test_null_clears_a_field_but_a_lead_keeps_a_name_or_company(client: Any) -> None:
    owner = await signed_up(client)
    lead = await add_lead(client, owner, phone="13800001111", employees=50, owner_id=owner["user"]["id"])
    cleared = await client.patch(
        f"/api/v1/leads/{lead['id']}", json={"phone": None, "employees": None, "name": None}, headers=bearer(owner)
    )
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()["phone"], cleared.json()["employees"], cleared.json()["name"]) == (None, None, None)
    nameless = await client.patch(f"/api/v1/leads/{lead['id']}", json={"company": None}, headers=bearer(owner))
    assert nameless.status_code == 422 and nameless.json()["errors"][0]["field"] == "name"
    history = (await client.get(f"/api/v1/leads/{lead['id']}/timeline", headers=bearer(owner))).json()["items"]
    assert history[0]["changes"]["phone"] == ["13800001111", None]
