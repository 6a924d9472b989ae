"""The API's administration, invitation, token and password-reset endpoints, in memory, on top of FakeApi."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from guanxi.domain.access.fields import CONFIGURABLE, SENSITIVE

from tests.web.conftest import TOKEN, FakeApi, problem

NOW = dt.datetime(2025, 3, 14, 9, 30, tzinfo=dt.UTC)
INVITE_TOKEN = "inv-good-token"
RESET_TOKEN = "reset-good-token"


def _member(name: str, email: str, roles: list[str], status: str = "active", member_id: str = "") -> dict[str, Any]:
    return {
        "id": member_id or str(uuid.uuid4()),
        "name": name,
        "email": email,
        "status": status,
        "roles": roles,
        "department_id": None,
        "manager_id": None,
    }


@dataclass
class FakeAdmin:
    api: FakeApi
    members: list[dict[str, Any]] = field(default_factory=list)
    departments: list[dict[str, Any]] = field(default_factory=list)
    invitations: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    preview: dict[str, Any] = field(default_factory=dict)
    roles: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    role_holders: dict[str, int] = field(default_factory=dict)
    two_factor_on: bool = False
    forbidden: bool = False
    field_rules: dict[str, dict[str, dict[str, dict[str, str]]]] = field(default_factory=dict)
    refuse_fields: dict[str, str] | None = None  # the field error the next PUT of field rules gets
    # The workspace's custom fields, per module: custom.<key> -> label.
    custom_fields: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.members = [
            # A member's id is their user id, as in the API.
            _member(self.api.user["name"], self.api.user["email"], ["owner"], member_id=self.api.user["id"]),
            _member("李娜", "li.na@example.com", ["sales_rep"]),
            _member("王芳", "wang.fang@example.com", ["viewer"], status="deactivated"),
        ]
        sales = {"id": str(uuid.uuid4()), "name": "销售部", "parent_id": None, "head_id": self.members[0]["id"]}
        east = {"id": str(uuid.uuid4()), "name": "华东区", "parent_id": sales["id"], "head_id": None}
        self.departments = [east, sales]
        self.members[1]["department_id"] = east["id"]
        self.members[1]["manager_id"] = self.members[0]["id"]
        self.invitations = [
            {
                "id": str(uuid.uuid4()),
                "email": "chen.jie@example.com",
                "role": "manager",
                "status": "pending",
                "expires_at": (NOW + dt.timedelta(days=7)).isoformat(),
                "created_at": NOW.isoformat(),
            }
        ]
        self.audit = [
            {
                "id": str(uuid.uuid4()),
                "occurred_at": (NOW - dt.timedelta(minutes=n)).isoformat(),
                "actor_id": self.members[0]["id"],
                "actor_kind": "user",
                "action": action,
                "target_type": "member",
                "target_id": self.members[1]["id"],
                "ip": "203.0.113.7",
                "detail": {},
            }
            for n, action in enumerate(["member.updated", "invitation.created", "member.joined"])
        ]
        everything = {a: "all" for a in ("read", "create", "update", "delete", "export")}
        self.roles = [
            {"key": "owner", "name": "Owner", "builtin": True, "permissions": {"customers": everything}},
            {"key": "admin", "name": "Administrator", "builtin": True, "permissions": {"customers": everything}},
            {
                "key": "manager",
                "name": "Sales manager",
                "builtin": True,
                "permissions": {"customers": {"read": "department_tree", "create": "own", "delete": "subordinates"}},
            },
            {
                "key": "regional_lead",
                "name": "区域主管",
                "builtin": False,
                "permissions": {"deals": {"read": "department", "update": "own"}, "pool": {"read": "all"}},
            },
        ]
        self.role_holders = {"manager": 2}
        self.settings = {
            "company_name": "上海华强电子有限公司",
            "locale": "zh-Hans",
            "currency": "CNY",
            "timezone": "Asia/Shanghai",
            "audit_retention_days": 365,
            "require_two_factor": False,
        }
        self.preview = {
            "workspace_name": "上海华强电子有限公司",
            "email": "new.colleague@example.com",
            "role": "sales_rep",
            "invited_by": "张伟",
            "expires_at": (NOW + dt.timedelta(days=7)).isoformat(),
            "account_exists": False,
        }
        original = self.api._signed_in
        self.api._signed_in = lambda request: self.signed_in(request) or original(request)  # type: ignore[method-assign]
        for method, path in [
            ("GET", f"/api/v1/invitations/{INVITE_TOKEN}"),
            ("POST", "/api/v1/invitations/accept"),
            ("POST", "/api/v1/auth/password-reset"),
            ("POST", "/api/v1/auth/password-reset/confirm"),
        ]:
            self.api.overrides[(method, path)] = self.public

    def public(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.startswith("/api/v1/invitations/") and request.method == "GET":
            return httpx.Response(200, json=self.preview)
        body = json.loads(request.content or b"{}")
        if path == "/api/v1/invitations/accept":
            if body["token"] != INVITE_TOKEN:
                return problem(404, "invitation-invalid")
            signed_in = request.headers.get("authorization") == f"Bearer {TOKEN}"
            if not signed_in and self.preview["account_exists"]:
                return problem(409, "sign-in-required", "Sign in to accept.")
            if signed_in and self.api.user["email"] != self.preview["email"]:
                return problem(403, "forbidden", "This invitation is for another email.")
            if not signed_in and len(body.get("password") or "") < 10:
                return problem(
                    422,
                    "validation-error",
                    errors=[{"field": "password", "message": "must be at least 10 characters", "code": "too_short"}],
                )
            if not signed_in:
                self.api.user = {**self.api.user, "name": body["name"], "email": self.preview["email"]}
            return httpx.Response(200, json=self.api._session())
        if path == "/api/v1/auth/password-reset":
            return httpx.Response(202)
        if body.get("token") != RESET_TOKEN:
            return problem(
                422,
                "validation-error",
                errors=[
                    {"field": "token", "message": "this link is invalid, used or expired", "code": "invalid_token"}
                ],
            )
        if len(body.get("password") or "") < 10:
            return problem(
                422,
                "validation-error",
                errors=[{"field": "password", "message": "must be at least 10 characters", "code": "too_short"}],
            )
        return httpx.Response(200, json=self.api.user)

    def signed_in(self, request: httpx.Request) -> httpx.Response | None:
        path, method = request.url.path, request.method
        if path.startswith("/api/v1/admin/") and self.forbidden:
            return problem(403, "forbidden", "Your role may not do this.")
        if (method, path) == ("GET", "/api/v1/admin/members"):
            return httpx.Response(200, json=self.members)
        if (method, path) == ("GET", "/api/v1/admin/departments"):
            return httpx.Response(200, json=self.departments)
        if (method, path) == ("POST", "/api/v1/admin/departments"):
            body = json.loads(request.content)
            if not body["name"].strip():
                return problem(
                    422, "validation-error", errors=[{"field": "name", "message": "required", "code": "required"}]
                )
            self.departments.append({"id": str(uuid.uuid4()), **body})
            return httpx.Response(201, json=self.departments[-1])
        if path.startswith("/api/v1/admin/members/"):
            return self._member_action(request)
        if path.startswith("/api/v1/admin/roles"):
            return self._role_action(request)
        if path == "/api/v1/admin/settings":
            return self._settings_action(request)
        if (method, path) == ("GET", "/api/v1/admin/invitations"):
            return httpx.Response(200, json=self.invitations)
        if (method, path) == ("POST", "/api/v1/admin/invitations"):
            body = json.loads(request.content)
            if "@" not in body["email"]:
                return problem(
                    422,
                    "validation-error",
                    errors=[{"field": "email", "message": "is not a valid email", "code": "invalid_email"}],
                )
            invitation = {
                "id": str(uuid.uuid4()),
                "status": "pending",
                "expires_at": (NOW + dt.timedelta(days=7)).isoformat(),
                "created_at": NOW.isoformat(),
                **body,
            }
            self.invitations.append(invitation)
            return httpx.Response(201, json=invitation)
        if path.startswith("/api/v1/admin/invitations/"):
            invitation_id = path.split("/")[5]
            found = next((i for i in self.invitations if i["id"] == invitation_id), None)
            if found is None:
                return problem(404, "not-found")
            found["status"] = "revoked" if method == "DELETE" else "pending"
            return httpx.Response(204) if method == "DELETE" else httpx.Response(200, json=found)
        if (method, path) == ("GET", "/api/v1/admin/audit"):
            action = request.url.params.get("action")
            items = [e for e in self.audit if not action or e["action"] == action]
            if request.url.params.get("cursor"):
                return httpx.Response(200, json={"items": items[2:], "next_cursor": None})
            return httpx.Response(200, json={"items": items[:2], "next_cursor": "c2" if len(items) > 2 else None})
        if (method, path) == ("GET", "/api/v1/admin/audit.csv"):
            rows = "occurred_at,action\n" + "".join(f"{e['occurred_at']},{e['action']}\n" for e in self.audit)
            return httpx.Response(
                200,
                content=rows.encode(),
                headers={"content-type": "text/csv", "content-disposition": 'attachment; filename="audit-log.csv"'},
            )
        if (method, path) == ("GET", "/api/v1/tokens"):
            return httpx.Response(200, json=self.tokens)
        if (method, path) == ("POST", "/api/v1/tokens"):
            body = json.loads(request.content)
            details = {
                "id": str(uuid.uuid4()),
                "name": body["name"],
                "prefix": "gxt_ab12",
                "scopes": body["scopes"],
                "created_at": NOW.isoformat(),
                "expires_at": None,
                "last_used_at": None,
                "last_used_ip": None,
                "revoked": False,
            }
            self.tokens.append(details)
            return httpx.Response(201, json={"token": "gxt_ab12-the-whole-secret-value", "details": details})
        if method == "DELETE" and path.startswith("/api/v1/tokens/"):
            for token in self.tokens:
                if token["id"] == path.rsplit("/", 1)[-1]:
                    token["revoked"] = True
            return httpx.Response(204)
        return None

    def _member_action(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/")
        member = next((m for m in self.members if m["id"] == parts[5]), None)
        if member is None:
            return problem(404, "not-found")
        action = parts[6] if len(parts) > 6 else ""
        if action == "deactivate":
            member["status"] = "deactivated"
            return httpx.Response(200, json=member)
        if action == "hand-over":
            return httpx.Response(200, json={"moved": {"customers": 3, "deals": 2}})
        body = json.loads(request.content)
        if body.get("manager_id") == member["id"]:
            return problem(
                422,
                "validation-error",
                errors=[{"field": "manager_id", "message": "a member cannot manage themselves", "code": "invalid"}],
            )
        member.update(body)
        return httpx.Response(200, json=member)

    def _role_action(self, request: httpx.Request) -> httpx.Response:
        method, parts = request.method, request.url.path.split("/")
        if len(parts) == 5:  # /api/v1/admin/roles
            if method == "GET":
                return httpx.Response(200, json=self.roles)
            body = json.loads(request.content)
            bad = _bad_scopes(body["permissions"])
            if bad:
                return problem(422, "validation-error", errors=bad)
            role = {"key": f"custom_{len(self.roles)}", "name": body["name"], "builtin": False, **body}
            self.roles.append(role)
            return httpx.Response(201, json=role)
        role = next((r for r in self.roles if r["key"] == parts[5]), None)
        if role is None:
            return problem(404, "not-found")
        if len(parts) == 7 and parts[6] == "fields":
            return self._field_rules(request, role)
        if method == "DELETE":
            if role["builtin"]:
                return problem(403, "forbidden", "Built-in roles cannot be deleted.")
            if self.role_holders.get(role["key"]):
                return problem(409, "role-in-use", "2 member(s) still have this role.")
            self.roles.remove(role)
            return httpx.Response(204)
        if role["key"] == "owner":
            return problem(403, "forbidden", "The owner role cannot be changed.")
        body = json.loads(request.content)
        bad = _bad_scopes(body["permissions"])
        if bad:
            return problem(422, "validation-error", errors=bad)
        role["permissions"] = body["permissions"]
        return httpx.Response(200, json=role)

    def _field_rules(self, request: httpx.Request, role: dict[str, Any]) -> httpx.Response:
        if request.method == "PUT":
            if role["key"] == "owner":
                return problem(403, "forbidden", "The owner role cannot be changed.")
            if self.refuse_fields:
                return problem(422, "validation-error", errors=[self.refuse_fields])
            sent = json.loads(request.content)["fields"]
            self.field_rules[role["key"]] = {
                module: {
                    name: {"access": rule.get("access", "edit"), "mask": rule.get("mask", "none")}
                    for name, rule in fields.items()
                    if (rule.get("access", "edit"), rule.get("mask", "none")) != ("edit", "none")
                }
                for module, fields in sent.items()
            }
        body = {
            "fields": self.field_rules.get(role["key"], {}),
            "configurable": {
                module: [*names, *self.custom_fields.get(module, {})] for module, names in CONFIGURABLE.items()
            },
            "maskable": {module: list(names) for module, names in SENSITIVE.items()},
            "labels": {module: dict(self.custom_fields.get(module, {})) for module in CONFIGURABLE},
        }
        return httpx.Response(200, json=body)

    def _settings_action(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=self.settings)
        body = json.loads(request.content)
        days = body.get("audit_retention_days")
        if days is not None and not 30 <= days <= 3650:
            return problem(
                422,
                "validation-error",
                errors=[{"field": "audit_retention_days", "message": "must be between 30 and 3650", "code": "range"}],
            )
        if body.get("require_two_factor") and not self.two_factor_on:
            return problem(409, "two-factor-not-enabled", "Turn on two-factor sign-in for yourself first.")
        self.settings.update({k: v for k, v in body.items() if v is not None})
        return httpx.Response(200, json=self.settings)


def _bad_scopes(permissions: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    scopes = {"none", "shared", "own", "subordinates", "department", "department_tree", "all"}
    return [
        {"field": f"permissions.{module}.{action}", "message": "scope is not allowed here", "code": "invalid"}
        for module, actions in permissions.items()
        for action, scope in actions.items()
        if scope not in scopes or (module == "audit" and scope == "shared")
    ]
