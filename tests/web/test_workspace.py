"""The signed-in workspace: home with real pipeline data, sections to come, switching and creating."""

from __future__ import annotations

import re
from typing import Any

from guanxi_web.navigation import SECTIONS
from guanxi_web.session import SESSION_COOKIE
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
from tests.web.fake_customers import FakeCustomers


def test_home_shows_the_workspace_and_its_pipeline_stages(signed_in: TestClient[Any]) -> None:
    response = signed_in.get("/home")

    assert response.status_code == 200
    html = response.text
    assert "上海华强电子有限公司" in html
    assert "Hello, 张伟" in html
    stages = re.findall(r'<span class="stage-name">([^<]+)</span>', html)
    assert stages == ["初步接洽", "需求确认", "方案报价", "谈判审核", "赢单", "输单"]
    assert "75%" in html and "100%" in html
    assert "We sent a confirmation link to zhang.wei@example.com" in html


def test_home_lists_every_workspace_in_the_switcher(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    html = signed_in.get("/home").text

    for workspace in fake_api.workspaces:
        assert f'name="workspace_id" value="{workspace["id"]}"' in html


def test_sidebar_lists_the_sections_in_product_order(signed_in: TestClient[Any]) -> None:
    html = signed_in.get("/home").text

    labels = re.findall(r'<span class="nav-label">([^<]+)</span>', html)
    assert labels == [
        "Home",
        "My day",
        "Accounts",
        "Contacts",
        "Customer pool",
        "Calendar",
        "Leads",
        "Deals",
        "Quotes",
        "Contracts",
        "Orders",
        "Products",
        "Targets",
        "Customer grading",
        "Churn early warning",
        "Work reports",
        "Announcements",
        "Approvals",
        "Service cases",
        "Campaigns",
        "Reports",
        "Settings",
    ]


def test_home_without_a_session_goes_to_sign_in(web: TestClient[Any]) -> None:
    response = web.get("/home", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fhome"


def test_a_session_the_api_rejects_is_cleared_and_the_user_signs_in_again(
    signed_in: TestClient[Any], fake_api: FakeApi
) -> None:
    fake_api.tokens.clear()

    response = signed_in.get("/w/approvals", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fw%2Fapprovals"
    assert SESSION_COOKIE not in signed_in.cookies


def test_an_htmx_request_with_a_rejected_session_is_sent_to_sign_in(
    signed_in: TestClient[Any], fake_api: FakeApi
) -> None:
    fake_api.tokens.clear()

    response = signed_in.get("/w/approvals", headers={"HX-Request": "true", "HX-Target": "main"})

    assert response.headers["hx-redirect"].startswith("/login")


def test_sections_not_built_yet_say_so_inside_the_layout(signed_in: TestClient[Any]) -> None:
    for section in SECTIONS:
        if section.built:
            continue
        response = signed_in.get(section.href)
        assert response.status_code == 200
        assert '<nav class="nav" id="sidebar-nav">' in response.text
        assert "This section is on its way" in response.text
        assert 'aria-current="page"' in response.text


def test_unknown_section_is_not_found(signed_in: TestClient[Any]) -> None:
    response = signed_in.get("/w/nonsense")

    assert response.status_code == 404
    assert "Page not found" in response.text


def test_htmx_navigation_gets_only_the_main_area_and_the_updated_sidebar(signed_in: TestClient[Any]) -> None:
    response = signed_in.get("/w/approvals", headers={"HX-Request": "true", "HX-Target": "main"})

    html = response.text
    assert "<html" not in html
    assert "<title>Approvals · 关系 Guanxi CRM</title>" in html
    assert 'id="sidebar-nav" hx-swap-oob="true"' in html
    assert re.search(r'href="/w/approvals"[^>]*aria-current="page"', html)


def test_switching_workspace_asks_the_api_and_reloads_home(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    other = fake_api.workspaces[1]["id"]

    response = post_form(signed_in, "/workspaces/switch", {"workspace_id": other})

    assert response.status_code == 303
    assert response.headers["location"] == "/home"
    assert fake_api.current == 1
    assert "Acme Trading" in signed_in.get("/home").text


def test_switching_workspace_with_htmx_asks_for_a_full_reload(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    response = post_form(
        signed_in, "/workspaces/switch", {"workspace_id": fake_api.workspaces[1]["id"]}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response.headers["hx-redirect"] == "/home"


def test_switching_to_a_workspace_not_yours_is_refused(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    response = post_form(signed_in, "/workspaces/switch", {"workspace_id": "0190f0e2-0000-7000-8000-00000000dead"})

    assert response.status_code == 422
    assert not fake_api.calls("POST", "/api/v1/workspaces/switch")


def test_creating_a_workspace_switches_to_it(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    assert "Workspace name" in signed_in.get("/workspaces/new").text

    response = post_form(signed_in, "/workspaces", {"name": "深圳分公司", "locale": "zh-Hans"})

    assert response.status_code == 303
    assert response.headers["location"] == "/home"
    assert fake_api.workspaces[-1]["name"] == "深圳分公司"
    assert "深圳分公司" in signed_in.get("/home").text


def test_creating_a_workspace_shows_the_api_field_errors(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override(
        "POST",
        "/api/v1/workspaces",
        problem(
            422,
            "validation-error",
            errors=[{"field": "name", "message": "must be at most 200 characters", "code": "too_long"}],
        ),
    )

    response = post_form(signed_in, "/workspaces", {"name": "x" * 201, "locale": "en"})

    assert response.status_code == 422
    assert "Use at most 200 characters." in response.text


def test_home_still_renders_when_the_pipeline_cannot_be_loaded(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/pipeline", problem(404, "not-found"))

    response = signed_in.get("/home")

    assert response.status_code == 200
    assert "The pipeline cannot be shown right now." in response.text


def test_home_offers_the_first_account_until_there_is_one(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    customers = FakeCustomers(FakeAdmin(fake_api))

    before = signed_in.get("/home").text
    assert "Add your first account" in before and 'href="/accounts/new"' in before
    assert "1 of 3 done" in before  # the owner has a colleague in the fake workspace

    customers.add_account(name="深圳华强电子有限公司")
    after = signed_in.get("/home").text
    assert 'href="/accounts/new"' not in after.split('class="checklist"')[1]
    assert "2 of 3 done" in after


def test_home_still_renders_when_the_api_cannot_tell_the_first_steps(
    signed_in: TestClient[Any], fake_api: FakeApi
) -> None:
    fake_api.override("GET", "/api/v1/accounts", problem(403, "forbidden"))
    fake_api.override("GET", "/api/v1/admin/members", problem(403, "forbidden"))

    response = signed_in.get("/home")

    assert response.status_code == 200
    assert "0 of 3 done" in response.text and 'href="/w/settings/invitations"' in response.text
