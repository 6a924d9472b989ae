"""Activities: logged on an account the caller can see, seen with the account, changed within one's
scope; tasks done and reopened; the timeline merges activities with the change history of the account
and its contacts by one keyset; the calendar shows one's tasks and meetings; other tenants see nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_admin import join
from tests.api.test_customers import add_account, add_contact
from tests.conftest import bearer, signed_up


async def log(client: Any, who: dict[str, Any], **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/activities", json=fields, headers=bearer(who))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_a_call_is_logged_and_marks_the_customer_attended(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner, name="华强电子")
    contact = await add_contact(client, owner, account["id"])
    call = await log(
        client,
        owner,
        kind="call",
        account_id=account["id"],
        contact_id=contact["id"],
        subject="报价跟进 📞",
        direction="outbound",
        duration_seconds=185,
        outcome="connected",
        occurred_at="2026-11-26T10:15:00+08:00",
    )
    assert (call["kind"], call["duration_seconds"], call["owner_id"]) == ("call", 185, owner["user"]["id"])
    refreshed = (await client.get(f"/api/v1/accounts/{account['id']}", headers=bearer(owner))).json()
    assert refreshed["last_activity_at"].startswith("2026-11-26T02:15:00")
    listed = await client.get("/api/v1/activities", params={"account_id": account["id"]}, headers=bearer(owner))
    assert [a["subject"] for a in listed.json()["items"]] == ["报价跟进 📞"]


async def test_tasks_are_done_and_reopened_and_show_in_the_calendar(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    account = await add_account(client, rep, name="Acme")
    task = await log(
        client, rep, kind="task", account_id=account["id"], subject="Send the quote", due_at="2026-12-01T09:00:00Z"
    )
    meeting = await log(
        client,
        rep,
        kind="meeting",
        account_id=account["id"],
        subject="Kick-off",
        due_at="2026-12-02T06:00:00Z",
        ends_at="2026-12-02T07:00:00Z",
        location="上海",
    )
    week = {"start": "2026-11-30T00:00:00Z", "end": "2026-12-07T00:00:00Z"}
    mine = (await client.get("/api/v1/calendar", params=week, headers=bearer(rep))).json()
    assert [a["id"] for a in mine] == [task["id"], meeting["id"]]
    boss_view = await client.get(
        "/api/v1/calendar", params={**week, "owner_id": rep["user"]["id"]}, headers=bearer(owner)
    )
    assert len(boss_view.json()) == 2
    colleague = await join(client, owner, "sales_rep")
    peek = await client.get(
        "/api/v1/calendar", params={**week, "owner_id": rep["user"]["id"]}, headers=bearer(colleague)
    )
    assert peek.status_code == 403
    done = await client.post(f"/api/v1/activities/{task['id']}/done", headers=bearer(rep))
    assert done.json()["done_at"] is not None
    open_tasks = await client.get("/api/v1/activities", params={"open_tasks": "true"}, headers=bearer(rep))
    assert open_tasks.json()["items"] == []
    reopened = await client.post(f"/api/v1/activities/{task['id']}/done", params={"done": "false"}, headers=bearer(rep))
    assert reopened.json()["done_at"] is None
    not_a_task = await client.post(f"/api/v1/activities/{meeting['id']}/done", headers=bearer(rep))
    assert not_a_task.status_code == 422


async def test_activities_follow_the_account_and_changes_stay_within_scope(client: Any) -> None:
    owner = await signed_up(client)
    rep, helper = await join(client, owner, "sales_rep"), await join(client, owner, "sales_rep")
    account = await add_account(client, rep, name="Shared")
    note = await log(client, rep, kind="note", account_id=account["id"], subject="Likes tea")
    assert (await client.get(f"/api/v1/activities/{note['id']}", headers=bearer(helper))).status_code == 404
    await client.put(
        f"/api/v1/accounts/{account['id']}/collaborators/{helper['user']['id']}",
        json={"access": "read"},
        headers=bearer(rep),
    )
    assert (await client.get(f"/api/v1/activities/{note['id']}", headers=bearer(helper))).status_code == 200
    refused = await client.patch(f"/api/v1/activities/{note['id']}", json={"subject": "x"}, headers=bearer(helper))
    assert refused.status_code == 403
    assert (
        await client.delete(f"/api/v1/activities/{note['id']}", headers=bearer(rep))
    ).status_code == 403  # reps may not delete
    assert (await client.delete(f"/api/v1/activities/{note['id']}", headers=bearer(owner))).status_code == 204
    assert (await client.get(f"/api/v1/activities/{note['id']}", headers=bearer(rep))).status_code == 404
    outsider = await join(client, owner, "sales_rep")
    blocked = await client.post(
        "/api/v1/activities",
        json={"kind": "note", "account_id": account["id"], "subject": "x"},
        headers=bearer(outsider),
    )
    assert blocked.status_code == 422 and blocked.json()["errors"][0]["field"] == "account_id"


async def test_the_timeline_merges_activities_and_changes_by_one_keyset(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner, name="Timeline Co", heat="cold")
    contact = await add_contact(client, owner, account["id"], title="采购")
    await log(client, owner, kind="visit", account_id=account["id"], subject="上门拜访", location="深圳")
    await client.patch(f"/api/v1/accounts/{account['id']}", json={"heat": "hot"}, headers=bearer(owner))
    await client.patch(f"/api/v1/contacts/{contact['id']}", json={"title": "采购经理"}, headers=bearer(owner))
    await log(client, owner, kind="email", account_id=account["id"], subject="Quote sent", direction="outbound")
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (
            await client.get(f"/api/v1/accounts/{account['id']}/timeline", params=params, headers=bearer(owner))
        ).json()
        seen += page["items"]
        if not (cursor := page.get("next_cursor")):
            break
    kinds = [(i["type"], i.get("action") or i["activity"]["kind"]) for i in seen]
    assert kinds == [
        ("activity", "email"),
        ("change", "updated"),  # the contact's title
        ("change", "updated"),  # the account's heat
        ("activity", "visit"),
        ("change", "created"),  # the contact
        ("change", "created"),  # the account
    ]
    assert seen[1]["record_type"] == "contact" and seen[1]["changes"]["title"] == ["采购", "采购经理"]
    assert len({i["id"] for i in seen}) == 6


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "call", "subject": "x"}, "account_id"),
        ({"kind": "fax", "account_id": "ACCOUNT", "subject": "x"}, "kind"),
        ({"kind": "note", "account_id": "ACCOUNT", "subject": ""}, "subject"),
        ({"kind": "note", "account_id": "ACCOUNT", "subject": "x" * 201}, "subject"),
        ({"kind": "note", "account_id": "ACCOUNT", "subject": "x", "body": "y" * 20_001}, "body"),
        ({"kind": "task", "account_id": "ACCOUNT", "subject": "x"}, "due_at"),
        ({"kind": "call", "account_id": "ACCOUNT", "subject": "x", "duration_seconds": -5}, "duration_seconds"),
        (
            {"kind": "call", "account_id": "ACCOUNT", "subject": "x", "occurred_at": "2026-02-30T10:00:00Z"},
            "occurred_at",
        ),
        (
            {"kind": "call", "account_id": "ACCOUNT", "subject": "x", "occurred_at": "2026-11-26T10:00:00"},
            "occurred_at",
        ),
        ({"kind": "call", "account_id": "ACCOUNT", "subject": "x", "direction": "sideways"}, "direction"),
        (
            {
                "kind": "meeting",
                "account_id": "ACCOUNT",
                "subject": "x",
                "due_at": "2026-12-02T07:00:00Z",
                "ends_at": "2026-12-02T06:00:00Z",
            },
            "ends_at",
        ),
        (
            {
                "kind": "note",
                "account_id": "ACCOUNT",
                "subject": "x",
                "contact_id": "00000000-0000-7000-8000-000000000000",
            },
            "contact_id",
        ),
    ],
)
async def test_bad_activities_name_the_field(client: Any, body: dict[str, Any], field: str) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    payload = {k: account["id"] if v == "ACCOUNT" else v for k, v in body.items()}
    response = await client.post("/api/v1/activities", json=payload, headers=bearer(owner))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert (await client.get("/api/v1/activities", headers=bearer(owner))).json()["items"] == []


async def test_other_tenants_activities_timeline_and_calendar_are_out_of_reach(client: Any) -> None:
    mine, theirs = await signed_up(client), await signed_up(client)
    account = await add_account(client, theirs, name="Theirs")
    note = await log(client, theirs, kind="note", account_id=account["id"], subject="secret")
    for method, url in (
        ("GET", f"/api/v1/activities/{note['id']}"),
        ("PATCH", f"/api/v1/activities/{note['id']}"),
        ("DELETE", f"/api/v1/activities/{note['id']}"),
        ("POST", f"/api/v1/activities/{note['id']}/done"),
        ("GET", f"/api/v1/accounts/{account['id']}/timeline"),
    ):
        response = await client.request(
            method, url, json={"subject": "x"} if method == "PATCH" else None, headers=bearer(mine)
        )
        assert response.status_code == 404, (method, url)
    assert (await client.get("/api/v1/activities", headers=bearer(mine))).json()["items"] == []
    week = {"start": "2026-11-20T00:00:00Z", "end": "2026-12-20T00:00:00Z", "owner_id": theirs["user"]["id"]}
    assert (await client.get("/api/v1/calendar", params=week, headers=bearer(mine))).status_code == 422


async def place(client: Any, owner: dict[str, Any], who: dict[str, Any], department_id: str) -> None:
    response = await client.patch(
        f"/api/v1/admin/members/{who['user']['id']}", json={"department_id": department_id}, headers=bearer(owner)
    )
    assert response.status_code == 200, response.text


async def test_a_manager_opens_a_colleagues_or_the_departments_calendar_within_their_scope(client: Any) -> None:
    owner = await signed_up(client)
    sales = (await client.post("/api/v1/admin/departments", json={"name": "销售部"}, headers=bearer(owner))).json()
    east = (
        await client.post(
            "/api/v1/admin/departments", json={"name": "华东区", "parent_id": sales["id"]}, headers=bearer(owner)
        )
    ).json()
    service = (await client.post("/api/v1/admin/departments", json={"name": "客服部"}, headers=bearer(owner))).json()
    manager, rep, other_rep, agent = (
        await join(client, owner, "manager"),
        await join(client, owner, "sales_rep"),
        await join(client, owner, "sales_rep"),
        await join(client, owner, "sales_rep"),
    )
    await place(client, owner, manager, sales["id"])
    await place(client, owner, rep, east["id"])
    await place(client, owner, other_rep, east["id"])
    await place(client, owner, agent, service["id"])
    for who, subject in ((manager, "周会"), (rep, "报价"), (other_rep, "拜访"), (agent, "回访")):
        account = await add_account(client, who, name=f"{subject}客户")
        await log(client, who, kind="task", account_id=account["id"], subject=subject, due_at="2026-12-01T09:00:00Z")
    week = {"start": "2026-11-30T00:00:00Z", "end": "2026-12-07T00:00:00Z"}

    async def subjects(who: dict[str, Any], **params: str) -> Any:
        response = await client.get("/api/v1/calendar", params={**week, **params}, headers=bearer(who))
        return sorted(a["subject"] for a in response.json()) if response.status_code == 200 else response.status_code

    assert await subjects(manager, owner_id=rep["user"]["id"]) == ["报价"]
    assert await subjects(manager, department_id=sales["id"]) == ["周会", "报价", "拜访"]  # with 华东区 below it
    assert await subjects(manager, department_id=east["id"]) == ["报价", "拜访"]
    assert await subjects(manager, owner_id=agent["user"]["id"]) == 403  # another department
    assert await subjects(manager, department_id=service["id"]) == 403
    # A rep sees only their own, whichever department they ask for, and no colleague.
    assert await subjects(rep, department_id=east["id"]) == ["报价"]
    assert await subjects(rep, department_id=sales["id"]) == ["报价"]
    assert await subjects(rep, owner_id=other_rep["user"]["id"]) == 403
    assert await subjects(agent, department_id=east["id"]) == 403
    assert await subjects(owner, department_id=service["id"]) == ["回访"]

    people = (await client.get("/api/v1/calendar/people", headers=bearer(manager))).json()
    names = {m["id"] for m in people["members"]}
    assert names == {manager["user"]["id"], rep["user"]["id"], other_rep["user"]["id"]}
    assert {d["name"] for d in people["departments"]} == {"销售部", "华东区"}
    mine = (await client.get("/api/v1/calendar/people", headers=bearer(rep))).json()
    assert [m["id"] for m in mine["members"]] == [rep["user"]["id"]]
    assert {d["name"] for d in mine["departments"]} == {"销售部", "华东区"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"department_id": "not-a-uuid"}, "department_id"),
        ({"department_id": "'; DROP TABLE departments; --"}, "department_id"),
        ({"department_id": "00000000-0000-0000-0000-000000000000"}, "department_id"),
        (
            {
                "department_id": "00000000-0000-0000-0000-000000000000",
                "owner_id": "00000000-0000-0000-0000-000000000001",
            },
            "department_id",
        ),
        ({"owner_id": "华东区"}, "owner_id"),
        ({"start": "😀"}, "start"),
    ],
)
async def test_a_bad_calendar_query_names_the_parameter(client: Any, params: dict[str, str], field: str) -> None:
    owner = await signed_up(client)
    week = {"start": "2026-11-30T00:00:00Z", "end": "2026-12-07T00:00:00Z", **params}
    response = await client.get("/api/v1/calendar", params=week, headers=bearer(owner))
    assert response.status_code in (400, 422), response.text
    assert field in response.text


async def test_another_workspaces_department_and_people_are_out_of_reach(client: Any) -> None:
    mine, theirs = await signed_up(client), await signed_up(client)
    dept = (await client.post("/api/v1/admin/departments", json={"name": "Sales"}, headers=bearer(theirs))).json()
    week = {"start": "2026-11-30T00:00:00Z", "end": "2026-12-07T00:00:00Z", "department_id": dept["id"]}
    refused = await client.get("/api/v1/calendar", params=week, headers=bearer(mine))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "department_id"
    people = (await client.get("/api/v1/calendar/people", headers=bearer(mine))).json()
    assert [m["id"] for m in people["members"]] == [mine["user"]["id"]] and people["departments"] == []


async def test_a_contacts_timeline_holds_its_own_activities_and_changes_with_a_calls_recording(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner, name="Contact Timeline Co")
    wang = await add_contact(client, owner, account["id"], title="采购")
    li = await add_contact(client, owner, account["id"], title="财务")
    call = await log(client, owner, kind="call", account_id=account["id"], contact_id=wang["id"], subject="报价")
    await log(client, owner, kind="note", account_id=account["id"], contact_id=li["id"], subject="Li's note")
    await log(client, owner, kind="note", account_id=account["id"], subject="About the account")
    await client.patch(f"/api/v1/contacts/{wang['id']}", json={"title": "采购经理"}, headers=bearer(owner))
    await client.patch(f"/api/v1/contacts/{li['id']}", json={"title": "CFO"}, headers=bearer(owner))
    recording = await client.post(
        "/api/v1/attachments",
        params={"record_type": "activity", "record_id": call["id"]},
        files={"file": ("录音.mp3", b"ID3\x03\x00\x00\x00" + b"\x00" * 64)},
        headers=bearer(owner),
    )
    assert recording.status_code == 201, recording.text
    page = (await client.get(f"/api/v1/contacts/{wang['id']}/timeline", headers=bearer(owner))).json()
    shown = [(i["type"], i.get("action") or i["activity"]["subject"]) for i in page["items"]]
    assert shown == [("change", "updated"), ("activity", "报价"), ("change", "created")]
    assert page["items"][0]["changes"]["title"] == ["采购", "采购经理"]
    assert [(f["filename"], f["content_type"]) for f in page["items"][1]["files"]] == [("录音.mp3", "audio/mpeg")]
    first = (
        await client.get(f"/api/v1/contacts/{wang['id']}/timeline", params={"limit": 1}, headers=bearer(owner))
    ).json()
    rest = (
        await client.get(
            f"/api/v1/contacts/{wang['id']}/timeline",
            params={"limit": 5, "cursor": first["next_cursor"]},
            headers=bearer(owner),
        )
    ).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == [i["id"] for i in page["items"]]


async def test_a_contacts_timeline_is_out_of_reach_of_other_tenants_and_of_reps_who_cannot_see_it(
    client: Any,
) -> None:
    owner, outsider = await signed_up(client), await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    account = await add_account(client, owner, name="Private")
    contact = await add_contact(client, owner, account["id"])
    await log(client, owner, kind="note", account_id=account["id"], contact_id=contact["id"], subject="secret")
    url = f"/api/v1/contacts/{contact['id']}/timeline"
    assert (await client.get(url, headers=bearer(outsider))).status_code == 404
    assert (await client.get(url, headers=bearer(rep))).status_code == 404
    assert (await client.get(url, headers=bearer(owner))).status_code == 200
