"""The API's accounts, contacts, history, timeline, team and search, in memory, on top of FakeApi and FakeAdmin.

Like the API it leaves out the fields in ``hidden``, masks those in ``masked`` (in lists, or everywhere) and
refuses writes to either, pages by cursor with a total on the first page, and answers problems with the
field they are about.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from tests.web.conftest import problem
from tests.web.fake_admin import NOW, FakeAdmin
from tests.web.fake_records import RecordsFake

ACCOUNT_DEFAULTS: dict[str, Any] = {
    "kind": "company",
    "lifecycle_stage": "prospect",
    "tags": [],
    "heat": None,
    "source": None,
    "industry": None,
    "country": None,
    "province": None,
    "city": None,
    "address": None,
    "size": None,
    "website": None,
    "phone": None,
    "email": None,
    "value_rating": None,
    "credit_limit": None,
    "payment_terms_days": None,
    "birthday": None,
    "age": None,
    "job_title": None,
}
CONTACT_DEFAULTS: dict[str, Any] = {
    "family_name": None,
    "given_name": None,
    "title": None,
    "phones": [],
    "emails": [],
    "wechat": None,
    "whatsapp": None,
    "line": None,
    "preferred_channel": None,
    "marketing_consent": False,
    "is_primary": False,
}
HEATS = {"hot", "warm", "cold"}
POOL_ID = "00000000-0000-0000-0000-0000000000a1"


def mask(name: str, value: Any) -> Any:
    if isinstance(value, list):
        return [mask(name, item) for item in value]
    if not value:
        return value
    if name in ("phone", "phones"):
        digits = "".join(ch for ch in str(value) if ch.isdigit())
        return f"{digits[:3]}****{digits[-4:]}"
    if "@" in str(value):
        local, _, domain = str(value).rpartition("@")
        return f"{local[:1]}***@{domain}"
    return "***"


def invalid(field_name: str, message: str, code: str = "invalid", status: int = 422) -> httpx.Response:
    kind = "validation-error" if status == 422 else "field-forbidden"
    return problem(status, kind, errors=[{"field": field_name, "message": message, "code": code}])


@dataclass
class FakeCustomers(RecordsFake):
    admin: FakeAdmin
    accounts: list[dict[str, Any]] = field(default_factory=list)
    deals: list[dict[str, Any]] = field(default_factory=list)
    pool_status: dict[str, Any] = field(default_factory=dict)  # the rule and days left the API would answer
    locks_left: int = 5
    contacts: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)  # filled by FakeActivities
    team: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    search_keys: dict[str, list[str]] = field(default_factory=dict)  # record id -> pinyin and the like
    hidden: set[str] = field(default_factory=set)
    masked: dict[str, str] = field(default_factory=dict)  # field -> "lists" | "everywhere"
    count_cap: int = 10_000
    may_manage_team: bool = True
    may_export: bool = True
    may_delete: bool = True
    may_read_contacts: bool = True
    may_read_timeline: bool = True
    clock: dt.datetime = NOW
    views: list[dict[str, Any]] = field(default_factory=list)
    bulk_batch: int = 5_000

    def __post_init__(self) -> None:
        original = self.admin.api._signed_in
        self.admin.api._signed_in = lambda request: self.signed_in(request) or original(request)  # type: ignore[method-assign]

    @property
    def me(self) -> str:
        return str(self.admin.members[0]["id"])

    def tick(self) -> str:
        self.clock += dt.timedelta(minutes=1)
        return self.clock.isoformat()

    # ---- data a test sets up

    def add_account(self, **fields: Any) -> dict[str, Any]:
        stamp = self.tick()
        record = {
            "id": str(uuid.uuid4()),
            **ACCOUNT_DEFAULTS,
            "owner_id": self.me,
            "created_at": stamp,
            "updated_at": stamp,
            "deleted_at": None,
            **fields,
        }
        self.accounts.insert(0, record)
        self.record_change(record["id"], "created", {k: [None, v] for k, v in fields.items() if v not in (None, [])})
        return record

    def add_contact(self, account: dict[str, Any], **fields: Any) -> dict[str, Any]:
        stamp = self.tick()
        record = {
            "id": str(uuid.uuid4()),
            **CONTACT_DEFAULTS,
            "account_id": account["id"],
            "name": fields.get("name") or f"{fields.get('family_name') or ''}{fields.get('given_name') or ''}",
            "owner_id": self.me,
            "created_at": stamp,
            "updated_at": stamp,
            "deleted_at": None,
            **fields,
        }
        self.contacts.insert(0, record)
        return record

    def record_change(self, record_id: str, action: str, changes: dict[str, list[Any]]) -> None:
        self.changes.insert(
            0,
            {
                "id": str(uuid.uuid4()),
                "record_id": record_id,
                "occurred_at": self.clock.isoformat(),
                "actor_id": self.me,
                "action": action,
                "changes": changes,
            },
        )

    # ---- the API

    def shape(self, record: dict[str, Any], view: str) -> dict[str, Any]:
        shaped = {}
        for name, value in record.items():
            if name in self.hidden:
                continue
            where = self.masked.get(name)
            shaped[name] = (
                mask(name, value) if where == "everywhere" or (where == "lists" and view == "list") else value
            )
        return shaped

    def signed_in(self, request: httpx.Request) -> httpx.Response | None:
        path, method = request.url.path, request.method
        parts = path.strip("/").split("/")  # api, v1, accounts, <id>, <action>...
        if path == "/api/v1/search":
            return self._search(request)
        if path == "/api/v1/custom-fields" and method == "GET":
            return self.definitions(request)
        if parts[2:3] == ["attachments"]:
            return self.attachments(request, parts, self.me, self._find)
        if path == "/api/v1/deals" and method == "GET":  # an account's deals, as the account page asks
            wanted = request.url.params.get("account_id")
            return httpx.Response(200, json={"items": [d for d in self.deals if d["account_id"] == wanted]})
        if path.startswith("/api/v1/views"):
            return self._view(request, parts[3] if len(parts) > 3 else None)
        if len(parts) < 3 or parts[2] not in ("accounts", "contacts"):
            return None
        records = self.accounts if parts[2] == "accounts" else self.contacts
        if parts[2] == "contacts" and not self.may_read_contacts:
            return problem(403, "forbidden", "Your role may not read contacts.")
        if len(parts) == 3:
            return self._list(request, records) if method == "GET" else self._create(request, parts[2])
        if parts[3] == "bulk" and method == "POST":
            return self._bulk(request, parts[2], records)
        if parts[3] == "export.csv":
            return self._export(records)
        if parts[3] == "deleted":
            if not self.may_delete:
                return problem(403, "forbidden", "Only an administrator may see deleted records.")
            gone = [self.shape(r, "list") for r in records if r["deleted_at"]]
            return httpx.Response(200, json={"items": gone, "total": len(gone), "total_capped_at": self.count_cap})
        record = next((r for r in records if r["id"] == parts[3]), None)
        action = parts[4] if len(parts) > 4 else ""
        if action == "restore" and record is not None and record["deleted_at"]:
            if not self.may_delete:
                return problem(403, "forbidden", "Only an administrator may restore.")
            record["deleted_at"] = None
            return httpx.Response(200, json=self.shape(record, "record"))
        if record is None or record["deleted_at"]:
            return problem(404, "not-found", "Account not found.")
        if action == "history":
            entries = [c for c in self.changes if c["record_id"] == record["id"]]
            visible = [
                {**c, "changes": {k: v for k, v in c["changes"].items() if k not in self.hidden}} for c in entries
            ]
            return httpx.Response(200, json=visible)
        if action == "merge" and method == "POST":
            return self._merge(request, record)
        if action == "timeline":
            return self._timeline(request, record)
        if action == "contacts":
            if not self.may_read_contacts:
                return problem(403, "forbidden")
            return self._list(request, [c for c in self.contacts if c["account_id"] == record["id"]], counted=True)
        if action == "collaborators":
            return self._team(request, record, parts[5] if len(parts) > 5 else None)
        if action == "pool":
            return self._pool(request, record, parts[5] if len(parts) > 5 else "")
        if action == "grade-history":
            return httpx.Response(200, json=[])
        if action == "grade" and method == "GET":
            return httpx.Response(200, json={"account_id": record["id"], "grade": record.get("grade"), "manual": False,
                                             "reason": None, "set_by": None, "set_at": None, "growth_score": None,
                                             "can_set": False})  # fmt: skip
        if method == "GET":
            return httpx.Response(200, json=self.shape(record, "record"))
        if method == "DELETE":
            if not self.may_delete:
                return problem(403, "forbidden", "Your role may not delete this account.")
            record["deleted_at"] = self.tick()
            return httpx.Response(204)
        return self._update(request, record)

    def _pool(self, request: httpx.Request, record: dict[str, Any], what: str) -> httpx.Response:
        """When the account returns to the pool (``pool_status`` says; no rule by default), and its lock."""
        if what == "lock" and request.method == "PUT":
            if record["owner_id"] is None:
                return problem(409, "in-pool", "an account in the pool has no owner to keep it")
            wanted = json.loads(request.content)["locked"]
            if wanted and self.locks_left <= 0:
                return problem(409, "locked-cap", "At most 1 locked customers per person.")
            self.locks_left -= 1 if wanted and not record.get("locked") else 0
            record["locked"] = wanted
        status = {"pool_id": POOL_ID, "rule": None, "days_left": None, **self.pool_status,
                  "locked": record.get("locked", False)}  # fmt: skip
        if status["locked"]:
            status.update(rule=None, days_left=None)
        return httpx.Response(200, json=status)

    def fields_of(self, module: str) -> list[dict[str, Any]]:
        return [f for f in self.custom_fields if f["module"] == module]

    def _find(self, record_type: str, record_id: str) -> dict[str, Any] | None:
        kinds = {"account": self.accounts, "contact": self.contacts, "activity": self.activities}
        found = next((r for r in kinds[record_type] if r["id"] == record_id), None)
        return None if found is None or found.get("deleted_at") else found

    def _members(self) -> set[str]:
        return {m["id"] for m in self.admin.members if m["status"] == "active"}

    def _list(self, request: httpx.Request, records: list[dict[str, Any]], counted: bool = False) -> httpx.Response:
        """Like the API: a total on the first page when asked for (``count=true``), or always for an account's
        contacts."""
        params = request.url.params
        rows = [r for r in records if not r["deleted_at"]]
        if params.get("heat") and "heat" in self.hidden:
            return problem(403, "forbidden", "Your role may not filter by: heat.")
        if params.get("heat") and params["heat"] not in HEATS:
            return invalid("heat", "Invalid enum value")
        for name in ("heat", "lifecycle_stage", "owner_id", "account_id"):
            if params.get(name):
                rows = [r for r in rows if str(r.get(name)) == params[name]]
        if params.get("tag"):
            rows = [r for r in rows if params["tag"] in r.get("tags", [])]
        if params.get("q"):
            query = params["q"].strip()
            if not any(ch.isalnum() for ch in query):
                return invalid("q", "must contain letters, Chinese characters or digits")
            rows = [r for r in rows if self._matches(r, query)]
        module = "customers" if records is self.accounts else "contacts"
        matched = self._custom_match(module, rows, params)
        if isinstance(matched, httpx.Response):
            return matched
        rows = matched
        if params.get("sort") == "name":
            rows = sorted(rows, key=lambda r: r["name"])
        elif (params.get("sort") or "").lstrip("-").startswith("cf."):
            key = params["sort"].lstrip("-")[3:]
            if key not in {f["key"] for f in self.fields_of(module)}:
                return invalid("sort", "must be one of -updated_at, name, or cf.<custom field>")
            rows = sorted(
                rows, key=lambda r: str(r.get("custom", {}).get(key, "")), reverse=params["sort"].startswith("-")
            )
        limit = int(params.get("limit", 50))
        start = 0
        if params.get("cursor"):
            if not params["cursor"].isdigit():
                return invalid("cursor", "is not a cursor from a previous page")
            start = int(params["cursor"])
        page = rows[start : start + limit]
        body: dict[str, Any] = {"items": [self.shape(r, "list") for r in page]}
        if start + limit < len(rows):
            body["next_cursor"] = str(start + limit)
        if not params.get("cursor") and (counted or params.get("count") == "true"):
            body["total"] = min(len(rows), self.count_cap + 1)
            body["total_capped_at"] = self.count_cap
        return httpx.Response(200, json=body)

    def _custom_match(
        self, module: str, rows: list[dict[str, Any]], params: Any
    ) -> list[dict[str, Any]] | httpx.Response:
        """Like the API: ``cf.<key>=value`` matches the value in the field's type; an unknown key is refused."""
        fields = {f["key"]: f for f in self.fields_of(module)}
        for name, raw in params.items():
            if not name.startswith("cf."):
                continue
            spec = fields.get(name[3:])
            if spec is None:
                return invalid(name, f"is not a custom field of {module}", "unknown_field")
            rows = [r for r in rows if self._custom_is(spec, r.get("custom", {}).get(spec["key"]), raw)]
        return rows

    @staticmethod
    def _custom_is(spec: dict[str, Any], value: Any, raw: str) -> bool:
        if ".." in raw and spec["type"] in ("number", "currency", "date"):  # a range, both ends included
            if value is None:
                return False
            number = spec["type"] != "date"
            low, high = ((Decimal(end) if number else end) if end else None for end in raw.split("..", 1))
            have = Decimal(str(value)) if number else str(value)
            return (low is None or have >= low) and (high is None or have <= high)
        if spec["type"] in ("number", "currency"):
            return value is not None and Decimal(str(value)) == Decimal(raw)
        if spec["type"] == "checkbox":
            return value is (raw == "true")
        if spec["type"] == "multi_select":
            return raw in (value or [])
        return value == raw

    def _bulk(self, request: httpx.Request, kind: str, records: list[dict[str, Any]]) -> httpx.Response:
        """Like the API: ``ids`` or ``filter`` (never both), at most ``bulk_batch`` records a call, only those not
        already in the wanted state; ``remaining`` says to call again."""
        body = json.loads(request.content)
        if ("ids" in body) == ("filter" in body):
            return invalid("ids", "send either ids or filter")
        action = body.get("action")
        if action not in ("change_owner", "add_tags", "remove_tags", "delete", "move_to_pool"):
            return invalid("action", "must be one of change_owner, add_tags, remove_tags, delete", "invalid_choice")
        if action == "move_to_pool" and kind == "contacts":
            return invalid("action", "only accounts go to the customer pool", "invalid_choice")
        if action in ("add_tags", "remove_tags") and kind == "contacts":
            return invalid("action", "contacts have no tags", "invalid_choice")
        if action == "delete" and not self.may_delete:
            return problem(403, "forbidden", "Your role may not delete.")
        rows = [r for r in records if not r["deleted_at"]]
        if "ids" in body:
            if not body["ids"] or len(body["ids"]) > 5000:
                return invalid("ids", "must list 1 to 5000 records")
            rows = [r for r in rows if r["id"] in body["ids"]]
        else:
            chosen = body["filter"]
            for name in ("heat", "lifecycle_stage", "owner_id"):
                if chosen.get(name):
                    rows = [r for r in rows if str(r.get(name)) == chosen[name]]
            if chosen.get("tag"):
                rows = [r for r in rows if chosen["tag"] in r.get("tags", [])]
            if chosen.get("q"):
                rows = [r for r in rows if self._matches(r, chosen["q"])]
            module = "customers" if kind == "accounts" else "contacts"
            params = {f"cf.{key}": value for key, value in chosen.get("custom", {}).items()}
            matched = self._custom_match(module, rows, params)
            if isinstance(matched, httpx.Response):
                return matched
            rows = matched
        tags = body.get("tags") or []
        if action == "change_owner":
            owner = body.get("owner_id")
            if owner not in {m["id"] for m in self.admin.members if m["status"] == "active"}:
                return invalid("owner_id", "is outside the people your role may assign to", "out_of_scope")
            rows = [r for r in rows if r["owner_id"] != owner]
        elif action == "move_to_pool":
            rows = [r for r in rows if r["owner_id"] is not None]
        elif action in ("add_tags", "remove_tags"):
            if not tags:
                return invalid("tags", "must name at least one tag", "required")
            adding = action == "add_tags"
            rows = [r for r in rows if (not set(tags) <= set(r["tags"]) if adding else set(tags) & set(r["tags"]))]
        batch, remaining = rows[: self.bulk_batch], len(rows) > self.bulk_batch
        for record in batch:
            if action == "change_owner":
                record["owner_id"] = body["owner_id"]
            elif action == "move_to_pool":
                record.update(previous_owner_id=record["owner_id"], owner_id=None, return_reason=body.get("reason"))
            elif action == "delete":
                record["deleted_at"] = self.tick()
            elif action == "add_tags":
                record["tags"] = list(dict.fromkeys([*record["tags"], *tags]))
            else:
                record["tags"] = [tag for tag in record["tags"] if tag not in tags]
        return httpx.Response(200, json={"changed": len(batch), "remaining": remaining})

    def add_view(self, **fields: Any) -> dict[str, Any]:
        view = {
            "id": str(uuid.uuid4()),
            "module": "customers",
            "filters": {"custom": {}},
            "sort": "-updated_at",
            "columns": [],
            "shared": False,
            "owner_id": self.me,
            "created_at": self.tick(),
            **fields,
        }
        self.views.append(view)
        return view

    def _view(self, request: httpx.Request, view_id: str | None) -> httpx.Response:
        """Saved views like the API's: the caller's own and the shared ones; names of 1 to 100 characters;
        only the one who saved a view (or an admin, for a shared one) changes it."""
        mine = lambda view: view["owner_id"] == self.me  # noqa: E731
        seen = [v for v in self.views if mine(v) or v["shared"]]
        if view_id is None and request.method == "GET":
            module = request.url.params.get("module", "customers")
            listed = sorted((v for v in seen if v["module"] == module), key=lambda v: (not v["shared"], v["name"]))
            return httpx.Response(200, json=[{**v, "mine": mine(v)} for v in listed])
        body = json.loads(request.content) if request.content else {}
        if "name" in body:
            name = str(body["name"]).strip()
            if not name:
                return invalid("name", "must not be empty", "required")
            if len(name) > 100:
                return invalid("name", "must be at most 100 characters", "too_long")
            body["name"] = name
        known = {*ACCOUNT_DEFAULTS, *CONTACT_DEFAULTS, "name", "account_name", "owner_id", "updated_at"}
        for index, column in enumerate(body.get("columns", [])):
            custom = {f"custom.{f['key']}" for f in self.custom_fields}
            if column not in known | custom:
                return invalid(f"columns[{index}]", f"{column!r} is not a column of this list", "invalid_choice")
        if view_id is None:
            return httpx.Response(201, json={**self.add_view(**body), "mine": True})
        view = next((v for v in seen if v["id"] == view_id), None)
        if view is None:
            return problem(404, "not-found", "View not found.")
        if not mine(view):
            return problem(403, "forbidden", "Only the one who saved this view may change it.")
        if request.method == "DELETE":
            self.views.remove(view)
            return httpx.Response(204)
        view.update(body)
        return httpx.Response(200, json={**view, "mine": True})

    def _matches(self, record: dict[str, Any], query: str) -> bool:
        text = query.casefold()
        digits = "".join(ch for ch in query if ch.isdigit())
        phones = record.get("phones") or [record.get("phone") or ""]
        if text in record["name"].casefold() or any(text in key for key in self.search_keys.get(record["id"], [])):
            return True
        return len(digits) >= 4 and any(digits in "".join(ch for ch in p if ch.isdigit()) for p in phones)

    def _check(self, body: dict[str, Any], creating: bool, kind: str) -> httpx.Response | None:
        forbidden = [name for name in body if name in self.hidden or self.masked.get(name) == "everywhere"]
        if forbidden:
            return invalid(forbidden[0], "may not be changed by your role", "field_forbidden", status=403)
        if kind == "accounts" and (("name" in body or creating) and not str(body.get("name") or "").strip()):
            return invalid("name", "must not be empty", "required")
        if "@" not in str(body.get("email") or "@"):
            return invalid("email", "An email address must have an @-sign.", "invalid_email")
        for index, email in enumerate(body.get("emails") or []):
            if "@" not in email:
                return invalid(f"emails[{index}]", "An email address must have an @-sign.", "invalid_email")
        if body.get("phone") and not any(ch.isdigit() for ch in body["phone"]):
            return invalid("phone", "must be a phone number: digits, spaces, + ( ) - . /", "invalid_phone")
        if body.get("credit_limit") is not None:
            try:
                Decimal(body["credit_limit"])
            except InvalidOperation:
                return invalid("credit_limit", "Expected `decimal`")
        days = body.get("payment_terms_days")
        if days is not None and not 0 <= days <= 3650:
            return invalid("payment_terms_days", "must be between 0 and 3650", "out_of_range")
        if body.get("owner_id") and body["owner_id"] not in {m["id"] for m in self.admin.members}:
            return invalid("owner_id", "is outside the people your role may assign to", "out_of_scope")
        return None

    def _create(self, request: httpx.Request, kind: str) -> httpx.Response:
        body = json.loads(request.content)
        refused = self._check(body, True, kind)
        if refused is not None:
            return refused
        module = "customers" if kind == "accounts" else "contacts"
        body["custom"], errors = self.clean_custom(module, body.get("custom") or {}, None, self._members())
        if errors:
            return problem(422, "validation-error", errors=errors)
        if kind == "accounts":
            return httpx.Response(201, json=self.shape(self.add_account(**body), "record"))
        account = next((a for a in self.accounts if a["id"] == body.get("account_id")), None)
        if account is None:
            return invalid("account_id", "is not an account you can see", "not_found")
        fields = {k: v for k, v in body.items() if k != "account_id"}
        return httpx.Response(201, json=self.shape(self.add_contact(account, **fields), "record"))

    def _update(self, request: httpx.Request, record: dict[str, Any]) -> httpx.Response:
        body = json.loads(request.content)
        refused = self._check(body, False, "accounts" if "kind" in record else "contacts")
        if refused is not None:
            return refused
        if "custom" in body:
            module = "customers" if "kind" in record else "contacts"
            before = record.get("custom") or {}
            body["custom"], errors = self.clean_custom(module, body["custom"], before, self._members())
            if errors:
                return problem(422, "validation-error", errors=errors)
        changes = {k: [record.get(k), v] for k, v in body.items() if record.get(k) != v}
        record.update(body)
        record["updated_at"] = self.tick()
        if changes:
            self.record_change(record["id"], "updated", changes)
        return httpx.Response(200, json=self.shape(record, "record"))

    def _merge(self, request: httpx.Request, record: dict[str, Any]) -> httpx.Response:
        """Like the API: the others fill the survivor's empty fields, tags are joined, the others are deleted."""
        if not self.may_delete:
            return problem(403, "forbidden", "You may not delete the accounts merged in.")
        ids = json.loads(request.content)["merge_ids"]
        others = [a for a in self.accounts if a["id"] in ids and a["id"] != record["id"] and not a["deleted_at"]]
        if len(others) != len(ids):
            return invalid("merge_ids", "must be other accounts you can see")
        for other in others:
            for name, value in other.items():
                if name in ACCOUNT_DEFAULTS and record.get(name) in (None, []) and value not in (None, []):
                    record[name] = value
            record["tags"] = list(dict.fromkeys([*record["tags"], *other["tags"]]))
            other["deleted_at"] = self.tick()
        self.record_change(record["id"], "merged", {})
        return httpx.Response(200, json=self.shape(record, "record"))

    def _timeline(self, request: httpx.Request, record: dict[str, Any]) -> httpx.Response:
        """The account's activities and the changes of it and its contacts (a contact's: its own), newest first; the
        cursor is an offset."""
        if not self.may_read_timeline:
            return problem(403, "forbidden")
        is_contact = "kind" not in record  # a contact's own timeline: its activities and its changes
        contacts = set() if is_contact else {c["id"] for c in self.contacts if c["account_id"] == record["id"]}
        items = [
            {"type": "activity", "id": a["id"], "at": a["occurred_at"], "activity": a, "files": self.briefs(a["id"])}
            for a in self.activities
            if a["contact_id" if is_contact else "account_id"] == record["id"]
        ]
        for change in self.changes:
            if change["record_id"] == record["id"] or change["record_id"] in contacts:
                items.append(
                    {
                        "type": "change",
                        "id": change["id"],
                        "at": change["occurred_at"],
                        "action": change["action"],
                        "actor_id": change["actor_id"],
                        "record_type": "contact" if is_contact or change["record_id"] in contacts else "account",
                        "record_id": change["record_id"],
                        "changes": {k: v for k, v in change["changes"].items() if k not in self.hidden},
                    }
                )
        items.sort(key=lambda item: (item["at"], item["id"]), reverse=True)
        start = int(request.url.params.get("cursor") or 0)
        limit = int(request.url.params.get("limit", 50))
        body: dict[str, Any] = {"items": items[start : start + limit]}
        if start + limit < len(items):
            body["next_cursor"] = str(start + limit)
        return httpx.Response(200, json=body)

    def _team(self, request: httpx.Request, record: dict[str, Any], member_id: str | None) -> httpx.Response:
        team = self.team.setdefault(record["id"], [])
        if request.method == "GET":
            return httpx.Response(200, json=team)
        if not self.may_manage_team:
            return problem(403, "forbidden", "Only the owner and those above them may change who works on this.")
        if request.method == "DELETE":
            kept = [m for m in team if m["member_id"] != member_id]
            if len(kept) == len(team):
                return problem(404, "not-found")
            self.team[record["id"]] = kept
            return httpx.Response(204)
        body = json.loads(request.content)
        person = next((m for m in self.admin.members if m["id"] == member_id and m["status"] == "active"), None)
        if person is None:
            return invalid("member_id", "is not an active member of this workspace")
        if body.get("expires_at") and dt.datetime.fromisoformat(body["expires_at"]) <= self.clock:
            return invalid("expires_at", "must be a future time with a time zone")
        team[:] = [m for m in team if m["member_id"] != member_id]
        team.append(
            {"member_id": member_id, "name": person["name"], "access": body["access"], "expires_at": body["expires_at"]}
        )
        return httpx.Response(204)

    def _export(self, records: list[dict[str, Any]]) -> httpx.Response:
        if not self.may_export:
            return problem(403, "forbidden", "Your role may not export.")
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["id", "name"])
        for record in records:
            writer.writerow([record["id"], record["name"]])
        return httpx.Response(
            200,
            content=("\ufeff" + out.getvalue()).encode(),
            headers={"content-type": "text/csv; charset=utf-8", "content-disposition": 'attachment; filename="x.csv"'},
        )

    def _search(self, request: httpx.Request) -> httpx.Response:
        query = request.url.params.get("q", "").strip()
        if not query or not any(ch.isalnum() for ch in query):
            return invalid("q", "must contain letters, Chinese characters or digits")
        hits = []
        for kind, records in (("account", self.accounts), ("contact", self.contacts)):
            for record in records:
                if record["deleted_at"] or not self._matches(record, query):
                    continue
                digits = "".join(ch for ch in query if ch.isdigit())
                phone_field = "phone" if kind == "account" else "phones"
                phones = record.get("phones") or [record.get("phone") or ""]
                by_phone = len(digits) >= 4 and digits not in record["name"]
                hits.append(
                    {
                        "type": kind,
                        "id": record["id"],
                        "title": record["name"],
                        "subtitle": None,
                        "matched_field": phone_field if by_phone else "name",
                        "matched_value": phones[0] if by_phone else record["name"],
                        "account_id": record.get("account_id"),
                    }
                )
        return httpx.Response(200, json=hits[: int(request.url.params.get("limit", 20))])
