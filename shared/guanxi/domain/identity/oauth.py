"""Sign-in through identity providers: Google, Microsoft and any OpenID Connect issuer, and GitHub.

The authorization code flow, with ``state``, ``nonce`` and PKCE (S256):

1. :func:`start` keeps what the answer will be checked against (nonce, code verifier, redirect URI,
   intent) in Redis for ten minutes, keyed by the state, and returns the provider's authorization URL.
2. The provider sends the browser back to the redirect URI with ``code`` and ``state``.
   :func:`take_flow` takes the flow out of Redis (once: a replayed state finds nothing); :func:`finish`
   (or :func:`link`) exchanges the code and learns who signed in: from the ID token, verified against the
   provider's published keys, issuer, audience, expiry and nonce (OpenID Connect), or from GitHub's API,
   which has no ID token.
3. :func:`sign_in` applies the linking rules and opens a session. A flow started with the intent
   ``link`` by a signed-in user instead adds the provider account to that same user (:func:`link`), and
   signs no one in.

Binding a flow to the browser that started it is the caller's part (the web keeps the state in a
cookie). Settings are read at call time. No HTTP framework here and no commit: the edge commits.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import httpx
import msgspec
import structlog
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi import ratelimit
from guanxi.config import get_settings
from guanxi.db.base import new_id, utcnow
from guanxi.domain.identity import repository, validation
from guanxi.domain.identity.models import OAuthIdentity, User
from guanxi.domain.identity.oauth_schemas import Intent, OAuthStartOut, Provider, configured_providers
from guanxi.domain.identity.service import (
    AuthContext,
    IssuedSession,
    audit_everywhere,
    create_owner_with_workspace,
    open_session,
    refuse_tokens,
    require_second_factor,
)
from guanxi.domain.tenancy.models import Tenant
from guanxi.errors import (
    DomainError,
    FieldError,
    conflict,
    not_authenticated,
    not_found,
    too_many_requests,
    validation_error,
)
from guanxi.redis import get_redis

log = structlog.get_logger("oauth")

FLOW_SECONDS = 600
DISCOVERY_SECONDS = 3600
# A token signed with a key we do not know makes us fetch the keys again, but not more often than this.
KEYS_REFRESH_SECONDS = 60
CLOCK_LEEWAY_SECONDS = 60
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")

MICROSOFT_HOST = "https://login.microsoftonline.com/"
GITHUB_AUTHORIZE_URL = "https://github.com/login/oauth/authorize"
GITHUB_TOKEN_URL = "https://github.com/login/oauth/access_token"  # noqa: S105 (an address)
GITHUB_API = "https://api.github.com"

# Tests stand in for the providers outside this machine (GitHub) at the HTTP boundary with an
# ``httpx.MockTransport`` set here; ``None`` is the network.
transport: httpx.AsyncBaseTransport | None = None


@dataclass(frozen=True)
class ProviderAccount:
    """Who signed in, as the provider tells it; ``email_verified`` is the provider's word, never ours."""

    subject: str
    email: str | None
    email_verified: bool
    name: str | None


@dataclass(frozen=True)
class SignedIn:
    user: User
    issued: IssuedSession
    tenant: Tenant | None
    role: str | None


class Flow(msgspec.Struct):
    """A started sign-in, kept in Redis under the hash of its state until the provider answers."""

    provider: str
    intent: Intent
    redirect_uri: str
    nonce: str
    code_verifier: str
    locale: str
    company_name: str | None = None
    user_id: str | None = None  # a link: the signed-in user who started it, the only one who may finish it


def get_provider(key: str) -> Provider:
    for provider in configured_providers():
        if provider.key == key:
            return provider
    raise not_found("Sign-in provider")


# --- problems ------------------------------------------------------------------------------------


def state_invalid() -> DomainError:
    return DomainError(
        detail="This sign-in is unknown, has expired or was already used. Start again.",
        status=400,
        type="oauth-state-invalid",
        title="Sign-in expired",
    )


