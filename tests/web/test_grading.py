"""The grading report page over a fake API: rows with score, grade, manual badge and each criterion's points; the
grade tabs ask the API for that grade; "Grade now" starts a run; no run yet reads as such."""

from __future__ import annotations

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
