"""Sign-in and sign-up with an identity provider: the buttons, the trip to the provider, and the way back.

The browser that starts a sign-in gets the flow's state in a short-lived cookie, and the way back is
accepted only with that same state: a provider's answer that another browser started (a planted link,
a stolen code) goes nowhere.

A signed-in person connecting a provider to their account ("link", from Settings → Your account) takes
the same way; a second cookie remembers that it is a link, so that the way back ends on the account page,
still signed in as the same person.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

import structlog
from guanxi import locales
from guanxi.config import get_settings
from guanxi.domain.identity.oauth_schemas import Provider, configured_providers
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template

from guanxi_web import i18n
from guanxi_web.api_client import ApiCaller, ApiError, ApiUnavailable
from guanxi_web.controllers.auth import ask_for_code, login_form, signup_form
from guanxi_web.forms import LOGIN_FIELDS, SIGNUP_FIELDS, Form, field_message, refusal_status
from guanxi_web.i18n import N_, _
from guanxi_web.session import start_session

log = structlog.get_logger("web.oauth")

STATE_COOKIE = "gx_oauth_state"
STATE_COOKIE_PATH = "/auth"
STATE_COOKIE_SECONDS = 600  # as long as the API keeps the flow
# Set beside the state when the flow links a provider to the signed-in person (value "link").
INTENT_COOKIE = "gx_oauth_intent"
ACCOUNT_PAGE = "/w/settings/account"

# The API's refusals, said again in the reader's language (``%(provider)s`` is the provider's name).
MESSAGES = {
    "oauth-state-invalid": N_("That sign-in has expired or was started in another browser. Please try again."),
    "oauth-invalid-token": N_("We could not verify your sign-in with %(provider)s. Please try again."),
    "oauth-refused": N_("We could not verify your sign-in with %(provider)s. Please try again."),
    "oauth-email-unverified": N_(
        "An account with this email already exists, but %(provider)s has not confirmed that the address is "
        "yours. Sign in with your password instead."
    ),
    "oauth-no-account": N_(
        "No workspace is linked to this %(provider)s account yet. Create a workspace to get started."
    ),
    "oauth-email-missing": N_("%(provider)s did not share an email address with us, and a new account needs one."),
    "oauth-provider-unavailable": N_("%(provider)s cannot be reached right now. Please try again in a moment."),
    "email-taken": N_("An account with this email already exists. Sign in instead."),
}
STATE_MISMATCH = MESSAGES["oauth-state-invalid"]
CANCELLED = N_("Sign-in with %(provider)s was cancelled.")
COMPANY_NEEDED = N_("Enter your company name to create a workspace with %(provider)s.")

# Why a link did not happen, as the account page's ``link_error`` (it says it in the reader's language).
LINK_REFUSALS = {
    "oauth-identity-taken": "taken",
    "oauth-link-other-user": "expired",
    "oauth-state-invalid": "expired",
    "oauth-refused": "failed",
    "oauth-invalid-token": "failed",
    "oauth-provider-unavailable": "unavailable",
    "rate-limited": "limited",
}


@dataclass(frozen=True)
class ProviderButton:
    key: str
    name: str


def sign_in_providers() -> list[ProviderButton]:
    """The sign-in pages' provider buttons: only the providers the operator has configured."""
    return [ProviderButton(p.key, p.name) for p in configured_providers()]


def with_provider_buttons(engine: JinjaTemplateEngine) -> JinjaTemplateEngine:
    engine.engine.globals["sign_in_providers"] = sign_in_providers
    return engine


def _provider(key: str) -> Provider:
    for provider in configured_providers():
        if provider.key == key:
            return provider
    raise NotFoundException()


def _explain(error: ApiError, provider: Provider) -> str:
    if error.status == 429:
        wait = i18n.duration(error.retry_after or 60)
        return _("Too many attempts. Please wait %(wait)s and try again.") % {"wait": wait}
    if error.kind in MESSAGES:
        return _(MESSAGES[error.kind]) % {"provider": provider.name}
    company = [problem for problem in error.field_errors if problem.field == "company_name"]
    if company:
        return _("Check the company name: %(message)s") % {"message": field_message(company[0])}
    if error.status >= 500:
        return _("We could not complete this right now. Please try again in a moment.")
    return _("Something went wrong. Please check the form and try again.")


