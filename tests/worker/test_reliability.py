"""Worker reliability with real processes: SIGKILL mid-job, time limits on async actors, dead letters."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker
from guanxi import deadletters
from guanxi.db.tenancy import platform_session
from guanxi.domain.outbox.service import BATCH_QUEUE
from sqlalchemy import text

from tests.conftest import signed_up
from tests.services import PrivateRedis, free_port
from tests.worker.harness import WorkerProcess, wait_for
from tests.worker.probes import CREATE_TABLE, TABLE

pytestmark = pytest.mark.xdist_group("worker-processes")


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(free_port(), tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server: PrivateRedis) -> Iterator[RedisBroker]:
    broker = RedisBroker(url=redis_server.url, socket_connect_timeout=1, socket_timeout=2)
    yield broker
    broker.close()


@pytest.fixture
async def tenant_id(client: Any) -> str:
    account = await signed_up(client)
    return str(account["workspace"]["id"])


def send(broker: RedisBroker, actor: str, tenant_id: str, *, queue: str = "default", **kwargs: Any) -> str:
    job_id = str(uuid.uuid4())
    broker.enqueue(
        dramatiq.Message(
            queue_name=queue,
            actor_name=actor,
            args=(),
            kwargs={"job_id": job_id, "tenant_id": tenant_id, **kwargs},
            options={},
        )
    )
    return job_id


async def probe_rows(job_id: str) -> int:
    async with platform_session() as session:
        return int(await session.scalar(text(f"SELECT count(*) FROM {TABLE} WHERE job_id = :j"), {"j": job_id}) or 0)


def cli(redis_url: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "guanxi", *arguments],
        env={**os.environ, "REDIS_URL": redis_url, "GUANXI_LOG_JSON": "false"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_a_worker_killed_mid_job_leaves_nothing_half_written_and_the_job_completes_on_a_new_worker(
    redis_server: PrivateRedis, broker: RedisBroker, tenant_id: str, tmp_path: Path
) -> None:
    async with platform_session() as session:
        await session.execute(text(CREATE_TABLE))
        await session.commit()
    job_id = send(broker, "probe.write_slowly", tenant_id, rows=5000, hold_seconds=2.0)

    first = WorkerProcess(redis_server.url, tmp_path / "first.log").start()
    try:
        await wait_for(lambda: "probe.holding" in first.log() and job_id in first.log(), what="job in progress")
        first.kill()
    finally:
        first.stop()
    assert "job.completed" not in first.log()
    assert await probe_rows(job_id) == 0  # the uncommitted rows died with the worker's connection

    with WorkerProcess(redis_server.url, tmp_path / "second.log") as second:
        await wait_for(lambda: "job.completed" in second.log(), timeout=40, what="job redelivered and completed")
    assert await probe_rows(job_id) == 5000  # all of it, once
    assert second.log().count("probe.holding") == 1


async def test_an_async_actor_over_its_time_limit_is_cancelled_retried_then_dead_lettered(
    redis_server: PrivateRedis, broker: RedisBroker, tenant_id: str, tmp_path: Path
) -> None:
    job_id = send(broker, "probe.overrun", tenant_id)
    with WorkerProcess(redis_server.url, tmp_path / "worker.log") as worker:
        await wait_for(lambda: bool(deadletters.list_dead(broker=broker)), timeout=30, what="dead letter")
        log = worker.log()
    assert log.count("probe.overrun_started") == 2  # the first run and its one retry
    assert "probe.overrun_finished" not in log  # cancelled, not left running past the limit
    [letter] = deadletters.list_dead(broker=broker)
    assert (letter.actor, letter.job_id, letter.tenant_id) == ("probe.overrun", job_id, tenant_id)
    assert "TimeLimitExceeded" in letter.traceback
    assert letter.retries == 1


async def test_a_poison_message_is_dead_lettered_visible_to_the_operator_and_can_be_requeued(
    redis_server: PrivateRedis, broker: RedisBroker, tenant_id: str, tmp_path: Path
) -> None:
    job_id = send(broker, "probe.fail", tenant_id)
    bad_arguments = send(broker, "probe.fail", tenant_id, unexpected="参数")
    with WorkerProcess(redis_server.url, tmp_path / "worker.log"):
        await wait_for(lambda: len(deadletters.list_dead(broker=broker)) == 2, timeout=30, what="two dead letters")

        listed = cli(redis_server.url, "deadletters", "list")
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.splitlines()[0] == "dead letters: batch=0, default=2"  # every queue, the batch one too
        poison = next(line for line in listed.stdout.splitlines() if f"job={job_id}" in line)
        assert f"tenant={tenant_id}" in poison and f"job={job_id}" in poison
        assert "RuntimeError: probe failure 失败" in poison
        assert f"job={bad_arguments}" in listed.stdout and "TypeError" in listed.stdout

        message_id = poison.split()[0]
        shown = cli(redis_server.url, "deadletters", "show", message_id)
        assert shown.returncode == 0 and "Traceback" in shown.stdout and "probe.fail" in shown.stdout
        assert cli(redis_server.url, "deadletters", "show", "no-such-id").returncode == 1

        # The cause is fixed; the operator requeues it and it runs once more, to success.
        client = redis.Redis.from_url(redis_server.url)
        client.set(f"probe:healed:{job_id}", "1")
        requeued = cli(redis_server.url, "deadletters", "requeue", message_id)
        assert requeued.returncode == 0 and "1 message(s) requeued" in requeued.stdout
        await wait_for(lambda: client.get(f"probe:succeeded:{job_id}") == b"1", timeout=20, what="requeued job ran")
        assert [letter.job_id for letter in deadletters.list_dead(broker=broker)] == [bad_arguments]

        stats = cli(redis_server.url, "deadletters", "stats", "--prometheus")
        assert 'guanxi_dead_letters{queue="default"} 1' in stats.stdout
        assert 'guanxi_queue_depth{queue="default"} 0' in stats.stdout

        purged = cli(redis_server.url, "deadletters", "purge", "--all")
        assert "1 message(s) purged" in purged.stdout
        assert deadletters.count_dead(broker) == {"default": 0}


async def test_email_while_smtp_is_down_is_retried_with_back_off_and_sent_once_when_it_is_back(
    client: Any, redis_server: PrivateRedis, broker: RedisBroker, tmp_path: Path
) -> None:
    from guanxi.domain.outbox.models import OutboxMessage
    from guanxi.domain.outbox.relay import to_message
    from guanxi_dev.mailcatcher import MailStore, start_smtp

    from tests.services import wait_for_mail

    account = await signed_up(client, name="李雷")
    async with platform_session() as session:
        row = (
            (
                await session.execute(
                    text("SELECT * FROM platform.outbox WHERE payload->>'user_id' = :u"), {"u": account["user"]["id"]}
                )
            )
            .mappings()
            .one()
        )
    broker.enqueue(to_message(OutboxMessage(**dict(row))))

    store, smtp_port = MailStore(tmp_path / "mail"), free_port()  # nothing listens on the port yet: SMTP is down
    with WorkerProcess(redis_server.url, tmp_path / "worker.log", smtp_port=smtp_port) as worker:
        await wait_for(lambda: worker.log().count("Retrying message") >= 2, timeout=30, what="two retries")
        delays = [int(line.split(" in ")[1].split()[0]) for line in worker.log().splitlines() if "Retrying" in line]
        assert delays[1] > delays[0]  # backing off, not spinning
        smtp = start_smtp(store, smtp_port)
        try:
            await wait_for_mail(store, lambda m: account["user"]["email"] in m.recipients, timeout=40)
            await wait_for(lambda: "job.completed" in worker.log(), timeout=10, what="job completed")
        finally:
            smtp.stop()
    assert len([m for m in store.all() if account["user"]["email"] in m.recipients]) == 1
    async with platform_session() as session:
        status = await session.scalar(
            text("SELECT status FROM platform.email_deliveries WHERE job_id = :id"), {"id": row["id"]}
        )
    assert status == "sent"
    assert deadletters.count_dead(broker) == {"default": 0}


async def test_a_job_sent_while_a_nightly_batch_is_queued_does_not_wait_for_the_batch(
    redis_server: PrivateRedis, broker: RedisBroker, tenant_id: str, tmp_path: Path
) -> None:
    """The scheduler puts one message per workspace on the batch queue; the same worker consumes the default queue
    with its own prefetch, so a mail or an import sent meanwhile is done long before the batch is."""
    for n in range(60):
        send(broker, "probe.nap", tenant_id, queue=BATCH_QUEUE, label=f"batch-{n}", seconds=0.2)
    send(broker, "probe.nap", tenant_id, label="interactive", seconds=0)
    with WorkerProcess(redis_server.url, tmp_path / "worker.log") as worker:
        await wait_for(lambda: "label=interactive" in worker.log(), timeout=40, what="interactive job done")
        before = worker.log().split("label=interactive")[0].count("label=batch-")
        await wait_for(lambda: worker.log().count("label=batch-") == 60, timeout=60, what="batch done")
    # on one queue all 60 would run first; here only those the worker had already taken
    assert before < 20, f"{before} batch jobs ran before the interactive one"
