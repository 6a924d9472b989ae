"""Sign-in through identity providers, end to end through the API.

OpenID Connect runs against a real provider on loopback (tests/oidc_provider.py); GitHub, which lives
outside this machine, is stood in for at the HTTP boundary.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pytest
import structlog
from guanxi.config import get_settings
from guanxi.domain.identity import oauth
from guanxi.redis import get_redis

from tests.conftest import bearer, plain_dsn, signed_up, unique_email
from tests.oidc_provider import PROVIDER_SETTINGS, OidcProvider, TestUser


@pytest.fixture(autouse=True)
def no_provider_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test configures the providers it needs, whatever the environment says."""
    for name in PROVIDER_SETTINGS:
        monkeypatch.setattr(get_settings(), name, None)
    oauth.forget_discovery()


@pytest.fixture(scope="session", name="oidc_server")
def oidc_server_fixture() -> Iterator[OidcProvider]:
    server = OidcProvider()
    server.start()
    yield server
    server.stop()


@pytest.fixture(name="idp")
def idp_fixture(oidc_server: OidcProvider, monkeypatch: pytest.MonkeyPatch) -> OidcProvider:
    """The loopback provider, configured as the operator's generic OpenID Connect provider."""
    oidc_server.reset()
    oidc_server.redirect_uris = {callback_uri("oidc")}
    settings = get_settings()
    monkeypatch.setattr(settings, "oidc_issuer", oidc_server.issuer)
    monkeypatch.setattr(settings, "oidc_client_id", oidc_server.client_id)
    monkeypatch.setattr(settings, "oidc_client_secret", oidc_server.client_secret)
    monkeypatch.setattr(settings, "oidc_name", "Acme SSO")
    return oidc_server


async def fetchval(query: str, *args: Any) -> Any:
    connection = await asyncpg.connect(plain_dsn())
    try:
        return await connection.fetchval(query, *args)
    finally:
        await connection.close()


def callback_uri(provider: str) -> str:
    return f"{get_settings().public_url}/auth/{provider}/callback"


async def start(
    client: httpx.AsyncClient, provider: str = "oidc", intent: str = "login", **extra: Any
) -> httpx.Response:
    body = {"intent": intent, "redirect_uri": callback_uri(provider), **extra}
    return await client.post(f"/api/v1/auth/oauth/{provider}/start", json=body)


async def approve(authorization_url: str) -> tuple[str, str]:
    """The browser's trip to the provider, which approves at once: the code and state it sends back."""
    async with httpx.AsyncClient() as browser:
        response = await browser.get(authorization_url)
    assert response.status_code == 302, response.text
    answer = parse_qs(urlsplit(response.headers["location"]).query)
    return answer["code"][0], answer["state"][0]


async def callback(client: httpx.AsyncClient, state: str, code: str, provider: str = "oidc") -> httpx.Response:
    return await client.post(f"/api/v1/auth/oauth/{provider}/callback", json={"state": state, "code": code})


async def sign_in_with_provider(client: Any, intent: str = "login", **extra: Any) -> httpx.Response:
    started = await start(client, intent=intent, **extra)
    assert started.status_code == 200, started.text
    code, state = await approve(started.json()["authorization_url"])
    assert state == started.json()["state"]
    return await callback(client, state, code)


async def identities_of(subject: str) -> int:
    return int(await fetchval("SELECT count(*) FROM platform.oauth_identities WHERE subject = $1", subject))


async def users_with(email: str) -> int:
    return int(await fetchval("SELECT count(*) FROM platform.users WHERE lower(email) = lower($1)", email))


