"""Customer actors: records deleted more than RESTORE_DAYS ago are removed for good, with their history
and their team, in batches (short transactions, no long lock on a big workspace's tables)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Sequence

import structlog
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.tenancy import tenant_session
from guanxi.domain.access.models import Collaborator
from guanxi.domain.activities.models import Activity
from guanxi.domain.attachments.models import Attachment
from guanxi.domain.customers.models import Account, Contact
from guanxi.domain.customers.repository import RECORD_TYPE, Record
from guanxi.domain.customers.service import RESTORE_DAYS
from guanxi.domain.deals.models import Deal
from guanxi.domain.timeline.models import RecordChange
from guanxi.jobs import JobContext, tenant_job
from guanxi.storage import get_storage

log = structlog.get_logger("customers")
BATCH = 1_000


async def _forget(session: AsyncSession, record_type: str, ids: Sequence[uuid.UUID]) -> None:
    """The history, the team and the files of records that are going away (the files from disk too)."""
    gone = await session.execute(
        delete(Attachment)
        .where(Attachment.record_type == record_type, Attachment.record_id.in_(ids))
        .returning(Attachment.storage_key)
    )
    storage = get_storage()
    for key in gone.scalars():
        await asyncio.to_thread(storage.delete, key)
    await session.execute(
        delete(RecordChange).where(RecordChange.record_type == record_type, RecordChange.record_id.in_(ids))
    )
    await session.execute(
        delete(Collaborator).where(Collaborator.record_type == record_type, Collaborator.record_id.in_(ids))
    )


async def _purge(job: JobContext, model: Record) -> int:
    removed = 0
    expired = model.deleted_at < func.now() - dt.timedelta(days=RESTORE_DAYS)
    while True:
        async with tenant_session(job.scope) as session:
            ids = list(await session.scalars(select(model.id).where(expired).limit(BATCH)))
            if not ids:
                return removed
            if model is Account:  # its contacts go with it (ON DELETE CASCADE), and so do theirs
                deals = list(await session.scalars(delete(Deal).where(Deal.account_id.in_(ids)).returning(Deal.id)))
                await _forget(session, "deal", deals)  # and its deals, with their stage history (CASCADE)
                contacts = list(await session.scalars(select(Contact.id).where(Contact.account_id.in_(ids))))
                await _forget(session, RECORD_TYPE[Contact], contacts)
                done = list(await session.scalars(select(Activity.id).where(Activity.account_id.in_(ids))))
                await _forget(session, "activity", done)
            if model is Contact:  # a deal of a live account outlives its deleted contact
                await session.execute(update(Deal).where(Deal.contact_id.in_(ids)).values(contact_id=None))
            await _forget(session, RECORD_TYPE[model], ids)
            await session.execute(delete(model).where(model.id.in_(ids)))
            await session.commit()
        removed += len(ids)


async def purge_deleted_records(job: JobContext) -> dict[str, int]:
    removed = {"contacts": await _purge(job, Contact), "accounts": await _purge(job, Account)}
    log.info("customers.purged", **removed, after_days=RESTORE_DAYS)
    return removed


@tenant_job("customers.purge_deleted", time_limit_ms=600_000, max_retries=3)
async def purge_deleted(job: JobContext) -> None:
    await purge_deleted_records(job)
