"""The grading report page over a fake API: rows with score, grade, manual badge and each criterion's points; the
grade tabs ask the API for that grade; "Grade now" starts a run; no run yet reads as such."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from litestar.testing import TestClient

from tests.web.conftest import (  # noqa: F401 (fixtures)
    FakeApi,
    fake_api_fixture,
    post_form,
    signed_in_fixture,
    web_fixture,
)
from tests.web.fake_customers import FakeCustomers
from tests.web.test_accounts import crm_fixture, huaqiang  # noqa: F401 -- the fake CRM fixture

RUN = {"id": str(uuid.uuid4()), "status": "done", "trigger": "manual", "created_at": "2026-11-27T01:00:00Z",
       "finished_at": "2026-11-27T01:00:02Z", "scored": 2, "changed": 1, "duration_ms": 2000}  # fmt: skip


def report(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"run": RUN, "items": items, "next_cursor": None}


def row(name: str, grade: str, score: str, manual: bool = False) -> dict[str, Any]:
    return {"account_id": str(uuid.uuid4()), "name": name, "owner_id": None, "score": score, "computed_grade": grade,
            "grade": grade, "previous_grade": None, "manual": manual, "manual_reason": "战略客户" if manual else None,
            "raw": {"order_amount": 400}, "points": {"credit": 10, "order_amount": 30, "profit": 45}}  # fmt: skip


def test_the_report_lists_scores_grades_and_points(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/grading/report", httpx.Response(200, json=report(
        [row("深圳华强电子", "A", "85.00"), row("Cold Ltd", "C", "10.00", manual=True)])))  # fmt: skip
    fake_api.override("GET", "/api/v1/grading/runs/latest", httpx.Response(200, json={"run": RUN}))
    html = signed_in.get("/grading?grade=A").text
    assert "深圳华强电子" in html and "85.00" in html and "Manual grade" in html and "Profit contribution" in html
    assert "2 customers scored, 1 grades changed" in html
    assert fake_api.calls("GET", "/api/v1/grading/report")[-1].url.params["grade"] == "A"
    assert 'href="/grading"' in html  # in the navigation


def test_grade_now_starts_a_run_and_an_empty_report_says_so(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/grading/report", httpx.Response(200, json={"run": None, "items": [],
                                                                                 "next_cursor": None}))  # fmt: skip
    fake_api.override("GET", "/api/v1/grading/runs/latest", httpx.Response(200, json={"run": None}))
    fake_api.override("POST", "/api/v1/grading/runs", httpx.Response(202, json={**RUN, "status": "queued"}))
    html = signed_in.get("/grading?grade=Z").text
    assert "No grading run yet." in html and "No graded customers yet" in html
    assert "grade" not in fake_api.calls("GET", "/api/v1/grading/report")[-1].url.params
    done = post_form(signed_in, "/grading/runs", {})
    assert done.status_code in (302, 303)
    assert len(fake_api.calls("POST", "/api/v1/grading/runs")) == 1


SETTINGS = {
    "criteria": [{"kind": "credit", "weight": 10, "field_key": None}, {"kind": "order_amount", "weight": 30,
                 "field_key": None}, {"kind": "profit", "weight": 60, "field_key": None}],
    "bands": [{"grade": "A", "share_percent": 20, "min_score": None}, {"grade": "B", "share_percent": 30,
              "min_score": None}, {"grade": "C", "share_percent": 50, "min_score": None}],
    "method": "percentile", "order_window_months": 12, "follow_up_days": {"A": 30, "B": 90, "C": 180},
    "complaint_response_days": {"A": 3, "B": 4, "C": 5}, "can_edit": True,
}  # fmt: skip


def test_the_settings_page_shows_and_saves_weights_bands_and_cadence(
    signed_in: TestClient[Any], fake_api: FakeApi
) -> None:
    fake_api.override("GET", "/api/v1/grading/settings", httpx.Response(200, json=SETTINGS))
    fake_api.override("GET", "/api/v1/custom-fields", httpx.Response(200, json=[]))
    html = signed_in.get("/grading/settings").text
    assert 'name="weight.profit"' in html and 'value="60"' in html and 'name="follow_up_days.C"' in html
    assert 'name="band.A.share_percent"' in html and "Use a grade D" in html
    sent: list[Any] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json=SETTINGS)

    fake_api.overrides[("PUT", "/api/v1/grading/settings")] = answer
    form = {"weight.credit": "20", "weight.order_amount": "30", "weight.profit": "50", "weight.growth": "0",
            "method": "cutoffs", "use_d": "1", "order_window_months": "24", "band.A.min_score": "80",
            "band.B.min_score": "60", "band.C.min_score": "30", "band.D.min_score": "0", "follow_up_days.A": "14",
            "follow_up_days.B": "60", "follow_up_days.C": "120", "follow_up_days.D": "365",
            "complaint_response_days.D": "7"}  # fmt: skip
    done = post_form(signed_in, "/grading/settings", form)
    assert done.status_code in (302, 303) and "done=grading-settings" in done.headers["location"]
    assert sent == [{
        "criteria": [{"kind": "credit", "weight": 20}, {"kind": "order_amount", "weight": 30},
                     {"kind": "profit", "weight": 50}],
        "bands": [{"grade": "A", "min_score": 80}, {"grade": "B", "min_score": 60}, {"grade": "C", "min_score": 30},
                  {"grade": "D", "min_score": 0}],
        "method": "cutoffs", "order_window_months": 24,
        "follow_up_days": {"A": 14, "B": 60, "C": 120, "D": 365}, "complaint_response_days": {"D": 7},
    }]  # fmt: skip


def test_bad_settings_are_named_next_to_their_field(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/custom-fields", httpx.Response(200, json=[]))
    not_a_number = post_form(signed_in, "/grading/settings", {"weight.credit": "十", "band.A.share_percent": "20"})
    assert not_a_number.status_code == 422 and "Enter a whole number." in not_a_number.text
    assert not fake_api.calls("PUT", "/api/v1/grading/settings")  # refused before asking the API
    fake_api.override("PUT", "/api/v1/grading/settings", httpx.Response(422, json={
        "type": "about:blank", "title": "Invalid", "status": 422, "detail": "invalid",
        "errors": [{"field": "criteria[1].weight", "message": "must not be negative", "code": "invalid"},
                   {"field": "criteria", "message": "weights must add up to 100, not 90", "code": "invalid"}],
    }), )  # fmt: skip
    refused = post_form(
        signed_in,
        "/grading/settings",
        {
            "weight.credit": "10",
            "weight.order_amount": "-10",
            "weight.profit": "90",
            "band.A.share_percent": "20",
            "band.B.share_percent": "30",
            "band.C.share_percent": "50",
        },
    )
    assert refused.status_code == 422
    assert "must not be negative" in refused.text and 'id="field-weight.order_amount-error"' in refused.text
    assert "weights must add up to 100, not 90" in refused.text


def test_a_manager_sets_and_removes_a_manual_grade_on_the_account_page(
    signed_in: TestClient[Any], fake_api: FakeApi, crm: FakeCustomers
) -> None:
    shown = huaqiang(crm)["id"]
    grade = {"account_id": shown, "grade": "A", "manual": True, "reason": "战略客户 🚀", "set_by": None,
             "set_at": "2026-11-26T08:00:00Z", "growth_score": 70, "can_set": True}  # fmt: skip
    fake_api.override("GET", f"/api/v1/accounts/{shown}/grade", httpx.Response(200, json=grade))
    fake_api.override("GET", f"/api/v1/accounts/{shown}/grade-history", httpx.Response(200, json=[
        {"id": str(uuid.uuid4()), "from_grade": "B", "to_grade": "A", "source": "manual", "reason": "战略客户 🚀",
         "run_id": None, "actor_id": None, "changed_at": "2026-11-26T08:00:00Z"}]))  # fmt: skip
    text = signed_in.get(f"/accounts/{shown}").text
    assert "Customer grade" in text and "Set by hand" in text and "战略客户 🚀" in text and "B → A" in text
    assert f'action="/accounts/{shown}/grade/remove"' in text and "70</strong> / 100" in text
    sent: list[Any] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content) if request.content else None)
        return httpx.Response(200, json=grade)

    fake_api.overrides[("PUT", f"/api/v1/accounts/{shown}/grade")] = answer
    fake_api.overrides[("DELETE", f"/api/v1/accounts/{shown}/grade")] = answer
    fake_api.overrides[("PUT", f"/api/v1/accounts/{shown}/growth-score")] = answer
    assert "done=grade-refused" in post_form(signed_in, f"/accounts/{shown}/grade", {"grade": "A"}).headers[
        "location"]  # fmt: skip
    done = post_form(signed_in, f"/accounts/{shown}/grade", {"grade": "B", "reason": "  回款慢  "})
    assert "done=grade-set" in done.headers["location"]
    assert "done=grade-removed" in post_form(signed_in, f"/accounts/{shown}/grade/remove", {}).headers["location"]
    assert "done=growth-set" in post_form(signed_in, f"/accounts/{shown}/grade/growth", {"score": ""}).headers[
        "location"]  # fmt: skip
    assert sent == [{"grade": "B", "reason": "回款慢"}, None, {"score": None}]


def test_a_rep_sees_the_grade_without_the_forms(
    signed_in: TestClient[Any], fake_api: FakeApi, crm: FakeCustomers
) -> None:
    shown = huaqiang(crm)["id"]
    fake_api.override("GET", f"/api/v1/accounts/{shown}/grade", httpx.Response(200, json={
        "account_id": shown, "grade": "C", "manual": False, "reason": None, "set_by": None, "set_at": None,
        "growth_score": None, "can_set": False}))  # fmt: skip
    fake_api.override("GET", f"/api/v1/accounts/{shown}/grade-history", httpx.Response(200, json=[]))
    text = signed_in.get(f"/accounts/{shown}").text
    assert "Computed by the latest grading run." in text and f'action="/accounts/{shown}/grade"' not in text
