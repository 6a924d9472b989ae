"""Payment reminders: every day, each owner of an instalment that falls due within the workspace's reminder days
(``payment_reminder_days``, 3 unless changed) gets one mail naming those instalments and listing the overdue ones.
An instalment is reminded of once: the daily run marks it (``reminded_at``) in the same transaction that asks for
the mail through the outbox."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from typing import Any

import structlog
from sqlalchemy import func, select, update

from guanxi.config import get_settings
from guanxi.db.tenancy import TenantScope, platform_session, scoped, tenant_session
from guanxi.domain.customers.models import Account
from guanxi.domain.email.service import Email, render, send_once
from guanxi.domain.identity.models import User
from guanxi.domain.numbering.service import workspace_today
from guanxi.domain.orders.models import Instalment, Order
from guanxi.domain.outbox.service import enqueue
from guanxi.domain.tenancy.models import WorkspaceSettings
from guanxi.jobs import JobContext, tenant_job

log = structlog.get_logger("payments")
OPEN = ("pending", "partly_paid")
LISTED = 30  # overdue instalments named in one mail; the rest are counted


async def schedule_reminders(job: JobContext) -> int:
    """Mark the instalments due within the reminder days that were not reminded of, and ask for one mail per
    owner; returns the number of owners to mail."""
    options = scoped(job.scope)
    async with tenant_session(job.scope) as session:
        days = await session.scalar(select(WorkspaceSettings.payment_reminder_days).limit(1), execution_options=options)
        today = await workspace_today(session, job.scope)
        marked = await session.execute(
            update(Instalment)
            .where(
                Instalment.status.in_(OPEN),
                Instalment.reminded_at.is_(None),
                Instalment.owner_id.is_not(None),
                Instalment.due_date.between(today, today + dt.timedelta(days=3 if days is None else days)),
            )
            .values(reminded_at=func.now())
            .returning(Instalment.id, Instalment.owner_id),
            execution_options=options,
        )
        per_owner: dict[uuid.UUID, list[str]] = defaultdict(list)
        for instalment_id, owner_id in marked:
            if owner_id is not None:
                per_owner[owner_id].append(str(instalment_id))
        for owner_id, ids in per_owner.items():
            await enqueue(session, "payments.send_reminder", {"owner_id": str(owner_id), "instalment_ids": ids},
                          tenant_id=job.scope.tenant_id)  # fmt: skip
        await session.commit()
    log.info("payments.reminders_scheduled", owners=len(per_owner))
    return len(per_owner)


async def _listed(scope: TenantScope, owner_id: uuid.UUID, ids: list[uuid.UUID]) -> tuple[list[Any], list[Any]]:
    """The owner's instalments ``ids`` still open, and all their overdue ones, with order number and customer."""
    async with tenant_session(scope) as session:
        today = await workspace_today(session, scope)
        rows = (
            await session.execute(
                select(Instalment.id, Instalment.due_date, Instalment.currency, Order.id.label("order_id"),
                       Order.number, Account.name.label("account"),
                       (Instalment.amount - Instalment.collected).label("open"))
                .join(Order, Order.id == Instalment.order_id)
                .join(Account, Account.id == Instalment.account_id)
                .where(Instalment.owner_id == owner_id, Instalment.status.in_(OPEN),
                       (Instalment.id.in_(ids)) | (Instalment.due_date < today))
                .order_by(Instalment.due_date, Instalment.id),
                execution_options=scoped(scope),
            )
        ).all()  # fmt: skip
        await session.commit()
    return [r for r in rows if r.id in ids], [r for r in rows if r.due_date < today and r.id not in ids]


async def send_reminder_mail(job: JobContext, owner_id: uuid.UUID, instalment_ids: list[uuid.UUID]) -> bool:
    due, overdue = await _listed(job.scope, owner_id, instalment_ids)
    if not due:
        return False  # paid or voided since the run: nothing to remind of
    async with platform_session() as session:
        user = await session.get(User, owner_id)
        if user is None:
            return False
        base = get_settings().public_url

        def item(row: Any) -> dict[str, Any]:
            return {"number": row.number, "account": row.account, "due_date": row.due_date.isoformat(),
                    "amount": f"{row.open:,.2f} {row.currency}", "url": f"{base}/orders/{row.order_id}"}  # fmt: skip

        subject, text, html = render(
            "payment_reminder", user.locale, name=user.name, count=len(due), due=[item(r) for r in due],
            overdue=[item(r) for r in overdue[:LISTED]], more=max(len(overdue) - LISTED, 0),
            url=f"{base}/receivables",
        )  # fmt: skip
        return await send_once(
            session, job.job_id, job.scope.tenant_id, Email(user.email, subject, text, html), "payment_reminder"
        )


@tenant_job("payments.remind", time_limit_ms=600_000, max_retries=3)
async def remind(job: JobContext) -> None:
    await schedule_reminders(job)


@tenant_job("payments.send_reminder", time_limit_ms=60_000, max_retries=8)
async def send_reminder(job: JobContext, owner_id: str, instalment_ids: list[str]) -> None:
    sent = await send_reminder_mail(job, uuid.UUID(owner_id), [uuid.UUID(i) for i in instalment_ids])
    log.info("payments.reminder_sent" if sent else "payments.reminder_skipped", owner_id=owner_id)
