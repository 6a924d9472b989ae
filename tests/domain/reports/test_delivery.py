"""Scheduled report delivery: due in each recipient's own time zone, asked for once per (schedule, recipient,
local day), built in the recipient's scope and mailed with CSV/XLSX/PDF attachments in their language; a
delivery is marked sent only after the mail left, and a retry sends nothing twice."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import uuid
from typing import Any

from guanxi.db.tenancy import platform_session
from guanxi.domain.reports.tasks import deliver_report, schedule_deliveries
from guanxi.jobs import JobContext
from guanxi.periodic import SCHEDULE
from guanxi_dev.mailcatcher import MailStore
from sqlalchemy import text

from tests.api.test_reports import RANGE, book
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for
from tests.domain.email.test_delivery import mailbox  # noqa: F401 -- the real SMTP catcher fixture


async def asked(tenant_id: str) -> list[str]:
    async with platform_session() as session:
        rows = await session.execute(
            text("SELECT payload->>'delivery_id' FROM platform.outbox WHERE actor = 'reports.deliver' "
                 "AND tenant_id = CAST(:t AS uuid) ORDER BY created_at"),
            {"t": tenant_id},
        )  # fmt: skip
        return [r[0] for r in rows]


def attachments(store: MailStore, mail_id: str) -> dict[str, bytes]:
    message = email.message_from_bytes((store.folder / f"{mail_id}.eml").read_bytes(), policy=email.policy.default)
    return {part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()}  # type: ignore[attr-defined]


async def test_a_weekly_report_reaches_each_recipient_at_their_hour_in_their_scope(
    client: Any,
    mailbox: MailStore,  # noqa: F811
) -> None:
    assert "reports.schedule_deliveries" in {p.actor for p in SCHEDULE}
    b = await book(client)
    owner, rep = b["owner"], b["rep"]
    assert (await client.patch("/api/v1/me", json={"locale": "zh-Hans"}, headers=bearer(rep))).status_code == 200
    assert (await client.patch("/api/v1/me", json={"locale": "en"}, headers=bearer(owner))).status_code == 200
    saved = await client.post(
        "/api/v1/reports/saved",
        json={"name": "Sales by rep", "report_key": "sales", "params": {"by": "rep", **RANGE},
              "shared_with": "members", "member_ids": [rep["user"]["id"]]},
        headers=bearer(owner),
    )  # fmt: skip
    assert saved.status_code == 201, saved.text
    path = f"/api/v1/reports/saved/{saved.json()['id']}/schedules"
    bad_zone = await client.post(path, json={"frequency": "weekly", "weekday": 0, "hour": 8, "recipients": [
        {"member_id": rep["user"]["id"], "timezone": "Mars/Olympus_Mons"}]}, headers=bearer(owner))  # fmt: skip
    assert bad_zone.status_code == 422 and bad_zone.json()["errors"][0]["field"] == "recipients[0].timezone"
    no_day = await client.post(path, json={"frequency": "weekly", "recipients": [{"member_id": owner["user"]["id"]}]},
                               headers=bearer(owner))  # fmt: skip
    assert no_day.status_code == 422 and no_day.json()["errors"][0]["field"] == "weekday"
    by_rep = await client.post(path, json={"frequency": "daily", "recipients": [{"member_id": rep["user"]["id"]}]},
                               headers=bearer(rep))  # fmt: skip
    assert by_rep.status_code == 403  # only the author schedules
    made = await client.post(path, json={
        "frequency": "weekly", "weekday": 0, "hour": 8, "formats": ["csv", "xlsx", "pdf"],
        "recipients": [{"member_id": owner["user"]["id"], "timezone": "Asia/Shanghai"},
                       {"member_id": rep["user"]["id"], "timezone": "America/New_York"}]},
        headers=bearer(owner))  # fmt: skip
    assert made.status_code == 201, made.text
    listed = (await client.get(path, headers=bearer(rep))).json()
    assert [r["recipients"][1]["timezone"] for r in listed] == ["America/New_York"]
    stranger = await signed_up(client)
    schedule_path = f"{path}/{made.json()['id']}"
    assert (await client.get(path, headers=bearer(stranger))).status_code == 404
    assert (
        await client.post(
            path,
            json={"frequency": "daily", "recipients": [{"member_id": stranger["user"]["id"]}]},
            headers=bearer(stranger),
        )
    ).status_code == 404
    assert (await client.delete(schedule_path, headers=bearer(stranger))).status_code == 404
    job = await job_for(owner["workspace"]["id"])
    # Monday 2026-11-30 00:30 UTC: 08:30 in Shanghai (due), Sunday 19:30 in New York (not yet).
    monday = dt.datetime(2026, 11, 30, 0, 30, tzinfo=dt.UTC)
    assert await schedule_deliveries(job, monday) == 1
    assert await schedule_deliveries(job, monday + dt.timedelta(minutes=5)) == 0  # once per local day
    assert await schedule_deliveries(job, monday + dt.timedelta(hours=12)) == 0  # 07:30 in New York
    assert await schedule_deliveries(job, monday + dt.timedelta(hours=13, minutes=5)) == 1  # 08:05 in New York
    first, second = await asked(owner["workspace"]["id"])
    delivery = JobContext(uuid.uuid4(), job.scope)
    assert await deliver_report(delivery, uuid.UUID(first)) == "sent"
    assert await deliver_report(delivery, uuid.UUID(first)) == "done"  # a second delivery of the job: nothing
    assert await deliver_report(JobContext(uuid.uuid4(), job.scope), uuid.UUID(second)) == "sent"
    mails = {m.recipients[0]: m for m in mailbox.all()}
    assert len(mailbox.all()) == 2
    to_owner, to_rep = mails[owner["user"]["email"]], mails[rep["user"]["email"]]
    assert to_owner.subject == "Your report Sales by rep for 2026-11-30"
    assert to_rep.subject == "您的报表 Sales by rep（2026-11-30）" and "按您可见的数据生成" in to_rep.text
    owner_files = attachments(mailbox, to_owner.id)
    assert sorted(owner_files) == ["Sales by rep-2026-11-30.csv", "Sales by rep-2026-11-30.pdf",
                                   "Sales by rep-2026-11-30.xlsx"]  # fmt: skip
    owner_csv = owner_files["Sales by rep-2026-11-30.csv"].decode("utf-8-sig")
    assert "Li Na,CNY,1,8427.50,5400.00,2150.00" in owner_csv and "Member sales_rep,CNY,2,21200.00" in owner_csv
    rep_csv = attachments(mailbox, to_rep.id)["Sales by rep-2026-11-30.csv"].decode("utf-8-sig")
    assert rep_csv.splitlines() == ["Rep,Currency,Orders,Total", "Member sales_rep,CNY,2,21200.00"]  # their scope
    assert attachments(mailbox, to_rep.id)["Sales by rep-2026-11-30.pdf"].startswith(b"%PDF")
    async with platform_session() as session:
        schema = await session.scalar(text("SELECT schema_name FROM platform.tenants WHERE id = CAST(:t AS uuid)"),
                                      {"t": owner["workspace"]["id"]})  # fmt: skip
        states = (
            await session.execute(text(f"SELECT status, sent_at IS NOT NULL FROM {schema}.report_deliveries"))
        ).all()
    assert sorted(tuple(s) for s in states) == [("sent", True), ("sent", True)]


async def test_a_delivery_interrupted_before_it_was_marked_sends_no_second_mail(
    client: Any,
    mailbox: MailStore,  # noqa: F811
) -> None:
    b = await book(client)
    owner = b["owner"]
    saved = await client.post("/api/v1/reports/saved", json={"name": "Daily", "report_key": "pipeline"},
                              headers=bearer(owner))  # fmt: skip
    made = await client.post(f"/api/v1/reports/saved/{saved.json()['id']}/schedules", json={
        "frequency": "daily", "hour": 0, "formats": ["csv"], "recipients": [{"member_id": owner["user"]["id"]}]},
        headers=bearer(owner))  # fmt: skip
    assert made.status_code == 201, made.text
    job = await job_for(owner["workspace"]["id"])
    assert await schedule_deliveries(job, dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)) == 1
    [delivery_id] = await asked(owner["workspace"]["id"])
    same_job = JobContext(uuid.uuid4(), job.scope)
    assert await deliver_report(same_job, uuid.UUID(delivery_id)) == "sent"
    async with platform_session() as session:  # as if the worker died after the mail left, before marking it
        schema = await session.scalar(text("SELECT schema_name FROM platform.tenants WHERE id = CAST(:t AS uuid)"),
                                      {"t": owner["workspace"]["id"]})  # fmt: skip
        await session.execute(text(f"UPDATE {schema}.report_deliveries SET status = 'queued', sent_at = NULL"))
        await session.commit()
    assert await deliver_report(same_job, uuid.UUID(delivery_id)) == "sent"  # the retry completes the row
    assert len(mailbox.all()) == 1
