"""Export actors. A run writes the file batch by batch (keyset pages in short transactions, rows appended to a
CSV file or an openpyxl write-only workbook on disk), so memory stays flat however long the list; then it
stores the file, records it with its expiry and asks for the mail, in one transaction. A second delivery of
a finished export does nothing; one of an export that was running starts its file again."""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import structlog

from guanxi.config import get_settings
from guanxi.db.base import utcnow
from guanxi.db.engine import get_sessionmaker
from guanxi.db.tenancy import TenantScope, platform_session, tenant_session
from guanxi.domain.access.service import load_access
from guanxi.domain.customers import service as customers
from guanxi.domain.email.service import Email, render, send_once
from guanxi.domain.exports import repository, service
from guanxi.domain.identity.models import User
from guanxi.domain.outbox.service import enqueue
from guanxi.errors import DomainError
from guanxi.jobs import JobContext, tenant_job
from guanxi.spreadsheet import XlsxSheet, csv_line
from guanxi.storage import get_storage

log = structlog.get_logger("exports")
PROGRESS_EVERY_SECONDS = 1.0
# A run reports at least this often (progress every second; saving a million-row workbook takes about a
# minute): a "running" export quiet for longer lost its worker, and a redelivery takes it over.
STALE_RUN = dt.timedelta(minutes=10)
PURGE_BATCH = 500
ENTITY_WORDS = {
    "en": {"accounts": "accounts", "contacts": "contacts"},
    "zh-Hans": {"accounts": "客户", "contacts": "联系人"},
    "zh-Hant": {"accounts": "客戶", "contacts": "聯絡人"},
}


async def _fail(scope: TenantScope, export_id: uuid.UUID, message: str) -> None:
    async with tenant_session(scope) as session:
        await repository.change(session, scope, export_id, status="failed", failure=message, finished_at=utcnow())
        await session.commit()


def _append_all(sheet: XlsxSheet, rows: list[list[Any]]) -> None:
    for row in rows:
        sheet.append(row)


async def _write(
    scope: TenantScope, export_id: uuid.UUID, export: customers.Export, file_format: str, path: Path
) -> int:
    """Every row into ``path``; the progress is recorded about once a second. Returns the rows written."""
    written = 0
    reported = time.monotonic()
    sheet = XlsxSheet(export.headers) if file_format == "xlsx" else None
    with path.open("w", encoding="utf-8", newline="") as text:
        if sheet is None:
            text.write("\ufeff" + csv_line(export.headers))  # the BOM makes Excel read UTF-8 (Chinese) correctly
        async for batch in export.batches(get_sessionmaker()):
            rows = [export.cells(row) for row in batch]
            if sheet is not None:
                await asyncio.to_thread(_append_all, sheet, rows)
            else:
                text.write("".join(csv_line(row) for row in rows))
            written += len(rows)
            if time.monotonic() - reported >= PROGRESS_EVERY_SECONDS:
                async with tenant_session(scope) as session:
                    await repository.change(session, scope, export_id, row_count=written)
                    await session.commit()
                reported = time.monotonic()
    if sheet is not None:
        await asyncio.to_thread(sheet.save, str(path))
    return written


