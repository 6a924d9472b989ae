"""Signing in and up with an identity provider through the browser pages."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from guanxi.config import get_settings
from guanxi_web.controllers.oauth import STATE_COOKIE
from guanxi_web.session import SESSION_COOKIE
from litestar.testing import TestClient

from tests.oidc_provider import PROVIDER_SETTINGS
from tests.web.conftest import (  # noqa: F401 (fixtures)
    TOKEN,
    FakeApi,
    fake_api_fixture,
    post_form,
    problem,
    web_fixture,
)

AUTHORIZATION_URL = "https://idp.example/authorize?client_id=guanxi&state=state-of-this-browser"
STATE = "state-of-this-browser"
START = "/api/v1/auth/oauth/oidc/start"
CALLBACK = "/api/v1/auth/oauth/oidc/callback"


@pytest.fixture(autouse=True)
def no_provider_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROVIDER_SETTINGS:
        monkeypatch.setattr(get_settings(), name, None)


@pytest.fixture(name="providers")
def providers_fixture(monkeypatch: pytest.MonkeyPatch, fake_api: FakeApi) -> FakeApi:
    """Acme's own OpenID Connect provider and GitHub configured; the API starts and finishes sign-ins."""
    settings = get_settings()
    for name, value in {
        "oidc_issuer": "https://idp.example",
        "oidc_client_id": "guanxi",
        "oidc_client_secret": "secret",
        "oidc_name": "Acme SSO",
        "oauth_github_client_id": "gh",
        "oauth_github_client_secret": "gh-secret",
    }.items():
        monkeypatch.setattr(settings, name, value)
    fake_api.override("POST", START, httpx.Response(200, json={"authorization_url": AUTHORIZATION_URL, "state": STATE}))
    fake_api.override("POST", CALLBACK, httpx.Response(200, json=fake_api._session()))
    return fake_api


def set_cookies(response: httpx.Response, name: str) -> list[str]:
    return [header for header in response.headers.get_list("set-cookie") if header.startswith(name + "=")]


def test_no_provider_buttons_when_none_is_configured(web: TestClient[Any]) -> None:
    for page in ("/login", "/signup"):
        html = web.get(page).text
        assert "/auth/" not in html
        assert "Continue with" not in html


def test_each_configured_provider_has_a_button_on_both_pages(web: TestClient[Any], providers: FakeApi) -> None:
    login = web.get("/login").text
    signup = web.get("/signup").text

    assert 'href="/auth/oidc?intent=login"' in login and "Continue with Acme SSO" in login
    assert 'href="/auth/github?intent=login"' in login and "Continue with GitHub" in login
    assert "Google" not in login and "Microsoft" not in login
    assert 'formaction="/auth/oidc"' in signup and 'formaction="/auth/github"' in signup
    assert 'name="intent" value="signup"' in signup


def test_provider_buttons_speak_the_page_language(web: TestClient[Any], providers: FakeApi) -> None:
    web.cookies.set("gx_locale", "zh-Hant", domain="testserver.local")

    assert "使用 GitHub 繼續" in web.get("/login").text


def test_starting_keeps_the_state_in_a_cookie_and_goes_to_the_provider(
    web: TestClient[Any], providers: FakeApi
) -> None:
    response = web.get("/auth/oidc?intent=login", follow_redirects=False)

    assert response.status_code == 302
    assert response.headers["location"] == AUTHORIZATION_URL
    (cookie,) = set_cookies(response, STATE_COOKIE)
    assert cookie.startswith(f"{STATE_COOKIE}={STATE};")
    assert "HttpOnly" in cookie and "Path=/auth" in cookie and "Max-Age=600" in cookie
    sent = json.loads(providers.calls("POST", START)[0].content)
    assert sent["intent"] == "login" and sent["company_name"] is None
    assert sent["redirect_uri"] == f"{get_settings().public_url}/auth/oidc/callback"


