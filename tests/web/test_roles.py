"""Settings: roles with their permission grid, and the workspace's general settings, over the fake API."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from guanxi_tenants import access
from guanxi_web import permissions
from litestar.testing import TestClient

from tests.web.conftest import (  # noqa: F401 (fixtures)
    FakeApi,
    fake_api_fixture,
    post_form,
    problem,
    signed_in_fixture,
    web_fixture,
)
from tests.web.fake_admin import FakeAdmin


@pytest.fixture(name="admin")
def admin_fixture(fake_api: FakeApi) -> FakeAdmin:
    return FakeAdmin(fake_api)


def selected(html: str, name: str) -> str | None:
    """The chosen option of one grid cell's select."""
    found = re.search(rf'<select[^>]*name="{re.escape(name)}".*?</select>', html, re.S)
    assert found, name
    option = re.search(r'<option value="([^"]+)" selected>', found.group(0))
    return option.group(1) if option else None


def grid(overrides: dict[str, str]) -> dict[str, str]:
    """A submitted grid: every cell "none" except ``overrides``."""
    cells = {permissions.cell(m, a): "none" for m in permissions.MODULES for a in permissions.ACTIONS}
    return {**cells, **overrides}


def test_the_grid_knows_every_module_action_and_scope_of_the_permission_table() -> None:
    assert permissions.MODULES == access.MODULES
    assert permissions.ACTIONS == access.ACTIONS
    assert permissions.SCOPES == access.SCOPES


def test_roles_page_lists_built_in_roles_translated_and_custom_roles_as_named(
    signed_in: TestClient[Any], admin: FakeAdmin
) -> None:
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")

    response = signed_in.get("/w/settings/roles")

    assert response.status_code == 200
    html = response.text
    assert "所有者" in html and "销售经理" in html and "区域主管" in html
    assert 'href="/w/settings/roles/regional_lead"' in html
    assert 'aria-current="page">角色<' in html
    # The create form's grid starts at "none" everywhere.
    assert selected(html, "permissions.customers.read") == "none"
    assert "客户公海" in html and "本部门及下属部门" in html


