"""The private services of a checkout: stable ports, no collision between checkouts, real servers."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from guanxi_dev.localservices import PG_SYSTEM_USER, allocated_ports, port_is_free
from guanxi_dev.mailcatcher import MailStore, start_smtp

from tests.services import PrivateRedis, free_port


def test_ports_are_remembered_for_a_checkout(tmp_path: Path) -> None:
    first = allocated_ports(Path("/somewhere/checkout-a"), tmp_path)
    assert allocated_ports(Path("/somewhere/checkout-a"), tmp_path) == first
    assert json.loads((tmp_path / "ports.json").read_text()) == first
    assert len(set(first.values())) == len(first)


def test_two_checkouts_get_different_ports(tmp_path: Path) -> None:
    a = allocated_ports(Path("/home/ann/guanxi"), tmp_path / "a")
    b = allocated_ports(Path("/home/ann/guanxi-copy"), tmp_path / "b")
    assert set(a.values()).isdisjoint(b.values())


def test_a_taken_port_is_skipped(tmp_path: Path) -> None:
    wanted = allocated_ports(Path("/x/y"), tmp_path / "probe")["postgres"]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", wanted))
        busy.listen()
        assert not port_is_free(wanted)
        chosen = allocated_ports(Path("/x/y"), tmp_path / "fresh")
    assert chosen["postgres"] != wanted


def test_postgres_runs_unprivileged_with_a_utf8_collation() -> None:
    import asyncio

    import asyncpg

    from tests.conftest import plain_dsn

    async def probe() -> tuple[str, float, str]:
        connection = await asyncpg.connect(plain_dsn())
        try:
            collation = await connection.fetchval(
                "SELECT datcollate FROM pg_database WHERE datname = current_database()"
            )
            trigrams = await connection.fetchval("SELECT similarity('华强电子', '华强电子有限公司')")
            folder = await connection.fetchval("SHOW data_directory")
            return collation, trigrams, folder
        finally:
            await connection.close()

    collation, trigrams, folder = asyncio.run(probe())
    assert "UTF" in collation.upper()
    assert trigrams > 0.3, "pg_trgm made no trigrams of Chinese text (a C collation does that)"
    if os.geteuid() == 0 and Path(folder).exists():
        # PostgreSQL refuses to run as root: the project runs it as an unprivileged system user.
        import pwd

        assert Path(folder).stat().st_uid == pwd.getpwnam(PG_SYSTEM_USER).pw_uid


def test_private_redis_starts_and_stops(tmp_path: Path) -> None:
    server = PrivateRedis(free_port(), tmp_path)
    server.start()
    try:
        assert not port_is_free(server.port)
    finally:
        server.stop()
    assert port_is_free(server.port)


def test_mail_catcher_keeps_messages_as_files(tmp_path: Path) -> None:
    import smtplib
    from email.message import EmailMessage

    store, port = MailStore(tmp_path), free_port()
    controller = start_smtp(store, port)
    try:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", "你好"
        message.set_content("正文")
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.send_message(message)
    finally:
        controller.stop()
    [mail] = store.all()
    assert mail.subject == "你好" and mail.text.strip() == "正文" and mail.recipients == ["b@example.com"]
    assert list(tmp_path.glob("*.eml"))
