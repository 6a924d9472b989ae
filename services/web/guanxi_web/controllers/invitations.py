"""The invitation link from the mail: who invites whom into which workspace, and joining it.

Three ways in: signed in (an Accept button), signed out with an account (sign in first, then back here),
or signed out without one (name and password create the account). The link's token is the secret.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import structlog
from guanxi.config import get_settings
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from guanxi_web.api_client import ApiCaller, ApiError, ApiUnavailable, InvitationPreview
from guanxi_web.forms import ACCEPT_FIELDS, Form, refusal_status
from guanxi_web.i18n import _
from guanxi_web.session import end_session, session_token, start_session

log = structlog.get_logger("web.invitations")

ACCEPT_PATH = "/invitations/accept"


def link_to(token: str) -> str:
    return f"{ACCEPT_PATH}?{urlencode({'token': token})}"


def sign_in_first(token: str) -> str:
    return "/login?" + urlencode({"next": link_to(token)})


def invalid_link(status_code: int = 404) -> Template:
    return Template("invitations/invalid.html", status_code=status_code, context={"title": _("Invitation not valid")})


def accept_page(
    request: Request[Any, Any, Any],
    token: str,
    invitation: InvitationPreview,
    form: Form,
    status_code: int = 200,
    *,
    wrong_account: bool = False,
) -> Template:
    return Template(
        "invitations/accept.html",
        status_code=status_code,
        context={
            "title": _("Join %(workspace)s") % {"workspace": invitation.workspace_name},
            "token": token,
            "invitation": invitation,
            "form": form,
            "signed_in": session_token(request) is not None,
            "sign_in_href": sign_in_first(token),
            "wrong_account": wrong_account,
        },
    )


async def preview(api: ApiCaller, token: str) -> InvitationPreview | None:
    """What the link offers, or None when it is unknown, revoked, used or expired."""
    if not token:
        return None
    try:
        return await api.invitation(token)
    except ApiError as error:
        if error.status >= 500:
            raise
        log.info("invitation.link_invalid", status=error.status, kind=error.kind)
        return None


class InvitationController(Controller):
    tags = ["invitations"]

    @get(ACCEPT_PATH)
    async def show(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], token: FromQuery[str] = ""
    ) -> Template:
        invitation = await preview(api, token)
        if invitation is None:
            return invalid_link()
        return accept_page(request, token, invitation, Form(ACCEPT_FIELDS))

    @post(ACCEPT_PATH)
    async def accept(self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller]) -> Response[Any]:
        data = await request.form()
        token = str(data.get("token") or "")
        invitation = await preview(api, token)
        if invitation is None:
            return invalid_link()
        form, submitted = Form.read(ACCEPT_FIELDS, data)
        signed_in = api.signed_in
        if not signed_in and not invitation.account_exists:
            form.require(submitted, "name", "password")
            if form.invalid:
                return accept_page(request, token, invitation, form, 422)
        try:
            session = await api.accept_invitation(
                token=token,
                name=None if signed_in else submitted["name"].strip(),
                password=None if signed_in else submitted["password"],
            )
        except ApiError as error:
            log.info("invitation.accept_refused", status=error.status, kind=error.kind)
            if error.status == 401:
                # A session the API no longer honours: forget it and show the link as to a visitor.
                response = Redirect(link_to(token), status_code=303)
                end_session(response)
                return response
            if error.status == 409 or error.kind == "sign-in-required":
                return Redirect(sign_in_first(token), status_code=303)
            if error.status == 403:
                return accept_page(request, token, invitation, form, 403, wrong_account=True)
            if error.status == 404:
                return invalid_link()
            form.refuse(error)
            return accept_page(request, token, invitation, form, refusal_status(error))
        except ApiUnavailable:
            form.unavailable()
            return accept_page(request, token, invitation, form, 503)
        log.info("invitation.accepted", user_id=str(session.user.id))
        response = Redirect("/home", status_code=303)
        start_session(response, session, secure=get_settings().secure_cookies)
        return response
