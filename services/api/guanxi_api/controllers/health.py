from __future__ import annotations

import msgspec
from guanxi.health import readiness
from litestar import Controller, Response, get


class HealthOut(msgspec.Struct):
    status: str
    checks: dict[str, bool] = {}


class HealthController(Controller):
    tags = ["operations"]
    include_in_schema = True

    @get("/health", summary="Liveness: the process answers")
    async def health(self) -> HealthOut:
        return HealthOut(status="ok")

    @get("/ready", summary="Readiness: database and Redis reachable")
    async def ready(self) -> Response[HealthOut]:
        checks = await readiness()
        ok = all(checks.values())
        return Response(HealthOut(status="ok" if ok else "unavailable", checks=checks), status_code=200 if ok else 503)
