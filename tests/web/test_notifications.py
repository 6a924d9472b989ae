"""The notification centre pages: the bell's count (capped), the list with unread ones marked and links opened
through "read", mark all, older pages, preferences saved per kind and a refusal shown; in Chinese too."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from litestar.testing import TestClient

from tests.web.conftest import FakeApi, post_form

ONE, TWO = str(uuid.uuid4()), str(uuid.uuid4())


def item(ident: str, title: str, *, read: bool = False, link: str | None = None) -> dict[str, Any]:
    return {"id": ident, "kind": "work_report.comment", "title": title, "body": "第一行\n第二行", "link": link,
            "params": {}, "created_at": "2026-11-26T09:00:00Z",
            "read_at": "2026-11-26T10:00:00Z" if read else None}  # fmt: skip


def test_the_bell_shows_the_unread_count_and_caps_it(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    page = signed_in.get("/home")
    assert 'hx-get="/notifications/bell"' in page.text  # the page does not wait for the count
    fake_api.override("GET", "/api/v1/notifications/unread-count", httpx.Response(200, json={"unread": 3}))
    bell = signed_in.get("/notifications/bell", headers={"HX-Request": "true"})
    assert bell.status_code == 200 and '<span class="bell-count" aria-hidden="true">3</span>' in bell.text
    assert "3 unread notifications" in bell.text
    fake_api.override("GET", "/api/v1/notifications/unread-count", httpx.Response(200, json={"unread": 250}))
    assert ">99+</span>" in signed_in.get("/notifications/bell").text
    fake_api.override("GET", "/api/v1/notifications/unread-count", httpx.Response(200, json={"unread": 0}))
    assert "bell-count" not in signed_in.get("/notifications/bell").text


def test_the_list_marks_unread_and_opens_links_through_read(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/notifications", httpx.Response(200, json={
        "items": [item(ONE, "王经理评论了你的日报 <script>", link="/work-reports/x"), item(TWO, "Old 🚀", read=True)],
        "next_cursor": "abc=",
    }))  # fmt: skip
    text = signed_in.get("/notifications").text
    assert "王经理评论了你的日报 &lt;script&gt;" in text and "<script>" not in text.split("王经理")[1][:20]
    assert text.count("notification--unread") == 1 and "Mark read" in text
    assert f'action="/notifications/{ONE}/read"' in text and "cursor=abc%3D" in text
    fake_api.override("POST", f"/api/v1/notifications/{ONE}/read", httpx.Response(200, json=item(
        ONE, "x", read=True, link="/work-reports/x")))  # fmt: skip
    opened = post_form(signed_in, f"/notifications/{ONE}/read")
    assert opened.status_code == 303 and opened.headers["location"] == "/work-reports/x"
    stayed = post_form(signed_in, f"/notifications/{ONE}/read", {"stay": "1"})
    assert stayed.headers["location"] == "/notifications"
    fake_api.override("POST", f"/api/v1/notifications/{TWO}/read", httpx.Response(200, json=item(
        TWO, "x", read=True, link="https://evil.example/")))  # fmt: skip
    assert post_form(signed_in, f"/notifications/{TWO}/read").headers["location"] == "/notifications"

    fake_api.override("POST", "/api/v1/notifications/read-all", httpx.Response(200, json={"marked": 1}))
    done = post_form(signed_in, "/notifications/read-all")
    assert done.status_code == 303 and done.headers["location"] == "/notifications?done=all-read"
    assert len(fake_api.calls("POST", "/api/v1/notifications/read-all")) == 1


def test_an_empty_list_says_so_in_chinese(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/notifications", httpx.Response(200, json={"items": [], "next_cursor": None}))
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")
    text = signed_in.get("/notifications?unread=true").text
    assert "没有未读通知。" in text and "全部标为已读" in text
    assert fake_api.calls("GET", "/api/v1/notifications")[-1].url.params["unread"] == "true"


def test_preferences_are_saved_per_kind(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    prefs = [{"kind": "announcement", "in_app": True, "email": "instant"},
             {"kind": "work_report.reminder", "in_app": True, "email": "digest"}]  # fmt: skip
    fake_api.override("GET", "/api/v1/me/notification-preferences", httpx.Response(200, json=prefs))
    text = signed_in.get("/notifications/preferences").text
    assert "Announcements" in text and "Work report reminders" in text and "In the daily digest" in text
    fake_api.override("PUT", "/api/v1/me/notification-preferences", httpx.Response(200, json=prefs))
    form = {"in_app:announcement": "on", "email:announcement": "none", "email:work_report.reminder": "instant"}
    saved = post_form(signed_in, "/notifications/preferences", form)
    assert saved.status_code == 303 and saved.headers["location"].endswith("done=prefs-saved")
    [sent] = fake_api.calls("PUT", "/api/v1/me/notification-preferences")
    assert json.loads(sent.content) == {"items": [
        {"kind": "announcement", "in_app": True, "email": "none"},
        {"kind": "work_report.reminder", "in_app": False, "email": "instant"},
    ]}  # fmt: skip

    refused = {
        "type": "https://guanxi.example/problems/validation-error", "title": "Invalid", "status": 422,
        "detail": "items[0].email: bad", "errors": [{"field": "items[0].email", "message": "bad", "code": "invalid"}],
    }  # fmt: skip
    fake_api.override("PUT", "/api/v1/me/notification-preferences", httpx.Response(422, json=refused))
    again = post_form(signed_in, "/notifications/preferences", {"email:announcement": "weekly"})
    assert again.status_code == 422 and "Some choices could not be saved" in again.text
