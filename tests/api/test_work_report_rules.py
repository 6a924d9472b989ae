"""Submission rules for work reports: administrators add, change and remove them (others get 403, another
workspace 404), bad input is refused by field name; readers see who in their scope was asked for a report of the
period and has not submitted it, in one statement however many members there are."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.api.test_admin import join
from tests.api.test_customers import counted_sql
from tests.conftest import bearer, signed_up

MONDAY, SATURDAY = "2026-11-23", "2026-11-28"


def rule_body(**changes: Any) -> dict[str, Any]:
    return {"name": "销售部日报 📝", "kind": "daily", "weekdays": ["mon", "tue", "wed", "thu", "fri"],
            "deadline": "18:00", "remind_minutes": 60, **changes}  # fmt: skip


async def add_rule(client: Any, who: dict[str, Any], **changes: Any) -> dict[str, Any]:
    answer = await client.post("/api/v1/work-reports/rules", json=rule_body(**changes), headers=bearer(who))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def department(client: Any, owner: dict[str, Any], name: str, *members: dict[str, Any]) -> str:
    made = await client.post("/api/v1/admin/departments", json={"name": name}, headers=bearer(owner))
    assert made.status_code == 201, made.text
    for member in members:
        moved = await client.patch(f"/api/v1/admin/members/{member['user']['id']}",
                                   json={"department_id": made.json()["id"]}, headers=bearer(owner))  # fmt: skip
        assert moved.status_code == 200, moved.text
    return str(made.json()["id"])


async def submit(client: Any, who: dict[str, Any], kind: str, day: str) -> None:
    sent = await client.put("/api/v1/work-reports", json={"kind": kind, "date": day, "summary": "做完了"},
                            headers=bearer(who))  # fmt: skip
    assert sent.status_code == 200, sent.text


async def missing(client: Any, who: dict[str, Any], kind: str, day: str) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/work-reports/missing?kind={kind}&date={day}", headers=bearer(who))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def ids(answer: dict[str, Any]) -> set[str]:
    return {m["id"] for m in answer["missing"]}


async def test_an_admin_adds_changes_and_removes_rules(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    sales = await department(client, owner, "华东销售部")
    made = await add_rule(client, owner, name="  שלום 日报 🚀 ", audience="departments", department_ids=[sales, sales])
    assert made["name"] == "שלום 日报 🚀" and made["department_ids"] == [sales] and made["member_ids"] == []
    assert made["weekdays"] == ["mon", "tue", "wed", "thu", "fri"] and made["deadline"] == "18:00"
    assert made["enabled"] is True and made["due_weekday"] is None
    weekly = await add_rule(client, owner, name="周报", kind="weekly", weekdays=[], due_weekday="fri",
                            audience="members", member_ids=[rep["user"]["id"]], deadline="17:30")  # fmt: skip
    assert weekly["due_weekday"] == "fri" and weekly["member_ids"] == [rep["user"]["id"]]
    monthly = await add_rule(client, owner, name="月报", kind="monthly", day_of_month=None, remind_minutes=0)
    assert monthly["day_of_month"] is None and monthly["audience"] == "everyone" and monthly["weekdays"] == []

    listed = (await client.get("/api/v1/work-reports/rules", headers=bearer(rep))).json()
    assert {r["id"] for r in listed} == {made["id"], weekly["id"], monthly["id"]}  # members read their duties
    changed = await client.put(f"/api/v1/work-reports/rules/{made['id']}",
                               json=rule_body(weekdays=["sat", "sun"], deadline="9:05", enabled=False),
                               headers=bearer(owner))  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["weekdays"] == ["sat", "sun"] and changed.json()["deadline"] == "09:05"
    assert changed.json()["enabled"] is False and changed.json()["audience"] == "everyone"
    shown = await client.get(f"/api/v1/work-reports/rules/{made['id']}", headers=bearer(owner))
    assert shown.json()["weekdays"] == ["sat", "sun"]
    assert (await client.delete(f"/api/v1/work-reports/rules/{made['id']}", headers=bearer(owner))).status_code == 204
    assert (await client.get(f"/api/v1/work-reports/rules/{made['id']}", headers=bearer(owner))).status_code == 404
    assert (await client.delete(f"/api/v1/work-reports/rules/{made['id']}", headers=bearer(owner))).status_code == 404
    trail = (await client.get("/api/v1/admin/audit", headers=bearer(owner))).json()
    actions = [e["action"] for e in trail["items"] if e["target_id"] == made["id"]]
    assert sorted(actions) == ["work_report_rule.changed", "work_report_rule.created", "work_report_rule.deleted"]


async def test_only_administrators_write_rules_and_another_workspace_cannot_reach_them(client: Any) -> None:
    owner = await signed_up(client)
    rep, manager = await join(client, owner, "sales_rep"), await join(client, owner, "manager")
    made = await add_rule(client, owner)
    for who in (rep, manager):
        for method, path, body in (
            ("POST", "/api/v1/work-reports/rules", rule_body()),
            ("PUT", f"/api/v1/work-reports/rules/{made['id']}", rule_body(name="x")),
            ("DELETE", f"/api/v1/work-reports/rules/{made['id']}", None),
        ):
            refused = await client.request(method, path, json=body, headers=bearer(who))
            assert refused.status_code == 403, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["type"].endswith("forbidden")
    assert (await client.get(f"/api/v1/work-reports/rules/{made['id']}", headers=bearer(owner))).json()["name"] == (
        "销售部日报 📝"
    )

    stranger = await signed_up(client)
    path = f"/api/v1/work-reports/rules/{made['id']}"
    assert (await client.get(path, headers=bearer(stranger))).status_code == 404
    assert (await client.put(path, json=rule_body(name="taken"), headers=bearer(stranger))).status_code == 404
    assert (await client.delete(path, headers=bearer(stranger))).status_code == 404
    assert (await client.get("/api/v1/work-reports/rules", headers=bearer(stranger))).json() == []
    assert (await client.get(path, headers=bearer(owner))).json()["name"] == "销售部日报 📝"
    foreign = await department(client, stranger, "别家的部门")
    theirs = await client.post("/api/v1/work-reports/rules", json=rule_body(audience="departments",
                               department_ids=[foreign]), headers=bearer(owner))  # fmt: skip
    assert theirs.status_code == 422 and theirs.json()["errors"][0]["field"] == "department_ids[0]"
    outsider = await client.post("/api/v1/work-reports/rules", json=rule_body(audience="members",
                                 member_ids=[stranger["user"]["id"]]), headers=bearer(owner))  # fmt: skip
    assert outsider.status_code == 422 and outsider.json()["errors"][0]["field"] == "member_ids[0]"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weekdays": ["mon", "funday"]}, "weekdays"),
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": "mon"}, "weekdays"),
        ({"kind": "weekly", "weekdays": [], "due_weekday": None}, "due_weekday"),
        ({"kind": "weekly", "due_weekday": "someday"}, "due_weekday"),
        ({"kind": "monthly", "day_of_month": 32}, "day_of_month"),
        ({"kind": "monthly", "day_of_month": 0}, "day_of_month"),
        ({"kind": "monthly", "day_of_month": "last"}, "day_of_month"),
        ({"kind": "yearly"}, "kind"),
        ({"remind_minutes": -5}, "remind_minutes"),
        ({"remind_minutes": 1441}, "remind_minutes"),
        ({"remind_minutes": "an hour"}, "remind_minutes"),
        ({"remind_minutes": 60.5}, "remind_minutes"),
        ({"deadline": "25:00"}, "deadline"),
        ({"deadline": "六点"}, "deadline"),
        ({"deadline": 18}, "deadline"),
        ({"name": "   "}, "name"),
        ({"name": "名" * 101}, "name"),
        ({"name": "bell \x07"}, "name"),
        ({"audience": "departments", "department_ids": []}, "department_ids"),
        ({"audience": "members", "member_ids": []}, "member_ids"),
        ({"audience": "members", "member_ids": ["not-a-uuid"]}, "member_ids"),
        ({"audience": "somebody"}, "audience"),
        ({"enabled": "yes"}, "enabled"),
        ({"owner_id": "x"}, "owner_id"),
    ],
)
async def test_bad_rules_are_refused_by_field_and_nothing_is_written(
    client: Any, changes: dict[str, Any], field: str
) -> None:
    owner = await signed_up(client)
    answer = await client.post("/api/v1/work-reports/rules", json=rule_body(**changes), headers=bearer(owner))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert any(e["field"].startswith(field) for e in answer.json()["errors"]), answer.text
    assert (await client.get("/api/v1/work-reports/rules", headers=bearer(owner))).json() == []


async def test_readers_see_who_in_their_scope_has_not_submitted(client: Any) -> None:
    owner = await signed_up(client)
    manager, rep = await join(client, owner, "manager"), await join(client, owner, "sales_rep")
    other = await join(client, owner, "sales_rep")
    sales = await department(client, owner, "华东销售部", manager, rep)
    await department(client, owner, "华南销售部", other)
    await add_rule(client, owner)  # everyone, Monday to Friday
    await add_rule(client, owner, name="周报", kind="weekly", weekdays=[], due_weekday="fri",
                   audience="departments", department_ids=[sales])  # fmt: skip
    await submit(client, rep, "daily", MONDAY)

    everyone = await missing(client, owner, "daily", MONDAY)
    assert (everyone["required"], everyone["submitted"]) == (4, 1)
    assert ids(everyone) == {owner["user"]["id"], manager["user"]["id"], other["user"]["id"]}
    assert everyone["period_start"] == MONDAY and everyone["period_end"] == "2026-11-24"
    [row] = [m for m in everyone["missing"] if m["id"] == manager["user"]["id"]]
    assert row["department_name"] == "华东销售部" and row["department_id"] == sales
    team = await missing(client, manager, "daily", MONDAY)
    assert ids(team) == {manager["user"]["id"]} and team["required"] == 2  # the manager's department only
    assert ids(await missing(client, rep, "daily", MONDAY)) == set()  # submitted; sees nobody else's
    alone = await missing(client, other, "daily", MONDAY)
    assert ids(alone) == {other["user"]["id"]} and alone["required"] == 1
    weekend = await missing(client, owner, "daily", SATURDAY)
    assert weekend["required"] == 0 and weekend["missing"] == []

    weekly = await missing(client, owner, "weekly", SATURDAY)  # the weekly rule asks the department only
    assert weekly["period_start"] == MONDAY and ids(weekly) == {manager["user"]["id"], rep["user"]["id"]}
    await submit(client, manager, "weekly", "2026-11-25")
    assert ids(await missing(client, owner, "weekly", MONDAY)) == {rep["user"]["id"]}
    assert (await missing(client, owner, "monthly", MONDAY))["required"] == 0  # no monthly rule

    stranger = await signed_up(client)
    assert (await missing(client, stranger, "daily", MONDAY))["required"] == 0
    bad = await client.get("/api/v1/work-reports/missing?kind=hourly", headers=bearer(owner))
    assert bad.status_code == 422


async def test_the_missing_list_takes_the_same_queries_for_few_or_many_members(client: Any) -> None:
    owner = await signed_up(client)
    await add_rule(client, owner)
    with counted_sql() as few:
        assert len((await missing(client, owner, "daily", MONDAY))["missing"]) == 1
    for _ in range(4):
        await join(client, owner, "sales_rep")
    with counted_sql() as many:
        assert len((await missing(client, owner, "daily", MONDAY))["missing"]) == 5
    assert len(many) == len(few)


async def test_the_missing_list_defaults_to_the_readers_today(client: Any) -> None:
    owner = await signed_up(client)
    days = set()
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # 25 hours apart: never the same date
        assert (await client.patch("/api/v1/me", json={"timezone": zone}, headers=bearer(owner))).status_code == 200
        answer = (await client.get("/api/v1/work-reports/missing?kind=daily", headers=bearer(owner))).json()
        assert answer["period_start"] == dt.datetime.now(ZoneInfo(zone)).date().isoformat()
        days.add(answer["period_start"])
    assert len(days) == 2
