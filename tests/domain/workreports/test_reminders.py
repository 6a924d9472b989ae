"""The reminder before a work report's deadline: each member whose report is due is told once per period, in
their own time zone and language, after the reminder time and not before; not if they have written it, not on a
day the rule does not ask for, not by a disabled rule, and a second run says nothing new."""

from __future__ import annotations

import datetime as dt
from typing import Any

from guanxi.db.tenancy import platform_session
from guanxi.domain.workreports.tasks import remind_due
from guanxi.periodic import SCHEDULE
from sqlalchemy import text

from tests.api.test_admin import join
from tests.api.test_work_report_rules import add_rule, department, submit
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for

UTC = dt.UTC


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC)


async def reminders(client: Any, who: dict[str, Any]) -> list[dict[str, Any]]:
    items = (await client.get("/api/v1/notifications", headers=bearer(who))).json()["items"]
    return [n for n in items if n["kind"] == "work_report.reminder"]


async def mails_asked(tenant_id: str) -> int:
    async with platform_session() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM platform.outbox WHERE actor = 'notifications.send_email' "
                 "AND tenant_id = CAST(:t AS uuid)"),
            {"t": tenant_id},
        )  # fmt: skip
    return int(count or 0)


async def test_members_are_reminded_once_before_the_deadline_in_their_own_time_zone(client: Any) -> None:
    assert "work_reports.remind" in {p.actor for p in SCHEDULE}
    owner = await signed_up(client, locale="zh-Hans")  # the workspace runs on Shanghai time (UTC+8)
    rep, written, berlin = [await join(client, owner, "sales_rep") for _ in range(3)]
    assert (await client.patch("/api/v1/me", json={"locale": "zh-Hans"}, headers=bearer(rep))).status_code == 200
    zone = await client.patch("/api/v1/me", json={"timezone": "Europe/Berlin"}, headers=bearer(berlin))
    assert zone.status_code == 200
    await add_rule(client, owner)  # daily, Monday to Friday, by 18:00, reminded 60 minutes before
    await submit(client, written, "daily", "2026-11-23")
    job = await job_for(owner["workspace"]["id"])

    assert await remind_due(job, at(23, 8, 50)) == 0  # 16:50 in Shanghai: before the reminder time
    assert await remind_due(job, at(23, 9, 5)) == 2  # 17:05 in Shanghai: the owner and the rep, not the writer
    assert await remind_due(job, at(23, 9, 10)) == 0  # once per period
    [note] = await reminders(client, rep)
    assert note["title"] == "提醒：请在 18:00 前提交日报" and "2026-11-23 18:00" in note["body"]
    assert note["link"] == "/work-reports?kind=daily"
    assert await reminders(client, written) == [] and await reminders(client, berlin) == []
    assert await mails_asked(owner["workspace"]["id"]) == 2  # mailed at once by default, once each

    assert await remind_due(job, at(23, 15, 55)) == 0  # 16:55 in Berlin
    assert await remind_due(job, at(23, 16, 0)) == 1  # 17:00 in Berlin; Shanghai's Monday is over
    [theirs] = await reminders(client, berlin)
    assert theirs["title"] == "Reminder: your daily report is due by 18:00"
    assert await remind_due(job, at(23, 16, 30)) == 0

    await submit(client, rep, "daily", "2026-11-24")  # written before Tuesday's reminder: nothing to say
    assert await remind_due(job, at(24, 9, 5)) == 2  # the owner and the writer, who has not written Tuesday's
    assert len(await reminders(client, rep)) == 1
    assert await remind_due(job, at(28, 9, 5)) == 0  # Saturday in Shanghai: the rule does not ask
    assert await remind_due(job, at(29, 16, 0)) == 0  # Sunday in Berlin


