"""Sign-in through identity providers: which ones are configured, and the API's input and output shapes.

Free of the database and of HTTP, so that the web can show the configured providers' buttons too.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec

from guanxi.config import Settings, get_settings

# ``link`` adds a provider account to the signed-in user; it never signs anyone in.
Intent = Literal["login", "signup", "link"]

OIDC_SCOPE = "openid email profile"
GITHUB_SCOPE = "read:user user:email"
GOOGLE_ISSUER = "https://accounts.google.com"
MICROSOFT_ISSUER = "https://login.microsoftonline.com/{tenant}/v2.0"


@dataclass(frozen=True)
class Provider:
    key: str
    name: str
    client_id: str
    client_secret: str
    scope: str
    issuer: str | None = None  # OpenID Connect: the discovery document is at <issuer>/.well-known/...


def configured_providers(settings: Settings | None = None) -> list[Provider]:
    """The providers the operator has given credentials for, in the order the sign-in pages show them.

    Read at call time, so a changed setting (or a test's) applies at once.
    """
    s = settings or get_settings()
    candidates = [
        Provider(
            "google",
            "Google",
            s.oauth_google_client_id or "",
            s.oauth_google_client_secret or "",
            OIDC_SCOPE,
            GOOGLE_ISSUER,
        ),
        Provider(
            "microsoft",
            "Microsoft",
            s.oauth_microsoft_client_id or "",
            s.oauth_microsoft_client_secret or "",
            OIDC_SCOPE,
            MICROSOFT_ISSUER.format(tenant=s.oauth_microsoft_tenant or "common"),
        ),
        Provider("github", "GitHub", s.oauth_github_client_id or "", s.oauth_github_client_secret or "", GITHUB_SCOPE),
        Provider("oidc", s.oidc_name, s.oidc_client_id or "", s.oidc_client_secret or "", OIDC_SCOPE, s.oidc_issuer),
    ]
    return [p for p in candidates if p.client_id and p.client_secret and (p.issuer or p.key == "github")]


def provider_name(key: str, settings: Settings | None = None) -> str:
    """A provider's name for people, also when the operator has since removed it."""
    s = settings or get_settings()
    return {"google": "Google", "microsoft": "Microsoft", "github": "GitHub", "oidc": s.oidc_name}.get(key, key)


# Generous bounds: real values are far shorter, and nothing unbounded reaches Redis or a provider.
RedirectUri = Annotated[str, msgspec.Meta(max_length=2000)]
State = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


class ProviderOut(msgspec.Struct):
    """An identity provider the operator has configured; ``key`` goes into the sign-in paths."""

    key: str
    name: str


class OAuthStartRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Begin a sign-in. ``redirect_uri`` must lie under the site's public URL; a sign-up needs the company name;
    a link needs the caller signed in."""

    intent: Intent
    redirect_uri: RedirectUri
    company_name: str | None = None
    locale: str | None = None


class OAuthStartOut(msgspec.Struct):
    """Send the browser to ``authorization_url``; keep ``state`` to check the provider's answer against."""

    authorization_url: str
    state: str


class OAuthCallbackRequest(msgspec.Struct, forbid_unknown_fields=True):
    """What the provider sent back to the redirect URI."""

    state: State
    code: Code


class IdentityOut(msgspec.Struct):
    """A provider account linked to your user: you can sign in with it."""

    id: uuid.UUID
    provider: str  # the key, as in the sign-in paths
    provider_name: str
    email: str | None  # the provider account's address, as the provider last told it
    linked_at: dt.datetime
    last_login_at: dt.datetime | None
    # False when the operator no longer offers this provider: it cannot be used to sign in now.
    available: bool
