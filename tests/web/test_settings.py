"""Settings: members, invitations, departments, API tokens and the audit log, over the fake API."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.web.conftest import (  # noqa: F401 (fixtures)
    FakeApi,
    fake_api_fixture,
    post_form,
    signed_in_fixture,
    web_fixture,
)
from tests.web.fake_admin import FakeAdmin


@pytest.fixture(name="admin")
def admin_fixture(fake_api: FakeApi) -> FakeAdmin:
    return FakeAdmin(fake_api)


def test_members_page_lists_people_with_roles_department_manager_and_status(
    signed_in: TestClient[Any], admin: FakeAdmin
) -> None:
    response = signed_in.get("/w/settings/members")

    assert response.status_code == 200
    html = response.text
    assert "li.na@example.com" in html and "王芳" in html
    assert "Sales representative" in html
    assert "华东区" in html
    assert "Deactivated" in html
    assert 'href="/w/settings/invitations"' in html


def test_members_page_in_simplified_chinese_translates_roles(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")

    html = signed_in.get("/w/settings/members").text

    assert "销售代表" in html and "所有者" in html and "成员" in html  # roles, and the "Members" tab


def test_settings_sub_navigation_is_an_htmx_fragment_on_htmx_navigation(
    signed_in: TestClient[Any], admin: FakeAdmin
) -> None:
    response = signed_in.get("/w/settings/members", headers={"HX-Request": "true", "HX-Target": "main"})

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'hx-swap-oob="true"' in response.text


def test_member_edit_saves_roles_department_and_manager(
    signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi
) -> None:
    member = admin.members[1]
    page = signed_in.get(f"/w/settings/members/{member['id']}").text
    assert 'name="roles" value="sales_rep" checked' in page

    response = post_form(
        signed_in,
        f"/w/settings/members/{member['id']}",
        {"roles": "manager", "department_id": "", "manager_id": ""},
    )

    assert response.status_code == 303
    assert response.headers["location"].endswith("done=member-saved")
    sent = json.loads(fake_api.calls("PATCH", f"/api/v1/admin/members/{member['id']}")[0].content)
    assert sent == {"roles": ["manager"], "department_id": None, "manager_id": None}


def test_member_edit_shows_the_api_field_error_next_to_the_field(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    member = admin.members[1]

    response = post_form(
        signed_in,
        f"/w/settings/members/{member['id']}",
        {"roles": "sales_rep", "manager_id": member["id"]},
    )

    assert response.status_code == 422
    assert re.search(r'id="field-manager_id-error">.*A member cannot manage themselves', response.text, re.S)


def test_member_edit_without_roles_is_refused_before_the_api(
    signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi
) -> None:
    member = admin.members[1]

    response = post_form(signed_in, f"/w/settings/members/{member['id']}", {"department_id": ""})

    assert response.status_code == 422
    assert 'id="field-roles-error"' in response.text
    assert not fake_api.calls("PATCH", f"/api/v1/admin/members/{member['id']}")


def test_deactivate_asks_for_confirmation_then_posts(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    member = admin.members[1]
    page = signed_in.get(f"/w/settings/members/{member['id']}").text
    assert '<details class="confirm">' in page

    response = post_form(signed_in, f"/w/settings/members/{member['id']}/deactivate")

    assert response.status_code == 303
    assert member["status"] == "deactivated"


def test_hand_over_moves_records_and_says_how_many(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    member = admin.members[1]

    response = post_form(
        signed_in, f"/w/settings/members/{member['id']}/hand-over", {"to_member_id": admin.members[0]["id"]}
    )

    assert response.status_code == 303
    assert signed_in.get(response.headers["location"]).text.count("5 records were handed over.") == 1


def test_hand_over_without_a_receiver_shows_the_error_under_the_select(
    signed_in: TestClient[Any], admin: FakeAdmin
) -> None:
    response = post_form(signed_in, f"/w/settings/members/{admin.members[1]['id']}/hand-over", {"to_member_id": ""})

    assert response.status_code == 422
    assert 'id="field-to_member_id-error"' in response.text


def test_non_admin_sees_no_admin_entries_and_gets_the_no_access_page(
    signed_in: TestClient[Any], fake_api: FakeApi, admin: FakeAdmin
) -> None:
    fake_api.workspaces[0]["role"] = "sales_rep"

    settings = signed_in.get("/w/settings").text
    assert 'href="/w/settings/tokens"' in settings
    assert 'href="/w/settings/members"' not in settings

    response = signed_in.get("/w/settings/members")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.text
    assert not fake_api.calls("GET", "/api/v1/admin/members")


def test_api_403_for_an_admin_page_shows_the_no_access_page(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    admin.forbidden = True

    response = signed_in.get("/w/settings/invitations")

    assert response.status_code == 403
    assert "You do not have access to this page" in response.text
    assert 'class="sidebar"' in response.text  # inside the app shell


def test_settings_overview_keeps_the_create_workspace_form_reachable(signed_in: TestClient[Any]) -> None:
    html = signed_in.get("/w/settings").text

    assert 'href="/workspaces/new"' in html
    assert "Acme Trading" in html


def test_invitations_page_lists_status_badges_and_actions(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    html = signed_in.get("/w/settings/invitations").text

    assert "chen.jie@example.com" in html
    assert "Pending" in html
    invitation_id = admin.invitations[0]["id"]
    assert f'action="/w/settings/invitations/{invitation_id}/resend"' in html
    assert f'action="/w/settings/invitations/{invitation_id}/revoke"' in html


def test_invite_sends_email_and_role(signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi) -> None:
    response = post_form(signed_in, "/w/settings/invitations", {"email": "new@example.com", "role": "sales_rep"})

    assert response.status_code == 303
    sent = json.loads(fake_api.calls("POST", "/api/v1/admin/invitations")[0].content)
    assert sent == {"email": "new@example.com", "role": "sales_rep"}
    assert "The invitation is on its way." in signed_in.get(response.headers["location"]).text


def test_invite_with_a_bad_email_shows_the_error_under_the_field(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    response = post_form(signed_in, "/w/settings/invitations", {"email": "not-an-email", "role": "viewer"})

    assert response.status_code == 422
    assert re.search(r'id="field-email-error">.*Enter a valid email address', response.text, re.S)
    assert 'value="not-an-email"' in response.text


def test_revoke_and_resend_invitation(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    invitation_id = admin.invitations[0]["id"]

    assert post_form(signed_in, f"/w/settings/invitations/{invitation_id}/revoke").status_code == 303
    assert admin.invitations[0]["status"] == "revoked"
    assert post_form(signed_in, f"/w/settings/invitations/{invitation_id}/resend").status_code == 303


def test_invite_without_csrf_token_is_refused(signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi) -> None:
    response = signed_in.post(
        "/w/settings/invitations", data={"email": "x@example.com", "role": "viewer"}, follow_redirects=False
    )

    assert response.status_code == 403
    assert not fake_api.calls("POST", "/api/v1/admin/invitations")


def test_departments_are_shown_as_a_tree_and_can_be_added(
    signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi
) -> None:
    html = signed_in.get("/w/settings/departments").text
    assert html.index("销售部") < html.index("华东区")
    assert "tree-depth-1" in html

    response = post_form(
        signed_in, "/w/settings/departments", {"name": "华南区", "parent_id": admin.departments[1]["id"], "head_id": ""}
    )

    assert response.status_code == 303
    sent = json.loads(fake_api.calls("POST", "/api/v1/admin/departments")[0].content)
    assert sent == {"name": "华南区", "parent_id": admin.departments[1]["id"], "head_id": None}


def test_department_without_a_name_is_refused(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    response = post_form(signed_in, "/w/settings/departments", {"name": " "})

    assert response.status_code == 422
    assert 'id="field-name-error"' in response.text


def test_new_api_token_secret_is_shown_once(signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi) -> None:
    response = post_form(
        signed_in,
        "/w/settings/tokens",
        {"name": "ERP sync", "scopes": "customers:read", "expires_in_days": "30"},
    )

    assert response.status_code == 201
    assert "gxt_ab12-the-whole-secret-value" in response.text
    assert 'data-copy="#new-token"' in response.text
    sent = json.loads(fake_api.calls("POST", "/api/v1/tokens")[0].content)
    assert sent == {"name": "ERP sync", "scopes": ["customers:read"], "expires_in_days": 30}

    again = signed_in.get("/w/settings/tokens").text
    assert "ERP sync" in again and "gxt_ab12" in again
    assert "the-whole-secret-value" not in again


def test_api_token_needs_a_permission(signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi) -> None:
    response = post_form(signed_in, "/w/settings/tokens", {"name": "ERP sync", "scopes": "bogus:admin"})

    assert response.status_code == 422
    assert 'id="field-scopes-error"' in response.text
    assert not fake_api.calls("POST", "/api/v1/tokens")


def test_api_token_can_be_revoked(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    post_form(signed_in, "/w/settings/tokens", {"name": "ERP", "scopes": "*:read"})

    response = post_form(signed_in, f"/w/settings/tokens/{admin.tokens[0]['id']}/revoke")

    assert response.status_code == 303
    assert admin.tokens[0]["revoked"] is True


def test_audit_log_filters_and_pages_with_the_cursor(
    signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi
) -> None:
    html = signed_in.get("/w/settings/audit").text
    assert "member.updated" in html and "203.0.113.7" in html
    assert 'href="/w/settings/audit?action=&amp;cursor=c2"' in html

    older = signed_in.get("/w/settings/audit?cursor=c2").text
    assert "member.joined" in older

    signed_in.get("/w/settings/audit?action=member.joined")
    assert fake_api.calls("GET", "/api/v1/admin/audit")[-1].url.params["action"] == "member.joined"


def test_audit_csv_is_passed_through_as_a_download(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    response = signed_in.get("/w/settings/audit.csv")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.text.splitlines()[0] == "occurred_at,action"
    assert "member.joined" in response.text
