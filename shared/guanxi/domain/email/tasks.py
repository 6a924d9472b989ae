"""Email actors."""

from __future__ import annotations

import uuid

import structlog

from guanxi.config import get_settings
from guanxi.db.tenancy import platform_session
from guanxi.domain.email.service import Email, render, send_once
from guanxi.domain.identity.models import User
from guanxi.domain.identity.service import email_verification_token
from guanxi.domain.tenancy.models import Tenant
from guanxi.jobs import JobContext, tenant_job

log = structlog.get_logger("email")


@tenant_job("email.send_welcome", time_limit_ms=60_000, max_retries=8)
async def send_welcome(job: JobContext, user_id: str) -> None:
    settings = get_settings()
    async with platform_session() as session:
        user = await session.get(User, uuid.UUID(user_id))
        tenant = await session.get(Tenant, job.scope.tenant_id)
        if user is None or tenant is None:
            log.warning("email.recipient_gone", user_id=user_id)
            return
        link = f"{settings.public_url}/verify?token={email_verification_token(user.id)}"
        subject, text, html = render(
            "welcome",
            user.locale,
            name=user.name,
            company=tenant.name,
            verify_url=link,
            login_url=f"{settings.public_url}/login",
        )
        sent = await send_once(session, job.job_id, tenant.id, Email(user.email, subject, text, html), "welcome")
    log.info("email.welcome_sent" if sent else "email.already_sent", user_id=user_id)
