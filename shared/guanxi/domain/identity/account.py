"""A signed-in person's own account: changing (or first setting) the password, and the identity providers
linked to it. Linking a provider goes through the provider's flow, in ``oauth.py``.

These settings belong to the person, not to a workspace: API tokens, which act in one workspace, are
refused. No HTTP here and no commit except where a refusal must leave its trace: the edge commits.
"""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi import ratelimit
from guanxi.domain.identity import repository, validation
from guanxi.domain.identity.models import OAuthIdentity, User
from guanxi.domain.identity.oauth_schemas import IdentityOut, configured_providers, provider_name
from guanxi.domain.identity.passwords import MAX_LENGTH, hash_password, verify_password
from guanxi.domain.identity.service import AuthContext, audit_everywhere, refuse_tokens
from guanxi.errors import DomainError, FieldError, not_found, validation_error

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


def identity_out(identity: OAuthIdentity, available: set[str] | None = None) -> IdentityOut:
    offered = available if available is not None else {p.key for p in configured_providers()}
    return IdentityOut(
        id=identity.id,
        provider=identity.provider,
        provider_name=provider_name(identity.provider),
        email=identity.email,
        linked_at=identity.created_at,
        last_login_at=identity.last_login_at,
        available=identity.provider in offered,
    )


async def identities(session: AsyncSession, auth: AuthContext) -> list[IdentityOut]:
    refuse_tokens(auth)
    offered = {p.key for p in configured_providers()}
    return [identity_out(identity, offered) for identity in await repository.identities_of(session, auth.user.id)]


def last_sign_in_method() -> DomainError:
    return DomainError(
        detail=(
            "This is the only way you can sign in. Set a password or connect another provider before you remove it."
        ),
        status=409,
        type="last-sign-in-method",
        title="Last way to sign in",
    )


async def unlink(session: AsyncSession, auth: AuthContext, identity_id: uuid.UUID, client_ip: str) -> OAuthIdentity:
    """Remove a linked provider account, unless the person could then no longer sign in.

    A way to sign in is the password, or an identity at a provider the operator still offers. The user
    row is locked first, so two removals at once cannot each count on the identity the other removes.
    """
    refuse_tokens(auth)
    user = await repository.lock_user(session, auth.user.id)
    assert user is not None
    linked = await repository.identities_of(session, user.id)
    identity = next((candidate for candidate in linked if candidate.id == identity_id), None)
    if identity is None:
        raise not_found("Connected identity")
    offered = {p.key for p in configured_providers()}
    others = [other for other in linked if other.id != identity.id and other.provider in offered]
    if user.password_hash is None and not others:
        log.info("identity.unlink_refused", provider=identity.provider, reason="last_sign_in_method")
        raise last_sign_in_method()
    await session.delete(identity)
    await session.flush()
    await audit_everywhere(
        session, user.id, "identity.unlinked", client_ip, provider=identity.provider, identity_id=str(identity.id)
    )
    log.info("identity.unlinked", provider=identity.provider)
    return identity