def test_role_grid_shows_each_cells_scope(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    html = signed_in.get("/w/settings/roles/manager").text

    assert selected(html, "permissions.customers.read") == "department_tree"
    assert selected(html, "permissions.customers.create") == "own"
    assert selected(html, "permissions.customers.delete") == "subordinates"
    assert selected(html, "permissions.customers.export") == "none"  # absent means none
    assert selected(html, "permissions.settings.update") == "none"
    assert 'action="/w/settings/roles/manager"' in html
    assert "/delete" not in html  # built-in roles cannot be deleted


def test_role_grid_in_traditional_chinese(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    signed_in.cookies.set("gx_locale", "zh-Hant", domain="testserver.local")

    html = signed_in.get("/w/settings/roles/manager").text

    assert "銷售經理" in html and "客戶" in html and "商機" in html and "本部門及下屬部門" in html


def test_saving_a_role_sends_only_the_scopes_that_are_not_none(
    signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi
) -> None:
    response = post_form(
        signed_in,
        "/w/settings/roles/manager",
        grid({"permissions.customers.read": "all", "permissions.deals.update": "subordinates"}),
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/w/settings/roles/manager?done=role-saved"
    sent = json.loads(fake_api.calls("PUT", "/api/v1/admin/roles/manager/permissions")[0].content)
    assert sent == {"permissions": {"customers": {"read": "all"}, "deals": {"update": "subordinates"}}}
    assert "The role&#39;s permissions are saved." in signed_in.get(response.headers["location"]).text


def test_an_unknown_scope_is_refused_before_the_api(
    signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi
) -> None:
    response = post_form(signed_in, "/w/settings/roles/manager", grid({"permissions.leads.read": "everything"}))

    assert response.status_code == 422
    assert 'id="field-permissions.leads.read-error"' in response.text
    assert not fake_api.calls("PUT", "/api/v1/admin/roles/manager/permissions")


def test_the_apis_field_error_is_shown_in_its_cell(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    response = post_form(signed_in, "/w/settings/roles/manager", grid({"permissions.audit.read": "shared"}))

    assert response.status_code == 422
    assert re.search(r'id="field-permissions.audit.read-error"><span>Scope is not allowed here', response.text)
    assert 'href="#field-permissions.audit.read">Audit log: View</a>' in response.text
    assert selected(response.text, "permissions.audit.read") == "shared"  # what was chosen is kept


def test_the_owner_role_is_read_only(signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi) -> None:
    html = signed_in.get("/w/settings/roles/owner").text
    assert "<select" not in html
    assert 'action="/w/settings/roles/owner"' not in html
    assert "cannot be changed" in html

    response = post_form(signed_in, "/w/settings/roles/owner", grid({}))
    assert response.status_code == 403
    assert "The owner&#39;s permissions cannot be changed" in response.text
    assert not fake_api.calls("PUT", "/api/v1/admin/roles/owner/permissions")


def test_an_api_403_on_save_is_explained_on_the_role_page(
    signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi
) -> None:
    fake_api.overrides[("PUT", "/api/v1/admin/roles/manager/permissions")] = lambda _request: problem(
        403, "forbidden", "The owner role cannot be changed."
    )

    response = post_form(signed_in, "/w/settings/roles/manager", grid({}))

    assert response.status_code == 403
    assert "This role&#39;s permissions cannot be changed." in response.text
    assert 'class="sidebar"' in response.text  # inside the app shell, on the role's own page
    assert 'action="/w/settings/roles/manager"' in response.text


def test_create_a_role_with_its_grid(signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi) -> None:
    response = post_form(
        signed_in, "/w/settings/roles", {"name": " 渠道经理 ", **grid({"permissions.leads.read": "own"})}
    )

    assert response.status_code == 303
    sent = json.loads(fake_api.calls("POST", "/api/v1/admin/roles")[0].content)
    assert sent == {"name": "渠道经理", "permissions": {"leads": {"read": "own"}}}
    page = signed_in.get(response.headers["location"])
    assert "渠道经理" in page.text and "The role is created." in page.text


def test_create_a_role_without_a_name_is_refused(
    signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi
) -> None:
    response = post_form(signed_in, "/w/settings/roles", {"name": "", **grid({"permissions.leads.read": "own"})})

    assert response.status_code == 422
    assert 'id="field-name-error"' in response.text
    assert selected(response.text, "permissions.leads.read") == "own"
    assert not fake_api.calls("POST", "/api/v1/admin/roles")


def test_delete_a_custom_role(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    page = signed_in.get("/w/settings/roles/regional_lead").text
    assert '<details class="confirm">' in page

    response = post_form(signed_in, "/w/settings/roles/regional_lead/delete")

    assert response.status_code == 303
    assert response.headers["location"] == "/w/settings/roles?done=role-deleted"
    assert all(role["key"] != "regional_lead" for role in admin.roles)


def test_deleting_a_role_in_use_explains_the_conflict(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    admin.role_holders["regional_lead"] = 2

    response = post_form(signed_in, "/w/settings/roles/regional_lead/delete")

    assert response.status_code == 409
    assert "Some members still have this role" in response.text


def test_deleting_a_built_in_role_is_refused_on_the_role_page(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    response = post_form(signed_in, "/w/settings/roles/manager/delete")

    assert response.status_code == 403
    assert "Built-in roles cannot be deleted." in response.text
    assert any(role["key"] == "manager" for role in admin.roles)


def test_non_admin_gets_the_no_access_page_for_roles_and_general(
    signed_in: TestClient[Any], fake_api: FakeApi, admin: FakeAdmin
) -> None:
    fake_api.workspaces[0]["role"] = "sales_rep"

    assert 'href="/w/settings/roles"' not in signed_in.get("/w/settings").text
    for url in ("/w/settings/roles", "/w/settings/roles/manager", "/w/settings/general"):
        response = signed_in.get(url)
        assert response.status_code == 403
        assert "You do not have access to this page" in response.text
    assert post_form(signed_in, "/w/settings/roles", grid({})).status_code == 403
    assert post_form(signed_in, "/w/settings/general", {"audit_retention_days": "90"}).status_code == 403
    assert not fake_api.calls("GET", "/api/v1/admin/roles")
    assert not fake_api.calls("POST", "/api/v1/admin/roles")
    assert not fake_api.calls("PATCH", "/api/v1/admin/settings")


def test_role_and_settings_posts_without_csrf_are_refused(
    signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi
) -> None:
    for url, data in [
        ("/w/settings/roles/manager", grid({})),
        ("/w/settings/roles", {"name": "x", **grid({})}),
        ("/w/settings/roles/regional_lead/delete", {}),
        ("/w/settings/general", {"audit_retention_days": "90"}),
    ]:
        assert signed_in.post(url, data=data, follow_redirects=False).status_code == 403
    assert not fake_api.calls("PUT", "/api/v1/admin/roles/manager/permissions")
    assert not fake_api.calls("DELETE", "/api/v1/admin/roles/regional_lead")
    assert not fake_api.calls("PATCH", "/api/v1/admin/settings")


def test_general_page_shows_the_workspace_and_its_settings(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")

    html = signed_in.get("/w/settings/general").text

    assert "上海华强电子有限公司" in html and "CNY" in html and "Asia/Shanghai" in html
    assert 'name="audit_retention_days" type="number" value="365"' in html
    assert 'name="require_two_factor" value="on">' in html  # not ticked
    assert "要求所有人使用双重验证登录" in html


def test_saving_general_settings_sends_days_and_the_checkbox(
    signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi
) -> None:
    admin.two_factor_on = True

    response = post_form(signed_in, "/w/settings/general", {"audit_retention_days": "90", "require_two_factor": "on"})

    assert response.status_code == 303
    sent = json.loads(fake_api.calls("PATCH", "/api/v1/admin/settings")[0].content)
    assert sent == {"audit_retention_days": 90, "require_two_factor": True}
    page = signed_in.get(response.headers["location"]).text
    assert "The workspace settings are saved." in page
    assert 'name="require_two_factor" value="on" checked' in page

    post_form(signed_in, "/w/settings/general", {"audit_retention_days": "90"})
    assert json.loads(fake_api.calls("PATCH", "/api/v1/admin/settings")[1].content)["require_two_factor"] is False


@pytest.mark.parametrize("days", ["abc", "10"])
def test_retention_days_out_of_range_are_refused_before_the_api(
    signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi, days: str
) -> None:
    response = post_form(signed_in, "/w/settings/general", {"audit_retention_days": days})

    assert response.status_code == 422
    assert re.search(r'id="field-audit_retention_days-error">.*from 30 to 3650', response.text, re.S)
    assert not fake_api.calls("PATCH", "/api/v1/admin/settings")


def test_the_apis_retention_error_is_shown_under_the_field(
    signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi
) -> None:
    fake_api.overrides[("PATCH", "/api/v1/admin/settings")] = lambda _request: problem(
        422,
        "validation-error",
        errors=[{"field": "audit_retention_days", "message": "must be between 30 and 3650", "code": "range"}],
    )

    response = post_form(signed_in, "/w/settings/general", {"audit_retention_days": "90"})

    assert response.status_code == 422
    assert 'id="field-audit_retention_days-error"' in response.text


def test_requiring_two_factor_before_turning_it_on_yourself_is_explained(
    signed_in: TestClient[Any], admin: FakeAdmin
) -> None:
    response = post_form(signed_in, "/w/settings/general", {"audit_retention_days": "365", "require_two_factor": "on"})

    assert response.status_code == 409
    assert re.search(
        r'id="field-require_two_factor-error">.*Turn on two-factor sign-in for yourself first\.'
        r'.*href="/w/settings/two-factor"',
        response.text,
        re.S,
    )
    assert admin.settings["require_two_factor"] is False
