from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.domain.identity.models import AuthSession, Membership, OAuthIdentity, User
from guanxi.domain.tenancy.models import Tenant


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    result = await session.scalars(select(User).where(func.lower(User.email) == email.lower()))
    return result.first()


async def email_exists(session: AsyncSession, email: str) -> bool:
    return await user_by_email(session, email) is not None


async def memberships_of(session: AsyncSession, user_id: uuid.UUID) -> list[tuple[Membership, Tenant]]:
    result = await session.execute(
        select(Membership, Tenant)
        .join(Tenant, Tenant.id == Membership.tenant_id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.created_at, Membership.id)
    )
    return [(m, t) for m, t in result.all()]


async def membership(
    session: AsyncSession, user_id: uuid.UUID, tenant_id: uuid.UUID
) -> tuple[Membership, Tenant] | None:
    result = await session.execute(
        select(Membership, Tenant)
        .join(Tenant, Tenant.id == Membership.tenant_id)
        .where(Membership.user_id == user_id, Membership.tenant_id == tenant_id)
    )
    row = result.first()
    return (row[0], row[1]) if row else None


async def session_with_user(
    session: AsyncSession, token_hash: str, now: dt.datetime
) -> tuple[AuthSession, User] | None:
    result = await session.execute(
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == token_hash, AuthSession.expires_at > now)
    )
    row = result.first()
    return (row[0], row[1]) if row else None


async def delete_session(session: AsyncSession, token_hash: str) -> None:
    await session.execute(delete(AuthSession).where(AuthSession.token_hash == token_hash))


async def delete_other_sessions(session: AsyncSession, user_id: uuid.UUID, keep_token_hash: str) -> int:
    result = await session.execute(
        delete(AuthSession).where(AuthSession.user_id == user_id, AuthSession.token_hash != keep_token_hash)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def lock_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    """The user, locked until the transaction ends: changes to how they sign in are made one at a time."""
    statement = select(User).where(User.id == user_id).with_for_update()
    result = await session.scalars(statement.execution_options(populate_existing=True))
    return result.first()


async def identities_of(session: AsyncSession, user_id: uuid.UUID) -> list[OAuthIdentity]:
    result = await session.scalars(
        select(OAuthIdentity)
        .where(OAuthIdentity.user_id == user_id)
        .order_by(OAuthIdentity.created_at, OAuthIdentity.id)
    )
    return list(result.all())


async def identity_by_subject(session: AsyncSession, provider: str, subject: str) -> OAuthIdentity | None:
    result = await session.scalars(
        select(OAuthIdentity).where(OAuthIdentity.provider == provider, OAuthIdentity.subject == subject)
    )
    return result.first()
