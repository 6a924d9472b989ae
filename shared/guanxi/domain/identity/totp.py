"""Two-factor sign-in with time-based one-time codes (TOTP, RFC 6238) and single-use recovery codes.

A code is accepted once: the time step of the last accepted code is kept, so a code seen over a
shoulder cannot be replayed within its 30 seconds.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

import pyotp
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi import ratelimit
from guanxi.db.base import utcnow
from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.identity.models import User, UserTotp
from guanxi.domain.tenancy.models import WorkspaceSettings
from guanxi.errors import DomainError, FieldError, validation_error

ISSUER = "Guanxi CRM"
RECOVERY_CODES = 10
ATTEMPTS_PER_WINDOW = 5
WINDOW_SECONDS = 300


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


async def enrolled(session: AsyncSession, user_id: uuid.UUID) -> bool:
    row = await session.get(UserTotp, user_id)
    return row is not None and row.confirmed_at is not None


async def begin(session: AsyncSession, user: User) -> tuple[str, str]:
    """A new secret (replacing an unconfirmed one) and its otpauth:// URI for the authenticator app."""
    row = await session.get(UserTotp, user.id)
    if row is not None and row.confirmed_at is not None:
        raise DomainError(
            detail="Two-factor sign-in is already on; turn it off first.",
            status=409,
            type="two-factor-enabled",
            title="Already enabled",
        )
    secret = pyotp.random_base32()
    if row is None:
        session.add(UserTotp(user_id=user.id, secret=secret, recovery_code_hashes=[]))
    else:
        row.secret, row.last_used_step = secret, None
    await session.flush()
    return secret, pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _accepted_step(row: UserTotp, code: str) -> int | None:
    """The time step a code belongs to (now, or one step either side), or None when it matches none."""
    totp = pyotp.TOTP(row.secret)
    current = totp.timecode(utcnow())
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code.strip()):
            return step
    return None


async def confirm(session: AsyncSession, user: User, code: str) -> list[str]:
    """Turn two-factor sign-in on with a first code; returns recovery codes, shown this once."""
    row = await session.get(UserTotp, user.id)
    if row is None or row.confirmed_at is not None:
        raise validation_error(FieldError("code", "start the set-up first", "not_started"))
    step = _accepted_step(row, code)
    if step is None:
        raise validation_error(FieldError("code", "is not the current code", "invalid_code"))
    codes = ["-".join((secrets.token_hex(3), secrets.token_hex(3))) for _ in range(RECOVERY_CODES)]
    row.confirmed_at, row.last_used_step = utcnow(), step
    row.recovery_code_hashes = [_hash(c) for c in codes]
    await session.flush()
    return codes


async def check(session: AsyncSession, user_id: uuid.UUID, code: str) -> bool:
    """Accept a current code (once) or an unused recovery code (then spent)."""
    allowed, _ = await ratelimit.hit(f"totp:{user_id}", ATTEMPTS_PER_WINDOW, WINDOW_SECONDS)
    if not allowed:
        raise DomainError(
            detail="Too many codes tried. Wait a few minutes.",
            status=429,
            type="rate-limited",
            title="Too many requests",
            headers={"Retry-After": str(WINDOW_SECONDS)},
        )
    row = await session.scalar(select(UserTotp).where(UserTotp.user_id == user_id).with_for_update())
    if row is None or row.confirmed_at is None:
        return False
    step = _accepted_step(row, code)
    if step is not None and (row.last_used_step is None or step > row.last_used_step):
        row.last_used_step = step
        return True
    hashed = _hash(code)
    if hashed in row.recovery_code_hashes:
        row.recovery_code_hashes = [h for h in row.recovery_code_hashes if h != hashed]
        return True
    return False


async def disable(session: AsyncSession, user: User, code: str) -> None:
    if not await check(session, user.id, code):
        raise validation_error(FieldError("code", "is not a current or recovery code", "invalid_code"))
    await session.execute(delete(UserTotp).where(UserTotp.user_id == user.id))


async def missing_for_workspace(session: AsyncSession, scope: TenantScope, user_id: uuid.UUID) -> bool:
    """The workspace requires two-factor sign-in and this person has not turned it on."""
    required = await session.scalar(
        select(WorkspaceSettings.require_two_factor).limit(1), execution_options=scoped(scope)
    )
    return bool(required) and not await enrolled(session, user_id)


def required_error() -> DomainError:
    return DomainError(
        detail="This workspace requires two-factor sign-in: turn it on in your settings first.",
        status=403,
        type="two-factor-required",
        title="Two-factor sign-in required",
    )
