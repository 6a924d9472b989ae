"""What a plan allows, enforced in the API with problem+json that says what to do: a read-only workspace (payment
failed past the grace, trial over) refuses writes but still reads, exports and pays, and is writable again as soon
as an invoice is paid; invitations stop at the plan's seats."""

from __future__ import annotations

import time
import uuid
from typing import Any

from guanxi.db.tenancy import platform_session
from sqlalchemy import text

from tests.api.test_admin import join
from tests.api.test_billing_webhooks import applied_in_order, deliver, linked, story
from tests.api.test_customers import add_account
from tests.conftest import bearer, signed_up


async def subscription_set(tenant_id: str, assignments: str) -> None:
    async with platform_session() as session:
        statement = f"UPDATE platform.subscriptions SET {assignments} WHERE tenant_id = CAST(:t AS uuid)"
        await session.execute(text(statement), {"t": tenant_id})
        await session.commit()


async def test_a_workspace_past_its_grace_reads_and_exports_but_refuses_writes_until_paid(client: Any) -> None:
    owner = await signed_up(client)
    tenant_id = owner["workspace"]["id"]
    account = await add_account(client, owner, name="宁波港联")
    customer = f"cus_{uuid.uuid4().hex[:14]}"
    await linked(tenant_id, customer)
    events = story(tenant_id, customer, start=int(time.time()) - 100)
    for payload in events[:5]:  # subscribed, then a payment failed
        await deliver(client, payload)
    await applied_in_order(tenant_id, [e["id"] for e in events[:5]])
    # within the grace: still writable
    assert (await client.post("/api/v1/accounts", json={"name": "Grace Ltd"}, headers=bearer(owner))).status_code == 201
    await subscription_set(tenant_id, "payment_failed_at = now() - interval '8 days'")

    refused = await client.post("/api/v1/accounts", json={"name": "Late Ltd"}, headers=bearer(owner))
    assert refused.status_code == 402, refused.text
    problem = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert problem["type"].endswith("/workspace-read-only") and "billing page" in problem["detail"]
    changed = await client.patch(f"/api/v1/accounts/{account['id']}", json={"name": "改名"}, headers=bearer(owner))
    assert changed.status_code == 402
    assert (await client.get(f"/api/v1/accounts/{account['id']}", headers=bearer(owner))).json()["name"] == "宁波港联"
    exported = await client.post("/api/v1/exports", json={"entity": "accounts", "format": "csv"}, headers=bearer(owner))
    assert exported.status_code in (200, 201, 202), exported.text  # taking the data out still works
    assert (await client.get("/api/v1/billing", headers=bearer(owner))).json()["status"] == "read_only"

    await deliver(client, events[6])  # the invoice is paid
    await applied_in_order(tenant_id, [events[6]["id"]])
    again = await client.post("/api/v1/accounts", json={"name": "Late Ltd"}, headers=bearer(owner))
    assert again.status_code == 201, again.text


async def test_a_trial_that_ended_without_a_subscription_is_read_only(client: Any) -> None:
    owner = await signed_up(client)
    await subscription_set(owner["workspace"]["id"], "trial_ends_at = now() - interval '1 minute'")
    refused = await client.post("/api/v1/accounts", json={"name": "After trial"}, headers=bearer(owner))
    assert refused.status_code == 402 and refused.json()["type"].endswith("/workspace-read-only")
    other = await signed_up(client)  # another workspace is not affected
    assert (await client.post("/api/v1/accounts", json={"name": "x"}, headers=bearer(other))).status_code == 201


async def test_invitations_stop_at_the_plans_seats(client: Any) -> None:
    owner = await signed_up(client)  # the trial: 5 seats
    for _ in range(3):
        await join(client, owner, "sales_rep")  # 4 members now

    def invited() -> dict[str, str]:
        return {"email": f"{uuid.uuid4().hex[:8]}@example.com", "role": "sales_rep"}

    first = await client.post("/api/v1/admin/invitations", json=invited(), headers=bearer(owner))
    assert first.status_code == 201, first.text  # the fifth seat, pending
    full = await client.post("/api/v1/admin/invitations", json=invited(), headers=bearer(owner))
    assert full.status_code == 402, full.text
    body = full.json()
    assert body["type"].endswith("/plan-limit") and "5 seats" in body["detail"] and "billing page" in body["detail"]
    assert body["errors"][0]["field"] == "email"


