"""Stripe's webhooks against the real API and database: payloads signed exactly as Stripe signs them (HMAC-SHA256
of ``{timestamp}.{body}`` with the endpoint's secret), refused when the signature, its age or the body is wrong;
stored once per event id; applied by the worker's code path so that the same events duplicated and shuffled end
in the same subscription as in order; a new workspace starts its trial; each workspace sees only its own."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
import uuid
from typing import Any

import pytest
from guanxi.db.tenancy import platform_session, scoped, tenant_session
from guanxi.domain.billing import service
from guanxi.domain.billing.models import StripeEvent, Subscription
from guanxi.domain.billing.tasks import apply_event
from guanxi.domain.notifications.models import Notification
from guanxi.domain.outbox.models import OutboxMessage
from guanxi_dev.stripelocal import event, sign, story
from sqlalchemy import select

from tests.api.test_admin import join
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for

SECRET = os.environ["GUANXI_STRIPE_WEBHOOK_SECRET"]
URL = "/api/v1/billing/webhooks/stripe"


def signed(body: bytes, *, at: int | None = None, secret: str = SECRET) -> dict[str, str]:
    return {"stripe-signature": sign(body, secret, at), "content-type": "application/json"}


async def deliver(client: Any, payload: dict[str, Any], **signing: Any) -> Any:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return await client.post(URL, content=body, headers=signed(body, **signing))


async def subscription_of(tenant_id: str) -> Subscription:
    async with platform_session() as session:
        found = await session.scalar(select(Subscription).where(Subscription.tenant_id == uuid.UUID(tenant_id)))
        assert found is not None
        return found


async def linked(tenant_id: str, customer: str) -> None:
    async with platform_session() as session:
        await service.link_customer(session, uuid.UUID(tenant_id), customer)
        await session.commit()


async def applied_in_order(tenant_id: str, event_ids: list[str]) -> None:
    """What the worker does with each delivery it was asked to apply, in the order they were asked for."""
    job = await job_for(tenant_id)
    for event_id in event_ids:
        await apply_event(job, event_id)


def terms(sub: Subscription) -> tuple[Any, ...]:
    return (sub.plan_key, sub.status, sub.seats, sub.interval, sub.currency, sub.payment_failed_at,
            sub.stripe_status, sub.current_period_end)  # fmt: skip


async def test_a_new_workspace_starts_its_trial_and_only_its_owner_and_admins_see_billing(client: Any) -> None:
    owner = await signed_up(client)
    got = await client.get("/api/v1/billing", headers=bearer(owner))
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["plan"], body["status"], body["seats"]) == ("trial", "trialing", 1)
    assert "grading" in body["features"] and body["limits"]["seats"] == 5
    ends = (await subscription_of(owner["workspace"]["id"])).trial_ends_at
    assert ends is not None and 13.9 < (ends.timestamp() - time.time()) / 86400 <= 14
    rep = await join(client, owner, "sales_rep")
    assert (await client.get("/api/v1/billing", headers=bearer(rep))).status_code == 403
    plans = (await client.get("/api/v1/billing/plans", params={"currency": "EUR"})).json()  # public
    assert [p["key"] for p in plans["plans"]] == ["starter", "growth", "pro"] and plans["trial_days"] == 14
    assert {price["currency"] for p in plans["plans"] for price in p["prices"]} == {"EUR"}
    assert (await client.get("/api/v1/billing/plans", params={"currency": "GBP"})).status_code == 422
    assert (await client.get("/api/v1/billing")).status_code == 401


async def test_events_duplicated_and_shuffled_end_in_the_same_subscription_as_in_order(client: Any) -> None:
    finals = []
    orders = ["in order", *[f"shuffle {seed}" for seed in range(4)]]
    for name in orders:
        owner = await signed_up(client)
        tenant_id = owner["workspace"]["id"]
        customer = f"cus_{uuid.uuid4().hex[:14]}"
        await linked(tenant_id, customer)
        events = story(tenant_id, customer, start=int(time.time()) - 100)
        deliveries = list(events)
        if name != "in order":
            rng = random.Random(name)
            deliveries += rng.sample(events, 4)  # Stripe delivers again what it is not sure arrived
            rng.shuffle(deliveries)
        asked = []
        for payload in deliveries:
            answer = await deliver(client, payload)
            assert answer.status_code == 200, answer.text
            assert answer.json()["id"] == payload["id"]
            if not answer.json()["duplicate"]:
                asked.append(payload["id"])
        assert sorted(asked) == sorted(e["id"] for e in events)  # each stored (and sent to the worker) once
        await applied_in_order(tenant_id, asked + asked[:3])  # a redelivered job finds its event applied
        finals.append(terms(await subscription_of(tenant_id)))
    assert finals[0][:7] == ("pro", "active", 4, "year", "USD", None, "active")
    assert all(final == finals[0] for final in finals), finals
    async with platform_session() as session:
        jobs = await session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.actor == "billing.apply_event").limit(1)
        )  # fmt: skip
    assert jobs is not None  # the webhook asked the worker through the outbox


async def test_a_failed_payment_makes_the_workspace_past_due_and_a_paid_invoice_brings_it_back(client: Any) -> None:
    owner = await signed_up(client)
    tenant_id = owner["workspace"]["id"]
    customer = f"cus_{uuid.uuid4().hex[:14]}"
    await linked(tenant_id, customer)
    events = story(tenant_id, customer, start=int(time.time()) - 100)
    for payload in events[:5]:  # up to the failed payment
        assert (await deliver(client, payload)).status_code == 200
    await applied_in_order(tenant_id, [e["id"] for e in events[:5]])
    sub = await subscription_of(tenant_id)
    assert sub.status == "past_due" and sub.payment_failed_at is not None and sub.seats == 5
    later = sub.payment_failed_at + dt.timedelta(days=8)  # past the seven days of grace
    assert service.status_of(sub, now=later) == "read_only"
    await deliver(client, events[6])
    await applied_in_order(tenant_id, [events[6]["id"]])
    sub = await subscription_of(tenant_id)
    assert sub.status == "active" and sub.payment_failed_at is None
    # the owner heard of the failure and of the recovery once each, in the app and by mail
    async with tenant_session((await job_for(tenant_id)).scope) as session:
        told = list(await session.execute(
            select(Notification.kind, Notification.user_id, Notification.email).order_by(Notification.created_at),
            execution_options=scoped((await job_for(tenant_id)).scope),
        ))  # fmt: skip
    owner_id = uuid.UUID(owner["user"]["id"])
    assert [(k, u, e) for k, u, e in told] == [
        ("billing.payment_failed", owner_id, "instant"),
        ("billing.payment_recovered", owner_id, "instant"),
    ]


async def test_bad_webhooks_are_refused_or_ignored_and_never_change_a_subscription(client: Any) -> None:
    owner = await signed_up(client)
    tenant_id = owner["workspace"]["id"]
    customer = f"cus_{uuid.uuid4().hex[:14]}"
    await linked(tenant_id, customer)
    before = terms(await subscription_of(tenant_id))
    good = story(tenant_id, customer, start=int(time.time()))[1]
    body = json.dumps(good).encode()

    async def refused(content: bytes, headers: dict[str, str]) -> str:
        answer = await client.post(URL, content=content, headers=headers)
        assert answer.status_code == 400, (answer.status_code, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        return str(answer.json()["detail"])

    assert "signature" in (await refused(body, signed(body, secret="whsec_someone_else"))).lower()
    assert "signature" in (await refused(body, signed(body, at=int(time.time()) - 3600))).lower()  # too old
    assert "missing" in await refused(body, {"content-type": "application/json"})
    tampered = body.replace(b'"quantity": 3', b'"quantity": 300')
    assert tampered != body
    await refused(tampered, signed(body))
    overlong = json.dumps({**good, "id": "evt_" + "x" * 300}).encode()
    for junk in (b"not json at all", b'{"id": 1}', "{'单': '引号'}".encode(), b"[]", overlong):
        await refused(junk, signed(junk))
    huge = b'{"pad": "' + b"x" * 600_000 + b'"}'
    await refused(huge, signed(huge))

    unknown_type = event("customer.tax_id.created", {"id": "txi_1", "object": "tax_id", "customer": customer},
                         int(time.time()))  # fmt: skip
    stranger = story(str(uuid.uuid4()), "cus_nobody", start=int(time.time()))[1]
    for payload in (unknown_type, stranger):
        answer = await deliver(client, payload)
        assert answer.status_code == 200 and answer.json()["duplicate"] is False, answer.text
    async with platform_session() as session:
        outcomes = dict(
            (await session.execute(
                select(StripeEvent.id, StripeEvent.outcome).where(StripeEvent.id.in_((unknown_type["id"],
                                                                                     stranger["id"]))))).all()
        )  # fmt: skip
        queued = await session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.payload["event_id"].astext.in_(list(outcomes)))
        )
    assert outcomes[unknown_type["id"]].startswith("ignored") and outcomes[stranger["id"]].startswith("ignored")
    assert queued is None  # nothing for the worker to do
    assert terms(await subscription_of(tenant_id)) == before


async def test_an_event_cannot_move_another_workspaces_subscription(client: Any) -> None:
    first, second = await signed_up(client), await signed_up(client)
    customer = f"cus_{uuid.uuid4().hex[:14]}"
    await linked(first["workspace"]["id"], customer)
    # an event of the first workspace's customer that claims the second workspace in its metadata
    forged = story(second["workspace"]["id"], customer, start=int(time.time()))[1]
    assert (await deliver(client, forged)).status_code == 200
    async with platform_session() as session:
        stored = await session.scalar(select(StripeEvent).where(StripeEvent.id == forged["id"]))
    assert stored is not None and str(stored.tenant_id) == first["workspace"]["id"]  # found by its customer
    await applied_in_order(first["workspace"]["id"], [forged["id"]])
    assert (await subscription_of(second["workspace"]["id"])).stripe_status is None
    got = await client.get("/api/v1/billing", headers=bearer(second))
    assert got.json()["plan"] == "trial" and got.json()["status"] == "trialing"


@pytest.mark.parametrize("bad", ["", "t=abc,v1=zz", "v1=" + "0" * 64])
async def test_malformed_signature_headers_are_refused(client: Any, bad: str) -> None:
    body = b'{"id": "evt_1", "type": "invoice.paid", "created": 1, "data": {"object": {}}}'
    answer = await client.post(URL, content=body, headers={"stripe-signature": bad, "content-type": "application/json"})
    assert answer.status_code == 400, answer.text
