from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from tests.conftest import bearer, plain_dsn, signed_up, signup_payload, unique_email


async def fetchval(query: str, *args: Any) -> Any:
    connection = await asyncpg.connect(plain_dsn())
    try:
        return await connection.fetchval(query, *args)
    finally:
        await connection.close()


async def leftovers_for(email: str, company: str) -> dict[str, int]:
    """Rows or schemas that a failed sign-up might have left behind."""
    return {
        "users": await fetchval("SELECT count(*) FROM platform.users WHERE lower(email) = lower($1)", email),
        "tenants": await fetchval("SELECT count(*) FROM platform.tenants WHERE name = $1", company),
        "schemas": await fetchval(
            "SELECT count(*) FROM information_schema.schemata s WHERE s.schema_name LIKE 'tenant_%' "
            "AND s.schema_name NOT IN (SELECT schema_name FROM platform.tenants)"
        ),
    }


async def test_signup_creates_workspace_owner_and_schema_with_defaults(client: Any) -> None:
    payload = signup_payload(company_name="上海华强电子有限公司", name="张伟", locale="zh-Hans")
    response = await client.post("/api/v1/signup", json=payload)

    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == payload["email"]
    assert body["workspace"] == {
        **body["workspace"],
        "name": "上海华强电子有限公司",
        "role": "owner",
        "locale": "zh-Hans",
    }
    assert body["token"].startswith("gxs_")
    assert "gx_session" in response.cookies
    schema = await fetchval("SELECT schema_name FROM platform.tenants WHERE id = $1::uuid", body["workspace"]["id"])
    assert await fetchval(f'SELECT count(*) FROM "{schema}".pipeline_stages') == 6
    assert await fetchval(f'SELECT count(*) FROM "{schema}".grading_criteria') == 3
    assert await fetchval(f'SELECT version_num FROM "{schema}".alembic_version') is not None

    pipeline = await client.get("/api/v1/pipeline", headers=bearer(body))
    assert [s["name"] for s in pipeline.json()["stages"]][:2] == ["初步接洽", "需求确认"]


async def test_password_is_stored_as_argon2id_hash(client: Any) -> None:
    session = await signed_up(client)
    stored = await fetchval("SELECT password_hash FROM platform.users WHERE id = $1::uuid", session["user"]["id"])
    assert stored.startswith("$argon2id$")
    assert session["password"] not in stored


async def test_signup_enqueues_welcome_email_in_the_outbox(client: Any) -> None:
    session = await signed_up(client)
    actor = await fetchval(
        "SELECT actor FROM platform.outbox WHERE tenant_id = $1::uuid AND payload->>'user_id' = $2",
        session["workspace"]["id"],
        session["user"]["id"],
    )
    assert actor == "email.send_welcome"


async def test_signup_with_used_email_is_409_naming_email_and_leaves_nothing(client: Any) -> None:
    first = await signed_up(client)
    payload = signup_payload(email=first["user"]["email"].upper(), company_name="Second Co 二号")
    response = await client.post("/api/v1/signup", json=payload)

    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == "email"
    assert await leftovers_for(payload["email"], "Second Co 二号") == {"users": 1, "tenants": 0, "schemas": 0}


async def test_concurrent_signups_with_one_email_create_one_account(client: Any) -> None:
    email = unique_email("race")
    payloads = [signup_payload(email=email, company_name=f"Race {i}") for i in range(3)]
    responses = await asyncio.gather(*(client.post("/api/v1/signup", json=p) for p in payloads))

    assert sorted(r.status_code for r in responses) == [201, 409, 409]
    assert await fetchval("SELECT count(*) FROM platform.users WHERE email = $1", email) == 1
    assert await fetchval("SELECT count(*) FROM platform.tenants WHERE name LIKE 'Race %'") == 1
    assert (await leftovers_for(email, "-"))["schemas"] == 0


