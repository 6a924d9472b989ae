"""Connected identities: list them, link a provider while signed in (end to end against the loopback OpenID
Connect provider, which then signs in the same user), and unlink one unless it is the last way to sign in."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from guanxi.config import get_settings
from guanxi.db.tenancy import platform_session
from guanxi.domain.identity import account as account_service
from guanxi.domain.identity.service import authenticate
from guanxi.errors import DomainError

from tests.api.test_auth import login
from tests.api.test_oauth import (  # noqa: F401 (fixtures)
    approve,
    assert_problem,
    callback,
    callback_uri,
    github_fixture,
    github_sign_in,
    identities_of,
    idp_fixture,
    no_provider_configured,
    oidc_server_fixture,
    sign_in_with_provider,
)
from tests.api.test_password_change import NEW, provider_only_account
from tests.api.test_tokens import as_token, new_token
from tests.conftest import bearer, signed_up, unique_email
from tests.oidc_provider import OidcProvider, TestUser


async def start_link(client: Any, headers: dict[str, str], provider: str = "oidc") -> httpx.Response:
    body = {"intent": "link", "redirect_uri": callback_uri(provider)}
    return await client.post(f"/api/v1/auth/oauth/{provider}/start", json=body, headers=headers)


async def link(client: Any, account: dict[str, Any]) -> httpx.Response:
    """The signed-in person connects the provider's current test user, through the whole flow."""
    started = await start_link(client, bearer(account))
    assert started.status_code == 200, started.text
    code, state = await approve(started.json()["authorization_url"])
    return await client.post(
        "/api/v1/auth/oauth/oidc/callback", json={"state": state, "code": code}, headers=bearer(account)
    )


