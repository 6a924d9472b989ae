"""Exports in the background: asked for with the list's filters, written by the worker as the requester may
see the list (their rows, no hidden field, masked fields masked), downloadable by them (or an administrator)
with a mail carrying the link, deleted after the retention; never across tenants or people; bad input named."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from dramatiq.brokers.redis import RedisBroker
from guanxi.db.tenancy import platform_session
from guanxi.domain.exports.tasks import (
    ExportStillRunning,
    purge_expired_files,
    run_export,
    run_export_job,
    send_ready_mail,
)
from guanxi.domain.outbox.relay import relay_once
from guanxi.jobs import JobContext
from guanxi.periodic import SCHEDULE
from guanxi.storage import get_storage
from guanxi_dev.mailcatcher import MailStore, start_smtp
from openpyxl import load_workbook
from sqlalchemy import text

from tests.api.test_admin import join
from tests.api.test_attachments_s3 import Bucket, bucket  # noqa: F401 -- the local S3 server fixture
from tests.api.test_customer_access import REP_RULES
from tests.api.test_customers import add_account, add_contact
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for
from tests.domain.email.test_delivery import mailbox  # noqa: F401 -- the real SMTP catcher fixture
from tests.services import PrivateRedis, free_port, set_aside_other_jobs, start_worker, stop_worker, wait_for_mail

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EVIL = '=HYPERLINK("http://evil.example","点我")'


async def ask(client: Any, who: dict[str, Any], **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/exports", json=body, headers=bearer(who))
    assert response.status_code == 202, response.text
    return dict(response.json())


async def run(
    client: Any, who: dict[str, Any], export: dict[str, Any], workspace: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The worker's run of ``export``; ``workspace``: whose workspace it is when ``who`` joined another's."""
    await run_export(await job_for((workspace or who)["workspace"]["id"]), uuid.UUID(export["id"]))
    return dict((await client.get(f"/api/v1/exports/{export['id']}", headers=bearer(who))).json())


async def csv_rows(client: Any, who: dict[str, Any], export: dict[str, Any]) -> list[dict[str, str]]:
    response = await client.get(f"/api/v1/exports/{export['id']}/file", headers=bearer(who))
    assert response.status_code == 200, (export, response.text)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


async def let_reps_export(client: Any, owner: dict[str, Any], module: str = "customers") -> None:
    roles = (await client.get("/api/v1/admin/roles", headers=bearer(owner))).json()
    grants = next(r for r in roles if r["key"] == "sales_rep")["permissions"]
    grants[module]["export"] = "own"
    changed = await client.put(
        "/api/v1/admin/roles/sales_rep/permissions", json={"permissions": grants}, headers=bearer(owner)
    )
    assert changed.status_code == 200, changed.text


async def test_an_xlsx_export_is_written_in_chinese_with_formulas_as_text_and_mailed(
    client: Any,
    mailbox: MailStore,  # noqa: F811
) -> None:
    owner = await signed_up(client, locale="zh-Hans")
    await add_account(client, owner, name="深圳华强电子有限公司", city="深圳", tags=["重点客户"])
    await add_account(client, owner, name=EVIL, city="-2+3")
    await add_account(client, owner, name="Cold Ltd", heat="cold")
    asked = await ask(client, owner, entity="accounts", format="xlsx", filters={"heat": None}, sort="name")
    assert (asked["status"], asked["progress"], asked["download_url"]) == ("queued", 0, None)
    assert (await client.get(f"/api/v1/exports/{asked['id']}/file", headers=bearer(owner))).status_code == 409

    done = await run(client, owner, asked)
    assert (done["status"], done["row_count"], done["total_rows"], done["progress"]) == ("done", 3, 3, 100)
    assert done["download_url"] == f"/api/v1/exports/{asked['id']}/file"
    response = await client.get(done["download_url"], headers=bearer(owner))
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == f"attachment; filename*=UTF-8''{done['filename']}"
    assert int(response.headers["content-length"]) == done["size_bytes"] == len(response.content)
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = rows[0]
    names = [row[header.index("name")] for row in rows[1:]]
    assert names == [EVIL, "Cold Ltd", "深圳华强电子有限公司"]
    cells = {cell.value: cell.data_type for row in load_workbook(io.BytesIO(response.content)).active for cell in row}
    assert cells[EVIL] == "s" and cells["-2+3"] == "s"  # text, never a formula that runs
    assert rows[3][header.index("tags")] == "重点客户"

    job = await job_for(owner["workspace"]["id"])
    delivery = JobContext(uuid.uuid4(), job.scope)
    assert await send_ready_mail(delivery, uuid.UUID(asked["id"])) is True
    assert await send_ready_mail(delivery, uuid.UUID(asked["id"])) is False  # a second delivery sends nothing
    [mail] = mailbox.all()
    assert mail.recipients == [owner["user"]["email"]]
    assert mail.subject == "您导出的客户已就绪"
    assert f"/exports/{asked['id']}/file" in mail.text and "3 行" in mail.text
    # a second delivery of the finished job writes nothing again
    assert await run_export(job, uuid.UUID(asked["id"])) == "done"
    audit = await client.get("/api/v1/admin/audit", params={"action": "account.exported"}, headers=bearer(owner))
    assert audit.json()["items"][0]["detail"]["export_id"] == asked["id"]


