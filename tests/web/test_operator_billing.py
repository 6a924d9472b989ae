"""The operator's billing page over a fake API: the summary cards (MRR per currency, trials ending, failed payments,
counts per status and plan) and the workspaces with filters and the next page, in English and Chinese; it does not
exist for anyone /me does not call an operator, and the user menu links to it only for operators."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from litestar.testing import TestClient

from tests.web.conftest import (  # noqa: F401 (fixtures)
    FakeApi,
    fake_api_fixture,
    problem,
    signed_in_fixture,
    web_fixture,
)

SUMMARY = {
    "as_of": "2026-11-27T08:00:00Z", "workspaces": 1234,
    "by_status": {"trialing": 700, "active": 480, "past_due": 12, "read_only": 30, "canceled": 12},
    "by_plan": {"trial": 730, "growth": 300, "starter": 150, "pro": 54},
    "mrr": [{"currency": "CNY", "amount": "123456.50", "workspaces": 420},
            {"currency": "USD", "amount": "8930.17", "workspaces": 72}],
    "unpriced": 0, "trials_ending": 37, "trials_ending_days": 7, "failed_payments": 19,
}  # fmt: skip


def row(name: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()), "name": name, "workspace_status": "active", "created_at": "2026-10-01T02:00:00Z",
        "plan": "growth", "plan_name": "Growth", "status": "active", "seats": 3, "currency": "CNY",
        "interval": "month", "mrr": "297.00", "trial_ends_at": None, "current_period_end": "2026-12-01T00:00:00Z",
        "cancel_at_period_end": False, "payment_failed_at": None, "stripe_customer_id": "cus_Q1w2e3r4",
        **fields,
    }  # fmt: skip


PAGE = {"items": [
    row("上海华强电子有限公司"),
    row("Acme Trading", status="past_due", currency="USD", interval="year", mrr="162.50",
        payment_failed_at="2026-11-25T10:00:00Z"),
    row("试用公司", plan="trial", plan_name="Trial", status="trialing", currency=None, interval=None, mrr=None,
        trial_ends_at="2026-11-30T00:00:00Z", current_period_end=None, stripe_customer_id=None),
], "next_cursor": "Hzk5"}  # fmt: skip


def as_operator(fake_api: FakeApi, operator: bool = True) -> None:
    def me(request: httpx.Request) -> httpx.Response:
        answer = FakeApi._signed_in(fake_api, request)
        return httpx.Response(200, json={**json.loads(answer.content), "operator": operator})

    fake_api.overrides[("GET", "/api/v1/me")] = me
    fake_api.override("GET", "/api/v1/operator/billing/summary", httpx.Response(200, json=SUMMARY))
    fake_api.override("GET", "/api/v1/operator/billing/workspaces", httpx.Response(200, json=PAGE))


def test_the_operator_sees_mrr_trials_failed_payments_and_the_workspaces(
    signed_in: TestClient[Any], fake_api: FakeApi
) -> None:
    as_operator(fake_api)
    response = signed_in.get("/operator/billing")
    assert response.status_code == 200, response.text
    html = response.text
    assert "Billing across workspaces" in html and "data-operator-summary" in html
    assert "CN¥123,456.50" in html or "¥123,456.50" in html
    assert "$8,930.17" in html and "420 paying workspaces" in html
    assert "Trials ending" in html and ">37<" in html and "within 7 days" in html
    assert "Failed payments" in html and ">19<" in html and "1,234" in html
    assert 'href="/operator/billing?payment_failed=true"' in html
    assert "上海华强电子有限公司" in html and "Payment failed" in html and "cus_Q1w2e3r4" in html
    assert "$162.50" in html and "Nov 30, 2026" in html
    assert 'href="/operator/billing?cursor=Hzk5"' in html and "Next page" in html
    assert "data-operator-link" in html  # the user menu leads here


def test_filters_reach_the_api_and_the_next_page_keeps_them(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    as_operator(fake_api)
    html = signed_in.get("/operator/billing?status=past_due&plan=growth&q=华强&trial_ending_within_days=7"
                         "&payment_failed=true&cursor=abc").text  # fmt: skip
    sent = fake_api.calls("GET", "/api/v1/operator/billing/workspaces")[-1].url.params
    assert dict(sent) == {"status": "past_due", "plan": "growth", "q": "华强", "trial_ending_within_days": "7",
                          "payment_failed": "true", "cursor": "abc", "limit": "50"}  # fmt: skip
    assert "status=past_due&amp;plan=growth&amp;q=%E5%8D%8E%E5%BC%BA" in html and "cursor=Hzk5" in html
    signed_in.get("/operator/billing?status=paid&trial_ending_within_days=-1&payment_failed=maybe")
    assert dict(fake_api.calls("GET", "/api/v1/operator/billing/workspaces")[-1].url.params) == {"limit": "50"}


def test_a_filter_the_api_refuses_is_said_on_the_page(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    as_operator(fake_api)
    fake_api.override("GET", "/api/v1/operator/billing/workspaces", problem(
        422, "validation-error", "plan: is not a plan of the catalogue",
        [{"field": "plan", "message": "is not a plan of the catalogue", "code": "invalid"}]))  # fmt: skip
    page = signed_in.get("/operator/billing?plan=gold")
    assert page.status_code == 422 and "is not a plan of the catalogue" in page.text and "Trials ending" in page.text


def test_the_page_in_chinese(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    as_operator(fake_api)
    fake_api.user["locale"] = "zh-Hans"
    html = signed_in.get("/operator/billing").text
    assert "所有工作区的账单" in html and "试用即将结束" in html and "付款失败" in html and "下一页" in html
    assert "¥123,456.50" in html
    fake_api.user["locale"] = "zh-Hant"
    assert "所有工作區的帳單" in signed_in.get("/operator/billing").text


def test_for_anyone_else_the_page_does_not_exist(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    as_operator(fake_api, operator=False)
    assert signed_in.get("/operator/billing").status_code == 404
    assert not fake_api.calls("GET", "/api/v1/operator/billing/summary")  # not even asked
    assert "data-operator-link" not in signed_in.get("/home").text
    as_operator(fake_api)  # /me says operator, the API (which decides) does not
    fake_api.override("GET", "/api/v1/operator/billing/summary", problem(404, "not-found"))
    assert signed_in.get("/operator/billing").status_code == 404


def test_signed_out_goes_to_sign_in(web: TestClient[Any]) -> None:
    away = web.get("/operator/billing", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"].startswith("/login")
