"""The invitation link: preview, create the account, sign in first, accept when signed in, bad links."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from guanxi_web.session import SESSION_COOKIE
from litestar.testing import TestClient

from tests.web.conftest import (  # noqa: F401 (fixtures)
    FakeApi,
    fake_api_fixture,
    post_form,
    signed_in_fixture,
    web_fixture,
)
from tests.web.fake_admin import INVITE_TOKEN, FakeAdmin


@pytest.fixture(name="admin")
def admin_fixture(fake_api: FakeApi) -> FakeAdmin:
    return FakeAdmin(fake_api)


def test_link_shows_workspace_inviter_and_role_with_an_account_form(web: TestClient[Any], admin: FakeAdmin) -> None:
    response = web.get(f"/invitations/accept?token={INVITE_TOKEN}")

    assert response.status_code == 200
    html = response.text
    assert "上海华强电子有限公司" in html and "张伟" in html and "Sales representative" in html
    assert 'id="field-name"' in html and 'id="field-password"' in html


def test_link_in_traditional_chinese(web: TestClient[Any], admin: FakeAdmin) -> None:
    web.cookies.set("gx_locale", "zh-Hant", domain="testserver.local")

    html = web.get(f"/invitations/accept?token={INVITE_TOKEN}").text

    assert "銷售代表" in html


def test_creating_the_account_lands_in_the_workspace(web: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi) -> None:
    web.get(f"/invitations/accept?token={INVITE_TOKEN}")

    response = post_form(
        web, "/invitations/accept", {"token": INVITE_TOKEN, "name": "Li Lei", "password": "a long enough phrase"}
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/home"
    assert SESSION_COOKIE in response.headers["set-cookie"]
    sent = json.loads(fake_api.calls("POST", "/api/v1/invitations/accept")[0].content)
    assert sent == {"token": INVITE_TOKEN, "name": "Li Lei", "password": "a long enough phrase"}


def test_short_password_is_shown_under_its_field(web: TestClient[Any], admin: FakeAdmin) -> None:
    response = post_form(web, "/invitations/accept", {"token": INVITE_TOKEN, "name": "Li Lei", "password": "short"})

    assert response.status_code == 422
    assert 'id="field-password-error"' in response.text
    assert 'value="Li Lei"' in response.text


def test_existing_account_is_asked_to_sign_in_and_come_back(web: TestClient[Any], admin: FakeAdmin) -> None:
    admin.preview["account_exists"] = True

    html = web.get(f"/invitations/accept?token={INVITE_TOKEN}").text

    assert "Sign in to accept" in html
    assert 'id="field-password"' not in html
    assert "/login?next=%2Finvitations%2Faccept%3Ftoken%3Dinv-good-token" in html

    response = post_form(web, "/invitations/accept", {"token": INVITE_TOKEN})
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert target.path == "/login"
    assert parse_qs(target.query)["next"] == [f"/invitations/accept?token={INVITE_TOKEN}"]


def test_signed_in_invitee_accepts_with_one_button(
    signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi
) -> None:
    admin.preview["email"] = fake_api.user["email"]
    admin.preview["account_exists"] = True
    html = signed_in.get(f"/invitations/accept?token={INVITE_TOKEN}").text
    assert "Accept and join" in html

    response = post_form(signed_in, "/invitations/accept", {"token": INVITE_TOKEN})

    assert response.status_code == 303
    assert response.headers["location"] == "/home"
    assert json.loads(fake_api.calls("POST", "/api/v1/invitations/accept")[0].content) == {"token": INVITE_TOKEN}


def test_signed_in_as_someone_else_is_told_to_switch_account(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    admin.preview["account_exists"] = True

    response = post_form(signed_in, "/invitations/accept", {"token": INVITE_TOKEN})

    assert response.status_code == 403
    assert "signed in with a different email" in response.text
    assert 'action="/logout"' in response.text


@pytest.mark.parametrize("token", ["", "expired-or-unknown"])
def test_invalid_link_shows_a_clear_page(web: TestClient[Any], admin: FakeAdmin, token: str) -> None:
    response = web.get(f"/invitations/accept?token={token}")

    assert response.status_code == 404
    assert "This invitation is no longer valid" in response.text


def test_accept_without_csrf_token_is_refused(web: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi) -> None:
    response = web.post(
        "/invitations/accept",
        data={"token": INVITE_TOKEN, "name": "x", "password": "a long enough phrase"},
        follow_redirects=False,
    )

    assert response.status_code == 403
    assert not fake_api.calls("POST", "/api/v1/invitations/accept")
