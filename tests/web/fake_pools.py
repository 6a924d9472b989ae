"""The API's customer pools in memory, on top of FakeCustomers (whose accounts they hold, owner_id None).

Like the API a claim is all or nothing: an account no longer in the pool is a 409 ``already-claimed``, more than
the pool's daily limit a 409 ``claim-limit``; only administrators save settings, and rules are checked by field.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.web.conftest import problem
from tests.web.fake_customers import FakeCustomers

RULE_KINDS = {"no_follow_up", "no_open_deal", "not_won"}


def new_pool(name: str, **settings: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "name": name,
        "is_default": False,
        "daily_claim_limit": None,
        "owned_cap": None,
        "cap_counts_won": True,
        "locked_cap": None,
        "reclaim_cooldown_days": 0,
        "warn_days": 3,
        "recycle_won": False,
        "recycle_with_open_deal": False,
        "hide_contact_details": True,
        "members": [],
        "rules": [],
        "may_manage": True,
        **settings,
    }


@dataclass
class FakePools:
    crm: FakeCustomers
    pools: list[dict[str, Any]] = field(default_factory=list)
    claimed_today: int = 0
    is_admin: bool = True

    def __post_init__(self) -> None:
        self.pools.append(new_pool("公海", is_default=True))
        api = self.crm.admin.api
        original = api._signed_in
        api._signed_in = lambda request: self.signed_in(request) or original(request)  # type: ignore[method-assign]

    @property
    def default(self) -> dict[str, Any]:
        return self.pools[0]

    def put_in_pool(
        self, account: dict[str, Any], reason: str | None = None, pool: dict[str, Any] | None = None
    ) -> None:
        account.update(
            previous_owner_id=account["owner_id"], owner_id=None, return_reason=reason,
            returned_at="2026-05-18T02:00:00+00:00", pool_id=(pool or self.default)["id"],
        )  # fmt: skip

    def waiting(self, pool: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            a for a in self.crm.accounts
            if a["owner_id"] is None and (a.get("pool_id") or self.default["id"]) == pool["id"]
        ]  # fmt: skip

    def signed_in(self, request: httpx.Request) -> httpx.Response | None:
        parts = request.url.path.strip("/").split("/")  # api, v1, pools, <id>, claim
        if parts[2:3] != ["pools"]:
            return None
        if len(parts) == 3:
            if request.method == "GET":
                return httpx.Response(200, json=self.pools)
            return self._save(None, json.loads(request.content))
        pool = next((p for p in self.pools if p["id"] == parts[3]), None)
        if pool is None:
            return problem(404, "not-found", "Pool not found.")
        if len(parts) == 4:
            return (
                httpx.Response(200, json=pool)
                if request.method == "GET"
                else self._save(pool, json.loads(request.content))
            )
        if parts[4] == "accounts":
            q = request.url.params.get("q", "")
            items = [
                {key: a.get(key) for key in ("id", "name", "kind", "city", "heat", "grade", "tags", "industry",
                                             "previous_owner_id", "returned_at", "return_reason")}
                for a in self.waiting(pool) if q in a["name"]
            ]  # fmt: skip
            return httpx.Response(200, json={"items": items})
        body = json.loads(request.content)
        if parts[4] == "claim":
            return self._claim(pool, body["account_ids"], self.crm.me)
        if parts[4] == "assign":
            if not pool["may_manage"]:
                return problem(403, "forbidden", "Only an administrator of this pool may assign its accounts.")
            answer = self._claim(pool, body["account_ids"], body["owner_id"], count=False)
            return httpx.Response(204) if answer.status_code == 200 else answer
        return None

    def _claim(self, pool: dict[str, Any], ids: list[str], owner: str, count: bool = True) -> httpx.Response:
        waiting = {a["id"]: a for a in self.waiting(pool)}
        if any(i not in waiting for i in ids):
            return problem(409, "already-claimed", "not in this pool",
                           errors=[{"field": "account_ids", "message": "gone", "code": "already-claimed"}])  # fmt: skip
        limit = pool["daily_claim_limit"]
        if count and limit is not None and self.claimed_today + len(ids) > limit:
            return problem(409, "claim-limit", f"You may claim {limit} accounts a day from this pool.")
        for i in ids:
            waiting[i]["owner_id"] = owner
        if count:
            self.claimed_today += len(ids)
        left = None if limit is None else limit - self.claimed_today
        return httpx.Response(200, json={"claimed": ids, "claims_left_today": left})

    def _save(self, pool: dict[str, Any] | None, body: dict[str, Any]) -> httpx.Response:
        if not self.is_admin:
            return problem(403, "forbidden", "Only a workspace administrator may set up pools.")
        errors = []
        if not str(body.get("name", "")).strip():
            errors.append({"field": "name", "message": "must not be blank", "code": "required"})
        for index, rule in enumerate(body.get("rules", [])):
            if rule["kind"] not in RULE_KINDS:
                errors.append({"field": f"rules[{index}].kind", "message": "unknown rule", "code": "invalid"})
        if errors:
            return problem(422, "validation-error", "invalid", errors=errors)
        if any(p["name"] == body["name"] and p is not pool for p in self.pools):
            taken = {"field": "name", "message": "another pool has this name", "code": "duplicate"}
            return problem(409, "duplicate", "another pool has this name", errors=[taken])
        if pool is None:
            pool = new_pool(body["name"])
            self.pools.append(pool)
        members = [{"member_id": None, "department_id": None, **m} for m in body.pop("members", [])]
        pool.update({**body, "members": members})
        return httpx.Response(201 if len(self.pools) and pool is self.pools[-1] else 200, json=pool)
