"""Duplicates: found on create by email, phone or a similar name in the same city, only among records
the caller may see; merged into one record that keeps every contact, collaborator and history entry."""

from __future__ import annotations

from typing import Any

from tests.api.test_activities import log
from tests.api.test_admin import join
from tests.api.test_customers import add_account, add_contact
from tests.conftest import bearer, signed_up


async def test_a_new_account_lists_what_it_may_duplicate_and_can_be_refused(client: Any) -> None:
    owner = await signed_up(client)
    huaqiang = await add_account(
        client, owner, name="深圳华强电子有限公司", city="深圳", phone="0755-8888 1234", email="sales@hq.example.cn"
    )
    await add_account(client, owner, name="华强电子", city="上海")  # same name, another city: a different firm
    created = await add_account(client, owner, name="深圳华强电子", city="深圳")
    assert [(d["name"], d["reasons"]) for d in created["possible_duplicates"]] == [("深圳华强电子有限公司", ["name"])]
    by_phone = await add_account(client, owner, name="HQ Electronics", phone="+86 755 8888 1234")
    assert [d["id"] for d in by_phone["possible_duplicates"]] == [huaqiang["id"]]
    assert by_phone["possible_duplicates"][0]["reasons"] == ["phone"]
    refused = await client.post(
        "/api/v1/accounts",
        params={"reject_duplicates": "true"},
        json={"name": "Other", "email": "SALES@hq.example.cn"},
        headers=bearer(owner),
    )
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/possible-duplicate")
    assert refused.json()["errors"][0]["field"] == "email"
    checked = await client.post(
        "/api/v1/accounts/duplicates", json={"name": "Acme Ltd", "city": "London"}, headers=bearer(owner)
    )
    assert checked.status_code == 200 and checked.json() == []
    fresh = await add_account(client, owner, name="Acme Trading Ltd", city="London")
    assert fresh["possible_duplicates"] == []


