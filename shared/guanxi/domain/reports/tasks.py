"""Scheduled delivery of saved reports by email.

Every five minutes ``reports.schedule_deliveries`` looks, for each schedule and each recipient, at the recipient's
local time (their own zone as the schedule names it, else their profile's, else the workspace's): when the day
matches and the hour has come, it records one delivery for (schedule, recipient, local date) — unique, so a second
run or a second scheduler asks for nothing — and asks the outbox for ``reports.deliver`` in the same transaction.

``reports.deliver`` builds the report IN THE RECIPIENT'S SCOPE (never the author's), attaches it in the schedule's
formats and mails it in the recipient's language. The mail is sent once per job (``send_once``); the delivery is
marked ``sent`` only after the mail left, so a worker killed half-way leaves a ``queued`` delivery that the retry
completes without a second mail."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from guanxi.config import get_settings
from guanxi.db.tenancy import TenantScope, platform_session, scoped, tenant_session
from guanxi.domain.access.service import load_access
from guanxi.domain.billing.tasks import in_plan
from guanxi.domain.email.service import Email, render, send_once
from guanxi.domain.identity.models import User
from guanxi.domain.outbox.service import enqueue
from guanxi.domain.reports import service
from guanxi.domain.reports.models import ReportDelivery, ReportSchedule, SavedReport
from guanxi.domain.tenancy.models import WorkspaceSettings
from guanxi.errors import DomainError
from guanxi.jobs import JobContext, tenant_job

log = structlog.get_logger("reports")


def is_due(schedule: ReportSchedule, local: dt.datetime) -> bool:
    if local.hour < schedule.hour:
        return False
    if schedule.frequency == "weekly":
        return local.weekday() == schedule.weekday
    if schedule.frequency == "monthly":
        return local.day == schedule.day_of_month
    return True


async def schedule_deliveries(job: JobContext, now: dt.datetime | None = None) -> int:
    """Record and ask for the deliveries due at ``now`` (the real time unless a test freezes it)."""
    moment = now or dt.datetime.now(dt.UTC)
    options = scoped(job.scope)
    asked = 0
    async with tenant_session(job.scope) as session:
        plans = list(await session.scalars(select(ReportSchedule), execution_options=options))
        if not plans or not await in_plan(job, "scheduled_reports"):  # kept for a plan that has them, not sent
            return 0
        workspace_zone = await session.scalar(select(WorkspaceSettings.timezone).limit(1), execution_options=options)
        member_ids = {uuid.UUID(r["member_id"]) for p in plans for r in p.recipients}
        async with platform_session() as platform:
            zones = dict((await platform.execute(select(User.id, User.timezone).where(User.id.in_(member_ids)))).all())
        for plan in plans:
            for recipient in plan.recipients:
                member_id = uuid.UUID(recipient["member_id"])
                zone = recipient.get("timezone") or zones.get(member_id) or workspace_zone or "UTC"
                if not service.known_zone(zone):
                    zone = workspace_zone or "UTC"
                local = moment.astimezone(ZoneInfo(zone))
                if not is_due(plan, local):
                    continue
                made = await session.execute(
                    insert(ReportDelivery)
                    .values(id=uuid.uuid4(), schedule_id=plan.id, member_id=member_id,
                            slot=local.date().isoformat(), timezone=zone)
                    .on_conflict_do_nothing(constraint="uq_report_deliveries_slot")
                    .returning(ReportDelivery.id),
                    execution_options=options,
                )  # fmt: skip
                delivery_id = made.scalar()
                if delivery_id is not None:
                    await enqueue(session, "reports.deliver", {"delivery_id": str(delivery_id)},
                                  tenant_id=job.scope.tenant_id)  # fmt: skip
                    asked += 1
        await session.commit()
    log.info("reports.deliveries_scheduled", deliveries=asked)
    return asked


async def _answer(scope: TenantScope, delivery: ReportDelivery, report: SavedReport) -> dict[str, Any] | None:
    """The report as the recipient may see it; None when they may no longer open it."""
    reader = dataclasses.replace(scope, user_id=delivery.member_id, role=None)
    async with tenant_session(reader) as session:
        try:
            access = await load_access(session, reader)
            return await service.run_saved(session, access, report.id)
        except DomainError:
            return None
        finally:
            await session.rollback()


async def deliver_report(job: JobContext, delivery_id: uuid.UUID) -> str:
    options = scoped(job.scope)
    async with tenant_session(job.scope) as session:
        delivery = await session.get(ReportDelivery, delivery_id, execution_options=options)
        if delivery is None or delivery.status != "queued":
            return "done"
        plan = await session.get(ReportSchedule, delivery.schedule_id, execution_options=options)
        report = await session.get(SavedReport, plan.saved_report_id, execution_options=options) if plan else None
        await session.commit()
    answer = await _answer(job.scope, delivery, report) if plan and report else None
    async with platform_session() as platform:
        user = await platform.get(User, delivery.member_id)
        if answer is None or user is None or plan is None or report is None:
            outcome = "skipped"
        else:
            started = time.monotonic()
            stamp = delivery.slot
            files = tuple(
                (f"{report.name}-{stamp}.{fmt}", service.FORMATS[fmt].split(";")[0], service.export(answer, fmt))
                for fmt in plan.formats
            )
            subject, text, html = render(
                "report_delivery", user.locale, name=user.name, report=report.name, slot=stamp,
                rows=len(answer["rows"]), truncated=answer["truncated"],
                url=f"{get_settings().public_url}/reports/saved/{report.id}",
            )  # fmt: skip
            await send_once(platform, job.job_id, job.scope.tenant_id,
                            Email(user.email, subject, text, html, files), "report_delivery")  # fmt: skip
            outcome = "sent"
            log.info("reports.delivered", delivery_id=str(delivery_id), ms=int((time.monotonic() - started) * 1000))
    async with tenant_session(job.scope) as session:
        await session.execute(
            update(ReportDelivery)
            .where(ReportDelivery.id == delivery_id, ReportDelivery.status == "queued")
            .values(status=outcome, sent_at=func.now() if outcome == "sent" else None),
            execution_options=options,
        )
        await session.commit()
    return outcome


@tenant_job("reports.schedule_deliveries", time_limit_ms=300_000, max_retries=3)
async def schedule(job: JobContext) -> None:
    await schedule_deliveries(job)


@tenant_job("reports.deliver", time_limit_ms=300_000, max_retries=8)
async def deliver(job: JobContext, delivery_id: str) -> None:
    outcome = await deliver_report(job, uuid.UUID(delivery_id))
    log.info("reports.delivery_" + outcome, delivery_id=delivery_id)
