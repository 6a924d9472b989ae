"""API tokens: shown once, stored hashed, scoped, expiring, revocable, audited; never across tenants."""

from __future__ import annotations

from typing import Any

import pytest
from guanxi.db.tenancy import platform_session
from sqlalchemy import text

from tests.conftest import bearer, signed_up


async def new_token(client: Any, account: dict[str, Any], scopes: list[str], **extra: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/tokens", json={"name": "ERP sync 同步", "scopes": scopes, **extra}, headers=bearer(account)
    )
    assert response.status_code == 201, response.text
    return response.json()


def as_token(created: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {created['token']}"}


async def test_token_is_shown_once_and_stored_hashed(client: Any) -> None:
    account = await signed_up(client)
    created = await new_token(client, account, ["*:read"])
    assert created["token"].startswith("gxt_")
    listed = (await client.get("/api/v1/tokens", headers=bearer(account))).json()
    assert [t["id"] for t in listed] == [created["details"]["id"]]
    assert "token" not in listed[0]
    async with platform_session() as session:
        stored = await session.scalar(
            text("SELECT token_hash FROM platform.api_tokens WHERE id = :i"), {"i": created["details"]["id"]}
        )
    assert created["token"] not in stored and len(stored) == 64


async def test_token_reads_within_its_scopes_and_records_its_use(client: Any) -> None:
    account = await signed_up(client)
    created = await new_token(client, account, ["members:read"])
    members = await client.get("/api/v1/admin/members", headers=as_token(created))
    assert members.status_code == 200
    assert [m["email"] for m in members.json()] == [account["user"]["email"]]
    refused = await client.get("/api/v1/admin/audit", headers=as_token(created))
    assert refused.status_code == 403 and "audit:read" in refused.json()["detail"]
    write = await client.post("/api/v1/admin/departments", json={"name": "销售部"}, headers=as_token(created))
    assert write.status_code == 403

    details = (await client.get("/api/v1/tokens", headers=bearer(account))).json()[0]
    assert details["last_used_at"] is not None and details["last_used_ip"] == "203.0.113.7"
    log = (await client.get("/api/v1/admin/audit?action=api_token.used", headers=bearer(account))).json()
    assert log["items"][0]["target_id"] == created["details"]["id"]


async def test_revoked_and_expired_tokens_stop_at_once(client: Any) -> None:
    account = await signed_up(client)
    created = await new_token(client, account, ["*:write"])
    assert (await client.get("/api/v1/me", headers=as_token(created))).status_code == 200
    revoke = await client.delete(f"/api/v1/tokens/{created['details']['id']}", headers=bearer(account))
    assert revoke.status_code == 204
    assert (await client.get("/api/v1/me", headers=as_token(created))).status_code == 401

    expiring = await new_token(client, account, ["*:read"], expires_in_days=1)
    async with platform_session() as session:
        await session.execute(
            text("UPDATE platform.api_tokens SET expires_at = now() - interval '1 second' WHERE id = :i"),
            {"i": expiring["details"]["id"]},
        )
        await session.commit()
    assert (await client.get("/api/v1/me", headers=as_token(expiring))).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "scopes": ["*:read"]}, "name"),
        ({"name": "x" * 101, "scopes": ["*:read"]}, "name"),
        ({"name": "ok", "scopes": []}, "scopes"),
        ({"name": "ok", "scopes": ["customers:admin"]}, "scopes"),
        ({"name": "ok", "scopes": ["'; DROP TABLE x; --"]}, "scopes"),
        ({"name": "ok", "scopes": ["*:read"], "expires_in_days": 0}, "expires_in_days"),
        ({"name": "ok", "scopes": "*:read"}, "scopes"),
        ({"name": "ok", "scopes": ["*:read"], "tenant_id": "x"}, "tenant_id"),
    ],
)
async def test_bad_token_requests_name_the_field(client: Any, body: dict[str, Any], field: str) -> None:
    account = await signed_up(client)
    response = await client.post("/api/v1/tokens", json=body, headers=bearer(account))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_tokens_never_cross_tenants(client: Any) -> None:
    first, second = await signed_up(client), await signed_up(client)
    created = await new_token(client, first, ["*:write"])
    listed = (await client.get("/api/v1/tokens", headers=bearer(second))).json()
    assert listed == []
    foreign = await client.delete(f"/api/v1/tokens/{created['details']['id']}", headers=bearer(second))
    assert foreign.status_code == 404
    members = (await client.get("/api/v1/admin/members", headers=as_token(created))).json()
    assert {m["email"] for m in members} == {first["user"]["email"]}
    switch = await client.post(
        "/api/v1/workspaces/switch", json={"workspace_id": second["workspace"]["id"]}, headers=as_token(created)
    )
    assert switch.status_code == 403


async def test_unknown_token_is_401(client: Any) -> None:
    response = await client.get("/api/v1/me", headers={"Authorization": "Bearer gxt_deadbeef_nope"})
    assert response.status_code == 401
