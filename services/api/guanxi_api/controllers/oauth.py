"""Sign-in through identity providers: list them, start a sign-in, and finish it with the provider's answer."""

from __future__ import annotations

from typing import Any

from guanxi.domain.identity import account, oauth
from guanxi.domain.identity.oauth_schemas import (
    IdentityOut,
    OAuthCallbackRequest,
    OAuthStartOut,
    OAuthStartRequest,
    ProviderOut,
    configured_providers,
)
from guanxi.domain.identity.schemas import SessionOut
from guanxi.domain.identity.service import refuse_tokens
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.controllers.identity import session_response, workspace_out
from guanxi_api.dependencies import client_ip, provide_auth
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
        Problem,
        description="The provider refused the code, its ID token failed a check, or a link's caller is not signed in",
        media_type=PROBLEM_JSON,
    ),
    403: ResponseSpec(
        Problem,
        description="A link started by another user, an API token, or the CSRF check failed",
        media_type=PROBLEM_JSON,
    ),
    404: ResponseSpec(Problem, description="Unknown provider, or no account for this sign-in", media_type=PROBLEM_JSON),
    409: ResponseSpec(
        Problem,
        description=(
            "The email belongs to an account but the provider has not verified it, or (a link) the provider "
            "account is linked to someone else"
        ),
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
            "that the provider's answer carries the same one, in the same browser. With `intent` `link` the "
            "caller must be signed in (session cookie or bearer; not an API token): the callback then adds the "
            "provider account to that user. For `login` and `signup`, credentials are ignored."
        ),
        responses={**problems(400, 401, 403, 404, 422, 429), **PROVIDER_DOWN},
    )
    async def start(
        self,
        request: Request[Any, Any, Any],
        provider: FromPath[str],
        data: JSONBody[OAuthStartRequest],
        db: NamedDependency[AsyncSession],
    ) -> OAuthStartOut:
        user_id = None
        if data.intent == "link":
            auth = await provide_auth(request, db)
            refuse_tokens(auth)
            user_id = auth.user.id
        return await oauth.start(
            provider,
            intent=data.intent,
            redirect_uri=data.redirect_uri,
            company_name=data.company_name,
            locale=data.locale,
            client_ip=client_ip(request),
            user_id=user_id,
        )

    @post(
        "/oauth/{provider:str}/callback",
        status_code=200,
        summary="Finish signing in with the provider's answer",
        description=(
            "Send the `state` and `code` the provider returned to the redirect URI. Opens a session like "
            "`/api/v1/auth/login`; a sign-up also creates the user and the workspace. A link (started with "
            "`intent` `link`) must be finished by the same signed-in user: it answers the linked identity "
            "(201, or 200 when it was already yours) and signs no one in."
        ),
        responses={**problems(422, 429), **CALLBACK_REFUSALS, **PROVIDER_DOWN},
    )
    async def callback(
        self,
        request: Request[Any, Any, Any],
        provider: FromPath[str],
        data: JSONBody[OAuthCallbackRequest],
        db: NamedDependency[AsyncSession],
    ) -> Response[SessionOut | IdentityOut]:
        chosen, flow = await oauth.take_flow(provider, data.state, client_ip=client_ip(request))
        if flow.intent == "link":
            # Known only once the flow is read: the flow is spent either way, so a refusal cannot be replayed.
            auth = await provide_auth(request, db)
            identity, created = await oauth.link(db, chosen, flow, data.code, auth, client_ip=client_ip(request))
            await db.commit()
            return Response(account.identity_out(identity), status_code=201 if created else 200)
        signed_in = await oauth.finish(
            db,
            chosen,
            flow,
            data.code,
            client_ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
        await db.commit()
        workspace = workspace_out(signed_in.tenant, signed_in.role or "member") if signed_in.tenant else None
        return session_response(signed_in.issued, signed_in.user, workspace, 200)