async def test_a_failure_late_in_signup_rolls_everything_back(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from guanxi.domain.identity import service

    async def broken_enqueue(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(service, "enqueue", broken_enqueue)
    payload = signup_payload(company_name="Rolled Back Ltd")
    response = await client.post("/api/v1/signup", json=payload)

    assert response.status_code == 500
    assert response.json()["type"].endswith("/internal-error")
    assert "Traceback" not in response.text and "outbox unavailable" not in response.text
    assert await leftovers_for(payload["email"], "Rolled Back Ltd") == {"users": 0, "tenants": 0, "schemas": 0}


@pytest.mark.parametrize(
    ("company_name", "name"),
    [
        ("Robert'); DROP TABLE platform.users;--", 'O\'Brien "Bob"'),
        ("😀 Emoji Co", "שרה כהן"),  # emoji, right-to-left Hebrew
        ("臺灣積體電路製造股份有限公司", "林志玲"),
    ],
)
async def test_unusual_but_valid_names_are_stored_verbatim(client: Any, company_name: str, name: str) -> None:
    session = await signed_up(client, company_name=company_name, name=name)
    me = (await client.get("/api/v1/me", headers=bearer(session))).json()
    assert me["workspace"]["name"] == company_name
    assert me["user"]["name"] == name
    assert await fetchval("SELECT count(*) FROM platform.users") > 0  # the table is still there


async def test_signup_is_rate_limited_per_address(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from guanxi.config import get_settings

    monkeypatch.setattr(get_settings(), "signups_per_ip_per_hour", 2)
    statuses = [(await client.post("/api/v1/signup", json=signup_payload())).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]


async def test_a_user_can_open_and_switch_between_several_workspaces(client: Any) -> None:
    session = await signed_up(client, company_name="First Workspace")
    created = await client.post(
        "/api/v1/workspaces", json={"name": "第二个工作区", "locale": "zh-Hans"}, headers=bearer(session)
    )
    assert created.status_code == 201
    me = (await client.get("/api/v1/me", headers=bearer(session))).json()
    assert me["workspace"]["name"] == "第二个工作区"
    assert {w["name"] for w in me["workspaces"]} == {"First Workspace", "第二个工作区"}
    assert (await client.get("/api/v1/pipeline", headers=bearer(session))).json()["name"] == "销售流程"

    back = await client.post(
        "/api/v1/workspaces/switch", json={"workspace_id": session["workspace"]["id"]}, headers=bearer(session)
    )
    assert back.status_code == 200
    assert (await client.get("/api/v1/pipeline", headers=bearer(session))).json()["name"] == "Sales"


async def test_opening_workspaces_is_limited(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from guanxi.config import get_settings

    session = await signed_up(client)
    monkeypatch.setattr(get_settings(), "workspaces_per_user_per_hour", 2)
    statuses = [
        (await client.post("/api/v1/workspaces", json={"name": f"W{i}"}, headers=bearer(session))).status_code
        for i in range(3)
    ]
    assert statuses == [201, 201, 429]
    monkeypatch.setattr(get_settings(), "workspaces_per_user_per_hour", 100)
    monkeypatch.setattr(get_settings(), "max_owned_workspaces", 3)
    capped = await client.post("/api/v1/workspaces", json={"name": "W4"}, headers=bearer(session))
    assert capped.status_code == 409 and capped.json()["type"].endswith("/workspace-limit")


async def test_a_suspended_workspace_answers_423(client: Any) -> None:
    session = await signed_up(client)
    connection = await asyncpg.connect(plain_dsn())
    try:
        await connection.execute(
            "UPDATE platform.tenants SET status = 'suspended' WHERE id = $1::uuid", session["workspace"]["id"]
        )
    finally:
        await connection.close()
    response = await client.get("/api/v1/pipeline", headers=bearer(session))
    assert response.status_code == 423
    assert response.json()["type"].endswith("/workspace-suspended")
    me = await client.get("/api/v1/me", headers=bearer(session))
    assert me.status_code == 200 and me.json()["workspace"]["status"] == "suspended"
