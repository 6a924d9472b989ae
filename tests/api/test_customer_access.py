"""Who sees which customers and which of their fields: data scopes, collaborators (团队成员) with expiry,
partners, field permissions and masking through the record, the list, search, export and history,
API token scopes, hand-over, and refusals in the audit log."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from guanxi.db.tenancy import platform_session
from sqlalchemy import text

from tests.api.test_admin import join
from tests.api.test_customers import add_account, add_contact
from tests.conftest import bearer, signed_up


async def status(client: Any, who: dict[str, Any], method: str, url: str, body: Any = None) -> int:
    return int((await client.request(method, url, json=body, headers=bearer(who))).status_code)


async def test_a_rep_sees_their_own_accounts_only_and_a_colleagues_id_is_not_found(client: Any) -> None:
    owner = await signed_up(client)
    rep1, rep2 = await join(client, owner, "sales_rep"), await join(client, owner, "sales_rep")
    mine = await add_account(client, rep1, name="Rep one's")
    theirs = await add_account(client, rep2, name="Rep two's")
    listed = (await client.get("/api/v1/accounts", headers=bearer(rep1))).json()
    assert [a["name"] for a in listed["items"]] == ["Rep one's"]
    assert await status(client, rep1, "GET", f"/api/v1/accounts/{theirs['id']}") == 404
    assert await status(client, rep1, "PATCH", f"/api/v1/accounts/{theirs['id']}", {"name": "x"}) == 404
    assert await status(client, rep1, "PATCH", f"/api/v1/accounts/{mine['id']}", {"heat": "hot"}) == 200
    # the owner (scope all) sees both; the rep cannot create an account for a colleague
    assert len((await client.get("/api/v1/accounts", headers=bearer(owner))).json()["items"]) == 2
    foreign_owner = await client.post(
        "/api/v1/accounts", json={"name": "For rep2", "owner_id": rep2["user"]["id"]}, headers=bearer(rep1)
    )
    assert foreign_owner.status_code == 422
    assert foreign_owner.json()["errors"][0]["field"] == "owner_id"
    refused = await client.get("/api/v1/admin/audit", params={"action": "access.refused"}, headers=bearer(owner))
    entries = refused.json()["items"]
    assert {(e["actor_id"], e["detail"]["status"]) for e in entries} == {(rep1["user"]["id"], 404)}
    assert {e["detail"]["path"] for e in entries} == {f"/api/v1/accounts/{theirs['id']}"}


async def test_a_manager_sees_their_reports_accounts(client: Any) -> None:
    owner = await signed_up(client)
    boss, rep, outsider = [await join(client, owner, role) for role in ("manager", "sales_rep", "sales_rep")]
    await client.patch(
        f"/api/v1/admin/members/{rep['user']['id']}", json={"manager_id": boss["user"]["id"]}, headers=bearer(owner)
    )
    reported = await add_account(client, rep, name="Under the boss")
    await add_account(client, outsider, name="Elsewhere")
    names = {a["name"] for a in (await client.get("/api/v1/accounts", headers=bearer(boss))).json()["items"]}
    assert names == {"Under the boss"}
    assert await status(client, boss, "PATCH", f"/api/v1/accounts/{reported['id']}", {"heat": "warm"}) == 200


async def test_collaborators_read_or_write_until_their_access_expires(client: Any) -> None:
    owner = await signed_up(client)
    rep, helper = await join(client, owner, "sales_rep"), await join(client, owner, "sales_rep")
    account = await add_account(client, rep, name="Shared deal")
    url = f"/api/v1/accounts/{account['id']}"
    helper_id = helper["user"]["id"]
    assert await status(client, helper, "GET", url) == 404
    assert await status(client, rep, "PUT", f"{url}/collaborators/{helper_id}", {"access": "read"}) == 204
    assert await status(client, helper, "GET", url) == 200
    assert await status(client, helper, "PATCH", url, {"heat": "hot"}) == 403
    assert "Shared deal" in {
        a["name"] for a in (await client.get("/api/v1/accounts", headers=bearer(helper))).json()["items"]
    }
    assert await status(client, rep, "PUT", f"{url}/collaborators/{helper_id}", {"access": "write"}) == 204
    assert await status(client, helper, "PATCH", url, {"heat": "hot"}) == 200
    # a collaborator may not bring in others
    assert await status(client, helper, "PUT", f"{url}/collaborators/{owner['user']['id']}", {}) == 403
    team = (await client.get(f"{url}/collaborators", headers=bearer(rep))).json()
    assert [(c["member_id"], c["access"]) for c in team] == [(helper_id, "write")]
    past = await client.put(
        f"{url}/collaborators/{helper_id}", json={"expires_at": "2020-01-01T00:00:00Z"}, headers=bearer(rep)
    )
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "expires_at"
    # time passes: the grant's expiry is now behind us
    async with platform_session() as session:
        schema = await session.scalar(
            text("SELECT schema_name FROM platform.tenants WHERE id = :t"), {"t": uuid.UUID(owner["workspace"]["id"])}
        )
        await session.execute(
            text(f"UPDATE \"{schema}\".collaborators SET expires_at = now() - interval '1 minute'"),
        )
        await session.commit()
    assert await status(client, helper, "GET", url) == 404
    assert await status(client, rep, "DELETE", f"{url}/collaborators/{helper_id}") == 204
    assert await status(client, rep, "DELETE", f"{url}/collaborators/{helper_id}") == 404


async def test_a_partner_sees_only_what_is_shared_with_their_organisation(client: Any) -> None:
    owner = await signed_up(client)
    partner_a, partner_b = await join(client, owner, "partner"), await join(client, owner, "partner")
    for person in (partner_a, partner_b):
        async with platform_session() as session:
            schema = await session.scalar(
                text("SELECT schema_name FROM platform.tenants WHERE id = :t"),
                {"t": uuid.UUID(owner["workspace"]["id"])},
            )
            await session.execute(
                text(f'UPDATE "{schema}".members SET partner_org = :org WHERE id = :m'),
                {"org": "渠道伙伴A", "m": uuid.UUID(person["user"]["id"])},
            )
            await session.commit()
    shared = await add_account(client, owner, name="Shared with partner")
    private = await add_account(client, owner, name="Not shared")
    url = f"/api/v1/accounts/{shared['id']}/collaborators/{partner_a['user']['id']}"
    assert await status(client, owner, "PUT", url, {"access": "read"}) == 204
    for person in (partner_a, partner_b):  # shared with one partner user: their whole organisation sees it
        names = {a["name"] for a in (await client.get("/api/v1/accounts", headers=bearer(person))).json()["items"]}
        assert names == {"Shared with partner"}
        assert await status(client, person, "GET", f"/api/v1/accounts/{private['id']}") == 404
    assert await status(client, partner_a, "GET", "/api/v1/contacts") == 403
    assert await status(client, partner_a, "POST", "/api/v1/accounts", {"name": "x"}) == 403


REP_RULES = {
    "customers": {
        "credit_limit": {"access": "hidden"},
        "phone": {"access": "edit", "mask": "lists"},
        "email": {"access": "read", "mask": "everywhere"},
        "heat": {"access": "hidden"},
    },
    "contacts": {"phones": {"mask": "lists"}, "title": {"access": "read"}},
}


async def test_field_permissions_hide_mask_and_protect_fields_everywhere(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    rules = await client.put("/api/v1/admin/roles/sales_rep/fields", json={"fields": REP_RULES}, headers=bearer(owner))
    assert rules.status_code == 200, rules.text
    assert rules.json()["fields"]["customers"]["credit_limit"] == {"access": "hidden", "mask": "none"}
    account = await add_account(
        client,
        owner,
        name="华强电子",
        phone="13800138000",
        email="zhang.wei@huaqiang.example.cn",
        owner_id=rep["user"]["id"],
    )
    # the rep may not set the hidden field at creation either
    hidden_write = await client.post("/api/v1/accounts", json={"name": "x", "credit_limit": "10"}, headers=bearer(rep))
    assert hidden_write.status_code == 403
    assert hidden_write.json()["errors"][0]["field"] == "credit_limit"
    await client.patch(f"/api/v1/accounts/{account['id']}", json={"credit_limit": "99999.00"}, headers=bearer(owner))
    contact = await add_contact(client, rep, account["id"], phones=["13900139000"])
    url = f"/api/v1/accounts/{account['id']}"

    record = (await client.get(url, headers=bearer(rep))).json()
    assert "credit_limit" not in record and "heat" not in record
    assert record["phone"] == "13800138000"  # masked in lists only
    assert record["email"] == "z***@huaqiang.example.cn"  # masked everywhere
    listed = (await client.get("/api/v1/accounts", headers=bearer(rep))).json()["items"][0]
    assert listed["phone"] == "138****8000" and listed["email"] == "z***@huaqiang.example.cn"
    assert "credit_limit" not in listed
    contact_listed = (await client.get("/api/v1/contacts", headers=bearer(rep))).json()["items"][0]
    assert contact_listed["phones"] == ["139****9000"]
    assert (await client.get(f"/api/v1/contacts/{contact['id']}", headers=bearer(rep))).json()["phones"] == [
        "13900139000"
    ]

    for body, field in (
        ({"credit_limit": "1"}, "credit_limit"),
        ({"email": "new@example.com"}, "email"),
        ({"heat": "hot"}, "heat"),
    ):
        refused = await client.patch(url, json=body, headers=bearer(rep))
        assert refused.status_code == 403, body
        assert refused.json()["errors"][0]["field"] == field
    title = await client.patch(f"/api/v1/contacts/{contact['id']}", json={"title": "CEO"}, headers=bearer(rep))
    assert title.status_code == 403
    assert (await client.patch(url, json={"phone": "13800138001"}, headers=bearer(rep))).status_code == 200
    assert (await client.get("/api/v1/accounts", params={"heat": "hot"}, headers=bearer(rep))).status_code == 403

    # a masked field cannot be read through search...
    for query in ("0013 8001", "huaqiang.example", "0013 9000"):
        hits = (await client.get("/api/v1/search", params={"q": query}, headers=bearer(rep))).json()
        assert hits == [], query
    by_name = (await client.get("/api/v1/search", params={"q": "华强"}, headers=bearer(rep))).json()
    assert [(h["title"], h["matched_field"]) for h in by_name] == [("华强电子", "name")]
    owner_hits = (await client.get("/api/v1/search", params={"q": "0013 8001"}, headers=bearer(owner))).json()
    assert [(h["matched_field"], h["matched_value"]) for h in owner_hits] == [("phone", "13800138001")]
    # ...nor through the list's text filter, the export or the history
    assert (await client.get("/api/v1/accounts", params={"q": "13800138001"}, headers=bearer(rep))).json()[
        "items"
    ] == []
    # reps may not export by default; give them the right to, with the same field rules
    role = (await client.get("/api/v1/admin/roles", headers=bearer(owner))).json()
    grants = next(r for r in role if r["key"] == "sales_rep")["permissions"]
    grants["customers"]["export"] = "own"
    await client.put("/api/v1/admin/roles/sales_rep/permissions", json={"permissions": grants}, headers=bearer(owner))
    exported = await client.get("/api/v1/accounts/export.csv", headers=bearer(rep))
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert "credit_limit" not in rows[0] and "heat" not in rows[0]
    assert (rows[0]["phone"], rows[0]["email"]) == ("138****8001", "z***@huaqiang.example.cn")
    history = (await client.get(f"{url}/history", headers=bearer(rep))).json()
    assert all("credit_limit" not in h["changes"] for h in history)
    assert any(
        "credit_limit" in h["changes"] for h in (await client.get(f"{url}/history", headers=bearer(owner))).json()
    )
    assert all(h["changes"].get("email", ["", "z***@huaqiang.example.cn"])[1] != account["email"] for h in history)


async def test_the_widest_of_several_roles_wins_for_fields_too(client: Any) -> None:
    owner = await signed_up(client)
    person = await join(client, owner, "sales_rep")
    await client.put(
        "/api/v1/admin/roles/sales_rep/fields",
        json={"fields": {"customers": {"phone": {"access": "hidden"}}}},
        headers=bearer(owner),
    )
    account = await add_account(client, owner, name="Two roles", phone="13800138000")
    await client.put(
        f"/api/v1/accounts/{account['id']}/collaborators/{person['user']['id']}",
        json={"access": "read"},
        headers=bearer(owner),
    )
    assert "phone" not in (await client.get(f"/api/v1/accounts/{account['id']}", headers=bearer(person))).json()
    await client.patch(
        f"/api/v1/admin/members/{person['user']['id']}", json={"roles": ["sales_rep", "viewer"]}, headers=bearer(owner)
    )
    record = (await client.get(f"/api/v1/accounts/{account['id']}", headers=bearer(person))).json()
    assert record["phone"] == "13800138000"


async def test_bad_field_rules_name_the_field_and_the_owner_role_stays_open(client: Any) -> None:
    owner, other = await signed_up(client), await signed_up(client)
    for fields, where in (
        ({"spaceships": {}}, "fields.spaceships"),
        ({"customers": {"name": {"access": "hidden"}}}, "fields.customers.name"),
        ({"customers": {"phone": {"access": "invisible"}}}, "fields.customers.phone.access"),
        ({"customers": {"credit_limit": {"mask": "lists"}}}, "fields.customers.credit_limit.mask"),
        ({"customers": {"phone": {"colour": "red"}}}, "fields.customers.phone"),
    ):
        response = await client.put("/api/v1/admin/roles/viewer/fields", json={"fields": fields}, headers=bearer(owner))
        assert response.status_code == 422, fields
        assert response.json()["errors"][0]["field"] == where
    assert (
        await client.put("/api/v1/admin/roles/owner/fields", json={"fields": {}}, headers=bearer(owner))
    ).status_code == 403
    created = (await client.post("/api/v1/admin/roles", json={"name": "Mine"}, headers=bearer(owner))).json()
    assert (await client.get(f"/api/v1/admin/roles/{created['key']}/fields", headers=bearer(other))).status_code == 404
    rep = await join(client, owner, "sales_rep")
    assert (
        await client.put("/api/v1/admin/roles/sales_rep/fields", json={"fields": {}}, headers=bearer(rep))
    ).status_code == 403


async def test_api_tokens_reach_only_their_modules(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner, name="张伟贸易")
    await add_contact(client, owner, account["id"])
    issued = await client.post(
        "/api/v1/tokens", json={"name": "BI", "scopes": ["customers:read"]}, headers=bearer(owner)
    )
    assert issued.status_code == 201, issued.text
    token = {"token": issued.json()["token"]}
    assert await status(client, token, "GET", "/api/v1/accounts") == 200
    assert await status(client, token, "GET", "/api/v1/contacts") == 403
    assert await status(client, token, "POST", "/api/v1/accounts", {"name": "x"}) == 403
    hits = (await client.get("/api/v1/search", params={"q": "张伟"}, headers=bearer(token))).json()
    assert {h["type"] for h in hits} == {"account"}


async def test_hand_over_gives_a_leavers_accounts_and_contacts_to_the_successor(client: Any) -> None:
    owner = await signed_up(client)
    leaver, successor = await join(client, owner, "sales_rep"), await join(client, owner, "sales_rep")
    account = await add_account(client, leaver, name="Loyal customer")
    await add_contact(client, leaver, account["id"])
    moved = await client.post(
        f"/api/v1/admin/members/{leaver['user']['id']}/hand-over",
        json={"to_member_id": successor["user"]["id"]},
        headers=bearer(owner),
    )
    assert moved.status_code == 200, moved.text
    expected = {"accounts": 1, "contacts": 1, "activities": 0, "deals": 0, "quotes": 0, "contracts": 0, "leads": 0,
                "orders": 0, "payment_instalments": 0, "payments": 0, "invoices": 0}  # fmt: skip
    assert moved.json()["moved"] == expected
    assert [a["name"] for a in (await client.get("/api/v1/accounts", headers=bearer(successor))).json()["items"]] == [
        "Loyal customer"
    ]
    assert (await client.get("/api/v1/accounts", headers=bearer(leaver))).json()["items"] == []