async def test_a_csv_export_of_contacts_keeps_chinese_and_neutralises_formulas(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner, name="上海明辉贸易有限公司")
    await add_contact(client, owner, account["id"], family_name="王", given_name="芳", title=EVIL)
    await add_contact(client, owner, account["id"], family_name="李", given_name="娜", phones=["+86 138 0013 8000"])
    done = await run(client, owner, await ask(client, owner, entity="contacts", format="csv"))
    rows = await csv_rows(client, owner, done)
    by_name = {row["name"]: row for row in rows}
    assert set(by_name) == {"王芳", "李娜"}
    assert by_name["王芳"]["title"] == "'" + EVIL
    assert by_name["王芳"]["account_name"] == "上海明辉贸易有限公司"
    assert by_name["李娜"]["phones"] == "'+86 138 0013 8000"


async def test_a_reps_export_has_only_their_rows_no_hidden_field_and_masked_values(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    rules = await client.put("/api/v1/admin/roles/sales_rep/fields", json={"fields": REP_RULES}, headers=bearer(owner))
    assert rules.status_code == 200, rules.text
    await let_reps_export(client, owner)
    await add_account(
        client, owner, name="华强电子", phone="13800138000", email="zhang.wei@huaqiang.example.cn",
        credit_limit="99999.00", owner_id=rep["user"]["id"],
    )  # fmt: skip
    await add_account(client, owner, name="Not the rep's", credit_limit="5.00")
    asked = await ask(client, rep, entity="accounts", format="csv", columns=["name", "phone", "email"])
    refused = await client.post(
        "/api/v1/exports", json={"entity": "accounts", "columns": ["name", "credit_limit"]}, headers=bearer(rep)
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "columns[1]"
    rows = await csv_rows(client, rep, await run(client, rep, asked, owner))
    assert rows == [{"name": "华强电子", "phone": "138****8000", "email": "z***@huaqiang.example.cn"}]
    every_column = await run(client, rep, await ask(client, rep, entity="accounts", format="csv"), owner)
    [row] = await csv_rows(client, rep, every_column)
    assert "credit_limit" not in row and "heat" not in row
    assert row["name"] == "华强电子"
    everything = await csv_rows(
        client, owner, await run(client, owner, await ask(client, owner, entity="accounts", format="csv"))
    )
    assert {r["credit_limit"] for r in everything} == {"99999.00", "5.00"}


async def test_exports_need_the_export_permission_and_a_requester_who_lost_it_gets_nothing(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    await add_account(client, owner, name="Acme", owner_id=rep["user"]["id"])
    refused = await client.post("/api/v1/exports", json={"entity": "accounts"}, headers=bearer(rep))
    assert refused.status_code == 403
    await let_reps_export(client, owner)
    asked = await ask(client, rep, entity="accounts", format="csv")
    await client.post(f"/api/v1/admin/members/{rep['user']['id']}/deactivate", headers=bearer(owner))
    await run_export(await job_for(owner["workspace"]["id"]), uuid.UUID(asked["id"]))
    failed = (await client.get(f"/api/v1/exports/{asked['id']}", headers=bearer(owner))).json()
    assert failed["status"] == "failed" and "removed" in failed["failure"]
    assert (await client.get(f"/api/v1/exports/{asked['id']}/file", headers=bearer(owner))).status_code == 409


async def test_other_peoples_and_other_tenants_exports_are_not_found(client: Any) -> None:
    owner, stranger = await signed_up(client), await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    await add_account(client, owner, name="Acme")
    done = await run(client, owner, await ask(client, owner, entity="accounts", format="csv"))
    routes = (f"/api/v1/exports/{done['id']}", f"/api/v1/exports/{done['id']}/file")
    for who in (stranger, rep):
        for url in routes:
            assert (await client.get(url, headers=bearer(who))).status_code == 404, url
        assert (await client.get("/api/v1/exports", headers=bearer(who))).json() == []
    assert [e["id"] for e in (await client.get("/api/v1/exports", headers=bearer(owner))).json()] == [done["id"]]
    # the rep's own export is theirs; an administrator may open it too
    await let_reps_export(client, owner)
    theirs = await run(client, rep, await ask(client, rep, entity="accounts", format="csv"), owner)
    assert (await client.get(f"/api/v1/exports/{theirs['id']}/file", headers=bearer(owner))).status_code == 200
    assert (await client.get(f"/api/v1/exports/{theirs['id']}/file", headers=bearer(stranger))).status_code == 404
    assert (await client.get(f"/api/v1/exports/{uuid.uuid4()}", headers=bearer(owner))).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"entity": "deals"}, "entity"),
        ({"entity": "accounts", "format": "pdf"}, "format"),
        ({}, "entity"),
        ({"entity": "accounts", "colour": "red"}, "colour"),
        ({"entity": "accounts", "filters": {"heat": "boiling"}}, "filters.heat"),
        ({"entity": "accounts", "filters": {"owner_id": "not-a-uuid"}}, "filters.owner_id"),
        ({"entity": "contacts", "filters": {"heat": "hot"}}, "heat"),
        ({"entity": "accounts", "filters": {"custom": {"nope": "1"}}}, "cf.nope"),
        ({"entity": "accounts", "sort": "password"}, "sort"),
        ({"entity": "accounts", "columns": ["name"] * 61}, "columns"),
        ({"entity": "accounts", "columns": ["x" * 81]}, "columns[0]"),
        ({"entity": "accounts", "columns": ["name", "password"]}, "columns[1]"),
        ({"entity": "accounts", "view_id": "123"}, "view_id"),
    ],
)
async def test_bad_input_is_refused_with_422_naming_the_field(client: Any, body: dict[str, Any], field: str) -> None:
    owner = await signed_up(client)
    response = await client.post("/api/v1/exports", json=body, headers=bearer(owner))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert (await client.get("/api/v1/exports", headers=bearer(owner))).json() == []