async def listed(client: Any, account: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/me/identities", headers=bearer(account))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()
    return items


async def actions(client: Any, account: dict[str, Any], action: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/admin/audit", params={"action": action}, headers=bearer(account))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


# --- linking while signed in ------------------------------------------------------------------------


async def test_link_then_signing_in_with_the_provider_lands_on_the_same_user(client: Any, idp: OidcProvider) -> None:
    account = await signed_up(client)
    # Another address at the provider, not even verified: linking by hand does not go by the email.
    idp.user = TestUser(email=unique_email("elsewhere"), email_verified=False)

    linked = await link(client, account)

    assert linked.status_code == 201, linked.text
    body = linked.json()
    assert body == {**body, "provider": "oidc", "provider_name": "Acme SSO", "email": idp.user.email}
    assert body["available"] is True and body["last_login_at"] is None
    assert "token" not in body and "gx_session" not in linked.cookies  # nobody is signed in by a link
    me = await client.get("/api/v1/me", headers=bearer(account))
    assert me.status_code == 200 and me.json()["user"]["id"] == account["user"]["id"]
    assert [item["id"] for item in await listed(client, account)] == [body["id"]]
    (entry,) = await actions(client, account, "identity.linked")
    assert entry["detail"] == {"provider": "oidc", "identity_id": body["id"]}

    signed_in = await sign_in_with_provider(client, intent="login")

    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["user"]["id"] == account["user"]["id"]
    assert signed_in.json()["workspace"]["id"] == account["workspace"]["id"]
    (identity,) = await listed(client, account)
    assert identity["last_login_at"] is not None


async def test_linking_an_account_already_yours_changes_nothing(client: Any, idp: OidcProvider) -> None:
    account = await signed_up(client)
    first = await link(client, account)

    again = await link(client, account)

    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert await identities_of(idp.user.subject) == 1
    assert len(await actions(client, account, "identity.linked")) == 1


async def test_a_provider_account_linked_to_someone_else_stays_theirs(client: Any, idp: OidcProvider) -> None:
    owner = await signed_up(client)
    assert (await link(client, owner)).status_code == 201
    intruder = await signed_up(client)

    response = await link(client, intruder)

    body = assert_problem(response, 409, "oauth-identity-taken")
    assert "another Guanxi account" in body["detail"]
    assert await listed(client, intruder) == []
    assert len(await listed(client, owner)) == 1
    assert (await sign_in_with_provider(client)).json()["user"]["id"] == owner["user"]["id"]


async def test_a_link_started_by_one_user_cannot_be_finished_by_another(client: Any, idp: OidcProvider) -> None:
    alice = await signed_up(client, name="Alice")
    mallory = await signed_up(client, name="Mallory")
    started = await start_link(client, bearer(alice))
    code, state = await approve(started.json()["authorization_url"])

    stolen = await client.post(
        "/api/v1/auth/oauth/oidc/callback", json={"state": state, "code": code}, headers=bearer(mallory)
    )

    body = assert_problem(stolen, 403, "oauth-link-other-user")
    assert "started by someone else" in body["detail"]
    assert idp.token_requests == 0  # refused before the code is spent
    assert await identities_of(idp.user.subject) == 0
    # The refusal is on Mallory's record, and the flow is gone: not even Alice can finish it now.
    refused = await actions(client, mallory, "access.refused")
    assert refused and refused[0]["detail"]["problem"] == "oauth-link-other-user"
    late = await client.post(
        "/api/v1/auth/oauth/oidc/callback", json={"state": state, "code": code}, headers=bearer(alice)
    )
    assert_problem(late, 400, "oauth-state-invalid")


async def test_a_link_cannot_be_finished_signed_out(client: Any, idp: OidcProvider) -> None:
    account = await signed_up(client)
    started = await start_link(client, bearer(account))
    code, state = await approve(started.json()["authorization_url"])

    response = await callback(client, state, code)

    assert_problem(response, 401, "not-authenticated")
    assert await identities_of(idp.user.subject) == 0
    assert "gx_session" not in response.cookies


async def test_a_tampered_or_replayed_link_state_is_refused(client: Any, idp: OidcProvider) -> None:
    account = await signed_up(client)
    started = await start_link(client, bearer(account))
    code, state = await approve(started.json()["authorization_url"])
    tampered = state[:-1] + ("A" if state[-1] != "A" else "B")

    forged = await client.post(
        "/api/v1/auth/oauth/oidc/callback", json={"state": tampered, "code": code}, headers=bearer(account)
    )
    done = await client.post(
        "/api/v1/auth/oauth/oidc/callback", json={"state": state, "code": code}, headers=bearer(account)
    )
    replayed = await client.post(
        "/api/v1/auth/oauth/oidc/callback", json={"state": state, "code": code}, headers=bearer(account)
    )

    assert_problem(forged, 400, "oauth-state-invalid")
    assert done.status_code == 201, done.text
    assert_problem(replayed, 400, "oauth-state-invalid")
    assert idp.token_requests == 1
    assert len(await listed(client, account)) == 1


async def test_a_code_from_someone_elses_login_does_not_fit_a_link(client: Any, idp: OidcProvider) -> None:
    """A code the attacker got for their own provider account, pasted into the victim's link: PKCE refuses it."""
    victim = await signed_up(client)
    idp.user = TestUser(email=unique_email("attacker"))
    attackers = await client.post(
        "/api/v1/auth/oauth/oidc/start", json={"intent": "login", "redirect_uri": callback_uri("oidc")}
    )
    attacker_code, _ = await approve(attackers.json()["authorization_url"])
    victims = await start_link(client, bearer(victim))

    response = await client.post(
        "/api/v1/auth/oauth/oidc/callback",
        json={"state": victims.json()["state"], "code": attacker_code},
        headers=bearer(victim),
    )

    assert_problem(response, 401, "oauth-refused")
    assert await listed(client, victim) == []


async def test_starting_a_link_needs_a_signed_in_person(client: Any, idp: OidcProvider) -> None:
    account = await signed_up(client)
    token = await new_token(client, account, ["*:write"])
    cookie = {"Cookie": f"gx_session={account['token']}"}

    assert_problem(await start_link(client, {}), 401, "not-authenticated")
    assert_problem(await start_link(client, {"Authorization": "Bearer gxs_not-a-session"}), 401, "not-authenticated")
    assert_problem(await start_link(client, as_token(token)), 403, "forbidden")
    assert_problem(await start_link(client, cookie), 403, "csrf-failed")
    assert (await start_link(client, {**cookie, "X-CSRF-Token": account["csrf_token"]})).status_code == 200


async def test_sign_in_starts_ignore_credentials_even_stale_ones(client: Any, idp: OidcProvider) -> None:
    """A browser with an old session cookie can still sign in with a provider."""
    stale = {"Authorization": "Bearer gxs_a-session-that-ended", "Cookie": "gx_session=gxs_a-session-that-ended"}
    response = await client.post(
        "/api/v1/auth/oauth/oidc/start",
        json={"intent": "login", "redirect_uri": callback_uri("oidc")},
        headers=stale,
    )

    assert response.status_code == 200, response.text


async def test_a_member_who_still_needs_two_factor_can_link_a_provider(client: Any, idp: OidcProvider) -> None:
    from tests.api.test_admin import join
    from tests.api.test_two_factor import enable

    owner = await signed_up(client)
    await enable(client, owner)
    member = await join(client, owner, "sales_rep")
    required = await client.patch("/api/v1/admin/settings", json={"require_two_factor": True}, headers=bearer(owner))
    assert required.status_code == 200
    assert (await client.get("/api/v1/pipeline", headers=bearer(member))).status_code == 403

    assert (await link(client, member)).status_code == 201
    assert len(await listed(client, member)) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"intent": "connect", "redirect_uri": "{callback}"},
        {"intent": "link", "redirect_uri": "https://evil.example/auth/oidc/callback"},
        {"intent": "link", "redirect_uri": "{callback}", "locale": "xx"},
        {"intent": "link", "redirect_uri": "{callback}", "user_id": "00000000-0000-0000-0000-000000000000"},
        {"intent": ["link"], "redirect_uri": "{callback}"},
        {"intent": "link", "redirect_uri": "{callback}" + "/x" * 1000},
    ],
)
async def test_bad_link_starts_are_refused_and_remember_nothing(
    client: Any, idp: OidcProvider, body: dict[str, Any]
) -> None:
    from guanxi.redis import get_redis

    account = await signed_up(client)
    sent = {
        key: value.format(callback=callback_uri("oidc")) if isinstance(value, str) else value
        for key, value in body.items()
    }

    response = await client.post("/api/v1/auth/oauth/oidc/start", json=sent, headers=bearer(account))

    assert response.status_code == 422, response.text
    assert response.json()["errors"]
    assert await get_redis().keys("oauth:flow:*") == []


