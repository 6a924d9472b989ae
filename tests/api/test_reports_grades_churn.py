"""The grading and churn reports of the registry: customers per grade, grade movement and churn, each counted over
the reader's customers only (a rep never sees another rep's customers), listed with the others, exported as CSV,
XLSX and PDF, saved and run in the reader's scope; another workspace sees none of it."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import load_workbook

from tests.api.test_admin import join
from tests.api.test_customers import add_account
from tests.api.test_deals import add_deal, loss_reason, move, pipelines, stage
from tests.conftest import bearer, signed_up
from tests.domain.churn.test_scan import ordered

THIS_YEAR = {"from": f"{dt.date.today().year}-01-01", "to": dt.date.today().isoformat()}


async def run(client: Any, who: dict[str, Any], key: str, **params: str) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/reports/predefined/{key}", params=params, headers=bearer(who))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def grade(client: Any, owner: dict[str, Any], account: dict[str, Any], value: str) -> None:
    answer = await client.put(f"/api/v1/accounts/{account['id']}/grade", json={"grade": value, "reason": "大客户"},
                              headers=bearer(owner))  # fmt: skip
    assert answer.status_code == 200, answer.text


async def graded_book(client: Any) -> dict[str, Any]:
    """The owner's three customers graded A, B, B; the rep's two: one A, one never graded; then one B moves to C."""
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    ours = [await add_account(client, owner, name=f"华东客户 {n}") for n in range(3)]
    theirs = [await add_account(client, owner, name=f"Rep customer {n}", owner_id=rep["user"]["id"]) for n in range(2)]
    for account, value in zip(ours, "ABB", strict=True):
        await grade(client, owner, account, value)
    await grade(client, owner, theirs[0], "A")
    await grade(client, owner, ours[2], "C")
    return {"owner": owner, "rep": rep}


async def test_grade_reports_count_only_the_readers_customers(client: Any) -> None:
    b = await graded_book(client)
    owner, rep = b["owner"], b["rep"]
    keys = {r["key"] for r in (await client.get("/api/v1/reports", headers=bearer(rep))).json()}
    assert {"grade_distribution", "grade_movement", "churn"} <= keys

    company = await run(client, owner, "grade_distribution")
    assert [c["key"] for c in company["columns"]] == ["grade", "customers", "share"]
    assert company["chart"] == "pie"
    assert company["rows"] == [["A", 2, "40.0"], ["B", 1, "20.0"], ["C", 1, "20.0"], ["Ungraded", 1, "20.0"]]
    mine = await run(client, rep, "grade_distribution")
    assert mine["rows"] == [["A", 1, "50.0"], ["Ungraded", 1, "50.0"]]

    moves = await run(client, owner, "grade_movement", **THIS_YEAR)
    assert [r[1:] for r in moves["rows"]] == [["B", "C", 1], ["—", "A", 2], ["—", "B", 2]]
    assert moves["rows"][0][0] == "B → C"
    theirs = await run(client, rep, "grade_movement", **THIS_YEAR)
    assert theirs["rows"] == [["— → A", "—", "A", 1]]
    last_year = dt.date.today().year - 1
    before = await run(client, owner, "grade_movement", **{"from": f"{last_year}-01-01", "to": f"{last_year}-12-31"})
    assert before["rows"] == []
    too_long = await client.get("/api/v1/reports/predefined/grade_movement",
                                params={"from": "2001-01-01", "to": "2026-01-01"}, headers=bearer(owner))  # fmt: skip
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "from"


async def test_a_shared_grade_report_runs_in_the_readers_scope_and_other_workspaces_see_nothing(client: Any) -> None:
    b = await graded_book(client)
    owner, rep = b["owner"], b["rep"]
    body = {"name": "客户等级", "report_key": "grade_distribution", "shared_with": "everyone"}
    shared = await client.post("/api/v1/reports/saved", json=body, headers=bearer(owner))
    assert shared.status_code == 201, shared.text
    seen = await client.get(f"/api/v1/reports/saved/{shared.json()['id']}/run", headers=bearer(rep))
    assert seen.status_code == 200 and seen.json()["rows"] == [["A", 1, "50.0"], ["Ungraded", 1, "50.0"]]

    stranger = await signed_up(client)
    assert (await run(client, stranger, "grade_distribution"))["rows"] == []
    assert (await run(client, stranger, "grade_movement", **THIS_YEAR))["rows"] == []
    periods = (await run(client, stranger, "churn", **THIS_YEAR))["rows"]
    assert all(row[1:] == [0, 0, 0] for row in periods)
    assert (await client.get(f"/api/v1/reports/saved/{shared.json()['id']}/run",
                             headers=bearer(stranger))).status_code == 404  # fmt: skip


async def test_churn_report_counts_losses_per_period_stage_and_reason_within_scope(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    pipeline = (await pipelines(client, owner))[0]
    why = await loss_reason(client, owner, "价格太高")
    buyer = await add_account(client, owner, name="Buyer", owner_id=rep["user"]["id"])
    await ordered(client, owner, buyer["id"], [40])
    talker = await add_account(client, owner, name="Talker")
    for account, who in ((buyer, rep), (talker, owner)):
        deal = await add_deal(client, owner, account["id"], owner_id=who["user"]["id"])
        lost = await move(client, owner, deal["id"], stage_id=stage(pipeline, "lost"), loss_reason_id=why)
        assert lost.status_code == 200, lost.text
    month = dt.date.today().replace(day=1).isoformat()

    by_period = await run(client, owner, "churn", **THIS_YEAR)
    assert [c["key"] for c in by_period["columns"]] == ["period", "lost", "new", "total"]
    assert by_period["chart"] == "line" and by_period["rows"][-1] == [month, 2, 2, 2]
    assert (await run(client, rep, "churn", **THIS_YEAR))["rows"][-1] == [month, 1, 1, 1]

    stages = await run(client, owner, "churn", by="stage", **THIS_YEAR)
    assert stages["chart"] == "pie"
    assert stages["rows"] == [["Pre-sale", 0], ["In negotiation", 1], ["After sale", 1]]
    rep_stages = await run(client, rep, "churn", by="stage", **THIS_YEAR)
    assert rep_stages["rows"] == [["Pre-sale", 0], ["In negotiation", 0], ["After sale", 1]]
    assert (await run(client, owner, "churn", by="reason", **THIS_YEAR))["rows"] == [["价格太高", 2]]
    assert (await run(client, rep, "churn", by="reason", **THIS_YEAR))["rows"] == [["价格太高", 1]]
    quarters = await run(client, owner, "churn", grain="quarter", **{"from": "2025-01-01", "to": "2025-12-31"})
    assert [r[0] for r in quarters["rows"]] == ["2025-01-01", "2025-04-01", "2025-07-01", "2025-10-01"]
    bad = await client.get("/api/v1/reports/predefined/churn", params={"by": "colour"}, headers=bearer(owner))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "by"


async def test_grade_and_churn_reports_export_as_csv_xlsx_and_pdf(client: Any) -> None:
    b = await graded_book(client)
    owner, rep = b["owner"], b["rep"]
    path = "/api/v1/reports/predefined/grade_distribution/export"
    csv = await client.get(path, params={"format": "csv"}, headers=bearer(owner))
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.content.decode("utf-8-sig").splitlines() == ["Grade,Customers,Share", "A,2,40.0", "B,1,20.0",
                                                            "C,1,20.0", "Ungraded,1,20.0"]  # fmt: skip
    xlsx = await client.get("/api/v1/reports/predefined/grade_movement/export", params={**THIS_YEAR, "format": "xlsx"},
                            headers=bearer(owner))  # fmt: skip
    assert xlsx.status_code == 200
    cells = [[c.value for c in row] for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows()]
    assert cells[0] == ["Change", "From", "To", "Customers"] and cells[1] == ["B → C", "B", "C", 1]
    pdf = await client.get("/api/v1/reports/predefined/churn/export", params={"format": "pdf", "by": "stage"},
                           headers=bearer(owner))  # fmt: skip
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # a rep's default role reads their customers but may not export them: the customers export permission decides
    assert (await client.get(path, params={"format": "csv"}, headers=bearer(rep))).status_code == 403
