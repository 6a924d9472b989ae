"""Lockout after failed sign-ins in a row: growing back-off, ended by a success or a password reset, and the
same for an email that has no account."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest
from argon2 import PasswordHasher
from guanxi.config import Settings, get_settings
from guanxi.db.tenancy import platform_session
from guanxi.domain.identity.models import User
from guanxi.domain.identity.recovery import reset_token
from guanxi.domain.identity.service import lockout_key
from guanxi.redis import get_redis
from pydantic import ValidationError

from tests.api.test_auth import login
from tests.conftest import bearer, signed_up

WRONG = "not the password at all"


def lock_key(email: str) -> str:
    return f"ratelimit:{lockout_key(email.lower())}:lock"


async def lock_runs_out(email: str) -> None:
    """What waiting out the lock would do, without the wait."""
    assert await get_redis().ttl(lock_key(email)) > 0
    await get_redis().expire(lock_key(email), 0)


async def fail(client: Any, email: str, times: int) -> list[int]:
    return [(await login(client, email, WRONG)).status_code for _ in range(times)]


async def audit_actions(client: Any, session: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/admin/audit", headers=bearer(session))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


@pytest.fixture(name="two_failures_lock")
def two_failures_lock_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "login_lockout_failures", 2)


async def test_five_failed_sign_ins_lock_the_account_even_for_the_right_password(client: Any) -> None:
    account = await signed_up(client)
    email = account["user"]["email"]

    statuses = await fail(client, email, 5)
    locked = await login(client, email, account["password"])

    assert statuses == [401] * 5
    assert locked.status_code == 429
    assert locked.headers["content-type"].startswith("application/problem+json")
    assert locked.json()["type"].endswith("/sign-in-locked")
    assert 55 <= int(locked.headers["Retry-After"]) <= 60
    assert "Too many failed sign-ins with this email. Try again in" in locked.json()["detail"]
    assert "token" not in locked.json()


async def test_each_further_lockout_lasts_twice_as_long_up_to_the_maximum(
    client: Any, monkeypatch: pytest.MonkeyPatch, two_failures_lock: None
) -> None:
    monkeypatch.setattr(get_settings(), "login_lockout_max_seconds", 200)
    account = await signed_up(client)
    email = account["user"]["email"]

    lockouts = []
    for _ in range(4):
        assert await fail(client, email, 2) == [401, 401]
        refused = await login(client, email, account["password"])
        assert refused.status_code == 429
        lockouts.append((int(refused.headers["Retry-After"]), await get_redis().ttl(lock_key(email))))
        await lock_runs_out(email)

    for (retry_after, ttl), expected in zip(lockouts, [60, 120, 200, 200], strict=True):
        assert expected - 5 <= retry_after <= expected
        assert expected - 5 <= ttl <= expected


async def test_a_right_password_forgets_the_failures_and_the_back_off(client: Any, two_failures_lock: None) -> None:
    account = await signed_up(client)
    email = account["user"]["email"]

    assert await fail(client, email, 2) == [401, 401]
    await lock_runs_out(email)
    assert (await login(client, email, account["password"])).status_code == 200
    # one failure after the success is not "two in a row", and the next lockout is a first one again
    assert await fail(client, email, 1) == [401]
    assert (await login(client, email, account["password"])).status_code == 200
    assert await fail(client, email, 2) == [401, 401]
    again = await login(client, email, account["password"])

    assert again.status_code == 429
    assert 55 <= int(again.headers["Retry-After"]) <= 60


async def test_an_email_without_an_account_is_locked_the_same_way(client: Any, two_failures_lock: None) -> None:
    account = await signed_up(client)
    known, unknown = account["user"]["email"], f"nobody.{uuid.uuid4().hex[:8]}@example.com"

    answers = {}
    for email in (known, unknown):
        responses = [await login(client, email, WRONG) for _ in range(4)]
        # the seconds left may tick between the two runs; everything else must be the same
        answers[email] = [
            (r.status_code, r.json()["type"], re.sub(r"\d+", "N", r.json()["detail"]), "Retry-After" in r.headers)
            for r in responses
        ]
        assert all(55 <= int(r.headers["Retry-After"]) <= 60 for r in responses[2:])

    assert answers[known] == answers[unknown]
    assert [status for status, *_ in answers[unknown]] == [401, 401, 429, 429]
    assert await get_redis().ttl(lock_key(unknown)) > 0


async def test_a_locked_email_is_refused_without_hashing_the_password(client: Any, two_failures_lock: None) -> None:
    account = await signed_up(client)
    email = account["user"]["email"]
    # A deliberately slow hash for this account, so that checking a password shows in the time taken.
    slow = PasswordHasher(time_cost=60, memory_cost=19456, parallelism=1).hash(account["password"])
    async with platform_session() as session:
        user = await session.get(User, uuid.UUID(account["user"]["id"]))
        assert user is not None
        user.password_hash = slow
        await session.commit()

    started = time.perf_counter()
    assert await fail(client, email, 2) == [401, 401]
    checking = (time.perf_counter() - started) / 2
    started = time.perf_counter()
    refused = await login(client, email, account["password"])
    refusing = time.perf_counter() - started

    assert refused.status_code == 429
    assert refusing < checking / 4, (refusing, checking)


async def test_a_lockout_is_in_the_audit_log_once(client: Any) -> None:
    account = await signed_up(client)
    email = account["user"]["email"]

    await fail(client, email, 5)
    await fail(client, email, 3)  # refused while locked: no more entries

    entries = await audit_actions(client, account)
    actions = [entry["action"] for entry in entries]
    assert actions.count("auth.login_failed") == 5
    assert actions.count("auth.locked_out") == 1
    (locked_out,) = [entry for entry in entries if entry["action"] == "auth.locked_out"]
    assert locked_out["target_id"] == account["user"]["id"]
    assert locked_out["ip"] == "203.0.113.7"
    assert locked_out["detail"] == {"seconds": 60, "failures": 5}


async def test_a_completed_password_reset_ends_the_lockout(client: Any, two_failures_lock: None) -> None:
    account = await signed_up(client)
    email = account["user"]["email"]
    await fail(client, email, 2)
    assert (await login(client, email, account["password"])).status_code == 429
    async with platform_session() as session:
        user = await session.get(User, uuid.UUID(account["user"]["id"]))
        assert user is not None
        token = reset_token(user, int(time.time()) + 3600)
    new_password = "granite meadow falcon 93"

    done = await client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": new_password})
    assert done.status_code == 200, done.text
    after = await login(client, email, new_password)

    assert after.status_code == 200, after.text
    assert await get_redis().exists(lock_key(email)) == 0


async def test_parallel_guesses_get_no_more_tries_than_the_lockout_allows(client: Any) -> None:
    import asyncio

    account = await signed_up(client)
    guesses = [login(client, account["user"]["email"], f"parallel guess {i}") for i in range(25)]
    answers = await asyncio.gather(*guesses)

    statuses = [r.status_code for r in answers]
    assert statuses.count(401) == 5
    assert statuses.count(429) == 20
    # the lockout refuses some, the (client address, email) window the others, depending on arrival
    refusals = {r.json()["type"].rsplit("/", 1)[-1] for r in answers if r.status_code == 429}
    assert "sign-in-locked" in refusals and refusals <= {"sign-in-locked", "rate-limited"}


def test_lockout_settings_must_grow_from_the_first_to_the_maximum() -> None:
    with pytest.raises(ValidationError, match="GUANXI_LOGIN_LOCKOUT_SECONDS"):
        Settings(GUANXI_LOGIN_LOCKOUT_SECONDS=600, GUANXI_LOGIN_LOCKOUT_MAX_SECONDS=60)
    with pytest.raises(ValidationError):
        Settings(GUANXI_LOGIN_LOCKOUT_FAILURES=0)
    assert Settings().login_lockout_failures == 5
