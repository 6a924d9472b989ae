"""The daily payment reminder: each owner is mailed once per instalment falling due within the workspace's reminder
days, in their language, with their overdue instalments listed; paid instalments and other workspaces stay out."""

from __future__ import annotations

import uuid
from typing import Any

from guanxi.db.tenancy import platform_session
from guanxi.domain.orders.tasks import schedule_reminders, send_reminder_mail
from guanxi.jobs import JobContext
from guanxi.periodic import SCHEDULE
from guanxi_dev.mailcatcher import MailStore
from sqlalchemy import text

from tests.api.test_admin import join
from tests.api.test_customers import add_account
from tests.api.test_orders import add_order, age
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for
from tests.domain.email.test_delivery import mailbox  # noqa: F401 -- the real SMTP catcher fixture


async def instalment(client: Any, who: dict[str, Any], order_id: str, amount: str) -> str:
    answer = await client.post(f"/api/v1/orders/{order_id}/instalments", json={"due_date": "2099-01-01",
                               "amount": amount}, headers=bearer(who))  # fmt: skip
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def queued(tenant_id: str) -> list[Any]:
    async with platform_session() as session:
        return list(
            (
                await session.execute(
                    text("SELECT payload FROM platform.outbox WHERE actor = 'payments.send_reminder' "
                         "AND tenant_id = CAST(:t AS uuid)"),
                    {"t": tenant_id},
                )
            ).scalars()
        )  # fmt: skip


async def test_owners_are_reminded_once_of_instalments_due_soon_with_the_overdue_listed(
    client: Any,
    mailbox: MailStore,  # noqa: F811
) -> None:
    assert "payments.remind" in {p.actor for p in SCHEDULE}
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    assert (await client.patch("/api/v1/me", json={"locale": "zh-Hans"}, headers=bearer(rep))).status_code == 200
    account = await add_account(client, rep, name="深圳华强电子")
    order = await add_order(client, rep, account["id"])
    soon = await instalment(client, rep, order["id"], "1000")
    later = await instalment(client, rep, order["id"], "2000")
    late = await instalment(client, rep, order["id"], "3000")
    paid = await instalment(client, rep, order["id"], "500")
    for instalment_id, days in ((soon, -2), (later, -10), (late, 15), (paid, -1)):
        await age(client, owner, order["id"], instalment_id, days)
    await client.post(f"/api/v1/orders/{order['id']}/payments", json={"amount": "500", "method": "cash",
                      "instalment_id": paid}, headers=bearer(rep))  # fmt: skip
    changed = await client.patch("/api/v1/admin/settings", json={"payment_reminder_days": 5}, headers=bearer(owner))
    assert changed.status_code == 200 and changed.json()["payment_reminder_days"] == 5
    bad = await client.patch("/api/v1/admin/settings", json={"payment_reminder_days": 400}, headers=bearer(owner))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "payment_reminder_days"
    job = await job_for(owner["workspace"]["id"])
    assert await schedule_reminders(job) == 1
    assert await schedule_reminders(job) == 0  # once per instalment
    [payload] = await queued(owner["workspace"]["id"])
    assert payload == {"owner_id": rep["user"]["id"], "instalment_ids": [soon]}
    delivery = JobContext(uuid.uuid4(), job.scope)
    assert await send_reminder_mail(delivery, uuid.UUID(rep["user"]["id"]), [uuid.UUID(soon)]) is True
    assert await send_reminder_mail(delivery, uuid.UUID(rep["user"]["id"]), [uuid.UUID(soon)]) is False
    [mail] = mailbox.all()
    assert mail.recipients == [rep["user"]["email"]]
    assert (
        "即将到期" in mail.subject
        and "1,000.00 CNY" in mail.text
        and "3,000.00 CNY" in mail.text
        and "深圳华强电子" in mail.text
    )
    assert "2,000.00" not in mail.text and "500.00" not in mail.text and f"/orders/{order['id']}" in mail.text
    stranger = await signed_up(client)
    assert await schedule_reminders(await job_for(stranger["workspace"]["id"])) == 0
