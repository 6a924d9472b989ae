"""Every error leaves the API as RFC 9457 problem+json with a stable ``type``; never a stack trace."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import structlog
from guanxi.errors import PROBLEM_BASE, DomainError
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

log = structlog.get_logger("api")

PROBLEM_JSON = "application/problem+json"
TYPES = {
    400: ("bad-request", "Bad request"),
    401: ("not-authenticated", "Not authenticated"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation-error", "Your request has invalid fields"),
    429: ("rate-limited", "Too many requests"),
    500: ("internal-error", "Internal server error"),
}


class FieldProblem(msgspec.Struct):
    field: str
    message: str
    code: str


class Problem(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details; ``errors`` names each invalid field."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldProblem] = []
    mfa_token: str | None = None  # with type mfa-required: the ticket for POST /api/v1/auth/login/mfa
    limit: str | None = None  # with type plan-limit or api-quota: which of the plan's limits (records, seats…)


def problem_response(
    request: Request[Any, Any, Any], problem: Problem, headers: dict[str, str] | None = None
) -> Response[Problem]:
    problem.instance = request.url.path
    return Response(problem, status_code=problem.status, media_type=PROBLEM_JSON, headers=headers)


def handle_domain_error(request: Request[Any, Any, Any], error: DomainError) -> Response[Problem]:
    return problem_response(
        request,
        Problem(
            type=error.type_uri,
            title=error.title,
            status=error.status,
            detail=error.detail,
            errors=[FieldProblem(e.field, e.message, e.code) for e in error.errors],
            mfa_token=error.extensions.get("mfa_token"),
            limit=error.extensions.get("limit"),
        ),
        error.headers,
    )


_LOCATION = re.compile(r"at `\$\.?([^`]*)`")
_MISSING = re.compile(r"missing required field `([^`]+)`")
_UNKNOWN = re.compile(r"unknown field `([^`]+)`")


def _field_errors(error: ValidationException) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    for item in error.extra if isinstance(error.extra, list) else []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "is invalid"))
        field = str(item.get("key") or "")
        for pattern, code in ((_MISSING, "required"), (_UNKNOWN, "unknown_field"), (_LOCATION, "invalid")):
            if match := pattern.search(message):
                field = match.group(1) or field
                problems.append(FieldProblem(field or "body", _LOCATION.sub("", message).strip(" -"), code))
                break
        else:
            problems.append(FieldProblem(field or "body", message, "invalid"))
    # The whole body is called "data" by the framework; the client knows it as the body.
    return [FieldProblem("body" if p.field == "data" else p.field, p.message, p.code) for p in problems]


def _is_malformed_body(error: BaseException) -> bool:
    """The body could not be decoded at all (as opposed to decoded into the wrong shape)."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, msgspec.DecodeError) and not isinstance(cause, msgspec.ValidationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def handle_http_exception(request: Request[Any, Any, Any], error: HTTPException) -> Response[Problem]:
    status = error.status_code
    kind, title = TYPES.get(status, ("http-error", "Error"))
    detail = error.detail
    errors: list[FieldProblem] = []
    if status == 400 and _is_malformed_body(error):
        status, kind, title = 400, "malformed-body", "The body is not valid JSON"
        errors = [FieldProblem("body", "is not valid JSON", "malformed")]
    elif isinstance(error, ValidationException):
        errors = _field_errors(error)
        status, (kind, title) = 422, TYPES[422]
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or detail
    return problem_response(
        request,
        Problem(type=PROBLEM_BASE + kind, title=title, status=status, detail=detail, errors=errors),
        dict(error.headers or {}),
    )


def handle_unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Problem]:
    log.exception("http.unhandled_error", error_type=type(error).__name__)
    kind, title = TYPES[500]
    return problem_response(
        request,
        Problem(
            type=PROBLEM_BASE + kind,
            title=title,
            status=HTTP_500_INTERNAL_SERVER_ERROR,
            detail="Something went wrong on our side. It has been logged.",
        ),
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: handle_domain_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
