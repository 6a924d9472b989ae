from __future__ import annotations

from typing import Any

import pytest
from guanxi.config import get_settings

from tests.conftest import bearer, signed_up


async def login(client: Any, email: str, password: str) -> Any:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def test_login_with_right_password_opens_a_session_in_the_first_workspace(client: Any) -> None:
    account = await signed_up(client)
    response = await login(client, account["user"]["email"].upper(), account["password"])

    assert response.status_code == 200
    body = response.json()
    assert body["workspace"]["id"] == account["workspace"]["id"]
    me = await client.get("/api/v1/me", headers=bearer(body))
    assert me.json()["user"]["id"] == account["user"]["id"]


async def test_wrong_password_and_unknown_email_fail_the_same_way(client: Any) -> None:
    account = await signed_up(client)
    wrong = await login(client, account["user"]["email"], "not the password at all")
    unknown = await login(client, "nobody.here@example.com", "not the password at all")

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.json()["type"] == unknown.json()["type"]


async def test_repeated_failed_logins_are_rate_limited_even_with_the_right_password(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "login_lockout_failures", 50)  # the window, not the lockout, stops them
    account = await signed_up(client)
    statuses = [(await login(client, account["user"]["email"], f"wrong guess {i}")).status_code for i in range(10)]
    blocked = await login(client, account["user"]["email"], account["password"])

    assert statuses == [401] * 10
    assert blocked.status_code == 429
    assert blocked.json()["type"].endswith("/rate-limited")
    assert int(blocked.headers["Retry-After"]) > 0


async def test_one_client_address_guessing_many_emails_is_rate_limited(client: Any) -> None:
    statuses = [(await login(client, f"ghost{i}@example.com", "whatever password")).status_code for i in range(51)]
    assert statuses[:50] == [401] * 50
    assert statuses[-1] == 429


async def test_logout_ends_the_session(client: Any) -> None:
    account = await signed_up(client)
    assert (await client.post("/api/v1/auth/logout", headers=bearer(account))).status_code == 204
    after = await client.get("/api/v1/me", headers=bearer(account))
    assert after.status_code == 401
    assert after.headers["content-type"].startswith("application/problem+json")


async def test_me_without_credentials_is_401(client: Any) -> None:
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["type"].endswith("/not-authenticated")


async def test_cookie_session_writes_need_the_csrf_header(client: Any) -> None:
    account = await signed_up(client)
    client.cookies.clear()
    client.cookies.set("gx_session", account["token"])
    try:
        refused = await client.patch("/api/v1/me", json={"name": "Cookie"})
        allowed = await client.patch(
            "/api/v1/me", json={"name": "Cookie"}, headers={"X-CSRF-Token": account["csrf_token"]}
        )
        read = await client.get("/api/v1/me")
    finally:
        client.cookies.clear()

    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/csrf-failed")
    assert allowed.status_code == 200
    assert read.status_code == 200


async def test_email_verification_link_marks_the_address_verified(client: Any) -> None:
    from guanxi.domain.identity.service import email_verification_token

    account = await signed_up(client)
    import uuid

    token = email_verification_token(uuid.UUID(account["user"]["id"]))
    response = await client.post("/api/v1/auth/verify-email", json={"token": token})
    assert response.status_code == 200
    assert response.json()["email_verified"] is True
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert (await client.post("/api/v1/auth/verify-email", json={"token": tampered})).status_code == 422


async def test_every_response_carries_a_request_id(client: Any) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "trace-abc-12345"})
    assert response.headers["X-Request-ID"] == "trace-abc-12345"
    generated = await client.get("/health", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["X-Request-ID"] != "bad id with spaces"


async def test_bad_login_input_is_a_clear_problem(client: Any) -> None:
    account = await signed_up(client)
    huge = await login(client, account["user"]["email"], "x" * 10_000)
    assert huge.status_code == 401
    wrong_type = await client.post("/api/v1/auth/login", json={"email": 5, "password": []})
    assert wrong_type.status_code == 422
    assert {e["field"] for e in wrong_type.json()["errors"]} <= {"email", "password"}
    missing = await client.post("/api/v1/auth/login", json={"email": account["user"]["email"]})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "password"
    sql = await login(client, "' OR 1=1; --", "' OR '1'='1")
    assert sql.status_code == 401


async def test_odd_login_and_verify_input_is_refused_cleanly(client: Any) -> None:
    nul = await login(client, "evil\x00@example.com", "whatever password")
    assert nul.status_code == 401
    token = await client.post("/api/v1/auth/verify-email", json={"token": "é.1.abc"})
    assert token.status_code == 422