@pytest.mark.parametrize(
    "body",
    [
        {"state": "", "code": "the-code"},
        {"state": "s" * 201, "code": "the-code"},
        {"state": 5, "code": "the-code"},
        {"code": "the-code"},
        {"state": "{state}", "code": ""},
        {"state": "{state}", "code": "c" * 4001},
        {"state": "{state}", "code": ["the-code"]},
        {"state": "{state}", "code": "the-code", "user_id": "00000000-0000-0000-0000-000000000000"},
    ],
)
async def test_a_malformed_link_callback_is_refused_and_does_not_spend_the_flow(
    client: Any, idp: OidcProvider, body: dict[str, Any]
) -> None:
    account = await signed_up(client)
    started = await start_link(client, bearer(account))
    code, state = await approve(started.json()["authorization_url"])
    sent = {key: value.format(state=state) if isinstance(value, str) else value for key, value in body.items()}

    refused = await client.post("/api/v1/auth/oauth/oidc/callback", json=sent, headers=bearer(account))
    done = await client.post(
        "/api/v1/auth/oauth/oidc/callback", json={"state": state, "code": code}, headers=bearer(account)
    )

    assert_problem(refused, 422, "validation-error")
    assert done.status_code == 201, done.text


# --- listing and unlinking --------------------------------------------------------------------------