def _refused_page(intent: str, message: str, status_code: int, company_name: str = "") -> Template:
    """The page the sign-in started from, with the reason at the top."""
    if intent == "signup":
        form = Form(SIGNUP_FIELDS, values={"company_name": company_name, "locale": i18n.current_locale()})
        form.summary.append(message)
        return signup_form(form, status_code)
    form = Form(LOGIN_FIELDS)
    form.summary.append(message)
    return login_form(form, "/home", status_code)


def _forget_state(response: Response[Any]) -> None:
    response.delete_cookie(STATE_COOKIE, path=STATE_COOKIE_PATH)
    response.delete_cookie(INTENT_COOKIE, path=STATE_COOKIE_PATH)


def _link_refused(provider: Provider, reason: str) -> Redirect:
    """Back to the account page, which says why (only the reason's key and the provider travel)."""
    log.info("oauth.link_not_done", provider=provider.key, reason=reason)
    return Redirect(f"{ACCOUNT_PAGE}?{urlencode({'link_error': reason, 'provider': provider.key})}", status_code=303)


def _link_reason(error: ApiError) -> str:
    if error.status >= 500:
        return "unavailable"
    return LINK_REFUSALS.get(error.kind, "failed")


def _sign_in_first() -> Redirect:
    return Redirect(f"/login?{urlencode({'next': ACCOUNT_PAGE})}", status_code=303)


async def _start(
    api: ApiCaller, provider: Provider, *, intent: str, company_name: str, locale: str, from_form: bool
) -> Response[Any]:
    # A link changes the signed-in person's account: only from our own form, which carries a CSRF token.
    linking = intent == "link" and from_form
    intent = intent if intent in ("login", "signup") or linking else "login"
    if linking and not api.signed_in:
        return _sign_in_first()
    company_name = company_name.strip()
    if intent == "signup" and not company_name:
        return _refused_page(intent, _(COMPANY_NEEDED) % {"provider": provider.name}, 422)
    settings = get_settings()
    try:
        started = await api.oauth_start(
            provider.key,
            intent=intent,
            redirect_uri=f"{settings.public_url.rstrip('/')}/auth/{provider.key}/callback",
            company_name=company_name if intent == "signup" else None,
            locale=locale if locale in locales.SUPPORTED else i18n.current_locale(),
        )
    except ApiError as error:
        log.info("oauth.start_refused", provider=provider.key, status=error.status, kind=error.kind)
        if linking:
            return _sign_in_first() if error.status == 401 else _link_refused(provider, _link_reason(error))
        return _refused_page(intent, _explain(error, provider), refusal_status(error), company_name)
    except ApiUnavailable:
        if linking:
            return _link_refused(provider, "unavailable")
        message = _("We could not complete this right now. Please try again in a moment.")
        return _refused_page(intent, message, 503, company_name)
    response: Response[Any]
    if from_form:
        # A form's navigation may not end on another site (CSP form-action 'self' covers its redirects
        # too), so the way on from a form is a page that moves on by itself, with a link as a fallback.
        response = Template(
            "auth/oauth_continue.html",
            context={
                "title": _("Continuing to %(provider)s") % {"provider": provider.name},
                "provider": provider.name,
                "authorization_url": started.authorization_url,
            },
        )
    else:
        response = Redirect(started.authorization_url, status_code=302)
    response.set_cookie(
        STATE_COOKIE,
        started.state,
        max_age=STATE_COOKIE_SECONDS,
        path=STATE_COOKIE_PATH,
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back to us
        secure=settings.secure_cookies,
    )
    if linking:
        response.set_cookie(
            INTENT_COOKIE,
            "link",
            max_age=STATE_COOKIE_SECONDS,
            path=STATE_COOKIE_PATH,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
        )
    else:  # a link left unfinished earlier must not turn this sign-in into one
        response.delete_cookie(INTENT_COOKIE, path=STATE_COOKIE_PATH)
    log.info("oauth.redirected", provider=provider.key, intent=intent)
    return response