async def test_duplicates_are_only_found_among_records_one_may_see(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    await add_account(client, owner, name="Secret Co", email="boss@secret.example")
    mine = await add_account(client, rep, name="Other name", email="boss@secret.example")
    assert mine["possible_duplicates"] == []
    other = await signed_up(client)
    theirs = await add_account(client, other, name="Secret Co", email="boss@secret.example")
    assert theirs["possible_duplicates"] == []


async def test_merge_keeps_contacts_team_history_and_fills_empty_fields(client: Any) -> None:
    owner = await signed_up(client)
    helper = await join(client, owner, "sales_rep")
    keep = await add_account(client, owner, name="华强电子", city="深圳", tags=["VIP"])
    gone = await add_account(
        client,
        owner,
        name="深圳华强电子有限公司",
        city="深圳",
        phone="0755-8888 1234",
        tags=["展会", "VIP"],
        heat="hot",
    )
    await add_contact(client, owner, keep["id"])
    moved = await add_contact(client, owner, gone["id"], family_name="Smith", given_name="Jane")
    await client.patch(f"/api/v1/accounts/{gone['id']}", json={"industry": "电子"}, headers=bearer(owner))
    await client.put(
        f"/api/v1/accounts/{gone['id']}/collaborators/{helper['user']['id']}",
        json={"access": "read"},
        headers=bearer(owner),
    )
    visit = await log(client, owner, kind="visit", account_id=gone["id"], subject="上门拜访")
    file = await client.post(
        "/api/v1/attachments",
        params={"record_type": "account", "record_id": gone["id"]},
        files={"file": ("名片.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)},
        headers=bearer(owner),
    )
    merged = await client.post(
        f"/api/v1/accounts/{keep['id']}/merge", json={"merge_ids": [gone["id"]]}, headers=bearer(owner)
    )
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert (body["name"], body["phone"], body["heat"], body["industry"]) == (
        "华强电子",
        "0755-8888 1234",
        "hot",
        "电子",
    )
    assert body["tags"] == ["VIP", "展会"]
    contacts = (await client.get(f"/api/v1/accounts/{keep['id']}/contacts", headers=bearer(owner))).json()["items"]
    assert {c["name"]: c["is_primary"] for c in contacts} == {"张伟": True, "Jane Smith": False}
    assert (await client.get(f"/api/v1/contacts/{moved['id']}", headers=bearer(owner))).json()["account_id"] == keep[
        "id"
    ]
    assert (await client.get(f"/api/v1/accounts/{gone['id']}", headers=bearer(owner))).status_code == 404
    history = (await client.get(f"/api/v1/accounts/{keep['id']}/history", headers=bearer(owner))).json()
    actions = [h["action"] for h in history]
    assert actions[0] == "merged" and actions.count("created") == 2 and "updated" in actions
    assert any(h["changes"].get("industry") == [None, "电子"] for h in history)  # the merged record's own history
    assert (await client.get(f"/api/v1/accounts/{keep['id']}", headers=bearer(helper))).status_code == 200
    timeline = (await client.get(f"/api/v1/accounts/{keep['id']}/timeline", headers=bearer(owner))).json()["items"]
    assert visit["id"] in [item["id"] for item in timeline]
    files = await client.get(
        "/api/v1/attachments", params={"record_type": "account", "record_id": keep["id"]}, headers=bearer(owner)
    )
    assert [f["id"] for f in files.json()] == [file.json()["id"]]
    audit = await client.get("/api/v1/admin/audit", params={"action": "account.merged"}, headers=bearer(owner))
    assert len(audit.json()["items"]) == 1


async def test_merge_needs_delete_rights_and_refuses_bad_ids(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    a, b = await add_account(client, rep, name="A"), await add_account(client, rep, name="B")
    url = f"/api/v1/accounts/{a['id']}/merge"
    assert (await client.post(url, json={"merge_ids": [b["id"]]}, headers=bearer(rep))).status_code == 403
    for ids, status in (([], 422), ([a["id"]], 422), (["not-a-uuid"], 422), ([str(b["id"])] * 11, 200)):
        response = await client.post(url, json={"merge_ids": ids}, headers=bearer(owner))
        assert response.status_code == status, (ids, response.text)
    other = await signed_up(client)
    foreign = await add_account(client, other, name="Foreign")
    stolen = await client.post(
        f"/api/v1/accounts/{foreign['id']}/merge", json={"merge_ids": [a["id"]]}, headers=bearer(owner)
    )
    assert stolen.status_code == 404
    assert (await client.get(f"/api/v1/accounts/{a['id']}", headers=bearer(owner))).status_code == 200


async def test_contacts_show_their_duplicates_and_merge_with_everything_they_have(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner, name="Acme")
    keep = await add_contact(client, owner, account["id"], phones=["138 0013 8000"], emails=["zw@acme.example"])
    twin = await add_contact(client, owner, account["id"], phones=["+86 13800138000", "021-5555 1234"], wechat="zw_1")
    assert [(d["id"], d["reasons"]) for d in twin["possible_duplicates"]] == [(keep["id"], ["phones", "name"])]
    call = await log(client, owner, kind="call", account_id=account["id"], contact_id=twin["id"], subject="Call")
    merged = await client.post(
        f"/api/v1/contacts/{keep['id']}/merge", json={"merge_ids": [twin["id"]]}, headers=bearer(owner)
    )
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["phones"] == ["138 0013 8000", "+86 13800138000", "021-5555 1234"]
    assert (body["wechat"], body["is_primary"]) == ("zw_1", True)
    assert (await client.get(f"/api/v1/activities/{call['id']}", headers=bearer(owner))).json()["contact_id"] == keep[
        "id"
    ]
    assert (await client.get(f"/api/v1/contacts/{twin['id']}", headers=bearer(owner))).status_code == 404
    history = (await client.get(f"/api/v1/contacts/{keep['id']}/history", headers=bearer(owner))).json()
    assert history[0]["action"] == "merged" and [h["action"] for h in history].count("created") == 2
