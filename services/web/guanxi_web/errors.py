"""What the browser sees when something fails: a sign-in redirect, or a friendly page in its language."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template

from guanxi_web import i18n
from guanxi_web.api_client import ApiError, ApiUnavailable
from guanxi_web.dependencies import NotSignedIn
from guanxi_web.i18n import N_, _
from guanxi_web.middleware import activate_request_locale
from guanxi_web.session import current_path, end_session, is_htmx

log = structlog.get_logger("web")
_FILE_UPLOAD = re.compile(r"(/(?:accounts|contacts)/[0-9a-f-]{36})/files")


def to_sign_in(request: Request[Any, Any, Any], *, ended: bool) -> Response[Any]:
    """Back to the sign-in page, remembering where the user was going; a session the API refused is dropped."""
    target = "/login"
    if request.method == "GET":
        target += "?" + urlencode({"next": current_path(request)})
    response: Response[Any]
    if is_htmx(request):
        response = Response(content=b"", status_code=200, headers={"HX-Redirect": target})
    else:
        response = Redirect(target, status_code=303)
    if ended:
        end_session(response)
    return response


def error_page(request: Request[Any, Any, Any], status: int, title: str, message: str) -> Template:
    """A full page for a plain request; for HTMX, the same card swapped into the main area.

    ``title`` and ``message`` are msgids: they are translated here, once the language is known.
    """
    if not i18n.chosen():
        activate_request_locale(request.scope, request.app.state.catalogs)
    context = {"title": _(title), "message": _(message), "status": status}
    if is_htmx(request):
        return Template(
            "errors/_error.html",
            status_code=status,
            context=context,
            headers={"HX-Retarget": "#main", "HX-Reswap": "innerHTML"},
        )
    return Template("errors/page.html", status_code=status, context=context)


def handle_not_signed_in(request: Request[Any, Any, Any], _error: NotSignedIn) -> Response[Any]:
    return to_sign_in(request, ended=False)


def handle_api_error(request: Request[Any, Any, Any], error: ApiError) -> Response[Any]:
    if error.status == 401:
        log.info("session.ended_by_api")
        return to_sign_in(request, ended=True)
    if error.status == 403:
        return error_page(request, 403, N_("Not allowed"), N_("You do not have access to this."))
    if error.status == 404:
        return not_found(request)
    if error.status == 402 and error.kind == "plan-limit":
        return error_page(
            request, 402, N_("Plan limit reached"),
            N_("The workspace has what its plan holds (records, files, scheduled reports or seats). Nothing is "
               "taken away; the owner can move to a larger plan on the billing page, or remove what is no longer "
               "needed."),
        )  # fmt: skip
    if error.status == 402:  # the workspace's plan: read-only, a feature it does not include
        return error_page(
            request, 402, N_("Not in your plan"),
            N_("The workspace's plan does not allow this (or the workspace is read-only until it is paid). "
               "The owner can change the plan on the billing page, under Settings."),
        )  # fmt: skip
    if error.status < 500:
        return did_not_work(request, error.status)
    return unavailable(request)


def did_not_work(request: Request[Any, Any, Any], status: int) -> Template:
    return error_page(
        request, status, N_("That did not work"), N_("The request could not be completed. Go back and try again.")
    )


def handle_api_unavailable(request: Request[Any, Any, Any], _error: ApiUnavailable) -> Response[Any]:
    return unavailable(request)


def unavailable(request: Request[Any, Any, Any]) -> Template:
    return error_page(
        request,
        503,
        N_("Temporarily unavailable"),
        N_("Guanxi cannot reach its data service right now. Please try again in a moment."),
    )


def not_found(request: Request[Any, Any, Any]) -> Template:
    return error_page(
        request, 404, N_("Page not found"), N_("The page you are looking for does not exist or has moved.")
    )


def handle_http_exception(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    status = error.status_code
    if status == 404:
        return not_found(request)
    if status == 403 and "CSRF" in str(error.detail):
        log.info("csrf.refused", path=request.url.path)
        return error_page(
            request,
            403,
            N_("This form has expired"),
            N_("For your security, reload the page and submit the form again."),
        )
    if status == 413 and (upload := _FILE_UPLOAD.fullmatch(request.url.path)):
        # A file far over the limit is cut off before its handler: say so on the record's page.
        return Redirect(f"{upload.group(1)}?file_error=too-large#files", status_code=303)
    if status < 500:
        return did_not_work(request, status)
    return handle_unexpected(request, error)


def handle_unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    log.exception("http.unhandled_error", error_type=type(error).__name__)
    return error_page(
        request,
        500,
        N_("Something went wrong"),
        N_("An unexpected error occurred. It has been logged and we will look into it."),
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    NotSignedIn: handle_not_signed_in,
    ApiError: handle_api_error,
    ApiUnavailable: handle_api_unavailable,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
