"""Reports pages: the list of standard and saved reports, a report with its parameters, an SVG chart and the table
it is drawn from, downloads passed through from the API, a refused parameter named beside its field; in Chinese."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from litestar.testing import TestClient

from tests.web.conftest import FakeApi, problem

SAVED = str(uuid.uuid4())
LI_NA, WANG = str(uuid.uuid4()), str(uuid.uuid4())
MEMBERS = [
    {"id": LI_NA, "name": "Li Na", "email": "li.na@example.com", "status": "active", "roles": ["manager"]},
    {"id": WANG, "name": "王芳", "email": "wang@example.com", "status": "active", "roles": ["sales_rep"]},
]
SALES = {
    "key": "sales",
    "title": "Sales by period, rep, product or region",
    "module": "orders",
    "params": [
        {"name": "from", "kind": "date", "choices": [], "default": None},
        {"name": "by", "kind": "choice", "choices": ["period", "rep", "product", "region"], "default": "period"},
    ],
}
ANSWER = {
    "title": "Sales",
    "chart": "bar",
    "truncated": False,
    "notes": [],
    "columns": [
        {"key": "rep", "label": "Rep", "type": "text"},
        {"key": "currency", "label": "Currency", "type": "text"},
        {"key": "orders", "label": "Orders", "type": "number"},
        {"key": "total", "label": "Total", "type": "money"},
    ],
    "rows": [["张伟", "CNY", 3, "30000.00"], ["Li Na", "CNY", 1, "8427.50"]],
}


def reports(fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/reports", httpx.Response(200, json=[SALES]))
    fake_api.override("GET", "/api/v1/admin/members", httpx.Response(200, json=MEMBERS))
    fake_api.override(
        "GET", "/api/v1/reports/saved", httpx.Response(200, json=[{"id": SAVED, "name": "华东周报", "mine": False}])
    )


def test_the_reports_page_lists_standard_and_shared_reports(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    reports(fake_api)
    text = signed_in.get("/reports").text
    assert 'href="/reports/r/sales"' in text and "Sales by period, rep, product or region" in text
    assert f'href="/reports/saved/{SAVED}"' in text and "华东周报" in text and "shared with you" in text


def test_a_report_draws_its_chart_above_its_table_and_offers_downloads(
    signed_in: TestClient[Any], fake_api: FakeApi
) -> None:
    reports(fake_api)
    fake_api.override("GET", "/api/v1/reports/predefined/sales", httpx.Response(200, json=ANSWER))
    page = signed_in.get("/reports/r/sales", params={"by": "rep", "from": "2026-01-01"})
    assert page.status_code == 200
    text = page.text
    [call] = fake_api.calls("GET", "/api/v1/reports/predefined/sales")
    assert call.url.params["by"] == "rep" and call.url.params["from"] == "2026-01-01"
    assert "<svg" in text and 'class="chart-bar"' in text and "<title>" in text and "style=" not in text
    assert 'width="390"' in text  # the biggest bar takes the whole span
    assert ">张伟</td>" in text and 'data-label="Total" class="num">30000.00</td>' in text
    assert 'href="/reports/r/sales/export?by=rep&amp;from=2026-01-01&amp;format=xlsx"' in text
    fake_api.override(
        "GET",
        "/api/v1/reports/predefined/sales/export",
        httpx.Response(
            200,
            content=b"Rep,Total\r\n",
            headers={
                "content-type": "text/csv; charset=utf-8",
                "content-disposition": "attachment; filename*=UTF-8''sales.csv",
            },
        ),
    )
    download = signed_in.get("/reports/r/sales/export", params={"by": "rep", "format": "csv"})
    assert download.status_code == 200 and download.content == b"Rep,Total\r\n"
    assert "sales.csv" in download.headers["content-disposition"]


def test_a_refused_parameter_is_named_beside_its_field(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    reports(fake_api)
    fake_api.override(
        "GET",
        "/api/v1/reports/predefined/sales",
        problem(
            422,
            "validation-error",
            "from: the range may span at most 10 years",
            errors=[{"field": "from", "message": "the range may span at most 10 years", "code": "range_too_long"}],
        ),
    )
    page = signed_in.get("/reports/r/sales", params={"from": "2001-01-01"})
    assert page.status_code == 422 and "the range may span at most 10 years" in page.text


def test_reports_in_chinese(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    reports(fake_api)
    fake_api.override("GET", "/api/v1/reports/predefined/sales", httpx.Response(200, json=ANSWER))
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")
    assert "按期间、销售、产品或地区的销售额" in signed_in.get("/reports").text
    text = signed_in.get("/reports/r/sales").text
    assert '<th scope="col">销售</th>' in text and "合计" in text and "分组方式" in text


def test_home_shows_the_readers_month_pipeline_and_target(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/reports/dashboard", httpx.Response(200, json={
        "month": "2026-11", "scope": "own", "sales": [{"currency": "CNY", "count": 2, "total": "21200.00"}],
        "pipeline": [{"currency": "CNY", "count": 3, "total": "90000.00"}],
        "target": {"name": "Li Na", "level": "member", "currency": "CNY", "target": "100000.00",
                   "achieved": "42000.50", "percent": "42.0", "period": "2026-11"}, "at_risk": 3,
        "work_reports": {"required": 8, "submitted": 5, "period_start": "2026-11-27"}}))  # fmt: skip
    text = signed_in.get("/home").text
    assert "Customers at risk" in text and 'href="/churn"' in text and "5 / 8" in text and "3 not written yet" in text
    assert "Your sales this month" in text and "CN¥21,200.00" in text and "2 orders" in text
    assert "Open pipeline" in text and "CN¥90,000.00" in text and "3 deals" in text
    assert "42.0%" in text and 'href="/targets"' in text


def test_home_without_report_access_still_renders(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/reports/dashboard", problem(403, "forbidden"))
    page = signed_in.get("/home")
    assert page.status_code == 200 and "Open pipeline" not in page.text