async def test_a_saved_view_gives_its_filters_and_columns_and_a_view_of_another_list_is_refused(client: Any) -> None:
    owner = await signed_up(client)
    await add_account(client, owner, name="Hot one", heat="hot", city="杭州")
    await add_account(client, owner, name="Cold one", heat="cold")
    view = await client.post(
        "/api/v1/views",
        json={"module": "customers", "name": "热客户", "filters": {"heat": "hot"}, "columns": ["name", "city"]},
        headers=bearer(owner),
    )
    assert view.status_code == 201, view.text
    asked = await ask(client, owner, entity="accounts", format="csv", view_id=view.json()["id"])
    assert asked["request"]["filters"] == {"heat": "hot"} and asked["request"]["columns"] == ["name", "city"]
    assert await csv_rows(client, owner, await run(client, owner, asked)) == [{"name": "Hot one", "city": "杭州"}]
    other = await client.post(
        "/api/v1/exports", json={"entity": "contacts", "view_id": view.json()["id"]}, headers=bearer(owner)
    )
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "view_id"


async def test_records_added_after_the_request_are_not_in_the_file(client: Any) -> None:
    owner = await signed_up(client)
    await add_account(client, owner, name="Before")
    asked = await ask(client, owner, entity="accounts", format="csv")
    await add_account(client, owner, name="After")
    assert [r["name"] for r in await csv_rows(client, owner, await run(client, owner, asked))] == ["Before"]


async def test_a_delivery_while_another_is_writing_does_nothing_and_a_stalled_run_is_taken_over(client: Any) -> None:
    owner = await signed_up(client)
    await add_account(client, owner, name="Acme")
    asked = await ask(client, owner, entity="accounts", format="csv")
    job = await job_for(owner["workspace"]["id"])

    async def mark_running(since: dt.timedelta) -> None:
        async with platform_session() as session:
            await session.execute(
                text(
                    f"UPDATE \"{job.scope.schema}\".exports SET status = 'running', "
                    f"updated_at = now() - CAST(:since AS interval) WHERE id = :i"
                ),
                {"since": since, "i": uuid.UUID(asked["id"])},
            )
            await session.commit()

    await mark_running(dt.timedelta(seconds=5))  # another worker reported 5 seconds ago
    assert await run_export(job, uuid.UUID(asked["id"])) == "running"
    with pytest.raises(ExportStillRunning):  # the job is retried later, not acknowledged and forgotten
        await run_export_job(job, uuid.UUID(asked["id"]))
    assert (await client.get(f"/api/v1/exports/{asked['id']}", headers=bearer(owner))).json()["row_count"] == 0
    await mark_running(dt.timedelta(hours=1))  # that worker died
    assert await run_export(job, uuid.UUID(asked["id"])) == "done"
    assert [r["name"] for r in await csv_rows(client, owner, asked)] == ["Acme"]