def _refused(provider: Provider, reason: str) -> DomainError:
    return DomainError(
        detail=f"The sign-in with {provider.name} could not be completed: {reason}.",
        status=401,
        type="oauth-refused",
        title="Sign-in refused",
    )


def _token_refused(provider: Provider, reason: str) -> DomainError:
    log.warning("oauth.id_token_refused", provider=provider.key, reason=reason)
    return DomainError(
        detail=f"The ID token from {provider.name} was refused: {TOKEN_REASONS[reason]}.",
        status=401,
        type="oauth-invalid-token",
        title="Sign-in could not be verified",
    )


TOKEN_REASONS = {
    "missing": "the provider sent none",
    "signature": "its signature does not match the provider's published keys",
    "expired": "it has expired",
    "issuer": "it was issued by someone other than the configured provider",
    "audience": "it was issued for another application",
    "nonce": "it belongs to another sign-in",
    "claims": "it lacks claims that an ID token must have",
}


def _unreachable(provider: Provider, what: str) -> DomainError:
    log.warning("oauth.provider_failed", provider=provider.key, what=what)
    return DomainError(
        detail=f"{provider.name} could not be reached or gave an unusable answer. Try again in a moment.",
        status=502,
        type="oauth-provider-unavailable",
        title="Identity provider unavailable",
    )


def _email_unverified(provider: Provider) -> DomainError:
    return DomainError(
        detail=(
            f"An account with this email address already exists, but {provider.name} has not verified that the "
            f"address is yours, so your {provider.name} account is not linked to it. Sign in with your password."
        ),
        status=409,
        type="oauth-email-unverified",
        title="Email address not verified by the provider",
    )


def _no_account(provider: Provider) -> DomainError:
    return DomainError(
        detail=f"No account is linked to this {provider.name} account yet. Sign up first.",
        status=404,
        type="oauth-no-account",
        title="No account",
    )


def _identity_taken(provider: Provider) -> DomainError:
    return DomainError(
        detail=f"This {provider.name} account is already linked to another Guanxi account.",
        status=409,
        type="oauth-identity-taken",
        title="Provider account linked elsewhere",
    )


def _link_of_someone_else() -> DomainError:
    return DomainError(
        detail="This link to a provider was started by someone else. Start it again from your account.",
        status=403,
        type="oauth-link-other-user",
        title="Link started by someone else",
    )


def _email_missing(provider: Provider) -> DomainError:
    return DomainError(
        detail=f"{provider.name} did not share an email address, and a new account needs one.",
        status=422,
        type="oauth-email-missing",
        title="Email address needed",
    )


# --- the flow ------------------------------------------------------------------------------------


async def limit_attempts(client_ip: str) -> None:
    s = get_settings()
    await ratelimit.enforce(
        f"oauth:{client_ip}",
        s.oauth_attempts_per_window,
        s.login_window_seconds,
        "Too many sign-in attempts from this address. Try again later.",
    )


async def refuse_when_limited(client_ip: str) -> None:
    """Refuse an address that is over its sign-in limit, without counting this request."""
    if retry := await ratelimit.is_blocked(f"oauth:{client_ip}", get_settings().oauth_attempts_per_window):
        raise too_many_requests("Too many sign-in attempts from this address. Try again later.", retry)


def redirect_allowed(redirect_uri: str, public_url: str) -> bool:
    """Only an address on our own site: the provider sends the code there (no open redirect, no code theft)."""
    if any(ord(char) < 0x21 or ord(char) == 0x7F or char == "\\" for char in redirect_uri):
        return False
    ours, theirs = urlsplit(public_url.rstrip("/")), urlsplit(redirect_uri)
    if (theirs.scheme.lower(), theirs.netloc.lower()) != (ours.scheme.lower(), ours.netloc.lower()):
        return False
    if theirs.fragment or theirs.username is not None:
        return False
    # Browsers resolve "..", also when percent-encoded, before they ask for the path.
    if any(segment in (".", "..") for segment in unquote(theirs.path).split("/")):
        return False
    return theirs.path == ours.path or theirs.path.startswith(ours.path + "/")


