"""The operator's view of billing: every workspace's plan and effective status, MRR per currency from the plans'
prices (tests/plans.toml), trials ending and failed payments; the workspaces by keyset pages with filters. Only
operators reach it (others: 404, as for an address that does not exist; no session: 401).

The test database is shared by the whole run, so the summary is compared before and after this test's workspaces
are added; each adds whole cents, so the rounded totals move by exactly the hand-calculated amounts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from decimal import Decimal
from typing import Any

from guanxi.db.tenancy import platform_session
from guanxi.domain.billing.models import Subscription
from guanxi.domain.billing.service import status_of
from sqlalchemy import select, text

from tests.api.test_billing_limits import subscription_set
from tests.api.test_customers import counted_sql
from tests.api.test_tokens import as_token, new_token
from tests.conftest import ROOT, bearer, signed_up

SUMMARY = "/api/v1/operator/billing/summary"
WORKSPACES = "/api/v1/operator/billing/workspaces"


async def an_operator(client: Any) -> dict[str, Any]:
    person = await signed_up(client, name="运维 Operator")
    async with platform_session() as session:
        statement = text("UPDATE platform.users SET is_operator = true WHERE id = CAST(:u AS uuid)")
        await session.execute(statement, {"u": person["user"]["id"]})
        await session.commit()
    return person


def paid(plan: str, currency: str, interval: str, seats: int, extra: str = "", status: str = "active") -> str:
    terms = (f"plan_key = '{plan}', currency = '{currency}', interval = '{interval}', seats = {seats}, "
             f"stripe_status = '{status}', stripe_subscription_id = 'sub_{uuid.uuid4().hex[:14]}', "
             f"stripe_customer_id = 'cus_{uuid.uuid4().hex[:14]}'")  # fmt: skip
    return f"{terms}, {extra}" if extra else terms


async def workspace(client: Any, name: str, assignments: str | None = None) -> str:
    """A workspace signed up for, its subscription then set as the story needs; its id."""
    owner = await signed_up(client, company_name=name)
    tenant_id = str(owner["workspace"]["id"])
    if assignments:
        await subscription_set(tenant_id, assignments)
    return tenant_id


def mrr_of(summary: dict[str, Any]) -> dict[str, Decimal]:
    return {m["currency"]: Decimal(m["amount"]) for m in summary["mrr"]}


async def listed(client: Any, who: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    response = await client.get(WORKSPACES, params={"limit": 200, **params}, headers=bearer(who))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_the_summary_counts_every_tenants_workspace_and_mrr_from_the_plans_prices(client: Any) -> None:
    operator = await an_operator(client)
    before = (await client.get(SUMMARY, headers=bearer(operator))).json()
    marker = f"MRR-{uuid.uuid4().hex[:6]}"
    # CNY: growth 99 x 3 = 297; starter yearly 490 x 6 / 12 = 245, past due within the grace
    await workspace(client, f"{marker} 华强", paid("growth", "CNY", "month", 3))
    await workspace(client, f"{marker} 过期宽限", paid("starter", "CNY", "year", 6,
                                                       "payment_failed_at = now() - interval '2 days'"))  # fmt: skip
    # USD: pro yearly 390 x 5 / 12 = 162.50; starter 9 x 1 (ending at the period's end, still paying)
    await workspace(client, f"{marker} Acme", paid("pro", "USD", "year", 5))
    await workspace(client, f"{marker} Ending", paid("starter", "USD", "month", 1, "cancel_at_period_end = true"))
    # Not in MRR: read-only past the grace, cancelled, a trial that ended, trials
    await workspace(client, f"{marker} Unpaid", paid("growth", "EUR", "month", 4,
                                                     "payment_failed_at = now() - interval '8 days'"))  # fmt: skip
    await workspace(client, f"{marker} Gone", paid("pro", "EUR", "month", 10, status="canceled"))
    await workspace(client, f"{marker} Late", "trial_ends_at = now() - interval '1 day'")
    await workspace(client, f"{marker} Soon", "trial_ends_at = now() + interval '3 days'")
    await workspace(client, f"{marker} Later", "trial_ends_at = now() + interval '10 days'")

    response = await client.get(SUMMARY, headers=bearer(operator))
    assert response.status_code == 200, response.text
    after = response.json()
    grew = {key: after["by_status"][key] - before["by_status"][key] for key in after["by_status"]}
    assert grew == {"trialing": 2, "active": 3, "past_due": 1, "read_only": 2, "canceled": 1}
    assert after["workspaces"] - before["workspaces"] == 9
    assert after["by_plan"]["growth"] - before["by_plan"].get("growth", 0) == 2
    assert after["by_plan"]["pro"] - before["by_plan"].get("pro", 0) == 2
    assert after["by_plan"]["starter"] - before["by_plan"].get("starter", 0) == 2
    old, new = mrr_of(before), mrr_of(after)
    assert new["CNY"] - old.get("CNY", Decimal(0)) == Decimal("542.00")
    assert new["USD"] - old.get("USD", Decimal(0)) == Decimal("171.50")
    assert new.get("EUR", Decimal(0)) == old.get("EUR", Decimal(0))
    assert after["trials_ending"] - before["trials_ending"] == 1 and after["trials_ending_days"] == 7
    assert after["failed_payments"] - before["failed_payments"] == 2  # within the grace and past it

    rows = {row["name"].removeprefix(marker + " "): row for row in await listed(client, operator, q=marker)}
    assert rows["华强"]["mrr"] == "297.00" and rows["华强"]["status"] == "active"
    assert rows["华强"]["plan_name"] == "Growth"
    assert rows["Acme"]["mrr"] == "162.50" and rows["Acme"]["interval"] == "year"
    assert rows["过期宽限"]["status"] == "past_due" and rows["过期宽限"]["mrr"] == "245.00"
    assert rows["Unpaid"]["status"] == "read_only" and rows["Unpaid"]["mrr"] is None
    assert rows["Gone"]["status"] == "canceled" and rows["Soon"]["mrr"] is None
    assert rows["Acme"]["stripe_customer_id"].startswith("cus_") and rows["Soon"]["stripe_customer_id"] is None


async def test_a_yearly_price_is_a_twelfth_a_month_rounded_to_the_cent(client: Any) -> None:
    operator = await an_operator(client)
    marker = f"Year-{uuid.uuid4().hex[:6]}"
    await workspace(client, f"{marker} a", paid("starter", "CNY", "year", 2))  # 490 x 2 / 12 = 81.666…
    await workspace(client, f"{marker} b", paid("growth", "EUR", "year", 7))  # 170 x 7 / 12 = 99.166…
    assert sorted(row["mrr"] for row in await listed(client, operator, q=marker)) == ["81.67", "99.17"]


async def test_filters_and_pages_cover_every_workspace_once(client: Any) -> None:
    operator = await an_operator(client)
    marker = f"Page-{uuid.uuid4().hex[:6]}"
    made = [
        await workspace(client, f"{marker} {i}", paid("growth" if i % 2 else "pro", "CNY", "month", 1 + i))
        for i in range(4)
    ]
    failing = paid("starter", "USD", "month", 2, "payment_failed_at = now() - interval '1 day'")
    made.append(await workspace(client, f"{marker} failing", failing))
    made.append(await workspace(client, f"{marker} soon", "trial_ends_at = now() + interval '2 days'"))
    made.append(await workspace(client, f"{marker} 100%_off", "trial_ends_at = now() + interval '12 days'"))

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"q": marker, "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(WORKSPACES, params=params, headers=bearer(operator))).json()
        seen += [row["id"] for row in page["items"]]
        pages += 1
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 7
    assert seen == list(reversed(made))  # newest first

    async def names(**params: Any) -> set[str]:
        return {row["name"].removeprefix(marker + " ") for row in await listed(client, operator, q=marker, **params)}

    assert await names(status="active") == {"0", "1", "2", "3"}
    assert await names(status="past_due") == {"failing"}
    assert await names(plan="growth") == {"1", "3"}
    assert await names(plan="growth", status="active") == {"1", "3"}
    assert await names(trial_ending_within_days=7) == {"soon"}
    assert await names(trial_ending_within_days=14) == {"soon", "100%_off"}
    assert await names(payment_failed="true") == {"failing"}
    assert len(await names(payment_failed="false")) == 6
    assert [row["name"] for row in await listed(client, operator, q=f"{marker} 100%")] == [f"{marker} 100%_off"]
    assert await listed(client, operator, q=f"{marker} 1%") == []


async def test_bad_filters_are_422_naming_the_field(client: Any) -> None:
    operator = await an_operator(client)
    for params, field in (
        ({"status": "paid"}, "status"),
        ({"plan": "gold"}, "plan"),
        ({"trial_ending_within_days": "soon"}, "trial_ending_within_days"),
        ({"trial_ending_within_days": "0"}, "trial_ending_within_days"),
        ({"payment_failed": "maybe"}, "payment_failed"),
        ({"q": "x" * 201}, "q"),
        ({"limit": "0"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ):
        response = await client.get(WORKSPACES, params=params, headers=bearer(operator))
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in response.json()["errors"]] == [field], (params, response.text)


async def test_only_operators_see_it_others_get_404_and_no_session_401(client: Any) -> None:
    person = await signed_up(client)
    unknown = await client.get("/api/v1/operator/billing/nothing-here", headers=bearer(person))
    for path in (SUMMARY, WORKSPACES):
        refused = await client.get(path, headers=bearer(person))
        assert refused.status_code == 404, refused.text
        assert {k: v for k, v in refused.json().items() if k != "instance"} == {
            k: v for k, v in unknown.json().items() if k != "instance"
        }  # no different from an address that does not exist
        assert (await client.get(path)).status_code == 401
    assert (await client.get("/api/v1/me", headers=bearer(person))).json()["operator"] is False

    operator = await an_operator(client)
    assert (await client.get("/api/v1/me", headers=bearer(operator))).json()["operator"] is True
    token = await new_token(client, operator, ["*:read"])  # an API token belongs to one workspace
    assert (await client.get(SUMMARY, headers=as_token(token))).status_code == 404
    assert (await client.get("/api/v1/me", headers=as_token(token))).json()["operator"] is False
    audit = (await client.get("/api/v1/admin/audit?action=access.refused", headers=bearer(person))).json()
    assert not any("/operator/" in str(entry) for entry in audit["items"])  # nothing in a workspace's log names it


async def test_the_list_runs_the_same_number_of_queries_for_few_and_many_rows(client: Any) -> None:
    operator = await an_operator(client)
    marker = f"Count-{uuid.uuid4().hex[:6]}"
    for i in range(2):
        await workspace(client, f"{marker} {i}", paid("growth", "CNY", "month", 2))
    with counted_sql() as few:
        assert len(await listed(client, operator, q=marker)) == 2
    for i in range(2, 14):
        await workspace(client, f"{marker} {i}", paid("pro", "USD", "year", 3) if i % 2 else None)
    with counted_sql() as many:
        assert len(await listed(client, operator, q=marker)) == 14
    assert len(many) == len(few) <= 4  # the session with its user, the membership, the two-factor rule, the page


async def test_the_status_in_sql_is_the_status_the_service_gives(client: Any) -> None:
    operator = await an_operator(client)
    marker = f"Status-{uuid.uuid4().hex[:6]}"
    cases = [
        "trial_ends_at = now() + interval '1 day'",
        "trial_ends_at = now() - interval '1 second'",
        "trial_ends_at = NULL",
        "stripe_status = 'trialing', trial_ends_at = now() - interval '1 day'",
        "stripe_status = 'active'",
        "stripe_status = 'active', payment_failed_at = now() - interval '6 days'",
        "stripe_status = 'active', payment_failed_at = now() - interval '7 days 1 minute'",
        "stripe_status = 'past_due'",
        "stripe_status = 'unpaid', payment_failed_at = now() - interval '30 days'",
        "stripe_status = 'canceled', payment_failed_at = now() - interval '1 day'",
        "stripe_status = 'incomplete_expired'",
        "stripe_status = 'incomplete'",
    ]
    ids = [await workspace(client, f"{marker} {i}", assignments) for i, assignments in enumerate(cases)]
    shown = {row["id"]: row["status"] for row in await listed(client, operator, q=marker)}
    async with platform_session() as session:
        subs = {str(s.tenant_id): s for s in await session.scalars(select(Subscription).where(
            Subscription.tenant_id.in_([uuid.UUID(i) for i in ids])))}  # fmt: skip
    expected = {tenant_id: status_of(sub) for tenant_id, sub in subs.items()}
    assert shown == expected
    assert set(expected.values()) == {"trialing", "read_only", "active", "past_due", "canceled"}


def guanxi_commands(*commands: list[str]) -> list[tuple[int, str, str]]:
    """Several operator commands run one after the other in one process (one start-up): exit code, out, err each."""
    script = (
        "import contextlib, io, json, sys\n"
        "from guanxi.cli import main\n"
        "answers = []\n"
        "for args in json.loads(sys.argv[1]):\n"
        "    out, err = io.StringIO(), io.StringIO()\n"
        "    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):\n"
        "        try:\n"
        "            main(args, standalone_mode=False)\n"
        "            code = 0\n"
        "        except SystemExit as stop:\n"
        "            code = stop.code if isinstance(stop.code, int) else 1\n"
        "    answers.append([code, out.getvalue(), err.getvalue()])\n"
        "print(json.dumps(answers))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, json.dumps(commands)], capture_output=True, text=True,
                          env={**os.environ}, cwd=ROOT, timeout=60, check=True)  # fmt: skip
    return [tuple(answer) for answer in json.loads(done.stdout.splitlines()[-1])]


async def test_operators_are_granted_listed_and_revoked_from_the_command_line(client: Any) -> None:
    person = await signed_up(client, name="李运维")
    email = person["user"]["email"]
    assert (await client.get(SUMMARY, headers=bearer(person))).status_code == 404

    granted, listing, overview = guanxi_commands(
        ["operators", "grant", email.upper()], ["operators", "list"], ["billing", "overview"]
    )  # any case of the address
    assert granted[0] == 0 and f"{email}: operator" in granted[1], granted
    assert (await client.get(SUMMARY, headers=bearer(person))).status_code == 200
    assert listing[0] == 0 and f"{email}  李运维" in listing[1]
    assert overview[0] == 0, overview
    assert "by status: trialing=" in overview[1] and "MRR: " in overview[1]
    assert "trials ending within 7 days: " in overview[1] and "failed payments: " in overview[1]

    revoked, listing, unknown = guanxi_commands(
        ["operators", "revoke", email], ["operators", "list"], ["operators", "grant", "nobody-here@example.com"]
    )
    assert revoked[0] == 0 and f"{email}: not an operator" in revoked[1]
    assert (await client.get(SUMMARY, headers=bearer(person))).status_code == 404
    assert email not in listing[1]
    assert unknown[0] == 1 and "no user with the email" in unknown[2]


async def test_odd_searches_are_only_searches(client: Any) -> None:
    operator = await an_operator(client)
    for q in ("'; DROP TABLE platform.tenants; --", "100%_\\", "مرحبا 🚀", "华强"):
        response = await client.get(WORKSPACES, params={"q": q}, headers=bearer(operator))
        assert response.status_code == 200, (q, response.text)
        assert all(q.lower() in row["name"].lower() for row in response.json()["items"])
    assert (await client.get(SUMMARY, headers=bearer(operator))).status_code == 200  # the tables are all there
