"""Work report pages: today's report with the figures shown and the texts sent for the period, the reports the
reader can see, one report with its comments and a comment added; refusals shown on the form."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from litestar.testing import TestClient

from tests.web.conftest import FakeApi, post_form

REPORT = str(uuid.uuid4())
OTHER = str(uuid.uuid4())


def report(**changes: Any) -> dict[str, Any]:
    return {"id": None, "author_id": OTHER, "author_name": "李娜", "kind": "daily", "period_start": "2026-11-27",
            "period_end": "2026-11-28", "summary": "", "plans": "", "problems": "", "submitted_at": None,
            "comments": [],
            "figures": {"calls": 7, "visits": 2, "deals_moved": 3, "won_amount": "52000.00",
                        "collected_amount": "8000.00", "tasks_done": 4, "currency": "CNY"}, **changes}  # fmt: skip


def test_todays_report_shows_the_figures_and_is_submitted(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/work-reports/draft", httpx.Response(200, json=report()))
    fake_api.override("GET", "/api/v1/work-reports", httpx.Response(200, json={"items": [
        report(id=REPORT, summary="拜访华强 <b>", submitted_at="2026-11-27T10:00:00Z",
               comments=[{"id": str(uuid.uuid4()), "author_id": OTHER, "author_name": "王", "body": "好",
                          "created_at": "2026-11-27T11:00:00Z"}])], "next_cursor": None}))  # fmt: skip
    text = signed_in.get("/work-reports").text
    assert ">7</dd>" in text and ">4</dd>" in text and "52,000" in text
    assert f'href="/work-reports/{REPORT}"' in text and "拜访华强 &lt;b&gt;" in text and "1 comment" in text
    fake_api.override("PUT", "/api/v1/work-reports", httpx.Response(200, json=report(id=REPORT)))
    done = post_form(
        signed_in, "/work-reports", {"kind": "daily", "summary": "拜访了 3 家客户 🚀", "plans": "", "problems": ""}
    )
    assert done.status_code == 303 and done.headers["location"] == "/work-reports?kind=daily&done=submitted"
    [sent] = fake_api.calls("PUT", "/api/v1/work-reports")
    assert json.loads(sent.content) == {"kind": "daily", "date": "2026-11-27", "summary": "拜访了 3 家客户 🚀",
                                        "plans": "", "problems": ""}  # fmt: skip

    refused = {"type": "https://guanxi.example/problems/validation-error", "title": "Invalid", "status": 422,
               "detail": "summary: required",
               "errors": [{"field": "summary", "message": "write at least a summary", "code": "required"}]}  # fmt: skip
    fake_api.override("PUT", "/api/v1/work-reports", httpx.Response(422, json=refused))
    again = post_form(signed_in, "/work-reports", {"kind": "weekly", "summary": ""})
    assert again.status_code == 422 and "This field is required." in again.text and "field--invalid" in again.text


def test_a_report_is_read_and_commented(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    shown = report(id=REPORT, summary="第一行\n第二行", submitted_at="2026-11-27T10:00:00Z")
    fake_api.override("GET", f"/api/v1/work-reports/{REPORT}", httpx.Response(200, json=shown))
    text = signed_in.get(f"/work-reports/{REPORT}").text
    assert (
        "第一行\n第二行" in text and "No comments yet." in text and f'action="/work-reports/{REPORT}/comments"' in text
    )
    fake_api.override("POST", f"/api/v1/work-reports/{REPORT}/comments", httpx.Response(201, json=shown))
    done = post_form(signed_in, f"/work-reports/{REPORT}/comments", {"body": "很好 👍"})
    assert done.status_code == 303 and done.headers["location"] == f"/work-reports/{REPORT}?done=commented"
    [sent] = fake_api.calls("POST", f"/api/v1/work-reports/{REPORT}/comments")
    assert json.loads(sent.content) == {"body": "很好 👍"}
    empty = post_form(signed_in, f"/work-reports/{REPORT}/comments", {"body": "  "})
    assert empty.status_code == 422 and "This field is required." in empty.text
