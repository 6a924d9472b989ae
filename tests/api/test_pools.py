"""The customer pool (客户公海): releasing customers into it, claiming them (exactly one winner, daily limit,
cap, cool-down), assignment by a pool administrator, locks, the pool's settings, and other workspaces."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.test_admin import join
from tests.api.test_customers import add_account, add_contact
from tests.conftest import bearer, signed_up


async def default_pool(client: Any, who: dict[str, Any]) -> dict[str, Any]:
    pools = await client.get("/api/v1/pools", headers=bearer(who))
    assert pools.status_code == 200, pools.text
    return next(p for p in pools.json() if p["is_default"])


async def release(client: Any, who: dict[str, Any], ids: list[str], **extra: Any) -> Any:
    body = {"action": "move_to_pool", "ids": ids, **extra}
    return await client.post("/api/v1/accounts/bulk", json=body, headers=bearer(who))


async def claim(client: Any, who: dict[str, Any], pool_id: str, ids: list[str]) -> Any:
    return await client.post(f"/api/v1/pools/{pool_id}/claim", json={"account_ids": ids}, headers=bearer(who))


async def in_pool(client: Any, who: dict[str, Any], pool_id: str, **params: Any) -> list[dict[str, Any]]:
    page = await client.get(f"/api/v1/pools/{pool_id}/accounts", params=params, headers=bearer(who))
    assert page.status_code == 200, page.text
    return list(page.json()["items"])


async def configure(client: Any, owner: dict[str, Any], pool: dict[str, Any], **settings: Any) -> dict[str, Any]:
    body = {"name": pool["name"], **settings}
    changed = await client.put(f"/api/v1/pools/{pool['id']}", json=body, headers=bearer(owner))
    assert changed.status_code == 200, changed.text
    return dict(changed.json())


async def test_a_released_customer_waits_in_the_pool_and_another_rep_claims_it(client: Any) -> None:
    owner = await signed_up(client, locale="zh-Hans")
    first = await join(client, owner, "sales_rep")
    second = await join(client, owner, "sales_rep")
    account = await add_account(client, first, name="深圳华强电子", city="深圳", phone="+86 755 8888 1234")
    contact = await add_contact(client, first, account["id"])
    pool = await default_pool(client, first)
    assert pool["name"] == "公海" and pool["rules"] == []

    moved = await release(client, first, [account["id"]], reason="客户暂无需求")
    assert moved.json() == {"changed": 1, "remaining": False}
    assert (await client.get(f"/api/v1/accounts/{account['id']}", headers=bearer(first))).status_code == 404
    waiting = await in_pool(client, second, pool["id"])
    assert [(a["name"], a["previous_owner_id"], a["return_reason"]) for a in waiting] == [
        ("深圳华强电子", first["user"]["id"], "客户暂无需求")
    ]
    assert "phone" not in waiting[0]  # contact details show only once claimed (the pool's default)
    assert [a["name"] for a in await in_pool(client, second, pool["id"], q="华强")] == ["深圳华强电子"]
    assert await in_pool(client, second, pool["id"], q="阿里") == []

    taken = await claim(client, second, pool["id"], [account["id"]])
    assert taken.status_code == 200, taken.text
    assert taken.json() == {"claimed": [account["id"]], "claims_left_today": None}
    mine = (await client.get(f"/api/v1/accounts/{account['id']}", headers=bearer(second))).json()
    assert mine["owner_id"] == second["user"]["id"] and mine["previous_owner_id"] == first["user"]["id"]
    assert mine["claimed_at"] is not None
    their_contact = await client.get(f"/api/v1/contacts/{contact['id']}", headers=bearer(second))
    assert their_contact.json()["owner_id"] == second["user"]["id"]  # the contacts come along
    assert await in_pool(client, first, pool["id"]) == []
    history = (await client.get(f"/api/v1/accounts/{account['id']}/history", headers=bearer(owner))).json()
    assert [h["action"] for h in history[:2]] == ["pool_claimed", "pool_released"]
    assert history[1]["changes"] == {"owner_id": [first["user"]["id"], None], "return_reason": [None, "客户暂无需求"]}
    audit = await client.get("/api/v1/admin/audit", params={"action": "pool.claimed"}, headers=bearer(owner))
    assert audit.json()["items"][0]["detail"]["accounts"] == [account["id"]]


async def test_two_reps_claiming_the_same_customer_at_once_exactly_one_gets_it(client: Any) -> None:
    owner = await signed_up(client)
    reps = [await join(client, owner, "sales_rep") for _ in range(4)]
    accounts = [await add_account(client, owner, name=f"Contested {i}") for i in range(3)]
    await release(client, owner, [a["id"] for a in accounts])
    pool = await default_pool(client, owner)
    for account in accounts:
        answers = await asyncio.gather(*(claim(client, rep, pool["id"], [account["id"]]) for rep in reps))
        codes = sorted(a.status_code for a in answers)
        assert codes == [200, 409, 409, 409], [a.text for a in answers]
        refused = next(a for a in answers if a.status_code == 409).json()
        assert refused["type"].endswith("/already-claimed") and refused["errors"][0]["field"] == "account_ids"
        winner = reps[[a.status_code for a in answers].index(200)]
        got = await client.get(f"/api/v1/accounts/{account['id']}", headers=bearer(owner))
        assert got.json()["owner_id"] == winner["user"]["id"]


async def test_daily_limit_cap_and_cool_down_refuse_the_whole_claim(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    other = await join(client, owner, "sales_rep")
    pool = await default_pool(client, owner)
    await configure(client, owner, pool, daily_claim_limit=2, owned_cap=3, reclaim_cooldown_days=7)
    accounts = [await add_account(client, owner, name=f"Pool {i}") for i in range(5)]
    ids = [a["id"] for a in accounts]
    await release(client, owner, ids)

    over = await claim(client, rep, pool["id"], ids[:3])
    assert over.status_code == 409 and over.json()["type"].endswith("/claim-limit")
    assert "2 are left today" in over.json()["detail"]
    assert len(await in_pool(client, rep, pool["id"])) == 5  # nothing was taken
    ok = await claim(client, rep, pool["id"], ids[:2])
    assert ok.json()["claims_left_today"] == 0
    assert (await claim(client, rep, pool["id"], ids[2:3])).json()["type"].endswith("/claim-limit")

    await add_account(client, other, name="Own 1")
    await add_account(client, other, name="Own 2")
    capped = await claim(client, other, pool["id"], ids[2:4])
    assert capped.status_code == 409 and capped.json()["type"].endswith("/owned-cap")
    assert "1 more may be taken" in capped.json()["detail"]
    assert (await claim(client, other, pool["id"], ids[2:3])).status_code == 200

    back = await release(client, rep, ids[:1], reason="not now")
    assert back.json()["changed"] == 1
    cooling = await claim(client, rep, pool["id"], ids[:1])
    assert cooling.status_code == 409 and cooling.json()["type"].endswith("/claim-cooldown")
    still = await in_pool(client, owner, pool["id"])
    assert ids[0] in [a["id"] for a in still]


async def test_won_customers_may_be_left_out_of_the_cap(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    pool = await default_pool(client, owner)
    await configure(client, owner, pool, owned_cap=1, cap_counts_won=False)
    await add_account(client, rep, name="Won", lifecycle_stage="customer")
    waiting = await add_account(client, owner, name="Waiting")
    await release(client, owner, [waiting["id"]])
    assert (await claim(client, rep, pool["id"], [waiting["id"]])).status_code == 200


async def test_pool_admins_assign_and_reps_may_not(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    lead = await join(client, owner, "sales_rep")
    pool = await default_pool(client, owner)
    await configure(client, owner, pool, members=[{"member_id": lead["user"]["id"], "is_admin": True},
                                                  {"member_id": rep["user"]["id"]}])  # fmt: skip
    account = await add_account(client, owner, name="To hand out")
    await release(client, owner, [account["id"]])
    body = {"account_ids": [account["id"]], "owner_id": rep["user"]["id"]}
    refused = await client.post(f"/api/v1/pools/{pool['id']}/assign", json=body, headers=bearer(rep))
    assert refused.status_code == 403
    assigned = await client.post(f"/api/v1/pools/{pool['id']}/assign", json=body, headers=bearer(lead))
    assert assigned.status_code == 204, assigned.text
    got = await client.get(f"/api/v1/accounts/{account['id']}", headers=bearer(rep))
    assert got.json()["owner_id"] == rep["user"]["id"]
    history = (await client.get(f"/api/v1/accounts/{account['id']}/history", headers=bearer(owner))).json()
    assert history[0]["action"] == "pool_assigned"
    inactive = {"account_ids": [account["id"]], "owner_id": "00000000-0000-0000-0000-000000000001"}
    unknown = await client.post(f"/api/v1/pools/{pool['id']}/assign", json=inactive, headers=bearer(lead))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "owner_id"


async def test_a_pool_that_lists_members_is_closed_to_everyone_else(client: Any) -> None:
    owner = await signed_up(client)
    inside = await join(client, owner, "sales_rep")
    outside = await join(client, owner, "sales_rep")
    made = await client.post(
        "/api/v1/pools",
        json={"name": "华南公海", "members": [{"member_id": inside["user"]["id"]}],
              "rules": [{"kind": "no_follow_up", "days": {"A": 30, "*": 15}}]},
        headers=bearer(owner),
    )  # fmt: skip
    assert made.status_code == 201, made.text
    pool = made.json()
    assert pool["rules"] == [{"kind": "no_follow_up", "days": {"A": 30, "*": 15}}]
    assert pool["id"] in [p["id"] for p in (await client.get("/api/v1/pools", headers=bearer(inside))).json()]
    assert pool["id"] not in [p["id"] for p in (await client.get("/api/v1/pools", headers=bearer(outside))).json()]
    assert (await client.get(f"/api/v1/pools/{pool['id']}/accounts", headers=bearer(outside))).status_code == 404
    account = await add_account(client, owner, name="South")
    await release(client, owner, [account["id"]], pool_id=pool["id"])
    assert (await claim(client, outside, pool["id"], [account["id"]])).status_code == 404
    assert (await claim(client, inside, pool["id"], [account["id"]])).status_code == 200
    got = (await client.get(f"/api/v1/accounts/{account['id']}", headers=bearer(inside))).json()
    assert got["pool_id"] == pool["id"]  # its home pool from now on


async def test_locking_keeps_a_customer_and_has_a_cap(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    pool = await default_pool(client, owner)
    await configure(client, owner, pool, locked_cap=1, rules=[{"kind": "no_follow_up", "days": {"*": 10}}])
    first = await add_account(client, rep, name="Key account")
    second = await add_account(client, rep, name="Another")
    status = await client.get(f"/api/v1/accounts/{first['id']}/pool", headers=bearer(rep))
    assert status.json() == {"pool_id": pool["id"], "rule": "no_follow_up:10", "days_left": 10, "locked": False}
    locked = await client.put(f"/api/v1/accounts/{first['id']}/pool/lock", json={"locked": True}, headers=bearer(rep))
    assert locked.status_code == 200 and locked.json()["locked"] is True and locked.json()["days_left"] is None
    over = await client.put(f"/api/v1/accounts/{second['id']}/pool/lock", json={"locked": True}, headers=bearer(rep))
    assert over.status_code == 409 and over.json()["type"].endswith("/locked-cap")
    other = await join(client, owner, "sales_rep")
    assert (
        await client.put(f"/api/v1/accounts/{first['id']}/pool/lock", json={"locked": False}, headers=bearer(other))
    ).status_code == 404  # not theirs: its existence does not leak
    history = (await client.get(f"/api/v1/accounts/{first['id']}/history", headers=bearer(rep))).json()
    assert history[0]["changes"] == {"locked": [False, True]}


async def test_pool_settings_are_checked_field_by_field(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    pool = await default_pool(client, owner)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "P", "rules": [{"kind": "no_visit", "days": {"*": 3}}]}, "rules[0].kind"),
        ({"name": "P", "rules": [{"kind": "not_won", "days": {"a1": 3}}]}, "rules[0].days"),
        ({"name": "P", "rules": [{"kind": "not_won", "days": {"*": 0}}]}, "rules[0].days"),
        ({"name": "P", "rules": [{"kind": "not_won", "days": {}}]}, "rules[0].days"),
        ({"name": "P", "rules": [{"kind": "not_won", "days": {"*": 9}}, {"kind": "not_won", "days": {"*": 3}}]},
         "rules[1].kind"),
        ({"name": "P", "daily_claim_limit": -1}, "daily_claim_limit"),
        ({"name": "P", "daily_claim_limit": "ten"}, "daily_claim_limit"),
        ({"name": "P", "members": [{"member_id": "00000000-0000-0000-0000-000000000009"}]}, "members[0].member_id"),
        ({"name": "P", "members": [{}]}, "members[0]"),
        ({"name": "P'; DROP TABLE pools; --", "surprise": 1}, "surprise"),
    ]  # fmt: skip
    for body, field in cases:
        answer = await client.post("/api/v1/pools", json=body, headers=bearer(owner))
        assert answer.status_code in (400, 422), (body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert field in answer.text, (body, answer.text)
    same = await client.post("/api/v1/pools", json={"name": pool["name"]}, headers=bearer(owner))
    assert same.status_code == 409 and same.json()["errors"][0]["field"] == "name"
    emoji = await client.post("/api/v1/pools", json={"name": "🌊 公海 שלום"}, headers=bearer(owner))
    assert emoji.status_code == 201 and emoji.json()["name"] == "🌊 公海 שלום"
    assert (await client.post("/api/v1/pools", json={"name": "Mine"}, headers=bearer(rep))).status_code == 403
    assert (await client.delete(f"/api/v1/pools/{pool['id']}", headers=bearer(owner))).status_code == 409
    names = [p["name"] for p in (await client.get("/api/v1/pools", headers=bearer(owner))).json()]
    assert names == [pool["name"], "🌊 公海 שלום"]  # nothing half-written by the refused requests


async def test_bad_claims_and_releases_name_the_field(client: Any) -> None:
    owner = await signed_up(client)
    pool = await default_pool(client, owner)
    account = await add_account(client, owner)
    for body, field in [
        ({"account_ids": []}, "account_ids"),
        ({"account_ids": ["not-a-uuid"]}, "account_ids"),
        ({"account_ids": [account["id"]], "x": 1}, "x"),
    ]:
        answer = await client.post(f"/api/v1/pools/{pool['id']}/claim", json=body, headers=bearer(owner))
        assert answer.status_code in (400, 422) and field in answer.text, answer.text
    owned = await claim(client, owner, pool["id"], [account["id"]])
    assert owned.status_code == 409  # not in the pool: it has an owner
    too_long = await release(client, owner, [account["id"]], reason="长" * 501)
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "reason"
    nowhere = await release(client, owner, [account["id"]], pool_id="00000000-0000-0000-0000-000000000003")
    assert nowhere.status_code == 422 and nowhere.json()["errors"][0]["field"] == "pool_id"
    contacts = await client.post(
        "/api/v1/contacts/bulk", json={"action": "move_to_pool", "ids": [account["id"]]}, headers=bearer(owner)
    )
    assert contacts.status_code == 422 and contacts.json()["errors"][0]["field"] == "action"
    got = await client.get(f"/api/v1/accounts/{account['id']}", headers=bearer(owner))
    assert got.json()["owner_id"] == owner["user"]["id"]  # still owned after every refusal


async def test_another_workspace_sees_nothing_of_a_pool(client: Any) -> None:
    owner = await signed_up(client)
    stranger = await signed_up(client)
    pool = await default_pool(client, owner)
    account = await add_account(client, owner, name="Ours")
    await release(client, owner, [account["id"]])
    their_pool = await default_pool(client, stranger)
    assert their_pool["id"] != pool["id"]
    assert (await client.get(f"/api/v1/pools/{pool['id']}", headers=bearer(stranger))).status_code == 404
    assert (await client.get(f"/api/v1/pools/{pool['id']}/accounts", headers=bearer(stranger))).status_code == 404
    assert (await claim(client, stranger, pool["id"], [account["id"]])).status_code == 404
    # Claiming our account through their own pool finds nothing to take.
    assert (await claim(client, stranger, their_pool["id"], [account["id"]])).status_code == 409
    assert await in_pool(client, stranger, their_pool["id"]) == []
    assert (
        await client.put(f"/api/v1/pools/{pool['id']}", json={"name": "x"}, headers=bearer(stranger))
    ).status_code == 404
    assert (await client.delete(f"/api/v1/pools/{pool['id']}", headers=bearer(stranger))).status_code == 404
    body = {"account_ids": [account["id"]], "owner_id": stranger["user"]["id"]}
    assert (
        await client.post(f"/api/v1/pools/{pool['id']}/assign", json=body, headers=bearer(stranger))
    ).status_code == 404
    assert (await client.get(f"/api/v1/accounts/{account['id']}/pool", headers=bearer(stranger))).status_code == 404
    assert len(await in_pool(client, owner, pool["id"])) == 1


async def test_a_pool_that_names_only_administrators_stays_open_to_everyone(client: Any) -> None:
    owner = await signed_up(client)
    lead = await join(client, owner, "sales_rep")
    rep = await join(client, owner, "sales_rep")
    pool = await default_pool(client, owner)
    changed = await configure(client, owner, pool, members=[{"member_id": lead["user"]["id"], "is_admin": True}])
    assert changed["members"] == [{"member_id": lead["user"]["id"], "department_id": None, "is_admin": True}]
    account = await add_account(client, owner, name="Open to all")
    await release(client, owner, [account["id"]])
    mine = next(p for p in (await client.get("/api/v1/pools", headers=bearer(lead))).json() if p["id"] == pool["id"])
    theirs = next(p for p in (await client.get("/api/v1/pools", headers=bearer(rep))).json() if p["id"] == pool["id"])
    assert mine["may_manage"] is True and theirs["may_manage"] is False
    assert (await claim(client, rep, pool["id"], [account["id"]])).status_code == 200
