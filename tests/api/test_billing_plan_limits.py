"""What each plan holds and allows, refused with problem+json that names the field and says what to do: records
(customers, contacts, leads and deals together, imports too), file storage, scheduled reports, API calls a day, the
report builder and API tokens. Each workspace counts only its own. The plans are tests/plans.toml's ``tiny``
(3 records, 1 MB, 3 API calls a day, 1 scheduled report) and ``bare`` (no features)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from guanxi.redis import get_redis

from tests.api.test_attachments import attach
from tests.api.test_billing_limits import subscription_set
from tests.api.test_customers import add_account, add_contact
from tests.api.test_imports import CHINESE_CSV, run_to_end, upload
from tests.api.test_leads import add_lead
from tests.api.test_tokens import as_token, new_token
from tests.conftest import bearer, signed_up

BUILDER = {"entity": "accounts", "group_by": [{"field": "owner"}], "measures": [{"fn": "count"}]}


async def on_plan(client: Any, plan: str) -> dict[str, Any]:
    owner = await signed_up(client)
    await subscription_set(owner["workspace"]["id"], f"plan_key = '{plan}', stripe_status = 'active'")
    return owner


def assert_limit(answer: Any, field: str, limit: str) -> dict[str, Any]:
    assert answer.status_code == 402, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = dict(answer.json())
    assert problem["type"].endswith("/plan-limit") and problem["limit"] == limit
    assert "billing page" in problem["detail"] and "Tiny" in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == [field]
    return problem


async def test_records_stop_at_the_plans_limit_for_every_kind_and_count_only_live_ones(client: Any) -> None:
    owner = await on_plan(client, "tiny")
    account = await add_account(client, owner, name="华强电子 🚀")
    await add_contact(client, owner, account["id"])
    lead = await add_lead(client, owner)  # three records: the plan is full
    for path, body in (
        ("/api/v1/accounts", {"name": "第四家"}),
        ("/api/v1/contacts", {"account_id": account["id"], "family_name": "李"}),
        ("/api/v1/leads", {"name": "王芳"}),
        ("/api/v1/deals", {"name": "ERP", "account_id": account["id"]}),
    ):
        problem = assert_limit(await client.post(path, json=body, headers=bearer(owner)), "name", "records")
        assert "3 customers, contacts, leads and deals" in problem["detail"]
    assert len((await client.get("/api/v1/accounts", headers=bearer(owner))).json()["items"]) == 1  # nothing written

    other = await on_plan(client, "tiny")  # another workspace on the same plan counts its own
    await add_account(client, other, name="Other Ltd")
    assert (await client.delete(f"/api/v1/leads/{lead['id']}", headers=bearer(owner))).status_code == 204
    deal = await client.post("/api/v1/deals", json={"name": "ERP", "account_id": account["id"]}, headers=bearer(owner))
    assert deal.status_code == 201, deal.text  # a deleted record frees its place

    usage = (await client.get("/api/v1/billing", headers=bearer(owner))).json()
    assert usage["usage"]["records"] == 3 and usage["limits"]["records"] == 3


async def test_an_import_the_plan_cannot_hold_fails_before_writing_a_row(client: Any) -> None:
    owner = await on_plan(client, "tiny")
    await add_account(client, owner, name="已有客户")  # one record; the file has three rows
    body = (await upload(client, owner, CHINESE_CSV.encode(), "客户.csv")).json()
    path = f"/api/v1/imports/{body['id']}/mapping"
    mapped = await client.put(path, json={"mapping": body["mapping"]}, headers=bearer(owner))
    assert mapped.status_code == 200, mapped.text
    finished = await run_to_end(client, owner, body["id"])
    assert (finished["status"], finished["created_count"]) == ("failed", 0)
    assert "Tiny plan holds 3" in finished["failure"] and "billing page" in finished["failure"]
    assert len((await client.get("/api/v1/accounts", headers=bearer(owner))).json()["items"]) == 1


async def test_files_stop_at_the_plans_storage(client: Any) -> None:
    owner = await on_plan(client, "tiny")  # 1 MB
    account = await add_account(client, owner)
    kept = await attach(client, owner, "account", account["id"], "报价单.pdf", b"%PDF-1.4\n" + b"0" * 700_000)
    assert kept.status_code == 201, kept.text
    refused = await attach(client, owner, "account", account["id"], "合同.pdf", b"%PDF-1.4\n" + b"0" * 400_000)
    assert_limit(refused, "file", "storage_mb")
    listed = await client.get(
        "/api/v1/attachments", params={"record_type": "account", "record_id": account["id"]}, headers=bearer(owner)
    )
    assert [a["filename"] for a in listed.json()] == ["报价单.pdf"]
    assert (await client.get("/api/v1/billing", headers=bearer(owner))).json()["usage"]["storage_mb"] == 1


async def saved_sales_report(client: Any, owner: dict[str, Any]) -> str:
    body = {"name": "销售 by rep", "report_key": "sales", "params": {"by": "rep"}}
    saved = await client.post("/api/v1/reports/saved", json=body, headers=bearer(owner))
    assert saved.status_code == 201, saved.text
    return f"/api/v1/reports/saved/{saved.json()['id']}/schedules"


async def test_scheduled_reports_need_the_feature_and_stop_at_the_plans_number(client: Any) -> None:
    owner = await on_plan(client, "tiny")  # one scheduled report
    path = await saved_sales_report(client, owner)
    schedule = {"frequency": "daily", "hour": 8, "recipients": [{"member_id": owner["user"]["id"]}]}
    assert (await client.post(path, json=schedule, headers=bearer(owner))).status_code == 201
    problem = assert_limit(
        await client.post(path, json=schedule, headers=bearer(owner)), "frequency", "scheduled_reports"
    )
    assert "1 scheduled reports" in problem["detail"]

    bare = await on_plan(client, "bare")
    refused = await client.post(await saved_sales_report(client, bare), json=schedule, headers=bearer(bare))
    assert refused.status_code == 402 and refused.json()["type"].endswith("/plan-feature")
    assert "scheduled reports" in refused.json()["detail"]


async def test_the_report_builder_is_refused_on_a_plan_without_it_but_predefined_reports_run(client: Any) -> None:
    owner = await on_plan(client, "bare")
    for method, path, body in (
        ("GET", "/api/v1/reports/builder/entities", None),
        ("POST", "/api/v1/reports/builder/run", BUILDER),
        ("POST", "/api/v1/reports/builder/export", BUILDER),
        ("POST", "/api/v1/reports/saved", {"name": "自定义", "definition": BUILDER}),
    ):
        answer = await client.request(method, path, json=body, headers=bearer(owner))
        assert answer.status_code == 402, (path, answer.text)
        assert answer.json()["type"].endswith("/plan-feature") and "report builder" in answer.json()["detail"]
    await saved_sales_report(client, owner)  # a predefined report may still be saved and run
    assert (await client.get("/api/v1/reports/predefined/sales", headers=bearer(owner))).status_code == 200

    trial = await signed_up(client)  # the trial has the builder
    made = await client.post(
        "/api/v1/reports/saved", json={"name": "自定义", "definition": BUILDER}, headers=bearer(trial)
    )
    assert made.status_code == 201, made.text
    await subscription_set(trial["workspace"]["id"], "plan_key = 'bare'")  # moved down: kept, not run
    run = await client.get(f"/api/v1/reports/saved/{made.json()['id']}/run", headers=bearer(trial))
    assert run.status_code == 402 and run.json()["type"].endswith("/plan-feature")
    listed = await client.get("/api/v1/reports/saved", headers=bearer(trial))
    assert [r["name"] for r in listed.json()] == ["自定义"]


async def test_api_calls_a_day_stop_at_the_plans_number_per_workspace_with_a_retry_after(client: Any) -> None:
    owner = await on_plan(client, "tiny")  # three calls a day
    token = as_token(await new_token(client, owner, ["*:read"]))
    for _ in range(3):
        assert (await client.get("/api/v1/accounts", headers=token)).status_code == 200
    over = await client.get("/api/v1/accounts", headers=token)
    assert over.status_code == 429, over.text
    assert over.headers["content-type"].startswith("application/problem+json")
    assert over.json()["type"].endswith("/api-quota") and "midnight UTC" in over.json()["detail"]
    assert 0 < int(over.headers["retry-after"]) <= 86400
    assert (await client.get("/api/v1/accounts", headers=bearer(owner))).status_code == 200  # the product's pages
    used = (await client.get("/api/v1/billing", headers=bearer(owner))).json()["usage"]["api_calls_per_day"]
    assert used == 4  # the refused call counts too

    other = await on_plan(client, "tiny")  # another workspace's calls are its own
    assert (
        await client.get("/api/v1/accounts", headers=as_token(await new_token(client, other, ["*:read"])))
    ).is_success
    keys = [k async for k in get_redis().scan_iter(match="billing:api-calls:*")]
    assert len(keys) == 2
    for key in keys:  # counted per workspace and UTC day, kept two days
        assert 86400 < await get_redis().ttl(key) <= 2 * 86400


async def test_a_plan_without_the_api_refuses_tokens_and_their_calls(client: Any) -> None:
    owner = await signed_up(client)
    token = as_token(await new_token(client, owner, ["*:read"]))  # made on the trial
    await subscription_set(owner["workspace"]["id"], "plan_key = 'bare', stripe_status = 'active'")
    refused = await client.get("/api/v1/accounts", headers=token)
    assert refused.status_code == 402 and refused.json()["type"].endswith("/plan-feature")
    assert "the API" in refused.json()["detail"]
    made = await client.post("/api/v1/tokens", json={"name": f"ERP {uuid.uuid4().hex[:4]}", "scopes": ["*:read"]},
                             headers=bearer(owner))  # fmt: skip
    assert made.status_code == 402
    assert (await client.get("/api/v1/accounts", headers=bearer(owner))).status_code == 200


async def test_each_workspace_sees_only_its_own_subscription_and_usage(client: Any) -> None:
    tiny = await on_plan(client, "tiny")
    await add_account(client, tiny, name="只属于这里")
    trial = await signed_up(client)
    mine, theirs = [(await client.get("/api/v1/billing", headers=bearer(w))).json() for w in (tiny, trial)]
    assert (mine["plan"], mine["usage"]["records"]) == ("tiny", 1)
    assert (theirs["plan"], theirs["usage"]["records"], theirs["status"]) == ("trial", 0, "trialing")


async def test_a_large_limit_is_checked_by_postgres_estimate_until_it_comes_near(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guanxi.db.tenancy import platform_session
    from guanxi.domain.billing import limits
    from sqlalchemy import text

    from tests.api.test_customers import counted_sql

    monkeypatch.setattr(limits, "EXACT_UP_TO", 0)  # the Tiny plan's 3 records take the way of a large limit
    monkeypatch.setattr(limits, "BULK", 1.0)  # where one record is not a bulk addition
    owner = await on_plan(client, "tiny")

    def counted(statements: list[str]) -> bool:
        return any("deleted_at IS NULL LIMIT" in s for s in statements)

    with counted_sql() as statements:  # never analysed: no estimate, counted exactly
        await add_account(client, owner, name="一")
    assert counted(statements)

    async with platform_session() as session:
        schema = await session.scalar(text("SELECT schema_name FROM platform.tenants WHERE id = CAST(:t AS uuid)"),
                                      {"t": owner["workspace"]["id"]})  # fmt: skip
        await session.execute(text(f'ANALYZE "{schema}".accounts, "{schema}".contacts, "{schema}".leads, '
                                   f'"{schema}".deals'))  # fmt: skip
        await session.commit()
    monkeypatch.setattr(limits, "NEAR", 10.0)  # 1 + 1 far below 10 × 3: the estimate is enough
    with counted_sql() as statements:
        await add_account(client, owner, name="二")
    assert not counted(statements)
    monkeypatch.setattr(limits, "NEAR", 0.5)  # 1 + 1 is near 0.5 × 3 (the estimate still says 1): counted, held
    await add_account(client, owner, name="三")
    assert_limit(await client.post("/api/v1/accounts", json={"name": "四"}, headers=bearer(owner)), "name", "records")


async def test_restoring_deleted_records_is_held_to_the_limit_too(client: Any) -> None:
    owner = await on_plan(client, "tiny")
    account = await add_account(client, owner, name="回收站客户")
    await add_contact(client, owner, account["id"])  # two records
    assert (await client.delete(f"/api/v1/accounts/{account['id']}", headers=bearer(owner))).status_code == 204
    await add_account(client, owner, name="新客户")
    await add_account(client, owner, name="又一家")  # two live records: one place left, the account needs two
    restored = await client.post(f"/api/v1/accounts/{account['id']}/restore", headers=bearer(owner))
    assert_limit(restored, "id", "records")
    assert "回收站客户" not in [
        a["name"] for a in (await client.get("/api/v1/accounts", headers=bearer(owner))).json()["items"]
    ]


async def test_an_import_counts_the_rows_other_running_imports_still_add(client: Any) -> None:
    from guanxi.db.tenancy import platform_session
    from sqlalchemy import text

    owner = await on_plan(client, "tiny")
    first = (await upload(client, owner, "客户名称\n甲公司\n".encode(), "甲.csv")).json()
    async with platform_session() as session:  # another import of the workspace is running: 3 rows still to come
        schema = await session.scalar(text("SELECT schema_name FROM platform.tenants WHERE id = CAST(:t AS uuid)"),
                                      {"t": owner["workspace"]["id"]})  # fmt: skip
        await session.execute(text(f'UPDATE "{schema}".imports SET status = \'running\', total_rows = 3, '
                                   "processed_rows = 0 WHERE id = CAST(:i AS uuid)"), {"i": first["id"]})  # fmt: skip
        await session.commit()
    second = (await upload(client, owner, "客户名称\n乙公司\n".encode(), "乙.csv")).json()
    path = f"/api/v1/imports/{second['id']}/mapping"
    assert (await client.put(path, json={"mapping": second["mapping"]}, headers=bearer(owner))).status_code == 200
    finished = await run_to_end(client, owner, second["id"])
    assert (finished["status"], finished["created_count"]) == ("failed", 0)
    assert "Tiny plan holds 3" in finished["failure"] and "has 3" in finished["failure"]


async def test_a_full_plan_turns_a_visitor_away_without_telling_its_terms_and_tells_the_owners(client: Any) -> None:
    from tests.api.test_lead_forms import add_form, send

    owner = await on_plan(client, "tiny")
    form = await add_form(client, owner)
    for name in ("一", "二", "三"):
        await add_account(client, owner, name=name)
    for _ in range(2):
        refused = await send(client, form, {"name": "李娜", "email": "li.na@example.cn"})
        assert refused.status_code == 503, refused.text
        assert refused.json()["type"].endswith("/form-unavailable") and "Tiny" not in refused.text
    items = (await client.get("/api/v1/notifications", headers=bearer(owner))).json()["items"]
    told = [i for i in items if i["kind"] == "billing.records_full"]
    assert len(told) == 1 and "官网咨询" in told[0]["body"]  # once a day
    assert (await client.get("/api/v1/leads", headers=bearer(owner))).json()["items"] == []


async def test_billing_is_read_signed_in_not_with_an_api_token(client: Any) -> None:
    owner = await signed_up(client)
    token = as_token(await new_token(client, owner, ["*:read"]))
    for path in ("/api/v1/billing", "/api/v1/billing/invoices"):
        assert (await client.get(path, headers=token)).status_code == 403
        assert (await client.get(path, headers=bearer(owner))).status_code == 200
