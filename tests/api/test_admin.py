"""Workspace administration: roles, departments, deactivation (sessions and tokens stop at once),
hand-over, and the audit log with its CSV export; every route refuses other tenants and lesser roles."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from guanxi.db.base import new_id
from guanxi.db.tenancy import TenantScope, platform_session
from guanxi.domain.tenancy.repository import add_member
from sqlalchemy import text

from tests.conftest import bearer, signed_up


async def join(client: Any, owner: dict[str, Any], role: str) -> dict[str, Any]:
    """Another person (signed up with a workspace of their own) added to ``owner``'s workspace with ``role``."""
    person = await signed_up(client, name=f"Member {role}")
    tenant_id = uuid.UUID(owner["workspace"]["id"])
    async with platform_session() as session:
        schema = await session.scalar(text("SELECT schema_name FROM platform.tenants WHERE id = :t"), {"t": tenant_id})
        user_id = uuid.UUID(person["user"]["id"])
        await add_member(session, TenantScope(tenant_id=tenant_id, schema=schema), user_id, role=role)
        await session.execute(
            text("INSERT INTO platform.memberships (id, user_id, tenant_id, role) VALUES (:i, :u, :t, :r)"),
            {"i": new_id(), "u": user_id, "t": tenant_id, "r": role},
        )
        await session.commit()
    switched = await client.post(
        "/api/v1/workspaces/switch", json={"workspace_id": owner["workspace"]["id"]}, headers=bearer(person)
    )
    assert switched.status_code == 200
    return person


