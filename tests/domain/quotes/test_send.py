"""Sending a quote: the API queues the job, the worker draws the PDF and mails it to the contact (or the address
given), the quote becomes sent once the mail left, and a second delivery of the job sends nothing more."""

from __future__ import annotations

import email
import email.policy
import uuid
from typing import Any

from guanxi.db.tenancy import platform_session
from guanxi.domain.outbox.models import OutboxMessage
from guanxi.domain.quotes.tasks import send_quote
from guanxi.jobs import JobContext
from guanxi_dev.mailcatcher import MailStore
from sqlalchemy import select

from tests.api.test_customers import add_account, add_contact
from tests.api.test_quotes import add_quote, pdf_text
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for
from tests.domain.email.test_delivery import mailbox  # noqa: F401 -- the real SMTP catcher fixture


def attachments(store: MailStore, mail_id: str) -> list[tuple[str, str, bytes]]:
    raw = (store.folder / f"{mail_id}.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return [
        (part.get_filename() or "", part.get_content_type(), part.get_payload(decode=True))
        for part in message.iter_attachments()  # type: ignore[attr-defined]
    ]


async def queued(tenant_id: str, actor: str) -> list[dict[str, Any]]:
    """The payloads of the jobs ``actor`` the workspace's outbox holds, newest first."""
    async with platform_session() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.actor == actor, OutboxMessage.tenant_id == uuid.UUID(tenant_id))
            .order_by(OutboxMessage.id.desc())
        )
        return [dict(row.payload) for row in rows]


async def test_the_worker_mails_the_pdf_to_the_contact_and_marks_the_quote_sent(
    client: Any,
    mailbox: MailStore,  # noqa: F811
) -> None:
    owner = await signed_up(client, locale="zh-Hans")
    account = await add_account(client, owner, name="深圳华强电子")
    contact = await add_contact(client, owner, account["id"], emails=["buyer@huaqiang.example"])
    quote = await add_quote(client, owner, account["id"], contact_id=contact["id"],
                            lines=[{"name": "安装调试服务", "unit_price": "1500", "tax_rate": "6"}])  # fmt: skip
    answer = await client.post(f"/api/v1/quotes/{quote['id']}/send", json={"message": "王总您好，请查收。"},
                               headers=bearer(owner))  # fmt: skip
    assert answer.status_code == 202, answer.text
    assert answer.json()["to"] == "buyer@huaqiang.example"
    still = (await client.get(f"/api/v1/quotes/{quote['id']}", headers=bearer(owner))).json()
    assert still["status"] == "draft"  # sent only once the mail left
    [payload] = await queued(owner["workspace"]["id"], "quotes.send")
    job = await job_for(owner["workspace"]["id"])
    assert await send_quote(job, uuid.UUID(payload["quote_id"]), payload["to"], payload["message"]) is True
    [mail] = mailbox.all()
    assert mail.recipients == ["buyer@huaqiang.example"] and quote["number"] in mail.subject
    assert "王总您好，请查收。" in mail.text and "1,590.00" in mail.text
    [(filename, mime, content)] = attachments(mailbox, mail.id)
    assert (filename, mime) == (f"{quote['number']}.pdf", "application/pdf")
    assert quote["number"] in pdf_text(content) and "安装调试服务" in pdf_text(content)
    sent = (await client.get(f"/api/v1/quotes/{quote['id']}", headers=bearer(owner))).json()
    assert sent["status"] == "sent" and sent["sent_to"] == "buyer@huaqiang.example" and sent["sent_at"]
    retried = JobContext(job_id=job.job_id, scope=job.scope)
    assert await send_quote(retried, uuid.UUID(payload["quote_id"]), payload["to"], payload["message"]) is False
    assert len(mailbox.all()) == 1  # the second delivery of the same job sends nothing


async def test_sending_needs_an_address_and_an_open_quote(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    contact = await add_contact(client, owner, account["id"])
    quote = await add_quote(client, owner, account["id"], contact_id=contact["id"])
    path = f"/api/v1/quotes/{quote['id']}/send"
    nowhere = await client.post(path, json={}, headers=bearer(owner))
    assert nowhere.status_code == 422 and nowhere.json()["errors"][0]["field"] == "to"
    for bad in ("not an email", "x" * 300, "'; DROP TABLE quotes; --@x"):
        answer = await client.post(path, json={"to": bad}, headers=bearer(owner))
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "to", answer.text
    too_long = await client.post(path, json={"to": "a@example.com", "message": "长" * 5001}, headers=bearer(owner))
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "message"
    assert (
        await client.post(f"/api/v1/quotes/{quote['id']}/accept", json={}, headers=bearer(owner))
    ).status_code == 200
    decided = await client.post(path, json={"to": "a@example.com"}, headers=bearer(owner))
    assert decided.status_code == 409
