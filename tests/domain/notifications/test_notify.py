"""The notification core: raised once per key, in each member's language, by their preferences, mailed at
once or in the daily digest, and never to someone outside the workspace."""

from __future__ import annotations

import uuid
from typing import Any

from guanxi.db.tenancy import platform_session, scoped, tenant_session
from guanxi.domain.notifications.models import Notification, NotificationPreference
from guanxi.domain.notifications.service import Kind, notify, preferences, register_kind, schedule_digests
from guanxi.domain.notifications.tasks import mail_digest, mail_notification
from guanxi.jobs import JobContext
from guanxi.periodic import SCHEDULE
from guanxi_dev.mailcatcher import MailStore
from sqlalchemy import select, text

from tests.api.test_admin import join
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for
from tests.domain.email.test_delivery import mailbox  # noqa: F401 -- the real SMTP catcher fixture

PROBE = register_kind(
    Kind(
        "probe.alert",
        {
            "en": ("{account} needs a call", "Nothing since {days} days"),
            "zh-Hans": ("{account} 需要联系", "已 {days} 天没有跟进"),
        },
        email="instant",
    )
)


async def outbox(tenant_id: str, actor: str) -> list[dict[str, Any]]:
    async with platform_session() as session:
        return list(
            (
                await session.execute(
                    text("SELECT payload FROM platform.outbox WHERE actor = :a AND tenant_id = CAST(:t AS uuid)"),
                    {"a": actor, "t": tenant_id},
                )
            ).scalars()
        )


async def test_a_notification_is_raised_once_per_key_in_each_members_language_and_preference(
    client: Any,
    mailbox: MailStore,  # noqa: F811
) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    assert (await client.patch("/api/v1/me", json={"locale": "zh-Hans"}, headers=bearer(rep))).status_code == 200
    stranger = await signed_up(client)
    job = await job_for(owner["workspace"]["id"])
    owner_id, rep_id = uuid.UUID(owner["user"]["id"]), uuid.UUID(rep["user"]["id"])
    async with tenant_session(job.scope) as session:
        session.add(NotificationPreference(user_id=rep_id, kind="probe.alert", in_app=True, email="digest"))
        await session.commit()
        assert (await preferences(session, job.scope, rep_id))["probe.alert"] == (True, "digest")
        assert (await preferences(session, job.scope, owner_id))["probe.alert"] == (True, "instant")
        params = {"account": "深圳华强\n电子 🚀", "days": 30}
        recipients = [owner_id, rep_id, uuid.UUID(stranger["user"]["id"])]
        assert await notify(session, job.scope, "probe.alert", recipients, params, link="/accounts/x", key="k1") == 2
        assert await notify(session, job.scope, "probe.alert", recipients, params, link="/accounts/x", key="k1") == 0
        await session.commit()
        rows = {n.user_id: n for n in await session.scalars(select(Notification), execution_options=scoped(job.scope))}
    assert set(rows) == {owner_id, rep_id}  # the stranger is no member: nothing for them
    assert rows[owner_id].title == "深圳华强 电子 🚀 needs a call" and rows[owner_id].email == "instant"
    assert rows[rep_id].title == "深圳华强 电子 🚀 需要联系" and rows[rep_id].body == "已 30 天没有跟进"
    assert rows[rep_id].email == "digest" and rows[rep_id].emailed_at is None
    [instant] = await outbox(owner["workspace"]["id"], "notifications.send_email")
    assert instant == {"notification_id": str(rows[owner_id].id)}

    delivery = JobContext(uuid.uuid4(), job.scope)
    assert await mail_notification(delivery, rows[owner_id].id) is True
    assert await mail_notification(delivery, rows[owner_id].id) is False  # delivered twice: one mail
    [mail] = mailbox.all()
    assert mail.recipients == [owner["user"]["email"]] and mail.subject == "深圳华强 电子 🚀 needs a call"
    assert "/accounts/x" in mail.text

    assert "notifications.send_digests" in {p.actor for p in SCHEDULE}
    async with tenant_session(job.scope) as session:
        assert await schedule_digests(session, job.scope) == 1
        assert await schedule_digests(session, job.scope) == 0  # taken once
        await session.commit()
    [digest] = await outbox(owner["workspace"]["id"], "notifications.send_digest")
    assert digest == {"user_id": str(rep_id), "notification_ids": [str(rows[rep_id].id)]}
    assert await mail_digest(JobContext(uuid.uuid4(), job.scope), rep_id, [rows[rep_id].id]) is True
    mails = [m for m in mailbox.all() if m.recipients == [rep["user"]["email"]]]
    assert len(mails) == 1 and "1 条新通知" in mails[0].subject and "已 30 天没有跟进" in mails[0].text


async def test_a_kind_switched_off_in_the_app_and_by_mail_is_not_raised(client: Any) -> None:
    owner = await signed_up(client)
    job = await job_for(owner["workspace"]["id"])
    owner_id = uuid.UUID(owner["user"]["id"])
    async with tenant_session(job.scope) as session:
        session.add(NotificationPreference(user_id=owner_id, kind="probe.alert", in_app=False, email="none"))
        await session.commit()
        assert await notify(session, job.scope, "probe.alert", [owner_id], {"account": "A", "days": 1}) == 0
        await session.rollback()
    assert await outbox(owner["workspace"]["id"], "notifications.send_email") == []
