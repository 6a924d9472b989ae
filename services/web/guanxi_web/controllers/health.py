"""Liveness and readiness for the operator's probes (no CSRF, no request log)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get

from guanxi_web.api_client import ApiClient


class HealthOut(msgspec.Struct):
    status: str
    checks: dict[str, bool] = {}


class HealthController(Controller):
    tags = ["operations"]

    @get("/health")
    async def health(self) -> HealthOut:
        return HealthOut(status="ok")

    @get("/ready")
    async def ready(self, request: Request[Any, Any, Any]) -> Response[HealthOut]:
        client: ApiClient = request.app.state.api
        api_ok = await client.healthy()
        return Response(
            HealthOut(status="ok" if api_ok else "unavailable", checks={"api": api_ok}),
            status_code=200 if api_ok else 503,
        )
