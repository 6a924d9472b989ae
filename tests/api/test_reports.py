"""Reports: predefined sales reports checked against a small hand-built set of orders, each reader seeing only
their scope and cost only when they see costs; the builder's validation (unknown or hidden fields, wrong types,
ten-year ranges, SQL-looking text); saved reports shared and run in the reader's scope; exports; other
workspaces out."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from tests.api.test_admin import join
from tests.api.test_customers import add_account, counted_sql
from tests.api.test_orders import add_order, status
from tests.api.test_products import add_product
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for

RANGE = {"from": "2026-01-01", "to": "2026-12-31"}


async def book(client: Any) -> dict[str, Any]:
    """Three orders that count (one with a costed product) and one cancelled, for the owner and one rep."""
    owner = await signed_up(client, locale="zh-Hans")  # a workspace in 人民币
    rep = await join(client, owner, "sales_rep")
    jiangsu = await add_account(client, owner, name="苏州精工", province="江苏")
    guangdong = await add_account(client, owner, name="深圳华强电子", province="广东")
    gateway = await add_product(client, owner, cost="1800.00")
    await add_order(
        client,
        owner,
        jiangsu["id"],
        order_date="2026-03-05",
        lines=[
            {
                "product_id": gateway["id"],
                "quantity": "3",
                "unit_price": "2500.00",
                "discount_percent": "10",
                "tax_rate": "13",
            },
            {"name": "安装调试", "quantity": "1", "unit_price": "800.00"},
        ],
    )  # total 8427.50, cost 5400.00, margin 2150.00
    for day in ("2026-03-20", "2026-04-02"):  # 2 x 5000 + 6% tax = 10600.00 each
        await add_order(client, owner, guangdong["id"], order_date=day, owner_id=rep["user"]["id"])
    cancelled = await add_order(client, owner, jiangsu["id"], order_date="2026-04-03")
    answer = await status(client, owner, cancelled["id"], status="cancelled")
    assert answer.status_code == 200, answer.text
    return {"owner": owner, "rep": rep}


async def sales(client: Any, who: dict[str, Any], **params: str) -> dict[str, Any]:
    answer = await client.get("/api/v1/reports/predefined/sales", params={**RANGE, **params}, headers=bearer(who))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def keyed(report: dict[str, Any]) -> dict[str, list[Any]]:
    return {row[0]: row[1:] for row in report["rows"]}


async def test_sales_by_period_rep_region_and_product_add_up_the_orders_that_count(client: Any) -> None:
    b = await book(client)
    owner = b["owner"]
    months = await sales(client, owner, by="period", grain="month")
    assert [c["key"] for c in months["columns"]] == ["period", "currency", "orders", "total", "cost", "margin"]
    assert months["rows"][0][:4] == ["2026-03-01", "CNY", 2, "19027.50"]
    assert months["rows"][1][:4] == ["2026-04-01", "CNY", 1, "10600.00"]  # the cancelled order is not counted
    assert months["chart"] == "line" and months["truncated"] is False
    quarters = await sales(client, owner, by="period", grain="quarter")
    assert [r[:4] for r in quarters["rows"]] == [
        ["2026-01-01", "CNY", 2, "19027.50"],
        ["2026-04-01", "CNY", 1, "10600.00"],
    ]
    reps = keyed(await sales(client, owner, by="rep"))
    assert reps["Li Na"][:5] == ["CNY", 1, "8427.50", "5400.00", "2150.00"]
    assert reps["Member sales_rep"][:3] == ["CNY", 2, "21200.00"]
    regions = keyed(await sales(client, owner, by="region"))
    assert (regions["江苏"][:3], regions["广东"][:3]) == (["CNY", 1, "8427.50"], ["CNY", 2, "21200.00"])
    products = keyed(await sales(client, owner, by="product"))
    assert products["实施服务"][:4] == ["CNY", 2, "4.000", "20000.00"]
    assert products["安装调试"][:4] == ["CNY", 1, "1.000", "800.00"]
    narrow = await sales(client, owner, by="period", **{"from": "2026-04-01", "to": "2026-04-30"})
    assert [r[:4] for r in narrow["rows"]] == [["2026-04-01", "CNY", 1, "10600.00"]]


async def test_a_rep_sees_only_their_own_sales_and_never_what_they_cost(client: Any) -> None:
    b = await book(client)
    reps = await sales(client, b["rep"], by="rep")
    assert [c["key"] for c in reps["columns"]] == ["rep", "currency", "orders", "total"]
    assert reps["rows"] == [["Member sales_rep", "CNY", 2, "21200.00"]]
    products = keyed(await sales(client, b["rep"], by="product"))
    assert list(products) == ["实施服务"] and len(products["实施服务"]) == 4  # no cost, no margin
    refused = await client.post(
        "/api/v1/reports/builder/run",
        json={"entity": "orders", "group_by": [{"field": "owner"}], "measures": [{"fn": "sum", "field": "margin"}]},
        headers=bearer(b["rep"]),
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["errors"][0]["field"] == "measures[0].field"
    fields = (await client.get("/api/v1/reports/builder/entities", headers=bearer(b["rep"]))).json()
    orders = next(e for e in fields if e["name"] == "orders")
    assert {"total", "owner"} <= {f["name"] for f in orders["fields"]}
    assert not {"cost", "margin"} & {f["name"] for f in orders["fields"]}
    exported = await client.get("/api/v1/reports/predefined/sales/export", params=RANGE, headers=bearer(b["rep"]))
    assert exported.status_code == 403  # a rep's role may not export orders


async def test_builder_groups_measures_and_adds_currency_to_money(client: Any) -> None:
    b = await book(client)
    body = {
        "entity": "orders",
        "filters": [
            {"field": "order_date", "op": "between", "value": ["2026-01-01", "2026-12-31"]},
            {"field": "status", "op": "ne", "value": "cancelled"},
        ],
        "group_by": [{"field": "order_date", "grain": "month"}],
        "measures": [{"fn": "count"}, {"fn": "sum", "field": "total"}, {"fn": "sum", "field": "margin"}],
        "chart": "bar",
    }
    answer = await client.post("/api/v1/reports/builder/run", json=body, headers=bearer(b["owner"]))
    assert answer.status_code == 200, answer.text
    got = answer.json()
    assert [c["key"] for c in got["columns"]] == ["order_date", "currency", "count", "sum_total", "sum_margin"]
    assert got["rows"][0][:4] == ["2026-03-01", "CNY", 2, "19027.50"]
    assert got["rows"][1][:4] == ["2026-04-01", "CNY", 1, "10600.00"]
    as_rep = await client.post(
        "/api/v1/reports/builder/run", json={**body, "measures": [{"fn": "count"}]}, headers=bearer(b["rep"])
    )
    assert as_rep.json()["rows"] == [["2026-03-01", 1], ["2026-04-01", 1]]
    capped = await client.post("/api/v1/reports/builder/run", json={**body, "limit": 1}, headers=bearer(b["owner"]))
    assert capped.json()["truncated"] is True and len(capped.json()["rows"]) == 1


async def test_builder_refuses_bad_input_naming_the_field(client: Any) -> None:
    owner = await signed_up(client)

    async def run(body: dict[str, Any]) -> Any:
        return await client.post("/api/v1/reports/builder/run", json=body, headers=bearer(owner))

    group = [{"field": "status"}]
    cases = [
        ({"entity": "invoices; DROP TABLE orders", "group_by": group}, "entity"),
        ({"entity": "orders", "group_by": [{"field": "password"}]}, "group_by[0].field"),
        ({"entity": "orders", "group_by": [{"field": "total"}]}, "group_by[0].field"),
        ({"entity": "orders", "group_by": [{"field": "status", "grain": "month"}]}, "group_by[0].grain"),
        ({"entity": "orders", "group_by": group, "measures": [{"fn": "sum", "field": "status"}]}, "measures[0].field"),
        (
            {"entity": "orders", "group_by": group, "filters": [{"field": "total", "op": "gt", "value": "lots"}]},
            "filters[0].value",
        ),
        (
            {"entity": "orders", "group_by": group, "filters": [{"field": "total", "op": "gt", "value": True}]},
            "filters[0].value",
        ),
        (
            {
                "entity": "orders",
                "group_by": group,
                "filters": [{"field": "order_date", "op": "ge", "value": "2010-01-01"}],
            },
            "filters[0].value",
        ),
        (
            {
                "entity": "orders",
                "group_by": group,
                "filters": [{"field": "order_date", "op": "between", "value": ["2001-01-01", "2026-01-01"]}],
            },
            "filters[0].value",
        ),
        (
            {"entity": "orders", "group_by": group, "filters": [{"field": "status", "op": "in", "value": []}]},
            "filters[0].value",
        ),
        (
            {"entity": "orders", "group_by": group, "filters": [{"field": "total", "op": "contains", "value": "1"}]},
            "filters[0].op",
        ),
        (
            {"entity": "orders", "group_by": group, "filters": [{"field": "status", "value": "x" * 201}]},
            "filters[0].value",
        ),
    ]
    for body, field in cases:
        answer = await run(body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["errors"][0]["field"] == field, (body, answer.text)
    for body in (
        {"entity": "orders"},
        {"entity": "orders", "group_by": group * 3},
        {"entity": "orders", "group_by": group, "limit": 0},
        {"entity": "orders", "group_by": group, "chart": "radar"},
        {"entity": 5},
        [],
    ):
        answer = await run(body)  # type: ignore[arg-type]
        assert answer.status_code in (400, 422), (body, answer.text)
    hostile = await run(
        {
            "entity": "accounts",
            "group_by": [{"field": "region"}],
            "filters": [{"field": "city", "op": "contains", "value": "'%; DROP TABLE accounts; -- 🙂 שלום"}],
        }
    )
    assert hostile.status_code == 200 and hostile.json()["rows"] == []
    ten_years = await client.get(
        "/api/v1/reports/predefined/sales", params={"from": "2010-01-01", "to": "2026-01-01"}, headers=bearer(owner)
    )
    assert ten_years.status_code == 422 and ten_years.json()["errors"][0]["field"] == "from"
    for params, field in (
        ({"by": "colour"}, "by"),
        ({"from": "yesterday"}, "from"),
        ({"limit": "5"}, "limit"),
        ({"from": "2026-05-01", "to": "2026-04-01"}, "to"),
    ):
        answer = await client.get("/api/v1/reports/predefined/sales", params=params, headers=bearer(owner))
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field, answer.text
    assert (await client.get("/api/v1/reports/predefined/nothing", headers=bearer(owner))).status_code == 404


async def test_a_shared_report_runs_in_the_readers_scope_and_stays_in_its_workspace(client: Any) -> None:
    b = await book(client)
    owner, rep = b["owner"], b["rep"]
    definition = {
        "entity": "orders",
        "group_by": [{"field": "owner"}],
        "measures": [{"fn": "sum", "field": "total"}],
        "filters": [
            {"field": "order_date", "op": "between", "value": ["2026-01-01", "2026-12-31"]},
            {"field": "status", "op": "ne", "value": "cancelled"},
        ],
    }
    shared = await client.post(
        "/api/v1/reports/saved",
        json={"name": "各销售业绩 📈", "definition": definition, "shared_with": "everyone"},
        headers=bearer(owner),
    )
    assert shared.status_code == 201, shared.text
    private = await client.post(
        "/api/v1/reports/saved",
        json={"name": "Mine", "report_key": "sales", "params": {"by": "rep", **RANGE}},
        headers=bearer(owner),
    )
    assert private.status_code == 201, private.text
    assert private.json()["params"] == {"by": "rep", "grain": "month", **RANGE}
    seen_by_owner = (await client.get(f"/api/v1/reports/saved/{shared.json()['id']}/run", headers=bearer(owner))).json()
    assert {r[0] for r in seen_by_owner["rows"]} == {"Li Na", "Member sales_rep"}
    seen_by_rep = await client.get(f"/api/v1/reports/saved/{shared.json()['id']}/run", headers=bearer(rep))
    assert seen_by_rep.status_code == 200 and seen_by_rep.json()["rows"] == [["Member sales_rep", "CNY", "21200.00"]]
    assert seen_by_rep.json()["title"] == "各销售业绩 📈"
    listed = (await client.get("/api/v1/reports/saved", headers=bearer(rep))).json()
    assert [r["name"] for r in listed] == ["各销售业绩 📈"] and listed[0]["mine"] is False
    assert (await client.get(f"/api/v1/reports/saved/{private.json()['id']}", headers=bearer(rep))).status_code == 404
    changed = await client.put(
        f"/api/v1/reports/saved/{shared.json()['id']}",
        json={"name": "x", "definition": definition},
        headers=bearer(rep),
    )
    assert changed.status_code == 403
    own_save = await client.post(
        "/api/v1/reports/saved", json={"name": "r", "report_key": "sales"}, headers=bearer(rep)
    )
    assert own_save.status_code == 403  # a rep's role may not create reports
    stranger = await signed_up(client)
    for path in (
        f"/api/v1/reports/saved/{shared.json()['id']}",
        f"/api/v1/reports/saved/{shared.json()['id']}/run",
        f"/api/v1/reports/saved/{shared.json()['id']}/export",
    ):
        assert (await client.get(path, headers=bearer(stranger))).status_code == 404, path
    gone = await client.delete(f"/api/v1/reports/saved/{shared.json()['id']}", headers=bearer(stranger))
    assert gone.status_code == 404
    assert (
        await client.delete(f"/api/v1/reports/saved/{shared.json()['id']}", headers=bearer(owner))
    ).status_code == 204
    assert (
        await client.get(f"/api/v1/reports/saved/{shared.json()['id']}/run", headers=bearer(rep))
    ).status_code == 404


async def test_saving_checks_the_report_and_the_people_it_is_shared_with(client: Any) -> None:
    owner = await signed_up(client)
    stranger = await signed_up(client)
    cases = [
        ({"name": "a"}, "report_key"),
        (
            {"name": "a", "report_key": "sales", "definition": {"entity": "orders", "group_by": [{"field": "status"}]}},
            "report_key",
        ),
        ({"name": "a", "report_key": "nope"}, "report_key"),
        ({"name": "a", "report_key": "sales", "params": {"by": "colour"}}, "by"),
        ({"name": "a", "definition": {"entity": "orders", "group_by": [{"field": "nope"}]}}, "group_by[0].field"),
        (
            {"name": "a", "report_key": "sales", "shared_with": "members", "member_ids": [stranger["user"]["id"]]},
            "member_ids[0]",
        ),
        ({"name": "a", "report_key": "sales", "member_ids": [owner["user"]["id"]]}, "member_ids"),
    ]
    for body, field in cases:
        answer = await client.post("/api/v1/reports/saved", json=body, headers=bearer(owner))
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["errors"][0]["field"] == field, (body, answer.text)
    for name in ("", "   ", "x" * 201):
        empty = await client.post(
            "/api/v1/reports/saved", json={"name": name, "report_key": "sales"}, headers=bearer(owner)
        )
        assert empty.status_code in (400, 422), name
    rtl = await client.post(
        "/api/v1/reports/saved", json={"name": " שלום 报表 🙂 ", "report_key": "sales"}, headers=bearer(owner)
    )
    assert rtl.status_code == 201 and rtl.json()["name"] == "שלום 报表 🙂"
    assert (await client.delete(f"/api/v1/reports/saved/{rtl.json()['id']}", headers=bearer(owner))).status_code == 204
    assert (await client.get("/api/v1/reports/saved", headers=bearer(owner))).json() == []


async def test_exports_as_csv_xlsx_and_pdf_hold_the_rows_the_reader_sees(client: Any) -> None:
    b = await book(client)
    owner = b["owner"]
    params = {**RANGE, "by": "region"}
    csv = await client.get(
        "/api/v1/reports/predefined/sales/export", params={**params, "format": "csv"}, headers=bearer(owner)
    )
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "Region,Currency,Orders,Total,Cost,Margin"
    assert "广东,CNY,2,21200.00" in text and "江苏,CNY,1,8427.50,5400.00,2150.00" in text
    xlsx = await client.get(
        "/api/v1/reports/predefined/sales/export", params={**params, "format": "xlsx"}, headers=bearer(owner)
    )
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][0] == "Region" and {r[0] for r in cells[1:]} == {"广东", "江苏"}
    pdf = await client.get(
        "/api/v1/reports/predefined/sales/export", params={**params, "format": "pdf"}, headers=bearer(owner)
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    bad = await client.get("/api/v1/reports/predefined/sales/export", params={"format": "doc"}, headers=bearer(owner))
    assert bad.status_code in (400, 422)
    built = await client.post(
        "/api/v1/reports/builder/export",
        params={"format": "csv"},
        headers=bearer(owner),
        json={
            "entity": "order_lines",
            "group_by": [{"field": "product"}],
            "measures": [{"fn": "sum", "field": "quantity"}],
        },
    )
    # The builder counts every status unless told otherwise: the cancelled order's two units are in.
    assert built.status_code == 200 and "实施服务,6.000" in built.content.decode("utf-8-sig")


async def test_every_predefined_report_runs_for_an_administrator_and_a_rep(client: Any) -> None:
    b = await book(client)
    listed = (await client.get("/api/v1/reports", headers=bearer(b["owner"]))).json()
    keys = {r["key"] for r in listed}
    assert {"sales", "target_progress", "forecast", "pipeline", "activities", "receivables"} <= keys
    for who in (b["owner"], b["rep"]):
        for key in keys:
            answer = await client.get(f"/api/v1/reports/predefined/{key}", headers=bearer(who))
            assert answer.status_code in (200, 403), (key, answer.text)
            if answer.status_code == 200:
                assert answer.json()["columns"], key
    ageing = (await client.get("/api/v1/reports/predefined/receivables", headers=bearer(b["owner"]))).json()
    total = next(r for r in ageing["rows"] if r[0] == "Total")
    assert total[1] == "CNY" and total[-1] == "29627.50"  # nothing collected yet: every counted order is open
    rep_ageing = (await client.get("/api/v1/reports/predefined/receivables", headers=bearer(b["rep"]))).json()
    assert next(r for r in rep_ageing["rows"] if r[0] == "Total")[-1] == "21200.00"


async def test_home_dashboard_shows_each_reader_their_own_reach(client: Any) -> None:
    b = await book(client)
    owner, rep = b["owner"], b["rep"]
    account = await add_account(client, owner, name="杭州新材料")
    await add_order(client, owner, account["id"])  # today: 10600.00
    await add_order(client, owner, account["id"], owner_id=rep["user"]["id"])  # today, the rep's
    company = (await client.get("/api/v1/reports/dashboard", headers=bearer(owner))).json()
    assert company["sales"] == [{"currency": "CNY", "count": 2, "total": "21200.00"}]
    assert company["target"]["level"] == "company" and company["pipeline"] == []
    mine = (await client.get("/api/v1/reports/dashboard", headers=bearer(rep))).json()
    assert mine["sales"] == [{"currency": "CNY", "count": 1, "total": "10600.00"}]
    assert mine["target"]["level"] == "member" and mine["target"]["name"] == "Member sales_rep"
    assert (company["at_risk"], mine["at_risk"], mine["work_reports"]) == (0, 0, None)

    # the owner's customer is at risk, and every member must write a daily report every day
    from tests.api.test_grading import sql
    from tests.api.test_work_report_rules import add_rule

    job = await job_for(owner["workspace"]["id"])
    await sql(job, "INSERT INTO S.churn_scores (account_id, owner_id, score, signals, changed_at, at_risk_since, "
              "crossings) VALUES (CAST(:a AS uuid), CAST(:o AS uuid), 80, '[]', now(), now(), 1)",
              a=account["id"], o=owner["user"]["id"])  # fmt: skip
    await add_rule(client, owner, weekdays=["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
    company = (await client.get("/api/v1/reports/dashboard", headers=bearer(owner))).json()
    mine = (await client.get("/api/v1/reports/dashboard", headers=bearer(rep))).json()
    assert company["at_risk"] == 1 and mine["at_risk"] == 0  # not the rep's customer
    assert company["work_reports"]["submitted"] == 0 and company["work_reports"]["required"] >= 2
    assert mine["work_reports"] is None  # a rep reads only their own reports


async def test_listing_saved_reports_takes_the_same_statements_for_many_rows(client: Any) -> None:
    owner = await signed_up(client)

    async def listed() -> int:
        with counted_sql() as statements:
            answer = await client.get("/api/v1/reports/saved", params={"limit": "50"}, headers=bearer(owner))
        assert answer.status_code == 200
        return len(statements)

    body = {"name": "r", "report_key": "pipeline", "shared_with": "everyone"}
    assert (await client.post("/api/v1/reports/saved", json=body, headers=bearer(owner))).status_code == 201
    few = await listed()
    for _ in range(6):
        assert (await client.post("/api/v1/reports/saved", json=body, headers=bearer(owner))).status_code == 201
    assert await listed() == few
    page = (await client.get("/api/v1/reports/saved", params={"limit": "3"}, headers=bearer(owner))).json()
    rest = await client.get(
        "/api/v1/reports/saved", params={"limit": "50", "after": page[-1]["id"]}, headers=bearer(owner)
    )
    assert len(page) == 3 and len(rest.json()) == 4 and not {r["id"] for r in page} & {r["id"] for r in rest.json()}


async def test_a_field_hidden_from_a_role_is_refused_in_the_builder(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    rules = await client.put(
        "/api/v1/admin/roles/sales_rep/fields",
        json={"fields": {"customers": {"credit_limit": {"access": "hidden"}}}},
        headers=bearer(owner),
    )
    assert rules.status_code == 200, rules.text
    body = {
        "entity": "accounts",
        "group_by": [{"field": "region"}],
        "measures": [{"fn": "sum", "field": "credit_limit"}],
    }
    refused = await client.post("/api/v1/reports/builder/run", json=body, headers=bearer(rep))
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "measures[0].field"
    filtered = {**body, "measures": [{"fn": "count"}], "filters": [{"field": "credit_limit", "op": "gt", "value": 0}]}
    refused = await client.post("/api/v1/reports/builder/run", json=filtered, headers=bearer(rep))
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "filters[0].field"
    fields = (await client.get("/api/v1/reports/builder/entities", headers=bearer(rep))).json()
    accounts = next(e for e in fields if e["name"] == "accounts")
    assert "credit_limit" not in {f["name"] for f in accounts["fields"]}
    assert (await client.post("/api/v1/reports/builder/run", json=body, headers=bearer(owner))).status_code == 200
