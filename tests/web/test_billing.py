"""The billing pages over a fake API: the owner's billing page (status, seats, limits, the plans to subscribe to in
the chosen currency) sends the owner to the Checkout or portal address the API gives; a refusal is shown on the
page; a read-only or past-due workspace shows a banner on every page; the public pricing page; in Chinese too."""

from __future__ import annotations

import json
from typing import Any

import httpx
from litestar.testing import TestClient

from tests.web.conftest import (  # noqa: F401 (fixtures)
    FakeApi,
    fake_api_fixture,
    post_form,
    signed_in_fixture,
    web_fixture,
)

PLANS = {"trial_days": 14, "plans": [
    {"key": "growth", "name": "Growth", "features": ["grading", "churn"], "limits": {"seats": 50, "records": 200000},
     "prices": [{"currency": "CNY", "interval": "month", "amount": "99"}, {"currency": "USD", "interval": "month",
                                                                          "amount": "19"},
                {"currency": "USD", "interval": "year", "amount": "190"}]},
    {"key": "pro", "name": "Pro", "features": ["grading", "churn", "sso"], "limits": {"seats": None, "records": None},
     "prices": [{"currency": "CNY", "interval": "month", "amount": "199"}]},
]}  # fmt: skip
TRIAL = {"plan": "trial", "plan_name": "Trial", "status": "trialing", "seats": 2, "interval": None, "currency": None,
         "trial_ends_at": "2026-12-11T00:00:00Z", "current_period_end": None, "cancel_at_period_end": False,
         "payment_failed_at": None, "subscribed": False, "limits": {"seats": 5, "records": 5000, "storage_mb": 1024,
         "api_calls_per_day": 5000, "scheduled_reports": 3}, "features": ["grading"]}  # fmt: skip


FEATURES = ["grading", "churn", "reports_builder", "scheduled_reports", "api", "portal", "sso"]
NO_INVOICES = {"invoices": [], "upcoming": None}
INVOICES = {
    "invoices": [
        {"number": "A1B2C3D4-0002", "date": "2026-12-27", "amount": "495.00", "currency": "CNY", "status": "open",
         "hosted_url": "https://invoice.stripe.com/i/in_2", "pdf_url": "https://pay.stripe.com/invoice/in_2/pdf"},
        {"number": "A1B2C3D4-0001", "date": "2026-11-27", "amount": "297.00", "currency": "CNY", "status": "paid",
         "hosted_url": "https://invoice.stripe.com/i/in_1", "pdf_url": "https://pay.stripe.com/invoice/in_1/pdf"},
    ],
    "upcoming": {"amount": "495.00", "currency": "CNY", "date": "2027-01-27"},
}  # fmt: skip
PAID = {**TRIAL, "plan": "growth", "plan_name": "Growth", "status": "active", "subscribed": True, "interval": "month",
        "currency": "CNY", "current_period_end": "2026-12-27T00:00:00Z"}  # fmt: skip


def billing_api(fake_api: FakeApi, subscription: dict[str, Any], invoices: dict[str, Any] | None = None) -> None:
    fake_api.override("GET", "/api/v1/billing", httpx.Response(200, json=subscription))
    fake_api.override("GET", "/api/v1/billing/plans", httpx.Response(200, json=PLANS))
    fake_api.override("GET", "/api/v1/billing/invoices", httpx.Response(200, json=invoices or NO_INVOICES))


def with_billing(fake_api: FakeApi, status: str, features: list[str] | None = None) -> None:
    """The fake's own /me, with the workspace's billing badge."""
    badge = {"status": status, "plan": "growth", "features": FEATURES if features is None else features}

    def me(request: httpx.Request) -> httpx.Response:
        answer = FakeApi._signed_in(fake_api, request)
        return httpx.Response(200, json={**json.loads(answer.content), "billing": badge})

    fake_api.overrides[("GET", "/api/v1/me")] = me


