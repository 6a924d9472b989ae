"""The daily contract reminder: the owner of an active contract ending within the workspace's reminder days gets
one mail in their language, once per end date; drafts, far-off and past contracts get none."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from guanxi.domain.contracts.tasks import queue_reminders, send_reminder_mail
from guanxi.jobs import JobContext
from guanxi.periodic import SCHEDULE
from guanxi_dev.mailcatcher import MailStore

from tests.api.test_contracts import add_contract
from tests.api.test_customers import add_account
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for
from tests.domain.email.test_delivery import mailbox  # noqa: F401 -- the real SMTP catcher fixture
from tests.domain.quotes.test_send import queued


async def test_the_owner_hears_once_of_a_contract_ending_soon(client: Any, mailbox: MailStore) -> None:  # noqa: F811
    assert "contracts.remind_expiring" in {p.actor for p in SCHEDULE}
    owner = await signed_up(client, locale="zh-Hans")
    account = await add_account(client, owner, name="深圳华强电子")
    today = dt.date.today()
    soon = await add_contract(client, owner, account["id"], status="active", end_date=str(today + dt.timedelta(20)))
    await add_contract(client, owner, account["id"], status="active", end_date=str(today + dt.timedelta(40)))
    await add_contract(client, owner, account["id"], end_date=str(today + dt.timedelta(3)))  # a draft
    await add_contract(client, owner, account["id"], status="active", start_date=str(today - dt.timedelta(99)),
                       end_date=str(today - dt.timedelta(2)))  # fmt: skip
    job = await job_for(owner["workspace"]["id"])
    assert await queue_reminders(job) == 1
    assert await queue_reminders(job) == 0  # the next day's run: already reminded of this end date
    [payload] = await queued(owner["workspace"]["id"], "contracts.send_reminder")
    assert payload["contract_id"] == soon["id"]
    mail_job = JobContext(job_id=uuid.uuid4(), scope=job.scope)
    facts = {k: payload[k] for k in ("number", "account", "end_date", "days")} | {"contract": payload["name"]}
    assert await send_reminder_mail(mail_job, uuid.UUID(payload["contract_id"]), uuid.UUID(payload["owner_id"]),
                                    **facts) is True  # fmt: skip
    assert await send_reminder_mail(mail_job, uuid.UUID(payload["contract_id"]), uuid.UUID(payload["owner_id"]),
                                    **facts) is False  # fmt: skip
    [mail] = mailbox.all()
    assert mail.recipients == [owner["user"]["email"]] and soon["number"] in mail.subject and "到期" in mail.subject
    assert "深圳华强电子" in mail.text and f"还有 {payload['days']} 天" in mail.text  # in the workspace's time zone
    moved = await client.patch(f"/api/v1/contracts/{soon['id']}", json={"end_date": str(today + dt.timedelta(25))},
                               headers=bearer(owner))  # fmt: skip
    assert moved.status_code == 200
    assert await queue_reminders(job) == 1  # a new end date is reminded of again
