"""Internal announcements: administrators publish to everyone or to departments; each member sees those
addressed to them, opening one leaves a read receipt, and the author sees who has read it and who not.

The body is plain text: pages show it escaped with its line breaks, never as HTML.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id
from guanxi.db.tenancy import scoped
from guanxi.domain.access.models import Department, Member
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.announcements.models import Announcement, AnnouncementRead
from guanxi.domain.announcements.schemas import AnnouncementIn
from guanxi.domain.customers.repository import decode_cursor, encode_cursor
from guanxi.domain.customers.validation import Cleaner
from guanxi.domain.notifications.service import Kind, notify, register_kind
from guanxi.errors import validation_error

TITLE_MAX = 200
BODY_MAX = 20_000
DEPARTMENTS_MAX = 50
PREVIEW = 280

register_kind(
    Kind(
        "announcement",
        {
            "en": ("Announcement: {title}", "{preview}"),
            "zh-Hans": ("公告：{title}", "{preview}"),
            "zh-Hant": ("公告：{title}", "{preview}"),
        },
        email="none",
    )
)


def may_publish(access: Access) -> bool:
    """Publishing speaks for the workspace: those who may change its settings (owners and administrators)."""
    return access.can("settings", "update")


def _addressed(access: Access) -> ColumnElement[bool]:
    """Addressed to the reader: to everyone, to the reader's department, or written by them."""
    department = select(Member.department_id).where(Member.id == access.member_id).scalar_subquery()
    return or_(
        func.cardinality(Announcement.department_ids) == 0,
        Announcement.department_ids.any_() == department,
        Announcement.author_id == access.member_id,
    )


def _read_by(user_id: uuid.UUID) -> ColumnElement[bool]:
    return exists().where(AnnouncementRead.announcement_id == Announcement.id, AnnouncementRead.user_id == user_id)


def _columns(access: Access) -> list[Any]:
    return [Announcement, Member.name.label("author_name"), _read_by(access.member_id).label("read")]


def _out(row: Any) -> dict[str, Any]:
    a = row.Announcement
    return {
        "id": a.id, "title": a.title, "body": a.body, "department_ids": list(a.department_ids or []),
        "pinned": a.pinned, "author_id": a.author_id, "author_name": row.author_name,
        "published_at": a.published_at, "read": bool(row.read),
    }  # fmt: skip


async def publish(session: AsyncSession, access: Access, data: AnnouncementIn) -> uuid.UUID:
    if not may_publish(access):
        access.require("settings", "update")
    c = Cleaner()
    title = c.text("title", data.title, TITLE_MAX, required=True)
    body = c.text("body", data.body, BODY_MAX, multiline=True) or ""
    departments = list(dict.fromkeys(data.department_ids))
    if len(departments) > DEPARTMENTS_MAX:
        c.fail("department_ids", f"at most {DEPARTMENTS_MAX} departments", "too_long")
    elif departments:
        known = set(
            await session.scalars(
                select(Department.id).where(Department.id.in_(departments)), execution_options=scoped(access.scope)
            )
        )
        for index, department in enumerate(departments):
            if department not in known:
                c.fail(f"department_ids[{index}]", "is not a department of this workspace", "unknown")
    if c.errors:
        raise validation_error(*c.errors)
    assert title is not None
    announcement_id = new_id()
    await session.execute(
        insert(Announcement).values(
            id=announcement_id, title=title, body=body, department_ids=departments, pinned=data.pinned,
            author_id=access.member_id,
        ),
        execution_options=scoped(access.scope),
    )  # fmt: skip
    audience = select(Member.id).where(Member.status == "active", Member.id != access.member_id)
    if departments:
        audience = audience.where(Member.department_id.in_(departments))
    recipients = list(await session.scalars(audience, execution_options=scoped(access.scope)))
    preview = " ".join(body.split())[:PREVIEW]
    await notify(
        session, access.scope, "announcement", recipients, {"title": title, "preview": preview},
        link=f"/announcements/{announcement_id}", key=f"announcement:{announcement_id}",
    )  # fmt: skip
    return announcement_id


async def feed(
    session: AsyncSession, access: Access, *, unread: bool = False, cursor: str | None = None, limit: int = 50
) -> tuple[list[dict[str, Any]], str | None]:
    """The reader's announcements: pinned ones first, then newest first, in keyset pages over (pinned, id)."""
    query = select(*_columns(access)).outerjoin(Member, Member.id == Announcement.author_id).where(_addressed(access))
    if unread:
        query = query.where(~_read_by(access.member_id))
    if cursor:
        pinned_text, last_id = decode_cursor(cursor, str)
        pinned = pinned_text == "1"
        same_group = and_(Announcement.pinned.is_(pinned), Announcement.id < last_id)
        query = query.where(or_(same_group, Announcement.pinned.is_(False)) if pinned else same_group)
    query = query.order_by(Announcement.pinned.desc(), Announcement.id.desc()).limit(limit + 1)
    rows = (await session.execute(query, execution_options=scoped(access.scope))).all()
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1].Announcement
        next_cursor = encode_cursor("1" if last.pinned else "0", last.id)
    return [_out(row) for row in rows[:limit]], next_cursor


async def open_announcement(session: AsyncSession, access: Access, announcement_id: uuid.UUID) -> dict[str, Any]:
    """Show one announcement addressed to the reader, leaving their read receipt the first time."""
    options = scoped(access.scope)
    found = await session.scalar(
        select(Announcement.id).where(Announcement.id == announcement_id, _addressed(access)), execution_options=options
    )
    if found is None:
        raise not_found_for("Announcement")
    await session.execute(
        insert(AnnouncementRead)
        .values(announcement_id=announcement_id, user_id=access.member_id)
        .on_conflict_do_nothing(),
        execution_options=options,
    )
    row = (
        await session.execute(
            select(*_columns(access))
            .outerjoin(Member, Member.id == Announcement.author_id)
            .where(Announcement.id == announcement_id),
            execution_options=options,
        )
    ).one()
    return _out(row)


async def receipts(session: AsyncSession, access: Access, announcement_id: uuid.UUID) -> dict[str, Any]:
    """Who of the audience has read it (first read time) and who not: for its author and administrators."""
    options = scoped(access.scope)
    announcement = await session.scalar(
        select(Announcement).where(Announcement.id == announcement_id), execution_options=options
    )
    if announcement is None or not (announcement.author_id == access.member_id or may_publish(access)):
        raise not_found_for("Announcement")
    audience = (
        select(Member.id, Member.name, AnnouncementRead.read_at)
        .outerjoin(
            AnnouncementRead,
            and_(AnnouncementRead.user_id == Member.id, AnnouncementRead.announcement_id == announcement_id),
        )
        .where(Member.status == "active", Member.id != announcement.author_id)
    )
    if announcement.department_ids:
        audience = audience.where(Member.department_id.in_(announcement.department_ids))
    rows = (await session.execute(audience.order_by(Member.name, Member.id), execution_options=options)).all()
    read = [{"id": r.id, "name": r.name, "read_at": r.read_at} for r in rows if r.read_at is not None]
    unread = [{"id": r.id, "name": r.name, "read_at": None} for r in rows if r.read_at is None]
    read.sort(key=lambda r: r["read_at"])
    return {"read_count": len(read), "unread_count": len(unread), "read": read, "unread": unread}
