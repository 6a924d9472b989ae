"""The notification centre: any domain raises a notification for members; each member's preferences say
whether it shows in the app, and whether it is mailed at once, in the daily digest, or not at all.

A domain declares its kinds once (``register_kind``) with the title and body in every language; the text is
written in the recipient's language when the notification is raised, so the list needs no further lookups.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id, utcnow
from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.customers.repository import decode_cursor, encode_cursor
from guanxi.domain.identity.models import Membership, User
from guanxi.domain.notifications.models import Notification, NotificationPreference
from guanxi.domain.outbox.service import enqueue
from guanxi.errors import FieldError, not_found, validation_error
from guanxi.locales import DEFAULT

EMAIL_CHOICES = ("none", "instant", "digest")
TITLE_MAX = 300


@dataclass(frozen=True)
class Kind:
    """A kind of notification: its texts per language (``str.format`` fields filled from the params) and the
    defaults a member has until they choose otherwise."""

    key: str
    texts: dict[str, tuple[str, str]]  # locale -> (title, body)
    email: str = "instant"
    in_app: bool = True

    def render(self, locale: str, params: dict[str, Any]) -> tuple[str, str]:
        title, body = self.texts.get(locale) or self.texts[DEFAULT]
        # A title is a mail subject too: one line.
        return " ".join(title.format_map(params).split())[:TITLE_MAX], body.format_map(params)


KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> Kind:
    if kind.email not in EMAIL_CHOICES or DEFAULT not in kind.texts:
        raise ValueError(f"kind {kind.key!r} needs an English text and an email choice among {EMAIL_CHOICES}")
    KINDS[kind.key] = kind
    return kind


async def preferences(session: AsyncSession, scope: TenantScope, user_id: uuid.UUID) -> dict[str, tuple[bool, str]]:
    """``kind -> (in_app, email)`` for every registered kind, the member's choice or the kind's default."""
    chosen = {
        row.kind: (row.in_app, row.email)
        for row in await session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id),
            execution_options=scoped(scope),
        )
    }
    return {key: chosen.get(key, (kind.in_app, kind.email)) for key, kind in sorted(KINDS.items())}


@dataclass(frozen=True)
class Raise:
    """One notification to raise for some members (see :func:`notify_many`)."""

    recipients: frozenset[uuid.UUID]
    params: dict[str, Any]
    link: str | None = None
    key: str | None = None


async def notify(
    session: AsyncSession,
    scope: TenantScope,
    kind: str,
    recipients: Iterable[uuid.UUID],
    params: dict[str, Any],
    *,
    link: str | None = None,
    key: str | None = None,
) -> int:
    """Raise ``kind`` for each active member among ``recipients`` in the caller's transaction.

    With a ``key``, a member gets it once: raising the same key again does nothing (so a nightly scan may
    call this every night). Mails asked for at once go through the outbox, so they leave only if the caller
    commits. Returns how many notifications were raised.
    """
    return await notify_many(session, scope, kind, [Raise(frozenset(recipients), params, link, key)])


async def notify_many(session: AsyncSession, scope: TenantScope, kind: str, raises: list[Raise]) -> int:
    """:func:`notify` for many notifications of one kind at once: the members and their preferences are read
    once and the rows written in one statement per thousand, so a nightly job raising thousands stays fast."""
    declared = KINDS[kind]
    wanted = set().union(*(r.recipients for r in raises)) if raises else set()
    if not wanted:
        return 0
    options = scoped(scope)
    members = dict(
        (
            await session.execute(
                select(User.id, User.locale)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.tenant_id == scope.tenant_id, Membership.status == "active", User.id.in_(wanted))
            )
        ).all()
    )
    chosen = {
        row.user_id: (row.in_app, row.email)
        for row in await session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.kind == kind, NotificationPreference.user_id.in_(wanted)
            ),
            execution_options=options,
        )
    }
    now = utcnow()
    rows = []
    for one in raises:
        for user_id in sorted(one.recipients):
            if user_id not in members:
                continue
            in_app, email = chosen.get(user_id, (declared.in_app, declared.email))
            if not in_app and email == "none":
                continue
            title, body = declared.render(members[user_id], one.params)
            rows.append({
                "id": new_id(), "user_id": user_id, "kind": kind, "title": title, "body": body, "link": one.link,
                "params": one.params, "dedupe_key": one.key, "in_app": in_app, "email": email,
                "emailed_at": now if email == "instant" else None,
            })  # fmt: skip
    raised: list[Any] = []
    for start in range(0, len(rows), 1000):
        raised += (
            await session.execute(
                insert(Notification)
                .values(rows[start : start + 1000])
                .on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
                .returning(Notification.id, Notification.email),
                execution_options=options,
            )
        ).all()
    for notification_id, email in raised:
        if email == "instant":
            await enqueue(session, "notifications.send_email", {"notification_id": str(notification_id)},
                          tenant_id=scope.tenant_id)  # fmt: skip
    return len(raised)


async def schedule_digests(session: AsyncSession, scope: TenantScope) -> int:
    """Take every notification waiting for the digest and ask for one mail per member listing theirs, in one
    transaction with the marking (a second run finds nothing left). Returns the number of mails asked for."""
    taken = await session.execute(
        update(Notification)
        .where(Notification.email == "digest", Notification.emailed_at.is_(None))
        .values(emailed_at=func.now())
        .returning(Notification.id, Notification.user_id),
        execution_options=scoped(scope),
    )
    per_member: dict[uuid.UUID, list[str]] = {}
    for notification_id, user_id in taken:
        per_member.setdefault(user_id, []).append(str(notification_id))
    for user_id, ids in per_member.items():
        await enqueue(session, "notifications.send_digest", {"user_id": str(user_id), "notification_ids": ids},
                      tenant_id=scope.tenant_id)  # fmt: skip
    return len(per_member)


# --- The member's own inbox: nobody reads another member's notifications, whatever their role. ---

INBOX_LIMIT_MAX = 200
PREFERENCE_ITEMS_MAX = 100


def _inbox(user_id: uuid.UUID) -> list[Any]:
    return [Notification.user_id == user_id, Notification.in_app.is_(True)]


def _out(row: Notification) -> dict[str, Any]:
    return {
        "id": row.id, "kind": row.kind, "title": row.title, "body": row.body, "link": row.link,
        "params": row.params or {}, "created_at": row.created_at, "read_at": row.read_at,
    }  # fmt: skip


def _member(scope: TenantScope) -> uuid.UUID:
    if scope.user_id is None:
        raise not_found("Notification")
    return scope.user_id


async def inbox(
    session: AsyncSession, scope: TenantScope, *, unread: bool = False, cursor: str | None = None, limit: int = 50
) -> tuple[list[dict[str, Any]], str | None]:
    """The member's notifications newest first, in keyset pages over their time-ordered id (the inbox index)."""
    user_id = _member(scope)
    query = select(Notification).where(*_inbox(user_id))
    if unread:
        query = query.where(Notification.read_at.is_(None))
    if cursor:
        _at, last_id = decode_cursor(cursor, dt.datetime.fromisoformat)
        query = query.where(Notification.id < last_id)
    query = query.order_by(Notification.id.desc()).limit(limit + 1)
    rows = list(await session.scalars(query, execution_options=scoped(scope)))
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return [_out(row) for row in rows[:limit]], next_cursor


