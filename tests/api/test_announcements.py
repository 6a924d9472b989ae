"""Announcements: administrators publish to everyone or to departments, each member sees only those addressed
to them, opening one leaves one read receipt, the author sees who has read and who not, the audience is
notified once; bad input is refused by name with nothing written; another workspace's are 404."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.test_admin import join
from tests.api.test_customers import counted_sql
from tests.conftest import bearer, signed_up


async def department(client: Any, owner: dict[str, Any], name: str, *members: dict[str, Any]) -> str:
    made = await client.post("/api/v1/admin/departments", json={"name": name}, headers=bearer(owner))
    assert made.status_code == 201, made.text
    for member in members:
        moved = await client.patch(
            f"/api/v1/admin/members/{member['user']['id']}", json={"department_id": made.json()["id"]},
            headers=bearer(owner),
        )  # fmt: skip
        assert moved.status_code == 200, moved.text
    return str(made.json()["id"])


async def publish(client: Any, who: dict[str, Any], **body: Any) -> dict[str, Any]:
    answer = await client.post("/api/v1/announcements", json=body, headers=bearer(who))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def titles(client: Any, who: dict[str, Any], query: str = "") -> list[str]:
    answer = await client.get(f"/api/v1/announcements{query}", headers=bearer(who))
    assert answer.status_code == 200, answer.text
    return [item["title"] for item in answer.json()["items"]]


async def test_announcements_reach_their_audience_with_read_receipts(client: Any) -> None:
    owner = await signed_up(client)
    east, west = await join(client, owner, "sales_rep"), await join(client, owner, "sales_rep")
    await department(client, owner, "华东销售部", east)
    west_dept = await department(client, owner, "West", west)

    everyone = await publish(client, owner, title="年终总结会 🎉", body="周五 15:00\n<b>全员</b> 参加")
    assert everyone["read"] is True and everyone["department_ids"] == [] and everyone["author_name"]
    westerly = await publish(client, owner, title="West only", department_ids=[west_dept], pinned=True)
    assert await titles(client, east) == ["年终总结会 🎉"]
    assert await titles(client, west) == ["West only", "年终总结会 🎉"]  # pinned first
    assert await titles(client, west, "?unread=true") == ["West only", "年终总结会 🎉"]
    hidden = await client.get(f"/api/v1/announcements/{westerly['id']}", headers=bearer(east))
    assert hidden.status_code == 404

    opened = await client.get(f"/api/v1/announcements/{everyone['id']}", headers=bearer(east))
    assert opened.status_code == 200 and opened.json()["read"] is True
    assert opened.json()["body"] == "周五 15:00\n<b>全员</b> 参加"  # plain text, kept as written
    await client.get(f"/api/v1/announcements/{everyone['id']}", headers=bearer(east))  # twice: one receipt
    assert await titles(client, east, "?unread=true") == []

    receipts = (await client.get(f"/api/v1/announcements/{everyone['id']}/receipts", headers=bearer(owner))).json()
    assert receipts["read_count"] == 1 and receipts["unread_count"] == 1
    assert [r["id"] for r in receipts["read"]] == [east["user"]["id"]] and receipts["read"][0]["read_at"]
    assert [r["id"] for r in receipts["unread"]] == [west["user"]["id"]]
    west_receipts = (await client.get(f"/api/v1/announcements/{westerly['id']}/receipts", headers=bearer(owner))).json()
    assert (west_receipts["read_count"], west_receipts["unread_count"]) == (0, 1)
    refused = await client.get(f"/api/v1/announcements/{everyone['id']}/receipts", headers=bearer(east))
    assert refused.status_code == 404  # a reader does not see the others' receipts

    # The audience was notified once each; the author not.
    def unread(who: dict[str, Any]) -> Any:
        return client.get("/api/v1/notifications?unread=true", headers=bearer(who))

    east_notes = (await unread(east)).json()["items"]
    assert [n["title"] for n in east_notes] == ["Announcement: 年终总结会 🎉"]
    assert (
        east_notes[0]["link"] == f"/announcements/{everyone['id']}"
        and east_notes[0]["body"] == "周五 15:00 <b>全员</b> 参加"
    )
    assert len((await unread(west)).json()["items"]) == 2 and (await unread(owner)).json()["items"] == []

    rep_publishes = await client.post("/api/v1/announcements", json={"title": "Mine"}, headers=bearer(east))
    assert rep_publishes.status_code == 403

    stranger = await signed_up(client)
    assert (await client.get(f"/api/v1/announcements/{everyone['id']}", headers=bearer(stranger))).status_code == 404
    assert (
        await client.get(f"/api/v1/announcements/{everyone['id']}/receipts", headers=bearer(stranger))
    ).status_code == 404
    assert await titles(client, stranger) == []
    assert (await client.get("/api/v1/announcements")).status_code == 401


async def test_the_feed_pages_without_a_query_per_row(client: Any) -> None:
    owner = await signed_up(client)
    for n in range(3):
        await publish(client, owner, title=f"Pinned {n}", pinned=True)
    for n in range(4):
        await publish(client, owner, title=f"News {n}")
    seen: list[str] = []
    cursor = ""
    with counted_sql() as statements:
        first = (await client.get("/api/v1/announcements?limit=2", headers=bearer(owner))).json()
    queries = len(statements)
    page = first
    while True:
        seen += [i["title"] for i in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
        page = (await client.get(f"/api/v1/announcements?limit=2&cursor={cursor}", headers=bearer(owner))).json()
    assert seen == ["Pinned 2", "Pinned 1", "Pinned 0", "News 3", "News 2", "News 1", "News 0"]
    with counted_sql() as statements:
        await client.get("/api/v1/announcements?limit=7", headers=bearer(owner))
    assert len(statements) == queries
    bad = await client.get("/api/v1/announcements?cursor=%%%", headers=bearer(owner))
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "标" * 201}, "title"),
        ({"title": "two\nlines"}, "title"),
        ({"title": "ok", "body": "x" * 20_001}, "body"),
        ({"title": "ok", "body": "bell \x07"}, "body"),
        ({"title": "ok", "department_ids": [str(uuid.uuid4())]}, "department_ids[0]"),
        ({"title": "ok", "department_ids": ["not-a-uuid"]}, "department_ids[0]"),
        ({"title": "ok", "pinned": "yes"}, "pinned"),
        ({"title": 5}, "title"),
        ({"body": "no title"}, "title"),
        ({"title": "ok", "audience": "all"}, "audience"),
    ],
)
async def test_bad_announcements_are_refused_by_name_and_nothing_is_published(
    client: Any, body: dict[str, Any], field: str
) -> None:
    owner = await signed_up(client)
    answer = await client.post("/api/v1/announcements", json=body, headers=bearer(owner))
    assert answer.status_code == 422, answer.text
    assert field in [e["field"] for e in answer.json()["errors"]], answer.text
    assert await titles(client, owner) == []


async def test_unicode_and_sql_looking_text_is_kept_as_written(client: Any) -> None:
    owner = await signed_up(client)
    text = "'; DROP TABLE announcements; -- שלום عربي 📣"
    made = await publish(client, owner, title=text, body=text)
    assert made["title"] == text and await titles(client, owner) == [text]
