from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, false, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db.base import IdMixin, PlatformBase, TimestampsMixin


class User(IdMixin, TimestampsMixin, PlatformBase):
    """A global identity: one person, who may belong to several workspaces."""

    __tablename__ = "users"
    __table_args__ = (
        Index("uq_users_email_lower", func.lower("email"), unique=True),
        Index("ix_users_operators", "id", postgresql_where=text("is_operator")),
    )

    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    locale: Mapped[str] = mapped_column(String(10), default="en")
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)  # None: the workspace's zone
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # Runs the installation (the operator's pages and API); set only by ``python -m guanxi operators grant``.
    is_operator: Mapped[bool] = mapped_column(default=False, server_default=false())


class Membership(IdMixin, TimestampsMixin, PlatformBase):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "tenant_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40))  # the member's main role key (see the tenant's roles)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | deactivated


class AuthSession(TimestampsMixin, PlatformBase):
    """A signed-in browser or client. Only the SHA-256 of the token is stored."""

    __tablename__ = "sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime]
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)


class OAuthIdentity(IdMixin, TimestampsMixin, PlatformBase):
    """A user's account at an identity provider (Google, Microsoft, GitHub, any OIDC issuer)."""

    __tablename__ = "oauth_identities"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    email_verified: Mapped[bool] = mapped_column(default=False)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class UsedLinkToken(PlatformBase):
    """Single-use links (password reset, email verification, invitations): a used id is kept until expiry."""

    __tablename__ = "used_link_tokens"

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(40))
    used_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[dt.datetime]


class UserTotp(TimestampsMixin, PlatformBase):
    """A user's TOTP second factor; recovery codes are stored hashed."""

    __tablename__ = "user_totp"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_used_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    recovery_code_hashes: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)


class Invitation(IdMixin, TimestampsMixin, PlatformBase):
    """An invitation to join a workspace with a role; only the SHA-256 of its link token is stored."""

    __tablename__ = "invitations"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(40))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[dt.datetime]
    accepted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    accepted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class ApiToken(IdMixin, TimestampsMixin, PlatformBase):
    """An integration's bearer token for one workspace; only the SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(60)))
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_used_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
