"""Every malformed sign-up answers a clear 4xx problem naming the field, and leaves nothing behind."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_signup import fetchval
from tests.conftest import signed_up, signup_payload

CASES: list[tuple[str, dict[str, Any], int, str]] = [
    ("malformed email", {"email": "not-an-email"}, 422, "email"),
    ("email without domain dot", {"email": "a@b"}, 422, "email"),
    ("oversized email", {"email": "a" * 300 + "@example.com"}, 422, "email"),
    ("weak password", {"password": "password123"}, 422, "password"),
    ("short password", {"password": "abc"}, 422, "password"),
    ("10,000-character password", {"password": "x7$" * 3334}, 422, "password"),
    ("129-character password", {"password": "correct horse battery staple " * 4 + "x" * 13}, 422, "password"),
    ("empty company", {"company_name": ""}, 422, "company_name"),
    ("blank company", {"company_name": "   "}, 422, "company_name"),
    ("300-character company", {"company_name": "公" * 300}, 422, "company_name"),
    ("control characters", {"company_name": "Acme\x00Corp"}, 422, "company_name"),
    ("empty name", {"name": ""}, 422, "name"),
    ("unknown locale", {"locale": "fr"}, 422, "locale"),
    ("company as number", {"company_name": 42}, 422, "company_name"),
    ("email as list", {"email": ["a@example.com"]}, 422, "email"),
    ("password as null", {"password": None}, 422, "password"),
    ("unknown field", {"tenant_id": "00000000-0000-0000-0000-000000000000"}, 422, "tenant_id"),
]


@pytest.mark.parametrize(("case", "overrides", "status", "field"), CASES, ids=[c[0] for c in CASES])
async def test_bad_signup_is_a_problem_naming_the_field(
    client: Any, case: str, overrides: dict[str, Any], status: int, field: str
) -> None:
    payload = signup_payload(**overrides)
    response = await client.post("/api/v1/signup", json=payload)

    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"].startswith("https://")
    assert field in [e["field"] for e in problem["errors"]]
    assert "Traceback" not in response.text
    email = payload["email"] if isinstance(payload["email"], str) else ""
    assert await fetchval("SELECT count(*) FROM platform.users WHERE email = $1", email) == 0
    company = str(payload["company_name"]).replace("\x00", "")  # PostgreSQL text cannot hold NUL
    assert await fetchval("SELECT count(*) FROM platform.tenants WHERE name = $1", company) == 0


@pytest.mark.parametrize("missing", ["company_name", "name", "email", "password"])
async def test_missing_field_is_named(client: Any, missing: str) -> None:
    payload = signup_payload()
    del payload[missing]
    response = await client.post("/api/v1/signup", json=payload)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [missing]


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b"[1, 2", b"null"])
async def test_body_that_is_not_a_json_object_is_a_4xx_problem(client: Any, body: bytes) -> None:
    response = await client.post("/api/v1/signup", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == "body"


async def test_json_array_instead_of_object_names_the_body(client: Any) -> None:
    response = await client.post("/api/v1/signup", json=[signup_payload()])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"


async def test_oversized_body_is_refused_before_parsing(client: Any) -> None:
    response = await client.post("/api/v1/signup", json=signup_payload(company_name="x" * 2_000_000))
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_weak_password_mentioning_the_company_is_refused(client: Any) -> None:
    response = await client.post(
        "/api/v1/signup", json=signup_payload(company_name="Huaqiang Electronics", password="huaqiang2026")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "password"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/workspaces", {"name": ""}, "name"),
        ("/api/v1/workspaces", {"name": "x" * 201}, "name"),
        ("/api/v1/workspaces", {"name": "ok", "locale": "de"}, "locale"),
        ("/api/v1/workspaces/switch", {"workspace_id": "not-a-uuid"}, "workspace_id"),
        ("/api/v1/auth/verify-email", {"token": "forged.123.abc"}, "token"),
    ],
)
async def test_other_writes_name_the_bad_field(client: Any, path: str, body: dict[str, Any], field: str) -> None:
    session = await signed_up(client)
    response = await client.post(path, json=body, headers={"Authorization": f"Bearer {session['token']}"})
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_profile_update_refuses_unknown_locale_and_keeps_the_old_one(client: Any) -> None:
    session = await signed_up(client)
    headers = {"Authorization": f"Bearer {session['token']}"}
    response = await client.patch("/api/v1/me", json={"locale": "xx", "name": "新名字"}, headers=headers)
    assert response.status_code == 422
    me = (await client.get("/api/v1/me", headers=headers)).json()
    assert me["user"]["locale"] == "en"
    assert me["user"]["name"] == "Li Na"


@pytest.mark.parametrize("length", [72, 73, 100, 128])
async def test_long_passphrases_up_to_the_limit_are_accepted(client: Any, length: int) -> None:
    words = "violet harbour lantern quietly orbit "
    password = (words * 4)[:length]
    response = await client.post("/api/v1/signup", json=signup_payload(password=password))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
async def test_writes_accept_only_json(client: Any, content_type: str) -> None:
    import json

    payload = signup_payload()
    response = await client.post(
        "/api/v1/signup", content=json.dumps(payload).encode(), headers={"Content-Type": content_type}
    )
    assert response.status_code == 415
    assert response.json()["type"].endswith("/unsupported-media-type")
    assert await fetchval("SELECT count(*) FROM platform.users WHERE email = $1", payload["email"]) == 0
