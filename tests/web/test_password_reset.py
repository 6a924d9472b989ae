"""Forgotten passwords: ask for a link (the answer never tells whether the address exists), set a new one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.web.conftest import FakeApi, fake_api_fixture, post_form, web_fixture  # noqa: F401 (fixtures)
from tests.web.fake_admin import RESET_TOKEN, FakeAdmin


@pytest.fixture(name="admin")
def admin_fixture(fake_api: FakeApi) -> FakeAdmin:
    return FakeAdmin(fake_api)


def test_login_page_links_to_password_reset(web: TestClient[Any]) -> None:
    assert 'href="/password-reset"' in web.get("/login").text


def test_request_always_answers_the_same(web: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi) -> None:
    assert 'action="/password-reset"' in web.get("/password-reset").text

    response = post_form(web, "/password-reset", {"email": "nobody@example.com"})

    assert response.status_code == 200
    assert "If nobody@example.com has an account, we sent it a link" in response.text
    assert json.loads(fake_api.calls("POST", "/api/v1/auth/password-reset")[0].content) == {
        "email": "nobody@example.com"
    }


def test_request_without_an_email_shows_the_error_under_the_field(web: TestClient[Any], admin: FakeAdmin) -> None:
    response = post_form(web, "/password-reset", {"email": ""})

    assert response.status_code == 422
    assert 'id="field-email-error"' in response.text


def test_new_password_from_the_link_leads_to_sign_in_with_a_message(web: TestClient[Any], admin: FakeAdmin) -> None:
    page = web.get(f"/password-reset?token={RESET_TOKEN}").text
    assert f'name="token" value="{RESET_TOKEN}"' in page

    response = post_form(web, "/password-reset/confirm", {"token": RESET_TOKEN, "password": "a brand new phrase"})

    assert response.status_code == 303
    assert response.headers["location"] == "/login?reset=done"
    assert "Your password is changed" in web.get("/login?reset=done").text


def test_weak_new_password_is_shown_under_its_field(web: TestClient[Any], admin: FakeAdmin) -> None:
    response = post_form(web, "/password-reset/confirm", {"token": RESET_TOKEN, "password": "short"})

    assert response.status_code == 422
    assert 'id="field-password-error"' in response.text


def test_used_or_expired_link_says_so(web: TestClient[Any], admin: FakeAdmin) -> None:
    response = post_form(web, "/password-reset/confirm", {"token": "spent", "password": "a brand new phrase"})

    assert response.status_code == 400
    assert "This link no longer works" in response.text


def test_confirm_without_csrf_token_is_refused(web: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi) -> None:
    response = web.post(
        "/password-reset/confirm", data={"token": RESET_TOKEN, "password": "a brand new phrase"}, follow_redirects=False
    )

    assert response.status_code == 403
    assert not fake_api.calls("POST", "/api/v1/auth/password-reset/confirm")
