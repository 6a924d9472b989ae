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


@tenant_job("email.send_invitation", time_limit_ms=60_000, max_retries=8)
async def send_invitation(job: JobContext, invitation_id: str) -> None:
    from guanxi.domain.identity.models import Invitation
    from guanxi.domain.invitations.service import accept_url, invitation_status

    async with platform_session() as session:
        invitation = await session.get(Invitation, uuid.UUID(invitation_id))
        tenant = await session.get(Tenant, job.scope.tenant_id)
        if invitation is None or tenant is None or invitation.tenant_id != tenant.id:
            log.warning("email.invitation_gone", invitation_id=invitation_id)
            return
        if invitation_status(invitation) != "pending":
            log.info("email.invitation_closed", invitation_id=invitation_id)
            return
        inviter = await session.get(User, invitation.invited_by) if invitation.invited_by else None
        subject, text, html = render(
            "invitation",
            tenant.locale,
            company=tenant.name,
            inviter=inviter.name if inviter else tenant.name,
            accept_url=accept_url(invitation),
            expires=invitation.expires_at.strftime("%Y-%m-%d"),
        )
        sent = await send_once(
            session, job.job_id, tenant.id, Email(invitation.email, subject, text, html), "invitation"
        )
    log.info("email.invitation_sent" if sent else "email.already_sent", invitation_id=invitation_id)


@tenant_job("email.send_password_reset", time_limit_ms=60_000, max_retries=8)
async def send_password_reset(job: JobContext, user_id: str, expires_at: int) -> None:
    from guanxi.domain.identity.recovery import reset_url

    async with platform_session() as session:
        user = await session.get(User, uuid.UUID(user_id))
        if user is None:
            log.warning("email.recipient_gone", user_id=user_id)
            return
        subject, text, html = render(
            "password_reset", user.locale, name=user.name, reset_url=reset_url(user, expires_at)
        )
        sent = await send_once(
            session, job.job_id, job.scope.tenant_id, Email(user.email, subject, text, html), "password_reset"
        )
    log.info("email.password_reset_sent" if sent else "email.already_sent", user_id=user_id)
