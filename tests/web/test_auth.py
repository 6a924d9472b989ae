"""Sign-up, sign-in, sign-out and email confirmation through the browser forms."""

from __future__ import annotations

from typing import Any

import pytest
from guanxi_web.session import SESSION_COOKIE
from litestar.testing import TestClient

from tests.web.conftest import (  # noqa: F401 (fixtures)
    PASSWORD,
    TOKEN,
    FakeApi,
    fake_api_fixture,
    post_form,
    problem,
    signed_in_fixture,
    web_fixture,
)

SIGNUP = {
    "company_name": "上海华强电子有限公司",
    "name": "张伟",
    "email": "zhang.wei@example.com",
    "password": PASSWORD,
    "locale": "zh-Hans",
}


def test_signup_opens_a_session_and_lands_on_home(web: TestClient[Any], fake_api: FakeApi) -> None:
    response = post_form(web, "/signup", SIGNUP)

    assert response.status_code == 303
    assert response.headers["location"] == "/home"
    assert web.cookies[SESSION_COOKIE] == TOKEN
    session_cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in session_cookie
    assert "SameSite=lax" in session_cookie or "SameSite=Lax" in session_cookie
    sent = fake_api.calls("POST", "/api/v1/signup")[0]
    assert b'"locale":"zh-Hans"' in sent.content


def test_signup_remembers_the_language_chosen_on_the_form(web: TestClient[Any]) -> None:
    post_form(web, "/signup", SIGNUP)

    assert web.cookies["gx_locale"] == "zh-Hans"
    assert '<html lang="zh-Hans">' in web.get("/home").text


def test_signup_field_errors_appear_under_their_fields_and_the_password_is_not_echoed(
    web: TestClient[Any], fake_api: FakeApi
) -> None:
    fake_api.override(
        "POST",
        "/api/v1/signup",
        problem(
            422,
            "validation-error",
            errors=[
                {"field": "company_name", "message": "must not be empty", "code": "required"},
                {
                    "field": "password",
                    "message": "is too easy to guess: This is a top-10 common password",
                    "code": "weak_password",
                },
            ],
        ),
    )
    typed = {**SIGNUP, "company_name": " ", "password": "password123-secret-typed"}

    response = post_form(web, "/signup", typed)

    assert response.status_code == 422
    html = response.text
    assert "password123-secret-typed" not in html
    company = html[html.index('id="field-company_name"') : html.index('id="field-name"')]
    assert "This field is required." in company
    password = html[html.index('id="field-password"') : html.index('id="field-locale"')]
    assert "too easy to guess" in password
    assert 'value="zhang.wei@example.com"' in html
    assert 'value="张伟"' in html
    assert "Please correct the 2 highlighted fields." in html
    assert SESSION_COOKIE not in web.cookies


