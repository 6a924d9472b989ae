"""The churn scan: each signal on a small hand-built dataset gives its points and says why; crossing the threshold
alerts the owner and their manager once, again only after dropping below and crossing anew; the digest mail
arrives; a customer no longer owned loses its score."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from guanxi.db.tenancy import scoped, tenant_session
from guanxi.domain.churn import service
from guanxi.domain.churn.models import ChurnScore
from guanxi.domain.churn.tasks import run_scan
from guanxi.domain.notifications.models import Notification
from guanxi.domain.notifications.service import schedule_digests
from guanxi.domain.notifications.tasks import mail_digest
from guanxi.jobs import JobContext
from guanxi.periodic import SCHEDULE
from guanxi_dev.mailcatcher import MailStore
from sqlalchemy import select, text

from tests.api.test_admin import join
from tests.api.test_customers import add_account
from tests.api.test_deals import add_deal, loss_reason, move, pipelines, stage
from tests.api.test_orders import add_order
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for
from tests.domain.email.test_delivery import mailbox  # noqa: F401 -- the real SMTP catcher fixture
from tests.domain.notifications.test_notify import outbox

TODAY = dt.date.today()


async def ordered(client: Any, who: dict[str, Any], account_id: str, days_ago: list[int], price: str = "1000") -> None:
    """Orders on the given days back, each of one line at ``price``."""
    for days in days_ago:
        line = {"name": "服务", "quantity": "1", "unit_price": price}
        await add_order(client, who, account_id, order_date=(TODAY - dt.timedelta(days=days)).isoformat(), lines=[line])


async def sql(job: JobContext, statement: str, **params: Any) -> None:
    async with tenant_session(job.scope) as session:
        await session.execute(text(statement.replace("{s}", f'"{job.scope.schema}"')), params)
        await session.commit()


async def scores(job: JobContext) -> dict[uuid.UUID, ChurnScore]:
    async with tenant_session(job.scope) as session:
        rows = await session.scalars(select(ChurnScore), execution_options=scoped(job.scope))
        return {row.account_id: row for row in rows}


async def test_each_signal_gives_its_points_and_says_why(client: Any) -> None:
    owner = await signed_up(client, locale="zh-Hans")
    job = await job_for(owner["workspace"]["id"])
    lapsing = await add_account(client, owner, name="苏州精工 🚀")  # every 30 days, nothing for 100: late, falling
    steady = await add_account(client, owner, name="Steady")  # every ~27 days, last 5 days ago
    owing = await add_account(client, owner, name="O'Brien; DROP TABLE accounts;--")
    losing = await add_account(client, owner, name="שלום")
    idle = await add_account(client, owner, name="Idle")
    await ordered(client, owner, lapsing["id"], [190, 160, 130, 100])
    await ordered(client, owner, steady["id"], [60, 32, 5])
    await ordered(client, owner, owing["id"], [20])
    await sql(job, """INSERT INTO {s}.payment_instalments (id, order_id, account_id, due_date, amount, collected,
                      status, currency, position, created_at, updated_at)
                      SELECT gen_random_uuid(), o.id, o.account_id, CURRENT_DATE - 3, 800, 300, 'partly_paid',
                             o.currency, 1, now(), now() FROM {s}.orders o WHERE o.account_id = :a""",
              a=uuid.UUID(owing["id"]))  # fmt: skip
    pipeline = (await pipelines(client, owner))[0]
    deal = await add_deal(client, owner, losing["id"])
    why = await loss_reason(client, owner)
    lost = await move(client, owner, deal["id"], stage_id=stage(pipeline, "lost"), loss_reason_id=why)
    assert lost.status_code == 200, lost.text
    everyone = [lapsing["id"], steady["id"], owing["id"], losing["id"]]
    await sql(job, "UPDATE {s}.accounts SET last_activity_at = now() WHERE id = ANY(:ids)",
              ids=[uuid.UUID(i) for i in everyone])  # fmt: skip
    await sql(job, "UPDATE {s}.accounts SET last_activity_at = now() - interval '70 days', "
              "created_at = now() - interval '200 days' WHERE id = :a", a=uuid.UUID(idle["id"]))  # fmt: skip

    assert await run_scan(JobContext(uuid.uuid4(), job.scope)) == 0  # none reaches 60 alone
    found = await scores(job)
    now = dt.datetime.now(dt.UTC)
    by = {key: {s["key"]: s for s in service.present(found[uuid.UUID(account["id"])].signals, TODAY, now)}
          for key, account in {"lapsing": lapsing, "steady": steady, "owing": owing, "losing": losing,
                               "idle": idle}.items()}  # fmt: skip
    last_order = (TODAY - dt.timedelta(days=100)).isoformat()
    assert by["lapsing"]["order_gap"] == {"key": "order_gap", "points": 35, "days": 100, "usual_days": 30,
                                          "last_order": last_order}  # fmt: skip
    assert by["lapsing"]["falling_amount"]["points"] == 20 and by["lapsing"]["falling_amount"]["drop_percent"] == 100
    assert found[uuid.UUID(lapsing["id"])].score == 55 and found[uuid.UUID(lapsing["id"])].at_risk_since is None
    assert by["steady"] == {} and found[uuid.UUID(steady["id"])].score == 0
    assert by["owing"] == {"overdue_payment": {"key": "overdue_payment", "points": 20, "count": 1, "amount": 500.0}}
    assert by["losing"] == {"lost_deal": {"key": "lost_deal", "points": 15, "count": 1, "within_days": 90}}
    assert by["idle"]["no_activity"]["points"] == 15 and by["idle"]["no_activity"]["days"] == 70
    assert service.phrase(by["lapsing"]["order_gap"]) == "no order for 100 days, usually every 30"
    assert service.phrase(by["lapsing"]["order_gap"], "zh-Hans") == "已 100 天没有下单，通常每 30 天一单"
    assert "churn.scan" in {p.actor for p in SCHEDULE}

    # The next night nothing happened: the stored signals hold dates, not day counts, so no row is rewritten
    # (a million customers' rows rewritten every night is what made the scan slow); the days shown move on.
    async with tenant_session(job.scope) as session:
        assert await service.scan(session, job.scope, today=TODAY + dt.timedelta(days=1)) == 0
        await session.commit()
    again = await scores(job)
    assert {k: v.changed_at for k, v in again.items()} == {k: v.changed_at for k, v in found.items()}
    later = service.present(again[uuid.UUID(lapsing["id"])].signals, TODAY + dt.timedelta(days=1), now)
    assert {s["key"]: s.get("days") for s in later}["order_gap"] == 101


async def test_a_crossing_alerts_owner_and_manager_once_and_again_only_after_dropping_below(
    client: Any,
    mailbox: MailStore,  # noqa: F811
) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    made = await client.patch(f"/api/v1/admin/members/{rep['user']['id']}",
                              json={"manager_id": owner["user"]["id"]}, headers=bearer(owner))  # fmt: skip
    assert made.status_code == 200, made.text
    job = await job_for(owner["workspace"]["id"])
    account = await add_account(client, owner, name="深圳华强", owner_id=rep["user"]["id"])
    await ordered(client, owner, account["id"], [190, 160, 130, 100])
    await sql(job, "UPDATE {s}.accounts SET last_activity_at = now() - interval '90 days' WHERE id = :a",
              a=uuid.UUID(account["id"]))  # fmt: skip
    first = JobContext(uuid.uuid4(), job.scope)
    assert await run_scan(first) == 1
    assert await run_scan(first) == 0  # delivered twice, or the next night: nothing new
    assert await run_scan(JobContext(uuid.uuid4(), job.scope)) == 0

    async def alerts() -> list[Notification]:
        async with tenant_session(job.scope) as session:
            rows = await session.scalars(
                select(Notification).where(Notification.kind == "churn.at_risk").order_by(Notification.created_at),
                execution_options=scoped(job.scope),
            )
            return list(rows)

    raised = await alerts()
    assert {n.user_id for n in raised} == {uuid.UUID(rep["user"]["id"]), uuid.UUID(owner["user"]["id"])}
    assert len(raised) == 2 and raised[0].title == "深圳华强 is at risk of churning (score 70)"
    assert "no order for 100 days, usually every 30" in raised[0].body and raised[0].email == "digest"

    assert (
        await client.put("/api/v1/churn/settings", json={"threshold": 90}, headers=bearer(owner))
    ).status_code == 200
    assert await run_scan(JobContext(uuid.uuid4(), job.scope)) == 0
    assert (await scores(job))[uuid.UUID(account["id"])].at_risk_since is None  # below now
    assert (
        await client.put("/api/v1/churn/settings", json={"threshold": 60}, headers=bearer(owner))
    ).status_code == 200
    assert await run_scan(JobContext(uuid.uuid4(), job.scope)) == 1  # crossed again: alerted again
    assert len(await alerts()) == 4
    assert (await scores(job))[uuid.UUID(account["id"])].crossings == 2

    async with tenant_session(job.scope) as session:
        assert await schedule_digests(session, job.scope) == 2
        await session.commit()
    mine = [n for n in await alerts() if n.user_id == uuid.UUID(rep["user"]["id"])]
    assert await mail_digest(JobContext(uuid.uuid4(), job.scope), mine[0].user_id, [n.id for n in mine]) is True
    [mail] = [m for m in mailbox.all() if m.recipients == [rep["user"]["email"]]]
    assert "深圳华强" in mail.text


async def test_a_customer_back_in_the_pool_or_deleted_loses_its_score(client: Any) -> None:
    owner = await signed_up(client)
    job = await job_for(owner["workspace"]["id"])
    account = await add_account(client, owner, name="Gone")
    await run_scan(JobContext(uuid.uuid4(), job.scope))
    assert uuid.UUID(account["id"]) in await scores(job)
    assert (await client.delete(f"/api/v1/accounts/{account['id']}", headers=bearer(owner))).status_code == 204
    await run_scan(JobContext(uuid.uuid4(), job.scope))
    assert uuid.UUID(account["id"]) not in await scores(job)


def test_lateness_is_checked_as_a_number() -> None:
    current = {**service.DEFAULTS, "scanned_at": None}
    assert service.clean_settings(service.SettingsIn(order_lateness=Decimal("2.345")), current)["order_lateness"] == (
        Decimal("2.35")
    )


async def test_an_order_of_a_scored_customer_asks_for_its_rescore_which_lowers_the_score(client: Any) -> None:
    owner = await signed_up(client)
    job = await job_for(owner["workspace"]["id"])
    account = await add_account(client, owner, name="Lapsing")
    untouched = await add_account(client, owner, name="Untouched")
    await ordered(client, owner, account["id"], [190, 160, 130, 100])
    await run_scan(JobContext(uuid.uuid4(), job.scope))
    assert (await scores(job))[uuid.UUID(account["id"])].score == 55
    async with tenant_session(job.scope) as session:
        untouched_before = (await session.execute(text(
            f'SELECT changed_at FROM "{job.scope.schema}".churn_scores WHERE account_id = :a'),
            {"a": uuid.UUID(untouched["id"])})).scalar_one()  # fmt: skip
    await ordered(client, owner, account["id"], [0])
    await ordered(client, owner, untouched["id"], [0])  # scored nothing: left to the nightly scan
    asked = await outbox(owner["workspace"]["id"], "churn.rescore")
    assert asked == [{"account_id": account["id"]}]
    await run_scan(JobContext(uuid.uuid4(), job.scope), uuid.UUID(account["id"]))
    found = await scores(job)
    assert found[uuid.UUID(account["id"])].score == 0 and found[uuid.UUID(account["id"])].signals == []
    assert found[uuid.UUID(untouched["id"])].changed_at == untouched_before  # the one-account rescore kept to it
