"""The UI language: cookie, then the user's own setting, then the browser; switched with /locale."""

from __future__ import annotations

from typing import Any

import pytest
from guanxi_web.session import SESSION_COOKIE
from litestar.testing import TestClient

from tests.web.conftest import (  # noqa: F401 (fixtures)
    TOKEN,
    FakeApi,
    fake_api_fixture,
    post_form,
    signed_in_fixture,
    web_fixture,
)


@pytest.mark.parametrize(
    ("locale", "accounts", "sign_in"),
    [
        ("en", "Accounts", "Sign in"),
        ("zh-Hans", "客户", "登录"),
        ("zh-Hant", "客戶", "登入"),
    ],
)
def test_language_cookie_sets_html_lang_and_the_words_on_screen(
    signed_in: TestClient[Any], locale: str, accounts: str, sign_in: str
) -> None:
    signed_in.cookies.set("gx_locale", locale, domain="testserver.local")

    home = signed_in.get("/home").text
    signed_in.cookies.delete(SESSION_COOKIE)
    login = signed_in.get("/login").text

    assert f'<html lang="{locale}">' in home
    assert f'<span class="nav-label">{accounts}</span>' in home
    assert f'<html lang="{locale}">' in login
    assert f">{sign_in}</button>" in login


def test_simplified_and_traditional_differ_where_they_should(signed_in: TestClient[Any]) -> None:
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")
    simplified = signed_in.get("/w/campaigns").text
    signed_in.cookies.set("gx_locale", "zh-Hant", domain="testserver.local")
    traditional = signed_in.get("/w/campaigns").text

    assert "带来了哪些线索" in simplified and "帶來了哪些線索" not in simplified
    assert "帶來了哪些線索" in traditional and "带来了哪些线索" not in traditional
    assert "营销活动" in simplified and "行銷活動" in traditional


def test_browser_language_applies_when_nothing_else_says(web: TestClient[Any]) -> None:
    html = web.get("/login", headers={"Accept-Language": "zh-TW,zh;q=0.9,en;q=0.5"}).text

    assert '<html lang="zh-Hant">' in html


def test_signed_in_users_own_language_beats_the_browser(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.user["locale"] = "zh-Hans"

    html = signed_in.get("/home", headers={"Accept-Language": "en-US"}).text

    assert '<html lang="zh-Hans">' in html


def test_the_cookie_beats_the_users_own_language(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.user["locale"] = "zh-Hans"
    signed_in.cookies.set("gx_locale", "en", domain="testserver.local")

    assert '<html lang="en">' in signed_in.get("/home").text


def test_switching_language_sets_the_cookie_saves_the_profile_and_goes_back(
    signed_in: TestClient[Any], fake_api: FakeApi
) -> None:
    response = post_form(signed_in, "/locale", {"locale": "zh-Hant", "next": "/w/reports"})

    assert response.status_code == 303
    assert response.headers["location"] == "/w/reports"
    assert signed_in.cookies["gx_locale"] == "zh-Hant"
    assert fake_api.user["locale"] == "zh-Hant"
    assert len(fake_api.calls("PATCH", "/api/v1/me")) == 1


def test_switching_language_signed_out_only_sets_the_cookie(web: TestClient[Any], fake_api: FakeApi) -> None:
    response = post_form(web, "/locale", {"locale": "zh-Hans", "next": "/signup"})

    assert response.headers["location"] == "/signup"
    assert web.cookies["gx_locale"] == "zh-Hans"
    assert not fake_api.calls("PATCH", "/api/v1/me")
    assert "创建您的工作区" in web.get("/signup").text


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "",
        "evil.example",
    ],
)
def test_switching_language_never_redirects_off_site(web: TestClient[Any], target: str) -> None:
    response = post_form(web, "/locale", {"locale": "en", "next": target})

    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_switching_language_with_htmx_reloads_the_page_in_the_address_bar(signed_in: TestClient[Any]) -> None:
    response = post_form(
        signed_in,
        "/locale",
        {"locale": "zh-Hans", "next": "/home"},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver.local/w/deals?tab=board"},
    )

    assert response.status_code == 200
    assert response.headers["hx-redirect"] == "/w/deals?tab=board"


def test_an_unknown_language_is_refused(web: TestClient[Any]) -> None:
    response = post_form(web, "/locale", {"locale": "fr", "next": "/login"})

    assert response.status_code == 400
    assert "gx_locale" not in web.cookies


def test_numbers_follow_the_locale(signed_in: TestClient[Any]) -> None:
    signed_in.cookies.set("gx_locale", "zh-Hant", domain="testserver.local")

    html = signed_in.get("/home").text

    assert "已完成 0/3" in html
    assert "75%" in html