async def run_export(job: JobContext, export_id: uuid.UUID) -> str:
    """Write one export; returns its status afterwards."""
    scope = job.scope
    async with tenant_session(scope) as session:
        row = await repository.fetch(session, scope, export_id)
        if row is None or row.status not in ("queued", "running"):
            return row.status if row else "gone"  # done, failed or expired: a second delivery does nothing
        if not await repository.claim(session, scope, export_id, STALE_RUN):
            return "running"  # another delivery is writing it right now
        await session.commit()
        requester = TenantScope(tenant_id=scope.tenant_id, schema=scope.schema, user_id=row.created_by)
    async with tenant_session(requester) as session:
        try:
            access = await load_access(session, requester)  # the requester's own scopes and field rules
            export = await service.prepared(session, access, row)
            total = await repository.count_rows(session, access, export.query)
        except DomainError as error:  # deactivated, or lost the right to export since: nothing is written
            await session.rollback()
            await _fail(scope, export_id, error.detail)
            log.info("exports.refused", export_id=str(export_id), reason=error.detail)
            return "failed"
        await repository.change(session, scope, export_id, total_rows=total)
        await session.commit()
    with tempfile.TemporaryDirectory(prefix="guanxi-export-") as folder:
        path = Path(folder) / row.filename
        try:
            written = await _write(scope, export_id, export, row.format, path)
            size = path.stat().st_size
            key = service.storage_key(row, scope.schema)
            await asyncio.to_thread(get_storage().put, key, path)
        except Exception:
            log.exception("exports.write_failed", export_id=str(export_id))
            await _fail(scope, export_id, "The file could not be written. Ask for the export again.")
            return "failed"
    finished = utcnow()
    async with tenant_session(scope) as session:
        await repository.change(
            session, scope, export_id, status="done", row_count=written, total_rows=written, file_key=key,
            size_bytes=size, finished_at=finished, expires_at=finished + service.retention(),
        )  # fmt: skip
        await enqueue(session, "exports.notify", {"export_id": str(export_id)}, tenant_id=scope.tenant_id)
        await session.commit()
    log.info("exports.written", export_id=str(export_id), rows=written, size_bytes=size, format=row.format)
    return "done"


async def send_ready_mail(job: JobContext, export_id: uuid.UUID) -> bool:
    """The mail with the download link, once per job; nothing when the file is gone already."""
    async with tenant_session(job.scope) as session:
        row = await repository.fetch(session, job.scope, export_id)
    if row is None or row.status != "done":
        return False
    async with platform_session() as session:
        user = await session.get(User, row.created_by)
        if user is None:
            return False
        locale = user.locale if user.locale in ENTITY_WORDS else "en"
        assert row.expires_at is not None
        subject, text, html = render(
            "export_ready",
            locale,
            name=user.name,
            what=ENTITY_WORDS[locale][row.entity],
            rows=row.row_count,
            filename=row.filename,
            url=f"{get_settings().public_url}/exports/{row.id}/file",
            exports_url=f"{get_settings().public_url}/exports",
            expires=row.expires_at.strftime("%Y-%m-%d"),
        )
        return await send_once(
            session, job.job_id, job.scope.tenant_id, Email(user.email, subject, text, html), "export_ready"
        )


async def purge_expired_files(job: JobContext) -> int:
    """Delete the files whose retention has passed; their exports stay listed as expired. Returns how many."""
    scope = job.scope
    purged = 0
    while True:
        async with tenant_session(scope) as session:
            rows = await repository.expired(session, scope, utcnow(), PURGE_BATCH)
            for row in rows:
                assert row.file_key is not None
                await asyncio.to_thread(get_storage().delete, row.file_key)
                await repository.change(session, scope, row.id, status="expired", file_key=None)
            await session.commit()
        purged += len(rows)
        if len(rows) < PURGE_BATCH:
            break
    log.info("exports.purged", count=purged)
    return purged


class ExportStillRunning(RuntimeError):
    """Another delivery holds the export: retried later, so a run whose worker was killed is taken over once
    it has gone stale instead of being acknowledged and left ``running`` for good."""


async def run_export_job(job: JobContext, export_id: uuid.UUID) -> str:
    status = await run_export(job, export_id)
    if status == "running":
        raise ExportStillRunning(f"export {export_id} is being written by another delivery")
    return status


# Twelve retries back off 1 s, 2 s, 4 s … 5 min: about 23 minutes in all, well past STALE_RUN.
@tenant_job("exports.run", time_limit_ms=3_600_000, max_retries=12)
async def run(job: JobContext, export_id: str) -> None:
    await run_export_job(job, uuid.UUID(export_id))


@tenant_job("exports.notify", time_limit_ms=60_000, max_retries=8)
async def notify(job: JobContext, export_id: str) -> None:
    sent = await send_ready_mail(job, uuid.UUID(export_id))
    log.info("exports.mail_sent" if sent else "exports.mail_skipped", export_id=export_id)


@tenant_job("exports.purge_expired", time_limit_ms=600_000, max_retries=3)
async def purge_expired(job: JobContext) -> None:
    await purge_expired_files(job)
