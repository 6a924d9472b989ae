"""Roles an admin defines take effect in access decisions at once; the owner role stays locked."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_admin import join
from tests.conftest import bearer, signed_up


async def test_builtin_roles_are_listed_with_their_scopes(client: Any) -> None:
    owner = await signed_up(client)
    listed = {r["key"]: r for r in (await client.get("/api/v1/admin/roles", headers=bearer(owner))).json()}
    assert {"owner", "admin", "manager", "sales_rep", "service_agent", "marketer", "viewer", "partner"} <= set(listed)
    assert listed["sales_rep"]["permissions"]["customers"]["read"] == "own"
    assert "delete" not in listed["sales_rep"]["permissions"]["customers"]
    assert listed["manager"]["permissions"]["customers"]["read"] == "department_tree"


async def test_a_custom_role_grants_what_it_says(client: Any) -> None:
    owner = await signed_up(client)
    created = await client.post(
        "/api/v1/admin/roles",
        json={
            "name": "审计员 Auditor",
            "permissions": {"audit": {"read": "all", "export": "all"}, "members": {"read": "all"}},
        },
        headers=bearer(owner),
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    auditor = await join(client, owner, "viewer")
    assert (await client.get("/api/v1/admin/audit", headers=bearer(auditor))).status_code == 403
    await client.patch(f"/api/v1/admin/members/{auditor['user']['id']}", json={"roles": [key]}, headers=bearer(owner))
    assert (await client.get("/api/v1/admin/audit", headers=bearer(auditor))).status_code == 200
    narrowed = await client.put(
        f"/api/v1/admin/roles/{key}/permissions", json={"permissions": {}}, headers=bearer(owner)
    )
    assert narrowed.status_code == 200
    assert (await client.get("/api/v1/admin/audit", headers=bearer(auditor))).status_code == 403
    in_use = await client.delete(f"/api/v1/admin/roles/{key}", headers=bearer(owner))
    assert in_use.status_code == 409


@pytest.mark.parametrize(
    ("permissions", "field"),
    [
        ({"spaceships": {"read": "all"}}, "permissions.spaceships"),
        ({"customers": {"fly": "all"}}, "permissions.customers.fly"),
        ({"customers": {"read": "galaxy"}}, "permissions.customers.read"),
    ],
)
async def test_bad_role_definitions_name_the_field(client: Any, permissions: dict[str, Any], field: str) -> None:
    owner = await signed_up(client)
    response = await client.post(
        "/api/v1/admin/roles", json={"name": "X", "permissions": permissions}, headers=bearer(owner)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


async def test_owner_role_is_locked_builtins_stay_and_roles_stay_in_their_tenant(client: Any) -> None:
    owner, other = await signed_up(client), await signed_up(client)
    assert (
        await client.put("/api/v1/admin/roles/owner/permissions", json={"permissions": {}}, headers=bearer(owner))
    ).status_code == 403
    assert (await client.delete("/api/v1/admin/roles/viewer", headers=bearer(owner))).status_code == 403
    created = (await client.post("/api/v1/admin/roles", json={"name": "Only mine"}, headers=bearer(owner))).json()
    assert created["key"] not in {
        r["key"] for r in (await client.get("/api/v1/admin/roles", headers=bearer(other))).json()
    }
    assert (await client.delete(f"/api/v1/admin/roles/{created['key']}", headers=bearer(other))).status_code == 404
    rep = await join(client, owner, "sales_rep")
    assert (await client.post("/api/v1/admin/roles", json={"name": "Sneaky"}, headers=bearer(rep))).status_code == 403
    assert (await client.delete(f"/api/v1/admin/roles/{created['key']}", headers=bearer(owner))).status_code == 204
