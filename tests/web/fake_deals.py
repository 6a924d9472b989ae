"""The API's pipelines and loss reasons in memory, validating like ``guanxi.domain.deals.service``.

Only administrators change them (403 ``forbidden`` otherwise); a pipeline needs 3 to 30 stages with exactly one
won and one lost stage and at least one open one, each named, with a probability from 0 to 100 (two decimals at
most); a kept stage must be one of the pipeline's; a removed stage that still holds deals is a 409
``stage-in-use``. Errors name their field like the API: ``name``, ``stages``, ``stages[2].name``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from tests.web.conftest import FakeApi, problem

MAX_STAGES = 30


def stage(name: str, probability: str, outcome: str = "open", position: int = 1) -> dict[str, Any]:
    key = "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in name.lower()).strip("_") or "stage"
    return {
        "id": str(uuid.uuid4()),
        "key": key,
        "name": name,
        "position": position,
        "probability": probability,
        "outcome": outcome,
    }


def new_pipeline(name: str, stages: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "name": name,
        "stages": [stage(n, p, o, position) for position, (n, p, o) in enumerate(stages, start=1)],
    }


@dataclass
class FakeDeals:
    api: FakeApi
    pipelines: list[dict[str, Any]] = field(default_factory=list)
    default_id: str = ""
    reasons: list[dict[str, Any]] = field(default_factory=list)
    # stage id -> how many deals are in it
    deals_in: dict[str, int] = field(default_factory=dict)
    is_admin: bool = True

    def __post_init__(self) -> None:
        self.pipelines.append(
            new_pipeline(
                "销售流程",
                [
                    ("初步接触", "10", "open"),
                    ("需求确认", "30", "open"),
                    ("方案报价", "60", "open"),
                    ("赢单", "100", "won"),
                    ("输单", "0", "lost"),
                ],
            )
        )
        self.default_id = self.pipelines[0]["id"]
        for position, name in enumerate(("价格太高", "选择了竞争对手")):
            self.reasons.append({"id": str(uuid.uuid4()), "name": name, "active": True, "position": position})
        original = self.api._signed_in
        self.api._signed_in = lambda request: self.signed_in(request) or original(request)  # type: ignore[method-assign]

    @property
    def default(self) -> dict[str, Any]:
        return next(p for p in self.pipelines if p["id"] == self.default_id)

    def signed_in(self, request: httpx.Request) -> httpx.Response | None:
        if (request.method, request.url.path) == ("GET", "/api/v1/pipeline"):
            return httpx.Response(200, json=self.default)
        parts = request.url.path.strip("/").split("/")  # api, v1, pipelines|loss-reasons, <id>
        if parts[2:3] == ["pipelines"] and len(parts) <= 4:
            return self._pipelines(request, parts[3] if len(parts) == 4 else None)
        if parts[2:3] == ["loss-reasons"] and len(parts) <= 4:
            return self._reasons(request, parts[3] if len(parts) == 4 else None)
        return None

    # ---- pipelines

    def _pipelines(self, request: httpx.Request, pipeline_id: str | None) -> httpx.Response:
        if request.method == "GET" and pipeline_id is None:
            return httpx.Response(200, json=self.pipelines)
        if request.method not in ("POST", "PUT") or (request.method == "PUT") != (pipeline_id is not None):
            return problem(405, "method-not-allowed")
        if not self.is_admin:
            return problem(403, "forbidden", "Only workspace administrators may change pipelines.")
        found = None
        if pipeline_id is not None:
            found = next((p for p in self.pipelines if p["id"] == pipeline_id), None)
            if found is None:
                return problem(404, "not-found", "Pipeline not found.")
        body = json.loads(request.content)
        errors = self._check(body)
        if errors:
            return problem(422, "validation-error", "The request is invalid.", errors)
        existing = {s["id"]: s for s in (found["stages"] if found else [])}
        for index, given in enumerate(body["stages"]):
            if given.get("id") and given["id"] not in existing:
                return problem(
                    422,
                    "validation-error",
                    errors=[
                        {
                            "field": f"stages[{index}].id",
                            "message": "is not a stage of this pipeline",
                            "code": "invalid",
                        }
                    ],
                )
        kept = {s.get("id") for s in body["stages"] if s.get("id")}
        in_use = sum(self.deals_in.get(sid, 0) for sid in existing if sid not in kept)
        if in_use:
            message = f"{in_use} deals are in the stages you removed: move them first"
            return problem(
                409, "stage-in-use", message, [{"field": "stages", "message": message, "code": "stage-in-use"}]
            )
        stages = []
        for position, given in enumerate(body["stages"], start=1):
            made = stage(given["name"].strip(), given["probability"], given["outcome"], position)
            if given.get("id"):
                made["id"], made["key"] = given["id"], existing[given["id"]]["key"]
            stages.append(made)
        if found is None:
            found = {"id": str(uuid.uuid4()), "name": "", "stages": []}
            self.pipelines.append(found)
        found.update(name=body["name"].strip(), stages=stages)
        if body.get("is_default"):
            self.default_id = found["id"]
        return httpx.Response(201 if pipeline_id is None else 200, json=found)

    @staticmethod
    def _check(body: dict[str, Any]) -> list[dict[str, str]]:
        errors: list[dict[str, str]] = []
        if not str(body.get("name", "")).strip():
            errors.append({"field": "name", "message": "must not be blank", "code": "required"})
        stages = body.get("stages", [])
        outcomes = [s["outcome"] for s in stages]
        if not 3 <= len(stages) <= MAX_STAGES:
            errors.append({"field": "stages", "message": f"must have 3 to {MAX_STAGES} stages", "code": "invalid"})
        elif outcomes.count("won") != 1 or outcomes.count("lost") != 1 or "open" not in outcomes:
            errors.append(
                {
                    "field": "stages",
                    "message": "must have open stages, one won stage and one lost stage",
                    "code": "invalid",
                }
            )
        for index, given in enumerate(stages):
            if not str(given.get("name", "")).strip():
                errors.append({"field": f"stages[{index}].name", "message": "must not be blank", "code": "required"})
            try:
                probability = Decimal(str(given.get("probability")))
            except InvalidOperation:
                probability = Decimal("NaN")
            if not (probability.is_finite() and 0 <= probability <= 100):
                errors.append(
                    {
                        "field": f"stages[{index}].probability",
                        "message": "must be between 0 and 100",
                        "code": "out_of_range",
                    }
                )
            elif probability != probability.quantize(Decimal("0.01")):
                errors.append(
                    {
                        "field": f"stages[{index}].probability",
                        "message": "must have at most two decimals",
                        "code": "invalid",
                    }
                )
        ids = [s["id"] for s in stages if s.get("id")]
        if len(ids) != len(set(ids)):
            errors.append({"field": "stages", "message": "names a stage twice", "code": "duplicate"})
        return errors

    # ---- loss reasons

    def _reasons(self, request: httpx.Request, reason_id: str | None) -> httpx.Response:
        if request.method == "GET" and reason_id is None:
            return httpx.Response(200, json=self.reasons)
        if request.method not in ("POST", "PUT") or (request.method == "PUT") != (reason_id is not None):
            return problem(405, "method-not-allowed")
        if not self.is_admin:
            return problem(403, "forbidden", "Only workspace administrators may change loss reasons.")
        body = json.loads(request.content)
        name = str(body.get("name", "")).strip()
        if not name:
            return problem(
                422, "validation-error", errors=[{"field": "name", "message": "must not be blank", "code": "required"}]
            )
        if len(name) > 100:
            return problem(
                422,
                "validation-error",
                errors=[{"field": "name", "message": "must be at most 100 characters", "code": "too_long"}],
            )
        if any(r["name"] == name and r["id"] != reason_id for r in self.reasons):
            return problem(
                409,
                "duplicate",
                "another loss reason has this name",
                [{"field": "name", "message": "another loss reason has this name", "code": "duplicate"}],
            )
        if reason_id is None:
            reason = {
                "id": str(uuid.uuid4()),
                "name": name,
                "active": bool(body.get("active", True)),
                "position": len(self.reasons),
            }
            self.reasons.append(reason)
            return httpx.Response(201, json=reason)
        found = next((r for r in self.reasons if r["id"] == reason_id), None)
        if found is None:
            return problem(404, "not-found", "Loss reason not found.")
        found.update(name=name, active=bool(body.get("active", True)))
        return httpx.Response(200, json=found)
