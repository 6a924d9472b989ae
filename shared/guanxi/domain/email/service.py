"""Transactional email: rendered per language, sent over SMTP, at most once per job."""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.config import get_settings
from guanxi.db.base import utcnow
from guanxi.domain.email.models import EmailDelivery

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

STALE_CLAIM = "3 minutes"  # well past the email actors' time limit


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    attachments: tuple[tuple[str, str, bytes], ...] = ()  # (file name, MIME type, content)


def render(template: str, locale: str, **context: object) -> tuple[str, str, str]:
    """Subject, text and HTML of ``template`` in ``locale`` (English when it has no translation)."""
    folder = locale if (Path(__file__).parent / "templates" / locale).is_dir() else "en"
    subject = TEMPLATES.get_template(f"{folder}/{template}.subject.txt").render(**context).strip()
    body_text = TEMPLATES.get_template(f"{folder}/{template}.txt").render(**context)
    body_html = TEMPLATES.get_template(f"{folder}/{template}.html").render(**context)
    return subject, body_text, body_html


def _smtp_send(message: EmailMessage) -> None:
    settings = get_settings()
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username and settings.smtp_password:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)


class DeliveryInProgressError(RuntimeError):
    """Another delivery of this job is sending right now (or died doing so): retry later."""


async def claim(session: AsyncSession, job_id: uuid.UUID, tenant_id: uuid.UUID | None, to: str, template: str) -> str:
    """Take the job: ``claimed``, or ``sent`` (done already), or ``busy`` (a fresh claim of another delivery)."""
    result = await session.execute(
        text(
            "INSERT INTO platform.email_deliveries (job_id, tenant_id, recipient, template, status) "
            "VALUES (:job_id, :tenant_id, :to, :template, 'sending') "
            "ON CONFLICT (job_id) DO UPDATE SET claimed_at = now() "
            "WHERE email_deliveries.status = 'sending' "
            f"AND email_deliveries.claimed_at < now() - interval '{STALE_CLAIM}' "
            "RETURNING job_id"
        ),
        {"job_id": job_id, "tenant_id": tenant_id, "to": to, "template": template},
    )
    if result.first() is not None:
        return "claimed"
    status = await session.scalar(select(EmailDelivery.status).where(EmailDelivery.job_id == job_id))
    return "sent" if status == "sent" else "busy"


async def send_once(
    session: AsyncSession, job_id: uuid.UUID, tenant_id: uuid.UUID | None, email: Email, template: str
) -> bool:
    """Send ``email`` unless this job already did; commits its own claim so retries can see it.

    Only a recorded ``sent`` ends the job quietly. A claim held by another delivery raises, so the job is
    retried (a claim left by a crashed or timed-out delivery goes stale after a few minutes).
    """
    outcome = await claim(session, job_id, tenant_id, email.to, template)
    if outcome == "sent":
        return False
    if outcome == "busy":
        raise DeliveryInProgressError(f"job {job_id} is being sent by another delivery")
    await session.commit()
    message = EmailMessage()
    message["From"] = get_settings().mail_from
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Message-ID"] = make_msgid(idstring=str(job_id), domain="guanxi.local")
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    for filename, mime, content in email.attachments:
        maintype, _, subtype = mime.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    try:
        await asyncio.to_thread(_smtp_send, message)
    except BaseException:  # cancelled by the time limit too: give the claim back for the retry
        await session.rollback()
        await session.execute(delete(EmailDelivery).where(EmailDelivery.job_id == job_id))
        await session.commit()
        raise
    await session.execute(
        update(EmailDelivery).where(EmailDelivery.job_id == job_id).values(status="sent", sent_at=utcnow())
    )
    await session.commit()
    return True