def test_signup_with_a_taken_email_says_so_under_the_email_field(web: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override(
        "POST",
        "/api/v1/signup",
        problem(
            409,
            "email-taken",
            errors=[{"field": "email", "message": "An account with this email already exists.", "code": "email-taken"}],
        ),
    )

    response = post_form(web, "/signup", SIGNUP)

    assert response.status_code == 409
    html = response.text
    email = html[html.index('id="field-email"') : html.index('id="field-password"')]
    assert "already exists" in email


def test_signup_field_errors_are_translated(web: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override(
        "POST",
        "/api/v1/signup",
        problem(
            422,
            "validation-error",
            errors=[{"field": "password", "message": "must be at least 10 characters", "code": "too_short"}],
        ),
    )
    web.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")

    html = post_form(web, "/signup", {**SIGNUP, "password": "short"}).text

    assert "至少需要 10 个字符。" in html


def test_login_opens_a_session_and_lands_on_home(web: TestClient[Any]) -> None:
    response = post_form(web, "/login", {"email": "zhang.wei@example.com", "password": PASSWORD})

    assert response.status_code == 303
    assert response.headers["location"] == "/home"
    assert web.cookies[SESSION_COOKIE] == TOKEN


def test_login_goes_back_to_the_page_that_asked_for_it(web: TestClient[Any]) -> None:
    response = post_form(web, "/login", {"email": "zhang.wei@example.com", "password": PASSWORD, "next": "/w/deals"})

    assert response.headers["location"] == "/w/deals"


def test_login_never_redirects_off_site(web: TestClient[Any]) -> None:
    response = post_form(
        web, "/login", {"email": "zhang.wei@example.com", "password": PASSWORD, "next": "//evil.example/phish"}
    )

    assert response.headers["location"] == "/home"


def test_wrong_password_keeps_the_email_and_explains(web: TestClient[Any]) -> None:
    response = post_form(web, "/login", {"email": "zhang.wei@example.com", "password": "not-the-password-1"})

    assert response.status_code == 401
    assert "The email or password is incorrect." in response.text
    assert 'value="zhang.wei@example.com"' in response.text
    assert "not-the-password-1" not in response.text
    assert SESSION_COOKIE not in web.cookies


def test_too_many_attempts_says_how_long_to_wait(web: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override(
        "POST",
        "/api/v1/auth/login",
        problem(429, "rate-limited", "Too many failed sign-ins. Try again later.", headers={"Retry-After": "900"}),
    )

    response = post_form(web, "/login", {"email": "zhang.wei@example.com", "password": PASSWORD})

    assert response.status_code == 429
    assert "Too many attempts. Please wait 15 minutes and try again." in response.text


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ("en", "Too many failed sign-ins with this email. Please wait 2 minutes, or reset your password"),
        ("zh-Hans", "此邮箱登录失败次数过多。请等待2分钟"),
        ("zh-Hant", "此電子郵件登入失敗次數過多。請等待 2 分鐘"),
    ],
)
def test_a_locked_email_says_how_long_and_offers_the_password_reset(
    web: TestClient[Any], fake_api: FakeApi, locale: str, message: str
) -> None:
    web.cookies.set("gx_locale", locale, domain="testserver.local")
    fake_api.override(
        "POST",
        "/api/v1/auth/login",
        problem(429, "sign-in-locked", "Too many failed sign-ins with this email.", headers={"Retry-After": "120"}),
    )

    response = post_form(web, "/login", {"email": "zhang.wei@example.com", "password": PASSWORD})

    assert response.status_code == 429
    assert message in response.text
    assert 'href="/password-reset"' in response.text


def test_empty_login_is_refused_without_asking_the_api(web: TestClient[Any], fake_api: FakeApi) -> None:
    response = post_form(web, "/login", {"email": "", "password": ""})

    assert response.status_code == 422
    assert response.text.count("This field is required.") == 4  # under each field and in the summary
    assert not fake_api.calls("POST", "/api/v1/auth/login")


def test_api_calls_carry_the_browser_ip_request_id_and_session(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    response = signed_in.get("/home", headers={"X-Request-ID": "req-0123456789"})

    assert response.headers["x-request-id"] == "req-0123456789"
    me = fake_api.calls("GET", "/api/v1/me")[0]
    assert me.headers["authorization"] == f"Bearer {TOKEN}"
    assert me.headers["x-request-id"] == "req-0123456789"
    assert me.headers["x-forwarded-for"] == "testclient"


def test_logout_ends_the_session_at_the_api_and_in_the_browser(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    response = post_form(signed_in, "/logout")

    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert len(fake_api.calls("POST", "/api/v1/auth/logout")) == 1
    assert SESSION_COOKIE not in signed_in.cookies


@pytest.mark.parametrize(("cookie", "target"), [(True, "/home"), (False, "/login")])
def test_root_sends_visitors_where_they_belong(web: TestClient[Any], cookie: bool, target: str) -> None:
    if cookie:
        web.cookies.set(SESSION_COOKIE, TOKEN, domain="testserver.local")

    response = web.get("/", follow_redirects=False)

    assert response.headers["location"] == target


def test_verify_link_confirms_the_email(web: TestClient[Any]) -> None:
    response = web.get("/verify", params={"token": "good-token"})

    assert response.status_code == 200
    assert "Your email is confirmed" in response.text


@pytest.mark.parametrize("token", ["forged", ""])
def test_bad_verify_link_says_invalid_or_expired(web: TestClient[Any], token: str) -> None:
    response = web.get("/verify", params={"token": token})

    assert response.status_code == 400
    assert "This link is invalid or has expired" in response.text
