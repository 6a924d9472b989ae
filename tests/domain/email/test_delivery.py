"""At most once per job, and never lost: only a recorded send ends a job quietly."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from guanxi.config import get_settings
from guanxi.db.tenancy import platform_session
from guanxi.domain.email.service import DeliveryInProgressError, Email, send_once
from guanxi_dev.mailcatcher import MailStore, start_smtp
from sqlalchemy import text

from tests.services import free_port


@pytest.fixture
def mailbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MailStore]:
    store, port = MailStore(tmp_path), free_port()
    controller = start_smtp(store, port)
    monkeypatch.setattr(get_settings(), "smtp_port", port)
    monkeypatch.setattr(get_settings(), "smtp_host", "127.0.0.1")
    yield store
    controller.stop()


def mail(to: str) -> Email:
    return Email(to=to, subject="测试 subject", text="正文", html="<p>正文</p>")


async def test_second_delivery_of_a_sent_job_sends_nothing(mailbox: MailStore) -> None:
    job = uuid.uuid4()
    async with platform_session() as session:
        assert await send_once(session, job, None, mail("a@example.com"), "test") is True
        assert await send_once(session, job, None, mail("a@example.com"), "test") is False
    assert len(mailbox.all()) == 1


async def test_a_delivery_in_progress_makes_the_other_retry_not_vanish(mailbox: MailStore) -> None:
    job = uuid.uuid4()
    async with platform_session() as session:
        await session.execute(
            text(
                "INSERT INTO platform.email_deliveries (job_id, recipient, template, status) "
                "VALUES (:j, 'b@example.com', 'test', 'sending')"
            ),
            {"j": job},
        )
        await session.commit()
        with pytest.raises(DeliveryInProgressError):
            await send_once(session, job, None, mail("b@example.com"), "test")
        assert mailbox.all() == []
        # the other delivery died: once its claim is stale the retry sends
        await session.execute(
            text("UPDATE platform.email_deliveries SET claimed_at = now() - interval '1 hour' WHERE job_id = :j"),
            {"j": job},
        )
        await session.commit()
        assert await send_once(session, job, None, mail("b@example.com"), "test") is True
    assert [m.recipients for m in mailbox.all()] == [["b@example.com"]]


async def test_a_failed_send_gives_the_claim_back(monkeypatch: pytest.MonkeyPatch) -> None:
    job = uuid.uuid4()
    monkeypatch.setattr(get_settings(), "smtp_port", free_port())  # nothing listens there
    async with platform_session() as session:
        with pytest.raises(OSError):
            await send_once(session, job, None, mail("c@example.com"), "test")
        left = await session.scalar(
            text("SELECT count(*) FROM platform.email_deliveries WHERE job_id = :j"), {"j": job}
        )
    assert left == 0
