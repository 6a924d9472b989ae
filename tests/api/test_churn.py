"""Churn over HTTP: the settings (defaults, administrators only, bad input named by field), the at-risk list
(riskiest first, keyset pages, within the reader's scope, flat query count), one account's risk, win-back
attempts, the analytics within scope, and other workspaces' customers out (404)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from guanxi.domain.churn.tasks import run_scan
from guanxi.jobs import JobContext

from tests.api.test_admin import join
from tests.api.test_customers import add_account, counted_sql
from tests.api.test_deals import add_deal, loss_reason, move, pipelines, stage
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for
from tests.domain.churn.test_scan import ordered, sql


async def scanned(owner: dict[str, Any]) -> None:
    job = await job_for(owner["workspace"]["id"])
    await run_scan(JobContext(uuid.uuid4(), job.scope))


async def test_settings_start_at_the_defaults_and_only_administrators_change_them(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    got = await client.get("/api/v1/churn/settings", headers=bearer(rep))
    assert got.status_code == 200 and got.json()["threshold"] == 60 and got.json()["can_edit"] is False
    assert got.json()["points"]["complaints"] == 15 and got.json()["order_lateness"] == "1.5"
    refused = await client.put("/api/v1/churn/settings", json={"threshold": 70}, headers=bearer(rep))
    assert refused.status_code == 403
    changed = await client.put(
        "/api/v1/churn/settings", json={"threshold": 70, "points": {"order_gap": 50}, "order_lateness": "2"},
        headers=bearer(owner),
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["threshold"] == 70 and changed.json()["points"]["order_gap"] == 50
    assert changed.json()["points"]["lost_deal"] == 15 and changed.json()["order_lateness"] == "2.00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"threshold": 0}, "threshold"),
        ({"threshold": 101}, "threshold"),
        ({"threshold": "六十"}, "threshold"),
        ({"points": {"order_gap": -1}}, "points.order_gap"),
        ({"points": {"'; DROP TABLE churn_scores;--": 5}}, "points.'; DROP TABLE churn_scores;--"),
        ({"points": {"🚀": 5}}, "points.🚀"),
        ({"order_lateness": "NaN"}, "order_lateness"),
        ({"order_lateness": "0.5"}, "order_lateness"),
        ({"no_activity_days": 99999}, "no_activity_days"),
        ({"win_back_days": 0}, "win_back_days"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_bad_settings_are_refused_naming_the_field_and_change_nothing(
    client: Any, body: dict[str, Any], field: str
) -> None:
    owner = await signed_up(client)
    answer = await client.put("/api/v1/churn/settings", json=body, headers=bearer(owner))
    assert answer.status_code in (400, 422), answer.text
    assert field.split(".")[0] in answer.text
    assert (await client.get("/api/v1/churn/settings", headers=bearer(owner))).json()["threshold"] == 60


async def at_risk_customer(client: Any, owner: dict[str, Any], who: dict[str, Any], name: str) -> dict[str, Any]:
    account = await add_account(client, owner, name=name, owner_id=who["user"]["id"])
    await ordered(client, owner, account["id"], [190, 160, 130, 100])
    job = await job_for(owner["workspace"]["id"])
    await sql(job, "UPDATE {s}.accounts SET last_activity_at = now() - interval '90 days' WHERE id = :a",
              a=uuid.UUID(account["id"]))  # fmt: skip
    return account


async def test_the_at_risk_list_is_riskiest_first_in_pages_within_the_readers_scope(client: Any) -> None:
    owner = await signed_up(client)
    rep, other = await join(client, owner, "sales_rep"), await join(client, owner, "sales_rep")
    mine = [await at_risk_customer(client, owner, rep, f"客户 {n}") for n in range(3)]
    theirs = await at_risk_customer(client, owner, other, "Theirs")
    await add_account(client, owner, name="Fine", owner_id=rep["user"]["id"])
    await scanned(owner)

    everything = (await client.get("/api/v1/churn/at-risk", headers=bearer(owner))).json()
    assert {i["account_id"] for i in everything["items"]} == {a["id"] for a in [*mine, theirs]}
    assert everything["items"][0]["score"] == 70 and everything["items"][0]["at_risk"] is True
    assert {s["key"] for s in everything["items"][0]["signals"]} == {"order_gap", "falling_amount", "no_activity"}
    seen = (await client.get("/api/v1/churn/at-risk", headers=bearer(rep))).json()
    assert {i["account_id"] for i in seen["items"]} == {a["id"] for a in mine}  # only their own

    first = (await client.get("/api/v1/churn/at-risk?limit=2", headers=bearer(rep))).json()
    rest = await client.get(f"/api/v1/churn/at-risk?limit=2&cursor={first['next_cursor']}", headers=bearer(rep))
    assert rest.status_code == 200 and rest.json()["next_cursor"] is None
    ids = [i["account_id"] for i in first["items"] + rest.json()["items"]]
    assert ids == sorted(ids) and len(ids) == 3  # equal scores: by id
    everyone = (await client.get("/api/v1/churn/at-risk?min_score=0", headers=bearer(rep))).json()
    assert len(everyone["items"]) == 4  # with the one scoring 0
    filtered = await client.get(f"/api/v1/churn/at-risk?owner_id={other['user']['id']}", headers=bearer(owner))
    assert [i["account_id"] for i in filtered.json()["items"]] == [theirs["id"]]
    assert (await client.get("/api/v1/churn/at-risk?cursor=%F0%9F%9A%80", headers=bearer(rep))).status_code == 422
    assert (await client.get("/api/v1/churn/at-risk?min_score=101", headers=bearer(rep))).status_code in (400, 422)

    with counted_sql() as few:
        await client.get("/api/v1/churn/at-risk?limit=1", headers=bearer(owner))
    with counted_sql() as many:
        await client.get("/api/v1/churn/at-risk?limit=50", headers=bearer(owner))
    assert len(many) == len(few)


async def test_an_accounts_risk_and_win_back_and_other_workspaces_are_out(client: Any) -> None:
    owner = await signed_up(client)
    account = await at_risk_customer(client, owner, owner, "北京 ACME")
    await scanned(owner)
    risk = await client.get(f"/api/v1/accounts/{account['id']}/risk", headers=bearer(owner))
    assert risk.status_code == 200 and risk.json()["score"] == 70 and risk.json()["at_risk"] is True
    note = "电话回访 🚀 שלום '; DROP TABLE accounts;--"
    tried = await client.post(f"/api/v1/accounts/{account['id']}/win-back", json={"note": note}, headers=bearer(owner))
    assert tried.status_code == 201, tried.text
    assert tried.json()["note"] == note and tried.json()["score"] == 70
    assert (await client.get(f"/api/v1/accounts/{account['id']}/risk", headers=bearer(owner))).json()["win_backs"] == 1
    too_long = await client.post(
        f"/api/v1/accounts/{account['id']}/win-back", json={"note": "长" * 1001}, headers=bearer(owner)
    )
    assert too_long.status_code == 422 and "note" in too_long.text
    wrong = await client.post(f"/api/v1/accounts/{account['id']}/win-back", json={"note": 5}, headers=bearer(owner))
    assert wrong.status_code in (400, 422)

    stranger = await signed_up(client)
    for answer in [
        await client.get(f"/api/v1/accounts/{account['id']}/risk", headers=bearer(stranger)),
        await client.post(f"/api/v1/accounts/{account['id']}/win-back", json={}, headers=bearer(stranger)),
        await client.get(f"/api/v1/accounts/{uuid.uuid4()}/risk", headers=bearer(owner)),
    ]:
        assert answer.status_code == 404
    assert (await client.get("/api/v1/churn/at-risk", headers=bearer(stranger))).json()["items"] == []


async def test_analytics_count_losses_by_stage_reasons_time_and_win_backs_within_scope(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    pipeline = (await pipelines(client, owner))[0]
    why = await loss_reason(client, owner, "价格太高")
    buyer = await add_account(client, owner, name="Buyer", owner_id=rep["user"]["id"])
    await ordered(client, owner, buyer["id"], [40])
    talker = await add_account(client, owner, name="Talker")
    for account in (buyer, talker):
        deal = await add_deal(client, owner, account["id"], owner_id=(rep if account is buyer else owner)["user"]["id"])
        lost = await move(client, owner, deal["id"], stage_id=stage(pipeline, "lost"), loss_reason_id=why)
        assert lost.status_code == 200, lost.text
    first_call = (dt.datetime.now(dt.UTC) - dt.timedelta(days=10)).isoformat()
    made = await client.post(
        "/api/v1/activities", json={"kind": "call", "subject": "首次联系", "account_id": talker["id"],
                                    "occurred_at": first_call}, headers=bearer(owner),
    )  # fmt: skip
    assert made.status_code == 201, made.text
    tried = await client.post(f"/api/v1/accounts/{buyer['id']}/win-back", json={}, headers=bearer(owner))
    assert tried.status_code == 201
    await ordered(client, owner, buyer["id"], [0])  # came back

    seen = await client.get("/api/v1/churn/analytics?period=month", headers=bearer(owner))
    assert seen.status_code == 200, seen.text
    figures = seen.json()
    assert figures["lost_by_stage"] == {"pre_sale": 0, "in_negotiation": 1, "after_sale": 1, "in_pool": 0}
    assert figures["loss_reasons"] == [{"reason": "价格太高", "count": 2}]
    assert figures["time_to_loss"]["count"] == 1 and 9.9 <= figures["time_to_loss"]["median_days"] <= 10.1
    assert figures["win_backs"] == {"attempts": 1, "came_back": 1, "within_days": 90}
    this_month = figures["periods"][-1]
    assert this_month["new"] == 2 and this_month["lost"] == 2 and this_month["total"] == 2
    assert len(figures["periods"]) == 13

    theirs = (await client.get("/api/v1/churn/analytics", headers=bearer(rep))).json()
    assert theirs["lost_by_stage"]["after_sale"] == 1 and theirs["lost_by_stage"]["in_negotiation"] == 0
    assert theirs["win_backs"]["attempts"] == 1 and theirs["periods"][-1]["total"] == 1

    backwards = await client.get("/api/v1/churn/analytics?from=2026-05-01&to=2026-01-01", headers=bearer(owner))
    assert backwards.status_code == 422 and "from" in backwards.text
    assert (await client.get("/api/v1/churn/analytics?period=fortnight", headers=bearer(owner))).status_code in (
        400,
        422,
    )
    assert (await client.get("/api/v1/churn/analytics?from=yesterday", headers=bearer(owner))).status_code in (400, 422)
