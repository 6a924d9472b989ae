"""Announcement pages: the list with unread ones marked and pinned ones badged, one announcement shown as
plain text with its receipts for administrators, and the editor publishing to the departments ticked."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from litestar.testing import TestClient

from tests.web.conftest import FakeApi, post_form

ONE = str(uuid.uuid4())
DEPT = str(uuid.uuid4())


def announcement(**changes: Any) -> dict[str, Any]:
    return {"id": ONE, "title": "年终总结会 🎉", "body": "周五 15:00\n<b>全员</b>", "department_ids": [],
            "pinned": True, "author_id": str(uuid.uuid4()), "author_name": "王经理",
            "published_at": "2026-11-26T09:00:00Z", "read": False, **changes}  # fmt: skip


def test_the_list_marks_unread_and_pinned(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/announcements", httpx.Response(200, json={
        "items": [announcement(), announcement(id=str(uuid.uuid4()), title="Old", pinned=False, read=True)],
        "next_cursor": None}))  # fmt: skip
    text = signed_in.get("/announcements").text
    assert f'href="/announcements/{ONE}">' in text and "年终总结会 🎉" in text
    assert text.count("notification--unread") == 1 and "Pinned" in text
    assert 'href="/announcements/new"' in text  # the signed-in owner may publish


def test_one_announcement_is_plain_text_with_receipts(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", f"/api/v1/announcements/{ONE}", httpx.Response(200, json=announcement(read=True)))
    fake_api.override("GET", f"/api/v1/announcements/{ONE}/receipts", httpx.Response(200, json={
        "read_count": 1, "unread_count": 2,
        "read": [{"id": str(uuid.uuid4()), "name": "李娜", "read_at": "2026-11-26T10:00:00Z"}],
        "unread": [{"id": str(uuid.uuid4()), "name": "张伟", "read_at": None},
                   {"id": str(uuid.uuid4()), "name": "Ahmed", "read_at": None}]}))  # fmt: skip
    text = signed_in.get(f"/announcements/{ONE}").text
    assert "&lt;b&gt;全员&lt;/b&gt;" in text and "<b>全员</b>" not in text
    assert "1 has read it" in text and "2 have not yet" in text and "李娜" in text and "Ahmed" in text


def test_the_editor_publishes_to_the_departments_ticked(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/admin/departments", httpx.Response(200, json=[
        {"id": DEPT, "name": "华东销售部", "parent_id": None, "head_id": None, "member_count": 3}]))  # fmt: skip
    page = signed_in.get("/announcements/new")
    assert page.status_code == 200 and "华东销售部" in page.text
    fake_api.override("POST", "/api/v1/announcements", httpx.Response(201, json=announcement()))
    done = post_form(signed_in, "/announcements", {"title": "年终总结会", "body": "周五", "department_ids": DEPT,
                                                   "pinned": "on"})  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/announcements?done=published"
    [sent] = fake_api.calls("POST", "/api/v1/announcements")
    assert json.loads(sent.content) == {"title": "年终总结会", "body": "周五", "pinned": True, "department_ids": [DEPT]}

    empty = post_form(signed_in, "/announcements", {"title": "  "})
    assert empty.status_code == 422 and "This field is required." in empty.text
    refused = {"type": "https://guanxi.example/problems/validation-error", "title": "Invalid", "status": 422,
               "detail": "title: too long",
               "errors": [{"field": "title", "message": "must be at most 200 characters", "code": "too_long"}],
               }  # fmt: skip
    fake_api.override("POST", "/api/v1/announcements", httpx.Response(422, json=refused))
    again = post_form(signed_in, "/announcements", {"title": "标" * 300})
    assert again.status_code == 422 and "200" in again.text and "标" * 300 in again.text


def test_home_shows_the_newest_unread_announcement(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    assert 'hx-get="/announcements/banner"' in signed_in.get("/home").text  # the home page does not wait for it
    items = [announcement(), announcement(id=str(uuid.uuid4()), title="Other")]
    fake_api.override("GET", "/api/v1/announcements", httpx.Response(200, json={"items": items, "next_cursor": None}))
    banner = signed_in.get("/announcements/banner", headers={"HX-Request": "true"}).text
    assert f'href="/announcements/{ONE}">年终总结会 🎉</a>' in banner and "1 more unread" in banner
    assert fake_api.calls("GET", "/api/v1/announcements")[-1].url.params["unread"] == "true"
    fake_api.override("GET", "/api/v1/announcements", httpx.Response(200, json={"items": [], "next_cursor": None}))
    assert "announcement-banner" not in signed_in.get("/announcements/banner").text
