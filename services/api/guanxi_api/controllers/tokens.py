"""API tokens of the current workspace: create (shown once), list, revoke."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from guanxi.domain.access.service import Access
from guanxi.domain.billing import service as billing
from guanxi.domain.identity import tokens
from guanxi.domain.identity.models import ApiToken
from guanxi.domain.identity.schemas import TokenCreated, TokenOut
from guanxi.domain.identity.service import AuthContext
from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import audit_action, provide_access, provide_auth
from guanxi_api.openapi import problems


class TokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    scopes: list[str]
    expires_in_days: int | None = None


def token_out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        scopes=list(token.scopes),
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        last_used_ip=token.last_used_ip,
        revoked=token.revoked_at is not None,
    )


class TokenController(Controller):
    path = "/api/v1/tokens"
    tags = ["integrations"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    @get("", summary="API tokens of the current workspace", responses=problems(401, 403))
    async def list_tokens(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> list[TokenOut]:
        access.require("api_tokens", "read")
        auth.require_token_scope("api_tokens", "read")
        return [token_out(t) for t in await tokens.list_tokens(db, auth.scope.tenant_id)]

    @post(
        "",
        status_code=201,
        summary="Create a token (its secret is shown only in this response)",
        responses=problems(400, 401, 403, 422),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TokenCreate],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> TokenCreated:
        access.require("api_tokens", "create")
        auth.require_token_scope("api_tokens", "write")
        await billing.require_feature(db, auth.scope.tenant_id, "api")
        token, secret = await tokens.create_token(
            db, auth, name=data.name, scopes=data.scopes, expires_in_days=data.expires_in_days
        )
        await audit_action(
            db,
            auth,
            request,
            "api_token.created",
            target_type="api_token",
            target_id=token.id,
            name=token.name,
            scopes=token.scopes,
        )
        await db.commit()
        return TokenCreated(token=secret, details=token_out(token))

    @delete("/{token_id:uuid}", status_code=204, summary="Revoke a token at once", responses=problems(401, 403, 404))
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        token_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> None:
        access.require("api_tokens", "delete")
        auth.require_token_scope("api_tokens", "write")
        token = await tokens.revoke_token(db, auth.scope.tenant_id, token_id)
        await audit_action(db, auth, request, "api_token.revoked", target_type="api_token", target_id=token.id)
        await db.commit()
