"""A rep's day: their own follow-ups due today or overdue (not done ones, not later ones, not a colleague's),
and their customers about to go back to the pool, with the days left; nothing of another workspace."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.api.test_activities import log
from tests.api.test_admin import join
from tests.api.test_contracts import add_contract
from tests.api.test_customers import add_account
from tests.api.test_orders import add_order
from tests.api.test_pools import configure, default_pool
from tests.api.test_quotes import _mark_sent, add_quote
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for
from tests.domain.test_pool_reclaim import age


def at(delta: dt.timedelta) -> str:
    return (dt.datetime.now(dt.UTC) + delta).isoformat()


async def sections(client: Any, who: dict[str, Any]) -> dict[str, dict[str, Any]]:
    answer = await client.get("/api/v1/todo", headers=bearer(who))
    assert answer.status_code == 200, answer.text
    return {s["key"]: s for s in answer.json()["sections"]}


async def test_the_day_lists_my_follow_ups_due_and_my_customers_about_to_return(client: Any) -> None:
    owner = await signed_up(client, locale="zh-Hans")
    rep, colleague = await join(client, owner, "sales_rep"), await join(client, owner, "sales_rep")
    account = await add_account(client, rep, name="宁波港联")
    overdue = await log(
        client, rep, kind="task", account_id=account["id"], subject="回电确认交期", due_at=at(-dt.timedelta(days=2))
    )
    today = await log(
        client, rep, kind="call", account_id=account["id"], subject="Call back 🙂", due_at=at(-dt.timedelta(minutes=1))
    )
    await log(client, rep, kind="task", account_id=account["id"], subject="next week", due_at=at(dt.timedelta(days=7)))
    done = await log(
        client, rep, kind="task", account_id=account["id"], subject="done", due_at=at(-dt.timedelta(hours=2))
    )
    assert (await client.post(f"/api/v1/activities/{done['id']}/done", headers=bearer(rep))).status_code in (200, 204)
    theirs = await add_account(client, colleague, name="Their customer")
    await log(
        client, colleague, kind="task", account_id=theirs["id"], subject="theirs", due_at=at(-dt.timedelta(days=1))
    )

    pool = await default_pool(client, owner)
    await configure(client, owner, pool, warn_days=3, rules=[{"kind": "no_follow_up", "days": {"*": 10}}])
    soon = await add_account(client, rep, name="华强电子")
    job = await job_for(owner["workspace"]["id"])
    await age(job, soon["id"], 8)

    mine = await sections(client, rep)
    assert list(mine)[:2] == ["follow_ups", "pool_returns"]
    follow = mine["follow_ups"]
    assert follow["count"] == 2
    assert [(i["record_id"], i["overdue"], i["detail"]) for i in follow["items"]] == [
        (overdue["id"], True, "宁波港联"), (today["id"], True, "宁波港联"),
    ]  # fmt: skip
    returns = mine["pool_returns"]
    assert [(i["title"], i["days_left"], i["detail"]) for i in returns["items"]] == [("华强电子", 2, "no_follow_up:10")]
    assert (await sections(client, colleague))["follow_ups"]["items"][0]["title"] == "theirs"
    stranger = await signed_up(client)
    assert all(s["count"] == 0 and s["items"] == [] for s in (await sections(client, stranger)).values())
    assert (await client.get("/api/v1/todo")).status_code == 401


async def test_the_day_lists_my_quotes_contracts_and_payments_due(client: Any) -> None:
    owner = await signed_up(client, locale="zh-Hans")
    account = await add_account(client, owner, name="杭州云栖")
    waiting = await add_quote(client, owner, account["id"], lines=[{"name": "实施服务", "unit_price": "5000"}])
    expired = await add_quote(client, owner, account["id"], lines=[{"name": "旧报价", "unit_price": "10"}])
    draft = await add_quote(client, owner, account["id"], lines=[{"name": "草稿", "unit_price": "10"}])
    await _mark_sent(owner, waiting["id"], dt.date.today() + dt.timedelta(days=6))
    await _mark_sent(owner, expired["id"], dt.date.today() - dt.timedelta(days=1))
    today = dt.date.today()
    ending = await add_contract(client, owner, account["id"], status="active", end_date=str(today + dt.timedelta(10)))
    await add_contract(client, owner, account["id"], status="active", end_date=str(today + dt.timedelta(90)))
    await add_contract(client, owner, account["id"], end_date=str(today + dt.timedelta(5)))  # a draft

    order = await add_order(client, owner, account["id"])  # total 10,600.00
    base = f"/api/v1/orders/{order['id']}"
    for due, amount in ((today - dt.timedelta(days=3), "1000"), (today + dt.timedelta(days=2), "2000"),
                        (today + dt.timedelta(days=40), "3000")):  # fmt: skip
        made = await client.post(f"{base}/instalments", json={"due_date": str(due), "amount": amount},
                                 headers=bearer(owner))  # fmt: skip
        assert made.status_code == 201, made.text
    payment = {
        "amount": "400",
        "method": "cash",
        "instalment_id": (await client.get(base, headers=bearer(owner))).json()["instalments"][0]["id"],
    }
    assert (await client.post(f"{base}/payments", json=payment, headers=bearer(owner))).status_code == 201

    mine = await sections(client, owner)
    payments = mine["payments_due"]
    assert payments["count"] == 2  # the one due in 40 days is beyond the reminder days
    assert [(i["amount"], i["overdue"], i["record_id"]) for i in payments["items"]] == [
        ("600.00", True, order["id"]), ("2000.00", False, order["id"]),
    ]  # fmt: skip
    quotes = mine["quotes_waiting"]
    assert quotes["count"] == 1 and quotes["items"][0]["record_id"] == waiting["id"]
    assert (
        quotes["items"][0]["title"] == f"{waiting['number']} · 杭州云栖" and quotes["items"][0]["amount"] == "5000.00"
    )
    assert quotes["items"][0]["days_left"] in (5, 6, 7)  # the workspace's today may be a day off UTC's
    contracts = mine["contracts_expiring"]
    assert [(i["record_id"], i["detail"]) for i in contracts["items"]] == [(ending["id"], "杭州云栖")]
    assert draft["id"] not in str(mine)
    rep = await join(client, owner, "sales_rep")  # someone else's documents are not on their day
    theirs = await sections(client, rep)
    assert theirs["quotes_waiting"]["count"] == 0 and theirs["contracts_expiring"]["count"] == 0
    assert theirs["payments_due"]["count"] == 0


async def test_grades_order_the_follow_ups_and_the_orders_waiting_to_ship(client: Any) -> None:
    """客户分级 drives the work queues: an A customer's follow-up and order come before a C customer's, even when the
    C one waited longer; shipped orders and a colleague's are not listed."""
    from tests.api.test_grading import sql

    owner = await signed_up(client, locale="zh-Hans")
    rep, colleague = await join(client, owner, "sales_rep"), await join(client, owner, "sales_rep")
    key, small = await add_account(client, rep, name="重点客户 A"), await add_account(client, rep, name="小客户 C")
    job = await job_for(owner["workspace"]["id"])
    await sql(job, "UPDATE S.accounts SET grade = 'A' WHERE id = CAST(:i AS uuid)", i=key["id"])
    await sql(job, "UPDATE S.accounts SET grade = 'C' WHERE id = CAST(:i AS uuid)", i=small["id"])
    late = await log(client, rep, kind="call", account_id=small["id"], subject="C 客户回访",
                     due_at=at(-dt.timedelta(days=3)))  # fmt: skip
    first = await log(client, rep, kind="visit", account_id=key["id"], subject="A 客户拜访",
                      due_at=at(-dt.timedelta(hours=1)))  # fmt: skip
    old = await add_order(client, rep, small["id"], order_date=(dt.date.today() - dt.timedelta(days=5)).isoformat())
    new = await add_order(client, rep, key["id"])
    shipped = await add_order(client, rep, key["id"])
    moved = await client.post(f"/api/v1/orders/{shipped['id']}/status", json={"status": "shipped"},
                              headers=bearer(rep))  # fmt: skip
    assert moved.status_code == 200, moved.text
    await add_order(client, colleague, (await add_account(client, colleague, name="Theirs"))["id"])

    mine = await sections(client, rep)
    follow = [(i["record_id"], i["grade"]) for i in mine["follow_ups"]["items"]]
    assert follow == [(first["id"], "A"), (late["id"], "C")]
    waiting = mine["orders_to_fulfil"]
    assert waiting["count"] == 2
    assert [(i["record_id"], i["grade"]) for i in waiting["items"]] == [(new["id"], "A"), (old["id"], "C")]
    # days since it was confirmed: five days before today in UTC, six when the workspace's day is already tomorrow
    assert waiting["items"][1]["days_left"] in (5, 6)
    assert (await sections(client, colleague))["orders_to_fulfil"]["count"] == 1
