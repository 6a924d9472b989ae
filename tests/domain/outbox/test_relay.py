"""The outbox: a job a committed change asked for reaches the worker, even when Redis was down then."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from dramatiq.brokers.redis import RedisBroker
from guanxi.db.tenancy import platform_session
from guanxi.domain.outbox.relay import relay_once, replay
from guanxi_dev.mailcatcher import MailStore, start_smtp
from sqlalchemy import text

from tests.conftest import signed_up
from tests.services import PrivateRedis, free_port, set_aside_other_jobs, start_worker, stop_worker, wait_for_mail

pytestmark = pytest.mark.xdist_group("outbox")


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(free_port(), tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server: PrivateRedis) -> Iterator[RedisBroker]:
    broker = RedisBroker(url=redis_server.url, socket_connect_timeout=1, socket_timeout=1)
    yield broker
    broker.close()


@pytest.fixture
def mail(tmp_path: Path) -> Iterator[tuple[MailStore, int]]:
    store, port = MailStore(tmp_path / "mail"), free_port()
    controller = start_smtp(store, port)
    yield store, port
    controller.stop()


async def outbox_row(job_filter: str, **params: Any) -> dict[str, Any]:
    async with platform_session() as session:
        row = (
            (await session.execute(text(f"SELECT * FROM platform.outbox WHERE {job_filter}"), params)).mappings().one()
        )
        return dict(row)


async def relay_until_idle(broker: RedisBroker) -> int:
    total = 0
    while sent := await relay_once(broker):
        total += sent
    return total


async def test_job_committed_while_redis_is_down_is_sent_once_redis_is_back(
    client: Any, redis_server: PrivateRedis, broker: RedisBroker, mail: tuple[MailStore, int], tmp_path: Path
) -> None:
    redis_server.stop()
    account = await signed_up(client, name="王芳", locale="zh-Hans")
    await set_aside_other_jobs(account["workspace"]["id"])  # the worker below handles this test's jobs only
    where = "payload->>'user_id' = :user"
    user = account["user"]["id"]

    assert await relay_once(broker) == 0
    pending = await outbox_row(where, user=user)
    assert pending["sent_at"] is None
    assert pending["attempts"] == 1
    assert pending["available_at"] > pending["created_at"]  # backed off, not retried in a tight loop
    assert "Connection" in pending["last_error"]

    redis_server.start()
    wait = (pending["available_at"] - datetime.now(UTC)).total_seconds()
    await asyncio.sleep(max(wait, 0) + 0.1)
    assert await relay_until_idle(broker) >= 1
    assert (await outbox_row(where, user=user))["sent_at"] is not None

    store, smtp_port = mail
    worker = start_worker(redis_server.url, smtp_port, tmp_path / "worker.log")
    try:
        welcome = await wait_for_mail(store, lambda m: account["user"]["email"] in m.recipients)
    finally:
        stop_worker(worker)
    worker_log = (tmp_path / "worker.log").read_text()
    completed = [line for line in worker_log.splitlines() if "job.completed" in line]
    assert completed and f"tenant_id={account['workspace']['id']}" in completed[0]
    assert "job=email.send_welcome" in completed[0]
    assert "王芳" in welcome.text
    assert "/verify?token=" in welcome.text
    assert welcome.subject.startswith("欢迎")


async def test_a_job_delivered_twice_sends_one_email(
    client: Any, redis_server: PrivateRedis, broker: RedisBroker, mail: tuple[MailStore, int], tmp_path: Path
) -> None:
    from guanxi.domain.outbox.models import OutboxMessage
    from guanxi.domain.outbox.relay import to_message

    account = await signed_up(client)
    row = await outbox_row("payload->>'user_id' = :user", user=account["user"]["id"])
    message = to_message(OutboxMessage(**row))
    broker.enqueue(message)
    broker.enqueue(message)  # a redelivery, as after a worker crash

    store, smtp_port = mail
    worker = start_worker(redis_server.url, smtp_port, tmp_path / "worker.log")
    try:
        await wait_for_mail(store, lambda m: account["user"]["email"] in m.recipients)
        async with platform_session() as session:
            for _ in range(100):  # until both deliveries are through
                status = await session.scalar(
                    text("SELECT status FROM platform.email_deliveries WHERE job_id = :id"), {"id": row["id"]}
                )
                queued = broker.client.hlen("dramatiq:default.msgs")
                if status == "sent" and queued == 0:
                    break
                await asyncio.sleep(0.1)
    finally:
        stop_worker(worker)
    assert len([m for m in store.all() if account["user"]["email"] in m.recipients]) == 1


async def test_a_rolled_back_change_leaves_no_job() -> None:
    from guanxi.domain.outbox.service import enqueue

    marker = str(uuid.uuid4())
    async with platform_session() as session:
        await enqueue(session, "email.send_welcome", {"user_id": marker}, tenant_id=None)
        await session.rollback()
    async with platform_session() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM platform.outbox WHERE payload->>'user_id' = :m"), {"m": marker}
        )
    assert count == 0


async def test_operator_replay_makes_a_backed_off_job_due_now(client: Any, broker: RedisBroker) -> None:
    await relay_until_idle(broker)
    account = await signed_up(client)
    where = "payload->>'user_id' = :user"
    async with platform_session() as session:  # as if an earlier attempt failed: due in an hour
        await session.execute(
            text(f"UPDATE platform.outbox SET available_at = now() + interval '1 hour', attempts = 3 WHERE {where}"),
            {"user": account["user"]["id"]},
        )
        await session.commit()
    assert await relay_once(broker) == 0
    job = await outbox_row(where, user=account["user"]["id"])
    assert await replay([str(job["id"])]) == 1
    assert await relay_once(broker) == 1
    assert (await outbox_row(where, user=account["user"]["id"]))["sent_at"] is not None
