"""Reminders: a task's reminder that has come due is asked for once, mailed once to its assignee in their
language, and skipped when the task was done or deleted in between."""

from __future__ import annotations

import uuid
from typing import Any

from guanxi.db.tenancy import platform_session
from guanxi.domain.activities.tasks import schedule_due_reminders, send_reminder_mail
from guanxi.jobs import JobContext
from guanxi_dev.mailcatcher import MailStore
from sqlalchemy import text

from tests.api.test_activities import log
from tests.api.test_admin import join
from tests.api.test_customers import add_account
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for
from tests.domain.email.test_delivery import mailbox  # noqa: F401 -- the real SMTP catcher fixture


async def queued_reminders(tenant_id: str) -> list[str]:
    async with platform_session() as session:
        rows = await session.execute(
            text(
                "SELECT payload->>'activity_id' FROM platform.outbox "
                "WHERE actor = 'activities.send_reminder' AND tenant_id = CAST(:t AS uuid)"
            ),
            {"t": tenant_id},
        )
        return [row[0] for row in rows]


async def test_a_due_reminder_is_mailed_once_to_the_assignee_in_their_language(
    client: Any,
    mailbox: MailStore,  # noqa: F811
) -> None:
    owner = await signed_up(client, locale="zh-Hans")
    rep = await join(client, owner, "sales_rep")
    account = await add_account(client, owner, name="深圳华强电子")
    due = await log(
        client, owner, kind="task", account_id=account["id"], subject="准备合同", due_at="2026-12-01T09:00:00Z",
        reminder_at="2020-01-01T00:00:00Z", owner_id=owner["user"]["id"],
    )  # fmt: skip
    later = await log(
        client, owner, kind="task", account_id=account["id"], subject="Later", due_at="2099-12-01T09:00:00Z",
        reminder_at="2099-11-30T09:00:00Z",
    )  # fmt: skip
    done = await log(
        client, owner, kind="task", account_id=account["id"], subject="Done already", due_at="2026-12-01T09:00:00Z",
        reminder_at="2020-01-01T00:00:00Z",
    )  # fmt: skip
    await client.post(f"/api/v1/activities/{done['id']}/done", headers=bearer(owner))
    job = await job_for(owner["workspace"]["id"])
    assert await schedule_due_reminders(job) == 1
    assert await schedule_due_reminders(job) == 0  # asked for once
    assert await queued_reminders(owner["workspace"]["id"]) == [due["id"]]
    assert later["id"] and rep
    delivery = JobContext(uuid.uuid4(), job.scope)
    assert await send_reminder_mail(delivery, uuid.UUID(due["id"])) is True
    assert await send_reminder_mail(delivery, uuid.UUID(due["id"])) is False  # the same job twice: one mail
    mails = mailbox.all()
    assert len(mails) == 1
    assert mails[0].recipients == [owner["user"]["email"]]
    assert mails[0].subject == "提醒：准备合同"
    assert "深圳华强电子" in mails[0].text and f"/accounts/{account['id']}" in mails[0].text
    assert "2026-12-01 17:00 (Asia/Shanghai)" in mails[0].text  # 09:00 UTC, in the workspace's zone


async def test_a_reminder_shows_the_due_time_in_the_assignees_own_zone(
    client: Any,
    mailbox: MailStore,  # noqa: F811
) -> None:
    owner = await signed_up(client, locale="zh-Hans")
    chosen = await client.patch("/api/v1/me", json={"timezone": "Europe/Berlin"}, headers=bearer(owner))
    assert chosen.status_code == 200, chosen.text
    account = await add_account(client, owner, name="深圳华强电子")
    due = await log(
        client, owner, kind="task", account_id=account["id"], subject="准备合同", due_at="2026-12-01T09:00:00Z",
        reminder_at="2020-01-01T00:00:00Z",
    )  # fmt: skip
    job = await job_for(owner["workspace"]["id"])
    assert await send_reminder_mail(JobContext(uuid.uuid4(), job.scope), uuid.UUID(due["id"])) is True
    assert "2026-12-01 10:00 (Europe/Berlin)" in mailbox.all()[0].text


async def test_a_reminder_of_a_deleted_task_is_not_sent(client: Any, mailbox: MailStore) -> None:  # noqa: F811
    owner = await signed_up(client)
    account = await add_account(client, owner)
    task = await log(
        client, owner, kind="task", account_id=account["id"], subject="Gone", due_at="2026-12-01T09:00:00Z",
        reminder_at="2020-01-01T00:00:00Z",
    )  # fmt: skip
    job = await job_for(owner["workspace"]["id"])
    assert await schedule_due_reminders(job) == 1
    await client.delete(f"/api/v1/activities/{task['id']}", headers=bearer(owner))
    assert await send_reminder_mail(JobContext(uuid.uuid4(), job.scope), uuid.UUID(task["id"])) is False
    assert mailbox.all() == []
