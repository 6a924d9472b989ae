"""Targets and forecast: targets per period for the company, departments and members, shared out evenly down the
tree and never more than the whole; progress from the deals won in the period (workspace currency only), each
reader seeing the rows their scope reaches; the weighted forecast by close month; the leaderboard; bad periods,
amounts and subjects named by field; other workspaces out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tests.api.test_admin import join
from tests.api.test_customers import add_account, counted_sql
from tests.api.test_deals import add_deal, move, pipelines, stage
from tests.api.test_orders import add_order
from tests.conftest import bearer, signed_up


async def place(client: Any, owner: dict[str, Any], person: dict[str, Any], department_id: str) -> None:
    answer = await client.patch(
        f"/api/v1/admin/members/{person['user']['id']}", json={"department_id": department_id}, headers=bearer(owner)
    )
    assert answer.status_code == 200, answer.text


async def won_deal(
    client: Any, owner: dict[str, Any], account_id: str, who: dict[str, Any], amount: str, **more: Any
) -> None:
    deal = await add_deal(client, owner, account_id, amount=amount, owner_id=who["user"]["id"], **more)
    won = await move(client, owner, deal["id"], stage_id=stage((await pipelines(client, owner))[0], "won"))
    assert won.status_code == 200, won.text


async def team(client: Any) -> dict[str, Any]:
    """East (with Shanghai under it): rep A in East, rep B in Shanghai; rep C in no department."""
    owner = await signed_up(client, locale="zh-Hans")  # a workspace in 人民币
    east = (await client.post("/api/v1/admin/departments", json={"name": "华东大区"}, headers=bearer(owner))).json()
    shanghai = await client.post(
        "/api/v1/admin/departments", json={"name": "上海组", "parent_id": east["id"]}, headers=bearer(owner)
    )
    assert shanghai.status_code == 201, shanghai.text
    a, b, c = [await join(client, owner, "sales_rep") for _ in range(3)]
    await place(client, owner, a, east["id"])
    await place(client, owner, b, shanghai.json()["id"])
    account = await add_account(client, owner, name="苏州精工")
    await won_deal(client, owner, account["id"], a, "30000.00")
    await won_deal(client, owner, account["id"], b, "12000.50")
    await won_deal(client, owner, account["id"], b, "999.00", currency="USD")  # not counted: another currency
    return {"owner": owner, "east": east["id"], "shanghai": shanghai.json()["id"], "a": a, "b": b, "c": c,
            "account": account}  # fmt: skip


def rows_by(progress: dict[str, Any]) -> dict[tuple[str, str | None], dict[str, Any]]:
    return {(r["subject_type"], r["subject_id"]): r for r in progress["rows"]}


async def test_progress_adds_won_deals_up_the_tree_against_targets_shared_out_evenly(client: Any) -> None:
    t = await team(client)
    owner = t["owner"]
    now = (await client.get("/api/v1/targets", headers=bearer(owner))).json()
    period = now["period"]
    assert len(period) == 7 and now["can_edit"] is True and now["currency"] == "CNY"
    put = await client.put(
        "/api/v1/targets",
        json={"period": period, "metric": "won", "items": [{"subject_type": "company", "amount": "100000"}]},
        headers=bearer(owner),
    )
    assert put.status_code == 200, put.text
    split = await client.post(
        "/api/v1/targets/split", json={"period": period, "metric": "won", "subject_type": "company"},
        headers=bearer(owner),
    )  # fmt: skip
    assert split.status_code == 200, split.text
    rows = rows_by(split.json())
    # The company's parts: the top department and the three people without one (the owner, rep C) -> 3 parts.
    top_parts = [r for r in split.json()["rows"] if r["parent_id"] is None and r["subject_type"] != "company"]
    assert sorted(r["target"] for r in top_parts) == ["33333.33", "33333.33", "33333.34"]
    east = rows[("department", t["east"])]
    again = await client.post(
        "/api/v1/targets/split", json={"period": period, "metric": "won", "subject_type": "department",
                                       "subject_id": t["east"]}, headers=bearer(owner),
    )  # fmt: skip
    rows = rows_by(again.json())
    assert rows[("department", t["shanghai"])]["target"] == "16666.67"
    assert rows[("member", t["a"]["user"]["id"])]["target"] == "16666.67"
    company = rows[("company", None)]
    assert (company["won"], company["won_count"], company["target"], company["gap"]) == (  # before the extra deal
        "42000.50", 2, "100000.00", "57999.50",
    )  # fmt: skip
    assert (east["won"], rows[("department", t["shanghai"])]["won"]) == ("42000.50", "12000.50")
    assert rows[("member", t["a"]["user"]["id"])]["percent"] == "180.0"  # beyond the target: the gap turns negative
    assert rows[("member", t["a"]["user"]["id"])]["gap"] == "-13333.33"
    # Quarter and year are periods of their own; a month's deals count in its quarter too.
    year = int(period[:4])
    quarter = f"{year}-Q{(int(period[5:]) - 1) // 3 + 1}"
    q = (await client.get("/api/v1/targets", params={"period": quarter}, headers=bearer(owner))).json()
    assert rows_by(q)[("company", None)]["won"] == "42000.50" and rows_by(q)[("company", None)]["target"] is None
    last_year = (await client.get("/api/v1/targets", params={"period": str(year - 1)}, headers=bearer(owner))).json()
    assert rows_by(last_year)[("company", None)]["won"] == "0"
    # The dashboard asks the same few queries however many people and deals there are.
    with counted_sql() as few:
        assert (await client.get("/api/v1/targets", headers=bearer(owner))).status_code == 200
    await won_deal(client, owner, t["account"]["id"], await join(client, owner, "sales_rep"), "1.00")
    with counted_sql() as more:
        assert (await client.get("/api/v1/targets", headers=bearer(owner))).status_code == 200
    assert len(few) == len(more) < 20


async def test_each_reader_sees_the_company_and_the_rows_their_scope_reaches(client: Any) -> None:
    t = await team(client)
    seen = (await client.get("/api/v1/targets", headers=bearer(t["b"]))).json()
    assert [(r["subject_type"], r["name"] if r["subject_type"] != "company" else "") for r in seen["rows"]] == [
        ("company", ""),
        ("department", "上海组"),
        ("member", "Member sales_rep"),
    ]  # fmt: skip  (a department shows when the reader sees all its people: here only themselves)
    assert [r["won"] for r in seen["rows"]] == ["42000.50", "12000.50", "12000.50"] and seen["can_edit"] is False
    body = {"period": "2027", "metric": "won", "items": [{"subject_type": "company", "amount": "1"}]}
    refused = await client.put("/api/v1/targets", json=body, headers=bearer(t["b"]))
    assert refused.status_code == 403
    board = (await client.get("/api/v1/targets/leaderboard", headers=bearer(t["c"]))).json()
    assert [(r["rank"], r["amount"]) for r in board[:2]] == [(1, "30000.00"), (2, "12000.50")]
    assert {r["rank"] for r in board[2:]} == {3} and len(board) == 4  # the owner and rep C tie with nothing won


async def test_targets_never_add_up_beyond_the_whole_and_bad_input_is_named(client: Any) -> None:
    t = await team(client)
    owner = t["owner"]

    async def put(items: list[dict[str, Any]], period: str = "2027-03", metric: str = "won") -> Any:
        return await client.put(
            "/api/v1/targets", json={"period": period, "metric": metric, "items": items}, headers=bearer(owner)
        )

    assert (await put([{"subject_type": "department", "subject_id": t["east"], "amount": "5000"}])).status_code == 200
    over = await put([{"subject_type": "member", "subject_id": t["a"]["user"]["id"], "amount": "3000"},
                      {"subject_type": "department", "subject_id": t["shanghai"], "amount": "2000.01"}])  # fmt: skip
    assert over.status_code == 422 and over.json()["errors"][0]["field"] == "items", over.text
    kept = (await client.get("/api/v1/targets", params={"period": "2027-03"}, headers=bearer(owner))).json()
    assert rows_by(kept)[("member", t["a"]["user"]["id"])]["target"] is None  # nothing half-written
    stranger = await signed_up(client)
    cases: list[tuple[list[dict[str, Any]], str, str]] = [
        ([{"subject_type": "company", "amount": "-1"}], "2027-03", "items[0].amount"),
        ([{"subject_type": "company", "amount": "1e13"}], "2027-03", "items[0].amount"),
        ([{"subject_type": "company", "amount": "0.001"}], "2027-03", "items[0].amount"),
        (
            [{"subject_type": "member", "subject_id": stranger["user"]["id"], "amount": "1"}],
            "2027-03",
            "items[0].subject_id",
        ),
        ([{"subject_type": "department", "amount": "1"}], "2027-03", "items[0].subject_id"),
        ([{"subject_type": "company", "subject_id": t["east"], "amount": "1"}], "2027-03", "items[0].subject_id"),
        ([{"subject_type": "company", "amount": "1"}] * 2, "2027-03", "items[1].subject_id"),
        ([{"subject_type": "company", "amount": "1"}], "2027-13", "period"),
        ([{"subject_type": "company", "amount": "1"}], "2027-Q5", "period"),
        ([{"subject_type": "company", "amount": "1"}], "二〇二七", "period"),
        ([{"subject_type": "company", "amount": "1"}], "2027'; DROP TABLE sales_targets; --", "period"),
        ([{"subject_type": "company", "amount": "1"}], "", "period"),
    ]
    for items, period, field in cases:
        answer = await put(items, period)
        assert answer.status_code == 422, (items, period, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert field in [e["field"] for e in answer.json()["errors"]], (field, answer.text)
    for body in ({"period": "2027", "metric": "profit", "items": []}, {"period": "2027", "metric": "won", "items": "x"},
                 {"period": 2027, "metric": "won", "items": []}):  # fmt: skip
        assert (await client.put("/api/v1/targets", json=body, headers=bearer(owner))).status_code in (400, 422), body
    nothing = await client.post(
        "/api/v1/targets/split", json={"period": "2027-04", "metric": "won", "subject_type": "company"},
        headers=bearer(owner),
    )  # fmt: skip
    assert nothing.status_code == 422 and nothing.json()["errors"][0]["field"] == "subject_id"
    bad = await client.get("/api/v1/targets", params={"period": "2027-00"}, headers=bearer(owner))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "period"
    # Another workspace sees none of it.
    theirs = (await client.get("/api/v1/targets", params={"period": "2027-03"}, headers=bearer(stranger))).json()
    assert [r["subject_type"] for r in theirs["rows"]] == ["company", "member"]
    assert all(r["target"] is None for r in theirs["rows"])
    assert (await client.get("/api/v1/targets/leaderboard", headers=bearer(stranger))).json()[0]["amount"] == "0"


async def test_the_forecast_weights_open_deals_by_close_month(client: Any) -> None:
    owner = await signed_up(client, locale="zh-Hans")
    account = await add_account(client, owner)
    pipeline = (await pipelines(client, owner))[0]
    first_stage = pipeline["stages"][0]
    today = dt.date.today()
    later = (today.replace(day=1) + dt.timedelta(days=40)).replace(day=5)
    await add_deal(client, owner, account["id"], amount="10000", expected_close_date=later.isoformat())
    await add_deal(client, owner, account["id"], amount="5000", probability="90", expected_close_date=later.isoformat())
    await add_deal(client, owner, account["id"], amount="700", expected_close_date="2020-01-01")
    await add_deal(client, owner, account["id"], amount="300")
    await add_deal(client, owner, account["id"], amount="800", currency="USD", expected_close_date=later.isoformat())
    await add_deal(
        client, owner, account["id"], amount="1", expected_close_date=(today + dt.timedelta(days=900)).isoformat()
    )
    months = (await client.get("/api/v1/targets/forecast", headers=bearer(owner))).json()
    found = {(m["month"], m["currency"]): m for m in months}
    key = (later.strftime("%Y-%m"), "CNY")
    weighted = (Decimal(10000) * Decimal(str(first_stage["probability"])) / 100 + 4500).quantize(Decimal("0.01"))
    assert (found[key]["count"], found[key]["total"], found[key]["weighted"]) == (2, "15000.00", str(weighted))
    assert found[("overdue", "CNY")]["total"] == "700.00" and found[("none", "CNY")]["total"] == "300.00"
    assert found[(later.strftime("%Y-%m"), "USD")]["total"] == "800.00"
    assert months[0]["month"] == "overdue" and months[-1]["month"] == "none"
    assert sum(m["count"] for m in months) == 5  # the deal 900 days out is beyond the six months asked for
    zero = await client.get("/api/v1/targets/forecast", params={"months": 0}, headers=bearer(owner))
    assert zero.status_code == 422 and "months" in zero.text
    stranger = await signed_up(client)
    assert (await client.get("/api/v1/targets/forecast", headers=bearer(stranger))).json() == []


async def test_collected_amounts_and_what_is_still_open_count_by_the_orders_owner(client: Any) -> None:
    t = await team(client)
    owner, a, b = t["owner"], t["a"], t["b"]
    paid = await add_order(client, owner, t["account"]["id"], owner_id=a["user"]["id"])  # total 10,600.00
    answer = await client.post(f"/api/v1/orders/{paid['id']}/payments", json={"amount": "3000", "method": "alipay"},
                               headers=bearer(owner))  # fmt: skip
    assert answer.status_code == 201, answer.text
    await add_order(client, owner, t["account"]["id"], owner_id=b["user"]["id"])  # nothing collected yet
    now = (await client.get("/api/v1/targets", params={"metric": "collected"}, headers=bearer(owner))).json()
    target = {"period": now["period"], "metric": "collected",
              "items": [{"subject_type": "member", "subject_id": a["user"]["id"], "amount": "6000"}]}  # fmt: skip
    assert (await client.put("/api/v1/targets", json=target, headers=bearer(owner))).status_code == 200
    rows = rows_by((await client.get("/api/v1/targets", params={"metric": "collected"}, headers=bearer(owner))).json())
    mine = rows[("member", a["user"]["id"])]
    assert (mine["collected"], mine["achieved"], mine["target"], mine["percent"], mine["outstanding"]) == (
        "3000.00", "3000.00", "6000.00", "50.0", "7600.00",
    )  # fmt: skip
    assert mine["won"] == "30000.00"  # won amounts stay beside the collected ones
    company = rows[("company", None)]
    assert (company["collected"], company["outstanding"]) == ("3000.00", "18200.00")
    assert rows[("department", t["east"])]["outstanding"] == "18200.00"  # both reps are under East
    won_view = rows_by((await client.get("/api/v1/targets", headers=bearer(owner))).json())
    assert won_view[("member", a["user"]["id"])]["target"] is None  # targets are per metric
    board = await client.get("/api/v1/targets/leaderboard", params={"metric": "collected"}, headers=bearer(owner))
    assert [(r["name"], r["amount"], r["count"], r["percent"]) for r in board.json()[:1]] == [
        ("Member sales_rep", "3000.00", 1, "50.0"),
    ]  # fmt: skip
