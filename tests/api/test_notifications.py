"""The notification centre API: a member lists, counts and marks only their own notifications, keyset pages
newest first without a query per row, chooses per kind how they hear of it, and bad input is refused by name."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from guanxi.db.tenancy import tenant_session
from guanxi.domain.notifications.service import notify

from tests.api.test_admin import join
from tests.api.test_customers import counted_sql
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for
from tests.domain.notifications.test_notify import PROBE


async def raise_for(owner: dict[str, Any], user_ids: list[str], count: int, prefix: str = "k") -> None:
    job = await job_for(owner["workspace"]["id"])
    async with tenant_session(job.scope) as session:
        for n in range(count):
            params = {"account": f"华强 {n} 🚀", "days": n}
            recipients = [uuid.UUID(u) for u in user_ids]
            await notify(session, job.scope, PROBE.key, recipients, params, link=f"/accounts/{n}", key=f"{prefix}{n}")
        await session.commit()


async def test_a_member_lists_counts_and_marks_only_their_own_notifications(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    await raise_for(owner, [owner["user"]["id"], rep["user"]["id"]], 5)
    count = await client.get("/api/v1/notifications/unread-count", headers=bearer(rep))
    assert count.status_code == 200 and count.json() == {"unread": 5}

    first = await client.get("/api/v1/notifications?limit=2", headers=bearer(rep))
    assert first.status_code == 200, first.text
    page = first.json()
    assert [i["title"] for i in page["items"]] == ["华强 4 🚀 needs a call", "华强 3 🚀 needs a call"]
    assert page["items"][0]["link"] == "/accounts/4" and page["items"][0]["read_at"] is None
    seen = [i["id"] for i in page["items"]]
    while page["next_cursor"]:
        page = (
            await client.get(f"/api/v1/notifications?limit=2&cursor={page['next_cursor']}", headers=bearer(rep))
        ).json()
        seen += [i["id"] for i in page["items"]]
    assert len(seen) == len(set(seen)) == 5

    theirs = (await client.get("/api/v1/notifications", headers=bearer(owner))).json()["items"][0]["id"]
    assert (await client.post(f"/api/v1/notifications/{theirs}/read", headers=bearer(rep))).status_code == 404
    read = await client.post(f"/api/v1/notifications/{seen[0]}/read", headers=bearer(rep))
    assert read.status_code == 200 and read.json()["read_at"] is not None
    again = await client.post(f"/api/v1/notifications/{seen[0]}/read", headers=bearer(rep))
    assert again.json()["read_at"] == read.json()["read_at"]  # the first read time stays
    assert (await client.get("/api/v1/notifications/unread-count", headers=bearer(rep))).json() == {"unread": 4}
    unread = (await client.get("/api/v1/notifications?unread=true", headers=bearer(rep))).json()["items"]
    assert seen[0] not in [i["id"] for i in unread] and len(unread) == 4

    marked = await client.post("/api/v1/notifications/read-all", headers=bearer(rep))
    assert marked.status_code == 200 and marked.json() == {"marked": 4}
    assert (await client.get("/api/v1/notifications/unread-count", headers=bearer(rep))).json() == {"unread": 0}
    assert (await client.get("/api/v1/notifications/unread-count", headers=bearer(owner))).json() == {"unread": 5}

    stranger = await signed_up(client)
    assert (await client.post(f"/api/v1/notifications/{seen[1]}/read", headers=bearer(stranger))).status_code == 404
    assert (await client.get("/api/v1/notifications", headers=bearer(stranger))).json()["items"] == []
    assert (await client.get("/api/v1/notifications/unread-count", headers=bearer(stranger))).json() == {"unread": 0}
    assert (await client.get("/api/v1/notifications")).status_code == 401
    assert (await client.post(f"/api/v1/notifications/{uuid.uuid4()}/read", headers=bearer(rep))).status_code == 404


async def test_the_list_takes_the_same_queries_for_two_rows_or_twenty(client: Any) -> None:
    owner = await signed_up(client)
    await raise_for(owner, [owner["user"]["id"]], 2)
    with counted_sql() as few:
        assert len((await client.get("/api/v1/notifications", headers=bearer(owner))).json()["items"]) == 2
    await raise_for(owner, [owner["user"]["id"]], 20, prefix="more")
    with counted_sql() as many:
        assert len((await client.get("/api/v1/notifications", headers=bearer(owner))).json()["items"]) == 22
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("query", "field"),
    [("cursor=not-a-cursor", "cursor"), ("limit=0", "limit"), ("limit=201", "limit"), ("unread=maybe", "unread")],
)
async def test_bad_list_parameters_are_refused_by_name(client: Any, query: str, field: str) -> None:
    owner = await signed_up(client)
    answer = await client.get(f"/api/v1/notifications?{query}", headers=bearer(owner))
    assert answer.status_code in (400, 422), answer.text
    assert field in answer.text


async def test_preferences_default_to_the_kind_and_change_per_kind(client: Any) -> None:
    owner = await signed_up(client)
    listed = await client.get("/api/v1/me/notification-preferences", headers=bearer(owner))
    assert listed.status_code == 200
    assert {"kind": PROBE.key, "in_app": True, "email": "instant"} in listed.json()
    body = {"items": [{"kind": PROBE.key, "in_app": False, "email": "digest"}]}
    changed = await client.put("/api/v1/me/notification-preferences", json=body, headers=bearer(owner))
    assert changed.status_code == 200, changed.text
    assert {"kind": PROBE.key, "in_app": False, "email": "digest"} in changed.json()
    rep = await join(client, owner, "sales_rep")
    theirs = (await client.get("/api/v1/me/notification-preferences", headers=bearer(rep))).json()
    assert {"kind": PROBE.key, "in_app": True, "email": "instant"} in theirs  # one member's choice is theirs alone

    await raise_for(owner, [owner["user"]["id"]], 1)  # not in the app any more: only in the digest
    assert (await client.get("/api/v1/notifications/unread-count", headers=bearer(owner))).json() == {"unread": 0}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": [{"kind": "no.such", "in_app": True, "email": "none"}]}, "items[0].kind"),
        ({"items": [{"kind": "probe.alert", "in_app": True, "email": "weekly"}]}, "items[0].email"),
        ({"items": [{"kind": "probe.alert", "in_app": "yes", "email": "none"}]}, "items[0].in_app"),
        ({"items": [{"kind": "'; DROP TABLE notifications; --", "in_app": True, "email": "none"}]}, "items[0].kind"),
        ({"items": [{"kind": "通知 🚀", "in_app": True, "email": "none"}]}, "items[0].kind"),
        ({"items": [{"kind": "probe.alert", "in_app": True}]}, "email"),
        ({"items": "all"}, "items"),
        ({}, "items"),
    ],
)
async def test_bad_preferences_are_refused_by_name_and_nothing_is_saved(
    client: Any, body: dict[str, Any], field: str
) -> None:
    owner = await signed_up(client)
    answer = await client.put("/api/v1/me/notification-preferences", json=body, headers=bearer(owner))
    assert answer.status_code == 422, answer.text
    assert field in [e["field"] for e in answer.json()["errors"]] or field in answer.json()["detail"]
    listed = (await client.get("/api/v1/me/notification-preferences", headers=bearer(owner))).json()
    assert {"kind": PROBE.key, "in_app": True, "email": "instant"} in listed


async def test_a_malformed_preferences_body_is_a_400(client: Any) -> None:
    owner = await signed_up(client)
    headers = {**bearer(owner), "content-type": "application/json"}
    answer = await client.put("/api/v1/me/notification-preferences", content=b"{not json", headers=headers)
    assert answer.status_code == 400
