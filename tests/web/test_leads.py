"""Lead pages over the fake leads API: the list with its tabs and claim buttons, a new lead, a lead's page
(status, quick note, conversion), and the public web form (framable, no sign-in, refusals shown)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.web.conftest import (  # noqa: F401 (fixtures)
    FakeApi,
    fake_api_fixture,
    post_form,
    problem,
    signed_in_fixture,
    web_fixture,
)
from tests.web.fake_leads import KEY, SLUG, FakeLeads, new_lead


@pytest.fixture(name="leads")
def leads_fixture(fake_api: FakeApi) -> FakeLeads:
    return FakeLeads(fake_api)


def test_the_list_shows_my_leads_and_the_pool_with_claim_buttons(signed_in: TestClient[Any], leads: FakeLeads) -> None:
    mine = new_lead(name="张伟", company="深圳华强电子", owner_id=leads.me, source="展会")
    waiting = new_lead(company="杭州云栖科技")
    leads.leads += [mine, waiting]
    page = signed_in.get("/leads")
    assert page.status_code == 200 and "张伟" in page.text and "杭州云栖科技" not in page.text
    pool = signed_in.get("/leads?tab=pool")
    assert "杭州云栖科技" in pool.text and f'action="/leads/{waiting["id"]}/claim"' in pool.text
    assert 'href="/leads"' in pool.text  # the navigation entry
    claimed = post_form(signed_in, f"/leads/{waiting['id']}/claim")
    assert claimed.status_code in (302, 303) and claimed.headers["location"].startswith(f"/leads/{waiting['id']}")
    assert waiting["owner_id"] == leads.me


def test_a_lead_someone_else_claimed_first_says_so(signed_in: TestClient[Any], leads: FakeLeads) -> None:
    lead = new_lead(company="Contested")
    leads.leads.append(lead)
    leads.taken_by_someone.add(lead["id"])
    answer = post_form(signed_in, f"/leads/{lead['id']}/claim")
    assert answer.headers["location"] == "/leads?tab=pool&done=lead-taken"
    assert "a moment before you" in signed_in.get(answer.headers["location"]).text


def test_a_new_lead_is_recorded_for_me_and_refusals_show_by_field(signed_in: TestClient[Any], leads: FakeLeads) -> None:
    refused = post_form(signed_in, "/leads", {"name": "", "company": "", "employees": "many"})
    assert refused.status_code == 422 and "Enter a whole number" in refused.text
    refused = post_form(signed_in, "/leads", {"name": "", "company": ""})
    assert refused.status_code == 422 and "is required" in refused.text
    made = post_form(
        signed_in, "/leads", {"name": "李娜", "company": "云栖", "employees": "1,200", "estimated_value": "50000"}
    )
    assert made.status_code in (302, 303)
    [lead] = leads.leads
    assert lead["owner_id"] == leads.me and lead["employees"] == 1200 and lead["estimated_value"] == "50000"


def test_the_lead_page_changes_status_takes_notes_and_converts(signed_in: TestClient[Any], leads: FakeLeads) -> None:
    lead = new_lead(name="张伟", company="深圳华强电子", owner_id=leads.me)
    leads.leads.append(lead)
    page = signed_in.get(f"/leads/{lead['id']}")
    assert page.status_code == 200 and "深圳华强电子" in page.text and "Convert the lead" in page.text
    refused = post_form(
        signed_in,
        f"/leads/{lead['id']}/status",
        {"status": "unqualified", "qualification_note": "", "disqualify_reason": ""},
    )
    assert refused.status_code == 422 and "field-disqualify_reason-error" in refused.text
    ok = post_form(
        signed_in,
        f"/leads/{lead['id']}/status",
        {"status": "qualified", "qualification_note": "有预算", "disqualify_reason": ""},
    )
    assert ok.status_code in (302, 303) and lead["status"] == "qualified"
    noted = post_form(signed_in, f"/leads/{lead['id']}/notes", {"kind": "call", "subject": "首次电话，约下周拜访"})
    assert noted.status_code in (302, 303)
    assert "首次电话，约下周拜访" in signed_in.get(f"/leads/{lead['id']}").text
    converted = post_form(signed_in, f"/leads/{lead['id']}/convert", {"with_deal": "on", "deal_name": "华强采购"})
    assert converted.status_code in (302, 303) and converted.headers["location"].startswith("/accounts/")
    assert leads.converted_with == {"allow_duplicate": False, "deal": {"name": "华强采购"}}


def test_the_public_form_is_framable_needs_no_sign_in_and_sends_through_the_api(
    web: TestClient[Any], leads: FakeLeads
) -> None:
    page = web.get(f"/f/{SLUG}/{KEY}")
    assert page.status_code == 200 and "您的姓名" in page.text and 'name="website"' in page.text
    assert "X-Frame-Options" not in page.headers and "frame-ancestors *" in page.headers["content-security-policy"]
    assert web.get("/leads", follow_redirects=False).status_code in (302, 303)  # the app itself still needs sign-in
    assert "frame-ancestors 'none'" in web.get("/login").headers["content-security-policy"]
    bot = web.post(f"/f/{SLUG}/{KEY}", data={"name": "x", "email": "x@example.cn", "token": "t", "website": "spam"})
    assert bot.status_code == 422 and "sent too quickly" in bot.text and leads.submissions == []
    missing = web.post(f"/f/{SLUG}/{KEY}", data={"name": "", "email": "x@example.cn", "token": "t"})
    assert missing.status_code == 422 and "is required" in missing.text
    sent = web.post(
        f"/f/{SLUG}/{KEY}", data={"name": "王芳", "email": "wf@example.cn", "token": "signed-token", "website": ""}
    )
    assert sent.status_code == 200 and "谢谢！" in sent.text
    assert leads.submissions == [
        {"values": {"name": "王芳", "email": "wf@example.cn"}, "token": "signed-token", "website": ""}
    ]
    leads.api.override("GET", "/api/v1/public/lead-forms/nope/nothing-here-at-all", problem(404, "not-found"))
    assert web.get("/f/nope/nothing-here-at-all").status_code == 404


def test_a_form_that_cannot_take_leads_now_says_so_and_keeps_what_was_typed(
    web: TestClient[Any], leads: FakeLeads
) -> None:
    leads.api.override("POST", f"/api/v1/public/lead-forms/{SLUG}/{KEY}", problem(503, "form-unavailable"))
    answer = web.post(f"/f/{SLUG}/{KEY}", data={"name": "王芳", "email": "wf@example.cn", "token": "signed-token"})
    assert answer.status_code == 503 and "cannot take messages right now" in answer.text
    assert 'value="王芳"' in answer.text and leads.submissions == []


def test_an_administrator_builds_a_form_and_gets_its_embed_snippet(
    signed_in: TestClient[Any], leads: FakeLeads
) -> None:
    assert signed_in.get("/w/settings/lead-forms/new").status_code == 200
    refused = post_form(
        signed_in,
        "/w/settings/lead-forms/new",
        {"name": "官网", "field": "email", "required_email": "on", "active": "on"},
    )
    assert refused.status_code == 422 and "a lead needs one" in refused.text
    made = post_form(
        signed_in,
        "/w/settings/lead-forms/new",
        {"name": "官网咨询", "field": "name", "required_name": "on", "label_name": "您的姓名", "active": "on"},
    )
    assert made.status_code in (302, 303)
    assert leads.forms[0]["fields"] == [{"field": "name", "required": True, "label": "您的姓名"}]
    page = signed_in.get("/w/settings/lead-forms")
    assert f"/f/{SLUG}/{KEY}" in page.text and "&lt;iframe src=" in page.text and "官网咨询" in page.text


def test_an_administrator_orders_the_assignment_rules(signed_in: TestClient[Any], leads: FakeLeads) -> None:
    refused = post_form(signed_in, "/w/settings/lead-rules", {"action": "add", "name": "无人", "sources": "展会"})
    assert refused.status_code == 422
    for name in ("展会", "官网"):
        leads.rules.append(
            {
                "id": str(uuid.uuid4()),
                "position": 0,
                "name": name,
                "sources": [name],
                "regions": [],
                "min_employees": None,
                "max_employees": None,
                "member_ids": [leads.me],
                "department_id": None,
                "active": True,
            }
        )
    moved = post_form(signed_in, "/w/settings/lead-rules", {"action": "up", "index": "1"})
    assert moved.status_code in (302, 303) and [r["name"] for r in leads.rules] == ["官网", "展会"]
    bad = post_form(signed_in, "/w/settings/lead-rules", {"action": "add", "name": "大客户", "min_employees": "many"})
    assert bad.status_code == 422 and "Enter a whole number" in bad.text
    assert "官网" in signed_in.get("/w/settings/lead-rules").text


def test_a_lead_is_edited_and_an_emptied_field_is_cleared(signed_in: TestClient[Any], leads: FakeLeads) -> None:
    lead = new_lead(name="张伟", company="深圳华强电子", phone="13800001111", employees=120, owner_id=leads.me)
    leads.leads.append(lead)
    page = signed_in.get(f"/leads/{lead['id']}/edit")
    assert page.status_code == 200 and 'value="13800001111"' in page.text and 'value="120"' in page.text
    saved = post_form(
        signed_in,
        f"/leads/{lead['id']}/edit",
        {"name": "张伟", "company": "深圳华强电子集团", "phone": "", "employees": "150"},
    )
    assert saved.status_code in (302, 303) and saved.headers["location"].endswith("done=lead-saved")
    assert (lead["company"], lead["phone"], lead["employees"]) == ("深圳华强电子集团", None, 150)
