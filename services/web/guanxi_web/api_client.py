"""The web service's only way to data: the JSON API, over one httpx client per application.

Problem responses (RFC 9457) become :class:`ApiError`, carrying the API's field errors so a form can
show each one under its field. A network failure becomes :class:`ApiUnavailable`.
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import msgspec
import structlog

# The API's own response shapes (shared code), so the two services cannot drift apart.
from guanxi.domain.identity.oauth_schemas import OAuthStartOut as OAuthStart
from guanxi.domain.identity.schemas import MeOut as Me
from guanxi.domain.identity.schemas import SessionOut as Session
from guanxi.domain.identity.schemas import UserOut as User
from guanxi.domain.identity.schemas import WorkspaceOut as Workspace
from guanxi.domain.pipeline.schemas import PipelineOut as Pipeline

__all__ = [
    "ApiCaller",
    "ApiClient",
    "ApiError",
    "ApiUnavailable",
    "FieldProblem",
    "Me",
    "OAuthStart",
    "Pipeline",
    "Problem",
    "Session",
    "User",
    "Workspace",
]

log = structlog.get_logger("web.api")

T = TypeVar("T")


class FieldProblem(msgspec.Struct):
    field: str
    message: str
    code: str = "invalid"


class Problem(msgspec.Struct):
    type: str = "about:blank"
    title: str = ""
    status: int = 500
    detail: str = ""
    errors: list[FieldProblem] = []


class ApiError(Exception):
    """The API answered with a problem; ``kind`` is the last part of its ``type`` URI."""

    def __init__(self, problem: Problem, retry_after: int | None = None) -> None:
        super().__init__(f"{problem.status} {problem.type}: {problem.detail}")
        self.problem = problem
        self.retry_after = retry_after

    @property
    def status(self) -> int:
        return self.problem.status

    @property
    def kind(self) -> str:
        return self.problem.type.rstrip("/").rsplit("/", 1)[-1]

    @property
    def field_errors(self) -> list[FieldProblem]:
        return self.problem.errors


class ApiUnavailable(Exception):
    """The API could not be reached, or did not answer in time."""


class ApiClient:
    """Owns the application's one ``httpx.AsyncClient``: opened on startup, closed on shutdown."""

    def __init__(self, base_url: str, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._base_url = base_url.rstrip("/")
        self._transport = transport
        self._http: httpx.AsyncClient | None = None

    async def open(self) -> None:
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            transport=self._transport,
            timeout=httpx.Timeout(10.0, connect=3.0),
            headers={"Accept": "application/json"},
        )

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            raise RuntimeError("the API client is used before application startup")
        return self._http

    def caller(self, *, token: str | None, client_ip: str | None, request_id: str | None, locale: str) -> ApiCaller:
        headers = {"Accept-Language": locale}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if client_ip:
            headers["X-Forwarded-For"] = client_ip
        if request_id:
            headers["X-Request-ID"] = request_id
        return ApiCaller(self.http, headers)

    async def healthy(self) -> bool:
        try:
            response = await self.http.get("/health", timeout=3.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200


class ApiCaller:
    """The API as seen by one browser request: its session token, IP, request id and language."""

    def __init__(self, http: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self._http = http
        self._headers = headers

    @property
    def signed_in(self) -> bool:
        return "Authorization" in self._headers

    async def signup(self, *, company_name: str, name: str, email: str, password: str, locale: str) -> Session:
        body = {"company_name": company_name, "name": name, "email": email, "password": password, "locale": locale}
        return await self._call("POST", "/api/v1/signup", Session, json=body)

    async def login(self, *, email: str, password: str) -> Session:
        return await self._call("POST", "/api/v1/auth/login", Session, json={"email": email, "password": password})

    async def oauth_start(
        self, provider: str, *, intent: str, redirect_uri: str, company_name: str | None, locale: str
    ) -> OAuthStart:
        body = {"intent": intent, "redirect_uri": redirect_uri, "company_name": company_name, "locale": locale}
        return await self._call("POST", f"/api/v1/auth/oauth/{quote(provider, safe='')}/start", OAuthStart, json=body)

    async def oauth_callback(self, provider: str, *, state: str, code: str) -> Session:
        body = {"state": state, "code": code}
        return await self._call("POST", f"/api/v1/auth/oauth/{quote(provider, safe='')}/callback", Session, json=body)

    async def logout(self) -> None:
        await self._call("POST", "/api/v1/auth/logout", None)

    async def verify_email(self, token: str) -> User:
        return await self._call("POST", "/api/v1/auth/verify-email", User, json={"token": token})

    async def me(self) -> Me:
        return await self._call("GET", "/api/v1/me", Me)

    async def update_me(self, *, locale: str) -> User:
        return await self._call("PATCH", "/api/v1/me", User, json={"locale": locale})

    async def create_workspace(self, *, name: str, locale: str) -> Workspace:
        return await self._call("POST", "/api/v1/workspaces", Workspace, json={"name": name, "locale": locale})

    async def switch_workspace(self, workspace_id: str) -> Workspace:
        return await self._call("POST", "/api/v1/workspaces/switch", Workspace, json={"workspace_id": workspace_id})

    async def pipeline(self) -> Pipeline:
        return await self._call("GET", "/api/v1/pipeline", Pipeline)

    async def _call(self, method: str, path: str, into: type[T] | None, *, json: Any = None) -> T:
        try:
            response = await self._http.request(method, path, json=json, headers=self._headers)
        except httpx.HTTPError as error:
            log.warning("api.unreachable", method=method, path=path, error=type(error).__name__)
            raise ApiUnavailable(str(error)) from error
        if response.is_error:
            raise _problem_of(response)
        if into is None:
            return None  # type: ignore[return-value]
        return msgspec.json.decode(response.content, type=into)


def _problem_of(response: httpx.Response) -> ApiError:
    try:
        problem = msgspec.json.decode(response.content, type=Problem)
    except msgspec.DecodeError:
        problem = Problem(title=response.reason_phrase, detail=response.text[:200])
    problem.status = response.status_code
    retry_after = response.headers.get("Retry-After", "")
    if response.status_code >= 500:
        log.warning("api.failed", path=response.request.url.path, status=response.status_code)
    return ApiError(problem, int(retry_after) if retry_after.isdigit() else None)
