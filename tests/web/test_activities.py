"""Activities on the account page (the quick-log bar, the timeline with "Load more", tasks ticked off) and the
calendar of the week, over the fake API."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import TestClient

from tests.web.conftest import (  # noqa: F401 (fixtures)
    FakeApi,
    fake_api_fixture,
    post_form,
    signed_in_fixture,
    web_fixture,
)
from tests.web.fake_activities import FakeActivities
from tests.web.fake_customers import FakeCustomers
from tests.web.test_accounts import crm_fixture, form_values, huaqiang  # noqa: F401 (fixtures)

HTMX = {"HX-Request": "true"}
SHANGHAI = ZoneInfo("Asia/Shanghai")  # the fake workspace was opened in Simplified Chinese


@pytest.fixture(name="work")
def work_fixture(crm: FakeCustomers) -> FakeActivities:
    return FakeActivities(crm)


def sent(fake_api: FakeApi) -> dict[str, Any]:
    [request] = fake_api.calls("POST", "/api/v1/activities")
    body: dict[str, Any] = json.loads(request.content)
    return body


def test_the_account_page_shows_activities_and_changes_in_one_timeline_newest_first(
    signed_in: TestClient[Any], crm: FakeCustomers, work: FakeActivities
) -> None:
    account = huaqiang(crm)
    work.add(account, subject="报价跟进", direction="outbound", duration_seconds=300, outcome="约了下周拜访")
    work.add(account, kind="task", subject="发送样品", due_at="2026-05-20T02:00:00+00:00")

    html = signed_in.get(f"/accounts/{account['id']}").text

    timeline = html.split('id="timeline"')[1]
    assert timeline.index("发送样品") < timeline.index("报价跟进") < timeline.index("added this account")
    assert "Outgoing" in timeline and "5 min" in timeline and "约了下周拜访" in timeline
    assert "Due May 20, 2026, 10:00:00" in timeline  # in the workspace's time zone
    assert 'aria-checked="false"' in timeline  # the task's done box
    assert 'href="/accounts/{}?log=call#log-panel"'.format(account["id"]) in timeline


def test_the_timeline_speaks_chinese(signed_in: TestClient[Any], crm: FakeCustomers, work: FakeActivities) -> None:
    account = huaqiang(crm)
    work.add(account, subject="电话", direction="inbound")
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")

    html = signed_in.get(f"/accounts/{account['id']}").text

    assert "跟进记录" in html and "记录电话" in html and "添加待办" in html and "呼入" in html
    signed_in.cookies.set("gx_locale", "zh-Hant", domain="testserver.local")
    html = signed_in.get(f"/accounts/{account['id']}").text
    assert "跟進記錄" in html and "新增待辦" in html


def test_load_more_appends_the_next_entries_by_cursor(
    signed_in: TestClient[Any], crm: FakeCustomers, work: FakeActivities, fake_api: FakeApi
) -> None:
    account = huaqiang(crm)
    for number in range(25):
        work.add(account, subject=f"Call {number:02d}")

    page = signed_in.get(f"/accounts/{account['id']}").text
    more = re.search(r'hx-get="(/accounts/[^"]+/timeline\?cursor=20)"', page)

    assert more is not None and "Call 24" in page and "Call 04" not in page
    answer = signed_in.get(more.group(1), headers={**HTMX, "HX-Target": "timeline-items"})
    assert answer.status_code == 200
    assert "Call 04" in answer.text and "Call 00" in answer.text and "added this account" in answer.text
    assert "<html" not in answer.text and 'id="timeline-more" hx-swap-oob="true"' in answer.text
    assert "cursor=" not in answer.text  # nothing after these
    assert fake_api.calls("GET", f"/api/v1/accounts/{account['id']}/timeline")[-1].url.params["cursor"] == "20"
    # without JavaScript the link opens a page of the older entries
    plain = signed_in.get(more.group(1))
    assert plain.status_code == 200 and "<html" in plain.text and "Call 04" in plain.text


def test_a_call_is_logged_in_two_clicks_with_its_subject_filled_in(
    signed_in: TestClient[Any], crm: FakeCustomers, work: FakeActivities, fake_api: FakeApi
) -> None:
    account = huaqiang(crm)
    page = f"/accounts/{account['id']}"

    bar = signed_in.get(f"{page}/log?kind=call", headers={**HTMX, "HX-Target": "log-panel"})
    assert bar.status_code == 200 and 'id="log-panel"' in bar.text and "<html" not in bar.text
    values = form_values(signed_in, f"{page}?log=call", f"{page}/activities")
    assert values["subject"] == "Call" and values["kind"] == "call" and values["direction"] == "outbound"

    answer = post_form(
        signed_in,
        f"{page}/activities",
        {**values, "duration_minutes": "１２", "outcome": "interested", "body": "Wants a quote"},
        headers={**HTMX, "HX-Target": "timeline"},
    )

    assert answer.status_code == 200
    assert sent(fake_api) == {
        "kind": "call",
        "subject": "Call",
        "direction": "outbound",
        "duration_seconds": 720,
        "outcome": "interested",
        "body": "Wants a quote",
        "account_id": account["id"],
    }
    assert 'id="timeline"' in answer.text and "Logged." in answer.text and "Wants a quote" in answer.text
    assert 'name="subject"' not in answer.text  # the bar is closed again


def test_without_javascript_logging_redirects_back_to_the_timeline(
    signed_in: TestClient[Any], crm: FakeCustomers, work: FakeActivities
) -> None:
    account = huaqiang(crm)
    page = f"/accounts/{account['id']}"
    values = form_values(signed_in, f"{page}?log=note", f"{page}/activities")

    answer = post_form(signed_in, f"{page}/activities", {**values, "body": "客户说下个月再谈"})

    assert answer.status_code == 303 and answer.headers["location"] == f"{page}?done=activity-logged#timeline"
    assert "客户说下个月再谈" in signed_in.get(answer.headers["location"]).text
    assert signed_in.get(f"{page}/log?kind=visit", follow_redirects=False).headers["location"] == (
        f"{page}?log=visit#log-panel"
    )


def test_a_task_needs_a_due_time_read_in_the_workspace_zone(
    signed_in: TestClient[Any], crm: FakeCustomers, work: FakeActivities, fake_api: FakeApi
) -> None:
    account = huaqiang(crm)
    page = f"/accounts/{account['id']}"
    values = form_values(signed_in, f"{page}?log=task", f"{page}/activities")

    missing = post_form(signed_in, f"{page}/activities", {**values, "subject": "寄合同"})
    assert missing.status_code == 422
    assert re.search(r'id="field-due_at-error">.*?A task needs a due time', missing.text, re.S)
    assert 'value="寄合同"' in missing.text  # what was typed is kept
    assert not fake_api.calls("POST", "/api/v1/activities")

    post_form(signed_in, f"{page}/activities", {**values, "subject": "寄合同", "due_at": "2026-06-01T09:30"})
    body = sent(fake_api)
    assert body["kind"] == "task" and body["subject"] == "寄合同"
    assert dt.datetime.fromisoformat(body["due_at"]) == dt.datetime(2026, 6, 1, 9, 30, tzinfo=SHANGHAI)


def test_the_apis_refusal_is_shown_under_its_field(
    signed_in: TestClient[Any], crm: FakeCustomers, work: FakeActivities
) -> None:
    account = huaqiang(crm)
    page = f"/accounts/{account['id']}"
    values = form_values(signed_in, f"{page}?log=call", f"{page}/activities")

    answer = post_form(
        signed_in, f"{page}/activities", {**values, "subject": "x" * 201}, headers={**HTMX, "HX-Target": "timeline"}
    )

    assert answer.status_code == 422
    assert re.search(r'id="field-subject-error">.*?Use at most 200 characters', answer.text, re.S)
    bad = post_form(signed_in, f"{page}/activities", {**values, "duration_minutes": "ten"})
    assert bad.status_code == 422 and "Enter whole minutes, from 0 to 1440." in bad.text


def test_a_task_is_ticked_off_and_opened_again(
    signed_in: TestClient[Any], crm: FakeCustomers, work: FakeActivities, fake_api: FakeApi
) -> None:
    account = huaqiang(crm)
    task = work.add(account, kind="task", subject="发送样品", due_at="2026-05-20T02:00:00+00:00")
    target = {**HTMX, "HX-Target": f"activity-{task['id']}"}

    done = post_form(signed_in, f"/activities/{task['id']}/done", {"done": "true"}, headers=target)

    assert done.status_code == 200 and 'aria-checked="true"' in done.text and "<html" not in done.text
    assert task["done_at"] is not None
    assert fake_api.calls("POST", f"/api/v1/activities/{task['id']}/done")[-1].url.params["done"] == "true"
    plain = post_form(signed_in, f"/activities/{task['id']}/done", {"done": "false"})
    assert plain.status_code == 303 and plain.headers["location"] == f"/accounts/{account['id']}#timeline"
    assert task["done_at"] is None
    work.may_close_tasks = False
    refused = post_form(signed_in, f"/activities/{task['id']}/done", {"done": "true"})
    assert refused.status_code == 403 and "You do not have access to this task" in refused.text


def test_a_timeline_the_role_may_not_read_is_left_out(
    signed_in: TestClient[Any], crm: FakeCustomers, work: FakeActivities
) -> None:
    account = huaqiang(crm)
    crm.may_read_timeline = False

    html = signed_in.get(f"/accounts/{account['id']}").text

    assert 'id="timeline"' not in html and 'id="contacts-panel"' in html


def test_the_calendar_shows_the_weeks_tasks_and_meetings_by_day(
    signed_in: TestClient[Any], crm: FakeCustomers, work: FakeActivities, fake_api: FakeApi
) -> None:
    account = huaqiang(crm)
    work.add(account, kind="task", subject="寄合同", due_at="2026-06-02T01:30:00+00:00")  # Tue 09:30 in Shanghai
    work.add(account, kind="meeting", subject="季度回顾", due_at="2026-06-04T06:00:00+00:00")  # Thu 14:00
    work.add(account, kind="task", subject="下周的事", due_at="2026-06-08T01:00:00+00:00")

    html = signed_in.get("/calendar?week=2026-06-03").text

    [request] = fake_api.calls("GET", "/api/v1/calendar")
    assert dt.datetime.fromisoformat(request.url.params["start"]) == dt.datetime(2026, 6, 1, tzinfo=SHANGHAI)
    assert dt.datetime.fromisoformat(request.url.params["end"]) == dt.datetime(2026, 6, 8, tzinfo=SHANGHAI)
    days = html.split('<li class="week-day')[1:]
    assert len(days) == 7
    assert "Tue, Jun 2" in days[1] and "09:30" in days[1] and "寄合同" in days[1]
    assert "14:00" in days[3] and "季度回顾" in days[3] and "深圳华强电子有限公司" in days[3]
    assert "下周的事" not in html
    assert 'href="/calendar?week=2026-05-25"' in html and 'href="/calendar?week=2026-06-08"' in html
    assert 'href="/calendar"' in html  # the sidebar, and "this week"


def test_a_calendar_task_is_ticked_off_in_place(
    signed_in: TestClient[Any], crm: FakeCustomers, work: FakeActivities
) -> None:
    account = huaqiang(crm)
    task = work.add(account, kind="task", subject="寄合同", due_at="2026-06-02T01:30:00+00:00")
    html = signed_in.get("/calendar?week=2026-06-01").text
    assert f'hx-target="#calendar-{task["id"]}"' in html

    answer = post_form(
        signed_in,
        f"/activities/{task['id']}/done",
        {"done": "true", "back": "/calendar?week=2026-06-01"},
        headers={**HTMX, "HX-Target": f"calendar-{task['id']}"},
    )

    assert answer.status_code == 200 and 'aria-checked="true"' in answer.text and "深圳华强电子有限公司" in answer.text
    plain = post_form(
        signed_in, f"/activities/{task['id']}/done", {"done": "false", "back": "/calendar?week=2026-06-01"}
    )
    assert plain.headers["location"] == "/calendar?week=2026-06-01"
    offsite = post_form(signed_in, f"/activities/{task['id']}/done", {"done": "true", "back": "https://evil.example"})
    assert offsite.headers["location"] == f"/accounts/{account['id']}#timeline"


def test_the_calendar_speaks_chinese_and_is_in_the_sidebar(
    signed_in: TestClient[Any], crm: FakeCustomers, work: FakeActivities
) -> None:
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")
    html = signed_in.get("/calendar?week=2026-06-01").text
    assert "日程" in html and "6月1日 周一" in html and "下一周" in html
    signed_in.cookies.set("gx_locale", "zh-Hant", domain="testserver.local")
    assert "日程" in signed_in.get("/home").text


def test_a_manager_picks_a_colleagues_or_a_departments_calendar(
    signed_in: TestClient[Any], crm: FakeCustomers, work: FakeActivities, fake_api: FakeApi
) -> None:
    east, sales = crm.admin.departments
    me, li_na, _ = crm.admin.members
    me["department_id"], li_na["department_id"] = sales["id"], east["id"]
    account = huaqiang(crm)
    work.add(account, kind="task", subject="我的周会", due_at="2026-06-02T01:30:00+00:00")
    work.add(account, kind="meeting", subject="李娜的拜访", due_at="2026-06-03T02:00:00+00:00", owner_id=li_na["id"])

    own = signed_in.get("/calendar?week=2026-06-01").text
    assert "我的周会" in own and "李娜的拜访" not in own
    picker = own.split('<select class="input select" id="field-who" name="who">')[1].split("</select>")[0]
    picker = re.sub(r"\s*\n\s*|>\s+<", lambda m: "><" if m.group().startswith(">") else "", picker)
    assert re.search(r'<option value="" selected>My calendar</option>', picker)
    assert f'<optgroup label="Departments"><option value="d:{sales["id"]}">销售部</option>' in picker
    assert f'<option value="d:{east["id"]}">\u00a0\u00a0华东区</option>' in picker  # under its parent
    assert f'<optgroup label="Colleagues"><option value="m:{li_na["id"]}">李娜</option></optgroup>' in picker
    assert "王芳" not in picker  # deactivated

    colleague = signed_in.get(f"/calendar?week=2026-06-01&who=m:{li_na['id']}").text
    assert "李娜的拜访" in colleague and "我的周会" not in colleague
    assert f'<option value="m:{li_na["id"]}" selected>' in colleague
    assert f'href="/calendar?week=2026-06-08&amp;who=m:{li_na["id"]}"' in colleague  # the week keeps the choice
    assert fake_api.calls("GET", "/api/v1/calendar")[-1].url.params["owner_id"] == li_na["id"]

    department = signed_in.get(f"/calendar?week=2026-06-01&who=d:{sales['id']}").text
    assert "李娜的拜访" in department and "我的周会" in department
    assert '<span class="day-item-owner">Owner: 李娜</span>' in department  # whose each item is
    assert fake_api.calls("GET", "/api/v1/calendar")[-1].url.params["department_id"] == sales["id"]


def test_a_rep_whose_scope_is_their_own_has_no_colleagues_and_is_refused_theirs(
    signed_in: TestClient[Any], crm: FakeCustomers, work: FakeActivities
) -> None:
    work.scope = set()  # own records only
    li_na = crm.admin.members[1]
    work.add(
        huaqiang(crm), kind="meeting", subject="李娜的拜访", due_at="2026-06-03T02:00:00+00:00", owner_id=li_na["id"]
    )

    own = signed_in.get("/calendar?week=2026-06-01").text
    assert 'name="who"' not in own  # nobody else to pick

    refused = signed_in.get(f"/calendar?week=2026-06-01&who=m:{li_na['id']}")
    assert refused.status_code == 403
    assert "That calendar is outside your data scope." in refused.text and "李娜的拜访" not in refused.text
    for who in ("m:not-an-id", "x:" + li_na["id"], "'; DROP TABLE members; --", "😀"):
        assert signed_in.get("/calendar", params={"who": who}).status_code == 200  # read as one's own


def test_the_calendar_and_the_quick_log_use_the_readers_own_zone(
    signed_in: TestClient[Any], crm: FakeCustomers, work: FakeActivities, fake_api: FakeApi
) -> None:
    fake_api.user["timezone"] = "Europe/Berlin"  # chosen on "Your account", over the workspace's Asia/Shanghai
    account = huaqiang(crm)
    work.add(account, kind="task", subject="寄合同", due_at="2026-06-02T01:30:00+00:00")  # 03:30 in Berlin

    html = signed_in.get("/calendar?week=2026-06-01").text

    request = fake_api.calls("GET", "/api/v1/calendar")[-1]
    berlin = ZoneInfo("Europe/Berlin")
    assert dt.datetime.fromisoformat(request.url.params["start"]) == dt.datetime(2026, 6, 1, tzinfo=berlin)
    days = html.split('<li class="week-day')[1:]
    assert "03:30" in days[1] and "寄合同" in days[1]

    post_form(
        signed_in,
        f"/accounts/{account['id']}/activities",
        {"kind": "meeting", "subject": "季度回顾", "due_at": "2026-06-04T14:00"},
    )
    sent = json.loads(fake_api.calls("POST", "/api/v1/activities")[-1].content)
    assert dt.datetime.fromisoformat(sent["due_at"]) == dt.datetime(2026, 6, 4, 14, 0, tzinfo=berlin)