async def test_identities_are_listed_with_whether_their_provider_is_still_offered(
    client: Any, idp: OidcProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = await signed_up(client)
    assert await listed(client, account) == []
    idp.user = TestUser(email="张伟.pat@example.com", email_verified=True)
    await link(client, account)

    monkeypatch.setattr(get_settings(), "oidc_client_id", None)
    (identity,) = await listed(client, account)

    assert identity["provider"] == "oidc" and identity["provider_name"] == "Acme SSO"
    assert identity["available"] is False
    assert identity["email"] == idp.user.email.lower()


async def test_a_person_with_a_password_may_unlink_their_only_identity(client: Any, idp: OidcProvider) -> None:
    account = await signed_up(client)
    identity = (await link(client, account)).json()

    response = await client.delete(f"/api/v1/me/identities/{identity['id']}", headers=bearer(account))

    assert response.status_code == 204, response.text
    assert await listed(client, account) == []
    assert await identities_of(idp.user.subject) == 0
    (entry,) = await actions(client, account, "identity.unlinked")
    assert entry["detail"] == {"provider": "oidc", "identity_id": identity["id"]}
    assert (await login(client, account["user"]["email"], account["password"])).status_code == 200
    # The provider account is a stranger again (its address was not verified, so it does not re-link).
    assert_problem(await sign_in_with_provider(client), 404, "oauth-no-account")


async def test_the_last_way_to_sign_in_cannot_be_unlinked_until_a_password_is_set(
    client: Any, idp: OidcProvider
) -> None:
    person = await provider_only_account(client, idp)
    (identity,) = await listed(client, person)

    refused = await client.delete(f"/api/v1/me/identities/{identity['id']}", headers=bearer(person))

    body = assert_problem(refused, 409, "last-sign-in-method")
    assert "only way you can sign in" in body["detail"]
    assert len(await listed(client, person)) == 1
    set_password = await client.post("/api/v1/me/password", json={"new_password": NEW}, headers=bearer(person))
    assert set_password.status_code == 204, set_password.text
    allowed = await client.delete(f"/api/v1/me/identities/{identity['id']}", headers=bearer(person))
    assert allowed.status_code == 204
    assert (await login(client, person["user"]["email"], NEW)).status_code == 200


async def test_an_identity_at_a_provider_no_longer_offered_is_not_a_way_to_sign_in(
    client: Any, idp: OidcProvider, github: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = await provider_only_account(client, idp)
    github(31337, [{"email": person["user"]["email"], "primary": True, "verified": True}])
    assert (await github_sign_in(client)).status_code == 200  # the same person, linked by verified email
    oidc, gh = sorted(await listed(client, person), key=lambda identity: identity["provider"] == "github")
    assert gh["provider"] == "github"
    monkeypatch.setattr(get_settings(), "oauth_github_client_id", None)

    refused = await client.delete(f"/api/v1/me/identities/{oidc['id']}", headers=bearer(person))

    assert_problem(refused, 409, "last-sign-in-method")
    unused = await client.delete(f"/api/v1/me/identities/{gh['id']}", headers=bearer(person))
    assert unused.status_code == 204


async def test_an_unlink_waits_for_one_in_progress_and_then_counts_what_is_left(
    client: Any, idp: OidcProvider, github: Any
) -> None:
    """Two removals at once, each counting on the identity the other removes, would leave no way in."""
    person = await provider_only_account(client, idp)
    github(31338, [{"email": person["user"]["email"], "primary": True, "verified": True}])
    assert (await github_sign_in(client)).status_code == 200
    first, second = (uuid.UUID(identity["id"]) for identity in await listed(client, person))

    async with platform_session() as one, platform_session() as two:
        await account_service.unlink(one, await authenticate(one, person["token"]), first, "198.51.100.1")
        waiting = asyncio.create_task(
            account_service.unlink(two, await authenticate(two, person["token"]), second, "198.51.100.1")
        )
        await asyncio.sleep(0.3)
        assert not waiting.done()  # held back until the first removal is committed
        await one.commit()
        with pytest.raises(DomainError) as refused:
            await waiting

    assert refused.value.type == "last-sign-in-method"
    assert [identity["id"] for identity in await listed(client, person)] == [str(second)]


async def test_only_your_own_identities_can_be_unlinked(client: Any, idp: OidcProvider) -> None:
    owner = await signed_up(client)
    identity = (await link(client, owner)).json()
    other = await signed_up(client)

    for path in (f"/api/v1/me/identities/{identity['id']}", f"/api/v1/me/identities/{uuid.uuid4()}"):
        assert_problem(await client.delete(path, headers=bearer(other)), 404, "not-found")
    assert (await client.delete("/api/v1/me/identities/not-a-uuid", headers=bearer(other))).status_code in (400, 404)
    assert len(await listed(client, owner)) == 1


async def test_api_tokens_and_strangers_cannot_see_or_change_identities(client: Any, idp: OidcProvider) -> None:
    account = await signed_up(client)
    identity = (await link(client, account)).json()
    token = as_token(await new_token(client, account, ["*:write"]))

    assert (await client.get("/api/v1/me/identities")).status_code == 401
    assert_problem(await client.get("/api/v1/me/identities", headers=token), 403, "forbidden")
    assert_problem(await client.delete(f"/api/v1/me/identities/{identity['id']}", headers=token), 403, "forbidden")
    cookie = {"Cookie": f"gx_session={account['token']}"}
    assert_problem(await client.delete(f"/api/v1/me/identities/{identity['id']}", headers=cookie), 403, "csrf-failed")
    assert len(await listed(client, account)) == 1
