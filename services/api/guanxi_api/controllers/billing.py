"""Billing: Stripe's webhook (signature verified, stored once, applied by the worker) and the workspace's
subscription as its owner and administrators see it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from guanxi.config import get_settings
from guanxi.domain.access.service import Access
from guanxi.domain.billing import invoices, service
from guanxi.domain.billing.limits import usage
from guanxi.domain.billing.plans import LIMITS, catalogue
from guanxi.domain.identity.service import AuthContext
from guanxi.errors import forbidden, not_found
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import provide_access, provide_auth
from guanxi_api.openapi import problems


class CheckoutIn(msgspec.Struct, forbid_unknown_fields=True):
    plan: Annotated[str, msgspec.Meta(max_length=40)]
    interval: Literal["month", "year"] = "month"
    currency: Literal["CNY", "USD", "EUR", "cny", "usd", "eur"] = "CNY"


class RedirectOut(msgspec.Struct):
    url: str


class WebhookAck(msgspec.Struct):
    received: bool
    id: str
    duplicate: bool


class SubscriptionOut(msgspec.Struct):
    plan: str
    plan_name: str
    status: str  # trialing | active | past_due | read_only | canceled
    seats: int
    interval: str | None
    currency: str | None
    trial_ends_at: dt.datetime | None
    current_period_end: dt.datetime | None
    cancel_at_period_end: bool
    payment_failed_at: dt.datetime | None
    limits: dict[str, int | None]
    usage: dict[str, int]  # what the workspace uses now of each limit (api_calls_per_day: today's, UTC)
    features: list[str]
    subscribed: bool  # a live Stripe subscription: changes and payments go through the billing portal


class InvoiceOut(msgspec.Struct):
    number: str | None
    date: dt.date
    amount: str  # in the currency's major unit: "297.00"
    currency: str
    status: str | None  # draft | open | paid | uncollectible | void
    hosted_url: str | None  # Stripe's page of the invoice (pay an open one there)
    pdf_url: str | None  # the PDF to download


class UpcomingOut(msgspec.Struct):
    amount: str
    currency: str
    date: dt.date | None


class InvoicesOut(msgspec.Struct):
    invoices: list[InvoiceOut]  # newest first, the latest 24
    upcoming: UpcomingOut | None  # the next invoice, when the subscription bills again


class PriceOut(msgspec.Struct):
    currency: str
    interval: str
    amount: str  # per seat and interval


class PlanOut(msgspec.Struct):
    key: str
    name: str
    prices: list[PriceOut]
    limits: dict[str, int | None]
    features: list[str]


class PlansOut(msgspec.Struct):
    plans: list[PlanOut]
    trial_days: int


class PlansController(Controller):
    path = "/api/v1/billing/plans"
    tags = ["billing"]

    @get("", summary="The plans on sale, their prices per currency and interval, limits and features (public); "
         "`currency` keeps the prices in one currency", responses=problems(422))  # fmt: skip
    async def plans(self, currency: FromQuery[Literal["CNY", "USD", "EUR"] | None] = None) -> PlansOut:
        return PlansOut(
            plans=[
                PlanOut(key=p.key, name=p.name, features=list(p.features),
                        prices=[PriceOut(x.currency, x.interval, str(x.amount)) for x in p.prices
                                if currency is None or x.currency == currency],
                        limits={name: getattr(p.limits, name) for name in LIMITS})
                for p in catalogue().plans if p.public
            ],
            trial_days=get_settings().trial_days,
        )  # fmt: skip


class StripeWebhookController(Controller):
    path = "/api/v1/billing/webhooks/stripe"
    tags = ["billing"]

    @post("", status_code=200, summary="Stripe's events: verified, stored once, applied by the worker",
          responses=problems(400, 404))  # fmt: skip
    async def receive(self, request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]) -> WebhookAck:
        event_id, new = await service.receive(db, await request.body(), request.headers.get("stripe-signature"))
        await db.commit()
        return WebhookAck(received=True, id=event_id, duplicate=not new)


class BillingController(Controller):
    path = "/api/v1/billing"
    tags = ["billing"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    @get("", summary="The workspace's plan, status, seats, limits and features (owner and administrators)",
         responses=problems(401, 403))  # fmt: skip
    async def subscription(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> SubscriptionOut:
        _billing_reader(auth, access)
        sub = await service.subscription_of(db, auth.scope.tenant_id)
        if sub is None:
            raise not_found("Subscription")
        plan = catalogue().plan(sub.plan_key)
        limits = {name: getattr(plan.limits, name) for name in LIMITS} if plan else {}
        used = msgspec.structs.asdict(await usage(db, auth.scope))
        return SubscriptionOut(
            plan=sub.plan_key, plan_name=plan.name if plan else sub.plan_key, status=service.status_of(sub),
            seats=sub.seats, interval=sub.interval, currency=sub.currency, trial_ends_at=sub.trial_ends_at,
            current_period_end=sub.current_period_end, cancel_at_period_end=sub.cancel_at_period_end,
            payment_failed_at=sub.payment_failed_at, limits=limits, usage=used,
            features=list(plan.features) if plan else [], subscribed=service.subscribed(sub),
        )  # fmt: skip

    @get("/invoices", summary="The workspace's Stripe invoices, newest first, and the next one (owner and "
         "administrators); none before the first Checkout", responses=problems(401, 403, 502, 503))  # fmt: skip
    async def invoices(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> InvoicesOut:
        _billing_reader(auth, access)
        found = await invoices.invoices_of(db, auth.scope.tenant_id)
        upcoming = found.upcoming
        return InvoicesOut(
            invoices=[InvoiceOut(number=i.number, date=i.date, amount=str(i.amount), currency=i.currency,
                                 status=i.status, hosted_url=i.hosted_url, pdf_url=i.pdf_url)
                      for i in found.invoices],
            upcoming=UpcomingOut(str(upcoming.amount), upcoming.currency, upcoming.date) if upcoming else None,
        )  # fmt: skip

    @post("/checkout", status_code=201, summary="A Stripe Checkout page for a plan at the workspace's seats (owner)",
          responses=problems(400, 401, 403, 409, 422, 502, 503))  # fmt: skip
    async def checkout(
        self, auth: NamedDependency[AuthContext], data: JSONBody[CheckoutIn], db: NamedDependency[AsyncSession]
    ) -> RedirectOut:
        _owner_only(auth)
        url = await service.checkout(
            db, auth.scope.tenant_id, email=auth.user.email, plan_key=data.plan, interval=data.interval,
            currency=data.currency, return_url=f"{get_settings().public_url}/w/settings/billing",
        )  # fmt: skip
        await db.commit()
        return RedirectOut(url=url)

    @post("/portal", status_code=201, summary="The Stripe Billing Portal: plan, cancellation, payment methods (owner)",
          responses=problems(401, 403, 409, 502, 503))  # fmt: skip
    async def portal(self, auth: NamedDependency[AuthContext], db: NamedDependency[AsyncSession]) -> RedirectOut:
        _owner_only(auth)
        url = await service.portal(db, auth.scope.tenant_id, f"{get_settings().public_url}/w/settings/billing")
        return RedirectOut(url=url)


def _billing_reader(auth: AuthContext, access: Access) -> None:
    """The owner and administrators, signed in: an API token (of whatever scope) does not read billing."""
    if not access.can("settings", "update") or auth.token_id is not None:
        raise forbidden("Only the owner and administrators, signed in, see the workspace's billing.")


def _owner_only(auth: AuthContext) -> None:
    if auth.role != "owner" or auth.token_id is not None:
        raise forbidden("Only the workspace's owner pays for it.")
