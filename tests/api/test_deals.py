"""Deals (商机): opened on an account, moved across their pipeline (lost needs a reason, won makes the account a
customer, a stage of another pipeline is refused), the kanban with counts and sums per stage, pipelines and loss
reasons set up by administrators, bad input named by field, and other workspaces kept out."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.test_admin import join
from tests.api.test_customers import add_account, add_contact, counted_sql
from tests.conftest import bearer, signed_up


async def add_deal(client: Any, who: dict[str, Any], account_id: str, **fields: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/deals", json={"name": "ERP 升级项目", "account_id": account_id, **fields}, headers=bearer(who)
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def pipelines(client: Any, who: dict[str, Any]) -> list[dict[str, Any]]:
    answer = await client.get("/api/v1/pipelines", headers=bearer(who))
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def stage(pipeline: dict[str, Any], outcome: str, nth: int = 0) -> str:
    return str([s for s in pipeline["stages"] if s["outcome"] == outcome][nth]["id"])


async def move(client: Any, who: dict[str, Any], deal_id: str, **body: Any) -> Any:
    return await client.post(f"/api/v1/deals/{deal_id}/move", json=body, headers=bearer(who))


async def loss_reason(client: Any, owner: dict[str, Any], name: str = "价格太高") -> str:
    made = await client.post("/api/v1/loss-reasons", json={"name": name}, headers=bearer(owner))
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def test_a_deal_opens_in_the_first_stage_in_the_workspace_currency(client: Any) -> None:
    owner = await signed_up(client, locale="zh-Hans")
    account = await add_account(client, owner, name="深圳华强电子")
    contact = await add_contact(client, owner, account["id"])
    deal = await add_deal(
        client, owner, account["id"], contact_id=contact["id"], amount="128000.50", expected_close_date="2026-12-31",
        competitors=["金蝶", "用友"],
    )  # fmt: skip
    [pipeline] = await pipelines(client, owner)
    assert deal["pipeline_id"] == pipeline["id"] and deal["stage_id"] == stage(pipeline, "open")
    assert (deal["status"], deal["currency"], deal["amount"]) == ("open", "CNY", "128000.50")
    assert deal["owner_id"] == owner["user"]["id"] and deal["account_name"] == "深圳华强电子"
    assert deal["competitors"] == ["金蝶", "用友"] and deal["stage_probability"] == "10.00"
    listed = (await client.get("/api/v1/deals", params={"account_id": account["id"]}, headers=bearer(owner))).json()
    assert [d["id"] for d in listed["items"]] == [deal["id"]]


async def test_moving_through_the_stages_keeps_a_history_and_winning_makes_a_customer(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner, name="Acme Ltd")
    deal = await add_deal(client, owner, account["id"], name="Acme rollout", amount="5000")
    [pipeline] = await pipelines(client, owner)
    assert (await move(client, owner, deal["id"], stage_id=stage(pipeline, "open", 2))).status_code == 200
    won = await move(client, owner, deal["id"], stage_id=stage(pipeline, "won"))
    assert won.status_code == 200 and won.json()["status"] == "won" and won.json()["closed_at"] is not None
    history = (await client.get(f"/api/v1/deals/{deal['id']}/stages", headers=bearer(owner))).json()
    assert [h["to_stage_id"] for h in history] == [
        stage(pipeline, "open"),
        stage(pipeline, "open", 2),
        stage(pipeline, "won"),
    ]
    assert history[0]["from_stage_id"] is None and history[1]["seconds_in_previous"] >= 0
    got = (await client.get(f"/api/v1/accounts/{account['id']}", headers=bearer(owner))).json()
    assert got["lifecycle_stage"] == "customer"
    account_history = (await client.get(f"/api/v1/accounts/{account['id']}/history", headers=bearer(owner))).json()
    assert account_history[0]["changes"] == {"lifecycle_stage": ["prospect", "customer"]}
    audit = await client.get("/api/v1/admin/audit", params={"action": "deal.won"}, headers=bearer(owner))
    assert audit.json()["items"][0]["target_id"] == deal["id"]


async def test_lost_needs_a_reason_of_the_workspace(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    deal = await add_deal(client, owner, account["id"])
    [pipeline] = await pipelines(client, owner)
    lost = stage(pipeline, "lost")
    missing = await move(client, owner, deal["id"], stage_id=lost)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "loss_reason_id"
    unknown = await move(
        client, owner, deal["id"], stage_id=lost, loss_reason_id="00000000-0000-0000-0000-000000000001"
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "loss_reason_id"
    reason = await loss_reason(client, owner)
    retired = await loss_reason(client, owner, "Old reason")
    await client.put(f"/api/v1/loss-reasons/{retired}", json={"name": "Old reason", "active": False},
                     headers=bearer(owner))  # fmt: skip
    assert (await move(client, owner, deal["id"], stage_id=lost, loss_reason_id=retired)).status_code == 422
    got = (await client.get(f"/api/v1/deals/{deal['id']}", headers=bearer(owner))).json()
    assert got["status"] == "open"  # nothing changed by the refused moves
    done = await move(client, owner, deal["id"], stage_id=lost, loss_reason_id=reason, loss_note="选了竞品 🙁")
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["loss_reason_id"], done.json()["loss_note"]) == (
        "lost",
        reason,
        "选了竞品 🙁",
    )
    reopened = await move(client, owner, deal["id"], stage_id=stage(pipeline, "open"))
    assert reopened.json()["status"] == "open" and reopened.json()["loss_reason_id"] is None


async def test_a_stage_of_another_pipeline_is_refused(client: Any) -> None:
    owner = await signed_up(client)
    other = await client.post(
        "/api/v1/pipelines",
        json={"name": "渠道销售", "stages": [{"name": "初访", "probability": 20}, {"name": "赢单", "probability": 100,
              "outcome": "won"}, {"name": "输单", "probability": 0, "outcome": "lost"}]},
        headers=bearer(owner),
    )  # fmt: skip
    assert other.status_code == 201, other.text
    account = await add_account(client, owner)
    deal = await add_deal(client, owner, account["id"])
    refused = await move(client, owner, deal["id"], stage_id=other.json()["stages"][0]["id"])
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "stage_id"
    in_other = await add_deal(client, owner, account["id"], pipeline_id=other.json()["id"])
    assert in_other["stage_id"] == other.json()["stages"][0]["id"]
    mixed = await client.post(
        "/api/v1/deals",
        json={
            "name": "x",
            "account_id": account["id"],
            "pipeline_id": other.json()["id"],
            "stage_id": deal["stage_id"],
        },
        headers=bearer(owner),
    )
    assert mixed.status_code == 422 and mixed.json()["errors"][0]["field"] == "stage_id"


async def test_two_moves_at_once_one_wins_and_the_other_is_told(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    deal = await add_deal(client, owner, account["id"])
    [pipeline] = await pipelines(client, owner)
    answers = await asyncio.gather(
        move(client, owner, deal["id"], stage_id=stage(pipeline, "open", 1)),
        move(client, owner, deal["id"], stage_id=stage(pipeline, "open", 2)),
    )
    codes = sorted(a.status_code for a in answers)
    assert codes in ([200, 200], [200, 409]), [a.text for a in answers]
    history = (await client.get(f"/api/v1/deals/{deal['id']}/stages", headers=bearer(owner))).json()
    final = (await client.get(f"/api/v1/deals/{deal['id']}", headers=bearer(owner))).json()
    assert history[-1]["to_stage_id"] == final["stage_id"]  # the history agrees with the deal
    assert len(history) == 1 + codes.count(200)


async def test_the_board_counts_and_sums_each_stage_within_ones_scope(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    mine = await add_account(client, rep, name="Rep's customer")
    theirs = await add_account(client, owner, name="Owner's customer")
    [pipeline] = await pipelines(client, owner)
    for amount in ("100", "200", "300"):
        await add_deal(client, rep, mine["id"], amount=amount)
    await add_deal(client, rep, mine["id"], amount="50", currency="EUR")
    await add_deal(client, owner, theirs["id"], amount="9999")
    with counted_sql() as statements:
        board = await client.get(f"/api/v1/pipelines/{pipeline['id']}/board", params={"cards": 2}, headers=bearer(rep))
    assert board.status_code == 200, board.text
    first = board.json()["columns"][0]
    assert first["count"] == 4 and first["amounts"] == {"USD": "600.00", "EUR": "50.00"}
    assert first["weighted"] == {"USD": "60.00", "EUR": "5.00"} and len(first["deals"]) == 2 and first["more"] is True
    assert [c["count"] for c in board.json()["columns"][1:]] == [0] * (len(pipeline["stages"]) - 1)
    queries = len(statements)
    whole = (await client.get(f"/api/v1/pipelines/{pipeline['id']}/board", headers=bearer(owner))).json()
    assert whole["columns"][0]["count"] == 5  # the owner sees everyone's
    only = await client.get(f"/api/v1/pipelines/{pipeline['id']}/board", params={"owner_id": rep["user"]["id"]},
                            headers=bearer(owner))  # fmt: skip
    assert only.json()["columns"][0]["count"] == 4
    for amount in range(10):
        await add_deal(client, rep, mine["id"], amount=str(amount))
    with counted_sql() as again:
        await client.get(f"/api/v1/pipelines/{pipeline['id']}/board", params={"cards": 50}, headers=bearer(rep))
    assert len(again) == queries  # no query per card or per stage


async def test_the_list_pages_by_keyset_without_gaps_or_repeats(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    made = {(await add_deal(client, owner, account["id"], name=f"Deal {n}", amount=str(n)))["id"] for n in range(7)}
    for sort in ("-updated_at", "-amount", "expected_close_date"):
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 3, "sort": sort, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/api/v1/deals", params=params, headers=bearer(owner))).json()
            seen += [d["id"] for d in page["items"]]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        assert len(seen) == 7 and set(seen) == made, sort
    bad = await client.get("/api/v1/deals", params={"cursor": "garbage"}, headers=bearer(owner))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


async def test_bad_deals_are_refused_by_field_and_nothing_is_written(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    account = await add_account(client, owner)
    elsewhere = await add_account(client, owner, name="Other")
    stranger_contact = await add_contact(client, owner, elsewhere["id"])
    not_reps = await add_account(client, owner, name="Not the rep's")
    cases: list[tuple[dict[str, Any], str, dict[str, Any]]] = [
        ({"name": ""}, "name", owner),
        ({"name": "x" * 201}, "name", owner),
        ({"amount": "-1"}, "amount", owner),
        ({"amount": "1e15"}, "amount", owner),
        ({"amount": "12.345"}, "amount", owner),
        ({"amount": "abc"}, "amount", owner),
        ({"currency": "RMB"}, "currency", owner),
        ({"currency": "😀"}, "currency", owner),
        ({"probability": "120"}, "probability", owner),
        ({"expected_close_date": "2026-02-30"}, "expected_close_date", owner),
        ({"contact_id": stranger_contact["id"]}, "contact_id", owner),
        ({"description": "长" * 20_001}, "description", owner),
        ({"competitors": ["x"] * 21}, "competitors", owner),
        ({"surprise": True}, "surprise", owner),
        ({"account_id": not_reps["id"]}, "account_id", rep),
        ({"owner_id": "00000000-0000-0000-0000-000000000001"}, "owner_id", owner),
    ]
    for fields, field, who in cases:
        body = {"name": "Deal", "account_id": account["id"], **fields}
        answer = await client.post("/api/v1/deals", json=body, headers=bearer(who))
        assert answer.status_code in (400, 422), (fields, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert field in answer.text, (fields, answer.text)
    assert (await client.get("/api/v1/deals", headers=bearer(owner))).json()["items"] == []
    odd = await add_deal(client, owner, account["id"], name="Robert'); DROP TABLE deals;-- ‮שלום 🚀")
    assert odd["name"] == "Robert'); DROP TABLE deals;-- ‮שלום 🚀"
    moved = await client.patch(f"/api/v1/deals/{odd['id']}", json={"stage_id": odd["stage_id"]}, headers=bearer(owner))
    assert moved.status_code == 422 and moved.json()["errors"][0]["field"] == "stage_id"


async def test_pipelines_and_loss_reasons_are_for_administrators(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    stages = [{"name": "初访", "probability": 10}, {"name": "赢单", "probability": 100, "outcome": "won"},
              {"name": "输单", "probability": 0, "outcome": "lost"}]  # fmt: skip
    assert (await client.post("/api/v1/pipelines", json={"name": "P", "stages": stages},
                              headers=bearer(rep))).status_code == 403  # fmt: skip
    assert (await client.post("/api/v1/loss-reasons", json={"name": "x"}, headers=bearer(rep))).status_code == 403
    for body, field in [
        ({"name": "P", "stages": stages[:2]}, "stages"),
        ({"name": "P", "stages": [*stages, {"name": "又赢", "probability": 100, "outcome": "won"}]}, "stages"),
        ({"name": "P", "stages": [{**stages[0], "probability": 101}, *stages[1:]]}, "stages[0].probability"),
        ({"name": " ", "stages": stages}, "name"),
        ({"name": "P", "stages": [{**stages[0], "outcome": "maybe"}, *stages[1:]]}, "outcome"),
    ]:
        answer = await client.post("/api/v1/pipelines", json=body, headers=bearer(owner))
        assert answer.status_code in (400, 422) and field in answer.text, answer.text
    [default] = await pipelines(client, owner)
    account = await add_account(client, owner)
    deal = await add_deal(client, owner, account["id"])
    kept = [{"id": s["id"], "name": s["name"], "probability": s["probability"], "outcome": s["outcome"]}
            for s in default["stages"] if s["id"] != deal["stage_id"]]  # fmt: skip
    in_use = await client.put(f"/api/v1/pipelines/{default['id']}", json={"name": default["name"], "stages": kept},
                              headers=bearer(owner))  # fmt: skip
    assert in_use.status_code == 409 and in_use.json()["type"].endswith("/stage-in-use")
    renamed = [{"id": s["id"], "name": f"{s['name']}!", "probability": s["probability"], "outcome": s["outcome"]}
               for s in reversed(default["stages"][:-2])] + [
        {"id": s["id"], "name": s["name"], "probability": s["probability"], "outcome": s["outcome"]}
        for s in default["stages"][-2:]
    ]  # fmt: skip
    changed = await client.put(f"/api/v1/pipelines/{default['id']}", json={"name": "新流程", "stages": renamed},
                               headers=bearer(owner))  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert [s["id"] for s in changed.json()["stages"]] == [s["id"] for s in renamed]
    assert (await client.get(f"/api/v1/deals/{deal['id']}", headers=bearer(owner))).json()["stage_id"] == deal[
        "stage_id"
    ]
    await loss_reason(client, owner, "预算不足")
    twice = await client.post("/api/v1/loss-reasons", json={"name": "预算不足"}, headers=bearer(owner))
    assert twice.status_code == 409 and twice.json()["errors"][0]["field"] == "name"
    assert [r["name"] for r in (await client.get("/api/v1/loss-reasons", headers=bearer(rep))).json()] == ["预算不足"]


async def test_another_workspace_never_reaches_a_deal(client: Any) -> None:
    owner = await signed_up(client)
    stranger = await signed_up(client)
    account = await add_account(client, owner)
    deal = await add_deal(client, owner, account["id"])
    [pipeline] = await pipelines(client, owner)
    for method, path, body in [
        ("GET", f"/api/v1/deals/{deal['id']}", None),
        ("PATCH", f"/api/v1/deals/{deal['id']}", {"name": "x"}),
        ("POST", f"/api/v1/deals/{deal['id']}/move", {"stage_id": stage(pipeline, "won")}),
        ("DELETE", f"/api/v1/deals/{deal['id']}", None),
        ("GET", f"/api/v1/deals/{deal['id']}/stages", None),
        ("GET", f"/api/v1/pipelines/{pipeline['id']}/board", None),
        ("PUT", f"/api/v1/pipelines/{pipeline['id']}", {"name": "x", "stages": []}),
    ]:
        answer = await client.request(method, path, json=body, headers=bearer(stranger))
        assert answer.status_code == 404, (method, path, answer.text)
    on_ours = await client.post("/api/v1/deals", json={"name": "x", "account_id": account["id"]},
                                headers=bearer(stranger))  # fmt: skip
    assert on_ours.status_code == 422 and on_ours.json()["errors"][0]["field"] == "account_id"
    assert (await client.get("/api/v1/deals", headers=bearer(stranger))).json()["items"] == []
    got = (await client.get(f"/api/v1/deals/{deal['id']}", headers=bearer(owner))).json()
    assert got["name"] == deal["name"] and got["status"] == "open"


async def test_the_board_keeps_closed_deals_for_thirty_days(client: Any) -> None:
    from guanxi.db.tenancy import tenant_session
    from sqlalchemy import text

    from tests.domain.audit.test_retention import job_for

    owner = await signed_up(client)
    account = await add_account(client, owner)
    [pipeline] = await pipelines(client, owner)
    recent = await add_deal(client, owner, account["id"], name="Won last week")
    old = await add_deal(client, owner, account["id"], name="Won last year")
    for deal in (recent, old):
        await move(client, owner, deal["id"], stage_id=stage(pipeline, "won"))
    job = await job_for(owner["workspace"]["id"])
    async with tenant_session(job.scope) as session:
        await session.execute(
            text(f"UPDATE \"{job.scope.schema}\".deals SET closed_at = now() - interval '400 days' WHERE id = :i"),
            {"i": old["id"]},
        )
        await session.commit()
    board = (await client.get(f"/api/v1/pipelines/{pipeline['id']}/board", headers=bearer(owner))).json()
    won = next(c for c in board["columns"] if c["outcome"] == "won")
    assert won["count"] == 1 and [d["name"] for d in won["deals"]] == ["Won last week"]
    listed = (await client.get("/api/v1/deals", params={"status": "won"}, headers=bearer(owner))).json()
    assert {d["name"] for d in listed["items"]} == {"Won last week", "Won last year"}  # the list keeps them all


async def test_merging_accounts_and_contacts_keeps_their_deals(client: Any) -> None:
    owner = await signed_up(client)
    survivor = await add_account(client, owner, name="华强电子")
    duplicate = await add_account(client, owner, name="华强电子有限公司")
    kept_contact = await add_contact(client, owner, survivor["id"], emails=["li@huaqiang.example"])
    twin_contact = await add_contact(client, owner, duplicate["id"], emails=["li2@huaqiang.example"])
    deal = await add_deal(client, owner, duplicate["id"], contact_id=twin_contact["id"])
    merged = await client.post(f"/api/v1/accounts/{survivor['id']}/merge", json={"merge_ids": [duplicate["id"]]},
                               headers=bearer(owner))  # fmt: skip
    assert merged.status_code == 200, merged.text
    moved = (await client.get(f"/api/v1/deals/{deal['id']}", headers=bearer(owner))).json()
    assert moved["account_id"] == survivor["id"] and moved["account_name"] == "华强电子"
    merged_contacts = await client.post(f"/api/v1/contacts/{kept_contact['id']}/merge",
                                        json={"merge_ids": [twin_contact["id"]]}, headers=bearer(owner))  # fmt: skip
    assert merged_contacts.status_code == 200, merged_contacts.text
    assert (await client.get(f"/api/v1/deals/{deal['id']}", headers=bearer(owner))).json()[
        "contact_id"
    ] == kept_contact["id"]


async def test_the_accounts_timeline_tells_its_deals_story_to_those_who_may_see_them(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    account = await add_account(client, rep, name="Shared customer")
    await client.put(f"/api/v1/accounts/{account['id']}/collaborators/{owner['user']['id']}", json={"access": "read"},
                     headers=bearer(rep))  # fmt: skip
    [pipeline] = await pipelines(client, owner)
    mine = await add_deal(client, rep, account["id"], name="Rep's deal")
    await move(client, rep, mine["id"], stage_id=stage(pipeline, "open", 1))
    theirs = await add_deal(client, owner, account["id"], name="Owner's deal")
    timeline = (await client.get(f"/api/v1/accounts/{account['id']}/timeline", headers=bearer(rep))).json()["items"]
    deal_items = [i for i in timeline if i.get("record_type") == "deal"]
    assert [(i["action"], i["record_name"]) for i in deal_items] == [("moved", "Rep's deal"), ("created", "Rep's deal")]
    moved = deal_items[0]
    first, second = stage(pipeline, "open"), stage(pipeline, "open", 1)
    assert moved["changes"]["stage_id"] == [first, second]
    names = {s["id"]: s["name"] for s in pipeline["stages"]}
    assert moved["names"] == {first: names[first], second: names[second]}
    assert theirs["id"] not in {i["record_id"] for i in deal_items}  # the owner's deal is outside the rep's scope


async def test_a_deals_timeline_tells_its_moves_beside_the_follow_ups_on_its_account(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner, name="华南精密")
    deal = await add_deal(client, owner, account["id"], amount="5000")
    other = await add_deal(client, owner, account["id"], name="Another deal")
    pipeline = (await pipelines(client, owner))[0]
    assert (await move(client, owner, deal["id"], stage_id=stage(pipeline, "open", 1))).status_code == 200
    assert (await move(client, owner, other["id"], stage_id=stage(pipeline, "open", 2))).status_code == 200
    call = await client.post(
        "/api/v1/activities", json={"kind": "call", "account_id": account["id"], "subject": "谈价格"},
        headers=bearer(owner),
    )  # fmt: skip
    assert call.status_code == 201, call.text
    answer = await client.get(f"/api/v1/deals/{deal['id']}/timeline", headers=bearer(owner))
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert items[0]["type"] == "activity" and items[0]["activity"]["subject"] == "谈价格"
    changes = [(i["action"], i["record_id"]) for i in items if i["type"] == "change"]
    assert changes == [("moved", deal["id"]), ("created", deal["id"])]  # not the other deal's
    moved = next(i for i in items if i.get("action") == "moved")
    assert moved["names"][moved["changes"]["stage_id"][1]] == pipeline["stages"][1]["name"]
    stranger = await signed_up(client)
    assert (await client.get(f"/api/v1/deals/{deal['id']}/timeline", headers=bearer(stranger))).status_code == 404
