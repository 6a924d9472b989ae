"""Links in mails that act once: email verification and password reset.

A reset link is signed over the user and a fingerprint of their current password hash, valid for an
hour: once the password changes (by this link or otherwise) every older link stops working. Every used
link is also recorded in ``platform.used_link_tokens`` until it expires, so no link works twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi import ratelimit, signing
from guanxi.config import get_settings
from guanxi.db.base import utcnow
from guanxi.domain.identity import repository, validation
from guanxi.domain.identity.models import AuthSession, UsedLinkToken, User
from guanxi.domain.identity.passwords import hash_password
from guanxi.domain.identity.service import clear_lockout, hash_token
from guanxi.domain.outbox.service import enqueue
from guanxi.errors import DomainError, FieldError, validation_error

RESET_PURPOSE = "password-reset"
RESET_VALID_FOR = dt.timedelta(hours=1)
RESETS_PER_HOUR = 5


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "no password").encode()).hexdigest()[:16]


def reset_token(user: User, expires_at: int) -> str:
    return signing.sign_until(RESET_PURPOSE, f"{user.id}~{_fingerprint(user)}", expires_at)


def reset_url(user: User, expires_at: int) -> str:
    return f"{get_settings().public_url}/password-reset?token={reset_token(user, expires_at)}"


async def request_reset(session: AsyncSession, email: str, client_ip: str) -> None:
    """Mail a reset link if the address has an account; the caller never learns whether it has."""
    address = email.strip().lower()[:254]
    await ratelimit.enforce(f"reset-ip:{client_ip}", RESETS_PER_HOUR * 4, 3600, "Too many reset requests.")
    allowed, _ = await ratelimit.hit(f"reset-account:{address}", RESETS_PER_HOUR, 3600)
    user = await repository.user_by_email(session, address) if allowed and "\x00" not in address else None
    if user is None:
        return
    expires_at = int((utcnow() + RESET_VALID_FOR).timestamp())
    await enqueue(
        session,
        "email.send_password_reset",
        {"user_id": str(user.id), "expires_at": expires_at},
        tenant_id=await _any_tenant(session, user.id),
    )


async def _any_tenant(session: AsyncSession, user_id: uuid.UUID) -> uuid.UUID | None:
    memberships = await repository.memberships_of(session, user_id)
    return memberships[0][1].id if memberships else None


def link_invalid(field: str = "token") -> DomainError:
    return validation_error(FieldError(field, "this link is invalid, used or expired", "invalid_token"))


async def spend_link(session: AsyncSession, purpose: str, token: str) -> None:
    """Record a link (already checked to be genuine) as used; a second use of the same link is refused."""
    result = await session.execute(
        insert(UsedLinkToken)
        .values(token_id=hash_token(token), purpose=purpose, expires_at=_expiry_of(token))
        .on_conflict_do_nothing()
        .returning(UsedLinkToken.token_id)
    )
    if result.first() is None:
        raise link_invalid()
    await session.execute(delete(UsedLinkToken).where(UsedLinkToken.expires_at < utcnow()))


def _expiry_of(token: str) -> dt.datetime:
    """The expiry written into a genuine link (``value.expiry.mac``)."""
    return dt.datetime.fromtimestamp(int(token.rsplit(".", 2)[-2]), dt.UTC)


async def reset_password(session: AsyncSession, token: str, password: str) -> User:
    value = signing.unsign(RESET_PURPOSE, token)
    user_part, _, fingerprint = (value or "").partition("~")
    try:
        user = await session.get(User, uuid.UUID(user_part)) if value else None
    except ValueError:
        user = None
    if user is None or fingerprint != _fingerprint(user):
        raise link_invalid()
    if error := validation.check_password(password, related=[user.email, user.name]):
        raise validation_error(error)
    await spend_link(session, RESET_PURPOSE, token)
    user.password_hash = await hash_password(password)
    user.email_verified_at = user.email_verified_at or utcnow()  # the mail reached them
    # Every session ends: whoever knew the old password is out, and whoever guessed at it no longer
    # keeps the owner locked out.
    await session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    await clear_lockout(user.email.lower())
    return user


async def verify_email(session: AsyncSession, token: str, purpose: str) -> User:
    value = signing.unsign(purpose, token)
    try:
        user = await session.get(User, uuid.UUID(value)) if value else None
    except ValueError:
        user = None
    if user is None:
        raise link_invalid()
    await spend_link(session, purpose, token)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user
