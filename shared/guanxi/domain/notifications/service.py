"""The notification centre: any domain raises a notification for members; each member's preferences say
whether it shows in the app, and whether it is mailed at once, in the daily digest, or not at all.

A domain declares its kinds once (``register_kind``) with the title and body in every language; the text is
written in the recipient's language when the notification is raised, so the list needs no further lookups.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id, utcnow
from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.identity.models import Membership, User
from guanxi.domain.notifications.models import Notification, NotificationPreference
from guanxi.domain.outbox.service import enqueue
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
