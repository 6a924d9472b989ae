"""Attachments: kept in the storage folder or an S3-compatible bucket (one prefix per workspace); anyone who may see
the record sees its files, anyone who may change it adds or removes them. A file's type is read from its
first bytes, not taken from the client, and a download never runs in the site's origin (see the API)."""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id
from guanxi.db.tenancy import scoped
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.activities import service as activities
from guanxi.domain.attachments.models import Attachment
from guanxi.domain.billing import limits
from guanxi.domain.contracts import service as contracts
from guanxi.domain.customers import service as customers
from guanxi.domain.customers.models import Account, Contact
from guanxi.errors import DomainError, FieldError, validation_error
from guanxi.storage import get_storage

RECORD_TYPES = ("account", "contact", "activity", "contract")
MAX_PER_RECORD = 200
# Shown in the page (a call recording plays, a photo shows); everything else is only ever downloaded.
INLINE = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "audio/mpeg", "audio/wav", "audio/ogg", "audio/mp4"}
)
MAGIC: list[tuple[bytes, int, str]] = [
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF8", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"%PDF-", 0, "application/pdf"),
    (b"ID3", 0, "audio/mpeg"),
    (b"\xff\xfb", 0, "audio/mpeg"),
    (b"WAVE", 8, "audio/wav"),
    (b"OggS", 0, "audio/ogg"),
    (b"ftypM4A", 4, "audio/mp4"),
    (b"#!AMR", 0, "audio/amr"),
]
OFFICE = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def content_type_of(head: bytes, filename: str) -> str:
    """What the bytes are. Text-like types a browser might render (HTML, SVG, XML, JS) are never trusted:
    they become text/plain or a download."""
    for magic, offset, kind in MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return kind
    suffix = Path(filename).suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        return OFFICE.get(suffix, "application/zip")
    guessed = mimetypes.guess_type(filename)[0] or ""
    if guessed in ("text/plain", "text/csv") and b"\x00" not in head:
        return guessed
    return "application/octet-stream"


async def check_record(
    session: AsyncSession, access: Access, record_type: str, record_id: uuid.UUID, write: bool
) -> None:
    """The record must be one the caller may see (and change, to add or remove files)."""
    action = "update" if write else "read"
    if record_type == "account":
        await customers.load(session, access, Account, record_id, action)
    elif record_type == "contact":
        await customers.load(session, access, Contact, record_id, action)
    elif record_type == "activity":
        await activities.check(session, access, record_id, action)
    elif record_type == "contract":
        await contracts.fetch(session, access, record_id, action)
    else:
        raise validation_error(FieldError("record_type", f"must be one of {', '.join(RECORD_TYPES)}", "invalid_choice"))


async def add(
    session: AsyncSession,
    access: Access,
    record_type: str,
    record_id: uuid.UUID,
    filename: str,
    source: Path,
) -> Attachment:
    await check_record(session, access, record_type, record_id, write=True)
    options = scoped(access.scope)
    count = await session.scalar(
        select(func.count())
        .select_from(Attachment)
        .where(
            Attachment.record_type == record_type, Attachment.record_id == record_id, Attachment.deleted_at.is_(None)
        ),
        execution_options=options,
    )
    if (count or 0) >= MAX_PER_RECORD:
        raise validation_error(FieldError("file", f"a record holds at most {MAX_PER_RECORD} files", "too_many"))
    name = Path(filename.replace("\\", "/")).name.strip()[:255] or "file"
    if any(ord(ch) < 32 for ch in name):
        raise validation_error(FieldError("file", "the file name has control characters", "invalid"))
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as file:
        head = file.read(64)
        file.seek(0)
        while chunk := file.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    if size == 0:
        raise validation_error(FieldError("file", "is empty", "required"))
    await limits.check_storage(session, access.scope, adding=size)
    attachment_id = new_id()
    key = f"attachments/{access.scope.schema}/{attachment_id}"
    await asyncio.to_thread(get_storage().put, key, source)
    await session.execute(
        insert(Attachment).values(
            id=attachment_id,
            record_type=record_type,
            record_id=record_id,
            filename=name,
            content_type=content_type_of(head, name),
            size_bytes=size,
            sha256=digest.hexdigest(),
            storage_key=key,
            created_by=access.member_id,
        ),
        execution_options=options,
    )
    return await get(session, access, attachment_id)


async def get(session: AsyncSession, access: Access, attachment_id: uuid.UUID, *, write: bool = False) -> Attachment:
    row = await session.scalar(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.deleted_at.is_(None)),
        execution_options=scoped(access.scope),
    )
    if row is None:
        raise not_found_for("File")
    try:
        await check_record(session, access, row.record_type, row.record_id, write=write)
    except DomainError as error:
        if error.status == 404:  # a file of a record one cannot see is, for them, no file at all
            raise not_found_for("File") from error
        raise
    return row


async def list_for(session: AsyncSession, access: Access, record_type: str, record_id: uuid.UUID) -> list[Attachment]:
    await check_record(session, access, record_type, record_id, write=False)
    rows = await session.scalars(
        select(Attachment)
        .where(
            Attachment.record_type == record_type, Attachment.record_id == record_id, Attachment.deleted_at.is_(None)
        )
        .order_by(Attachment.created_at.desc()),
        execution_options=scoped(access.scope),
    )
    return list(rows)


async def remove(session: AsyncSession, access: Access, attachment_id: uuid.UUID) -> Attachment:
    """Soft: the file stays on disk until the record itself is purged, so a mistaken delete can be undone."""
    row = await get(session, access, attachment_id, write=True)
    await session.execute(
        update(Attachment).where(Attachment.id == attachment_id).values(deleted_at=func.now()),
        execution_options=scoped(access.scope),
    )
    return row


def chunks_of(row: Attachment) -> Iterator[bytes]:
    """The file's bytes, from the storage folder or the bucket (blocking: iterate in a thread)."""
    return get_storage().chunks(row.storage_key)
