"""Sign-up, sign-in, sign-out and email confirmation: plain HTML forms that work without JavaScript."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import structlog
from guanxi.config import get_settings
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from guanxi_web import i18n
from guanxi_web.api_client import ApiCaller, ApiError, ApiUnavailable
from guanxi_web.forms import (
    LOGIN_CODE_FIELDS,
    LOGIN_FIELDS,
    RESET_FIELDS,
    RESET_REQUEST_FIELDS,
    SIGNUP_FIELDS,
    Form,
    one_time_code,
    refusal_status,
    refuse_code,
)
from guanxi_web.i18n import _
from guanxi_web.session import (
    end_session,
    forget_mfa_ticket,
    keep_mfa_ticket,
    mfa_ticket,
    remember_locale,
    safe_next,
    session_token,
    start_session,
)

log = structlog.get_logger("web.auth")


def login_form(form: Form, next_path: str, status_code: int = 200, *, notice: str | None = None) -> Template:
    return Template(
        "auth/login.html",
        status_code=status_code,
        context={"form": form, "next": next_path, "title": _("Sign in"), "notice": notice},
    )


def code_form(form: Form, next_path: str, status_code: int = 200) -> Template:
    return Template(
        "auth/login_code.html",
        status_code=status_code,
        context={"form": form, "next": next_path, "title": _("Enter your authentication code")},
    )


def with_next(path: str, next_path: str, **query: str) -> str:
    """``path`` with the way on kept in its query (left out when it is the default, ``/home``)."""
    params = {**query, **({"next": next_path} if next_path != "/home" else {})}
    return path + ("?" + urlencode(params) if params else "")


def ask_for_code(ticket: str, next_path: str) -> Redirect:
    """The password (or the provider) was right and the person has two-factor sign-in on: the API's
    ticket stays in this browser, out of reach of scripts, while the code page asks for the code."""
    response = Redirect(with_next("/login/code", next_path), status_code=303)
    keep_mfa_ticket(response, ticket, secure=get_settings().secure_cookies)
    return response


def sign_in_again(next_path: str) -> Redirect:
    """The ticket is gone or the API no longer honours it: back to the password, with the reason."""
    response = Redirect(with_next("/login", next_path, expired="code"), status_code=303)
    forget_mfa_ticket(response)
    return response


def reset_request_form(form: Form, status_code: int = 200, *, sent: bool = False) -> Template:
    return Template(
        "auth/password_reset.html",
        status_code=status_code,
        context={"form": form, "sent": sent, "title": _("Reset your password")},
    )


def new_password_form(form: Form, token: str, status_code: int = 200, *, link_invalid: bool = False) -> Template:
    title = _("Link not valid") if link_invalid else _("Choose a new password")
    return Template(
        "auth/new_password.html",
        status_code=status_code,
        context={"form": form, "token": token, "link_invalid": link_invalid, "title": title},
    )


def signup_form(form: Form, status_code: int = 200) -> Template:
    return Template(
        "auth/signup.html", status_code=status_code, context={"form": form, "title": _("Create your workspace")}
    )


class AuthController(Controller):
    tags = ["auth"]

    @get("/")
    async def root(self, request: Request[Any, Any, Any]) -> Redirect:
        return Redirect("/home" if session_token(request) else "/login")

    @get("/login")
    async def login_page(
        self,
        request: Request[Any, Any, Any],
        next: FromQuery[str | None] = None,
        reset: FromQuery[str] = "",
        expired: FromQuery[str] = "",
    ) -> Response[Any]:
        if session_token(request):
            return Redirect(safe_next(next))
        notice = _("Your password is changed. Sign in with the new one.") if reset == "done" else None
        form = Form(LOGIN_FIELDS)
        if expired == "code":
            form.summary.append(_("Your sign-in took too long. Please enter your email and password again."))
        return login_form(form, safe_next(next), notice=notice)

    @post("/login")
    async def login(self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller]) -> Response[Any]:
        data = await request.form()
        next_path = safe_next(str(data.get("next") or ""))
        form, submitted = Form.read(LOGIN_FIELDS, data)
        form.require(submitted, "email", "password")
        if form.invalid:
            return login_form(form, next_path, 422)
        try:
            session = await api.login(email=submitted["email"].strip(), password=submitted["password"])
        except ApiError as error:
            if ticket := error.mfa_ticket:
                log.info("login.code_needed")
                return ask_for_code(ticket, next_path)
            log.info("login.refused", status=error.status, kind=error.kind)
            form.refuse(error)
            return login_form(form, next_path, refusal_status(error))
        except ApiUnavailable:
            form.unavailable()
            return login_form(form, next_path, 503)
        log.info("login.succeeded", user_id=str(session.user.id))
        response = Redirect(next_path, status_code=303)
        start_session(response, session, secure=get_settings().secure_cookies)
        return response

    @get("/login/code")
    async def code_page(self, request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Response[Any]:
        next_path = safe_next(next)
        if session_token(request):
            return Redirect(next_path)
        if not mfa_ticket(request):
            return sign_in_again(next_path)
        return code_form(Form(LOGIN_CODE_FIELDS), next_path)

    @post("/login/code")
    async def login_with_code(self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller]) -> Response[Any]:
        data = await request.form()
        next_path = safe_next(str(data.get("next") or ""))
        ticket = mfa_ticket(request)
        if not ticket:
            return sign_in_again(next_path)
        form, submitted = Form.read(LOGIN_CODE_FIELDS, data)
        form.require(submitted, "code")
        if form.invalid:
            return code_form(form, next_path, 422)
        try:
            session = await api.login_with_code(mfa_token=ticket, code=one_time_code(submitted["code"]))
        except ApiError as error:
            log.info("login.code_refused", status=error.status, fields=[p.field for p in error.field_errors])
            if any(problem.field == "mfa_token" for problem in error.field_errors):
                return sign_in_again(next_path)
            form.values.pop("code", None)  # a wrong code is typed again, not edited
            refuse_code(form, error)
            return code_form(form, next_path, refusal_status(error))
        except ApiUnavailable:
            form.unavailable()
            return code_form(form, next_path, 503)
        log.info("login.succeeded", user_id=str(session.user.id), second_factor=True)
        response = Redirect(next_path, status_code=303)
        start_session(response, session, secure=get_settings().secure_cookies)
        forget_mfa_ticket(response)
        return response

    @get("/signup")
    async def signup_page(self) -> Template:
        return signup_form(Form(SIGNUP_FIELDS, values={"locale": i18n.current_locale()}))

    @post("/signup")
    async def signup(self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller]) -> Response[Any]:
        form, submitted = Form.read(SIGNUP_FIELDS, await request.form())
        form.keep_supported_locale(submitted)
        try:
            session = await api.signup(
                company_name=submitted["company_name"],
                name=submitted["name"],
                email=submitted["email"].strip(),
                password=submitted["password"],
                locale=submitted["locale"],
            )
        except ApiError as error:
            log.info(
                "signup.refused",
                status=error.status,
                kind=error.kind,
                fields=[problem.field for problem in error.field_errors],
            )
            form.refuse(error)
            return signup_form(form, refusal_status(error))
        except ApiUnavailable:
            form.unavailable()
            return signup_form(form, 503)
        log.info("signup.completed", user_id=str(session.user.id))
        secure = get_settings().secure_cookies
        response = Redirect("/home", status_code=303)
        start_session(response, session, secure=secure)
        # The language picked on the form is the one the new user reads from now on.
        remember_locale(response, submitted["locale"], secure=secure)
        return response

    @post("/logout")
    async def logout(self, api: NamedDependency[ApiCaller]) -> Redirect:
        if api.signed_in:
            try:
                await api.logout()
            except (ApiError, ApiUnavailable) as error:
                # The browser forgets the session either way; the API's copy expires on its own.
                log.info("logout.api_failed", error=str(error))
        response = Redirect("/login", status_code=303)
        end_session(response)
        return response

    @get("/verify")
    async def verify(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], token: FromQuery[str] = ""
    ) -> Template:
        context: dict[str, Any] = {
            "verified": False,
            "signed_in": session_token(request) is not None,
            "title": _("Link not valid"),
        }
        if token:
            try:
                user = await api.verify_email(token)
            except ApiError as error:
                if error.status >= 500:
                    raise
            else:
                log.info("email.verified", user_id=str(user.id))
                context.update(verified=True, email=user.email, title=_("Email confirmed"))
                return Template("auth/verify.html", context=context)
        return Template("auth/verify.html", status_code=400, context=context)

    @get("/password-reset")
    async def password_reset_page(self, token: FromQuery[str] = "") -> Template:
        """Without a token: ask for the address. With one (the link in the mail): ask for the new password."""
        if token:
            return new_password_form(Form(RESET_FIELDS), token)
        return reset_request_form(Form(RESET_REQUEST_FIELDS))

    @post("/password-reset")
    async def request_password_reset(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller]
    ) -> Template:
        form, submitted = Form.read(RESET_REQUEST_FIELDS, await request.form())
        form.require(submitted, "email")
        if form.invalid:
            return reset_request_form(form, 422)
        try:
            await api.request_password_reset(submitted["email"].strip())
        except ApiError as error:
            form.refuse(error)
            return reset_request_form(form, refusal_status(error))
        except ApiUnavailable:
            form.unavailable()
            return reset_request_form(form, 503)
        # The same answer whether or not the address has an account: the page must not tell.
        return reset_request_form(form, sent=True)

    @post("/password-reset/confirm")
    async def confirm_password_reset(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller]
    ) -> Response[Any]:
        data = await request.form()
        token = str(data.get("token") or "")
        form, submitted = Form.read(RESET_FIELDS, data)
        form.require(submitted, "password")
        if form.invalid:
            return new_password_form(form, token, 422)
        try:
            user = await api.reset_password(token=token, password=submitted["password"])
        except ApiError as error:
            if error.status == 404 or any(problem.field == "token" for problem in error.field_errors):
                return new_password_form(form, token, 400, link_invalid=True)
            form.refuse(error)
            return new_password_form(form, token, refusal_status(error))
        except ApiUnavailable:
            form.unavailable()
            return new_password_form(form, token, 503)
        log.info("password.reset", user_id=str(user.id))
        # The API ended every session of this account, this browser's included.
        response = Redirect("/login?reset=done", status_code=303)
        end_session(response)
        return response
