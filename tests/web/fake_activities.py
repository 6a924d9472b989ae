"""The API's activities (跟进记录), tasks and calendar, in memory, on top of FakeCustomers (which serves the
account's timeline from the same list).

Like the API it needs a subject, a zone on every time and a due time on a task, and answers problems with the
field they are about.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from tests.web.conftest import problem
from tests.web.fake_customers import FakeCustomers, invalid

KINDS = {"call", "meeting", "visit", "email", "note", "task"}
TIMES = ("occurred_at", "due_at", "ends_at", "reminder_at")


@dataclass
class FakeActivities:
    crm: FakeCustomers
    may_close_tasks: bool = True
    # Whose activities the reader's data scope reaches (member ids); None: everybody's, like an admin.
    scope: set[str] | None = None

    def __post_init__(self) -> None:
        api = self.crm.admin.api
        original = api._signed_in
        api._signed_in = lambda request: self.signed_in(request) or original(request)  # type: ignore[method-assign]

    def add(self, account: dict[str, Any], **fields: Any) -> dict[str, Any]:
        stamp = self.crm.tick()
        activity = {
            "id": str(uuid.uuid4()),
            "kind": "call",
            "account_id": account["id"],
            "contact_id": None,
            "subject": "Call",
            "body": None,
            "occurred_at": stamp,
            "due_at": None,
            "ends_at": None,
            "reminder_at": None,
            "done_at": None,
            "duration_seconds": None,
            "direction": None,
            "outcome": None,
            "location": None,
            "owner_id": self.crm.me,
            "created_at": stamp,
            "created_by": self.crm.me,
            **fields,
        }
        self.crm.activities.insert(0, activity)
        return activity

    def signed_in(self, request: httpx.Request) -> httpx.Response | None:
        parts = request.url.path.strip("/").split("/")  # api, v1, activities, <id>, done
        if parts[2:] == ["calendar"]:
            return self._calendar(request)
        if parts[2:] == ["calendar", "people"]:
            return self._people()
        if parts[2:3] != ["activities"]:
            return None
        if len(parts) == 3 and request.method == "POST":
            return self._create(json.loads(request.content))
        activity = next((a for a in self.crm.activities if len(parts) > 3 and a["id"] == parts[3]), None)
        if activity is None:
            return problem(404, "not-found")
        if parts[4:] == ["done"] and request.method == "POST":
            if not self.may_close_tasks:
                return problem(403, "forbidden", "Your role may not change this activity.")
            if activity["kind"] != "task":
                return invalid("kind", "only a task is done or open")
            done = request.url.params.get("done", "true") == "true"
            activity["done_at"] = self.crm.tick() if done else None
            return httpx.Response(200, json=activity)
        return None

    def _create(self, body: dict[str, Any]) -> httpx.Response:
        for name in ("kind", "account_id", "subject"):
            if not str(body.get(name) or "").strip():
                return invalid(name, "is required", "required")
        if body["kind"] not in KINDS:
            return invalid("kind", "Invalid enum value", "invalid_choice")
        if len(body["subject"]) > 200:
            return invalid("subject", "must be at most 200 characters", "too_long")
        for name in TIMES:
            if body.get(name) and dt.datetime.fromisoformat(body[name]).tzinfo is None:
                return invalid(name, "must carry a time zone")
        if body["kind"] == "task" and not body.get("due_at"):
            return invalid("due_at", "a task needs a due time", "required")
        if body.get("duration_seconds") is not None and body["duration_seconds"] < 0:
            return invalid("duration_seconds", "must not be negative")
        account = next((a for a in self.crm.accounts if a["id"] == body["account_id"] and not a["deleted_at"]), None)
        if account is None:
            return invalid("account_id", "is not an account you can see", "not_found")
        fields = {k: v for k, v in body.items() if k != "account_id"}
        return httpx.Response(201, json=self.add(account, **fields))

    def _calendar(self, request: httpx.Request) -> httpx.Response:
        try:
            start = dt.datetime.fromisoformat(request.url.params["start"])
            end = dt.datetime.fromisoformat(request.url.params["end"])
        except (KeyError, ValueError):
            return invalid("start", "start and end must be times with a zone")
        if start.tzinfo is None or end.tzinfo is None or end - start > dt.timedelta(days=62):
            return invalid("end", "at most 62 days, with a zone")
        owners = self._owners(request.url.params.get("owner_id"), request.url.params.get("department_id"))
        if isinstance(owners, httpx.Response):
            return owners
        due = [
            a
            for a in self.crm.activities
            if a["kind"] in ("task", "meeting")
            and a["due_at"]
            and a["owner_id"] in owners
            and start <= dt.datetime.fromisoformat(a["due_at"]) < end
        ]
        return httpx.Response(200, json=sorted(due, key=lambda a: a["due_at"]))

    def _reaches(self, member_id: str) -> bool:
        return self.scope is None or member_id in self.scope or member_id == self.crm.me

    def _subtree(self, department_id: str) -> set[str]:
        tree, grew = {department_id}, True
        while grew:
            below = {d["id"] for d in self.crm.admin.departments if d.get("parent_id") in tree}
            grew = not below <= tree
            tree |= below
        return tree

    def _owners(self, owner_id: str | None, department_id: str | None) -> set[str] | httpx.Response:
        if owner_id and department_id:
            return invalid("department_id", "choose a person or a department, not both")
        if department_id:
            if not any(d["id"] == department_id for d in self.crm.admin.departments):
                return invalid("department_id", "is not a department of this workspace")
            tree = self._subtree(department_id)
            reached = {m["id"] for m in self._active() if m["department_id"] in tree and self._reaches(m["id"])}
            return reached or problem(403, "forbidden", "That department's calendar is outside your data scope.")
        owner_id = owner_id or self.crm.me
        if not self._reaches(owner_id):
            return problem(403, "forbidden", "That calendar is outside your data scope.")
        return {owner_id}

    def _active(self) -> list[dict[str, Any]]:
        return [m for m in self.crm.admin.members if m["status"] == "active"]

    def _people(self) -> httpx.Response:
        members = [m for m in self._active() if self._reaches(m["id"])]
        departments = [
            d
            for d in self.crm.admin.departments
            if self.scope is None or any(m["department_id"] in self._subtree(d["id"]) for m in members)
        ]
        return httpx.Response(
            200,
            json={
                "members": [{"id": m["id"], "name": m["name"], "department_id": m["department_id"]} for m in members],
                "departments": [
                    {"id": d["id"], "name": d["name"], "parent_id": d.get("parent_id")} for d in departments
                ],
            },
        )
