"""The nightly reclaim: owned customers left alone longer than their pool's rules allow (days by grade) go
back with the rule as reason; locked, won, recently followed-up and recently claimed ones stay; owners hear
of the customers due back soon, one mail each, in their language."""

from __future__ import annotations

import uuid
from typing import Any

from guanxi.db.tenancy import platform_session, tenant_session
from guanxi.domain.pools import service
from guanxi.domain.pools.tasks import reclaim_and_warn, send_warning_mail
from guanxi.jobs import JobContext
from guanxi.periodic import SCHEDULE
from guanxi_dev.mailcatcher import MailStore
from sqlalchemy import text

from tests.api.test_activities import log
from tests.api.test_admin import join
from tests.api.test_customers import add_account
from tests.api.test_pools import configure, default_pool, in_pool
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for
from tests.domain.email.test_delivery import mailbox  # noqa: F401 -- the real SMTP catcher fixture


async def age(job: JobContext, account_id: str, days: int, *, activity_days: int | None = None) -> None:
    """Make an account look claimed ``days`` ago, last followed up ``activity_days`` ago (or never)."""
    async with tenant_session(job.scope) as session:
        await session.execute(
            text(
                f'UPDATE "{job.scope.schema}".accounts SET created_at = now() - make_interval(days => :d), '
                "claimed_at = now() - make_interval(days => :d), last_activity_at = "
                "CASE WHEN CAST(:a AS int) IS NULL THEN NULL ELSE now() - make_interval(days => CAST(:a AS int)) END "
                "WHERE id = :i"
            ),
            {"d": days, "a": activity_days, "i": uuid.UUID(account_id)},
        )
        await session.commit()


async def owner_of(client: Any, who: dict[str, Any], account_id: str) -> str | None:
    got = await client.get(f"/api/v1/accounts/{account_id}", headers=bearer(who))
    assert got.status_code == 200, got.text
    return got.json()["owner_id"]


