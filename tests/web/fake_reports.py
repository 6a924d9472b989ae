"""The API's report builder, saved reports and schedules, in memory, on top of FakeApi: the builder checks a
definition as the API does for what the web sends (known entity and fields; cost hidden from this reader with a 403
naming the field; numbers that are numbers), saved reports are the requester's, schedules check their recipients'
time zones (an unknown one is 422 naming ``recipients[i].timezone``)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from tests.web.conftest import FakeApi, problem

STAMP = "2026-05-01T08:00:00+00:00"
ENTITIES = [
    {"name": "orders", "fields": [
        {"name": "status", "type": "text", "filterable": True, "groupable": True, "measurable": False},
        {"name": "owner", "type": "text", "filterable": True, "groupable": True, "measurable": False},
        {"name": "order_date", "type": "date", "filterable": True, "groupable": True, "measurable": False},
        {"name": "total", "type": "money", "filterable": True, "groupable": False, "measurable": True},
    ]},
    {"name": "accounts", "fields": [
        {"name": "region", "type": "text", "filterable": True, "groupable": True, "measurable": False},
        {"name": "created_at", "type": "datetime", "filterable": True, "groupable": True, "measurable": False},
    ]},
]  # fmt: skip
HIDDEN = {"cost", "margin"}  # exist on orders, but this reader may not see costs


def refused(status: int, field_name: str, message: str) -> httpx.Response:
    kind = "forbidden" if status == 403 else "validation-error"
    return problem(status, kind, f"{field_name}: {message}",
                   errors=[{"field": field_name, "message": message, "code": kind}])  # fmt: skip


@dataclass
class FakeReports:
    api: FakeApi
    answer: dict[str, Any] = field(default_factory=dict)
    saved: dict[str, dict[str, Any]] = field(default_factory=dict)
    schedules: dict[str, dict[str, Any]] = field(default_factory=dict)
    ran: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        original = self.api._signed_in
        self.api._signed_in = lambda request: self.signed_in(request) or original(request)  # type: ignore[method-assign]

    def signed_in(self, request: httpx.Request) -> httpx.Response | None:
        path, method = request.url.path, request.method
        if not path.startswith("/api/v1/reports/"):
            return None
        parts = path.strip("/").split("/")[3:]  # after api/v1/reports
        body = json.loads(request.content) if request.content else None
        if parts == ["builder", "entities"]:
            return httpx.Response(200, json=ENTITIES)
        if parts == ["builder", "run"] and method == "POST":
            return self._check(body) or self._run(body)
        if parts[:1] != ["saved"]:
            return None
        if len(parts) == 1:
            if method == "POST":
                return self._save(body, None)
            return httpx.Response(200, json=list(self.saved.values()))
        report = self.saved.get(parts[1])
        if report is None:
            return problem(404, "not-found")
        if len(parts) == 2:
            if method == "PUT":
                return self._save(body, parts[1])
            if method == "DELETE":
                del self.saved[parts[1]]
                return httpx.Response(204)
            return httpx.Response(200, json=report)
        if parts[2] == "run":
            return self._run(report["definition"], report["name"]) if report["definition"] else httpx.Response(
                200, json={"chart": "bar", **self.answer, "title": report["name"]})  # fmt: skip
        if parts[2] == "schedules":
            if len(parts) == 4 and method == "DELETE":
                return httpx.Response(204) if self.schedules.pop(parts[3], None) else problem(404, "not-found")
            if method == "POST":
                return self._schedule(parts[1], body)
            return httpx.Response(200, json=[s for s in self.schedules.values() if s["saved_report_id"] == parts[1]])
        return None

    def _check(self, definition: dict[str, Any]) -> httpx.Response | None:
        entity = next((e for e in ENTITIES if e["name"] == definition["entity"]), None)
        if entity is None:
            return refused(422, "entity", "must be one of orders, accounts")
        types = {f["name"]: f["type"] for f in entity["fields"]}
        named = [(f"filters[{i}].field", f["field"]) for i, f in enumerate(definition["filters"])]
        named += [(f"group_by[{i}].field", g["field"]) for i, g in enumerate(definition["group_by"])]
        named += [(f"measures[{i}].field", m["field"]) for i, m in enumerate(definition["measures"]) if "field" in m]
        for path, name in named:
            if name in HIDDEN:
                return refused(403, path, f"you may not see the field {name}")
            if name not in types:
                return refused(422, path, f"{definition['entity']} has no field {name}")
        for i, f in enumerate(definition["filters"]):
            values = f.get("value") if isinstance(f.get("value"), list) else [f.get("value")]
            if types[f["field"]] == "money" and "value" in f:
                try:
                    [Decimal(str(v)) for v in values]
                except InvalidOperation:
                    return refused(422, f"filters[{i}].value", "is not a valid money")
        if not definition["group_by"]:
            return refused(422, "group_by", "needs one or two fields")
        return None

    def _run(self, definition: dict[str, Any], title: str = "") -> httpx.Response:
        self.ran.append(definition)
        return httpx.Response(200, json={**self.answer, "title": title or definition["entity"],
                                         "chart": definition.get("chart", "table")})  # fmt: skip

    def _save(self, body: dict[str, Any], report_id: str | None) -> httpx.Response:
        if body.get("definition") is not None and (problem_ := self._check(body["definition"])):
            return problem_
        shared_with = body.get("shared_with", "private")
        if shared_with != "members" and body.get("member_ids"):
            return refused(422, "member_ids", "only when shared_with is members")
        report_id = report_id or str(uuid.uuid4())
        self.saved[report_id] = {
            "id": report_id, "name": body["name"], "report_key": body.get("report_key"),
            "params": body.get("params") or {}, "definition": body.get("definition"),
            "shared_with": shared_with, "member_ids": body.get("member_ids") or [],
            "owner_id": self.api.user["id"], "mine": True, "created_at": STAMP, "updated_at": STAMP,
        }  # fmt: skip
        return httpx.Response(201, json=self.saved[report_id])

    def _schedule(self, report_id: str, body: dict[str, Any]) -> httpx.Response:
        for i, recipient in enumerate(body["recipients"]):
            if recipient["timezone"] is not None:
                try:
                    ZoneInfo(recipient["timezone"])
                except (ZoneInfoNotFoundError, ValueError):
                    return refused(422, f"recipients[{i}].timezone", "is not a known time zone")
        if not body["recipients"]:
            return refused(422, "recipients", "needs at least one member")
        schedule_id = str(uuid.uuid4())
        self.schedules[schedule_id] = {"id": schedule_id, "saved_report_id": report_id, "owner_id": self.api.user["id"],
                                       "weekday": None, "day_of_month": None, **body}  # fmt: skip
        return httpx.Response(201, json=self.schedules[schedule_id])
