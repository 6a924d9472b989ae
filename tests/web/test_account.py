"""Settings → Your account: profile, password, connected accounts (connect goes through the provider and
comes back here, still signed in as the same person) and the way to two-factor sign-in."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from guanxi.config import get_settings
from guanxi_web.controllers.oauth import INTENT_COOKIE, STATE_COOKIE
from guanxi_web.session import SESSION_COOKIE
from litestar.testing import TestClient

from tests.oidc_provider import PROVIDER_SETTINGS
from tests.web.conftest import (  # noqa: F401 (fixtures)
    PASSWORD,
    TOKEN,
    FakeApi,
    fake_api_fixture,
    post_form,
    problem,
    signed_in_fixture,
    web_fixture,
)

PAGE = "/w/settings/account"
NEW = "amber lighthouse tundra 58"
START = "/api/v1/auth/oauth/oidc/start"
CALLBACK = "/api/v1/auth/oauth/oidc/callback"
STATE = "state-of-this-link"
AUTHORIZATION_URL = "https://idp.example/authorize?client_id=guanxi&state=state-of-this-link"


def identity(provider: str = "oidc", name: str = "Acme SSO", available: bool = True) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "provider": provider,
        "provider_name": name,
        "email": f"zhang.wei@{provider}.example",
        "linked_at": "2026-11-20T10:00:00Z",
        "last_login_at": None,
        "available": available,
    }


def field_error(field_name: str, code: str, message: str = "is not right") -> httpx.Response:
    return problem(422, "validation-error", errors=[{"field": field_name, "message": message, "code": code}])


@dataclass
class Account:
    """The API's account endpoints for the one fake user, with what the web sent them."""

    api: FakeApi
    identities: list[dict[str, Any]] = field(default_factory=list)
    passwords: list[dict[str, Any]] = field(default_factory=list)
    unlinked: list[str] = field(default_factory=list)

    def install(self) -> None:
        self.api.overrides[("GET", "/api/v1/me/identities")] = lambda _r: httpx.Response(200, json=self.identities)
        self.api.overrides[("POST", "/api/v1/me/password")] = self.change_password
        for linked in self.identities:
            self.api.overrides[("DELETE", f"/api/v1/me/identities/{linked['id']}")] = self.unlink

    def change_password(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.passwords.append(body)
        if self.api.user["has_password"] and body.get("current_password") != PASSWORD:
            return field_error("current_password", "wrong_password", "is not your current password")
        if len(body["new_password"]) < 10:
            return field_error("new_password", "too_short", "must be at least 10 characters")
        self.api.user["has_password"] = True
        return httpx.Response(204)

    def unlink(self, request: httpx.Request) -> httpx.Response:
        identity_id = request.url.path.rsplit("/", 1)[-1]
        if not self.api.user["has_password"] and len(self.identities) == 1:
            return problem(409, "last-sign-in-method", "This is the only way you can sign in.")
        self.unlinked.append(identity_id)
        self.identities = [i for i in self.identities if i["id"] != identity_id]
        return httpx.Response(204)


@pytest.fixture(autouse=True)
def only_acme_and_github(monkeypatch: pytest.MonkeyPatch) -> None:
    """Acme's OpenID Connect provider and GitHub are configured; Google and Microsoft are not."""
    settings = get_settings()
    for name in PROVIDER_SETTINGS:
        monkeypatch.setattr(settings, name, None)
    for name, value in {
        "oidc_issuer": "https://idp.example",
        "oidc_client_id": "guanxi",
        "oidc_client_secret": "secret",
        "oidc_name": "Acme SSO",
        "oauth_github_client_id": "gh",
        "oauth_github_client_secret": "gh-secret",
    }.items():
        monkeypatch.setattr(settings, name, value)


@pytest.fixture(name="account")
def account_fixture(fake_api: FakeApi) -> Account:
    fake = Account(fake_api, identities=[identity()])
    fake.install()
    return fake


def main_of(html: str) -> str:
    return html[html.index("<main") :]


# ---- the page


def test_every_member_has_the_tab_not_only_admins(signed_in: TestClient[Any], account: Account) -> None:
    account.api.current = 1  # a plain member in "Acme Trading"

    overview = signed_in.get("/w/settings").text
    page = signed_in.get(PAGE)

    assert 'href="/w/settings/account"' in overview and "Your account" in overview
    assert 'href="/w/settings/members"' not in overview
    assert page.status_code == 200
    assert 'aria-current="page">Your account</a>' in page.text
    assert 'href="/w/settings/members"' not in page.text


def test_the_page_shows_profile_password_connected_accounts_and_two_factor(
    signed_in: TestClient[Any], account: Account
) -> None:
    html = main_of(signed_in.get(PAGE).text)

    assert 'value="张伟"' in html and "zhang.wei@example.com" in html
    assert 'action="/w/settings/account/profile"' in html
    assert 'name="current_password"' in html and 'autocomplete="current-password"' in html
    assert 'name="new_password"' in html and 'autocomplete="new-password"' in html
    assert "Acme SSO" in html and "zhang.wei@oidc.example" in html
    assert f'action="/w/settings/account/identities/{account.identities[0]["id"]}/unlink"' in html
    # Connect: only configured providers not linked yet, through a form (POST, with the CSRF token).
    assert re.search(r'<form method="post" action="/auth/github">\s*<input type="hidden" name="_csrf_token"', html)
    assert 'name="intent" value="link"' in html and "Connect GitHub" in html
    assert "Connect Acme SSO" not in html and "Google" not in html and "Microsoft" not in html
    assert 'href="/w/settings/two-factor"' in html and "Set up two-factor sign-in" in html


def test_the_user_menu_leads_to_the_account(signed_in: TestClient[Any], account: Account) -> None:
    html = signed_in.get("/home").text

    assert 'href="/w/settings/account"' in html


def test_the_page_speaks_both_chinese_scripts(signed_in: TestClient[Any], account: Account) -> None:
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")
    simplified = signed_in.get(PAGE).text
    signed_in.cookies.set("gx_locale", "zh-Hant", domain="testserver.local")
    traditional = signed_in.get(PAGE).text

    assert "我的账户" in simplified and "当前密码" in simplified and "关联 GitHub" in simplified
    assert "我的帳戶" in traditional and "目前的密碼" in traditional and "連結 GitHub" in traditional


def test_an_htmx_navigation_gets_the_fragment_only(signed_in: TestClient[Any], account: Account) -> None:
    response = signed_in.get(PAGE, headers={"HX-Request": "true", "HX-Target": "main"})

    assert response.status_code == 200
    assert "<html" not in response.text and 'action="/w/settings/account/password"' in response.text


def test_signed_out_the_page_asks_to_sign_in(web: TestClient[Any], account: Account) -> None:
    response = web.get(PAGE, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fw%2Fsettings%2Faccount"


# ---- profile


def test_saving_the_profile_sends_name_and_language_and_the_pages_follow(
    signed_in: TestClient[Any], account: Account, fake_api: FakeApi
) -> None:
    response = post_form(signed_in, "/w/settings/account/profile", {"name": "  张小伟 ", "locale": "zh-Hant"})

    assert response.status_code == 303
    assert response.headers["location"] == "/w/settings/account?done=profile-saved"
    sent = json.loads(fake_api.calls("PATCH", "/api/v1/me")[0].content)
    assert sent == {"name": "张小伟", "locale": "zh-Hant", "timezone": None}  # no zone chosen: the workspace's
    assert signed_in.cookies["gx_locale"] == "zh-Hant"
    after = signed_in.get(response.headers["location"]).text
    assert "您的個人資料已儲存。" in after and 'value="张小伟"' in after


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_name_is_refused_without_asking_the_api(
    signed_in: TestClient[Any], account: Account, fake_api: FakeApi, name: str
) -> None:
    response = post_form(signed_in, "/w/settings/account/profile", {"name": name, "locale": "en"})

    assert response.status_code == 422
    assert "This field is required." in response.text and 'id="field-name-error"' in response.text
    assert fake_api.calls("PATCH", "/api/v1/me") == []


def test_the_apis_refusal_of_a_name_is_shown_under_it(
    signed_in: TestClient[Any], account: Account, fake_api: FakeApi
) -> None:
    fake_api.override("PATCH", "/api/v1/me", field_error("name", "too_long", "must be at most 200 characters"))

    response = post_form(signed_in, "/w/settings/account/profile", {"name": "名" * 201, "locale": "en"})

    assert response.status_code == 422
    assert "Use at most 200 characters." in response.text
    assert f'value="{"名" * 201}"' in response.text  # kept for correcting


def test_a_language_the_product_does_not_speak_falls_back_to_the_pages(
    signed_in: TestClient[Any], account: Account, fake_api: FakeApi
) -> None:
    response = post_form(signed_in, "/w/settings/account/profile", {"name": "张伟", "locale": "fr"})

    assert response.status_code == 303
    assert json.loads(fake_api.calls("PATCH", "/api/v1/me")[0].content)["locale"] == "en"


def test_a_time_zone_is_chosen_shown_selected_and_can_follow_the_workspace_again(
    signed_in: TestClient[Any], account: Account, fake_api: FakeApi
) -> None:
    page = signed_in.get("/w/settings/account").text
    assert '<option value="">Same as the workspace (Asia/Shanghai)</option>' in page
    assert '<option value="America/Argentina/Salta">America/Argentina/Salta</option>' in page
    assert '<option value="Asia/Ho_Chi_Minh">Asia/Ho Chi Minh</option>' in page

    saved = post_form(
        signed_in, "/w/settings/account/profile", {"name": "张伟", "locale": "en", "timezone": "Asia/Tokyo"}
    )
    assert saved.status_code == 303
    assert json.loads(fake_api.calls("PATCH", "/api/v1/me")[-1].content)["timezone"] == "Asia/Tokyo"
    after = signed_in.get("/w/settings/account").text
    assert '<option value="Asia/Tokyo" selected>' in after and "Same as the workspace</option>" in after

    post_form(signed_in, "/w/settings/account/profile", {"name": "张伟", "locale": "en", "timezone": ""})
    assert json.loads(fake_api.calls("PATCH", "/api/v1/me")[-1].content)["timezone"] is None


@pytest.mark.parametrize("zone", ["Asia/../../etc", "Mars/Olympus", "亚洲/上海", "😀", "'; DROP TABLE users; --"])
def test_a_zone_the_api_refuses_is_explained_under_the_field(
    signed_in: TestClient[Any], account: Account, fake_api: FakeApi, zone: str
) -> None:
    response = post_form(signed_in, "/w/settings/account/profile", {"name": "张伟", "locale": "en", "timezone": zone})

    assert response.status_code == 422
    assert re.search(r'id="field-timezone-error">.*?Choose one of the listed options.', response.text, re.S)
    assert re.search(r'<a class="alert-field" href="#field-timezone">Time zone</a>', response.text)
    assert "timezone" not in fake_api.user


# ---- password


def test_changing_the_password_sends_both_and_says_the_others_are_signed_out(
    signed_in: TestClient[Any], account: Account
) -> None:
    response = post_form(signed_in, "/w/settings/account/password", {"current_password": PASSWORD, "new_password": NEW})

    assert response.status_code == 303
    assert response.headers["location"] == "/w/settings/account?done=password-changed"
    assert account.passwords == [{"current_password": PASSWORD, "new_password": NEW}]
    assert signed_in.cookies[SESSION_COOKIE] == TOKEN  # this browser stays signed in
    notice = signed_in.get(response.headers["location"]).text
    assert "everywhere else you were signed out" in notice


def test_a_wrong_current_password_is_said_under_its_field_and_nothing_typed_comes_back(
    signed_in: TestClient[Any], account: Account
) -> None:
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")

    response = post_form(
        signed_in, "/w/settings/account/password", {"current_password": "guess 你好 123", "new_password": NEW}
    )

    assert response.status_code == 422
    assert 'id="field-current_password-error"' in response.text
    assert "这不是您当前的密码。" in response.text
    assert "guess 你好 123" not in response.text and NEW not in response.text


def test_a_weak_new_password_is_said_under_its_field(signed_in: TestClient[Any], account: Account) -> None:
    response = post_form(
        signed_in, "/w/settings/account/password", {"current_password": PASSWORD, "new_password": "short"}
    )

    assert response.status_code == 422
    assert 'id="field-new_password-error"' in response.text and "Use at least 10 characters." in response.text


def test_empty_password_fields_are_required_without_asking_the_api(
    signed_in: TestClient[Any], account: Account
) -> None:
    response = post_form(signed_in, "/w/settings/account/password", {"current_password": "", "new_password": ""})

    assert response.status_code == 422
    assert 'id="field-current_password-error"' in response.text and 'id="field-new_password-error"' in response.text
    assert "Please correct the 2 highlighted fields." in response.text
    assert account.passwords == []


def test_too_many_attempts_say_how_long_to_wait(
    signed_in: TestClient[Any], account: Account, fake_api: FakeApi
) -> None:
    fake_api.override(
        "POST", "/api/v1/me/password", problem(429, "rate-limited", "Too many.", headers={"Retry-After": "1800"})
    )

    response = post_form(signed_in, "/w/settings/account/password", {"current_password": PASSWORD, "new_password": NEW})

    assert response.status_code == 429
    assert "Too many attempts. Please wait 30 minutes and try again." in response.text


def test_without_a_password_the_form_sets_a_first_one(
    signed_in: TestClient[Any], account: Account, fake_api: FakeApi
) -> None:
    fake_api.user["has_password"] = False
    page = main_of(signed_in.get(PAGE).text)
    assert "Set a password" in page and 'name="current_password"' not in page

    response = post_form(signed_in, "/w/settings/account/password", {"new_password": NEW})

    assert response.status_code == 303
    assert response.headers["location"] == "/w/settings/account?done=password-set"
    assert account.passwords == [{"new_password": NEW}]  # no current password at all


def test_a_password_form_without_the_csrf_token_is_refused(signed_in: TestClient[Any], account: Account) -> None:
    signed_in.get(PAGE)

    response = signed_in.post("/w/settings/account/password", data={"current_password": PASSWORD, "new_password": NEW})

    assert response.status_code == 403
    assert account.passwords == []


def test_an_oversized_form_is_refused(signed_in: TestClient[Any], account: Account) -> None:
    response = post_form(
        signed_in, "/w/settings/account/password", {"current_password": PASSWORD, "new_password": "x" * 100_000}
    )

    assert response.status_code == 413
    assert account.passwords == []


# ---- connected accounts


def test_disconnecting_asks_the_api_and_says_so(signed_in: TestClient[Any], account: Account) -> None:
    linked = account.identities[0]["id"]

    response = post_form(signed_in, f"/w/settings/account/identities/{linked}/unlink")

    assert response.status_code == 303
    assert response.headers["location"] == "/w/settings/account?done=identity-unlinked"
    assert account.unlinked == [linked]
    after = main_of(signed_in.get(response.headers["location"]).text)
    assert "The account is disconnected." in after
    assert "No provider is connected to your account yet." in after and "Connect Acme SSO" in after


def test_disconnecting_an_unknown_account_is_not_found(signed_in: TestClient[Any], account: Account) -> None:
    for identity_id in (str(uuid.uuid4()), "not-an-id", "%E4%BD%A0%E5%A5%BD"):
        response = post_form(signed_in, f"/w/settings/account/identities/{identity_id}/unlink")
        assert response.status_code == 404, identity_id
    assert account.unlinked == []


def test_the_last_way_to_sign_in_has_no_disconnect_button_and_a_refusal_is_explained(
    signed_in: TestClient[Any], account: Account, fake_api: FakeApi
) -> None:
    fake_api.user["has_password"] = False
    linked = account.identities[0]["id"]

    page = main_of(signed_in.get(PAGE).text)
    refused = post_form(signed_in, f"/w/settings/account/identities/{linked}/unlink")  # a page left open

    assert "/unlink" not in page and "Your only way to sign in" in page
    assert refused.status_code == 409
    assert "This is the only way you can sign in. Set a password first, then disconnect it." in refused.text
    assert account.unlinked == []


def test_an_identity_at_a_provider_no_longer_offered_is_marked_and_does_not_count(
    signed_in: TestClient[Any], fake_api: FakeApi
) -> None:
    fake_api.user["has_password"] = False
    usable, retired = identity(), identity("google", "Google", available=False)
    Account(fake_api, identities=[usable, retired]).install()

    html = main_of(signed_in.get(PAGE).text)

    assert "No longer offered" in html
    assert f"/identities/{retired['id']}/unlink" in html  # removing it leaves Acme SSO
    assert f"/identities/{usable['id']}/unlink" not in html  # Google cannot stand in for it


def test_connecting_starts_a_link_with_this_browsers_session(
    signed_in: TestClient[Any], account: Account, fake_api: FakeApi
) -> None:
    fake_api.override(
        "POST",
        "/api/v1/auth/oauth/github/start",
        httpx.Response(200, json={"authorization_url": AUTHORIZATION_URL, "state": STATE}),
    )

    response = post_form(signed_in, "/auth/github", {"intent": "link"})

    assert response.status_code == 200 and 'http-equiv="refresh"' in response.text
    (start,) = fake_api.calls("POST", "/api/v1/auth/oauth/github/start")
    assert json.loads(start.content)["intent"] == "link"
    assert start.headers["authorization"] == f"Bearer {TOKEN}"
    assert signed_in.cookies[STATE_COOKIE] == STATE and signed_in.cookies[INTENT_COOKIE] == "link"


def test_connecting_signed_out_goes_to_sign_in_first(web: TestClient[Any], fake_api: FakeApi) -> None:
    response = post_form(web, "/auth/github", {"intent": "link"})

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fw%2Fsettings%2Faccount"
    assert fake_api.calls("POST", "/api/v1/auth/oauth/github/start") == []


def test_a_link_cannot_be_started_by_a_plain_link(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    """A GET can be sent by another site; it starts a sign-in at most, never a link."""
    fake_api.override("POST", START, httpx.Response(200, json={"authorization_url": AUTHORIZATION_URL, "state": STATE}))

    response = signed_in.get("/auth/oidc?intent=link", follow_redirects=False)

    assert response.status_code == 302
    assert json.loads(fake_api.calls("POST", START)[0].content)["intent"] == "login"
    assert INTENT_COOKIE not in signed_in.cookies


def start_link(client: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("POST", START, httpx.Response(200, json={"authorization_url": AUTHORIZATION_URL, "state": STATE}))
    assert post_form(client, "/auth/oidc", {"intent": "link"}).status_code == 200


def test_the_way_back_links_and_returns_to_the_account_signed_in_as_before(
    signed_in: TestClient[Any], account: Account, fake_api: FakeApi
) -> None:
    start_link(signed_in, fake_api)
    fake_api.override("POST", CALLBACK, httpx.Response(201, json=identity()))

    response = signed_in.get(f"/auth/oidc/callback?state={STATE}&code=the-code", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/w/settings/account?done=identity-linked"
    (sent,) = fake_api.calls("POST", CALLBACK)
    assert json.loads(sent.content) == {"state": STATE, "code": "the-code"}
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert signed_in.cookies[SESSION_COOKIE] == TOKEN
    assert not [h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "=")]
    assert STATE_COOKIE not in signed_in.cookies and INTENT_COOKIE not in signed_in.cookies
    assert "The account is connected. You can now sign in with it." in signed_in.get(response.headers["location"]).text


def test_an_account_linked_to_someone_else_is_explained_on_the_account_page(
    signed_in: TestClient[Any], account: Account, fake_api: FakeApi
) -> None:
    start_link(signed_in, fake_api)
    fake_api.override("POST", CALLBACK, problem(409, "oauth-identity-taken"))
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")

    response = signed_in.get(f"/auth/oidc/callback?state={STATE}&code=the-code", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/w/settings/account?link_error=taken&provider=oidc"
    page = signed_in.get(response.headers["location"])
    assert "此 Acme SSO 账号已关联到另一个关系 CRM 账户。" in page.text


def test_a_way_back_this_browser_did_not_start_links_nothing(
    signed_in: TestClient[Any], account: Account, fake_api: FakeApi
) -> None:
    start_link(signed_in, fake_api)

    response = signed_in.get("/auth/oidc/callback?state=a-planted-state&code=their-code", follow_redirects=False)

    assert response.headers["location"] == "/w/settings/account?link_error=expired&provider=oidc"
    assert fake_api.calls("POST", CALLBACK) == []
    assert (
        "Connecting Acme SSO took too long or was started elsewhere."
        in signed_in.get(response.headers["location"]).text
    )


def test_cancelling_at_the_provider_comes_back_to_the_account(
    signed_in: TestClient[Any], account: Account, fake_api: FakeApi
) -> None:
    start_link(signed_in, fake_api)

    response = signed_in.get(f"/auth/oidc/callback?state={STATE}&error=access_denied", follow_redirects=False)

    assert response.headers["location"] == "/w/settings/account?link_error=cancelled&provider=oidc"
    assert "Connecting Acme SSO was cancelled." in signed_in.get(response.headers["location"]).text


def test_a_sign_in_started_after_an_abandoned_link_is_a_sign_in(
    signed_in: TestClient[Any], account: Account, fake_api: FakeApi
) -> None:
    start_link(signed_in, fake_api)
    signed_in.get("/auth/oidc?intent=login", follow_redirects=False)
    fake_api.override("POST", CALLBACK, httpx.Response(200, json=fake_api._session()))

    response = signed_in.get(f"/auth/oidc/callback?state={STATE}&code=the-code", follow_redirects=False)

    assert response.headers["location"] == "/home"


@pytest.mark.parametrize(
    "query",
    [
        "link_error=<script>alert(1)</script>&provider=oidc",
        "link_error=taken&provider=google",  # not configured
        "link_error=taken&provider=<b>evil</b>",
    ],
)
def test_only_known_reasons_and_providers_are_shown(signed_in: TestClient[Any], account: Account, query: str) -> None:
    html = main_of(signed_in.get(f"{PAGE}?{query}").text)

    assert 'id="identities-alert"' not in html
    # (not just "evil": the time zone list has Africa/Libreville)
    assert "<script>alert" not in html and "<b>evil" not in html and "&lt;b&gt;evil" not in html
