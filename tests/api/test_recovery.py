"""Password reset and email verification links: mailed, single use, expiring, no account enumeration."""

from __future__ import annotations

import time
import uuid
from typing import Any

from guanxi import signing
from guanxi.db.tenancy import platform_session
from guanxi.domain.identity.models import User
from guanxi.domain.identity.recovery import RESET_PURPOSE, reset_token
from guanxi.domain.identity.service import email_verification_token
from sqlalchemy import text

from tests.conftest import bearer, signed_up

NEW_PASSWORD = "granite meadow falcon 93"


async def current_reset_token(user_id: str) -> str:
    async with platform_session() as session:
        user = await session.get(User, uuid.UUID(user_id))
        assert user is not None
        return reset_token(user, int(time.time()) + 3600)


async def test_reset_request_answers_the_same_for_known_and_unknown_addresses(client: Any) -> None:
    account = await signed_up(client)
    known = await client.post("/api/v1/auth/password-reset", json={"email": account["user"]["email"]})
    unknown = await client.post("/api/v1/auth/password-reset", json={"email": "nobody.at.all@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    async with platform_session() as session:
        jobs = await session.scalar(
            text(
                "SELECT count(*) FROM platform.outbox WHERE actor = 'email.send_password_reset' "
                "AND payload->>'user_id' = :u"
            ),
            {"u": account["user"]["id"]},
        )
    assert jobs == 1


async def test_reset_sets_the_password_ends_sessions_and_works_once(client: Any) -> None:
    account = await signed_up(client)
    token = await current_reset_token(account["user"]["id"])
    done = await client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert done.status_code == 200, done.text
    assert (await client.get("/api/v1/me", headers=bearer(account))).status_code == 401  # old session ended
    old = await client.post(
        "/api/v1/auth/login", json={"email": account["user"]["email"], "password": account["password"]}
    )
    assert old.status_code == 401
    new = await client.post("/api/v1/auth/login", json={"email": account["user"]["email"], "password": NEW_PASSWORD})
    assert new.status_code == 200
    again = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "another fresh phrase 55"}
    )
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "token"
    log = (await client.get("/api/v1/admin/audit?action=auth.password_reset", headers=bearer(new.json()))).json()
    assert len(log["items"]) == 1


async def test_reset_links_that_are_forged_expired_or_weak_are_refused(client: Any) -> None:
    account = await signed_up(client)
    token = await current_reset_token(account["user"]["id"])
    expired = signing.sign_until(RESET_PURPOSE, token.rsplit(".", 2)[0], int(time.time()) - 5)
    for bad in [token[:-3] + "xyz", expired, "é", "", "a.b.c", f"{uuid.uuid4()}~abc.99999999999999999999.zz"]:
        response = await client.post(
            "/api/v1/auth/password-reset/confirm", json={"token": bad, "password": NEW_PASSWORD}
        )
        assert response.status_code == 422, (bad, response.text)
    weak = await client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "12345"})
    assert weak.status_code == 422 and weak.json()["errors"][0]["field"] == "password"
    still = await client.post(
        "/api/v1/auth/login", json={"email": account["user"]["email"], "password": account["password"]}
    )
    assert still.status_code == 200  # nothing changed


async def test_verification_link_works_once(client: Any) -> None:
    account = await signed_up(client)
    token = email_verification_token(uuid.UUID(account["user"]["id"]))
    first = await client.post("/api/v1/auth/verify-email", json={"token": token})
    assert first.status_code == 200 and first.json()["email_verified"] is True
    second = await client.post("/api/v1/auth/verify-email", json={"token": token})
    assert second.status_code == 422
