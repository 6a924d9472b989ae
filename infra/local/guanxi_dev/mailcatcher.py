"""A local SMTP server that keeps every mail it receives, as .eml files and in a small web view.

``python -m guanxi_dev.mailcatcher --smtp-port 1025 --http-port 8025 --dir .data/mail``
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import os
import time
import uuid
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class StoredMail:
    id: str
    received_at: float
    sender: str
    recipients: list[str]
    subject: str
    text: str
    html: str


class MailStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def save(self, sender: str, recipients: list[str], data: bytes) -> str:
        """The envelope, then the message, each written aside and renamed into place: a reader that sees a
        ``.eml`` always finds it whole, with its ``.json`` beside it (readers poll while mails arrive)."""
        mail_id = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}"
        envelope = json.dumps({"sender": sender, "recipients": recipients}).encode()
        for suffix, content in ((".json", envelope), (".eml", data)):
            aside = self.folder / f".{mail_id}{suffix}.part"
            aside.write_bytes(content)
            os.replace(aside, self.folder / f"{mail_id}{suffix}")
        return mail_id

    def load(self, mail_id: str) -> StoredMail | None:
        path = self.folder / f"{Path(mail_id).name}.eml"
        if not path.exists():
            return None
        envelope = json.loads((self.folder / f"{path.stem}.json").read_text())
        message: EmailMessage = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[assignment]
        text_part = message.get_body(preferencelist=("plain",))
        html_part = message.get_body(preferencelist=("html",))
        return StoredMail(
            id=path.stem,
            received_at=int(path.stem.split("-")[0]) / 1e9,
            sender=envelope["sender"],
            recipients=envelope["recipients"],
            subject=str(message.get("Subject", "")),
            text=text_part.get_content() if text_part else "",
            html=html_part.get_content() if html_part else "",
        )

    def all(self) -> list[StoredMail]:
        mails = (self.load(p.stem) for p in sorted(self.folder.glob("*.eml"), reverse=True))
        return [m for m in mails if m is not None]

    def clear(self) -> None:
        for path in self.folder.glob("*"):
            path.unlink()


class _Handler:
    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.store.save(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def start_smtp(store: MailStore, port: int) -> Controller:
    controller = Controller(_Handler(store), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def web_app(store: MailStore) -> Any:
    from html import escape

    from litestar import Litestar, MediaType, delete, get
    from litestar.exceptions import NotFoundException

    page = (
        "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
        "<title>Local mail</title><style>body{{font:15px system-ui;margin:24px;max-width:960px}}"
        "td{{padding:6px 10px;border-bottom:1px solid #eee}}iframe{{width:100%;height:70vh;border:1px solid #ddd}}"
        "</style><h1>Local mail</h1>{}"
    )

    @get("/", media_type=MediaType.HTML)
    async def index() -> str:
        rows = "".join(
            f"<tr><td>{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(m.received_at))}</td>"
            f"<td>{escape(', '.join(m.recipients))}</td>"
            f"<td><a href='/messages/{m.id}'>{escape(m.subject)}</a></td></tr>"
            for m in store.all()
        )
        return page.format(f"<table>{rows}</table>" if rows else "<p>No mail yet.</p>")

    @get("/messages/{mail_id:str}", media_type=MediaType.HTML)
    async def show(mail_id: str) -> str:
        mail = store.load(mail_id)
        if mail is None:
            raise NotFoundException()
        body = (
            f'<iframe sandbox srcdoc="{escape(mail.html)}"></iframe>'
            if mail.html
            else f"<pre>{escape(mail.text)}</pre>"
        )
        return page.format(
            f"<p><a href='/'>All mail</a></p><h2>{escape(mail.subject)}</h2>"
            f"<p>To {escape(', '.join(mail.recipients))}</p>{body}"
        )

    @get("/api/messages")
    async def messages() -> list[dict[str, Any]]:
        return [asdict(m) for m in store.all()]

    @delete("/api/messages")
    async def clear() -> None:
        store.clear()

    return Litestar([index, show, messages, clear], logging_config=None)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    store = MailStore(args.dir)
    controller = start_smtp(store, args.smtp_port)
    try:
        uvicorn.run(web_app(store), host="127.0.0.1", port=args.http_port, log_level="warning")
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