async def test_weekly_monthly_and_addressed_rules_remind_only_their_audience(client: Any) -> None:
    owner = await signed_up(client, locale="zh-Hans")
    rep, other = await join(client, owner, "sales_rep"), await join(client, owner, "sales_rep")
    sales = await department(client, owner, "华东销售部", rep)
    await add_rule(client, owner, name="周报", kind="weekly", weekdays=[], due_weekday="fri", deadline="17:00",
                   remind_minutes=120, audience="departments", department_ids=[sales])  # fmt: skip
    await add_rule(client, owner, name="月报", kind="monthly", weekdays=[], deadline="00:30", remind_minutes=60,
                   audience="members", member_ids=[other["user"]["id"]])  # fmt: skip
    disabled = await add_rule(client, owner, name="停用", enabled=False, weekdays=["fri"])
    assert disabled["enabled"] is False
    job = await job_for(owner["workspace"]["id"])

    assert await remind_due(job, at(27, 6, 55)) == 0  # Friday 14:55 in Shanghai: two hours before is 15:00
    assert await remind_due(job, at(27, 7, 5)) == 1  # the department's weekly report
    [weekly] = await reminders(client, rep)
    assert weekly["link"] == "/work-reports?kind=weekly" and "17:00" in weekly["title"]
    assert await reminders(client, owner) == []  # outside the department; the disabled rule says nothing
    await submit(client, other, "weekly", "2026-11-27")
    # The monthly report is due on November's last day (the 30th) at 00:30: reminded from 23:30 on the 29th.
    assert await remind_due(job, at(29, 15, 20)) == 0
    assert await remind_due(job, at(29, 15, 35)) == 1
    [monthly] = await reminders(client, other)
    assert monthly["link"] == "/work-reports?kind=monthly" and "2026-11-30" in monthly["body"]
    assert await remind_due(job, at(29, 16, 35)) == 0


async def test_a_member_who_wants_no_reminders_gets_none_and_the_others_in_the_app_only(client: Any) -> None:
    owner = await signed_up(client, locale="zh-Hans")
    rep = await join(client, owner, "sales_rep")
    listed = (await client.get("/api/v1/me/notification-preferences", headers=bearer(rep))).json()
    assert {"kind": "work_report.reminder", "in_app": True, "email": "instant"} in listed
    for who, in_app, email in ((rep, False, "none"), (owner, True, "none")):
        body = {"items": [{"kind": "work_report.reminder", "in_app": in_app, "email": email}]}
        chosen = await client.put("/api/v1/me/notification-preferences", json=body, headers=bearer(who))
        assert chosen.status_code == 200, chosen.text
    await add_rule(client, owner)
    job = await job_for(owner["workspace"]["id"])
    assert await remind_due(job, at(23, 9, 5)) == 1  # the owner, in the app; the rep asked for nothing
    assert len(await reminders(client, owner)) == 1 and await reminders(client, rep) == []
    assert await mails_asked(owner["workspace"]["id"]) == 0


async def test_a_workspace_without_rules_reminds_nobody(client: Any) -> None:
    owner = await signed_up(client)
    assert await remind_due(await job_for(owner["workspace"]["id"]), at(23, 9, 5)) == 0


async def test_a_workspaces_reminder_job_reminds_only_its_own_members_by_its_own_rules(client: Any) -> None:
    first, second = await signed_up(client, locale="zh-Hans"), await signed_up(client, locale="zh-Hans")
    first_rep, second_rep = await join(client, first, "sales_rep"), await join(client, second, "sales_rep")
    await add_rule(client, first)  # daily by 18:00 Shanghai time; the second workspace has no rule of its own yet
    assert await remind_due(await job_for(first["workspace"]["id"]), at(23, 9, 5)) == 2  # the first's owner and rep
    assert await reminders(client, second) == [] and await reminders(client, second_rep) == []
    assert await remind_due(await job_for(second["workspace"]["id"]), at(23, 9, 5)) == 0  # the first's rule is not its
    assert await mails_asked(second["workspace"]["id"]) == 0
    await add_rule(client, second)
    assert await remind_due(await job_for(second["workspace"]["id"]), at(23, 9, 6)) == 2
    assert len(await reminders(client, first_rep)) == 1  # the second's run told nobody in the first
