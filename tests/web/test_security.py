"""CSRF on every form, health probes, security headers, and htmx served from its package."""

from __future__ import annotations

import re
from typing import Any

import httpx
from guanxi_web.app import CSRF_COOKIE
from litestar.testing import TestClient

from tests.web.conftest import (  # noqa: F401 (fixtures)
    PASSWORD,
    FakeApi,
    fake_api_fixture,
    signed_in_fixture,
    web_fixture,
)


def test_a_form_post_without_the_csrf_token_is_refused(web: TestClient[Any], fake_api: FakeApi) -> None:
    web.get("/login")

    response = web.post("/login", data={"email": "zhang.wei@example.com", "password": PASSWORD}, follow_redirects=False)

    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert not fake_api.calls("POST", "/api/v1/auth/login")


def test_the_expired_form_page_speaks_the_users_language(web: TestClient[Any]) -> None:
    web.cookies.set("gx_locale", "zh-Hant", domain="testserver.local")
    web.get("/login")

    response = web.post("/login", data={"email": "a@example.com", "password": PASSWORD}, follow_redirects=False)

    assert response.status_code == 403
    assert '<html lang="zh-Hant">' in response.text
    assert "表單已過期" in response.text


def test_a_forged_csrf_token_is_refused(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    signed_in.get("/home")

    response = signed_in.post("/logout", data={"_csrf_token": "0" * 128}, follow_redirects=False)

    assert response.status_code == 403
    assert not fake_api.calls("POST", "/api/v1/auth/logout")


def test_htmx_sends_the_token_as_a_header(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    html = signed_in.get("/home").text
    token = signed_in.cookies[CSRF_COOKIE]
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in html

    response = signed_in.post(
        "/workspaces/switch",
        data={"workspace_id": fake_api.workspaces[1]["id"]},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )

    assert response.headers["hx-redirect"] == "/home"


def test_every_form_carries_the_csrf_field(signed_in: TestClient[Any]) -> None:
    html = signed_in.get("/home").text

    posted = [form for form in re.findall(r"<form\b[^>]*>", html) if 'method="get"' not in form]
    assert len(posted) == html.count('name="_csrf_token"') > 0
    assert 'action="/search"' in html  # the search box is a GET form: nothing to protect


def test_health_answers_without_csrf_or_api(web: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.healthy = False

    response = web.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {}}
    assert CSRF_COOKIE not in response.headers.get("set-cookie", "")


def test_ready_follows_the_api(web: TestClient[Any], fake_api: FakeApi) -> None:
    assert web.get("/ready").status_code == 200

    fake_api.healthy = False
    response = web.get("/ready")

    assert response.status_code == 503
    assert response.json()["checks"] == {"api": False}


def test_pages_when_the_api_is_down_say_so(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.overrides[("GET", "/api/v1/me")] = _refuse_connection

    response = signed_in.get("/home")

    assert response.status_code == 503
    assert "Temporarily unavailable" in response.text


def _refuse_connection(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def test_pages_carry_security_headers(web: TestClient[Any]) -> None:
    for path in ("/login", "/no-such-page", "/static/css/app.css"):
        headers = web.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff", path


def test_an_unknown_path_gets_a_not_found_page_in_the_users_language(web: TestClient[Any]) -> None:
    response = web.get("/no-such-page", headers={"Accept-Language": "zh-CN,zh;q=0.9"})

    assert response.status_code == 404
    assert '<html lang="zh-Hans">' in response.text
    assert "页面不存在" in response.text


def test_htmx_and_assets_are_served_and_referenced_with_a_version(web: TestClient[Any]) -> None:
    html = web.get("/login").text

    assert "/vendor/htmx/htmx.min.js?v=" in html
    assert "/static/css/app.css?v=" in html
    response = web.get("/vendor/htmx/htmx.min.js")
    assert response.status_code == 200
    assert "htmx" in response.text[:2000]
    assert web.get("/static/js/app.js").status_code == 200
