"""The one API client the whole web app shares must carry nothing from one browser's request to the next."""

from __future__ import annotations

from typing import Any

import httpx
from litestar.testing import TestClient

from tests.web.conftest import FakeApi, fake_api_fixture, post_form, web_fixture  # noqa: F401 (fixtures)


def test_api_session_cookies_are_never_kept_by_the_shared_client(web: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.overrides[("POST", "/api/v1/auth/login")] = lambda _request: httpx.Response(
        401,
        json={"type": "about:blank", "status": 401, "errors": []},
        headers={"set-cookie": "gx_session=someone-elses-session; Path=/; HttpOnly"},
    )
    post_form(web, "/login", {"email": "a@example.com", "password": "whatever it is"})

    post_form(web, "/login", {"email": "b@example.com", "password": "whatever it is"})

    assert "cookie" not in fake_api.calls("POST", "/api/v1/auth/login")[-1].headers
