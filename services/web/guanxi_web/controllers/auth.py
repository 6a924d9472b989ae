"""Sign-up, sign-in, sign-out and email confirmation: plain HTML forms that work without JavaScript."""

from __future__ import annotations

from typing import Any

import structlog
from guanxi.config import get_settings
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from guanxi_web import i18n
from guanxi_web.api_client import ApiCaller, ApiError, ApiUnavailable
from guanxi_web.forms import LOGIN_FIELDS, SIGNUP_FIELDS, Form, refusal_status
from guanxi_web.i18n import _
from guanxi_web.session import end_session, remember_locale, safe_next, session_token, start_session

log = structlog.get_logger("web.auth")


def login_form(form: Form, next_path: str, status_code: int = 200) -> Template:
    return Template(
        "auth/login.html", status_code=status_code, context={"form": form, "next": next_path, "title": _("Sign in")}
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
    async def login_page(self, request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Response[Any]:
        if session_token(request):
            return Redirect(safe_next(next))
        return login_form(Form(LOGIN_FIELDS), safe_next(next))

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