def _check_start(
    intent: Intent, redirect_uri: str, company_name: str | None, locale: str | None
) -> tuple[str | None, str]:
    errors: list[FieldError] = []
    if not redirect_allowed(redirect_uri, get_settings().public_url):
        errors.append(FieldError("redirect_uri", "must be an address on this site", "not_allowed"))
    company: str | None = None
    if intent == "signup":
        company, error = validation.clean_text("company_name", company_name or "")
        errors += [error] if error else []
    locale = locale or "en"
    if error := validation.check_locale(locale):
        errors.append(error)
    if errors:
        raise validation_error(*errors)
    return company, locale


def _flow_key(state: str) -> str:
    return "oauth:flow:" + hashlib.sha256(state.encode()).hexdigest()


async def start(
    provider_key: str,
    *,
    intent: Intent,
    redirect_uri: str,
    company_name: str | None,
    locale: str | None,
    client_ip: str,
    user_id: uuid.UUID | None = None,
) -> OAuthStartOut:
    """Remember a new sign-in and return where to send the browser. A link needs the signed-in user."""
    await limit_attempts(client_ip)
    provider = get_provider(provider_key)
    if intent == "link" and user_id is None:
        raise not_authenticated("Sign in to connect a provider to your account.")
    company, locale = _check_start(intent, redirect_uri, company_name, locale)
    if provider.issuer is not None:
        authorization_endpoint = str((await _discover(provider)).metadata["authorization_endpoint"])
    else:
        authorization_endpoint = GITHUB_AUTHORIZE_URL
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    flow = Flow(
        provider=provider.key,
        intent=intent,
        redirect_uri=redirect_uri,
        nonce=nonce,
        code_verifier=verifier,
        locale=locale,
        company_name=company,
        user_id=str(user_id) if intent == "link" and user_id is not None else None,
    )
    await get_redis().set(_flow_key(state), msgspec.json.encode(flow), ex=FLOW_SECONDS)
    url = prepare_grant_uri(
        authorization_endpoint,
        provider.client_id,
        "code",
        redirect_uri=redirect_uri,
        scope=provider.scope,
        state=state,
        nonce=nonce if provider.issuer is not None else None,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    log.info("oauth.started", provider=provider.key, intent=intent)
    return OAuthStartOut(authorization_url=str(url), state=state)


async def _take_flow(state: str) -> Flow | None:
    """The flow of this state, removed as it is read, so that it serves one answer only."""
    stored = await get_redis().getdel(_flow_key(state))
    if stored is None:
        return None
    return msgspec.json.decode(stored, type=Flow)


async def take_flow(provider_key: str, state: str, *, client_ip: str) -> tuple[Provider, Flow]:
    """The flow the provider's answer belongs to; refused unless it is known, unused and this provider's."""
    await limit_attempts(client_ip)
    provider = get_provider(provider_key)
    flow = await _take_flow(state)
    if flow is None or flow.provider != provider.key:
        log.info("oauth.state_refused", provider=provider.key, known=flow is not None)
        raise state_invalid()
    return provider, flow


async def _provider_account(provider: Provider, flow: Flow, code: str) -> ProviderAccount:
    if provider.issuer is not None:
        return await _oidc_account(provider, flow, code)
    return await _github_account(provider, flow, code)


async def finish(
    session: AsyncSession, provider: Provider, flow: Flow, code: str, *, client_ip: str, user_agent: str | None
) -> SignedIn:
    """A sign-in's or sign-up's answer: learn who signed in, and sign them in (or up)."""
    if flow.intent == "link":  # the caller must take the signed-in user's path: link()
        raise state_invalid()
    account = await _provider_account(provider, flow, code)
    return await sign_in(session, provider, account, flow, client_ip=client_ip, user_agent=user_agent)


async def link(
    session: AsyncSession, provider: Provider, flow: Flow, code: str, auth: AuthContext, *, client_ip: str
) -> tuple[OAuthIdentity, bool]:
    """A link's answer: add the provider account to the signed-in user who started the link.

    Only that same user may finish it (checked before the code is spent), and a provider account that
    belongs to someone else stays theirs. Nobody is signed in or out. Returns the identity and whether
    it is new (a provider account already linked to this user is kept, with the provider's facts renewed).
    """
    refuse_tokens(auth)
    if flow.intent != "link" or flow.user_id != str(auth.user.id):
        log.info("oauth.link_refused", provider=provider.key, reason="other_user")
        raise _link_of_someone_else()
    account = await _provider_account(provider, flow, code)
    user = await _user(session, auth.user.id)
    identity = await repository.identity_by_subject(session, provider.key, account.subject)
    if identity is not None and identity.user_id != user.id:
        log.info("oauth.link_refused", provider=provider.key, reason="linked_elsewhere")
        raise _identity_taken(provider)
    created = identity is None
    if identity is None:
        identity = await _link(session, user, provider, account)
    _note_account(identity, user, account)
    await session.flush()
    await session.refresh(identity)
    if created:
        await audit_everywhere(
            session, user.id, "identity.linked", client_ip, provider=provider.key, identity_id=str(identity.id)
        )
        log.info("oauth.identity_linked", provider=provider.key, user_id=str(user.id), intent="link")
    return identity, created


# --- talking to providers ------------------------------------------------------------------------


def _http() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(10.0, connect=5.0),
        headers={"User-Agent": "GuanxiCRM", "Accept": "application/json"},
    )


