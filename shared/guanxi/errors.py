"""Domain errors carry their HTTP status and a stable problem type (RFC 9457)."""

from __future__ import annotations

from dataclasses import dataclass, field

PROBLEM_BASE = "https://guanxi.example/problems/"


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    code: str = "invalid"


@dataclass
class DomainError(Exception):
    """Raised by services; one exception handler turns it into problem+json."""

    detail: str
    status: int = 400
    type: str = "bad-request"
    title: str = "Bad request"
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, str] = field(default_factory=dict)  # extra members of the problem document

    def __str__(self) -> str:
        return f"{self.type}: {self.detail}"

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.type


def validation_error(*errors: FieldError, detail: str | None = None) -> DomainError:
    return DomainError(
        detail=detail or "; ".join(f"{e.field}: {e.message}" for e in errors),
        status=422,
        type="validation-error",
        title="Your request has invalid fields",
        errors=list(errors),
    )


def conflict(field_name: str, message: str, type_: str) -> DomainError:
    return DomainError(
        detail=message, status=409, type=type_, title="Conflict", errors=[FieldError(field_name, message, type_)]
    )


def not_authenticated(detail: str = "Sign in to continue.") -> DomainError:
    return DomainError(detail=detail, status=401, type="not-authenticated", title="Not authenticated")


def forbidden(detail: str) -> DomainError:
    return DomainError(detail=detail, status=403, type="forbidden", title="Forbidden")


def not_found(what: str) -> DomainError:
    return DomainError(detail=f"{what} not found.", status=404, type="not-found", title="Not found")


def too_many_requests(detail: str, retry_after: int) -> DomainError:
    return DomainError(
        detail=detail,
        status=429,
        type="rate-limited",
        title="Too many requests",
        headers={"Retry-After": str(retry_after)},
    )
