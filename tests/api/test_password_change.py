"""Changing the password while signed in: the current one is checked, the new one meets the sign-up rules,
every other session ends (this one and API tokens stay), and every workspace's audit log has it. Someone
who signed up through an identity provider sets a first password without a current one."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.api.test_auth import login
from tests.api.test_oauth import (  # noqa: F401 (fixtures)
    assert_problem,
    idp_fixture,
    no_provider_configured,
    oidc_server_fixture,
    sign_in_with_provider,
)
from tests.api.test_recovery import current_reset_token
from tests.api.test_tokens import as_token, new_token
from tests.conftest import bearer, signed_up, unique_email
from tests.oidc_provider import OidcProvider, TestUser

NEW = "amber lighthouse tundra 58"
PATH = "/api/v1/me/password"


async def change(client: Any, account: dict[str, Any], **body: Any) -> Any:
    return await client.post(PATH, json=body, headers=bearer(account))


async def audit_actions(client: Any, account: dict[str, Any], action: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/admin/audit", params={"action": action}, headers=bearer(account))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def fields_of(response: Any) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return [error["field"] for error in response.json()["errors"]]


async def test_changing_the_password_keeps_this_session_and_ends_every_other_one(client: Any) -> None:
    account = await signed_up(client)
    email = account["user"]["email"]
    elsewhere = (await login(client, email, account["password"])).json()
    phone = (await login(client, email, account["password"])).json()
    token = await new_token(client, account, ["*:read"])

    response = await change(client, account, current_password=account["password"], new_password=NEW)

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert (await client.get("/api/v1/me", headers=bearer(account))).status_code == 200
    for ended in (elsewhere, phone):
        gone = await client.get("/api/v1/me", headers=bearer(ended))
        assert gone.status_code == 401 and gone.json()["type"].endswith("/not-authenticated")
    assert (await client.get("/api/v1/pipeline", headers=as_token(token))).status_code == 200  # tokens stay
    assert (await login(client, email, account["password"])).status_code == 401
    assert (await login(client, email, NEW)).status_code == 200
    (entry,) = await audit_actions(client, account, "auth.password_changed")
    assert entry["actor_id"] == account["user"]["id"] and entry["ip"] == "203.0.113.7"
    assert entry["detail"] == {"first_password": False, "sessions_ended": 2}


async def test_a_reset_link_mailed_before_the_change_stops_working(client: Any) -> None:
    account = await signed_up(client)
    token = await current_reset_token(account["user"]["id"])

    assert (await change(client, account, current_password=account["password"], new_password=NEW)).status_code == 204

    reset = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "another fresh phrase 55"}
    )
    assert reset.status_code == 422 and fields_of(reset) == ["token"]
    assert (await login(client, account["user"]["email"], NEW)).status_code == 200


async def test_the_change_lands_in_the_audit_log_of_every_workspace(client: Any) -> None:
    account = await signed_up(client)
    first_workspace = account["workspace"]["id"]
    opened = await client.post("/api/v1/workspaces", json={"name": "第二工作区 Ltd"}, headers=bearer(account))
    assert opened.status_code == 201

    assert (await change(client, account, current_password=account["password"], new_password=NEW)).status_code == 204

    assert len(await audit_actions(client, account, "auth.password_changed")) == 1  # the second workspace
    back = await client.post(
        "/api/v1/workspaces/switch", json={"workspace_id": first_workspace}, headers=bearer(account)
    )
    assert back.status_code == 200
    assert len(await audit_actions(client, account, "auth.password_changed")) == 1


async def test_a_wrong_current_password_is_refused_on_its_field_and_audited(client: Any) -> None:
    account = await signed_up(client)
    other = (await login(client, account["user"]["email"], account["password"])).json()

    response = await change(client, account, current_password="not my password at all", new_password=NEW)

    assert response.status_code == 422
    assert fields_of(response) == ["current_password"]
    assert response.json()["errors"][0]["code"] == "wrong_password"
    assert (await client.get("/api/v1/me", headers=bearer(other))).status_code == 200  # nothing ended
    assert (await login(client, account["user"]["email"], account["password"])).status_code == 200
    assert len(await audit_actions(client, account, "auth.password_change_failed")) == 1
    assert await audit_actions(client, account, "auth.password_changed") == []


async def test_a_wrong_current_password_and_a_weak_new_one_are_both_named(client: Any) -> None:
    account = await signed_up(client)

    response = await change(client, account, current_password="wrong wrong wrong", new_password="12345")

    assert response.status_code == 422
    assert fields_of(response) == ["current_password", "new_password"]


async def test_the_current_password_is_required_once_there_is_one(client: Any) -> None:
    account = await signed_up(client)

    for body in (
        {"new_password": NEW},
        {"new_password": NEW, "current_password": None},
        {"new_password": NEW, "current_password": ""},
    ):
        response = await client.post(PATH, json=body, headers=bearer(account))
        assert response.status_code == 422, body
        assert fields_of(response) == ["current_password"]
        assert response.json()["errors"][0]["code"] == "required"
    assert (await login(client, account["user"]["email"], account["password"])).status_code == 200


WEAK: list[tuple[str, str, str]] = [
    ("empty", "", "too_short"),
    ("short", "abc", "too_short"),
    ("common", "password123", "weak_password"),
    ("the person's own name", "huaqianglee", "weak_password"),
    ("129 characters", "correct horse battery staple " * 4 + "x" * 13, "too_long"),
    ("10,000 characters", "x7$" * 3334, "too_long"),
]


@pytest.mark.parametrize(("case", "new_password", "code"), WEAK, ids=[case[0] for case in WEAK])
async def test_the_new_password_meets_the_sign_up_rules(client: Any, case: str, new_password: str, code: str) -> None:
    account = await signed_up(client, name="Huaqiang Lee")
    other = (await login(client, account["user"]["email"], account["password"])).json()

    response = await change(client, account, current_password=account["password"], new_password=new_password)

    assert response.status_code == 422, response.text
    assert fields_of(response) == ["new_password"]
    assert response.json()["errors"][0]["code"] == code
    assert (await client.get("/api/v1/me", headers=bearer(other))).status_code == 200
    assert (await login(client, account["user"]["email"], account["password"])).status_code == 200


async def test_the_new_password_must_differ_from_the_current_one(client: Any) -> None:
    account = await signed_up(client)

    response = await change(client, account, current_password=account["password"], new_password=account["password"])

    assert response.status_code == 422
    assert fields_of(response) == ["new_password"]
    assert response.json()["errors"][0]["code"] == "same_password"


async def test_a_unicode_passphrase_is_accepted_and_signs_in(client: Any) -> None:
    account = await signed_up(client)
    passphrase = "长城上的月亮照着 Kowloon 渡轮 ☕ 2026"

    assert (
        await change(client, account, current_password=account["password"], new_password=passphrase)
    ).status_code == 204

    assert (await login(client, account["user"]["email"], passphrase)).status_code == 200


BAD_BODIES: list[tuple[str, Any, str]] = [
    ("new password missing", {"current_password": "x"}, "new_password"),
    ("new password as number", {"current_password": "x", "new_password": 1234567890123}, "new_password"),
    ("new password as null", {"current_password": "x", "new_password": None}, "new_password"),
    ("new password as list", {"new_password": [NEW]}, "new_password"),
    ("current password as number", {"current_password": 42, "new_password": NEW}, "current_password"),
    ("unknown field", {"new_password": NEW, "user_id": "00000000-0000-0000-0000-000000000000"}, "user_id"),
    ("array instead of object", [NEW], "body"),
]


@pytest.mark.parametrize(("case", "body", "field"), BAD_BODIES, ids=[case[0] for case in BAD_BODIES])
async def test_malformed_bodies_are_a_problem_naming_the_field(client: Any, case: str, body: Any, field: str) -> None:
    account = await signed_up(client)

    response = await client.post(PATH, json=body, headers=bearer(account))

    assert response.status_code == 422, response.text
    assert field in fields_of(response)
    assert (await login(client, account["user"]["email"], account["password"])).status_code == 200


@pytest.mark.parametrize("content", [b"{not json", b"", b"\xff\xfe", b"null"])
async def test_a_body_that_is_not_a_json_object_is_refused(client: Any, content: bytes) -> None:
    account = await signed_up(client)

    response = await client.post(PATH, content=content, headers={**bearer(account), "Content-Type": "application/json"})

    assert response.status_code in (400, 422), response.text
    assert response.json()["errors"][0]["field"] == "body"


async def test_an_oversized_body_is_refused_before_parsing(client: Any) -> None:
    account = await signed_up(client)

    response = await change(client, account, current_password=account["password"], new_password="x" * 2_000_000)

    assert response.status_code == 413
    assert (await login(client, account["user"]["email"], account["password"])).status_code == 200


async def test_attempts_are_limited_per_person_even_with_the_right_password(client: Any) -> None:
    account = await signed_up(client)
    other_person = await signed_up(client)

    statuses = [
        (await change(client, account, current_password=f"guess number {n}", new_password=NEW)).status_code
        for n in range(10)
    ]
    limited = await change(client, account, current_password=account["password"], new_password=NEW)

    assert statuses == [422] * 10
    assert limited.status_code == 429 and limited.json()["type"].endswith("/rate-limited")
    assert int(limited.headers["Retry-After"]) > 0
    assert (await login(client, account["user"]["email"], account["password"])).status_code == 200
    other = await change(client, other_person, current_password=other_person["password"], new_password=NEW)
    assert other.status_code == 204  # the limit is per person


async def test_parallel_guesses_cannot_pass_the_limit(client: Any) -> None:
    account = await signed_up(client)

    responses = await asyncio.gather(
        *(change(client, account, current_password=f"parallel guess {n}", new_password=NEW) for n in range(14))
    )

    assert sorted(response.status_code for response in responses) == [422] * 10 + [429] * 4


async def test_only_a_signed_in_person_may_change_it(client: Any) -> None:
    account = await signed_up(client)
    token = await new_token(client, account, ["*:write"])
    body = {"current_password": account["password"], "new_password": NEW}

    anonymous = await client.post(PATH, json=body)
    by_token = await client.post(PATH, json=body, headers=as_token(token))
    cookie = {"Cookie": f"gx_session={account['token']}"}
    by_cookie_without_csrf = await client.post(PATH, json=body, headers=cookie)

    assert anonymous.status_code == 401
    assert by_token.status_code == 403 and by_token.json()["type"].endswith("/forbidden")
    assert by_cookie_without_csrf.status_code == 403 and by_cookie_without_csrf.json()["type"].endswith("/csrf-failed")
    assert (await login(client, account["user"]["email"], account["password"])).status_code == 200
    with_csrf = await client.post(PATH, json=body, headers={**cookie, "X-CSRF-Token": account["csrf_token"]})
    assert with_csrf.status_code == 204


async def test_me_tells_whether_there_is_a_password(client: Any) -> None:
    account = await signed_up(client)

    me = await client.get("/api/v1/me", headers=bearer(account))

    assert me.json()["user"]["has_password"] is True
    assert account["user"]["has_password"] is True


async def provider_only_account(client: Any, idp: OidcProvider) -> dict[str, Any]:
    """A person who signed up through the provider and has no password."""
    idp.user = TestUser(email=unique_email("sso"), email_verified=True, name="王芳")
    response = await sign_in_with_provider(client, intent="signup", company_name="云端贸易有限公司")
    assert response.status_code == 200, response.text
    assert response.json()["user"]["has_password"] is False
    return dict(response.json())


# --- a first password for a provider sign-up ----------------------------------------------------------


async def test_a_provider_sign_up_sets_a_first_password_without_a_current_one(client: Any, idp: OidcProvider) -> None:
    person = await provider_only_account(client, idp)
    elsewhere = await sign_in_with_provider(client)
    assert elsewhere.status_code == 200
    me = await client.get("/api/v1/me", headers=bearer(person))
    assert me.json()["user"]["has_password"] is False

    response = await client.post("/api/v1/me/password", json={"new_password": NEW}, headers=bearer(person))

    assert response.status_code == 204, response.text
    assert (await client.get("/api/v1/me", headers=bearer(person))).json()["user"]["has_password"] is True
    assert (await client.get("/api/v1/me", headers=bearer(elsewhere.json()))).status_code == 401
    assert (await login(client, person["user"]["email"], NEW)).status_code == 200
    (entry,) = await audit_actions(client, person, "auth.password_changed")
    assert entry["detail"]["first_password"] is True
    # From now on the password is needed to change it.
    again = await client.post(
        "/api/v1/me/password", json={"new_password": "second fresh passphrase 77"}, headers=bearer(person)
    )
    assert_problem(again, 422, "validation-error")
    assert [error["field"] for error in again.json()["errors"]] == ["current_password"]


async def test_a_person_without_a_password_cannot_claim_a_current_one(client: Any, idp: OidcProvider) -> None:
    person = await provider_only_account(client, idp)

    response = await client.post(
        "/api/v1/me/password", json={"current_password": "anything at all", "new_password": NEW}, headers=bearer(person)
    )

    assert_problem(response, 422, "validation-error")
    assert [error["field"] for error in response.json()["errors"]] == ["current_password"]
    assert (await client.get("/api/v1/me", headers=bearer(person))).json()["user"]["has_password"] is False
