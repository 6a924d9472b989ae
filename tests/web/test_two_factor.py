"""Two-factor sign-in in the browser: the code page after the password, and the settings tab."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import segno
from guanxi_web.session import MFA_COOKIE, SESSION_COOKIE
from litestar.testing import TestClient

from tests.web.conftest import (  # noqa: F401 (fixtures)
    PASSWORD,
    PROBLEMS,
    TOKEN,
    FakeApi,
    fake_api_fixture,
    post_form,
    problem,
    signed_in_fixture,
    web_fixture,
)

TICKET = "mfa-ticket-signed-by-the-api"
GOOD_CODE = "123456"
RECOVERY_CODES = [f"abcd-ef{n:02d}" for n in range(10)]
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OTPAUTH = f"otpauth://totp/Guanxi%20CRM:zhang.wei%40example.com?secret={SECRET}&issuer=Guanxi%20CRM"


def mfa_required() -> httpx.Response:
    body = {
        "type": PROBLEMS + "mfa-required",
        "title": "A second factor is required",
        "status": 401,
        "detail": "Enter a code from your authenticator app.",
        "mfa_token": TICKET,
    }
    return httpx.Response(401, json=body, headers={"content-type": "application/problem+json"})


def wrong_code(field_name: str = "code") -> httpx.Response:
    return problem(
        422, "validation-error", errors=[{"field": field_name, "message": "is not the current code", "code": "invalid"}]
    )


@dataclass
class TwoFactor:
    """The API's two-factor endpoints for the one fake user."""

    api: FakeApi
    enabled: bool = False
    started: bool = False
    sent: list[dict[str, Any]] = field(default_factory=list)

    def install(self) -> None:
        self.switch(self.enabled)
        self.api.overrides[("POST", "/api/v1/auth/login")] = self.login
        self.api.overrides[("POST", "/api/v1/auth/login/mfa")] = self.second_factor
        self.api.overrides[("POST", "/api/v1/me/two-factor")] = self.begin
        self.api.overrides[("POST", "/api/v1/me/two-factor/confirm")] = self.confirm
        self.api.overrides[("POST", "/api/v1/me/two-factor/disable")] = self.disable

    def switch(self, on: bool) -> None:
        """On or off, as ``GET /api/v1/me`` then reports it."""
        self.enabled = self.api.user["two_factor_enabled"] = on

    def login(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["email"] != self.api.user["email"] or body["password"] != PASSWORD:
            return problem(401, "invalid-credentials")
        return mfa_required() if self.enabled else httpx.Response(200, json=self.api._session())

    def second_factor(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.sent.append(body)
        if body["mfa_token"] != TICKET:
            return wrong_code("mfa_token")
        if body["code"] == GOOD_CODE or body["code"] in RECOVERY_CODES:
            return httpx.Response(200, json=self.api._session())
        return wrong_code()

    def begin(self, request: httpx.Request) -> httpx.Response:
        if self.enabled:
            return problem(409, "two-factor-enabled", "Two-factor sign-in is already on.")
        self.started = True
        return httpx.Response(200, json={"secret": SECRET, "otpauth_uri": OTPAUTH})

    def confirm(self, request: httpx.Request) -> httpx.Response:
        if not self.started or json.loads(request.content)["code"] != GOOD_CODE:
            return wrong_code()
        self.switch(True)
        return httpx.Response(200, json={"recovery_codes": RECOVERY_CODES})

    def disable(self, request: httpx.Request) -> httpx.Response:
        code = json.loads(request.content)["code"]
        if code != GOOD_CODE and code not in RECOVERY_CODES:
            return wrong_code()
        self.switch(False)
        return httpx.Response(204)


@pytest.fixture(name="two_factor")
def two_factor_fixture(fake_api: FakeApi) -> TwoFactor:
    fake = TwoFactor(fake_api, enabled=True)
    fake.install()
    return fake


def set_cookie(response: httpx.Response, name: str) -> str:
    (header,) = [h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")]
    return header


def sign_in_with_password(web: TestClient[Any], next_path: str = "") -> httpx.Response:
    data = {"email": "zhang.wei@example.com", "password": PASSWORD, **({"next": next_path} if next_path else {})}
    return post_form(web, "/login", data)


# ---- signing in


def test_password_of_a_two_factor_account_asks_for_a_code(web: TestClient[Any], two_factor: TwoFactor) -> None:
    response = sign_in_with_password(web)

    assert response.status_code == 303
    assert response.headers["location"] == "/login/code"
    cookie = set_cookie(response, MFA_COOKIE)
    assert cookie.startswith(f"{MFA_COOKIE}={TICKET};")
    assert "HttpOnly" in cookie and "Max-Age=300" in cookie and "Path=/login" in cookie
    assert "samesite=lax" in cookie.lower()
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")

    page = web.get("/login/code")
    assert page.status_code == 200
    assert 'action="/login/code"' in page.text and 'autocomplete="one-time-code"' in page.text
    assert "recovery code" in page.text
    assert TICKET not in page.text


def test_the_right_code_opens_the_session_and_forgets_the_ticket(web: TestClient[Any], two_factor: TwoFactor) -> None:
    sign_in_with_password(web, "/w/settings/tokens")

    response = post_form(web, "/login/code", {"code": " 123 456 ", "next": "/w/settings/tokens"})

    assert response.status_code == 303
    assert response.headers["location"] == "/w/settings/tokens"
    assert set_cookie(response, SESSION_COOKIE).startswith(f"{SESSION_COOKIE}={TOKEN};")
    forgotten = set_cookie(response, MFA_COOKIE)
    assert "Max-Age=0" in forgotten or "expires=Thu, 01 Jan 1970" in forgotten
    assert two_factor.sent == [{"mfa_token": TICKET, "code": GOOD_CODE}]
    assert web.get("/home").status_code == 200


def test_a_recovery_code_works_too_and_next_stays_on_site(web: TestClient[Any], two_factor: TwoFactor) -> None:
    first = sign_in_with_password(web, "https://evil.example/")
    assert first.headers["location"] == "/login/code"

    response = post_form(web, "/login/code", {"code": RECOVERY_CODES[3], "next": "//evil.example/"})

    assert response.status_code == 303
    assert response.headers["location"] == "/home"


def test_next_is_carried_to_the_code_page(web: TestClient[Any], two_factor: TwoFactor) -> None:
    response = sign_in_with_password(web, "/w/settings/tokens")

    assert response.headers["location"] == "/login/code?next=%2Fw%2Fsettings%2Ftokens"
    assert 'name="next" value="/w/settings/tokens"' in web.get(response.headers["location"]).text


def test_a_wrong_code_is_explained_under_the_field(web: TestClient[Any], two_factor: TwoFactor) -> None:
    sign_in_with_password(web)

    response = post_form(web, "/login/code", {"code": "000000"})

    assert response.status_code == 422
    assert 'id="field-code-error"' in response.text
    assert "not right or was already used" in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert MFA_COOKIE in web.cookies  # the ticket is still good for another try


def test_a_wrong_code_is_explained_in_chinese(web: TestClient[Any], two_factor: TwoFactor) -> None:
    web.cookies.set("gx_locale", "zh-Hant", domain="testserver.local")
    sign_in_with_password(web)

    response = post_form(web, "/login/code", {"code": "000000"})

    assert "驗證碼不正確" in response.text


def test_an_empty_code_is_refused_without_asking_the_api(web: TestClient[Any], two_factor: TwoFactor) -> None:
    sign_in_with_password(web)

    response = post_form(web, "/login/code", {"code": "  "})

    assert response.status_code == 422
    assert 'id="field-code-error"' in response.text
    assert not two_factor.sent


def test_an_expired_ticket_sends_back_to_sign_in(web: TestClient[Any], two_factor: TwoFactor) -> None:
    sign_in_with_password(web)
    web.cookies.set(MFA_COOKIE, "expired-ticket", domain="testserver.local", path="/login")

    response = post_form(web, "/login/code", {"code": GOOD_CODE})

    assert response.status_code == 303
    assert response.headers["location"] == "/login?expired=code"
    assert "took too long" in web.get(response.headers["location"]).text


def test_the_code_page_without_a_ticket_sends_back_to_sign_in(web: TestClient[Any], two_factor: TwoFactor) -> None:
    page = web.get("/login/code", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?expired=code"

    response = post_form(web, "/login/code", {"code": GOOD_CODE})
    assert response.status_code == 303 and response.headers["location"] == "/login?expired=code"
    assert not two_factor.sent


def test_too_many_codes_say_how_long_to_wait(web: TestClient[Any], two_factor: TwoFactor, fake_api: FakeApi) -> None:
    sign_in_with_password(web)
    fake_api.override("POST", "/api/v1/auth/login/mfa", problem(429, "rate-limited", headers={"Retry-After": "300"}))

    response = post_form(web, "/login/code", {"code": GOOD_CODE})

    assert response.status_code == 429
    assert "Too many attempts" in response.text and "5 minutes" in response.text


def test_the_code_form_needs_the_csrf_token(web: TestClient[Any], two_factor: TwoFactor) -> None:
    sign_in_with_password(web)

    response = web.post("/login/code", data={"code": GOOD_CODE}, follow_redirects=False)

    assert response.status_code == 403
    assert not two_factor.sent


def test_a_provider_sign_in_can_ask_for_a_code_too(
    web: TestClient[Any], fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guanxi.config import get_settings
    from guanxi_web.controllers.oauth import STATE_COOKIE

    settings = get_settings()
    for name, value in {"oidc_issuer": "https://idp.example", "oidc_client_id": "g", "oidc_client_secret": "s"}.items():
        monkeypatch.setattr(settings, name, value)
    fake_api.override("POST", "/api/v1/auth/oauth/oidc/callback", mfa_required())
    web.cookies.set(STATE_COOKIE, "state-1", domain="testserver.local", path="/auth")

    response = web.get("/auth/oidc/callback?state=state-1&code=c", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login/code"
    assert set_cookie(response, MFA_COOKIE).startswith(f"{MFA_COOKIE}={TICKET};")


# ---- the settings tab


def test_the_settings_tab_is_there_for_everyone(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.current = 1  # a plain member of Acme Trading
    page = signed_in.get("/w/settings")

    assert 'href="/w/settings/two-factor"' in page.text
    assert signed_in.get("/w/settings/two-factor").status_code == 200


def test_with_two_factor_off_the_tab_says_off_and_offers_the_set_up(
    signed_in: TestClient[Any], fake_api: FakeApi
) -> None:
    TwoFactor(fake_api, enabled=False).install()

    tab = signed_in.get("/w/settings/two-factor")

    assert tab.status_code == 200
    assert '<span class="badge" id="two-factor-state">Off</span>' in tab.text
    assert 'action="/w/settings/two-factor"' in tab.text
    assert 'action="/w/settings/two-factor/disable"' not in tab.text


def test_with_two_factor_on_the_tab_says_on_and_offers_turning_off(
    signed_in: TestClient[Any], two_factor: TwoFactor
) -> None:
    tab = signed_in.get("/w/settings/two-factor")

    assert tab.status_code == 200
    assert '<span class="badge badge--success" id="two-factor-state">On</span>' in tab.text
    assert 'action="/w/settings/two-factor/disable"' in tab.text
    assert 'action="/w/settings/two-factor"' not in tab.text
    assert '<details class="confirm">' in tab.text  # closed until asked for


def qr_modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules of a QR code drawn as segno draws it: one path of horizontal runs, one per row."""
    path = re.search(r'<path stroke="#000" d="([^"]+)"', svg)
    assert path is not None
    dark: set[tuple[int, int]] = set()
    x = y = 0.0
    for command, first, second in re.findall(r"([Mmh])(-?[\d.]+)(?:[ ,]?(-?[\d.]+))?", path.group(1)):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            dark |= {(int(x) + i, int(y)) for i in range(int(float(first)))}
            x += float(first)
    return dark


def test_turning_on_shows_a_qr_code_the_key_and_link_then_the_recovery_codes(
    signed_in: TestClient[Any], fake_api: FakeApi
) -> None:
    two_factor = TwoFactor(fake_api)
    two_factor.install()

    setup = post_form(signed_in, "/w/settings/two-factor")

    assert setup.status_code == 200
    assert SECRET in setup.text
    assert f'href="{OTPAUTH.replace("&", "&amp;")}"' in setup.text
    assert 'action="/w/settings/two-factor/confirm"' in setup.text
    svg = re.search(r'<svg role="img" viewBox="[^"]+" class="qr-code"><title>([^<]+)</title>.*?</svg>', setup.text)
    assert svg is not None and svg.group(1) == "QR code for your authenticator app"
    # the code drawn is the set-up link, module for module, with the quiet zone of 4 around it
    expected = segno.make_qr(OTPAUTH, error="m")
    assert qr_modules(svg.group(0)) == {
        (column + 4, row + 4)
        for row, line in enumerate(expected.matrix)
        for column, module in enumerate(line)
        if module
    }

    wrong = post_form(
        signed_in, "/w/settings/two-factor/confirm", {"code": "000000", "secret": SECRET, "otpauth_uri": OTPAUTH}
    )
    assert wrong.status_code == 422
    assert 'id="field-code-error"' in wrong.text and SECRET in wrong.text
    assert 'class="qr-code"' in wrong.text
    assert not two_factor.enabled

    done = post_form(
        signed_in, "/w/settings/two-factor/confirm", {"code": GOOD_CODE, "secret": SECRET, "otpauth_uri": OTPAUTH}
    )
    assert done.status_code == 200
    assert two_factor.enabled
    assert all(code in done.text for code in RECOVERY_CODES)
    assert "Store these recovery codes now." in done.text
    assert 'data-copy="#recovery-codes"' in done.text
    assert SECRET not in done.text and 'class="qr-code"' not in done.text

    after = signed_in.get("/w/settings/two-factor")
    assert 'id="two-factor-state">On</span>' in after.text


def test_the_qr_code_page_needs_nothing_from_elsewhere(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    TwoFactor(fake_api).install()

    setup = post_form(signed_in, "/w/settings/two-factor")

    policy = setup.headers["content-security-policy"]
    assert "img-src 'self' data:;" in policy and "style-src 'self';" in policy
    svg = setup.text[setup.text.index('<svg role="img"') : setup.text.index("</svg>")]
    assert "style=" not in svg and "href" not in svg and "<script" not in svg


def test_a_tampered_set_up_link_is_not_made_a_link(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    TwoFactor(fake_api, started=True).install()

    for tampered in ("javascript:alert(1)", "otpauth://totp/x?secret=" + "A" * 5000):
        response = post_form(
            signed_in,
            "/w/settings/two-factor/confirm",
            {"code": "000000", "secret": SECRET, "otpauth_uri": tampered},
        )

        assert response.status_code == 422
        assert tampered not in response.text
        assert 'class="qr-code"' not in response.text
        assert SECRET in response.text  # the key can still be typed in


def test_turning_on_when_already_on_offers_turning_off(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    two_factor = TwoFactor(fake_api)
    two_factor.install()
    two_factor.enabled = True  # turned on in another tab after this one's /me said off

    response = post_form(signed_in, "/w/settings/two-factor")

    assert response.status_code == 409
    assert "already on for your account" in response.text
    assert 'id="two-factor-state">On</span>' in response.text
    assert '<details class="confirm" open>' in response.text
    assert 'action="/w/settings/two-factor/disable"' in response.text


def test_turning_off_needs_a_right_code(signed_in: TestClient[Any], two_factor: TwoFactor) -> None:
    wrong = post_form(signed_in, "/w/settings/two-factor/disable", {"code": "111111"})
    assert wrong.status_code == 422
    assert 'id="field-code-error"' in wrong.text
    assert '<details class="confirm" open>' in wrong.text
    assert two_factor.enabled

    response = post_form(signed_in, "/w/settings/two-factor/disable", {"code": RECOVERY_CODES[0]})
    assert response.status_code == 303
    assert response.headers["location"] == "/w/settings/two-factor?done=two-factor-off"
    assert not two_factor.enabled
    page = signed_in.get(response.headers["location"])
    assert "Two-factor sign-in is off." in page.text
    assert 'id="two-factor-state">Off</span>' in page.text


def test_turning_off_when_already_off_asks_nothing_of_the_api(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    TwoFactor(fake_api, enabled=False).install()

    response = post_form(signed_in, "/w/settings/two-factor/disable", {"code": GOOD_CODE})

    assert response.status_code == 303
    assert response.headers["location"] == "/w/settings/two-factor"
    assert not fake_api.calls("POST", "/api/v1/me/two-factor/disable")


@pytest.mark.parametrize(
    ("locale", "on", "off", "scan"),
    [
        (
            "zh-Hans",
            "已开启",
            "未开启",
            "用身份验证器应用（例如 Google Authenticator、Microsoft Authenticator 或 1Password）扫描此二维码",
        ),
        (
            "zh-Hant",
            "已開啟",
            "未開啟",
            "用驗證器 App（例如 Google Authenticator、Microsoft Authenticator 或 1Password）掃描此 QR 碼",
        ),
    ],
)
def test_the_settings_tab_in_chinese(
    signed_in: TestClient[Any], fake_api: FakeApi, locale: str, on: str, off: str, scan: str
) -> None:
    signed_in.cookies.set("gx_locale", locale, domain="testserver.local")
    two_factor = TwoFactor(fake_api, enabled=True)
    two_factor.install()

    assert f'id="two-factor-state">{on}</span>' in signed_in.get("/w/settings/two-factor").text
    two_factor.switch(False)
    assert f'id="two-factor-state">{off}</span>' in signed_in.get("/w/settings/two-factor").text
    assert scan in post_form(signed_in, "/w/settings/two-factor").text


def test_the_settings_forms_need_the_csrf_token(signed_in: TestClient[Any], two_factor: TwoFactor) -> None:
    for url in ("/w/settings/two-factor", "/w/settings/two-factor/confirm", "/w/settings/two-factor/disable"):
        assert signed_in.post(url, data={"code": GOOD_CODE}, follow_redirects=False).status_code == 403
    assert two_factor.enabled