async def test_a_plan_without_grading_and_churn_refuses_them_and_skips_their_nightly_jobs(client: Any) -> None:
    from guanxi.domain.billing.tasks import in_plan

    from tests.domain.audit.test_retention import job_for

    owner = await signed_up(client)
    tenant_id = owner["workspace"]["id"]
    assert (await client.get("/api/v1/grading/settings", headers=bearer(owner))).status_code == 200  # the trial has it
    await subscription_set(tenant_id, "plan_key = 'starter', stripe_status = 'active'")
    for path in ("/api/v1/grading/settings", "/api/v1/grading/report", "/api/v1/churn/at-risk"):
        answer = await client.get(path, headers=bearer(owner))
        assert answer.status_code == 402, (path, answer.text)
        assert answer.json()["type"].endswith("/plan-feature") and "billing page" in answer.json()["detail"]
    started = await client.post("/api/v1/grading/runs", headers=bearer(owner))
    assert started.status_code == 402
    account = await add_account(client, owner, name="不受影响")  # the rest of the product works
    assert (await client.get(f"/api/v1/accounts/{account['id']}/risk", headers=bearer(owner))).status_code == 402

    job = await job_for(tenant_id)  # the nightly grading run and churn scan ask this first, and do nothing
    assert not await in_plan(job, "grading") and not await in_plan(job, "churn") and await in_plan(job, "api")


async def test_owners_hear_before_a_trial_or_a_grace_ends_and_when_read_only_each_once(client: Any) -> None:
    import datetime as dt

    from guanxi.domain.billing.tasks import remind
    from guanxi.periodic import SCHEDULE

    from tests.api.test_admin import join as joined
    from tests.domain.audit.test_retention import job_for

    assert "billing.remind" in {p.actor for p in SCHEDULE}
    owner = await signed_up(client, locale="zh-Hans")
    rep = await joined(client, owner, "sales_rep")
    tenant_id = owner["workspace"]["id"]
    job = await job_for(tenant_id)
    now = dt.datetime.now(dt.UTC)

    async def titles(who: dict[str, Any]) -> list[str]:
        items = (await client.get("/api/v1/notifications", headers=bearer(who))).json()["items"]
        return [i["title"] for i in items if i["link"] == "/w/settings/billing"]

    assert await remind(job, now) is None  # 14 days left: nothing yet
    await subscription_set(tenant_id, "trial_ends_at = now() + interval '2 days 3 hours'")
    assert await remind(job, now) == 1  # three days left (rounded up): the owner is told
    assert await remind(job, now + dt.timedelta(hours=6)) == 0  # the next run: said already
    assert await titles(owner) == ["免费试用将在 3 天后结束"] and await titles(rep) == []  # the owner's language
    assert await remind(job, now + dt.timedelta(days=1, hours=6)) == 1  # 21 hours left
    assert await titles(owner) == ["免费试用将在 1 天后结束", "免费试用将在 3 天后结束"]
    assert await remind(job, now + dt.timedelta(days=3)) == 1  # the trial ended: read-only, said once
    assert await remind(job, now + dt.timedelta(days=4)) == 0
    assert (await titles(owner))[0] == "工作区已变为只读"

    # subscribed, then a payment failed: the grace's last days, then read-only
    failed = "stripe_status = 'active', payment_failed_at = now() - interval '5 days 1 hour'"
    await subscription_set(tenant_id, failed)
    assert await remind(job, now) == 1  # two days of the seven left
    assert await remind(job, now + dt.timedelta(hours=1)) == 0
    assert (await titles(owner))[0] == "工作区将在 2 天后变为只读"
    assert await remind(job, now + dt.timedelta(days=2, hours=1)) == 1  # the grace is over
    assert await remind(job, now + dt.timedelta(days=2, hours=2)) == 0
    assert (await titles(owner))[:2] == ["工作区已变为只读", "工作区将在 2 天后变为只读"]
    await subscription_set(tenant_id, "payment_failed_at = NULL")  # paid: nothing more to say
    assert await remind(job, now + dt.timedelta(days=3)) is None
    other = await signed_up(client)  # another workspace's reminders are its own
    assert await titles(other) == []
