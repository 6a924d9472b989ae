"""API tokens for integrations: scoped, shown once, stored hashed, with last use and expiry, revocable.

A token acts for the member who created it, in one workspace, within that member's role and within the
token's scopes (``<module>:read``, ``<module>:write``, ``*:read``, ``*:write``; write includes read).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from guanxi_tenants.access import MODULES
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id, utcnow
from guanxi.domain.identity.models import ApiToken, Membership, User
from guanxi.domain.identity.service import AuthContext, hash_token
from guanxi.domain.tenancy.models import Tenant
from guanxi.errors import FieldError, not_authenticated, not_found, validation_error

TOKEN_PREFIX = "gxt_"  # noqa: S105 (a prefix, not a secret)
MAX_TOKENS_PER_WORKSPACE = 100
LAST_USE_RESOLUTION = dt.timedelta(minutes=1)  # last use is written at most once a minute per token


def valid_scopes() -> set[str]:
    return {f"{module}:{level}" for module in (*MODULES, "*") for level in ("read", "write")}


def check_token_input(name: str, scopes: list[str], expires_in_days: int | None) -> tuple[str, list[str]]:
    errors: list[FieldError] = []
    cleaned = name.strip()
    if not cleaned or len(cleaned) > 100:
        errors.append(FieldError("name", "must be 1 to 100 characters", "invalid_length"))
    unknown = sorted(set(scopes) - valid_scopes())
    if not scopes:
        errors.append(FieldError("scopes", "must name at least one scope", "required"))
    elif unknown:
        errors.append(FieldError("scopes", f"unknown scopes: {', '.join(unknown[:5])}", "invalid_choice"))
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        errors.append(FieldError("expires_in_days", "must be between 1 and 3650", "out_of_range"))
    if errors:
        raise validation_error(*errors)
    return cleaned, sorted(set(scopes))


async def create_token(
    session: AsyncSession, auth: AuthContext, *, name: str, scopes: list[str], expires_in_days: int | None
) -> tuple[ApiToken, str]:
    cleaned, scopes = check_token_input(name, scopes, expires_in_days)
    tenant_id = auth.scope.tenant_id
    count = len(
        list(
            await session.scalars(
                select(ApiToken.id).where(ApiToken.tenant_id == tenant_id, ApiToken.revoked_at.is_(None))
            )
        )
    )
    if count >= MAX_TOKENS_PER_WORKSPACE:
        raise validation_error(FieldError("name", "this workspace has too many active tokens", "limit"))
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        id=new_id(),
        tenant_id=tenant_id,
        user_id=auth.user.id,
        name=cleaned,
        token_hash=hash_token(secret),
        prefix=prefix,
        scopes=scopes,
        expires_at=utcnow() + dt.timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(token)
    await session.flush()
    return token, secret


async def list_tokens(session: AsyncSession, tenant_id: uuid.UUID) -> list[ApiToken]:
    return list(
        await session.scalars(
            select(ApiToken).where(ApiToken.tenant_id == tenant_id).order_by(ApiToken.created_at.desc(), ApiToken.id)
        )
    )


async def revoke_token(session: AsyncSession, tenant_id: uuid.UUID, token_id: uuid.UUID) -> ApiToken:
    token = await session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.tenant_id == tenant_id))
    if token is None:
        raise not_found("API token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


async def authenticate_token(session: AsyncSession, secret: str, client_ip: str) -> tuple[AuthContext, bool]:
    """The caller behind an API token; the flag says whether this use was recorded as the last use."""
    now = utcnow()
    row = (
        await session.execute(
            select(ApiToken, User, Tenant, Membership)
            .join(User, User.id == ApiToken.user_id)
            .join(Tenant, Tenant.id == ApiToken.tenant_id)
            .join(Membership, (Membership.user_id == ApiToken.user_id) & (Membership.tenant_id == ApiToken.tenant_id))
            .where(ApiToken.token_hash == hash_token(secret))
        )
    ).first()
    if row is None:
        raise not_authenticated("Unknown API token.")
    token, user, tenant, membership = row
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        raise not_authenticated("This API token has been revoked or has expired.")
    if membership.status != "active" or tenant.status != "active":
        raise not_authenticated("This API token's owner no longer has access to the workspace.")
    recorded = token.last_used_at is None or now - token.last_used_at > LAST_USE_RESOLUTION
    if recorded:
        await session.execute(
            update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now, last_used_ip=client_ip[:64])
        )
    auth = AuthContext(
        user=user,
        session_token_hash="",
        csrf_token="",
        tenant=tenant,
        role=membership.role,
        token_id=token.id,
        token_scopes=tuple(token.scopes),
    )
    return auth, recorded
