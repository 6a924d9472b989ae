"""The web app in-process, with the JSON API replaced at the HTTP boundary by an in-memory fake."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from guanxi.config import Settings
from guanxi.domain.identity.validation import check_timezone
from guanxi_tenants.defaults import TIMEZONE
from guanxi_web.app import CSRF_COOKIE, create_app
from guanxi_web.session import SESSION_COOKIE
from litestar.testing import TestClient

PROBLEMS = "https://guanxi.example/problems/"
TOKEN = "gxs_test-session-token"
PASSWORD = "correct horse battery staple"


def problem(
    status: int,
    kind: str,
    detail: str = "",
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = {"type": PROBLEMS + kind, "title": kind, "status": status, "detail": detail or kind, "errors": errors or []}
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json", **(headers or {})})


@dataclass
class FakeApi:
    """Just enough of the JSON API, with a record of every request the web app sent it."""

    user: dict[str, Any] = field(
        default_factory=lambda: {
            "id": str(uuid.uuid4()),
            "email": "zhang.wei@example.com",
            "name": "张伟",
            "locale": "en",
            "email_verified": False,
            "has_password": True,
        }
    )
    workspaces: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {
                "id": str(uuid.uuid4()),
                "name": "上海华强电子有限公司",
                "role": "owner",
                "locale": "zh-Hans",
                "status": "active",
            },
            {"id": str(uuid.uuid4()), "name": "Acme Trading", "role": "member", "locale": "en", "status": "active"},
        ]
    )
    current: int = 0
    tokens: set[str] = field(default_factory=lambda: {TOKEN})
    requests: list[httpx.Request] = field(default_factory=list)
    overrides: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response]] = field(default_factory=dict)
    healthy: bool = True

    def override(self, method: str, path: str, response: httpx.Response) -> None:
        self.overrides[(method, path)] = lambda _request: response

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, request.url.path)
        if key in self.overrides:
            return self.overrides[key](request)
        if key == ("GET", "/health"):
            if not self.healthy:
                raise httpx.ConnectError("connection refused", request=request)
            return httpx.Response(200, json={"status": "ok"})
        if key == ("POST", "/api/v1/signup"):
            return self._signup(json.loads(request.content))
        if key == ("POST", "/api/v1/auth/login"):
            body = json.loads(request.content)
            if body["email"] == self.user["email"] and body["password"] == PASSWORD:
                return httpx.Response(200, json=self._session())
            return problem(401, "invalid-credentials", "Email or password is incorrect.")
        if key == ("POST", "/api/v1/auth/verify-email"):
            if json.loads(request.content)["token"] == "good-token":
                self.user["email_verified"] = True
                return httpx.Response(200, json=self.user)
            return problem(
                422,
                "validation-error",
                errors=[{"field": "token", "message": "is invalid or has expired", "code": "invalid_token"}],
            )
        if self._bearer(request) not in self.tokens:
            return problem(401, "not-authenticated", "Sign in to continue.")
        return self._signed_in(request)

    def _signed_in(self, request: httpx.Request) -> httpx.Response:
        key = (request.method, request.url.path)
        if key == ("POST", "/api/v1/auth/logout"):
            self.tokens.discard(self._bearer(request))
            return httpx.Response(204)
        if key == ("GET", "/api/v1/me"):
            return httpx.Response(
                200,
                json={
                    "user": self.user,
                    "workspace": self.workspaces[self.current],
                    "workspaces": self.workspaces,
                    "csrf_token": "api-csrf",
                    "timezone": self.user.get("timezone")
                    or TIMEZONE.get(self.workspaces[self.current]["locale"] if self.workspaces else "en", "UTC"),
                },
            )
        if key == ("PATCH", "/api/v1/me"):
            body = json.loads(request.content)
            if isinstance(body.get("timezone"), str) and (error := check_timezone(body["timezone"])):
                return problem(
                    422,
                    "validation-error",
                    errors=[{"field": error.field, "message": error.message, "code": error.code}],
                )
            self.user.update(body)
            return httpx.Response(200, json=self.user)
        if key == ("GET", "/api/v1/pipeline"):
            return httpx.Response(200, json=PIPELINE)
        if key == ("POST", "/api/v1/workspaces/switch"):
            wanted = json.loads(request.content)["workspace_id"]
            ids = [w["id"] for w in self.workspaces]
            if wanted not in ids:
                return problem(403, "forbidden", "You are not a member of that workspace.")
            self.current = ids.index(wanted)
            return httpx.Response(200, json=self.workspaces[self.current])
        if key == ("POST", "/api/v1/workspaces"):
            body = json.loads(request.content)
            self.workspaces.append(
                {
                    "id": str(uuid.uuid4()),
                    "name": body["name"],
                    "role": "owner",
                    "locale": body["locale"],
                    "status": "active",
                }
            )
            self.current = len(self.workspaces) - 1
            return httpx.Response(201, json=self.workspaces[-1])
        return problem(404, "not-found")

    def _signup(self, body: dict[str, Any]) -> httpx.Response:
        self.user = {
            "id": str(uuid.uuid4()),
            "email": body["email"],
            "name": body["name"],
            "locale": body["locale"],
            "email_verified": False,
        }
        self.workspaces = [
            {
                "id": str(uuid.uuid4()),
                "name": body["company_name"],
                "role": "owner",
                "locale": body["locale"],
                "status": "active",
            }
        ]
        self.current = 0
        return httpx.Response(201, json=self._session())

    def _session(self) -> dict[str, Any]:
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=14)
        return {
            "token": TOKEN,
            "csrf_token": "api-csrf",
            "expires_at": expires.isoformat(),
            "user": self.user,
            "workspace": self.workspaces[self.current],
        }

    @staticmethod
    def _bearer(request: httpx.Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return token if scheme == "Bearer" else ""


PIPELINE = {
    "id": str(uuid.uuid4()),
    "name": "销售流程",
    "stages": [
        {
            "id": str(uuid.uuid4()),
            "key": key,
            "name": name,
            "position": position,
            "probability": probability,
            "outcome": outcome,
        }
        for position, (key, name, probability, outcome) in enumerate(
            [
                ("qualify", "初步接洽", "10", "open"),
                ("needs", "需求确认", "30", "open"),
                ("proposal", "方案报价", "50", "open"),
                ("negotiation", "谈判审核", "75", "open"),
                ("won", "赢单", "100", "won"),
                ("lost", "输单", "0", "lost"),
            ]
        )
    ],
}


# Fixtures are named with ``name=`` so that test modules can import them (the suite also runs with
# ``--noconftest``) without the import and the test's argument sharing one name.


@pytest.fixture(name="fake_api")
def fake_api_fixture() -> FakeApi:
    return FakeApi()


@pytest.fixture(name="web")
def web_fixture(fake_api: FakeApi) -> Iterator[TestClient[Any]]:
    settings = Settings(GUANXI_API_URL="http://api.test", GUANXI_PUBLIC_URL="http://testserver.local")
    app = create_app(api_transport=httpx.MockTransport(fake_api), settings=settings)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(name="signed_in")
def signed_in_fixture(web: TestClient[Any]) -> TestClient[Any]:
    web.cookies.set(SESSION_COOKIE, TOKEN, domain="testserver.local")
    return web


def csrf(client: TestClient[Any]) -> str:
    """The token a page would have put in its hidden field (a first GET sets the cookie)."""
    if CSRF_COOKIE not in client.cookies:
        client.get("/login")
    return client.cookies[CSRF_COOKIE]


def post_form(
    client: TestClient[Any], url: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    return client.post(url, data={**(data or {}), "_csrf_token": csrf(client)}, headers=headers, follow_redirects=False)
