"""The audit log is kept as long as the workspace says; the scheduler asks for the purge once a slot."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from guanxi.db.tenancy import platform_session
from guanxi.domain.audit.tasks import purge_expired_entries
from guanxi.jobs import JobContext
from guanxi.periodic import Periodic, enqueue_due
from sqlalchemy import text

from tests.api.test_admin import join
from tests.conftest import bearer, signed_up


async def job_for(tenant_id: str) -> JobContext:
    from guanxi.domain.tenancy.service import scope_for_job

    async with platform_session() as session:
        return JobContext(job_id=uuid.uuid4(), scope=await scope_for_job(session, uuid.UUID(tenant_id)))


async def test_entries_older_than_the_retention_are_purged(client: Any) -> None:
    owner = await signed_up(client)
    changed = await client.patch("/api/v1/admin/settings", json={"audit_retention_days": 30}, headers=bearer(owner))
    assert changed.status_code == 200 and changed.json()["audit_retention_days"] == 30
    job = await job_for(owner["workspace"]["id"])
    async with platform_session() as session:
        await session.execute(
            text(
                f"UPDATE \"{job.scope.schema}\".audit_log SET occurred_at = now() - interval '31 days' "
                "WHERE action = 'workspace.created'"
            )
        )
        await session.commit()
    assert await purge_expired_entries(job) == 1
    actions = [i["action"] for i in (await client.get("/api/v1/admin/audit", headers=bearer(owner))).json()["items"]]
    assert "workspace.created" not in actions and "settings.changed" in actions


async def test_retention_setting_is_validated_and_admin_only(client: Any) -> None:
    owner = await signed_up(client)
    for days in (0, 29, 3651, "forever"):
        response = await client.patch(
            "/api/v1/admin/settings", json={"audit_retention_days": days}, headers=bearer(owner)
        )
        assert response.status_code == 422, days
    rep = await join(client, owner, "sales_rep")
    assert (
        await client.patch("/api/v1/admin/settings", json={"audit_retention_days": 90}, headers=bearer(rep))
    ).status_code == 403


async def test_a_periodic_slot_is_enqueued_once_for_every_active_workspace(client: Any) -> None:
    await signed_up(client)
    schedule = (Periodic("audit.purge_expired", 3600),)
    first = await enqueue_due(now=7_200_000.0, schedule=schedule)
    again = await enqueue_due(now=7_200_100.0, schedule=schedule)  # same slot: nothing more
    async with platform_session() as session:
        active = await session.scalar(text("SELECT count(*) FROM platform.tenants WHERE status = 'active'"))
    assert first == {"audit.purge_expired": active}
    assert again == {}
    later = await enqueue_due(now=7_203_600.0, schedule=schedule)
    assert later == {"audit.purge_expired": active}


async def test_settings_change_only_the_callers_workspace(client: Any) -> None:
    first, second = await signed_up(client), await signed_up(client)
    await client.patch("/api/v1/admin/settings", json={"audit_retention_days": 40}, headers=bearer(first))
    assert (await client.get("/api/v1/admin/settings", headers=bearer(first))).json()["audit_retention_days"] == 40
    assert (await client.get("/api/v1/admin/settings", headers=bearer(second))).json()["audit_retention_days"] == 365
    unknown = await client.patch(
        "/api/v1/admin/settings", json={"tenant_id": second["workspace"]["id"]}, headers=bearer(first)
    )
    assert unknown.status_code == 422


def test_the_scheduler_asks_only_for_the_periodic_jobs_it_is_configured_for(monkeypatch: pytest.MonkeyPatch) -> None:
    from guanxi.config import get_settings
    from guanxi.periodic import SCHEDULE, configured

    assert configured() == SCHEDULE  # every job unless told otherwise
    monkeypatch.setattr(get_settings(), "periodic_jobs", "grading.run, churn.scan")
    assert [job.actor for job in configured()] == ["churn.scan", "grading.run"]
    monkeypatch.setattr(get_settings(), "periodic_jobs", "")
    assert configured() == ()
