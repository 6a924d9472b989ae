"""Quote actors: mail a quote as a PDF, then mark it sent."""

from __future__ import annotations

import uuid

import structlog
from babel.numbers import format_currency

from guanxi.db.tenancy import platform_session, tenant_session
from guanxi.domain.email.service import Email, render, send_once
from guanxi.domain.quotes import service
from guanxi.domain.quotes.pdf import BABEL_LOCALE
from guanxi.domain.quotes.printing import quote_pdf, template_for
from guanxi.jobs import JobContext, tenant_job

log = structlog.get_logger("quotes")


async def send_quote(job: JobContext, quote_id: uuid.UUID, to: str, message: str | None) -> bool:
    """Draw the PDF and mail it (at most once per job), then mark the quote sent. A retry after the mail left
    sends nothing and only marks it; a quote answered or deleted meanwhile is not sent."""
    async with tenant_session(job.scope) as session:
        quote = await service.load(session, job.scope, quote_id)
        if quote is None or quote["status"] in ("accepted", "rejected"):
            log.info("quotes.send_skipped", quote_id=str(quote_id))
            return False
        chosen = await template_for(session, job.scope, quote["template_id"])
        document = await quote_pdf(session, job.scope, quote)
        await session.commit()
    language = chosen["language"]
    subject, text, html = render(
        "quote", language, number=quote["number"], company=chosen["company_name"], message=message,
        total=format_currency(quote["total"], quote["currency"], locale=BABEL_LOCALE[language]),
        valid_until=quote["valid_until"].isoformat() if quote["valid_until"] else None,
    )  # fmt: skip
    attachment = (f"{quote['number']}.pdf", "application/pdf", document)
    async with platform_session() as session:
        sent = await send_once(
            session, job.job_id, job.scope.tenant_id, Email(to, subject, text, html, (attachment,)), "quote"
        )
    async with tenant_session(job.scope) as session:
        await service.mark_sent(session, job.scope, quote_id, to)
        await session.commit()
    return sent


@tenant_job("quotes.send", time_limit_ms=120_000, max_retries=8)
async def send(job: JobContext, quote_id: str, to: str, message: str | None = None) -> None:
    sent = await send_quote(job, uuid.UUID(quote_id), to, message)
    log.info("quotes.sent" if sent else "quotes.send_done_before", quote_id=quote_id)
