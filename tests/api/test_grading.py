"""Customer grading: settings validated by field; a run scores a hand-built dataset exactly as computed by hand
(credit, order amount, profit, percentile, cut-offs, a D band); manual grades stay over runs with their reason;
history only on change; the report within the reader's scope with keyset pages and a fixed number of queries;
other workspaces' accounts are 404."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from decimal import Decimal
from typing import Any

from guanxi.db.tenancy import tenant_session
from guanxi.domain.grading.tasks import grade_customers
from guanxi.jobs import JobContext
from openpyxl import load_workbook
from sqlalchemy import text

from tests.api.test_admin import join
from tests.api.test_customers import add_account, counted_sql
from tests.api.test_orders import add_order
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for

DEFAULT_BANDS = [{"grade": "A", "share_percent": 20}, {"grade": "B", "share_percent": 30},
                 {"grade": "C", "share_percent": 50}]  # fmt: skip
DEFAULT_CRITERIA = [{"kind": "credit", "weight": 10}, {"kind": "order_amount", "weight": 30},
                    {"kind": "profit", "weight": 60}]  # fmt: skip


async def sql(job: JobContext, statement: str, **params: Any) -> None:
    async with tenant_session(job.scope) as session:
        await session.execute(text(statement.replace("S.", f'"{job.scope.schema}".')), params)
        await session.commit()


async def dataset(client: Any, who: dict[str, Any]) -> tuple[JobContext, dict[str, str]]:
    """Five customers; by hand (weights 10/30/60):
    order amount 100/200/300/400/0 -> percent_rank .25/.5/.75/1/0 -> 7.5/15/22.5/30/0 points
    profit 50/10/30/40/0 -> 1/.25/.5/.75/0 -> 60/15/30/45/0 points
    credit: n1 one of two instalments 10 days late -> (1-.5)*30/40 = .375 -> 3.75; n4 one unpaid past due -> 0;
    others nothing due -> 10. Scores: n1 71.25, n2 40, n3 62.5, n4 75, n5 10."""
    job = await job_for(who["workspace"]["id"])
    ids: dict[str, str] = {}
    orders: dict[str, str] = {}
    for name, total, margin in (("n1", 100, 50), ("n2", 200, 10), ("n3", 300, 30), ("n4", 400, 40), ("n5", 0, 0)):
        account = await add_account(client, who, name=f"客户 {name}")
        ids[name] = account["id"]
        if total:
            order = await add_order(client, who, account["id"])
            orders[name] = order["id"]
            await sql(job, "UPDATE S.orders SET total = :t, margin = :m WHERE id = :i", t=total, m=margin,
                      i=uuid.UUID(order["id"]))  # fmt: skip
    today = dt.date.today()
    plan = "INSERT INTO S.payment_instalments (id, order_id, account_id, currency, position, due_date, amount, " \
        "collected, status, paid_on) VALUES (:i, :o, :a, 'CNY', :p, :d, 10, :c, :s, :paid)"  # fmt: skip
    pay = "INSERT INTO S.payments (id, number, order_id, instalment_id, account_id, currency, paid_on, amount, " \
        "method) VALUES (:i, :n, :o, :s, :a, 'CNY', :d, 10, 'cash')"  # fmt: skip
    late, on_time, unpaid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    n1, n4 = uuid.UUID(ids["n1"]), uuid.UUID(ids["n4"])
    o1, o4 = uuid.UUID(orders["n1"]), uuid.UUID(orders["n4"])
    day = {n: today - dt.timedelta(days=n) for n in (5, 20, 21, 30, 40)}
    await sql(job, plan, i=late, o=o1, a=n1, p=1, d=day[40], c=10, s="paid", paid=day[30])
    await sql(job, pay, i=uuid.uuid4(), n="T-1", o=o1, s=late, a=n1, d=today - dt.timedelta(days=30))
    await sql(job, plan, i=on_time, o=o1, a=n1, p=2, d=day[20], c=10, s="paid", paid=day[21])
    await sql(job, pay, i=uuid.uuid4(), n="T-2", o=o1, s=on_time, a=n1, d=today - dt.timedelta(days=21))
    await sql(job, plan, i=unpaid, o=o4, a=n4, p=1, d=day[5], c=0, s="pending", paid=None)
    return job, ids


async def settle(client: Any, who: dict[str, Any], **body: Any) -> Any:
    payload = {"criteria": DEFAULT_CRITERIA, "bands": DEFAULT_BANDS, **body}
    return await client.put("/api/v1/grading/settings", json=payload, headers=bearer(who))


async def graded(client: Any, who: dict[str, Any], ids: dict[str, str]) -> dict[str, dict[str, Any]]:
    answer = await client.get("/api/v1/grading/report", params={"limit": 200}, headers=bearer(who))
    assert answer.status_code == 200, answer.text
    names = {v: k for k, v in ids.items()}
    return {names[row["account_id"]]: row for row in answer.json()["items"] if row["account_id"] in names}


async def test_defaults_and_bad_settings_name_the_field(client: Any) -> None:
    owner = await signed_up(client)
    got = await client.get("/api/v1/grading/settings", headers=bearer(owner))
    assert got.status_code == 200, got.text
    assert [c["weight"] for c in got.json()["criteria"]] == [10, 30, 60]
    assert got.json()["follow_up_days"] == {"A": 30, "B": 90, "C": 180}
    assert got.json()["complaint_response_days"] == {"A": 3, "B": 4, "C": 5}

    def fields(answer: Any) -> set[str]:
        assert answer.status_code in (400, 422), answer.text
        return {e["field"] for e in answer.json().get("errors", [])}

    assert "criteria" in fields(await settle(client, owner, criteria=[{"kind": "credit", "weight": 50}]))
    bad = await settle(client, owner, criteria=[{"kind": "credit", "weight": -10},
                                                {"kind": "profit", "weight": 110}])  # fmt: skip
    assert "criteria[0].weight" in fields(bad)
    assert "bands" in fields(await settle(client, owner, bands=DEFAULT_BANDS[:2]))  # 50 %, not 100
    overlapping = [{"grade": "A", "min_score": 50}, {"grade": "B", "min_score": 60}, {"grade": "C", "min_score": 0}]
    assert "bands[1].min_score" in fields(await settle(client, owner, method="cutoffs", bands=overlapping))
    unknown = [*DEFAULT_CRITERIA[:2], {"kind": "custom_field", "weight": 60, "field_key": "'; DROP TABLE x; --"}]
    assert "criteria[2].field_key" in fields(await settle(client, owner, criteria=unknown))
    assert "follow_up_days.A" in fields(await settle(client, owner, follow_up_days={"A": 0}))
    wrong_type = await client.put("/api/v1/grading/settings", json={"criteria": "很多", "bands": []},
                                  headers=bearer(owner))  # fmt: skip
    assert wrong_type.status_code == 422 and wrong_type.json()["errors"][0]["field"] == "criteria"
    broken = await client.put(
        "/api/v1/grading/settings", content=b"{", headers={**bearer(owner), "content-type": "application/json"}
    )
    assert broken.status_code in (400, 422), broken.text
    rep = await join(client, owner, "sales_rep")
    assert (await settle(client, rep)).status_code == 403
    # nothing half-written: the defaults still stand
    again = await client.get("/api/v1/grading/settings", headers=bearer(owner))
    assert again.json() == got.json()


async def test_a_run_scores_and_grades_as_computed_by_hand(client: Any) -> None:
    owner = await signed_up(client)
    job, ids = await dataset(client, owner)
    started = await client.post("/api/v1/grading/runs", headers=bearer(owner))
    assert started.status_code == 202, started.text
    second = await client.post("/api/v1/grading/runs", headers=bearer(owner))
    assert second.json()["id"] == started.json()["id"]  # the open run, not a second one
    latest = (await client.get("/api/v1/grading/runs/latest", headers=bearer(owner))).json()["run"]
    assert (latest["id"], latest["status"]) == (started.json()["id"], "queued")
    run = await grade_customers(job, uuid.UUID(started.json()["id"]))
    assert (run.status, run.scored, run.changed) == ("done", 5, 5)
    rows = await graded(client, owner, ids)
    assert {k: Decimal(r["score"]) for k, r in rows.items()} == {
        "n1": Decimal("71.25"),
        "n2": Decimal(40),
        "n3": Decimal("62.5"),
        "n4": Decimal(75),
        "n5": Decimal(10),
    }
    assert {k: r["grade"] for k, r in rows.items()} == {"n4": "A", "n1": "B", "n3": "B", "n2": "C", "n5": "C"}
    # decimals as strings, as every amount of the API
    assert rows["n1"]["points"] == {"credit": "3.75", "order_amount": "7.50", "profit": "60.00"}
    assert Decimal(rows["n1"]["raw"]["credit_late_share"]) == Decimal("0.5")
    assert Decimal(rows["n1"]["raw"]["credit_days_late"]) == 10 and rows["n1"]["raw"]["instalments_due"] == "2"
    assert Decimal(rows["n1"]["raw"]["order_amount"]) == 100 and Decimal(rows["n1"]["raw"]["profit"]) == 50
    assert Decimal(rows["n4"]["raw"]["credit_days_late"]) == 5 and Decimal(rows["n4"]["points"]["credit"]) == 0
    assert [r["account_id"] for r in (await client.get("/api/v1/grading/report", headers=bearer(owner))).json()[
        "items"]] == [ids[n] for n in ("n4", "n1", "n3", "n2", "n5")]  # fmt: skip
    # a redelivery of the finished run changes nothing
    assert (await grade_customers(job, run.id)).changed == 5
    history = (await client.get(f"/api/v1/accounts/{ids['n4']}/grade-history", headers=bearer(owner))).json()
    assert [(h["from_grade"], h["to_grade"], h["source"]) for h in history] == [(None, "A", "run")]

    # cut-offs: A >= 70, B >= 50
    cut = [{"grade": "A", "min_score": 70}, {"grade": "B", "min_score": 50}, {"grade": "C", "min_score": 0}]
    assert (await settle(client, owner, method="cutoffs", bands=cut)).status_code == 200
    second_run = await grade_customers(job)
    assert second_run.changed == 1  # only n1 moves B -> A
    rows = await graded(client, owner, ids)
    assert {k: r["grade"] for k, r in rows.items()} == {"n4": "A", "n1": "A", "n3": "B", "n2": "C", "n5": "C"}
    assert rows["n1"]["previous_grade"] == "B"
    history = (await client.get(f"/api/v1/accounts/{ids['n4']}/grade-history", headers=bearer(owner))).json()
    assert len(history) == 1  # no row when the grade stays

    # a D band by percentile: 20/30/30/20
    bands = [*DEFAULT_BANDS[:2], {"grade": "C", "share_percent": 30}, {"grade": "D", "share_percent": 20}]
    assert (await settle(client, owner, bands=bands)).status_code == 200
    await grade_customers(job)
    rows = await graded(client, owner, ids)
    assert {k: r["grade"] for k, r in rows.items()} == {"n4": "A", "n1": "B", "n3": "B", "n2": "C", "n5": "D"}
    moves = (await client.get("/api/v1/grading/distribution", headers=bearer(owner))).json()
    assert moves["counts"] == {"A": 1, "B": 2, "C": 1, "D": 1}
    assert {"from": "C", "to": "D", "count": 1} in moves["movement"]


async def test_growth_and_custom_field_criteria(client: Any) -> None:
    owner = await signed_up(client)
    field = await client.post("/api/v1/custom-fields", json={"module": "customers", "label": "Employees",
                                                             "type": "number"}, headers=bearer(owner))  # fmt: skip
    assert field.status_code == 201, field.text
    key = field.json()["key"]
    ids = {}
    for name, staff in (("big", 500), ("small", 5), ("unknown", None)):
        body = {"custom": {key: staff}} if staff is not None else {}
        ids[name] = (await add_account(client, owner, name=name, **body))["id"]
    growth = await client.put(f"/api/v1/accounts/{ids['unknown']}/growth-score", json={"score": 80},
                              headers=bearer(owner))  # fmt: skip
    assert growth.status_code == 200, growth.text
    criteria = [{"kind": "custom_field", "field_key": key, "weight": 50}, {"kind": "growth", "weight": 50}]
    assert (await settle(client, owner, criteria=criteria)).status_code == 200, "settings"
    await grade_customers(await job_for(owner["workspace"]["id"]))
    rows = await graded(client, owner, ids)
    assert {k: r["points"] for k, r in rows.items()} == {
        "big": {f"cf:{key}": "50.00", "growth": "0.00"}, "small": {f"cf:{key}": "25.00", "growth": "0.00"},
        "unknown": {f"cf:{key}": "0.00", "growth": "40.00"},
    }  # fmt: skip


async def test_a_manual_grade_stays_over_runs_until_removed(client: Any) -> None:
    owner = await signed_up(client)
    job, ids = await dataset(client, owner)
    rep = await join(client, owner, "sales_rep")
    manager = await join(client, owner, "manager")
    await grade_customers(job)
    target = ids["n5"]
    body = {"grade": "A", "reason": "战略客户 🚀 عميل"}
    assert (await client.put(f"/api/v1/accounts/{target}/grade", json=body, headers=bearer(rep))).status_code == 403
    empty = await client.put(f"/api/v1/accounts/{target}/grade", json={"grade": "A", "reason": "  "},
                             headers=bearer(owner))  # fmt: skip
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "reason"
    bad = await client.put(f"/api/v1/accounts/{target}/grade", json={"grade": "Z", "reason": "x"},
                           headers=bearer(owner))  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "grade"
    outside = await client.put(f"/api/v1/accounts/{target}/grade", json=body, headers=bearer(manager))
    assert outside.status_code == 404  # a manager of another team does not reach the owner's customers
    set_ = await client.put(f"/api/v1/accounts/{target}/grade", json=body, headers=bearer(owner))
    assert set_.status_code == 200, set_.text
    assert (set_.json()["grade"], set_.json()["manual"], set_.json()["reason"]) == ("A", True, body["reason"])
    run = await grade_customers(job)
    assert run.changed == 0
    rows = await graded(client, owner, ids)
    assert (rows["n5"]["grade"], rows["n5"]["computed_grade"], rows["n5"]["manual"]) == ("A", "C", True)
    only_manual = await client.get("/api/v1/grading/report", params={"manual": "true"}, headers=bearer(owner))
    assert [r["account_id"] for r in only_manual.json()["items"]] == [target]
    removed = await client.delete(f"/api/v1/accounts/{target}/grade", headers=bearer(owner))
    assert removed.status_code == 200 and removed.json()["grade"] == "C" and removed.json()["manual"] is False
    history = (await client.get(f"/api/v1/accounts/{target}/grade-history", headers=bearer(owner))).json()
    assert [(h["from_grade"], h["to_grade"], h["source"]) for h in history] == [
        ("A", "C", "unset"),
        ("C", "A", "manual"),
        (None, "C", "run"),
    ]
    assert (await client.delete(f"/api/v1/accounts/{target}/grade", headers=bearer(owner))).status_code == 404


async def test_report_scope_filters_pages_queries_export_and_other_workspaces(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    job, ids = await dataset(client, owner)
    mine = await add_account(client, rep, name="Rep 的客户")
    await grade_customers(job)
    seen = (await client.get("/api/v1/grading/report", headers=bearer(rep))).json()["items"]
    assert [r["account_id"] for r in seen] == [mine["id"]]
    got: list[str] = []
    cursor = None
    with counted_sql() as statements:
        for _ in range(6):
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/api/v1/grading/report", params=params, headers=bearer(owner))).json()
            got += [r["account_id"] for r in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
    assert len(got) == 6 and len(set(got)) == 6
    assert len(statements) <= 3 * 10  # a fixed handful per page, not one per row
    by_grade = await client.get("/api/v1/grading/report", params={"grade": "A"}, headers=bearer(owner))
    # six customers now: ranks 1 and 2 sit within the top 20 % (positions 0 and 16.7)
    assert [r["account_id"] for r in by_grade.json()["items"]] == [ids["n4"], ids["n1"]]
    search = await client.get("/api/v1/grading/report", params={"q": "%' OR 1=1 --"}, headers=bearer(owner))
    assert search.status_code == 200 and search.json()["items"] == []
    assert (await client.get("/api/v1/grading/report", params={"cursor": "###"},
                             headers=bearer(owner))).status_code in (400, 422)  # fmt: skip
    csv = await client.get("/api/v1/grading/report/export", params={"format": "csv"}, headers=bearer(owner))
    assert csv.status_code == 200 and "points:profit" in csv.text and "客户 n4" in csv.text
    xlsx = await client.get("/api/v1/grading/report/export", params={"format": "xlsx"}, headers=bearer(owner))
    sheet = [
        list(r) for r in load_workbook(io.BytesIO(xlsx.content), read_only=True).active.iter_rows(values_only=True)
    ]
    assert sheet[0][1] == "name" and len(sheet) == 7
    assert (await client.get("/api/v1/grading/report/export", headers=bearer(rep))).status_code == 403

    other = await signed_up(client)
    for method, path, body in (
        ("GET", f"/api/v1/accounts/{ids['n1']}/grade", None),
        ("PUT", f"/api/v1/accounts/{ids['n1']}/grade", {"grade": "A", "reason": "x"}),
        ("DELETE", f"/api/v1/accounts/{ids['n1']}/grade", None),
        ("PUT", f"/api/v1/accounts/{ids['n1']}/growth-score", {"score": 1}),
        ("GET", f"/api/v1/accounts/{ids['n1']}/grade-history", None),
    ):
        answer = await client.request(method, path, json=body, headers=bearer(other))
        assert answer.status_code == 404, (method, path, answer.text)
    assert (await client.get("/api/v1/grading/report", headers=bearer(other))).json()["items"] == []


async def test_follow_up_visits_by_grade_cadence_once(client: Any) -> None:
    owner = await signed_up(client, locale="zh-Hans")
    job = await job_for(owner["workspace"]["id"])
    ids = {}
    for name, grade, days in (("A stale", "A", 40), ("A fresh", "A", 10), ("C stale", "C", 100),
                              ("C old", "C", 200), ("ungraded", None, 400)):  # fmt: skip
        ids[name] = (await add_account(client, owner, name=name, **({"grade": grade} if grade else {})))["id"]
        await sql(job, "UPDATE S.accounts SET created_at = now() - make_interval(days => :d), last_activity_at = NULL "
                  "WHERE id = :i", d=days, i=uuid.UUID(ids[name]))  # fmt: skip
    released = await add_account(client, owner, name="in the pool", grade="A")
    await sql(job, "UPDATE S.accounts SET owner_id = NULL, created_at = now() - interval '90 days' WHERE id = :i",
              i=uuid.UUID(released["id"]))  # fmt: skip
    from guanxi.domain.grading.tasks import follow_up_by_grade

    assert await follow_up_by_grade(job) == 2  # A after 30 days, C after 180
    assert await follow_up_by_grade(job) == 0  # the open visits stand: nothing twice
    async with tenant_session(job.scope) as session:
        rows = (
            await session.execute(
                text(f'SELECT account_id, kind, subject, owner_id, done_at FROM "{job.scope.schema}".activities')
            )
        ).all()
    assert {str(r.account_id) for r in rows} == {ids["A stale"], ids["C old"]}
    assert {r.subject for r in rows} == {"定期拜访（A 级客户）", "定期拜访（C 级客户）"}
    assert all(r.kind == "visit" and str(r.owner_id) == owner["user"]["id"] and r.done_at is None for r in rows)