def _json_of(provider: Provider, response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise _unreachable(provider, what) from error


async def _get_json(
    provider: Provider, url: str, what: str, headers: dict[str, str] | None = None, *, optional: bool = False
) -> Any:
    """GET a JSON document; ``optional`` answers None when the provider refuses (4xx) instead of failing."""
    try:
        async with _http() as http:
            response = await http.get(url, headers=headers)
    except httpx.HTTPError as error:
        raise _unreachable(provider, what) from error
    if optional and 400 <= response.status_code < 500:
        return None
    if response.status_code != 200:
        raise _unreachable(provider, what)
    return _json_of(provider, response, what)


async def _exchange_code(
    provider: Provider, token_endpoint: str, flow: Flow, code: str, *, basic: bool
) -> dict[str, Any]:
    """Trade the code for tokens, proving with the code verifier that we are who asked for it."""
    credentials = {"client_id": provider.client_id, "client_secret": provider.client_secret}
    body = prepare_token_request(
        "authorization_code",
        code=code,
        redirect_uri=flow.redirect_uri,
        code_verifier=flow.code_verifier,
        **({} if basic else credentials),
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if basic:
        # RFC 6749 2.3.1: the id and secret are form-encoded before they go into the Basic header.
        pair = f"{quote(provider.client_id, safe='')}:{quote(provider.client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    try:
        async with _http() as http:
            response = await http.post(token_endpoint, content=str(body), headers=headers)
    except httpx.HTTPError as error:
        raise _unreachable(provider, "token") from error
    if response.status_code >= 500:
        raise _unreachable(provider, "token")
    payload = _json_of(provider, response, "token")
    if not isinstance(payload, dict) or response.is_error or "error" in payload or "access_token" not in payload:
        error_code = str(payload.get("error", "")) if isinstance(payload, dict) else ""
        log.info("oauth.code_refused", provider=provider.key, status=response.status_code, error=error_code[:60])
        raise _refused(provider, "the provider did not accept the sign-in code")
    return payload


@dataclass
class _Discovery:
    metadata: dict[str, Any]
    fetched_at: float
    keys: KeySet | None = None
    keys_fetched_at: float = 0.0


_discovered: dict[str, _Discovery] = {}


def forget_discovery() -> None:
    """Drop every cached discovery document and key set (a provider changed them; tests start clean)."""
    _discovered.clear()


def _issuer_matches(provider: Provider, issuer: object) -> bool:
    if not isinstance(issuer, str) or provider.issuer is None:
        return False
    if provider.key == "microsoft":
        # "common", "organizations" and domain names resolve to a tenant id, or to the "{tenantid}" template.
        return issuer.startswith(MICROSOFT_HOST)
    return issuer.rstrip("/") == provider.issuer.rstrip("/")


async def _discover(provider: Provider) -> _Discovery:
    """The provider's OpenID configuration, cached per issuer for an hour."""
    assert provider.issuer is not None
    cached = _discovered.get(provider.issuer)
    if cached is not None and time.monotonic() - cached.fetched_at < DISCOVERY_SECONDS:
        return cached
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    metadata = await _get_json(provider, url, "discovery")
    required = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    if not isinstance(metadata, dict) or not all(isinstance(metadata.get(key), str) for key in required):
        raise _unreachable(provider, "discovery")
    if not _issuer_matches(provider, metadata["issuer"]):
        raise _unreachable(provider, "discovery_issuer")
    discovery = _Discovery(metadata=metadata, fetched_at=time.monotonic())
    _discovered[provider.issuer] = discovery
    return discovery


async def _key_set(provider: Provider, discovery: _Discovery, *, refresh: bool = False) -> KeySet:
    stale = time.monotonic() - discovery.keys_fetched_at >= KEYS_REFRESH_SECONDS
    if discovery.keys is None or (refresh and stale):
        document = await _get_json(provider, discovery.metadata["jwks_uri"], "jwks")
        try:
            discovery.keys = KeySet.import_key_set(document)
        except (JoseError, ValueError, TypeError, KeyError) as error:
            raise _unreachable(provider, "jwks") from error
        discovery.keys_fetched_at = time.monotonic()
    return discovery.keys


def _expected_issuers(provider: Provider, issuer: str, claims: dict[str, Any]) -> list[str]:
    if "{tenantid}" in issuer:  # Microsoft's multi-tenant endpoints: the issuer names the user's tenant
        return [issuer.replace("{tenantid}", str(claims.get("tid", "")))]
    if provider.key == "google":  # Google's ID tokens may name the issuer without the scheme
        return [issuer, "accounts.google.com"]
    return [issuer]


def _reason_of(error: ClaimError) -> str:
    if isinstance(error, ExpiredTokenError):
        return "expired"
    return {"iss": "issuer", "aud": "audience", "azp": "audience", "nonce": "nonce"}.get(error.claim, "claims")


async def _verify_id_token(
    provider: Provider, discovery: _Discovery, id_token: str, *, nonce: str, access_token: str | None
) -> dict[str, Any]:
    offered = discovery.metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [alg for alg in offered if alg in SIGNING_ALGORITHMS]
    try:
        try:
            token = jwt.decode(id_token, await _key_set(provider, discovery), algorithms=algorithms)
        except InvalidKeyIdError:  # the provider may have rotated its keys since we fetched them
            token = jwt.decode(id_token, await _key_set(provider, discovery, refresh=True), algorithms=algorithms)
    except (JoseError, ValueError) as error:
        raise _token_refused(provider, "signature") from error
    options: dict[str, Any] = {
        "iss": {"essential": True, "values": _expected_issuers(provider, discovery.metadata["issuer"], token.claims)},
        "aud": {"essential": True, "value": provider.client_id},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }
    params = {"nonce": nonce, "client_id": provider.client_id, "access_token": access_token}
    claims = CodeIDToken(token.claims, token.header, options, params)
    try:
        claims.validate(leeway=CLOCK_LEEWAY_SECONDS)
    except ClaimError as error:
        raise _token_refused(provider, _reason_of(error)) from error
    except JoseError as error:
        raise _token_refused(provider, "claims") from error
    return dict(claims)


def _email_verified(provider: Provider, claims: dict[str, Any]) -> bool:
    value = claims.get("email_verified")
    if value is None and provider.key == "microsoft":
        # Microsoft sends no email_verified; "xms_edov" says the tenant's owner verified the email domain.
        value = claims.get("xms_edov")
    return value is True or value == "true"


def _account(provider: Provider, subject: object, email: object, verified: bool, name: object) -> ProviderAccount:
    if not isinstance(subject, str) or not 0 < len(subject) <= 255:
        raise _unreachable(provider, "subject")
    address: str | None = None
    if isinstance(email, str) and email:
        address, error = validation.normalise_email(email)
        address = None if error else address
    return ProviderAccount(
        subject=subject,
        email=address,
        email_verified=verified and address is not None,
        name=name if isinstance(name, str) else None,
    )


async def _oidc_account(provider: Provider, flow: Flow, code: str) -> ProviderAccount:
    discovery = await _discover(provider)
    metadata = discovery.metadata
    methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    basic = "client_secret_basic" in methods or "client_secret_post" not in methods
    tokens = await _exchange_code(provider, metadata["token_endpoint"], flow, code, basic=basic)
    id_token, access_token = tokens.get("id_token"), tokens.get("access_token")
    if not isinstance(id_token, str):
        raise _token_refused(provider, "missing")
    claims = await _verify_id_token(
        provider,
        discovery,
        id_token,
        nonce=flow.nonce,
        access_token=access_token if isinstance(access_token, str) else None,
    )
    if not claims.get("email") and isinstance(metadata.get("userinfo_endpoint"), str) and access_token:
        info = await _get_json(
            provider, metadata["userinfo_endpoint"], "userinfo", {"Authorization": f"Bearer {access_token}"}
        )
        # Claims from userinfo count only for the subject of the verified ID token (OIDC Core 5.3.2).
        if isinstance(info, dict) and info.get("sub") == claims["sub"]:
            claims = {**info, **{k: v for k, v in claims.items() if v is not None}}
    return _account(provider, claims["sub"], claims.get("email"), _email_verified(provider, claims), claims.get("name"))


async def _github_account(provider: Provider, flow: Flow, code: str) -> ProviderAccount:
    """GitHub has no ID token: the user comes from its API, the email only if primary and verified."""
    tokens = await _exchange_code(provider, GITHUB_TOKEN_URL, flow, code, basic=False)
    headers = {
        "Authorization": f"Bearer {tokens['access_token']}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    user = await _get_json(provider, f"{GITHUB_API}/user", "user", headers)
    if not isinstance(user, dict) or not isinstance(user.get("id"), int):
        raise _unreachable(provider, "user")
    emails = await _get_json(provider, f"{GITHUB_API}/user/emails", "emails", headers, optional=True)
    primary = next(
        (
            e
            for e in emails or []
            if isinstance(e, dict) and e.get("primary") is True and isinstance(e.get("email"), str)
        ),
        None,
    )
    return _account(
        provider,
        str(user["id"]),
        primary["email"] if primary else None,
        bool(primary and primary.get("verified") is True),
        user.get("name") or user.get("login"),
    )


# --- who signs in --------------------------------------------------------------------------------


async def _link(session: AsyncSession, user: User, provider: Provider, account: ProviderAccount) -> OAuthIdentity:
    identity = OAuthIdentity(id=new_id(), user_id=user.id, provider=provider.key, subject=account.subject)
    session.add(identity)
    try:
        await session.flush()
    except IntegrityError as error:  # the same provider account, linked by a concurrent sign-in
        raise conflict("state", "This account was linked a moment ago. Sign in again.", "oauth-conflict") from error
    return identity


def _display_name(account: ProviderAccount, email: str) -> str:
    for candidate in (account.name, email.split("@", 1)[0]):
        name, error = validation.clean_text("name", (candidate or "")[: validation.NAME_MAX])
        if error is None:
            return name
    return email[: validation.NAME_MAX]


async def _create_owner(
    session: AsyncSession, provider: Provider, account: ProviderAccount, flow: Flow, client_ip: str
) -> User:
    """A new user without a password, with their workspace: what the password sign-up creates."""
    if account.email is None:
        raise _email_missing(provider)
    assert flow.company_name is not None  # required by start() for a sign-up
    user, _ = await create_owner_with_workspace(
        session,
        email=account.email,
        name=_display_name(account, account.email),
        locale=flow.locale,
        company_name=flow.company_name,
        password_hash=None,
        email_verified=account.email_verified,
        client_ip=client_ip,
        provider=provider.key,
    )
    return user


async def _user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    assert user is not None  # identities are deleted with their user
    return user


def _note_account(identity: OAuthIdentity, user: User, account: ProviderAccount) -> None:
    """Keep what the provider says now; a verified address that is the user's own verifies it."""
    identity.email, identity.email_verified = account.email, account.email_verified
    if account.email_verified and user.email_verified_at is None and account.email == user.email.lower():
        user.email_verified_at = utcnow()


async def _owner_of_new_identity(
    session: AsyncSession, provider: Provider, account: ProviderAccount, flow: Flow, client_ip: str
) -> tuple[User, bool]:
    """The owner of a provider account seen for the first time: the user with its verified email, or a new one."""
    existing = await repository.user_by_email(session, account.email) if account.email else None
    if existing is not None:
        if not account.email_verified:
            log.info("oauth.link_refused", provider=provider.key, reason="email_unverified", user_id=str(existing.id))
            raise _email_unverified(provider)
        return existing, False
    if flow.intent != "signup":
        log.info("oauth.login_refused", provider=provider.key, reason="no_account")
        raise _no_account(provider)
    return await _create_owner(session, provider, account, flow, client_ip), True


async def sign_in(
    session: AsyncSession,
    provider: Provider,
    account: ProviderAccount,
    flow: Flow,
    *,
    client_ip: str,
    user_agent: str | None,
) -> SignedIn:
    """The linking rules.

    A known provider account signs in its user. Otherwise an email the provider verified, matching a
    user, links the provider account to that user; an unverified one never does. With no matching user,
    a sign-up creates one with a workspace; a sign-in is refused.
    """
    identity = await repository.identity_by_subject(session, provider.key, account.subject)
    created = linked = False
    if identity is not None:
        user = await _user(session, identity.user_id)
    else:
        user, created = await _owner_of_new_identity(session, provider, account, flow, client_ip)
        identity = await _link(session, user, provider, account)
        linked = not created
    _note_account(identity, user, account)
    identity.last_login_at = utcnow()
    active = [(m, t) for m, t in await repository.memberships_of(session, user.id) if m.status == "active"]
    tenant, role = (active[0][1], active[0][0].role) if active else (None, None)
    if not created:  # the provider is the first factor; an enrolled person still needs their code
        await session.commit()  # keep the link and the provider's facts; the session waits for the code
        await require_second_factor(session, user.id)
    issued = await open_session(session, user.id, tenant.id if tenant else None, user_agent)
    # Like a password sign-in, this one lands in the audit log of every workspace the person works in.
    for action in ("auth.identity_linked", "auth.login_succeeded") if linked else ("auth.login_succeeded",):
        await audit_everywhere(session, user.id, action, client_ip, provider=provider.key)
    if linked:
        log.info("oauth.identity_linked", provider=provider.key, user_id=str(user.id))
    log.info("oauth.login_succeeded", provider=provider.key, user_id=str(user.id), created=created)
    return SignedIn(user=user, issued=issued, tenant=tenant, role=role)
