"""Document numbers: the workspace's pattern with date parts and a padded sequence that restarts by period, no two
documents with one number even when taken at the same moment, and patterns checked before they are kept."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from guanxi.db.tenancy import tenant_session
from guanxi.domain.numbering.service import next_number, render

from tests.api.test_admin import join
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for


def test_a_pattern_renders_the_date_parts_and_pads_the_sequence() -> None:
    day = dt.date(2027, 3, 4)
    assert render("QT-{yyyy}{mm}{dd}-{seq:4}", day, 42) == "QT-20270304-0042"
    assert render("报价{yy}/{seq}", day, 12345) == "报价27/12345"


async def test_numbers_follow_the_rule_restart_by_period_and_never_repeat(client: Any) -> None:
    owner = await signed_up(client)
    listed = (await client.get("/api/v1/settings/numbering", headers=bearer(owner))).json()
    assert {r["kind"]: r["reset"] for r in listed}["quote"] == "monthly"
    changed = await client.put(
        "/api/v1/settings/numbering/quote", json={"pattern": " BJ{yyyy}-{seq:3} ", "reset": "yearly"},
        headers=bearer(owner),
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["pattern"] == "BJ{yyyy}-{seq:3}"
    job = await job_for(owner["workspace"]["id"])

    async def take(day: dt.date) -> str:
        async with tenant_session(job.scope) as session:
            number = await next_number(session, job.scope, "quote", day)
            await session.commit()
            return number

    numbers = await asyncio.gather(*(take(dt.date(2027, 5, 1)) for _ in range(12)))
    assert sorted(numbers) == [f"BJ2027-{n:03}" for n in range(1, 13)]
    assert await take(dt.date(2028, 1, 2)) == "BJ2028-001"
    async with tenant_session(job.scope) as session:  # a rolled-back document gives its number back
        await next_number(session, job.scope, "quote", dt.date(2027, 6, 1))
        await session.rollback()
    assert await take(dt.date(2027, 6, 1)) == "BJ2027-013"


async def test_bad_patterns_are_refused_by_field_and_only_administrators_change_them(client: Any) -> None:
    owner = await signed_up(client)
    for pattern, reset, field in [
        ("QT-{yyyy}", "never", "pattern"),  # no sequence
        ("{seq}{seq}", "never", "pattern"),
        ("{seq:0}", "never", "pattern"),
        ("{seq:11}", "never", "pattern"),
        ("{seq}-{week}", "never", "pattern"),
        ("{seq}'; DROP TABLE number_counters; -- and a pattern far longer than sixty characters", "never", "pattern"),
        ("", "never", "pattern"),
        ("Q{seq}}", "never", "pattern"),
        ("{seq}", "weekly", "reset"),
    ]:
        answer = await client.put(
            "/api/v1/settings/numbering/quote", json={"pattern": pattern, "reset": reset}, headers=bearer(owner)
        )
        assert answer.status_code == 422, (pattern, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in answer.json()["errors"]] == [field], pattern
    assert (
        await client.put("/api/v1/settings/numbering/receipt", json={"pattern": "{seq}"}, headers=bearer(owner))
    ).status_code == 422
    sql = await client.put(
        "/api/v1/settings/numbering/invoice", json={"pattern": "{seq}'; DROP TABLE x; --"}, headers=bearer(owner)
    )
    assert sql.status_code == 200 and sql.json()["example"] == "1'; DROP TABLE x; --"  # only text
    emoji = await client.put(
        "/api/v1/settings/numbering/order", json={"pattern": "🚀订单-{seq:6}"}, headers=bearer(owner)
    )
    assert emoji.status_code == 200 and emoji.json()["example"] == "🚀订单-000001"
    rep = await join(client, owner, "sales_rep")
    refused = await client.put("/api/v1/settings/numbering/order", json={"pattern": "X{seq}"}, headers=bearer(rep))
    assert refused.status_code == 403
    other = await signed_up(client)  # another workspace keeps its own defaults
    theirs = {
        r["kind"]: r["pattern"] for r in (await client.get("/api/v1/settings/numbering", headers=bearer(other))).json()
    }
    assert theirs["order"] == "SO-{yyyy}{mm}{dd}-{seq:4}"
