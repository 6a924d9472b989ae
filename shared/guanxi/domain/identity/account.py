"""A signed-in person's own account: changing (or first setting) the password.

These settings belong to the person, not to a workspace: API tokens, which act in one workspace, are
refused. No HTTP here and no commit except where a refusal must leave its trace: the edge commits.
"""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi import ratelimit
from guanxi.domain.identity import repository, validation
from guanxi.domain.identity.models import User
from guanxi.domain.identity.passwords import MAX_LENGTH, hash_password, verify_password
from guanxi.domain.identity.service import AuthContext, audit_everywhere, refuse_tokens
from guanxi.errors import FieldError, validation_error

log = structlog.get_logger("identity.account")

# Every attempt counts, right or wrong, before any work: a stolen session cannot be used to guess the
# password faster than this.
PASSWORD_CHANGES_PER_HOUR = 10


async def change_password(
    session: AsyncSession, auth: AuthContext, *, current_password: str | None, new_password: str, client_ip: str
) -> User:
    """Set a new password after checking the current one, or a first one for a person who has none.

    Every other session of the person ends; the one making the change stays, and so do API tokens.
    A wrong current password is written to the audit log (committed, though the request fails).
    """
    refuse_tokens(auth)
    await ratelimit.enforce(
        f"password-change:{auth.user.id}",
        PASSWORD_CHANGES_PER_HOUR,
        3600,
        "Too many password changes in an hour. Try again later.",
    )
    user = await repository.lock_user(session, auth.user.id)
    assert user is not None  # the session was just found with its user
    first_password = user.password_hash is None
    errors: list[FieldError] = []
    if first_password and current_password:
        errors.append(FieldError("current_password", "must be left out: your account has no password yet", "invalid"))
    if not first_password and not current_password:
        errors.append(FieldError("current_password", "is required", "required"))
    if error := validation.check_password(new_password, related=[user.email, user.name], field="new_password"):
        errors.append(error)
    if not first_password and current_password:
        # A password longer than any we accept cannot be the current one: refused without hashing it.
        right = len(current_password) <= MAX_LENGTH and await verify_password(user.password_hash, current_password)
        if not right:
            log.info("password.change_refused", reason="wrong_current_password")
            await audit_everywhere(session, user.id, "auth.password_change_failed", client_ip)
            await session.commit()  # the trace stays; nothing else was changed
            errors.insert(0, FieldError("current_password", "is not your current password", "wrong_password"))
        elif new_password == current_password:
            errors.append(FieldError("new_password", "must differ from your current password", "same_password"))
    if errors:
        raise validation_error(*errors)
    user.password_hash = await hash_password(new_password)
    ended = await repository.delete_other_sessions(session, user.id, auth.session_token_hash)
    await audit_everywhere(
        session, user.id, "auth.password_changed", client_ip, first_password=first_password, sessions_ended=ended
    )
    log.info("password.changed", first_password=first_password, sessions_ended=ended)
    return user
