"""Request-scoped dependencies: the database session and the authenticated caller."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from guanxi import ratelimit
from guanxi.db.engine import get_sessionmaker
from guanxi.db.tenancy import TenantScope
from guanxi.domain.access.service import Access, load_access
from guanxi.domain.audit import service as audit
from guanxi.domain.billing import limits
from guanxi.domain.billing import service as billing
from guanxi.domain.identity import totp
from guanxi.domain.identity.service import AuthContext, authenticate
from guanxi.domain.identity.tokens import TOKEN_PREFIX, authenticate_token
from guanxi.errors import DomainError, not_authenticated
from litestar import Request
from litestar.di import NamedDependency
from litestar.types import Scope
from sqlalchemy.ext.asyncio import AsyncSession

SESSION_COOKIE = "gx_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# What a person needs to secure their account stays open: their profile, password, connected identities
# (linking one goes through the provider paths) and two-factor set-up; signing out; other workspaces.
TWO_FACTOR_EXEMPT = ("/api/v1/me", "/api/v1/auth/logout", "/api/v1/auth/oauth/", "/api/v1/workspaces")
# A read-only workspace (payment failed past the grace, trial over, cancelled) still lets people pay, sign out,
# look after their own account, switch workspaces, mark notifications read and take their data out (exports).
READ_ONLY_EXEMPT = (*TWO_FACTOR_EXEMPT, "/api/v1/billing", "/api/v1/exports", "/api/v1/notifications")


async def provide_db() -> AsyncGenerator[AsyncSession, None]:
    """Controllers commit once at the end of a write; anything uncommitted is rolled back here."""
    async with get_sessionmaker()() as session:
        try:
            yield session
        finally:
            await session.rollback()


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


async def provide_auth(request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]) -> AuthContext:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    from_cookie = False
    if scheme.lower() == "bearer" and credentials:
        token = credentials.strip()
    elif token := request.cookies.get(SESSION_COOKIE, ""):
        from_cookie = True
    else:
        raise not_authenticated()
    if token.startswith(TOKEN_PREFIX):
        auth, recorded = await authenticate_token(db, token, client_ip(request))
        await limits.count_api_call(db, auth.scope.tenant_id)  # the plan's API, and its calls a day
        if recorded:  # token use lands in the audit log, at most once a minute per token
            await audit.record(
                db,
                auth.scope,
                "api_token.used",
                actor_id=auth.user.id,
                actor_kind="api_token",
                target_type="api_token",
                target_id=auth.token_id,
                ip=client_ip(request),
                method=request.method,
                path=request.url.path,
            )
            await db.commit()
    else:
        auth = await authenticate(db, token)
    # A cookie is sent by the browser on its own; only our pages know the session's CSRF token.
    if from_cookie and request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != auth.csrf_token:
        raise DomainError(
            detail="Missing or wrong X-CSRF-Token header.", status=403, type="csrf-failed", title="CSRF check failed"
        )
    structlog.contextvars.bind_contextvars(
        user_id=str(auth.user.id), tenant_id=str(auth.tenant.id) if auth.tenant else None
    )
    # For audit_refusal, which runs after the request's session (and its ORM objects) are gone.
    if auth.tenant is not None and auth.tenant.status == "active":
        request.state.actor = Actor(auth.scope, auth.user.id, auth.actor_kind)
    # A workspace that requires two factors shows nothing else to a person who has not turned them on;
    # what they need to do so stays open (TWO_FACTOR_EXEMPT).
    if (
        auth.tenant is not None
        and auth.token_id is None
        and auth.tenant.status == "active"
        and not request.url.path.startswith(TWO_FACTOR_EXEMPT)
        and await totp.missing_for_workspace(db, auth.scope, auth.user.id)
    ):
        raise totp.required_error()
    if (
        auth.tenant is not None
        and request.method not in SAFE_METHODS
        and not request.url.path.startswith(READ_ONLY_EXEMPT)
        and await billing.writes_refused(db, auth.tenant.id)
    ):
        raise billing.read_only_error()
    return auth


def auth_needing(feature: str) -> Callable[..., Awaitable[AuthContext]]:
    """``provide_auth`` for a controller whose routes belong to a plan feature (402 ``plan-feature`` without it)."""

    async def provide(request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]) -> AuthContext:
        auth = await provide_auth(request, db)
        if auth.tenant is not None:
            await billing.require_feature(db, auth.tenant.id, feature)
        return auth

    return provide


async def provide_access(auth: NamedDependency[AuthContext], db: NamedDependency[AsyncSession]) -> Access:
    """What the caller may do in the current workspace (roles, data scopes), loaded once per request."""
    return await load_access(db, auth.scope)


async def provide_optional_auth(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
) -> AuthContext | None:
    """The caller when they sent credentials, else None (for links that work signed in or out)."""
    if not request.headers.get("authorization") and not request.cookies.get(SESSION_COOKIE):
        return None
    return await provide_auth(request, db)


REFUSALS_AUDITED_PER_MINUTE = 30
log = structlog.get_logger("api")


@dataclass(frozen=True)
class Actor:
    scope: TenantScope
    user_id: uuid.UUID
    kind: str


async def audit_refusal(error: Exception, scope: Scope) -> None:
    """A signed-in caller refused a record or an action (403, or 404 where existence must not leak) leaves a
    trace in their workspace's audit log: a rep probing colleagues' ids by hand shows up there. The request's
    own transaction is rolled back, so this writes in its own; bounded per person so it cannot flood the log."""
    if not isinstance(error, DomainError) or error.status not in (403, 404):
        return
    actor = scope.get("state", {}).get("actor")
    if not isinstance(actor, Actor):
        return
    try:
        allowed, _ = await ratelimit.hit(f"audit-refusal:{actor.user_id}", REFUSALS_AUDITED_PER_MINUTE, 60)
        if not allowed:
            return
        client = scope.get("client")
        async with get_sessionmaker()() as session:
            await audit.record(
                session,
                actor.scope,
                "access.refused",
                actor_id=actor.user_id,
                actor_kind=actor.kind,
                ip=client[0] if client else "unknown",
                method=scope.get("method"),
                path=scope.get("path"),
                status=error.status,
                problem=error.type,
            )
            await session.commit()
    except Exception:  # the refusal itself must still reach the caller
        log.exception("audit.refusal_not_recorded")


async def audit_action(
    db: AsyncSession, auth: AuthContext, request: Request[Any, Any, Any], action: str, **fields: Any
) -> None:
    """Record what the caller (a person or an API token) did in the current workspace, and from where."""
    await audit.record(
        db, auth.scope, action, actor_id=auth.user.id, actor_kind=auth.actor_kind, ip=client_ip(request), **fields
    )
