"""Bulk actions on a selection or a whole filtered list: only the records one may change, each with its
history, repeatable until nothing remains; bad requests name the field."""

from __future__ import annotations

from typing import Any

import pytest
from guanxi.domain.customers import bulk

from tests.api.test_admin import join
from tests.api.test_customers import add_account, add_contact
from tests.conftest import bearer, signed_up


async def post_bulk(client: Any, who: dict[str, Any], body: dict[str, Any], module: str = "accounts") -> Any:
    return await client.post(f"/api/v1/{module}/bulk", json=body, headers=bearer(who))


async def test_change_owner_of_a_filtered_list_with_history_and_audit(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    hot = [await add_account(client, owner, name=f"Hot {i}", heat="hot") for i in range(3)]
    cold = await add_account(client, owner, name="Cold", heat="cold")
    moved = await post_bulk(
        client, owner, {"action": "change_owner", "filter": {"heat": "hot"}, "owner_id": rep["user"]["id"]}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json() == {"changed": 3, "remaining": False}
    again = await post_bulk(
        client, owner, {"action": "change_owner", "filter": {"heat": "hot"}, "owner_id": rep["user"]["id"]}
    )
    assert again.json() == {"changed": 0, "remaining": False}  # a repeat is harmless
    rep_sees = {a["name"] for a in (await client.get("/api/v1/accounts", headers=bearer(rep))).json()["items"]}
    assert rep_sees == {a["name"] for a in hot}
    assert (await client.get(f"/api/v1/accounts/{cold['id']}", headers=bearer(owner))).json()["owner_id"] == owner[
        "user"
    ]["id"]
    history = (await client.get(f"/api/v1/accounts/{hot[0]['id']}/history", headers=bearer(owner))).json()
    assert history[0]["changes"]["owner_id"] == [owner["user"]["id"], rep["user"]["id"]]
    audit = await client.get(
        "/api/v1/admin/audit", params={"action": "account.bulk_change_owner"}, headers=bearer(owner)
    )
    assert [e["detail"]["changed"] for e in audit.json()["items"]] == [0, 3]


async def test_tags_are_added_and_removed_keeping_their_order(client: Any) -> None:
    owner = await signed_up(client)
    a = await add_account(client, owner, name="A", tags=["VIP"])
    b = await add_account(client, owner, name="B", tags=["展会", "VIP"])
    added = await post_bulk(client, owner, {"action": "add_tags", "ids": [a["id"], b["id"]], "tags": ["重点", "展会"]})
    assert added.json()["changed"] == 2
    tags = {x["name"]: x["tags"] for x in (await client.get("/api/v1/accounts", headers=bearer(owner))).json()["items"]}
    assert tags == {"A": ["VIP", "重点", "展会"], "B": ["展会", "VIP", "重点"]}
    removed = await post_bulk(client, owner, {"action": "remove_tags", "filter": {"tag": "VIP"}, "tags": ["VIP"]})
    assert removed.json()["changed"] == 2
    tags = {x["name"]: x["tags"] for x in (await client.get("/api/v1/accounts", headers=bearer(owner))).json()["items"]}
    assert tags == {"A": ["重点", "展会"], "B": ["展会", "重点"]}


async def test_bulk_delete_takes_contacts_along_and_skips_what_one_may_not_delete(client: Any) -> None:
    owner = await signed_up(client)
    boss = await join(client, owner, "manager")
    rep = await join(client, owner, "sales_rep")
    await client.patch(
        f"/api/v1/admin/members/{rep['user']['id']}", json={"manager_id": boss["user"]["id"]}, headers=bearer(owner)
    )
    theirs = await add_account(client, rep, name="Rep's")
    contact = await add_contact(client, rep, theirs["id"])
    outside = await add_account(client, owner, name="Owner's")
    deleted = await post_bulk(client, boss, {"action": "delete", "ids": [theirs["id"], outside["id"]]})
    assert deleted.json() == {"changed": 1, "remaining": False}  # the owner's account is outside the boss's scope
    assert (await client.get(f"/api/v1/contacts/{contact['id']}", headers=bearer(owner))).status_code == 404
    assert (await client.get(f"/api/v1/accounts/{outside['id']}", headers=bearer(owner))).status_code == 200
    assert (await post_bulk(client, rep, {"action": "delete", "ids": [outside["id"]]})).status_code == 403


async def test_a_big_selection_goes_in_batches_until_nothing_remains(client: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(bulk, "BATCH", 2)
    owner = await signed_up(client)
    for i in range(5):
        await add_account(client, owner, name=f"N{i}")
    rounds = []
    while True:
        result = (await post_bulk(client, owner, {"action": "add_tags", "filter": {}, "tags": ["x"]})).json()
        rounds.append(result["changed"])
        if not result["remaining"]:
            break
    assert rounds == [2, 2, 1]


async def test_other_tenants_records_are_never_touched(client: Any) -> None:
    mine, theirs = await signed_up(client), await signed_up(client)
    account = await add_account(client, theirs, name="Theirs")
    result = await post_bulk(client, mine, {"action": "delete", "ids": [account["id"]]})
    assert result.json() == {"changed": 0, "remaining": False}
    result = await post_bulk(client, mine, {"action": "add_tags", "filter": {}, "tags": ["x"]})
    assert result.json()["changed"] == 0
    assert (await client.get(f"/api/v1/accounts/{account['id']}", headers=bearer(theirs))).json()["tags"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "explode", "ids": []}, "action"),
        ({"action": "delete"}, "ids"),
        ({"action": "delete", "ids": [], "filter": {}}, "ids"),
        ({"action": "delete", "ids": []}, "ids"),
        ({"action": "change_owner", "filter": {}}, "owner_id"),
        ({"action": "add_tags", "filter": {}}, "tags"),
        ({"action": "add_tags", "filter": {}, "tags": ["x" * 41]}, "tags[0]"),
        ({"action": "delete", "filter": {"heat": "lukewarm"}}, "filter.heat"),
        ({"action": "delete", "filter": {"custom": {"nope": "1"}}}, "cf.nope"),
        ({"action": "delete", "ids": ["not-a-uuid"]}, "ids[0]"),
    ],
)
async def test_bad_bulk_requests_name_the_field(client: Any, body: dict[str, Any], field: str) -> None:
    owner = await signed_up(client)
    await add_account(client, owner, name="Stays")
    response = await post_bulk(client, owner, body)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert len((await client.get("/api/v1/accounts", headers=bearer(owner))).json()["items"]) == 1


async def test_a_contact_bulk_filter_on_an_account_field_is_refused_naming_it(client: Any) -> None:
    owner = await signed_up(client)
    response = await post_bulk(client, owner, {"action": "delete", "filter": {"heat": "hot"}}, module="contacts")
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "heat"
