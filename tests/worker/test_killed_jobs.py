"""The product's own long jobs under SIGKILL, with real worker processes: a worker killed in the middle leaves
no half-written result, and the job completes once when a new worker comes back.

The test holds a lock on a table the job needs, so the worker is caught in the middle of the job (its
transaction open, its reads or writes waiting) when it is killed; the lock is then released for the new worker.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from dramatiq.brokers.redis import RedisBroker
from guanxi.config import get_settings
from guanxi.db.tenancy import platform_session
from guanxi.domain.reports.tasks import schedule_deliveries
from guanxi_dev.mailcatcher import MailStore
from sqlalchemy import text

from tests.api.test_reports import RANGE, book
from tests.conftest import bearer
from tests.domain.audit.test_retention import job_for
from tests.domain.email.test_delivery import mailbox  # noqa: F401 -- the real SMTP catcher fixture
from tests.domain.reports.test_delivery import asked
from tests.services import PrivateRedis
from tests.worker.harness import WorkerProcess, wait_for
from tests.worker.test_reliability import broker, redis_server, send  # noqa: F401 -- fixtures

pytestmark = pytest.mark.xdist_group("worker-processes")


async def schema_of(tenant_id: str) -> str:
    async with platform_session() as session:
        return str(
            await session.scalar(
                text("SELECT schema_name FROM platform.tenants WHERE id = CAST(:t AS uuid)"), {"t": tenant_id}
            )
        )


async def waiting_on(table: str) -> bool:
    """Whether some session waits for a lock on ``table`` (the worker, caught mid-job)."""
    async with platform_session() as session:
        waiting = await session.scalar(
            text("SELECT count(*) FROM pg_locks WHERE relation = CAST(:t AS regclass) AND NOT granted"), {"t": table}
        )
    return bool(waiting)


async def test_a_worker_killed_while_building_a_scheduled_report_mails_it_once_from_a_new_worker(
    client: Any,
    redis_server: PrivateRedis,  # noqa: F811
    broker: RedisBroker,  # noqa: F811
    mailbox: MailStore,  # noqa: F811
    tmp_path: Path,
) -> None:
    b = await book(client)
    owner = b["owner"]
    tenant_id = str(owner["workspace"]["id"])
    saved = await client.post("/api/v1/reports/saved", json={"name": "每日销售", "report_key": "sales",
                              "params": {"by": "rep", **RANGE}}, headers=bearer(owner))  # fmt: skip
    assert saved.status_code == 201, saved.text
    made = await client.post(f"/api/v1/reports/saved/{saved.json()['id']}/schedules", json={
        "frequency": "daily", "hour": 0, "formats": ["csv", "pdf"], "recipients": [{"member_id": owner["user"]["id"]}]},
        headers=bearer(owner))  # fmt: skip
    assert made.status_code == 201, made.text
    assert await schedule_deliveries(await job_for(tenant_id), dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)) == 1
    [delivery_id] = await asked(tenant_id)
    schema = await schema_of(tenant_id)
    port = get_settings().smtp_port

    async with platform_session() as holder:
        await holder.execute(text(f"LOCK TABLE {schema}.orders IN ACCESS EXCLUSIVE MODE"))
        send(broker, "reports.deliver", tenant_id, delivery_id=delivery_id)
        first = WorkerProcess(redis_server.url, tmp_path / "first.log", smtp_port=port).start()
        try:
            await wait_for(lambda: waiting_on(f"{schema}.orders"), timeout=60, what="report being built")
            first.kill()
        finally:
            first.stop()
        await holder.rollback()
    assert "reports.delivery_" not in first.log() and "job.completed" not in first.log()
    async with platform_session() as session:
        status = await session.scalar(text(f"SELECT status FROM {schema}.report_deliveries"))
        claims = await session.scalar(
            text("SELECT count(*) FROM platform.email_deliveries WHERE tenant_id = CAST(:t AS uuid)"), {"t": tenant_id}
        )
    assert (status, claims, mailbox.all()) == ("queued", 0, [])  # nothing half-done: no mail, no claim, not sent

    with WorkerProcess(redis_server.url, tmp_path / "second.log", smtp_port=port) as second:
        await wait_for(lambda: "reports.delivery_sent" in second.log(), timeout=60, what="delivery completed")
    async with platform_session() as session:
        status = await session.scalar(text(f"SELECT status FROM {schema}.report_deliveries"))
    [mail] = mailbox.all()
    assert status == "sent" and mail.recipients == [owner["user"]["email"]] and "每日销售" in mail.subject