async def test_expired_files_are_purged_by_the_periodic_job_and_the_download_says_gone(client: Any) -> None:
    assert "exports.purge_expired" in {job.actor for job in SCHEDULE}
    owner = await signed_up(client)
    await add_account(client, owner, name="Acme")
    done = await run(client, owner, await ask(client, owner, entity="accounts", format="xlsx"))
    kept = await run(client, owner, await ask(client, owner, entity="accounts", format="csv"))
    job = await job_for(owner["workspace"]["id"])
    key = f"exports/{job.scope.schema}/{done['id']}.xlsx"
    assert get_storage().exists(key)
    async with platform_session() as session:
        await session.execute(
            text(f"UPDATE \"{job.scope.schema}\".exports SET expires_at = now() - interval '1 minute' WHERE id = :i"),
            {"i": uuid.UUID(done["id"])},
        )
        await session.commit()
    assert await purge_expired_files(job) == 1
    assert await purge_expired_files(job) == 0
    assert not get_storage().exists(key)
    gone = await client.get(f"/api/v1/exports/{done['id']}/file", headers=bearer(owner))
    assert gone.status_code == 410 and gone.json()["type"].endswith("export-expired")
    listed = {e["id"]: e for e in (await client.get("/api/v1/exports", headers=bearer(owner))).json()}
    assert listed[done["id"]]["status"] == "expired" and listed[done["id"]]["download_url"] is None
    assert listed[kept["id"]]["status"] == "done"


async def test_in_an_s3_bucket_the_file_is_stored_downloaded_and_purged(
    client: Any,
    bucket: Bucket,  # noqa: F811
) -> None:
    owner = await signed_up(client)
    await add_account(client, owner, name="上海华强电子有限公司")
    done = await run(client, owner, await ask(client, owner, entity="accounts", format="csv"))
    job = await job_for(owner["workspace"]["id"])
    assert bucket.keys() == [f"exports/{job.scope.schema}/{done['id']}.csv"]
    assert [r["name"] for r in await csv_rows(client, owner, done)] == ["上海华强电子有限公司"]
    async with platform_session() as session:
        await session.execute(text(f'UPDATE "{job.scope.schema}".exports SET expires_at = now()'))
        await session.commit()
    assert await purge_expired_files(job) == 1
    assert bucket.keys() == []


@pytest.mark.xdist_group("outbox")
async def test_the_worker_writes_the_export_and_mails_the_link(client: Any, tmp_path: Path) -> None:
    owner = await signed_up(client, locale="zh-Hant")
    await add_account(client, owner, name="台北華強電子股份有限公司")
    asked = await ask(client, owner, entity="accounts", format="xlsx")
    await set_aside_other_jobs(owner["workspace"]["id"])
    redis = PrivateRedis(free_port(), tmp_path / "redis")
    redis.start()
    store, smtp_port = MailStore(tmp_path / "mail"), free_port()
    controller = start_smtp(store, smtp_port)
    broker = RedisBroker(url=redis.url)
    worker = start_worker(redis.url, smtp_port, tmp_path / "worker.log")
    try:
        ready = lambda m: owner["user"]["email"] in m.recipients and "匯出" in m.subject  # noqa: E731
        for _ in range(600):  # the run asks for the mail through the outbox: relay until it has gone out
            await relay_once(broker)
            if any(ready(m) for m in store.all()):
                break
            await asyncio.sleep(0.1)
        mail = await wait_for_mail(store, ready, timeout=5)
    finally:
        stop_worker(worker)
        broker.close()
        controller.stop()
        redis.stop()
    assert mail.subject == "您匯出的客戶已就緒"
    done = (await client.get(f"/api/v1/exports/{asked['id']}", headers=bearer(owner))).json()
    assert (done["status"], done["row_count"]) == ("done", 1)
    response = await client.get(done["download_url"], headers=bearer(owner))
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).active.iter_rows(values_only=True))
    assert rows[1][rows[0].index("name")] == "台北華強電子股份有限公司"
