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

from tests.api.test_grading import dataset
from tests.api.test_reports import RANGE, book
from tests.conftest import bearer, signed_up
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


async def test_a_worker_killed_in_the_middle_of_a_grading_run_leaves_the_old_grades_and_a_new_worker_grades_once(
    client: Any,
    redis_server: PrivateRedis,  # noqa: F811
    broker: RedisBroker,  # noqa: F811
    tmp_path: Path,
) -> None:
    owner = await signed_up(client)
    _job, ids = await dataset(client, owner)
    tenant_id = str(owner["workspace"]["id"])
    started = await client.post("/api/v1/grading/runs", headers=bearer(owner))
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    schema = await schema_of(tenant_id)

    async def state() -> tuple[Any, ...]:
        async with platform_session() as session:
            return tuple(
                (
                    await session.execute(
                        text(
                            f"SELECT (SELECT status FROM {schema}.grading_runs WHERE id = CAST(:r AS uuid)), "
                            f"(SELECT count(*) FROM {schema}.grading_scores), "
                            f"(SELECT count(*) FROM {schema}.accounts WHERE grade IS NOT NULL), "
                            f"(SELECT count(*) FROM {schema}.grade_history)"
                        ),
                        {"r": run_id},
                    )
                ).one()
            )

    # The history table is locked: the worker has scored every customer inside its transaction and waits to set
    # the grades and write their history when it is killed.
    async with platform_session() as holder:
        await holder.execute(text(f"LOCK TABLE {schema}.grade_history IN ACCESS EXCLUSIVE MODE"))
        send(broker, "grading.run", tenant_id, run_id=run_id)
        first = WorkerProcess(redis_server.url, tmp_path / "first.log").start()
        try:
            await wait_for(lambda: waiting_on(f"{schema}.grade_history"), timeout=60, what="grading run under way")
            first.kill()
        finally:
            first.stop()
        await holder.rollback()
    assert "grading.done" not in first.log() and "job.completed" not in first.log()
    # nothing half-written: no score row, no grade, no history; the run shows as running until it is redone
    assert await state() == ("running", 0, 0, 0)

    with WorkerProcess(redis_server.url, tmp_path / "second.log") as second:
        await wait_for(lambda: "grading.done" in second.log(), timeout=60, what="grading run completed")
    assert await state() == ("done", 5, 5, 5)  # every customer graded once, one history row each
    report = await client.get("/api/v1/grading/report", headers=bearer(owner))
    assert {row["account_id"]: row["grade"] for row in report.json()["items"]} == {
        ids["n4"]: "A",
        ids["n1"]: "B",
        ids["n3"]: "B",
        ids["n2"]: "C",
        ids["n5"]: "C",
    }
