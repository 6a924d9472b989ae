"""The API's leads in memory, enough for the web pages: the list (mine / pool / all, status, q), one lead, create
(a name or a company is required), claim (409 ``already-claimed`` when someone has it), status changes (unqualified
needs a reason), notes, conversion (409 when converted), the timeline, and a public web form."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.web.conftest import FakeApi, problem

SLUG, KEY = "a1b2c3d4e5f6", "K3y-of-the-form-0001"


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def new_lead(**fields: Any) -> dict[str, Any]:
    lead = {
        name: None
        for name in (
            "name",
            "company",
            "title",
            "phone",
            "email",
            "source",
            "region",
            "industry",
            "employees",
            "estimated_value",
            "currency",
            "description",
            "qualification_note",
            "disqualify_reason",
            "owner_id",
            "account_id",
            "contact_id",
            "deal_id",
            "converted_at",
            "created_by",
        )
    }
    lead.update(id=str(uuid.uuid4()), tags=[], status="new", captured_via="manual", created_at=now(), updated_at=now())
    return {**lead, **fields}


@dataclass
class FakeLeads:
    api: FakeApi
    leads: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    taken_by_someone: set[str] = field(default_factory=set)
    submissions: list[dict[str, Any]] = field(default_factory=list)
    forms: list[dict[str, Any]] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        original_signed_in = self.api._signed_in
        self.api._signed_in = lambda request: self.signed_in(request) or original_signed_in(request)  # type: ignore[method-assign]
        self.api.overrides[("GET", f"/api/v1/public/lead-forms/{SLUG}/{KEY}")] = lambda _r: httpx.Response(
            200,
            json={
                "name": "官网咨询",
                "thank_you": "谢谢！",
                "token": "signed-token",
                "fields": [
                    {"field": "name", "label": "您的姓名", "required": True},
                    {"field": "email", "label": None, "required": True},
                ],
            },
        )
        self.api.overrides[("POST", f"/api/v1/public/lead-forms/{SLUG}/{KEY}")] = self._submit

    def _submit(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("website"):
            return problem(
                422, "form-refused", errors=[{"field": "website", "message": "must be left empty", "code": "honeypot"}]
            )
        if not body["values"].get("name"):
            return problem(
                422, "validation-error", errors=[{"field": "values.name", "message": "is required", "code": "required"}]
            )
        self.submissions.append(body)
        return httpx.Response(201, json={"status": "received"})

    @property
    def me(self) -> str:
        return str(self.api.user["id"])

    def find(self, lead_id: str) -> dict[str, Any] | None:
        return next((lead for lead in self.leads if lead["id"] == lead_id), None)

    def signed_in(self, request: httpx.Request) -> httpx.Response | None:
        parts = request.url.path.strip("/").split("/")  # api, v1, leads, <id>, <action>
        if parts[2:3] != ["leads"]:
            if (request.method, request.url.path) == ("POST", "/api/v1/activities"):
                return self._note(json.loads(request.content))
            if (request.method, request.url.path) in (
                ("GET", "/api/v1/admin/members"),
                ("GET", "/api/v1/admin/departments"),
            ):
                return httpx.Response(200, json=[])
            if parts[2:3] == ["lead-forms"]:
                return self._forms(request, parts[3] if len(parts) > 3 else None)
            if parts[2:3] == ["lead-assignment-rules"]:
                return self._rules(request)
            return None
        if len(parts) == 3:
            return self._list(request) if request.method == "GET" else self._create(json.loads(request.content))
        lead = self.find(parts[3])
        if lead is None:
            return problem(404, "not-found", "Lead not found.")
        action = parts[4] if len(parts) > 4 else None
        if action is None:
            return httpx.Response(200, json=lead) if request.method == "GET" else self._change(lead, request)
        if action == "claim":
            if lead["owner_id"] or lead["id"] in self.taken_by_someone:
                return problem(409, "already-claimed", "Someone else has this lead already.")
            lead["owner_id"] = self.me
            return httpx.Response(200, json=lead)
        if action == "release":
            lead["owner_id"] = None
            return httpx.Response(200, json=lead)
        if action == "timeline":
            items = [
                {"type": "activity", "id": n["id"], "at": n["occurred_at"], "activity": n}
                for n in self.notes.get(lead["id"], [])
            ]
            items.append(
                {
                    "type": "change",
                    "id": str(uuid.uuid4()),
                    "at": lead["created_at"],
                    "action": "created",
                    "actor_id": self.me,
                    "record_type": "lead",
                    "record_id": lead["id"],
                    "changes": {},
                }
            )
            return httpx.Response(200, json={"items": items})
        if action == "convert":
            if lead["status"] == "converted":
                return problem(409, "converted", "the lead is converted already")
            account_id = str(uuid.uuid4())
            lead.update(status="converted", account_id=account_id, contact_id=str(uuid.uuid4()), converted_at=now())
            body = json.loads(request.content)
            lead["deal_id"] = str(uuid.uuid4()) if body.get("deal") else None
            self.converted_with = body
            return httpx.Response(
                200,
                json={
                    "lead": lead,
                    "account_id": account_id,
                    "contact_id": lead["contact_id"],
                    "deal_id": lead["deal_id"],
                },
            )
        return problem(404, "not-found")

    def _list(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        found = self.leads
        if params.get("owner") == "mine":
            found = [x for x in found if x["owner_id"] == self.me]
        elif params.get("owner") == "pool":
            found = [x for x in found if x["owner_id"] is None]
        if params.get("status"):
            found = [x for x in found if x["status"] == params["status"]]
        if params.get("q"):
            found = [x for x in found if params["q"] in f"{x['name']} {x['company']} {x['email']} {x['phone']}"]
        return httpx.Response(200, json={"items": found})

    def _create(self, body: dict[str, Any]) -> httpx.Response:
        if not (body.get("name") or body.get("company")):
            return problem(
                422, "validation-error", errors=[{"field": "name", "message": "is required", "code": "required"}]
            )
        lead = new_lead(**body)
        self.leads.append(lead)
        return httpx.Response(201, json=lead)

    def _change(self, lead: dict[str, Any], request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("status") == "unqualified" and not body.get("disqualify_reason"):
            return problem(
                422,
                "validation-error",
                errors=[
                    {"field": "disqualify_reason", "message": "say why the lead is unqualified", "code": "required"}
                ],
            )
        lead.update(body)
        return httpx.Response(200, json=lead)

    def _note(self, body: dict[str, Any]) -> httpx.Response:
        note = {
            "id": str(uuid.uuid4()),
            "kind": body["kind"],
            "account_id": None,
            "contact_id": None,
            "subject": body["subject"],
            "body": body.get("body"),
            "occurred_at": now(),
            "due_at": None,
            "ends_at": None,
            "reminder_at": None,
            "done_at": None,
            "duration_seconds": None,
            "direction": None,
            "outcome": None,
            "location": None,
            "owner_id": self.me,
            "created_at": now(),
            "created_by": self.me,
            "lead_id": body["lead_id"],
        }
        self.notes.setdefault(body["lead_id"], []).insert(0, note)
        return httpx.Response(201, json=note)

    def _forms(self, request: httpx.Request, form_id: str | None) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=self.forms)
        body = json.loads(request.content)
        if not any(f["field"] in ("name", "company") and f["required"] for f in body["fields"]):
            message = "the name or the company must be a required field: a lead needs one"
            return problem(422, "validation-error", errors=[{"field": "fields", "message": message}])
        found = next((f for f in self.forms if f["id"] == form_id), None)
        if found is None:
            found = {"id": str(uuid.uuid4()), "key": KEY, "slug": SLUG}
            self.forms.append(found)
        found.update(body)
        return httpx.Response(201 if form_id is None else 200, json=found)

    def _rules(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            body = json.loads(request.content)
            for index, rule in enumerate(body):
                if not rule["member_ids"] and not rule["department_id"]:
                    return problem(
                        422,
                        "validation-error",
                        errors=[
                            {
                                "field": f"rules[{index}].member_ids",
                                "message": "name the members or a department",
                                "code": "required",
                            }
                        ],
                    )
            self.rules = [{"id": str(uuid.uuid4()), "position": n, **rule} for n, rule in enumerate(body)]
        return httpx.Response(200, json=self.rules)
