"""Contract actors: the daily expiry reminders, one mail to the owner per contract and end date."""

from __future__ import annotations

import datetime as dt
import uuid

import structlog

from guanxi.config import get_settings
from guanxi.db.tenancy import platform_session, tenant_session
from guanxi.domain.contracts import service
from guanxi.domain.email.service import Email, render, send_once
from guanxi.domain.identity.models import User
from guanxi.domain.outbox.service import enqueue
from guanxi.jobs import JobContext, tenant_job

log = structlog.get_logger("contracts")


async def queue_reminders(job: JobContext) -> int:
    """Take every reminder that is due (marked in the same transaction as its mail job: none lost, none twice)."""
    async with tenant_session(job.scope) as session:
        queued = 0
        for due in await service.due_reminders(session, job.scope):
            if await service.mark_reminded(session, job.scope, due["id"], due["end_date"]):
                payload = {"contract_id": str(due["id"]), "owner_id": str(due["owner_id"]), "number": due["number"],
                           "name": due["name"], "account": due["account_name"],
                           "end_date": due["end_date"].isoformat(), "days": due["days"]}  # fmt: skip
                await enqueue(session, "contracts.send_reminder", payload, tenant_id=job.scope.tenant_id)
                queued += 1
        await session.commit()
    log.info("contracts.reminders_queued", count=queued)
    return queued


async def send_reminder_mail(job: JobContext, contract_id: uuid.UUID, owner_id: uuid.UUID, **facts: object) -> bool:
    async with platform_session() as session:
        user = await session.get(User, owner_id)
        if user is None:
            return False
        url = f"{get_settings().public_url}/contracts/{contract_id}"
        subject, text, html = render("contract_expiry", user.locale, name=user.name, url=url, **facts)
        return await send_once(
            session, job.job_id, job.scope.tenant_id, Email(user.email, subject, text, html), "contract_expiry"
        )


@tenant_job("contracts.remind_expiring", time_limit_ms=600_000, max_retries=3)
async def remind_expiring(job: JobContext) -> None:
    await queue_reminders(job)


@tenant_job("contracts.send_reminder", time_limit_ms=60_000, max_retries=8)
async def send_reminder(
    job: JobContext, contract_id: str, owner_id: str, number: str, name: str, account: str, end_date: str, days: int
) -> None:
    sent = await send_reminder_mail(
        job, uuid.UUID(contract_id), uuid.UUID(owner_id), number=number, contract=name, account=account,
        end_date=dt.date.fromisoformat(end_date).isoformat(), days=days,
    )  # fmt: skip
    log.info("contracts.reminder_sent" if sent else "contracts.reminder_skipped", contract_id=contract_id)
