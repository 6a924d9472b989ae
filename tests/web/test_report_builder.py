"""The report builder, saved and shared reports, and email schedules in the web: typed filter inputs per field type,
Run drawing the chart and table as an HTMX part, a refused field shown beside it (never a 500), saving with sharing,
opening, editing and deleting saved reports, schedules made, changed and stopped, an unknown time zone named, pie
charts with a legend; in Chinese too."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from tests.web.conftest import FakeApi, post_form
from tests.web.fake_reports import FakeReports
from tests.web.test_reports import LI_NA, MEMBERS, SALES, WANG, reports

BY_OWNER = {
    "title": "orders",
    "truncated": False,
    "notes": [],
    "columns": [
        {"key": "owner", "label": "owner", "type": "text"},
        {"key": "currency", "label": "currency", "type": "text"},
        {"key": "sum_total", "label": "sum total", "type": "money"},
    ],
    "rows": [["张伟", "CNY", "30000.00"], ["Li Na", "CNY", "10000.00"]],
}
HX = {"HX-Request": "true", "HX-Target": "builder"}


@pytest.fixture(name="fake")
def fake_fixture(fake_api: FakeApi) -> FakeReports:
    reports(fake_api)
    del fake_api.overrides[("GET", "/api/v1/reports/saved")]  # saved reports come from the fake below
    return FakeReports(fake_api, answer=BY_OWNER)


def by_owner(**more: Any) -> dict[str, Any]:
    return {"entity": "orders", "g0_field": "owner", "m0_fn": "sum", "m0_field": "total", "chart": "bar", **more}


def test_filter_inputs_follow_the_type_of_the_chosen_field(signed_in: TestClient[Any], fake: FakeReports) -> None:
    page = signed_in.get("/reports/builder")
    assert page.status_code == 200
    assert '<option value="orders" selected>Orders</option>' in page.text and "Add a filter…" in page.text
    drawn = post_form(signed_in, "/reports/builder", {**by_owner(), "f0_field": "order_date", "f0_op": "between",
                                                      "f1_field": "total", "f1_op": "ge", "f2_field": "status",
                                                      "f2_op": "in"}, headers=HX)  # fmt: skip
    assert (
        drawn.status_code == 200 and "<html" not in drawn.text and drawn.text.lstrip().startswith('<div id="builder"')
    )
    assert 'name="f0_value" type="date"' in drawn.text and 'name="f0_value2" type="date"' in drawn.text
    assert 'name="f1_value" type="number" step="any" inputmode="decimal"' in drawn.text
    assert 'name="f2_value" type="text"' in drawn.text and "values, separated by commas" in drawn.text
    assert '<option value="contains">contains</option>' in drawn.text  # text fields may be searched
    assert 'name="f3_field"' in drawn.text and 'name="f3_value"' not in drawn.text  # one empty row to add another
    assert fake.ran == []  # redrawing the form runs nothing
    accounts = post_form(signed_in, "/reports/builder", {"entity": "accounts", "g0_field": "created_at"}, headers=HX)
    assert '<option value="region">Region</option>' in accounts.text and 'name="g0_grain"' in accounts.text


def test_run_sends_the_definition_and_draws_chart_and_table(signed_in: TestClient[Any], fake: FakeReports) -> None:
    form = by_owner(action="run", f0_field="order_date", f0_op="between", f0_value="2026-01-01",
                    f0_value2="2026-06-30", f1_field="", f1_op="eq", f1_value="ignored", f2_field="status",
                    f2_op="in", f2_value="confirmed，paid, shipped", g1_field="order_date", g1_grain="quarter",
                    sort="measure_desc")  # fmt: skip
    answer = post_form(signed_in, "/reports/builder", form, headers=HX)
    assert answer.status_code == 200, answer.text
    assert fake.ran == [{
        "entity": "orders", "chart": "bar", "sort": "measure_desc",
        "filters": [{"field": "order_date", "op": "between", "value": ["2026-01-01", "2026-06-30"]},
                    {"field": "status", "op": "in", "value": ["confirmed", "paid", "shipped"]}],
        "group_by": [{"field": "owner"}, {"field": "order_date", "grain": "quarter"}],
        "measures": [{"fn": "sum", "field": "total"}],
    }]  # fmt: skip
    text = answer.text
    assert "<html" not in text and 'class="chart-bar"' in text and 'width="390"' in text
    assert '<th scope="col" class="num">Sum · Total</th>' in text and '<th scope="col">Owner</th>' in text
    assert ">张伟</td>" in text and 'data-label="Sum · Total" class="num">30000.00</td>' in text
    # the form stays as typed, the blank middle row dropped
    assert 'name="f1_field"' in text and re.search(r'name="f1_value"[^>]*value="confirmed，paid, shipped"', text)
    plain = post_form(signed_in, "/reports/builder", form)  # without JavaScript: the whole page
    assert plain.status_code == 200 and "<html" in plain.text and 'class="chart-bar"' in plain.text


def test_a_hidden_or_wrong_field_is_named_beside_it_never_a_500(signed_in: TestClient[Any], fake: FakeReports) -> None:
    hidden = post_form(signed_in, "/reports/builder", by_owner(action="run", m0_field="cost"), headers=HX)
    assert hidden.status_code == 422 and "<html" not in hidden.text
    row = re.search(r'<div class="builder-row builder-row--invalid">(.*?)</p>', hidden.text, re.S)
    assert row and 'name="m0_fn"' in row.group(1) and "you may not see the field cost" in row.group(1)
    wrong = post_form(signed_in, "/reports/builder",
                      by_owner(action="run", f0_field="status", f0_op="eq", f0_value="paid", f1_field="total",
                               f1_op="gt", f1_value="12,5x"), headers=HX)  # fmt: skip
    assert wrong.status_code == 422
    row = re.search(r'<div class="builder-row builder-row--invalid">(.*?)</p>', wrong.text, re.S)
    assert row and 'name="f1_value"' in row.group(1) and "is not a valid money" in row.group(1)
    assert 'aria-invalid="true"' in row.group(1)
    nothing = post_form(signed_in, "/reports/builder", {"entity": "orders", "action": "run", "m0_fn": "count"})
    assert nothing.status_code == 422 and "group_by: needs one or two fields" in nothing.text


def test_save_share_open_edit_and_delete_a_built_report(signed_in: TestClient[Any], fake: FakeReports) -> None:
    unnamed = post_form(signed_in, "/reports/builder", by_owner(action="save"), headers=HX)
    assert unnamed.status_code == 422 and "Give the report a name." in unnamed.text and fake.saved == {}
    saved = post_form(
        signed_in,
        "/reports/builder",
        {**by_owner(action="save", name="华东 月报 🙂", shared_with="members"), "member_ids": [LI_NA, WANG]},
    )
    assert saved.status_code == 303
    [(report_id, report)] = fake.saved.items()
    assert saved.headers["location"] == f"/reports/saved/{report_id}?done=report-saved"
    assert report["name"] == "华东 月报 🙂" and report["shared_with"] == "members"
    assert report["member_ids"] == [LI_NA, WANG]
    assert report["definition"]["group_by"] == [{"field": "owner"}]

    listed = signed_in.get("/reports").text
    assert f'href="/reports/saved/{report_id}"' in listed and f'href="/reports/saved/{report_id}/edit"' in listed
    assert f'action="/reports/saved/{report_id}/delete"' in listed
    opened = signed_in.get(f"/reports/saved/{report_id}", params={"done": "report-saved"})
    assert (
        opened.status_code == 200 and "The report is saved." in opened.text and "Shared with 2 members" in opened.text
    )
    assert '<th scope="col" class="num">Sum · Total</th>' in opened.text  # a built report keeps its labels

    editor = signed_in.get(f"/reports/saved/{report_id}/edit")
    assert editor.status_code == 200 and f'name="saved_id" value="{report_id}"' in editor.text
    assert '<option value="owner" selected>Owner</option>' in editor.text
    assert re.search(rf'value="{LI_NA}" checked', editor.text)
    changed = post_form(signed_in, "/reports/builder", by_owner(action="save", saved_id=report_id,
                                                                name="Renamed", shared_with="everyone"))  # fmt: skip
    assert changed.status_code == 303 and [r["name"] for r in fake.saved.values()] == ["Renamed"]
    assert fake.saved[report_id]["shared_with"] == "everyone" and fake.saved[report_id]["member_ids"] == []
    assert fake.api.calls("PUT", f"/api/v1/reports/saved/{report_id}")

    gone = post_form(signed_in, f"/reports/saved/{report_id}/delete")
    assert gone.status_code == 303 and gone.headers["location"] == "/reports?done=report-deleted"
    assert fake.saved == {} and "The report is deleted." in signed_in.get("/reports?done=report-deleted").text


def test_a_report_shared_with_the_reader_opens_without_edit_or_schedules(
    signed_in: TestClient[Any], fake: FakeReports
) -> None:
    report_id = str(uuid.uuid4())
    fake.saved[report_id] = {"id": report_id, "name": "Team sales", "report_key": "sales", "params": {},
                             "definition": None, "shared_with": "everyone", "member_ids": [], "owner_id": LI_NA,
                             "mine": False, "created_at": "x", "updated_at": "x"}  # fmt: skip
    page = signed_in.get(f"/reports/saved/{report_id}")
    assert page.status_code == 200 and "shared with you" in page.text and ">张伟</td>" in page.text
    assert f"/reports/saved/{report_id}/edit" not in page.text and "Email schedules" not in page.text
    assert not fake.api.calls("GET", f"/api/v1/reports/saved/{report_id}/schedules")


def saved_sales(fake: FakeReports) -> str:
    report_id = str(uuid.uuid4())
    fake.saved[report_id] = {"id": report_id, "name": "销售周报", "report_key": "sales", "params": {"by": "rep"},
                             "definition": None, "shared_with": "everyone", "member_ids": [],
                             "owner_id": fake.api.user["id"], "mine": True, "created_at": "x",
                             "updated_at": "x"}  # fmt: skip
    return report_id


def test_schedules_are_made_changed_and_stopped_and_an_unknown_zone_is_named(
    signed_in: TestClient[Any], fake: FakeReports
) -> None:
    report_id = saved_sales(fake)
    page = signed_in.get(f"/reports/saved/{report_id}")
    assert (
        "Not mailed to anyone yet." in page.text and '<option value="Asia/Shanghai">Asia/Shanghai</option>' in page.text
    )
    form = {"frequency": "monthly", "day_of_month": "15", "hour": "7", "timezone": "Mars/Olympus_Mons",
            "formats": ["pdf", "csv"], "recipients": [LI_NA, WANG]}  # fmt: skip
    unknown = post_form(signed_in, f"/reports/saved/{report_id}/schedules", form)
    assert unknown.status_code == 422 and fake.schedules == {}
    zone = re.search(r'<label class="field field--invalid">(.*?)</label>', unknown.text, re.S)
    assert zone and 'name="timezone"' in zone.group(1) and "is not a known time zone" in zone.group(1)
    assert '<option value="Mars/Olympus_Mons" selected>' in zone.group(1)  # kept as chosen

    made = post_form(signed_in, f"/reports/saved/{report_id}/schedules", {**form, "timezone": "Asia/Shanghai"})
    assert made.status_code == 303 and made.headers["location"] == f"/reports/saved/{report_id}?done=schedule-saved"
    [(first_id, first)] = fake.schedules.items()
    assert first["frequency"] == "monthly" and first["day_of_month"] == 15 and first["hour"] == 7
    assert "weekday" not in {k for k, v in first.items() if v is not None}
    assert first["formats"] == ["pdf", "csv"]
    assert first["recipients"] == [{"member_id": LI_NA, "timezone": "Asia/Shanghai"},
                                   {"member_id": WANG, "timezone": "Asia/Shanghai"}]  # fmt: skip
    listed = signed_in.get(f"/reports/saved/{report_id}").text
    assert "Monthly on day 15" in listed and "07:00" in listed and "Li Na (Asia/Shanghai), 王芳" in listed

    editing = signed_in.get(f"/reports/saved/{report_id}", params={"schedule": first_id}).text
    assert f'name="replaces" value="{first_id}"' in editing and '<option value="15" selected>' in editing
    refused = post_form(signed_in, f"/reports/saved/{report_id}/schedules",
                        {**form, "replaces": first_id, "timezone": "Nowhere/Else"})  # fmt: skip
    assert refused.status_code == 422 and list(fake.schedules) == [first_id]  # the old one keeps running
    changed = post_form(signed_in, f"/reports/saved/{report_id}/schedules",
                        {"frequency": "weekly", "weekday": "4", "hour": "18", "timezone": "", "formats": ["xlsx"],
                         "recipients": [WANG], "replaces": first_id})  # fmt: skip
    assert changed.status_code == 303
    [(second_id, second)] = fake.schedules.items()
    assert second_id != first_id and second["weekday"] == 4 and second["recipients"] == [
        {"member_id": WANG, "timezone": None}]  # fmt: skip
    assert "Every Friday" in signed_in.get(f"/reports/saved/{report_id}").text

    stopped = post_form(signed_in, f"/reports/saved/{report_id}/schedules/{second_id}/delete")
    assert stopped.status_code == 303 and fake.schedules == {}


def test_a_standard_report_is_saved_or_scheduled_from_its_page(signed_in: TestClient[Any], fake: FakeReports) -> None:
    fake.api.override("GET", "/api/v1/reports/predefined/sales", httpx.Response(200, json={**BY_OWNER, "chart": "bar"}))
    page = signed_in.get("/reports/r/sales", params={"by": "rep"}).text
    assert 'action="/reports/r/sales/save"' in page and 'action="/reports/r/sales/schedule"' in page
    assert '<input type="hidden" name="p_by" value="rep">' in page
    refused = post_form(signed_in, "/reports/r/sales/schedule",
                        {"p_by": "rep", "frequency": "daily", "hour": "9", "timezone": "Atlantis/Capital",
                         "formats": ["xlsx"], "recipients": [LI_NA]})  # fmt: skip
    assert refused.status_code == 422 and "is not a known time zone" in refused.text
    assert fake.saved == {} and fake.schedules == {}  # the report saved for the schedule is not kept
    made = post_form(signed_in, "/reports/r/sales/schedule",
                     {"p_by": "rep", "frequency": "daily", "hour": "9", "timezone": "", "formats": ["xlsx"],
                      "recipients": [LI_NA]})  # fmt: skip
    assert made.status_code == 303
    [(report_id, report)] = fake.saved.items()
    assert report["report_key"] == "sales" and report["params"] == {"by": "rep"} and report["shared_with"] == "private"
    assert [s["saved_report_id"] for s in fake.schedules.values()] == [report_id]

    kept = post_form(signed_in, "/reports/r/sales/save", {"p_by": "product", "name": "产品销量",
                                                         "shared_with": "everyone"})  # fmt: skip
    assert kept.status_code == 303
    product = next(r for r in fake.saved.values() if r["name"] == "产品销量")
    assert product["params"] == {"by": "product"} and product["shared_with"] == "everyone"
    edit = signed_in.get(f"/reports/saved/{product['id']}/edit", follow_redirects=False)
    assert edit.status_code == 303 and edit.headers["location"] == f"/reports/r/sales?by=product&edit={product['id']}"
    editing = signed_in.get(edit.headers["location"]).text
    assert f'action="/reports/saved/{product["id"]}/share"' in editing and 'value="产品销量"' in editing
    assert [c.url.params.get("edit") for c in fake.api.calls("GET", "/api/v1/reports/predefined/sales")][-1] is None
    changed = post_form(signed_in, f"/reports/saved/{product['id']}/share",
                        {"p_by": "region", "name": "地区销量", "shared_with": "private"})  # fmt: skip
    assert changed.status_code == 303 and fake.saved[product["id"]]["params"] == {"by": "region"}
    assert fake.saved[product["id"]]["name"] == "地区销量"


def test_a_pie_chart_has_a_slice_and_a_legend_entry_per_row(signed_in: TestClient[Any], fake: FakeReports) -> None:
    grades = {"title": "Customer grades", "chart": "pie", "truncated": False, "notes": [],
              "columns": [{"key": "grade", "label": "Grade", "type": "text"},
                          {"key": "customers", "label": "Customers", "type": "number"},
                          {"key": "share", "label": "Share", "type": "percent"}],
              "rows": [["A", 1, "25.0"], ["B", 3, "75.0"], ["Ungraded", 0, "0.0"]]}  # fmt: skip
    fake.api.override(
        "GET",
        "/api/v1/reports",
        httpx.Response(
            200,
            json=[
                SALES,
                {"key": "grade_distribution", "title": "Customer grades", "module": "customers", "params": []},
            ],
        ),
    )
    fake.api.override("GET", "/api/v1/reports/predefined/grade_distribution", httpx.Response(200, json=grades))
    text = signed_in.get("/reports/r/grade_distribution").text
    assert text.count('<path class="chart-slice') == 2 and 'class="chart-bar"' not in text  # an empty share: no slice
    assert "M100,100 L100.00,10.00 A90,90 0 1 1" in text  # B, the largest, first: more than half the circle
    legend = re.search(r'<ul class="chart-legend">(.*?)</ul>', text, re.S)
    assert (
        legend and "B</span>" in legend.group(1) and "3 · 75.0%" in legend.group(1) and "1 · 25.0%" in legend.group(1)
    )
    assert "style=" not in text
    assert ">Ungraded</td>" in text
    alone = {**grades, "rows": [["A", 4, "100.0"]]}
    fake.api.override("GET", "/api/v1/reports/predefined/grade_distribution", httpx.Response(200, json=alone))
    assert '<circle class="chart-slice chart-slice--0"' in signed_in.get("/reports/r/grade_distribution").text
    fake.api.override("GET", "/api/v1/reports/predefined/grade_distribution", httpx.Response(200, json=grades))
    signed_in.cookies.set("gx_locale", "zh-Hant", domain="testserver.local")
    chinese = signed_in.get("/reports/r/grade_distribution").text
    assert '<h1 class="page-title">客戶等級</h1>' in chinese and ">未分級</td>" in chinese and "占比" in chinese
    signed_in.cookies.set("gx_locale", "en", domain="testserver.local")
    table_only = post_form(signed_in, "/reports/builder", by_owner(action="run", chart="table"), headers=HX)
    assert "report-chart" not in table_only.text and ">张伟</td>" in table_only.text


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("zh-Hans", ["报表设计器", "添加筛选条件…", "分组方式", "运行", "保存并共享", "工作区所有人"]),
        ("zh-Hant", ["報表設計器", "新增篩選條件…", "分組方式", "執行", "儲存並共用", "工作區所有人"]),
    ],
)
def test_the_builder_and_schedules_in_chinese(
    signed_in: TestClient[Any], fake: FakeReports, locale: str, words: list[str]
) -> None:
    signed_in.cookies.set("gx_locale", locale, domain="testserver.local")
    text = signed_in.get("/reports/builder").text
    for word in words:
        assert word in text, word
    report_id = saved_sales(fake)
    page = signed_in.get(f"/reports/saved/{report_id}").text
    assert ("邮件定时发送" if locale == "zh-Hans" else "郵件定時發送") in page
    assert ("每周" if locale == "zh-Hans" else "每週") in page


def test_members_are_left_out_when_the_reader_may_not_list_them(signed_in: TestClient[Any], fake: FakeReports) -> None:
    from tests.web.conftest import problem

    fake.api.override("GET", "/api/v1/admin/members", problem(403, "forbidden"))
    page = signed_in.get("/reports/builder")
    assert page.status_code == 200 and "Members who may open it" not in page.text
    assert MEMBERS[0]["name"] not in page.text
