"""Imports that feed the sales issue: leads from a file go through the assignment rules (or the owner column),
bad rows are reported by row and column, undo removes them; accounts imported with a chosen customer pool land
in it with no owner."""

from __future__ import annotations

import uuid
from typing import Any

from guanxi.domain.imports.tasks import undo_import

from tests.api.test_admin import join
from tests.api.test_imports import run_to_end, upload
from tests.api.test_leads import leads, set_rules
from tests.api.test_pools import default_pool, in_pool
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for

LEADS_CSV = (
    "姓名,公司,电话,来源,地区,员工人数,预计金额\n"
    "张伟,深圳华强电子,138 0013 8000,展会,华南,120,50000\n"
    "李娜,杭州云栖科技,,官网,华东,多,\n"
    "王芳,上海明辉贸易,021-5555 1234,展会,华南,30,\n"
)


async def test_leads_from_a_file_follow_the_rules_and_bad_rows_are_reported(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    await set_rules(client, owner, [{"name": "展会", "sources": ["展会"], "member_ids": [rep["user"]["id"]]}])
    uploaded = await upload(client, owner, LEADS_CSV.encode(), "线索.csv", module="leads")
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert set(body["mapping"].values()) == {
        "name",
        "company",
        "phone",
        "source",
        "region",
        "employees",
        "estimated_value",
    }
    mapped = await client.put(
        f"/api/v1/imports/{body['id']}/mapping", json={"mapping": body["mapping"]}, headers=bearer(owner)
    )
    assert mapped.status_code == 200, mapped.text
    done = await run_to_end(client, owner, body["id"])
    assert (done["status"], done["created_count"], done["error_count"]) == ("done", 2, 1)
    assert done["problems"][0]["row"] == 3 and done["problems"][0]["column"] == "员工人数"
    mine = await leads(client, rep)
    assert {(x["name"], x["captured_via"], x["employees"]) for x in mine} == {
        ("张伟", "import", 120),
        ("王芳", "import", 30),
    }
    undone = await client.post(f"/api/v1/imports/{body['id']}/undo", headers=bearer(owner))
    assert undone.status_code == 202, undone.text
    await undo_import(await job_for(owner["workspace"]["id"]), uuid.UUID(body["id"]))
    assert await leads(client, owner) == []


async def test_a_leads_file_needs_a_name_or_company_column_and_pools_are_for_accounts(client: Any) -> None:
    owner = await signed_up(client)
    uploaded = (await upload(client, owner, LEADS_CSV.encode(), "线索.csv", module="leads")).json()
    only_phone = await client.put(
        f"/api/v1/imports/{uploaded['id']}/mapping", json={"mapping": {"2": "phone"}}, headers=bearer(owner)
    )
    assert only_phone.status_code == 422 and only_phone.json()["errors"][0]["field"] == "mapping"
    pool = await default_pool(client, owner)
    into_pool = await client.put(
        f"/api/v1/imports/{uploaded['id']}/mapping",
        json={"mapping": uploaded["mapping"], "pool_id": pool["id"]},
        headers=bearer(owner),
    )
    assert into_pool.status_code == 422 and into_pool.json()["errors"][0]["field"] == "pool_id"


async def test_accounts_imported_into_a_pool_have_no_owner_and_wait_there(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    pool = await default_pool(client, owner)
    csv = "客户名称,城市\n深圳华强电子有限公司,深圳\n上海明辉贸易有限公司,上海\n"
    uploaded = (await upload(client, owner, csv.encode())).json()
    stranger = await signed_up(client)
    theirs = await default_pool(client, stranger)
    wrong = await client.put(
        f"/api/v1/imports/{uploaded['id']}/mapping",
        json={"mapping": uploaded["mapping"], "pool_id": theirs["id"]},
        headers=bearer(owner),
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "pool_id"
    mapped = await client.put(
        f"/api/v1/imports/{uploaded['id']}/mapping",
        json={"mapping": uploaded["mapping"], "pool_id": pool["id"]},
        headers=bearer(owner),
    )
    assert mapped.status_code == 200 and mapped.json()["pool_id"] == pool["id"]
    done = await run_to_end(client, owner, uploaded["id"])
    assert done["created_count"] == 2, done
    waiting = await in_pool(client, rep, pool["id"])
    assert {a["name"] for a in waiting} == {"深圳华强电子有限公司", "上海明辉贸易有限公司"}
    assert (await client.get("/api/v1/accounts", headers=bearer(rep))).json()["items"] == []  # nobody owns them