async def test_admin_changes_roles_department_and_manager(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    dept = await client.post("/api/v1/admin/departments", json={"name": "华东销售部"}, headers=bearer(owner))
    assert dept.status_code == 201
    response = await client.patch(
        f"/api/v1/admin/members/{rep['user']['id']}",
        json={"roles": ["manager", "sales_rep"], "department_id": dept.json()["id"], "manager_id": owner["user"]["id"]},
        headers=bearer(owner),
    )
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == ["manager", "sales_rep"]
    assert response.json()["department_id"] == dept.json()["id"]
    cleared = await client.patch(
        f"/api/v1/admin/members/{rep['user']['id']}", json={"manager_id": None}, headers=bearer(owner)
    )
    assert cleared.json()["manager_id"] is None and cleared.json()["department_id"] == dept.json()["id"]


async def test_role_and_manager_mistakes_are_refused(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    member = f"/api/v1/admin/members/{rep['user']['id']}"
    for body, field in [
        ({"roles": ["emperor"]}, "roles"),
        ({"roles": []}, "roles"),
        ({"manager_id": rep["user"]["id"]}, "manager_id"),
        ({"department_id": str(uuid.uuid4())}, "department_id"),
        ({"roles": "admin"}, "roles"),
    ]:
        response = await client.patch(member, json=body, headers=bearer(owner))
        assert response.status_code == 422, (body, response.text)
        assert field in [e["field"] for e in response.json()["errors"]]
    last_owner = await client.patch(
        f"/api/v1/admin/members/{owner['user']['id']}", json={"roles": ["admin"]}, headers=bearer(owner)
    )
    assert last_owner.status_code == 422 and last_owner.json()["errors"][0]["code"] == "last_owner"
    await client.patch(member, json={"manager_id": owner["user"]["id"]}, headers=bearer(owner))
    circle = await client.patch(
        f"/api/v1/admin/members/{owner['user']['id']}", json={"manager_id": rep["user"]["id"]}, headers=bearer(owner)
    )
    assert circle.status_code == 422 and circle.json()["errors"][0]["code"] == "cycle"


async def test_lesser_roles_cannot_administer(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    admin = await join(client, owner, "admin")
    assert (await client.get("/api/v1/admin/members", headers=bearer(rep))).status_code == 200  # may see colleagues
    for method, path, body in [
        ("PATCH", f"/api/v1/admin/members/{owner['user']['id']}", {"roles": ["viewer"]}),
        ("POST", f"/api/v1/admin/members/{owner['user']['id']}/deactivate", None),
        ("POST", "/api/v1/admin/departments", {"name": "x"}),
        ("GET", "/api/v1/admin/audit", None),
        ("POST", "/api/v1/tokens", {"name": "t", "scopes": ["*:read"]}),
    ]:
        response = await client.request(method, path, json=body, headers=bearer(rep))
        assert response.status_code == 403, (path, response.text)
    # an admin administers, but cannot crown an owner
    crown = await client.patch(
        f"/api/v1/admin/members/{rep['user']['id']}", json={"roles": ["owner"]}, headers=bearer(admin)
    )
    assert crown.status_code == 403


async def test_deactivated_member_loses_sessions_and_tokens_at_once(client: Any) -> None:
    owner = await signed_up(client)
    admin = await join(client, owner, "admin")
    token = await client.post("/api/v1/tokens", json={"name": "t", "scopes": ["*:read"]}, headers=bearer(admin))
    assert token.status_code == 201
    token_headers = {"Authorization": f"Bearer {token.json()['token']}"}
    assert (await client.get("/api/v1/admin/members", headers=token_headers)).status_code == 200

    response = await client.post(f"/api/v1/admin/members/{admin['user']['id']}/deactivate", headers=bearer(owner))
    assert response.status_code == 200 and response.json()["status"] == "deactivated"
    assert (await client.get("/api/v1/admin/members", headers=bearer(admin))).status_code in (401, 409)
    assert (await client.get("/api/v1/admin/members", headers=token_headers)).status_code == 401
    switch_back = await client.post(
        "/api/v1/workspaces/switch", json={"workspace_id": owner["workspace"]["id"]}, headers=bearer(admin)
    )
    assert switch_back.status_code in (401, 403)
    relogin = await client.post(
        "/api/v1/auth/login", json={"email": admin["user"]["email"], "password": admin["password"]}
    )
    assert relogin.status_code == 200 and relogin.json()["workspace"]["id"] != owner["workspace"]["id"]
    names = [
        m
        for m in (await client.get("/api/v1/admin/members", headers=bearer(owner))).json()
        if m["id"] == admin["user"]["id"]
    ]
    assert names[0]["status"] == "deactivated"


async def test_owner_cannot_deactivate_themselves(client: Any) -> None:
    owner = await signed_up(client)
    response = await client.post(f"/api/v1/admin/members/{owner['user']['id']}/deactivate", headers=bearer(owner))
    assert response.status_code == 422


async def test_hand_over_moves_nothing_it_does_not_know_and_refuses_bad_targets(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    moved = await client.post(
        f"/api/v1/admin/members/{rep['user']['id']}/hand-over",
        json={"to_member_id": owner["user"]["id"]},
        headers=bearer(owner),
    )
    assert moved.status_code == 200
    assert isinstance(moved.json()["moved"], dict)
    same = await client.post(
        f"/api/v1/admin/members/{rep['user']['id']}/hand-over",
        json={"to_member_id": rep["user"]["id"]},
        headers=bearer(owner),
    )
    assert same.status_code == 422
    unknown = await client.post(
        f"/api/v1/admin/members/{rep['user']['id']}/hand-over",
        json={"to_member_id": str(uuid.uuid4())},
        headers=bearer(owner),
    )
    assert unknown.status_code == 404


async def test_admin_routes_never_reach_another_tenant(client: Any) -> None:
    first, second = await signed_up(client), await signed_up(client)
    foreign = second["user"]["id"]
    for method, path, body in [
        ("PATCH", f"/api/v1/admin/members/{foreign}", {"roles": ["viewer"]}),
        ("POST", f"/api/v1/admin/members/{foreign}/deactivate", None),
        ("POST", f"/api/v1/admin/members/{foreign}/hand-over", {"to_member_id": first["user"]["id"]}),
    ]:
        response = await client.request(method, path, json=body, headers=bearer(first))
        assert response.status_code == 404, (path, response.text)
    listed = (await client.get("/api/v1/admin/members", headers=bearer(first))).json()
    assert [m["id"] for m in listed] == [first["user"]["id"]]
    second_me = (await client.get("/api/v1/me", headers=bearer(second))).json()
    assert second_me["workspace"]["role"] == "owner"


async def test_audit_log_records_sign_ins_and_changes_and_exports_csv(client: Any) -> None:
    owner = await signed_up(client)
    email, password = owner["user"]["email"], owner["password"]
    await client.post("/api/v1/auth/login", json={"email": email, "password": "definitely wrong 1"})
    await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    await client.post("/api/v1/admin/departments", json={"name": "Sales"}, headers=bearer(owner))

    page = (await client.get("/api/v1/admin/audit", headers=bearer(owner))).json()
    actions = [item["action"] for item in page["items"]]
    assert actions[:4] == ["department.created", "auth.login_succeeded", "auth.login_failed", "workspace.created"]
    assert page["items"][1]["ip"] == "203.0.113.7"
    failed = (await client.get("/api/v1/admin/audit?action=auth.login_failed", headers=bearer(owner))).json()
    assert len(failed["items"]) == 1

    export = await client.get("/api/v1/admin/audit.csv", headers=bearer(owner))
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert {"department.created", "auth.login_failed"} <= {row["action"] for row in rows}
    after = (await client.get("/api/v1/admin/audit?action=audit.exported", headers=bearer(owner))).json()
    assert len(after["items"]) == 1


async def test_audit_pages_with_a_cursor(client: Any) -> None:
    owner = await signed_up(client)
    for i in range(55):
        await client.post("/api/v1/admin/departments", json={"name": f"D{i}"}, headers=bearer(owner))
    first = (await client.get("/api/v1/admin/audit", headers=bearer(owner))).json()
    assert len(first["items"]) == 50 and first["next_cursor"]
    response = await client.get(f"/api/v1/admin/audit?cursor={first['next_cursor']}", headers=bearer(owner))
    assert response.status_code == 200, response.text
    second = response.json()
    ids = [i["id"] for i in first["items"]] + [i["id"] for i in second["items"]]
    assert len(ids) == len(set(ids)) == 56 and second["next_cursor"] is None
    bad = await client.get("/api/v1/admin/audit?cursor=garbage", headers=bearer(owner))
    assert bad.status_code == 422
