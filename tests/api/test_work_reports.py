"""Work reports: the draft is pre-filled with the author's own figures of the period (checked against a small
hand-built day), submitting keeps one report per period, readers in scope comment and the author is notified,
a colleague without the scope and another workspace get 404, and bad input is refused by name."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.api.test_activities import log
from tests.api.test_admin import join
from tests.api.test_customers import add_account, counted_sql
from tests.api.test_deals import add_deal, move, pipelines, stage
from tests.conftest import bearer, signed_up


def now(delta: dt.timedelta = dt.timedelta()) -> str:
    return (dt.datetime.now(dt.UTC) + delta).isoformat()


async def draft(client: Any, who: dict[str, Any], kind: str = "daily", day: str | None = None) -> dict[str, Any]:
    query = f"?kind={kind}" + (f"&date={day}" if day else "")
    answer = await client.get(f"/api/v1/work-reports/draft{query}", headers=bearer(who))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_the_draft_holds_the_authors_own_figures_of_the_period(client: Any) -> None:
    owner = await signed_up(client)
    rep, colleague = await join(client, owner, "sales_rep"), await join(client, owner, "sales_rep")
    account = await add_account(client, rep, name="华强电子")
    for subject in ("回电", "Call 🙂"):
        await log(client, rep, kind="call", account_id=account["id"], subject=subject, occurred_at=now())
    await log(
        client, rep, kind="call", account_id=account["id"], subject="last week", occurred_at=now(-dt.timedelta(days=8))
    )
    await log(client, rep, kind="visit", account_id=account["id"], subject="上门拜访", occurred_at=now())
    task = await log(client, rep, kind="task", account_id=account["id"], subject="报价", due_at=now())
    await log(client, rep, kind="task", account_id=account["id"], subject="open", due_at=now())
    assert (await client.post(f"/api/v1/activities/{task['id']}/done", headers=bearer(rep))).status_code in (200, 204)
    theirs = await add_account(client, colleague, name="Theirs")
    await log(client, colleague, kind="call", account_id=theirs["id"], subject="theirs", occurred_at=now())
    deal = await add_deal(client, rep, account["id"], name="ERP", amount="5000")
    [pipeline] = await pipelines(client, rep)
    assert (await move(client, rep, deal["id"], stage_id=stage(pipeline, "open", 1))).status_code == 200
    assert (await move(client, rep, deal["id"], stage_id=stage(pipeline, "won"))).status_code == 200

    today = await draft(client, rep)
    assert today["id"] is None and today["submitted_at"] is None
    figures = today["figures"]
    assert (figures["calls"], figures["visits"], figures["tasks_done"], figures["deals_moved"]) == (2, 1, 1, 1)
    assert float(figures["won_amount"]) == 5000 and float(figures["collected_amount"]) == 0
    week = await draft(client, rep, "weekly")
    assert dt.date.fromisoformat(week["period_start"]).weekday() == 0
    assert week["figures"]["calls"] == 2  # the call 8 days ago is never in this week
    old = await draft(client, rep, "daily", (dt.date.today() - dt.timedelta(days=30)).isoformat())
    assert old["figures"]["calls"] == 0 and old["figures"]["won_amount"] in ("0", "0.00")
    assert (await draft(client, colleague))["figures"]["calls"] == 1


async def test_a_report_is_submitted_read_in_scope_and_commented(client: Any) -> None:
    owner = await signed_up(client)
    rep, colleague = await join(client, owner, "sales_rep"), await join(client, owner, "sales_rep")
    body = {"kind": "daily", "date": dt.date.today().isoformat(), "summary": "拜访了华强 🚀\nשלום", "plans": "明天报价"}
    sent = await client.put("/api/v1/work-reports", json=body, headers=bearer(rep))
    assert sent.status_code == 200, sent.text
    report = sent.json()
    assert report["summary"] == "拜访了华强 🚀\nשלום" and report["submitted_at"] and report["figures"]["calls"] == 0
    again = await client.put("/api/v1/work-reports", json={**body, "summary": "changed"}, headers=bearer(rep))
    assert again.json()["id"] == report["id"] and again.json()["summary"] == "changed"  # one per period
    assert (await draft(client, rep))["id"] == report["id"]

    assert (await client.get(f"/api/v1/work-reports/{report['id']}", headers=bearer(colleague))).status_code == 404
    assert (await client.get("/api/v1/work-reports", headers=bearer(colleague))).json()["items"] == []
    refused = await client.post(
        f"/api/v1/work-reports/{report['id']}/comments", json={"body": "x"}, headers=bearer(colleague)
    )
    assert refused.status_code == 404
    listed = (await client.get("/api/v1/work-reports", headers=bearer(owner))).json()["items"]
    assert [r["id"] for r in listed] == [report["id"]] and listed[0]["author_name"]

    commented = await client.post(
        f"/api/v1/work-reports/{report['id']}/comments", json={"body": "很好，继续跟进 👍"}, headers=bearer(owner)
    )
    assert commented.status_code == 201, commented.text
    assert [c["body"] for c in commented.json()["comments"]] == ["很好，继续跟进 👍"]
    [note] = (await client.get("/api/v1/notifications", headers=bearer(rep))).json()["items"]
    assert note["kind"] == "work_report.comment" and note["link"] == f"/work-reports/{report['id']}"
    assert note["body"] == "很好，继续跟进 👍"
    locked = await client.put("/api/v1/work-reports", json=body, headers=bearer(rep))
    assert locked.status_code == 409 and locked.json()["type"].endswith("report-commented")
    empty = await client.post(
        f"/api/v1/work-reports/{report['id']}/comments", json={"body": "  "}, headers=bearer(owner)
    )
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "body"

    stranger = await signed_up(client)
    assert (await client.get(f"/api/v1/work-reports/{report['id']}", headers=bearer(stranger))).status_code == 404
    assert (
        await client.post(f"/api/v1/work-reports/{report['id']}/comments", json={"body": "x"}, headers=bearer(stranger))
    ).status_code == 404
    assert (await client.get("/api/v1/work-reports", headers=bearer(stranger))).json()["items"] == []


async def test_the_list_takes_the_same_queries_for_one_report_or_many(client: Any) -> None:
    owner = await signed_up(client)
    day = dt.date.today()
    await client.put(
        "/api/v1/work-reports", json={"kind": "daily", "date": day.isoformat(), "summary": "1"}, headers=bearer(owner)
    )
    with counted_sql() as few:
        assert len((await client.get("/api/v1/work-reports", headers=bearer(owner))).json()["items"]) == 1
    for n in range(1, 6):
        body = {"kind": "daily", "date": (day - dt.timedelta(days=n)).isoformat(), "summary": str(n)}
        made = await client.put("/api/v1/work-reports", json=body, headers=bearer(owner))
        assert made.status_code == 200
    with counted_sql() as many:
        assert len((await client.get("/api/v1/work-reports", headers=bearer(owner))).json()["items"]) == 6
    assert len(many) == len(few)
    first = (await client.get("/api/v1/work-reports?limit=4", headers=bearer(owner))).json()
    rest = (
        await client.get(f"/api/v1/work-reports?limit=4&cursor={first['next_cursor']}", headers=bearer(owner))
    ).json()
    assert len(first["items"]) == 4 and len(rest["items"]) == 2 and rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "daily", "date": "2026-11-26"}, "summary"),
        ({"kind": "daily", "date": "2026-11-26", "summary": "   "}, "summary"),
        ({"kind": "daily", "date": "2026-11-26", "summary": "x" * 5001}, "summary"),
        ({"kind": "daily", "date": "2026-11-26", "plans": "bell \x07"}, "plans"),
        ({"kind": "yearly", "date": "2026-11-26", "summary": "x"}, "kind"),
        ({"kind": "daily", "date": "2026-13-40", "summary": "x"}, "date"),
        ({"kind": "daily", "date": "2026-11-26", "summary": 5}, "summary"),
        ({"kind": "daily", "summary": "x"}, "date"),
        ({"kind": "daily", "date": "2026-11-26", "summary": "x", "author_id": "x"}, "author_id"),
    ],
)
async def test_bad_reports_are_refused_by_name_and_nothing_is_written(
    client: Any, body: dict[str, Any], field: str
) -> None:
    owner = await signed_up(client)
    answer = await client.put("/api/v1/work-reports", json=body, headers=bearer(owner))
    assert answer.status_code == 422, answer.text
    assert field in [e["field"] for e in answer.json()["errors"]], answer.text
    assert (await client.get("/api/v1/work-reports", headers=bearer(owner))).json()["items"] == []
    bad = await client.get("/api/v1/work-reports/draft?kind=hourly", headers=bearer(owner))
    assert bad.status_code == 422
