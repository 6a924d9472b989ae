"""Request-scoped dependencies: the database session and the authenticated caller."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import structlog
from guanxi.db.engine import get_sessionmaker
from guanxi.domain.identity.service import AuthContext, authenticate
from guanxi.errors import DomainError, not_authenticated
from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

SESSION_COOKIE = "gx_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


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
    auth = await authenticate(db, token)
    # A cookie is sent by the browser on its own; only our pages know the session's CSRF token.
    if from_cookie and request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != auth.csrf_token:
        raise DomainError(
            detail="Missing or wrong X-CSRF-Token header.", status=403, type="csrf-failed", title="CSRF check failed"
        )
    structlog.contextvars.bind_contextvars(
        user_id=str(auth.user.id), tenant_id=str(auth.tenant.id) if auth.tenant else None
    )
    return auth
