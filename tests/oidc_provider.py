"""A real OpenID Connect provider for tests, served on loopback by uvicorn in a thread.

It speaks the authorization code flow with PKCE: a discovery document, ``/authorize`` (approves the
configured test user at once and redirects back with a code and the state), ``/token`` (checks the code,
the client's credentials, the redirect URI and the PKCE code verifier, then answers an access token and
an ID token signed RS256), ``/jwks`` and ``/userinfo``.

A test sets who signs in (:class:`TestUser`) and may ask it to misbehave (:data:`ATTACKS`): sign the ID
token with a key it does not publish, or make it expired, or for another nonce, audience or issuer.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote, urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from litestar import Litestar, Request, Response, get, post
from litestar.response import Redirect

ATTACKS = frozenset({"foreign_key", "expired", "wrong_nonce", "wrong_audience", "wrong_issuer"})
KEY_ID = "test-signing-key"


@dataclass
class TestUser:
    subject: str = field(default_factory=lambda: "user-" + secrets.token_hex(8))
    email: str = "pat.lee@example.com"
    email_verified: bool = True
    name: str = "Pat Lee"
    # Some providers put the email only in userinfo, not in the ID token.
    email_in_id_token: bool = True

    __test__ = False  # not a test class, despite its name


@dataclass(frozen=True)
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    code_challenge: str
    user: TestUser


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def half_hash(value: str) -> str:
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")


def problem(error: str, status: int = 400) -> Response[dict[str, str]]:
    return Response({"error": error}, status_code=status)


class OidcProvider:
    def __init__(self) -> None:
        self.client_id = "guanxi-test-client"
        # Characters that must be form-encoded in a Basic header (RFC 6749 2.3.1).
        self.client_secret = "s3cret/with+odd=chars"
        self.key = RSAKey.generate_key(2048, parameters={"kid": KEY_ID, "use": "sig", "alg": "RS256"})
        # Same key id as the published key: only the signature itself can give it away.
        self.foreign_key = RSAKey.generate_key(2048, parameters={"kid": KEY_ID, "use": "sig", "alg": "RS256"})
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    def reset(self) -> None:
        self.user = TestUser()
        self.attacks: set[str] = set()
        self.grants: dict[str, Grant] = {}
        self.access_tokens: dict[str, TestUser] = {}
        self.token_requests = 0
        self.redirect_uris: set[str] = set()  # registered by the client, as at a real provider

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- serving ---------------------------------------------------------------------------------

    def start(self) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app(), log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test OpenID provider did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    # --- the provider ----------------------------------------------------------------------------

    def app(self) -> Litestar:
        provider = self

        @get("/.well-known/openid-configuration")
        async def discovery() -> dict[str, Any]:
            return {
                "issuer": provider.issuer,
                "authorization_endpoint": f"{provider.issuer}/authorize",
                "token_endpoint": f"{provider.issuer}/token",
                "jwks_uri": f"{provider.issuer}/jwks",
                "userinfo_endpoint": f"{provider.issuer}/userinfo",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["openid", "email", "profile"],
            }

        @get("/authorize")
        async def authorize(request: Request[Any, Any, Any]) -> Response[Any]:
            query = request.query_params
            if query.get("client_id") != provider.client_id:
                return problem("unauthorized_client")
            if query.get("response_type") != "code" or "openid" not in (query.get("scope") or "").split():
                return problem("invalid_request")
            if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                return problem("invalid_request")
            redirect_uri = query.get("redirect_uri") or ""
            if redirect_uri not in provider.redirect_uris:
                return problem("invalid_redirect_uri")
            code = secrets.token_urlsafe(24)
            provider.grants[code] = Grant(
                client_id=provider.client_id,
                redirect_uri=redirect_uri,
                nonce=query.get("nonce"),
                code_challenge=query["code_challenge"],
                user=replace(provider.user),
            )
            answer = urlencode({"code": code, "state": query.get("state") or ""})
            return Redirect(f"{redirect_uri}?{answer}", status_code=302)

        @post("/token", status_code=200)
        async def token(request: Request[Any, Any, Any]) -> Response[Any]:
            provider.token_requests += 1
            form = await request.form()
            client_id, client_secret = provider._client_credentials(request, form)
            if (client_id, client_secret) != (provider.client_id, provider.client_secret):
                return problem("invalid_client", 401)
            if form.get("grant_type") != "authorization_code":
                return problem("unsupported_grant_type")
            grant = provider.grants.pop(str(form.get("code") or ""), None)
            if grant is None or grant.redirect_uri != form.get("redirect_uri"):
                return problem("invalid_grant")
            if s256(str(form.get("code_verifier") or "")) != grant.code_challenge:
                return problem("invalid_grant")
            access_token = secrets.token_urlsafe(24)
            provider.access_tokens[access_token] = grant.user
            return Response(
                {
                    "access_token": access_token,
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "scope": "openid email profile",
                    "id_token": provider._id_token(grant, access_token),
                }
            )

        @get("/jwks")
        async def jwks() -> dict[str, Any]:
            return {"keys": [provider.key.as_dict(private=False)]}

        @get("/userinfo")
        async def userinfo(request: Request[Any, Any, Any]) -> Response[Any]:
            scheme, _, value = request.headers.get("authorization", "").partition(" ")
            user = provider.access_tokens.get(value) if scheme.lower() == "bearer" else None
            if user is None:
                return problem("invalid_token", 401)
            return Response(
                {"sub": user.subject, "email": user.email, "email_verified": user.email_verified, "name": user.name}
            )

        return Litestar(route_handlers=[discovery, authorize, token, jwks, userinfo], openapi_config=None)

    def _client_credentials(self, request: Request[Any, Any, Any], form: Any) -> tuple[str, str]:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            client_id, _, secret = base64.b64decode(value).decode().partition(":")
            return unquote(client_id), unquote(secret)
        return str(form.get("client_id") or ""), str(form.get("client_secret") or "")

    def _id_token(self, grant: Grant, access_token: str) -> str:
        now = int(time.time())
        user = grant.user
        claims: dict[str, Any] = {
            "iss": "https://impostor.example" if "wrong_issuer" in self.attacks else self.issuer,
            "sub": user.subject,
            "aud": "someone-elses-client" if "wrong_audience" in self.attacks else grant.client_id,
            "iat": now - 3600 if "expired" in self.attacks else now,
            "exp": now - 600 if "expired" in self.attacks else now + 300,
            "at_hash": half_hash(access_token),
            "name": user.name,
        }
        if grant.nonce is not None:
            claims["nonce"] = "a-nonce-of-another-sign-in" if "wrong_nonce" in self.attacks else grant.nonce
        if user.email_in_id_token:
            claims.update(email=user.email, email_verified=user.email_verified)
        key = self.foreign_key if "foreign_key" in self.attacks else self.key
        return jwt.encode({"alg": "RS256", "kid": KEY_ID, "typ": "JWT"}, claims, key)


# Every setting that configures a sign-in provider: tests clear them all, then set the one they use.
PROVIDER_SETTINGS = (
    "oauth_google_client_id",
    "oauth_google_client_secret",
    "oauth_microsoft_client_id",
    "oauth_microsoft_client_secret",
    "oauth_github_client_id",
    "oauth_github_client_secret",
    "oidc_issuer",
    "oidc_client_id",
    "oidc_client_secret",
)
