"""Billing in the web: the owner's billing page (plan, status, seats, limits; Checkout to upgrade, the Billing Portal
to change or cancel) and the public pricing page. Payment pages are Stripe's: these only send the owner there."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from guanxi_web.api_client import ApiCaller, ApiError, Me
from guanxi_web.controllers.settings import (
    NoAccess,
    handle_settings_api_error,
    no_access,
    provide_settings_me,
    require_admin,
    settings_page,
)
from guanxi_web.i18n import N_, _

STATUSES = {"trialing": N_("Free trial"), "active": N_("Subscribed"), "past_due": N_("Payment failed"),
            "read_only": N_("Read-only"), "canceled": N_("Cancelled")}  # fmt: skip
LIMITS = {"seats": N_("Seats"), "records": N_("Records"), "storage_mb": N_("Storage (MB)"),
          "api_calls_per_day": N_("API calls a day"), "scheduled_reports": N_("Scheduled reports")}  # fmt: skip
FEATURES = {
    "grading": N_("Customer grading"), "churn": N_("Churn early warning"), "reports_builder": N_("Report builder"),
    "scheduled_reports": N_("Reports by email on a schedule"), "api": N_("API and integrations"),
    "portal": N_("Customer portal"), "sso": N_("Single sign-on"),
}  # fmt: skip
CURRENCIES = ("CNY", "USD", "EUR")
NOTICES = {"checkout": N_("Thank you: the payment is confirmed by Stripe in a moment, and the plan changes then.")}


def _away(url: str) -> Response[Any]:
    """Off to Stripe's page (Checkout, the portal): an address the API gave, never one from the request."""
    return Response(None, status_code=303, headers={"location": url})


class BillingController(Controller):
    path = "/w/settings/billing"
    tags = ["billing"]
    dependencies = {"me": Provide(provide_settings_me)}
    exception_handlers = {NoAccess: no_access, ApiError: handle_settings_api_error}

    async def _page(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, error: str | None = None, status: int = 200
    ) -> Template:
        require_admin(me)
        subscription, plans = await api.billing(), await api.billing_plans()
        currency = request.query_params.get("currency") or subscription.get("currency") or _currency_of(me)
        currency = currency if currency in CURRENCIES else "CNY"
        done = NOTICES.get(request.query_params.get("done") or "")
        return settings_page(
            request, "settings/_billing.html", me, _("Billing"), "billing", subscription=subscription,
            plans=plans["plans"], currency=currency, currencies=CURRENCIES, statuses=STATUSES, limits=LIMITS,
            features=FEATURES, is_owner=me.workspace is not None and me.workspace.role == "owner",
            invoices=await _invoices(api),
            error=error, status_code=status, **({"notice": _(done)} if done else {}),
        )  # fmt: skip

    @get("")
    async def page(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        return await self._page(request, api, me)

    @post("/checkout")
    async def checkout(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any] | Template:
        data = await request.form()
        try:
            url = await api.billing_checkout(
                str(data.get("plan") or "")[:40],
                str(data.get("interval") or "month")[:5],
                str(data.get("currency") or "CNY")[:3],
            )
        except ApiError as error:
            if error.status in (401, 403):
                raise
            return await self._page(request, api, me, error.problem.detail, 422 if error.status < 500 else 503)
        return _away(url)

    @post("/portal")
    async def portal(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any] | Template:
        try:
            return _away(await api.billing_portal())
        except ApiError as error:
            if error.status in (401, 403):
                raise
            return await self._page(request, api, me, error.problem.detail, 409 if error.status < 500 else 503)


async def _invoices(api: ApiCaller) -> dict[str, Any] | None:
    """The invoices and the next one, with their days as dates; None when Stripe did not answer (the rest of the
    page is still shown)."""
    try:
        found = await api.billing_invoices()
    except ApiError as error:
        if error.status in (401, 403):
            raise
        return None
    for invoice in [*found["invoices"], *([found["upcoming"]] if found.get("upcoming") else [])]:
        invoice["date"] = dt.date.fromisoformat(invoice["date"]) if invoice.get("date") else None
    return found


def _currency_of(me: Me) -> str:
    locale = me.workspace.locale if me.workspace else "en"
    return "CNY" if locale.startswith("zh") else "USD"


class PricingController(Controller):
    """The plans on sale before sign-up, in the visitor's currency."""

    path = "/pricing"
    tags = ["billing"]

    @get("")
    async def pricing(self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller]) -> Template:
        plans = await api.billing_plans()
        currency = request.query_params.get("currency") or ""
        currency = currency if currency in CURRENCIES else "CNY"
        interval = "year" if request.query_params.get("interval") == "year" else "month"
        return Template("auth/pricing.html", context={
            "title": _("Plans and prices"), "plans": plans["plans"], "trial_days": plans["trial_days"],
            "currency": currency, "currencies": CURRENCIES, "interval": interval, "limits": LIMITS,
            "features": FEATURES,
        })  # fmt: skip