def test_the_owner_sees_the_trial_and_subscribes_through_checkout(
    signed_in: TestClient[Any], fake_api: FakeApi
) -> None:
    billing_api(fake_api, TRIAL)
    html = signed_in.get("/w/settings/billing").text
    assert "Free trial" in html and "2 / 5" in html and "2026-12-11" in html and "Subscribe to Growth" in html
    assert "¥99.00" in html and "Unlimited seats" in html
    assert "$19.00" in signed_in.get("/w/settings/billing?currency=USD").text
    sent: list[Any] = []

    def checkout(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(201, json={"url": "https://checkout.stripe.com/c/pay/cs_test_1"})

    fake_api.overrides[("POST", "/api/v1/billing/checkout")] = checkout
    away = post_form(signed_in, "/w/settings/billing/checkout", {"plan": "growth", "interval": "year",
                                                                 "currency": "USD"})  # fmt: skip
    assert away.status_code == 303 and away.headers["location"] == "https://checkout.stripe.com/c/pay/cs_test_1"
    assert sent == [{"plan": "growth", "interval": "year", "currency": "USD"}]


def test_a_refused_checkout_is_said_on_the_page(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    billing_api(fake_api, TRIAL)
    fake_api.override("POST", "/api/v1/billing/checkout", httpx.Response(409, json={
        "type": "https://guanxi.example/problems/already-subscribed", "title": "Already subscribed", "status": 409,
        "detail": "The workspace is subscribed already: change the plan in the billing portal."}))  # fmt: skip
    page = post_form(signed_in, "/w/settings/billing/checkout", {"plan": "growth"})
    assert page.status_code == 422 and "subscribed already" in page.text


def test_a_paid_workspace_manages_its_plan_in_the_portal(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    billing_api(fake_api, PAID)
    html = signed_in.get("/w/settings/billing").text
    assert "Subscribed" in html and "Next invoice" in html and "Subscribe to" not in html
    fake_api.override(
        "POST", "/api/v1/billing/portal", httpx.Response(201, json={"url": "https://billing.stripe.com/p/1"})
    )
    away = post_form(signed_in, "/w/settings/billing/portal", {})
    assert away.status_code == 303 and away.headers["location"] == "https://billing.stripe.com/p/1"


def test_the_billing_page_lists_the_invoices_to_download_and_the_next_one(
    signed_in: TestClient[Any], fake_api: FakeApi
) -> None:
    billing_api(fake_api, PAID, INVOICES)
    html = signed_in.get("/w/settings/billing").text
    assert "Invoices" in html and "A1B2C3D4-0001" in html and "¥297.00" in html and "Nov 27, 2026" in html
    assert (
        'href="https://pay.stripe.com/invoice/in_1/pdf"' in html and 'href="https://invoice.stripe.com/i/in_2"' in html
    )
    assert ">Open<" in html and 'data-label="Amount"' in html  # each cell names its column on a phone
    assert "data-next-invoice" in html and "¥495.00, Jan 27, 2027" in html
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")
    chinese = signed_in.get("/w/settings/billing").text
    assert "发票" in chinese and "待支付" in chinese and "下次账单" in chinese and "2027年1月27日" in chinese


def test_the_billing_page_without_invoices_or_when_stripe_does_not_answer(
    signed_in: TestClient[Any], fake_api: FakeApi
) -> None:
    billing_api(fake_api, TRIAL)
    assert "No invoices yet" in signed_in.get("/w/settings/billing").text
    fake_api.override("GET", "/api/v1/billing/invoices", httpx.Response(503, json={
        "type": "https://guanxi.example/problems/payment-provider", "title": "Payments unavailable", "status": 503,
        "detail": "Stripe cannot be reached right now; try again in a moment."}))  # fmt: skip
    page = signed_in.get("/w/settings/billing")
    assert page.status_code == 200 and "Stripe did not answer" in page.text and "Free trial" in page.text


def test_a_read_only_workspace_says_so_on_every_page(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    with_billing(fake_api, "read_only")
    html = signed_in.get("/home").text
    assert "data-billing-banner" in html and "read-only until its subscription is paid" in html
    assert 'href="/w/settings/billing"' in html
    with_billing(fake_api, "past_due")
    assert "The last payment failed" in signed_in.get("/home").text
    with_billing(fake_api, "active")
    assert "data-billing-banner" not in signed_in.get("/home").text


def test_the_pricing_page_before_sign_up(web: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/billing/plans", httpx.Response(200, json=PLANS))
    html = web.get("/pricing").text
    assert "Growth" in html and "¥99.00" in html and "free trial of 14 days" in html and 'href="/signup"' in html
    assert "$190.00" in web.get("/pricing?currency=USD&interval=year").text
    chinese = web.get("/pricing", headers={"accept-language": "zh-CN"}).text
    assert "套餐与价格" in chinese


def test_the_billing_page_shows_what_is_used_of_each_limit(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    usage = {"seats": 2, "records": 5000, "storage_mb": 12, "api_calls_per_day": 1234, "scheduled_reports": 0}
    billing_api(fake_api, {**TRIAL, "usage": usage})
    html = signed_in.get("/w/settings/billing").text
    assert "5,000 / 5,000" in html and "1,234 / 5,000" in html and "12 / 1,024" in html
    assert 'class="usage-row usage-row--full" data-usage="records"' in html  # the full one stands out
    assert "The plan holds no more records" in html
    signed_in.cookies.set("gx_locale", "zh-Hant", domain="testserver.local")
    chinese = signed_in.get("/w/settings/billing").text
    assert "方案已無法容納更多記錄" in chinese and "方案額度與用量" in chinese  # the reader's language


def test_pages_leave_out_what_the_plan_does_not_include(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    with_billing(fake_api, "active")
    html = signed_in.get("/home").text
    assert 'href="/grading"' in html and 'href="/churn"' in html
    with_billing(fake_api, "active", ["api"])
    html = signed_in.get("/home").text
    assert 'href="/grading"' not in html and 'href="/churn"' not in html and 'href="/deals"' in html
    fake_api.override("GET", "/api/v1/tokens", httpx.Response(200, json=[]))
    with_billing(fake_api, "active", [])
    tokens = signed_in.get("/w/settings/tokens").text
    assert "does not include the API" in tokens and 'action="/w/settings/tokens"' not in tokens


def test_an_invitation_past_the_seats_is_refused_on_the_form(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/admin/invitations", httpx.Response(200, json=[]))
    fake_api.override("POST", "/api/v1/admin/invitations", httpx.Response(402, json={
        "type": "https://guanxi.example/problems/plan-limit", "title": "Plan limit reached", "status": 402,
        "detail": "The Starter plan has 10 seats and 10 are taken.", "limit": "seats",
        "errors": [{"field": "email", "message": "no seat left on the Starter plan", "code": "plan_limit"}],
    }))  # fmt: skip
    answer = post_form(signed_in, "/w/settings/invitations", {"email": "new@example.com", "role": "sales_rep"})
    assert answer.status_code == 402
    assert "has no room for this" in answer.text and 'value="new@example.com"' in answer.text  # kept in the form