def _same_state(cookie: str | None, state: str) -> bool:
    return bool(cookie and state) and hmac.compare_digest((cookie or "").encode(), state.encode())


class OAuthController(Controller):
    tags = ["auth"]

    @get("/auth/{provider:str}")
    async def begin(
        self,
        api: NamedDependency[ApiCaller],
        provider: FromPath[str],
        intent: FromQuery[str] = "login",
        company_name: FromQuery[str] = "",
        locale: FromQuery[str] = "",
    ) -> Response[Any]:
        return await _start(
            api, _provider(provider), intent=intent, company_name=company_name, locale=locale, from_form=False
        )

    @post("/auth/{provider:str}")
    async def begin_from_form(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], provider: FromPath[str]
    ) -> Response[Any]:
        data = await request.form()
        return await _start(
            api,
            _provider(provider),
            intent=str(data.get("intent") or "signup"),
            company_name=str(data.get("company_name") or ""),
            locale=str(data.get("locale") or ""),
            from_form=True,
        )

    @get("/auth/{provider:str}/callback")
    async def callback(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        provider: FromPath[str],
        returned_state: Annotated[str, QueryParameter(name="state")] = "",  # "state" is a reserved name
        code: FromQuery[str] = "",
        error: FromQuery[str] = "",
    ) -> Response[Any]:
        chosen = _provider(provider)
        linking = request.cookies.get(INTENT_COOKIE) == "link"
        response: Response[Any]
        if error:
            log.info("oauth.provider_refused", provider=chosen.key, error=error[:60])
            if linking:
                response = _link_refused(chosen, "cancelled" if error == "access_denied" else "failed")
            else:
                message = CANCELLED if error == "access_denied" else MESSAGES["oauth-refused"]
                response = _refused_page("login", _(message) % {"provider": chosen.name}, 400)
        elif not code or not _same_state(request.cookies.get(STATE_COOKIE), returned_state):
            log.info("oauth.state_mismatch", provider=chosen.key, cookie=STATE_COOKIE in request.cookies)
            response = _link_refused(chosen, "expired") if linking else _refused_page("login", _(STATE_MISMATCH), 400)
        elif linking:
            response = await _finish_link(api, chosen, state=returned_state, code=code)
        else:
            response = await _finish(api, chosen, state=returned_state, code=code)
        _forget_state(response)
        return response


async def _finish(api: ApiCaller, provider: Provider, *, state: str, code: str) -> Response[Any]:
    try:
        session = await api.oauth_callback(provider.key, state=state, code=code)
    except ApiError as error:
        if ticket := error.mfa_ticket:
            log.info("oauth.code_needed", provider=provider.key)
            return ask_for_code(ticket, "/home")
        log.info("oauth.callback_refused", provider=provider.key, status=error.status, kind=error.kind)
        return _refused_page("login", _explain(error, provider), refusal_status(error))
    except ApiUnavailable:
        return _refused_page("login", _("We could not complete this right now. Please try again in a moment."), 503)
    log.info("oauth.signed_in", provider=provider.key, user_id=str(session.user.id))
    response = Redirect("/home", status_code=303)
    start_session(response, session, secure=get_settings().secure_cookies)
    return response


async def _finish_link(api: ApiCaller, provider: Provider, *, state: str, code: str) -> Response[Any]:
    """The API links the provider account to the person this browser is signed in as; nobody signs in."""
    if not api.signed_in:
        return _sign_in_first()
    try:
        identity, created = await api.oauth_link_callback(provider.key, state=state, code=code)
    except ApiError as error:
        log.info("oauth.link_refused", provider=provider.key, status=error.status, kind=error.kind)
        return _sign_in_first() if error.status == 401 else _link_refused(provider, _link_reason(error))
    except ApiUnavailable:
        return _link_refused(provider, "unavailable")
    log.info("oauth.linked", provider=provider.key, identity_id=str(identity.id), created=created)
    return Redirect(
        f"{ACCOUNT_PAGE}?done={'identity-linked' if created else 'identity-already-linked'}", status_code=303
    )