def assert_problem(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"].endswith("/" + kind), body
    return body


# --- which providers --------------------------------------------------------------------------------


async def test_only_configured_providers_are_listed(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (await client.get("/api/v1/auth/providers")).json() == []

    settings = get_settings()
    monkeypatch.setattr(settings, "oauth_github_client_id", "gh-id")
    monkeypatch.setattr(settings, "oauth_github_client_secret", "gh-secret")
    monkeypatch.setattr(settings, "oauth_google_client_id", "only-an-id-no-secret")
    monkeypatch.setattr(settings, "oidc_client_id", "no-issuer")
    monkeypatch.setattr(settings, "oidc_client_secret", "no-issuer")

    assert (await client.get("/api/v1/auth/providers")).json() == [{"key": "github", "name": "GitHub"}]


async def test_an_unconfigured_provider_cannot_be_started(client: Any) -> None:
    assert_problem(await start(client, "google"), 404, "not-found")


async def test_start_asks_for_the_code_flow_with_state_nonce_and_pkce(client: Any, idp: OidcProvider) -> None:
    response = await start(client)

    assert response.status_code == 200
    url = urlsplit(response.json()["authorization_url"])
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{idp.issuer}/authorize"
    assert query["response_type"] == "code" and query["client_id"] == idp.client_id
    assert query["state"] == response.json()["state"]
    assert query["redirect_uri"] == callback_uri("oidc")
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["nonce"]) >= 32
    assert set(query["scope"].split()) == {"openid", "email", "profile"}
    stored = await get_redis().keys("oauth:flow:*")
    assert len(stored) == 1 and await get_redis().ttl(stored[0]) > 590


# --- linking rules ----------------------------------------------------------------------------------


async def test_first_sign_in_links_a_verified_matching_email_then_the_identity_signs_in(
    client: Any, idp: OidcProvider
) -> None:
    account = await signed_up(client)
    idp.user = TestUser(email=account["user"]["email"].upper(), email_verified=True)

    first = await sign_in_with_provider(client)

    assert first.status_code == 200, first.text
    body = first.json()
    assert body["user"]["id"] == account["user"]["id"]
    assert body["user"]["email_verified"] is True
    assert body["workspace"]["id"] == account["workspace"]["id"]
    assert "gx_session" in first.cookies
    assert await identities_of(idp.user.subject) == 1
    audit = (await client.get("/api/v1/admin/audit", headers=bearer(account))).json()
    assert [item["action"] for item in audit["items"]][:2] == ["auth.login_succeeded", "auth.identity_linked"]

    # The provider account is now known: it signs in even after its email changed at the provider.
    idp.user = TestUser(subject=idp.user.subject, email=unique_email("moved"), email_verified=False)
    again = await sign_in_with_provider(client)

    assert again.status_code == 200, again.text
    assert again.json()["user"]["id"] == account["user"]["id"]
    me = await client.get("/api/v1/me", headers=bearer(again.json()))
    assert me.json()["user"]["id"] == account["user"]["id"]


async def test_unverified_matching_email_is_refused_and_not_linked(client: Any, idp: OidcProvider) -> None:
    account = await signed_up(client)
    idp.user = TestUser(email=account["user"]["email"], email_verified=False)

    response = await sign_in_with_provider(client, intent="signup", company_name="Takeover Ltd")

    body = assert_problem(response, 409, "oauth-email-unverified")
    assert "not verified" in body["detail"]
    assert await identities_of(idp.user.subject) == 0
    assert await users_with(account["user"]["email"]) == 1
    assert "gx_session" not in response.cookies


async def test_signup_through_a_provider_creates_user_workspace_membership_and_welcome_job(
    client: Any, idp: OidcProvider
) -> None:
    idp.user = TestUser(email=unique_email("new"), email_verified=True, name="王芳")

    response = await sign_in_with_provider(
        client, intent="signup", company_name="上海新星贸易有限公司", locale="zh-Hans"
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"] == {**body["user"], "email": idp.user.email, "name": "王芳", "locale": "zh-Hans"}
    assert body["user"]["email_verified"] is True
    assert body["workspace"] == {**body["workspace"], "name": "上海新星贸易有限公司", "role": "owner"}
    user_id, workspace_id = body["user"]["id"], body["workspace"]["id"]
    assert await fetchval("SELECT password_hash FROM platform.users WHERE id = $1::uuid", user_id) is None
    assert (
        await fetchval(
            "SELECT role FROM platform.memberships WHERE user_id = $1::uuid AND tenant_id = $2::uuid",
            user_id,
            workspace_id,
        )
        == "owner"
    )
    actor = await fetchval(
        "SELECT actor FROM platform.outbox WHERE tenant_id = $1::uuid AND payload->>'user_id' = $2",
        workspace_id,
        user_id,
    )
    assert actor == "email.send_welcome"
    assert await fetchval(
        "SELECT email_verified FROM platform.oauth_identities WHERE user_id = $1::uuid AND provider = 'oidc'", user_id
    )
    pipeline = await client.get("/api/v1/pipeline", headers=bearer(body))
    assert pipeline.status_code == 200 and pipeline.json()["stages"][0]["name"] == "初步接洽"


async def test_signup_with_an_unverified_email_keeps_the_address_unverified(client: Any, idp: OidcProvider) -> None:
    idp.user = TestUser(email=unique_email("unverified"), email_verified=False)

    response = await sign_in_with_provider(client, intent="signup", company_name="Quiet Co")

    assert response.status_code == 200, response.text
    assert response.json()["user"]["email_verified"] is False


async def test_email_only_in_userinfo_is_read_from_there(client: Any, idp: OidcProvider) -> None:
    account = await signed_up(client)
    idp.user = TestUser(email=account["user"]["email"], email_verified=True, email_in_id_token=False)

    response = await sign_in_with_provider(client)

    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == account["user"]["id"]


async def test_sign_in_without_an_account_is_refused_and_creates_nothing(client: Any, idp: OidcProvider) -> None:
    idp.user = TestUser(email=unique_email("stranger"))

    response = await sign_in_with_provider(client, intent="login")

    assert_problem(response, 404, "oauth-no-account")
    assert await users_with(idp.user.email) == 0
    assert await identities_of(idp.user.subject) == 0


async def test_signup_needs_a_company_name(client: Any, idp: OidcProvider) -> None:
    response = await start(client, intent="signup")

    body = assert_problem(response, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["company_name"]
    assert await get_redis().keys("oauth:flow:*") == []


# --- the flow cannot be tampered with -----------------------------------------------------------------


async def test_tampered_state_is_refused(client: Any, idp: OidcProvider) -> None:
    idp.user = TestUser(email=unique_email("tamper"))
    started = await start(client, intent="signup", company_name="Tamper Co")
    code, state = await approve(started.json()["authorization_url"])

    response = await callback(client, state[:-1] + ("A" if state[-1] != "A" else "B"), code)

    assert_problem(response, 400, "oauth-state-invalid")
    assert idp.token_requests == 0
    assert await users_with(idp.user.email) == 0


async def test_a_state_is_used_once(client: Any, idp: OidcProvider) -> None:
    account = await signed_up(client)
    idp.user = TestUser(email=account["user"]["email"])
    started = await start(client)
    code, state = await approve(started.json()["authorization_url"])

    assert (await callback(client, state, code)).status_code == 200
    replayed = await callback(client, state, code)

    assert_problem(replayed, 400, "oauth-state-invalid")
    assert idp.token_requests == 1


async def test_a_state_belongs_to_its_provider(client: Any, idp: OidcProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "oauth_github_client_id", "gh-id")
    monkeypatch.setattr(get_settings(), "oauth_github_client_secret", "gh-secret")
    started = await start(client)
    code, state = await approve(started.json()["authorization_url"])

    assert_problem(await callback(client, state, code, provider="github"), 400, "oauth-state-invalid")


async def test_a_code_from_another_sign_in_is_refused_by_pkce(client: Any, idp: OidcProvider) -> None:
    """An attacker's code pasted into the victim's callback: the victim's code verifier does not fit it."""
    idp.user = TestUser(email=unique_email("attacker"))
    attackers = await start(client, intent="signup", company_name="Attacker Co")
    stolen_code, _ = await approve(attackers.json()["authorization_url"])
    victims = await start(client, intent="signup", company_name="Victim Co")

    response = await callback(client, victims.json()["state"], stolen_code)

    assert_problem(response, 401, "oauth-refused")
    assert await users_with(idp.user.email) == 0


@pytest.mark.parametrize(
    ("attack", "reason"),
    [
        ("foreign_key", "signature"),
        ("expired", "expired"),
        ("wrong_nonce", "another sign-in"),
        ("wrong_audience", "another application"),
        ("wrong_issuer", "someone other than the configured provider"),
    ],
)
async def test_an_id_token_that_fails_a_check_is_refused_and_nothing_is_created(
    client: Any, idp: OidcProvider, attack: str, reason: str
) -> None:
    account = await signed_up(client)
    idp.user = TestUser(email=account["user"]["email"], email_verified=True)
    idp.attacks = {attack}

    linking = await sign_in_with_provider(client)
    idp.user = TestUser(email=unique_email("forged"), email_verified=True)
    creating = await sign_in_with_provider(client, intent="signup", company_name="Forged Co")

    for response in (linking, creating):
        body = assert_problem(response, 401, "oauth-invalid-token")
        assert reason in body["detail"]
        assert "gx_session" not in response.cookies
    assert (
        await fetchval(
            "SELECT count(*) FROM platform.oauth_identities i JOIN platform.users u ON u.id = i.user_id "
            "WHERE lower(u.email) = lower($1)",
            account["user"]["email"],
        )
        == 0
    )
    assert await users_with(idp.user.email) == 0


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/auth/oidc/callback",
        "{public}.evil.example/auth/oidc/callback",
        "{public}@evil.example/auth/oidc/callback",
        "{public}:1/auth/oidc/callback",
        "//evil.example/auth/oidc/callback",
        "/auth/oidc/callback",
        "{public}/auth/oidc/callback#fragment",
        "{public}/auth/oidc/callback\\@evil.example",
    ],
)
async def test_redirect_uri_outside_the_public_url_is_refused(
    client: Any, idp: OidcProvider, redirect_uri: str
) -> None:
    public = get_settings().public_url
    response = await client.post(
        "/api/v1/auth/oauth/oidc/start",
        json={"intent": "login", "redirect_uri": redirect_uri.format(public=public)},
    )

    body = assert_problem(response, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["redirect_uri"]
    assert await get_redis().keys("oauth:flow:*") == []


def test_redirect_uri_check_keeps_to_the_public_path() -> None:
    base = "https://crm.example.com/app"
    assert oauth.redirect_allowed("https://crm.example.com/app/auth/google/callback", base)
    assert oauth.redirect_allowed("HTTPS://CRM.example.com/app/auth/google/callback", base)
    assert not oauth.redirect_allowed("https://crm.example.com/application/x", base)
    assert not oauth.redirect_allowed("https://crm.example.com/app/../other/callback", base)
    assert not oauth.redirect_allowed("https://crm.example.com/app/%2e%2e/other/callback", base)
    assert not oauth.redirect_allowed("http://crm.example.com/app/auth/google/callback", base)


async def test_start_and_callback_are_rate_limited_per_address(
    client: Any, idp: OidcProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "oauth_attempts_per_window", 3)
    statuses = [(await start(client)).status_code for _ in range(3)]
    limited = await callback(client, "any-state", "any-code")

    assert statuses == [200, 200, 200]
    assert_problem(limited, 429, "rate-limited")
    assert int(limited.headers["Retry-After"]) > 0
    assert (await client.get("/api/v1/auth/providers")).status_code == 429


async def test_sign_in_logs_facts_but_never_codes_or_tokens(client: Any, idp: OidcProvider) -> None:
    account = await signed_up(client)
    idp.user = TestUser(email=account["user"]["email"])
    started = await start(client)
    code, state = await approve(started.json()["authorization_url"])

    with structlog.testing.capture_logs() as logs:
        response = await callback(client, state, code)

    assert response.status_code == 200
    events = {entry["event"] for entry in logs}
    assert {"oauth.identity_linked", "oauth.login_succeeded"} <= events
    text = json.dumps(logs, default=str)
    for secret in (code, state, response.json()["token"], idp.client_secret, *idp.access_tokens):
        assert secret not in text


# --- GitHub: OAuth 2 without an ID token, at the HTTP boundary ---------------------------------------


GitHubEmails = list[dict[str, Any]]


@pytest.fixture(name="github")
def github_fixture(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[httpx.Request]]:
    """Configure GitHub and answer its endpoints; returns a function that sets who signs in."""
    monkeypatch.setattr(get_settings(), "oauth_github_client_id", "gh-client")
    monkeypatch.setattr(get_settings(), "oauth_github_client_secret", "gh-secret")
    requests: list[httpx.Request] = []

    def configure(
        user_id: int, emails: GitHubEmails, token_answer: dict[str, Any] | None = None
    ) -> list[httpx.Request]:
        def handle(request: httpx.Request) -> httpx.Response:
            requests.append(request)
            url = str(request.url)
            if url == oauth.GITHUB_TOKEN_URL and request.method == "POST":
                return httpx.Response(200, json=token_answer or {"access_token": "gho_test", "token_type": "bearer"})
            if request.headers.get("authorization") != "Bearer gho_test":
                return httpx.Response(401, json={"message": "Bad credentials"})
            if url == f"{oauth.GITHUB_API}/user":
                return httpx.Response(200, json={"id": user_id, "login": "octo-lee", "name": None, "email": None})
            if url == f"{oauth.GITHUB_API}/user/emails":
                return httpx.Response(200, json=emails)
            return httpx.Response(404, json={"message": "Not Found"})

        monkeypatch.setattr(oauth, "transport", httpx.MockTransport(handle))
        return requests

    return configure


async def github_sign_in(client: Any, intent: str = "login", **extra: Any) -> httpx.Response:
    started = await start(client, "github", intent=intent, **extra)
    assert started.status_code == 200, started.text
    url = urlsplit(started.json()["authorization_url"])
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == oauth.GITHUB_AUTHORIZE_URL
    assert query["code_challenge_method"] == "S256" and "nonce" not in query
    return await callback(client, query["state"], "github-code", provider="github")


async def test_github_signup_uses_the_primary_verified_email(client: Any, github: Callable[..., Any]) -> None:
    email = unique_email("octo")
    requests = github(
        9001,
        [
            {"email": unique_email("other"), "primary": False, "verified": True},
            {"email": email, "primary": True, "verified": True},
        ],
    )

    response = await github_sign_in(client, intent="signup", company_name="Octo Works")

    assert response.status_code == 200, response.text
    assert response.json()["user"] == {**response.json()["user"], "email": email, "name": "octo-lee"}
    assert response.json()["user"]["email_verified"] is True
    assert await identities_of("9001") == 1
    token_request = requests[0]
    form = parse_qs(token_request.content.decode())
    assert form["client_id"] == ["gh-client"] and form["client_secret"] == ["gh-secret"]
    assert form["code"] == ["github-code"] and len(form["code_verifier"][0]) >= 43
    assert form["redirect_uri"] == [callback_uri("github")]


async def test_github_unverified_primary_email_is_not_trusted(client: Any, github: Callable[..., Any]) -> None:
    account = await signed_up(client)
    github(
        9002,
        [
            {"email": account["user"]["email"], "primary": True, "verified": False},
            {"email": unique_email("side"), "primary": False, "verified": True},
        ],
    )

    response = await github_sign_in(client)

    assert_problem(response, 409, "oauth-email-unverified")
    assert await identities_of("9002") == 0


async def test_github_verified_email_that_is_not_primary_does_not_link(client: Any, github: Callable[..., Any]) -> None:
    account = await signed_up(client)
    github(
        9003,
        [
            {"email": unique_email("primary"), "primary": True, "verified": True},
            {"email": account["user"]["email"], "primary": False, "verified": True},
        ],
    )

    response = await github_sign_in(client)

    assert_problem(response, 404, "oauth-no-account")
    assert await identities_of("9003") == 0


async def test_github_refusing_the_code_is_a_clear_problem(client: Any, github: Callable[..., Any]) -> None:
    github(9004, [], token_answer={"error": "bad_verification_code", "error_description": "expired"})

    response = await github_sign_in(client, intent="signup", company_name="Late Co")

    assert_problem(response, 401, "oauth-refused")
    assert await identities_of("9004") == 0


async def test_a_provider_that_cannot_be_reached_is_a_502(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "oauth_google_client_id", "google-id")
    monkeypatch.setattr(get_settings(), "oauth_google_client_secret", "google-secret")

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    monkeypatch.setattr(oauth, "transport", httpx.MockTransport(unreachable))

    assert_problem(await start(client, "google"), 502, "oauth-provider-unavailable")


async def test_a_provider_sign_in_still_needs_the_second_factor(client: Any, idp: OidcProvider) -> None:

    from tests.api.test_two_factor import enable

    account = await signed_up(client)
    _, recovery = await enable(client, account)
    idp.user = TestUser(email=account["user"]["email"], email_verified=True)

    challenge = await sign_in_with_provider(client)

    problem = assert_problem(challenge, 401, "mfa-required")
    assert "gx_session" not in challenge.cookies
    assert await identities_of(idp.user.subject) == 1  # the link is kept for next time
    done = await client.post("/api/v1/auth/login/mfa", json={"mfa_token": problem["mfa_token"], "code": recovery[0]})
    assert done.status_code == 200 and done.json()["user"]["id"] == account["user"]["id"]