async def test_the_nightly_run_returns_what_its_rules_say_and_nothing_else(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    pool = await default_pool(client, owner)
    await configure(
        client, owner, pool,
        rules=[{"kind": "no_follow_up", "days": {"A": 30, "*": 10}}, {"kind": "not_won", "days": {"*": 60}}],
    )  # fmt: skip
    job = await job_for(owner["workspace"]["id"])
    named: dict[str, dict[str, Any]] = {}
    for name, fields in {
        "graded A, 20 days": {"grade": "A"},
        "graded B, 20 days": {"grade": "B"},
        "ungraded, 20 days, called 3 days ago": {},
        "locked, 90 days": {},
        "won, 90 days": {"lifecycle_stage": "customer"},
        "graded A, 70 days, called yesterday": {"grade": "A"},
        "fresh": {},
    }.items():
        named[name] = await add_account(client, rep, name=name, **fields)
    await age(job, named["graded A, 20 days"]["id"], 20)
    await age(job, named["graded B, 20 days"]["id"], 20)
    await age(job, named["ungraded, 20 days, called 3 days ago"]["id"], 20, activity_days=3)
    await age(job, named["locked, 90 days"]["id"], 90)
    await age(job, named["won, 90 days"]["id"], 90)
    await age(job, named["graded A, 70 days, called yesterday"]["id"], 70, activity_days=1)
    locked = await client.put(
        f"/api/v1/accounts/{named['locked, 90 days']['id']}/pool/lock", json={"locked": True}, headers=bearer(rep)
    )
    assert locked.status_code == 200

    returned, warned = await reclaim_and_warn(job)
    assert returned == 2
    waiting = {a["name"]: a for a in await in_pool(client, owner, pool["id"])}
    assert set(waiting) == {"graded B, 20 days", "graded A, 70 days, called yesterday"}
    assert waiting["graded B, 20 days"]["return_reason"] == "no_follow_up:10"
    assert waiting["graded A, 70 days, called yesterday"]["return_reason"] == "not_won:60"
    assert waiting["graded B, 20 days"]["previous_owner_id"] == rep["user"]["id"]
    for stays in ("graded A, 20 days", "ungraded, 20 days, called 3 days ago", "locked, 90 days", "won, 90 days",
                  "fresh"):  # fmt: skip
        assert await owner_of(client, owner, named[stays]["id"]) == rep["user"]["id"], stays
    history = (await client.get(f"/api/v1/accounts/{named['graded B, 20 days']['id']}/history",
                                headers=bearer(owner))).json()  # fmt: skip
    assert history[0]["action"] == "pool_reclaimed" and history[0]["actor_id"] is None
    assert history[0]["changes"] == {"owner_id": [rep["user"]["id"], None], "return_reason": [None, "no_follow_up:10"]}
    assert (await reclaim_and_warn(job))[0] == 0  # a second run finds nothing more
    assert warned == 0  # nobody was due within the warning days (3 by default)


async def test_logging_a_follow_up_restarts_the_clock(client: Any) -> None:
    owner = await signed_up(client)
    pool = await default_pool(client, owner)
    await configure(client, owner, pool, rules=[{"kind": "no_follow_up", "days": {"*": 7}}])
    account = await add_account(client, owner, name="Called today")
    job = await job_for(owner["workspace"]["id"])
    await age(job, account["id"], 30)
    await log(client, owner, kind="call", account_id=account["id"], subject="跟进", direction="outbound")
    assert (await reclaim_and_warn(job))[0] == 0
    status = await client.get(f"/api/v1/accounts/{account['id']}/pool", headers=bearer(owner))
    assert status.json()["days_left"] == 7


async def test_owners_are_warned_once_of_customers_due_back_soon(
    client: Any,
    mailbox: MailStore,  # noqa: F811
) -> None:
    owner = await signed_up(client, locale="zh-Hans")
    rep = await join(client, owner, "sales_rep")
    pool = await default_pool(client, owner)
    await configure(client, owner, pool, warn_days=3, rules=[{"kind": "no_follow_up", "days": {"*": 10}}])
    soon = await add_account(client, rep, name="华强电子")
    later = await add_account(client, rep, name="Later Ltd")
    job = await job_for(owner["workspace"]["id"])
    await age(job, soon["id"], 8)
    await age(job, later["id"], 2)
    returned, warned = await reclaim_and_warn(job)
    assert (returned, warned) == (0, 1)
    async with platform_session() as session:
        queued = (
            await session.execute(
                text("SELECT payload->>'owner_id' FROM platform.outbox WHERE actor = 'pools.send_warning' "
                     "AND tenant_id = CAST(:t AS uuid)"),
                {"t": owner["workspace"]["id"]},
            )
        ).scalars().all()  # fmt: skip
    assert queued == [rep["user"]["id"]]
    delivery = JobContext(uuid.uuid4(), job.scope)
    assert await send_warning_mail(delivery, uuid.UUID(rep["user"]["id"])) is True
    assert await send_warning_mail(delivery, uuid.UUID(rep["user"]["id"])) is False  # one mail per job
    mails = mailbox.all()
    assert len(mails) == 1 and mails[0].recipients == [rep["user"]["email"]]
    assert "华强电子" in mails[0].text and "Later Ltd" not in mails[0].text
    assert f"/accounts/{soon['id']}" in mails[0].text


async def test_the_reclaim_is_on_the_schedule_and_keeps_to_its_workspace(client: Any) -> None:
    assert "pools.reclaim" in {p.actor for p in SCHEDULE}
    ours = await signed_up(client)
    theirs = await signed_up(client)
    for who in (ours, theirs):
        pool = await default_pool(client, who)
        await configure(client, who, pool, rules=[{"kind": "no_follow_up", "days": {"*": 5}}])
    mine = await add_account(client, ours, name="Ours")
    other = await add_account(client, theirs, name="Theirs")
    our_job = await job_for(ours["workspace"]["id"])
    their_job = await job_for(theirs["workspace"]["id"])
    await age(our_job, mine["id"], 9)
    await age(their_job, other["id"], 9)
    assert (await reclaim_and_warn(our_job))[0] == 1
    assert await owner_of(client, theirs, other["id"]) == theirs["user"]["id"]  # their run has not come yet
    async with tenant_session(their_job.scope) as session:
        assert await service.upcoming_returns(session, their_job.scope) == {}


async def test_deals_keep_customers_and_the_no_open_deal_rule_counts_from_the_last_close(client: Any) -> None:
    from tests.api.test_deals import add_deal, loss_reason, move, pipelines, stage

    owner = await signed_up(client)
    pool = await default_pool(client, owner)
    await configure(client, owner, pool, rules=[{"kind": "no_open_deal", "days": {"*": 10}}])
    busy = await add_account(client, owner, name="Open deal")
    lost_long_ago = await add_account(client, owner, name="Lost 15 days ago")
    lost_lately = await add_account(client, owner, name="Lost 5 days ago")
    job = await job_for(owner["workspace"]["id"])
    [pipeline] = await pipelines(client, owner)
    reason = await loss_reason(client, owner)
    await add_deal(client, owner, busy["id"])
    for account, days in ((lost_long_ago, 15), (lost_lately, 5)):
        deal = await add_deal(client, owner, account["id"])
        await move(client, owner, deal["id"], stage_id=stage(pipeline, "lost"), loss_reason_id=reason)
        async with tenant_session(job.scope) as session:
            await session.execute(
                text(f'UPDATE "{job.scope.schema}".deals SET closed_at = now() - make_interval(days => :d) '
                     "WHERE id = :i"),
                {"d": days, "i": uuid.UUID(deal["id"])},
            )  # fmt: skip
            await session.commit()
    for account in (busy, lost_long_ago, lost_lately):
        await age(job, account["id"], 30)
    assert (await reclaim_and_warn(job))[0] == 1
    assert [a["name"] for a in await in_pool(client, owner, pool["id"])] == ["Lost 15 days ago"]
    await configure(
        client, owner, pool, recycle_with_open_deal=True, rules=[{"kind": "no_follow_up", "days": {"*": 7}}]
    )
    assert (await reclaim_and_warn(job))[0] == 2  # now the open deal does not keep its customer
