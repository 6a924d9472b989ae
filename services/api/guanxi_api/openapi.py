"""Shared OpenAPI response declarations, so every route documents the problems it can answer."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec

from guanxi_api.problems import Problem

_DESCRIPTIONS = {
    400: "The body is not valid JSON",
    401: "Not signed in, or the session has ended",
    402: "The workspace's plan: read-only until paid, a limit reached (plan-limit) or a feature it lacks",
    403: "Not allowed (or the CSRF check failed)",
    404: "Not found",
    409: "Conflict with existing data",
    410: "Gone: the file was deleted after its retention time",
    413: "The upload is larger than allowed",
    422: "Invalid fields; `errors` names each one",
    429: "Rate limited; see Retry-After",
    502: "A service this route relies on (e.g. Stripe) refused or answered badly",
    503: "A service this route needs is not configured or not reachable (e.g. billing)",
}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(Problem, description=_DESCRIPTIONS[status], media_type="application/problem+json")
        for status in statuses
    }
