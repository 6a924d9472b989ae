"""Sign-in through identity providers: list them, start a sign-in, and finish it with the provider's answer."""

from __future__ import annotations

from typing import Any

from guanxi.domain.identity import oauth
from guanxi.domain.identity.oauth_schemas import (
    OAuthCallbackRequest,
    OAuthStartOut,
    OAuthStartRequest,
    ProviderOut,
    configured_providers,
)
from guanxi.domain.identity.schemas import SessionOut
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.controllers.identity import session_response, workspace_out
from guanxi_api.dependencies import client_ip
from guanxi_api.openapi import problems
from guanxi_api.problems import PROBLEM_JSON, Problem

PROVIDER_DOWN = {
    502: ResponseSpec(
        Problem, description="The identity provider could not be reached or answered badly", media_type=PROBLEM_JSON
    )
}
CALLBACK_REFUSALS = {
    400: ResponseSpec(
        Problem,
        description="The body is not valid JSON, or the state is unknown, expired or already used",
        media_type=PROBLEM_JSON,
    ),
    401: ResponseSpec(
        Problem, description="The provider refused the code, or its ID token failed a check", media_type=PROBLEM_JSON
    ),
    404: ResponseSpec(Problem, description="Unknown provider, or no account for this sign-in", media_type=PROBLEM_JSON),
    409: ResponseSpec(
        Problem,
        description="The email belongs to an account but the provider has not verified it",
        media_type=PROBLEM_JSON,
    ),
}


class OAuthController(Controller):
    path = "/api/v1/auth"
    tags = ["identity"]

    @get("/providers", summary="Identity providers you can sign in with", responses=problems(429))
    async def providers(self, request: Request[Any, Any, Any]) -> list[ProviderOut]:
        await oauth.refuse_when_limited(client_ip(request))
        return [ProviderOut(key=p.key, name=p.name) for p in configured_providers()]

    @post(
        "/oauth/{provider:str}/start",
        status_code=200,
        summary="Start signing in (or up) with an identity provider",
        description=(
            "Answers the provider's authorization URL to send the browser to. `redirect_uri` must lie under the "
            "site's public URL; `company_name` is required when `intent` is `signup`. Keep `state` and check "
            "that the provider's answer carries the same one, in the same browser."
        ),
        responses={**problems(400, 404, 422, 429), **PROVIDER_DOWN},
    )
    async def start(
        self, request: Request[Any, Any, Any], provider: FromPath[str], data: JSONBody[OAuthStartRequest]
    ) -> OAuthStartOut:
        return await oauth.start(
            provider,
            intent=data.intent,
            redirect_uri=data.redirect_uri,
            company_name=data.company_name,
            locale=data.locale,
            client_ip=client_ip(request),
        )

    @post(
        "/oauth/{provider:str}/callback",
        status_code=200,
        summary="Finish signing in with the provider's answer",
        description=(
            "Send the `state` and `code` the provider returned to the redirect URI. Opens a session like "
            "`/api/v1/auth/login`; a sign-up also creates the user and the workspace."
        ),
        responses={**problems(422, 429), **CALLBACK_REFUSALS, **PROVIDER_DOWN},
    )
    async def callback(
        self,
        request: Request[Any, Any, Any],
        provider: FromPath[str],
        data: JSONBody[OAuthCallbackRequest],
        db: NamedDependency[AsyncSession],
    ) -> Response[SessionOut]:
        signed_in = await oauth.finish(
            db,
            provider,
            state=data.state,
            code=data.code,
            client_ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
        await db.commit()
        workspace = workspace_out(signed_in.tenant, signed_in.role or "member") if signed_in.tenant else None
        return session_response(signed_in.issued, signed_in.user, workspace, 200)