def test_signup_form_passes_company_and_language_and_moves_on_from_a_page(
    web: TestClient[Any], providers: FakeApi
) -> None:
    response = post_form(web, "/auth/oidc", {"intent": "signup", "company_name": " 台北晶華科技 ", "locale": "zh-Hant"})

    assert response.status_code == 200
    assert 'http-equiv="refresh"' in response.text
    assert f'href="{AUTHORIZATION_URL.replace("&", "&amp;")}"' in response.text
    assert set_cookies(response, STATE_COOKIE)
    sent = json.loads(providers.calls("POST", START)[0].content)
    assert sent == {**sent, "intent": "signup", "company_name": "台北晶華科技", "locale": "zh-Hant"}


def test_signup_without_a_company_name_stays_on_the_signup_page(web: TestClient[Any], providers: FakeApi) -> None:
    response = post_form(web, "/auth/github", {"intent": "signup", "company_name": "  "})

    assert response.status_code == 422
    assert "Enter your company name to create a workspace with GitHub." in response.text
    assert providers.calls("POST", "/api/v1/auth/oauth/github/start") == []
    assert not set_cookies(response, STATE_COOKIE)


def test_callback_in_the_browser_that_started_signs_in(web: TestClient[Any], providers: FakeApi) -> None:
    web.get("/auth/oidc?intent=login", follow_redirects=False)

    response = web.get(f"/auth/oidc/callback?state={STATE}&code=the-code", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/home"
    assert web.cookies[SESSION_COOKIE] == TOKEN
    assert STATE_COOKIE not in web.cookies
    assert json.loads(providers.calls("POST", CALLBACK)[0].content) == {"state": STATE, "code": "the-code"}


@pytest.mark.parametrize("cookie", [None, "state-of-another-browser"])
def test_callback_from_another_browser_is_refused(web: TestClient[Any], providers: FakeApi, cookie: str | None) -> None:
    """A provider answer this browser did not ask for: a planted link, or a code taken from elsewhere."""
    if cookie is not None:
        web.cookies.set(STATE_COOKIE, cookie, domain="testserver.local", path="/auth")

    response = web.get(f"/auth/oidc/callback?state={STATE}&code=the-code", follow_redirects=False)

    assert response.status_code == 400
    assert "That sign-in has expired or was started in another browser." in response.text
    assert providers.calls("POST", CALLBACK) == []
    assert SESSION_COOKIE not in web.cookies


def test_refusals_of_the_api_are_explained_on_the_sign_in_page(web: TestClient[Any], providers: FakeApi) -> None:
    providers.override("POST", CALLBACK, problem(409, "oauth-email-unverified"))
    web.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")
    web.get("/auth/oidc?intent=login", follow_redirects=False)

    response = web.get(f"/auth/oidc/callback?state={STATE}&code=the-code", follow_redirects=False)

    assert response.status_code == 409
    assert "使用此邮箱的账号已存在，但 Acme SSO 尚未确认该邮箱属于您。" in response.text
    assert 'action="/login"' in response.text
    assert SESSION_COOKIE not in web.cookies


def test_cancelling_at_the_provider_says_so(web: TestClient[Any], providers: FakeApi) -> None:
    web.get("/auth/github?intent=login", follow_redirects=False)

    response = web.get(f"/auth/github/callback?state={STATE}&error=access_denied", follow_redirects=False)

    assert response.status_code == 400
    assert "Sign-in with GitHub was cancelled." in response.text
    assert providers.calls("POST", "/api/v1/auth/oauth/github/callback") == []


def test_an_api_that_cannot_be_reached_is_a_friendly_page(web: TestClient[Any], providers: FakeApi) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    providers.overrides[("POST", START)] = down

    response = web.get("/auth/oidc?intent=login", follow_redirects=False)

    assert response.status_code == 503
    assert "Please try again in a moment." in response.text


def test_an_unconfigured_provider_is_not_found(web: TestClient[Any], providers: FakeApi) -> None:
    assert web.get("/auth/google?intent=login", follow_redirects=False).status_code == 404
    assert web.get("/auth/google/callback?state=x&code=y", follow_redirects=False).status_code == 404