async def unread_count(session: AsyncSession, scope: TenantScope) -> int:
    """Cheap enough for the bell to ask every minute: a count over a partial index of unread rows."""
    user_id = _member(scope)
    query = select(func.count()).select_from(Notification).where(*_inbox(user_id), Notification.read_at.is_(None))
    return int(await session.scalar(query, execution_options=scoped(scope)) or 0)


async def mark_read(session: AsyncSession, scope: TenantScope, notification_id: uuid.UUID) -> dict[str, Any]:
    """Mark one of the member's notifications read (again is fine: the first read time stays)."""
    user_id = _member(scope)
    row = await session.scalar(
        update(Notification)
        .where(Notification.id == notification_id, *_inbox(user_id))
        .values(read_at=func.coalesce(Notification.read_at, func.now()))
        .returning(Notification),
        execution_options=scoped(scope),
    )
    if row is None:
        raise not_found("Notification")
    return _out(row)


async def mark_all_read(session: AsyncSession, scope: TenantScope) -> int:
    user_id = _member(scope)
    done = await session.execute(
        update(Notification)
        .where(*_inbox(user_id), Notification.read_at.is_(None))
        .values(read_at=func.now())
        .returning(Notification.id),
        execution_options=scoped(scope),
    )
    return len(done.all())


async def set_preferences(session: AsyncSession, scope: TenantScope, items: list[tuple[str, bool, str]]) -> None:
    """Store the member's choices; an unknown kind or email choice is refused naming the item, nothing saved."""
    user_id = _member(scope)
    errors = []
    if len(items) > PREFERENCE_ITEMS_MAX:
        errors.append(FieldError("items", f"at most {PREFERENCE_ITEMS_MAX} kinds at once", "too_long"))
    for index, (kind, _in_app, email) in enumerate(items):
        if kind not in KINDS:
            errors.append(FieldError(f"items[{index}].kind", "is not a kind of notification", "unknown"))
        if email not in EMAIL_CHOICES:
            errors.append(FieldError(f"items[{index}].email", f"must be one of {', '.join(EMAIL_CHOICES)}", "invalid"))
    if errors:
        raise validation_error(*errors)
    latest = {kind: (in_app, email) for kind, in_app, email in items}
    if not latest:
        return
    rows = [
        {"user_id": user_id, "kind": kind, "in_app": in_app, "email": email} for kind, (in_app, email) in latest.items()
    ]
    statement = insert(NotificationPreference).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "kind"],
            set_={"in_app": statement.excluded.in_app, "email": statement.excluded.email, "updated_at": func.now()},
        ),
        execution_options=scoped(scope),
    )
