"""Work report rules in the settings (administrators add, edit and delete them; a member is told the page is for
administrators; the API's refusals land under their field) and the work reports' "Not submitted" tab."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from litestar.testing import TestClient

from tests.web.conftest import FakeApi, post_form, problem

RULE = str(uuid.uuid4())
SALES = str(uuid.uuid4())
LI, WANG = str(uuid.uuid4()), str(uuid.uuid4())
RULES = "/api/v1/work-reports/rules"


def rule(**changes: Any) -> dict[str, Any]:
    return {"id": RULE, "name": "销售部日报", "kind": "daily", "audience": "departments", "department_ids": [SALES],
            "member_ids": [], "weekdays": ["mon", "tue", "wed", "thu", "fri"], "due_weekday": None,
            "day_of_month": None, "deadline": "18:00", "remind_minutes": 60, "enabled": True,
            "created_at": "2026-11-27T10:00:00Z", "updated_at": "2026-11-27T10:00:00Z", **changes}  # fmt: skip


def workspace(fake_api: FakeApi, *rules: dict[str, Any]) -> None:
    fake_api.override("GET", RULES, httpx.Response(200, json=list(rules)))
    fake_api.override(
        "GET", "/api/v1/admin/departments", httpx.Response(200, json=[{"id": SALES, "name": "华东销售部"}])
    )
    fake_api.override("GET", "/api/v1/admin/members", httpx.Response(200, json=[
        {"id": LI, "name": "李娜", "email": "li@example.com", "status": "active", "roles": ["sales_rep"]},
        {"id": WANG, "name": "王芳", "email": "wang@example.com", "status": "active", "roles": ["manager"]},
    ]))  # fmt: skip


def test_admins_see_the_rules_and_add_one(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    workspace(fake_api, rule(), rule(id=str(uuid.uuid4()), name="月报", kind="monthly", audience="everyone",
                                     department_ids=[], weekdays=[], enabled=False, remind_minutes=1))  # fmt: skip
    page = signed_in.get("/w/settings/work-report-rules")
    assert page.status_code == 200
    text = page.text
    assert 'href="/w/settings/work-report-rules"' in text and 'aria-current="page"' in text
    assert "销售部日报" in text and "华东销售部" in text and "Monday, Tuesday" in text and "by 18:00" in text
    assert "reminded 60 minutes before" in text and "Last day of the month" in text and "Disabled" in text
    assert f'href="/w/settings/work-report-rules/{RULE}"' in text and "reminded 1 minute before" in text

    fake_api.override("POST", RULES, httpx.Response(201, json=rule()))
    done = post_form(signed_in, "/w/settings/work-report-rules", {
        "name": "华东 日报 🚀", "kind": "daily", "audience": "departments", "department_ids": [SALES],  # type: ignore[dict-item]
        "member_ids": [LI], "weekdays": ["mon", "fri"], "due_weekday": "fri", "day_of_month": "",  # type: ignore[dict-item]
        "deadline": "17:30", "remind_minutes": "45", "enabled": "on"})  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/w/settings/work-report-rules?done=rule-added"
    [sent] = fake_api.calls("POST", RULES)
    assert json.loads(sent.content) == {"name": "华东 日报 🚀", "kind": "daily", "audience": "departments",
                                        "deadline": "17:30", "enabled": True, "remind_minutes": 45,
                                        "department_ids": [SALES], "weekdays": ["mon", "fri"]}  # fmt: skip


def test_the_apis_refusal_is_shown_under_the_field(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    workspace(fake_api)
    fake_api.override("POST", RULES, problem(422, "validation-error", errors=[
        {"field": "day_of_month", "message": "must be 1 to 31, or empty for the month's last day",
         "code": "out_of_range"}]))  # fmt: skip
    refused = post_form(signed_in, "/w/settings/work-report-rules", {
        "name": "月报", "kind": "monthly", "audience": "everyone", "day_of_month": "31", "deadline": "18:00",
        "remind_minutes": "60"})  # fmt: skip
    assert (
        refused.status_code == 422
        and "field--invalid" in refused.text
        and "Enter a value from 1 to 31." in refused.text
    )
    assert json.loads(fake_api.calls("POST", RULES)[0].content)["day_of_month"] == 31
    typed = post_form(signed_in, "/w/settings/work-report-rules", {
        "name": "", "kind": "weekly", "audience": "everyone", "due_weekday": "fri", "deadline": "18:00",
        "remind_minutes": "soon"})  # fmt: skip
    assert typed.status_code == 422 and "This field is required." in typed.text
    assert "Enter a whole number of minutes." in typed.text and len(fake_api.calls("POST", RULES)) == 1


def test_a_rule_is_edited_and_deleted(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    workspace(fake_api, rule())
    fake_api.override("GET", f"{RULES}/{RULE}", httpx.Response(200, json=rule()))
    text = signed_in.get(f"/w/settings/work-report-rules/{RULE}").text
    assert f'action="/w/settings/work-report-rules/{RULE}"' in text and 'value="销售部日报"' in text
    assert f'value="{SALES}" checked' in text and 'value="fri" checked' in text and 'value="sat" checked' not in text
    fake_api.override("PUT", f"{RULES}/{RULE}", httpx.Response(200, json=rule()))
    saved = post_form(signed_in, f"/w/settings/work-report-rules/{RULE}", {
        "name": "周报", "kind": "weekly", "audience": "members", "member_ids": [LI, WANG],  # type: ignore[dict-item]
        "due_weekday": "sat", "deadline": "09:00", "remind_minutes": "0"})  # fmt: skip
    assert saved.status_code == 303 and saved.headers["location"].endswith("done=rule-saved")
    [sent] = fake_api.calls("PUT", f"{RULES}/{RULE}")
    assert json.loads(sent.content) == {"name": "周报", "kind": "weekly", "audience": "members", "deadline": "09:00",
                                        "enabled": False, "remind_minutes": 0, "member_ids": [LI, WANG],
                                        "due_weekday": "sat"}  # fmt: skip
    fake_api.override("DELETE", f"{RULES}/{RULE}", httpx.Response(204))
    gone = post_form(signed_in, f"/w/settings/work-report-rules/{RULE}/delete")
    assert gone.status_code == 303 and gone.headers["location"].endswith("done=rule-deleted")
    assert len(fake_api.calls("DELETE", f"{RULES}/{RULE}")) == 1


def test_a_member_is_told_the_rules_are_for_administrators(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.current = 1  # a plain member in the second workspace
    assert signed_in.get("/w/settings/work-report-rules").status_code == 403
    assert post_form(signed_in, "/w/settings/work-report-rules", {"name": "x"}).status_code == 403
    assert post_form(signed_in, f"/w/settings/work-report-rules/{RULE}/delete").status_code == 403
    assert fake_api.calls("POST", RULES) == [] and fake_api.calls("DELETE", f"{RULES}/{RULE}") == []


def test_managers_see_who_has_not_submitted(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/work-reports/missing", httpx.Response(200, json={
        "kind": "weekly", "period_start": "2026-11-23", "period_end": "2026-11-30", "required": 3, "submitted": 1,
        "missing": [{"id": LI, "name": "李娜 <b>", "department_id": SALES, "department_name": "华东销售部"},
                    {"id": WANG, "name": "王芳", "department_id": None, "department_name": None}]}))  # fmt: skip
    page = signed_in.get("/work-reports/missing?kind=weekly&date=2026-11-25")
    assert page.status_code == 200
    text = page.text
    assert (
        "李娜 &lt;b&gt;" in text and "华东销售部" in text and "王芳" in text and "1 of 3 asked have submitted." in text
    )
    assert "2026-11-23" in text and "2026-11-29" in text and 'value="2026-11-25"' in text
    [asked] = fake_api.calls("GET", "/api/v1/work-reports/missing")
    assert dict(asked.url.params) == {"kind": "weekly", "date": "2026-11-25"}
    bad = signed_in.get("/work-reports/missing?kind=hourly&date=not-a-date")
    assert bad.status_code == 200
    assert dict(fake_api.calls("GET", "/api/v1/work-reports/missing")[1].url.params) == {"kind": "daily"}


def test_the_rules_and_the_missing_list_speak_chinese(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    workspace(fake_api, rule(audience="everyone", department_ids=[], weekdays=["mon", "sun"]))
    signed_in.cookies.set("gx_locale", "zh-Hant", domain="testserver.local")
    text = signed_in.get("/w/settings/work-report-rules").text
    assert "工作報告規則" in text and "星期一, 星期日" in text and "18:00 前" in text and "提前 60 分鐘提醒" in text
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")
    fake_api.override("GET", "/api/v1/work-reports/missing", httpx.Response(200, json={
        "kind": "daily", "period_start": "2026-11-23", "period_end": "2026-11-24", "required": 2, "submitted": 2,
        "missing": []}))  # fmt: skip
    shown = signed_in.get("/work-reports/missing").text
    assert "未提交" in shown and "应提交 2 人，已提交 2 人。" in shown and "应提交的人都已提交。" in shown
