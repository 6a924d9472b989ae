"""Two tenants with records of the same shape never see each other's rows: not through the API, not
through a tenant session, not through a job's scope; and unscoped tenant SQL is refused outright."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from guanxi.db.engine import TenantNotBoundError
from guanxi.db.tenancy import (
    InvalidSchemaNameError,
    TenantScope,
    platform_session,
    scoped,
    tenant_session,
    validate_schema_name,
)
from guanxi.domain.pipeline.models import PipelineStage
from guanxi.domain.tenancy.models import WorkspaceSettings
from guanxi.domain.tenancy.service import scope_for_job
from sqlalchemy import select, text

from tests.conftest import bearer, signed_up


@pytest.fixture
async def two_tenants(client: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    first = await signed_up(client, company_name="Alpha 甲公司")
    second = await signed_up(client, company_name="Beta 乙公司")
    return first, second


async def stage_ids(client: Any, session: dict[str, Any]) -> set[str]:
    response = await client.get("/api/v1/pipeline", headers=bearer(session))
    assert response.status_code == 200
    return {stage["id"] for stage in response.json()["stages"]}


async def job_scope(tenant_id: str) -> TenantScope:
    async with platform_session() as session:
        return await scope_for_job(session, uuid.UUID(tenant_id))


async def test_api_shows_each_tenant_only_its_own_pipeline(client: Any, two_tenants: Any) -> None:
    first, second = two_tenants
    first_ids, second_ids = await stage_ids(client, first), await stage_ids(client, second)
    assert len(first_ids) == len(second_ids) == 6
    assert first_ids.isdisjoint(second_ids)


async def test_tenant_sessions_see_only_their_schema(two_tenants: Any) -> None:
    first, second = two_tenants
    scopes = [await job_scope(t["workspace"]["id"]) for t in (first, second)]
    seen = []
    for scope in scopes:
        async with tenant_session(scope) as session:
            names = list(await session.scalars(select(WorkspaceSettings.company_name)))
            ids = set(await session.scalars(select(PipelineStage.id)))
        seen.append((names, ids))
    assert seen[0][0] == ["Alpha 甲公司"] and seen[1][0] == ["Beta 乙公司"]
    assert seen[0][1].isdisjoint(seen[1][1])


async def test_one_platform_session_switching_scopes_per_statement_stays_isolated(two_tenants: Any) -> None:
    first, second = two_tenants
    scope_a, scope_b = await job_scope(first["workspace"]["id"]), await job_scope(second["workspace"]["id"])
    async with platform_session() as session:
        a = await session.scalar(select(WorkspaceSettings.company_name), execution_options=scoped(scope_a))
        b = await session.scalar(select(WorkspaceSettings.company_name), execution_options=scoped(scope_b))
    assert (a, b) == ("Alpha 甲公司", "Beta 乙公司")


async def test_tenant_table_without_a_scope_fails_loudly() -> None:
    async with platform_session() as session:
        with pytest.raises(TenantNotBoundError):
            await session.execute(select(PipelineStage))


async def test_a_member_cannot_switch_into_another_tenant(client: Any, two_tenants: Any) -> None:
    first, second = two_tenants
    response = await client.post(
        "/api/v1/workspaces/switch", json={"workspace_id": second["workspace"]["id"]}, headers=bearer(first)
    )
    assert response.status_code == 403
    assert await stage_ids(client, first) == await stage_ids(client, first)  # still in its own
    me = (await client.get("/api/v1/me", headers=bearer(first))).json()
    assert me["workspace"]["id"] == first["workspace"]["id"]
    assert [w["id"] for w in me["workspaces"]] == [first["workspace"]["id"]]


async def test_client_supplied_tenant_headers_are_ignored(client: Any, two_tenants: Any) -> None:
    first, second = two_tenants
    spoofed = {**bearer(first), "X-Tenant-ID": second["workspace"]["id"], "X-Workspace": second["workspace"]["id"]}
    response = await client.get(f"/api/v1/pipeline?tenant_id={second['workspace']['id']}", headers=spoofed)
    assert {s["id"] for s in response.json()["stages"]} == await stage_ids(client, first)


async def test_jobs_run_only_in_existing_active_tenants(two_tenants: Any) -> None:
    from guanxi.errors import DomainError

    first, _ = two_tenants
    with pytest.raises(DomainError) as missing:
        await job_scope(str(uuid.uuid4()))
    assert missing.value.status == 404
    async with platform_session() as session:
        await session.execute(
            text("UPDATE platform.tenants SET status = 'suspended' WHERE id = :id"), {"id": first["workspace"]["id"]}
        )
        await session.commit()
    with pytest.raises(DomainError) as suspended:
        await job_scope(first["workspace"]["id"])
    assert suspended.value.status == 423


@pytest.mark.parametrize(
    "name", ["public", "platform", "tenant_ABCDEF123456", 'tenant_0123456789ab"; DROP SCHEMA x; --', "tenant_"]
)
def test_only_strict_tenant_schema_names_are_accepted(name: str) -> None:
    with pytest.raises(InvalidSchemaNameError):
        validate_schema_name(name)
    with pytest.raises(InvalidSchemaNameError):
        TenantScope(tenant_id=uuid.uuid4(), schema=name)


def test_cache_keys_are_prefixed_with_the_tenant() -> None:
    scope = TenantScope(tenant_id=uuid.uuid4(), schema="tenant_0123456789ab")
    assert scope.cache_key("dashboard") == "tenant_0123456789ab:dashboard"
