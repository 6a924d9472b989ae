"""The churn pages: customers at risk, riskiest first, their signals as readable phrases with the points each
added, the next page kept; an empty list said plainly; the analytics with stages, reasons and periods; in Chinese
too."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from litestar.testing import TestClient

from tests.web.conftest import FakeApi, post_form
from tests.web.fake_customers import FakeCustomers
from tests.web.test_accounts import crm_fixture, huaqiang  # noqa: F401 -- the fake CRM fixture

ACCOUNT = str(uuid.uuid4())
OWNER = str(uuid.uuid4())


def risky(next_cursor: str | None = None) -> httpx.Response:
    return httpx.Response(200, json={"threshold": 60, "next_cursor": next_cursor, "items": [{
        "account_id": ACCOUNT, "name": "深圳华强 <b>电子</b>", "owner_id": OWNER, "owner_name": "王芳", "grade": "A",
        "score": 70, "at_risk": True, "at_risk_since": "2026-11-20T00:00:00Z",
        "signals": [{"key": "order_gap", "points": 35, "days": 95, "usual_days": 30},
                    {"key": "overdue_payment", "points": 20, "count": 2, "amount": 1500.5},
                    {"key": "no_activity", "points": 15, "days": 61}],
    }]})  # fmt: skip


def test_the_at_risk_list_explains_each_score(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/churn/at-risk", risky("abc=="))
    page = signed_in.get("/churn")
    assert page.status_code == 200
    text = page.text
    assert f'href="/accounts/{ACCOUNT}">深圳华强 &lt;b&gt;电子&lt;/b&gt;</a>' in text  # escaped
    assert "no order for 95 days, usually every 30" in text and "+35" in text
    assert "2 overdue instalment(s), 1500.5 outstanding" in text and "no follow-up for 61 days" in text
    assert "王芳" in text and 'value="70"' in text and "cursor=abc%3D%3D" in text
    assert 'href="/churn"' in text  # in the sidebar


def test_an_empty_at_risk_list_says_so_and_a_bad_score_filter_is_dropped(
    signed_in: TestClient[Any], fake_api: FakeApi
) -> None:
    fake_api.override("GET", "/api/v1/churn/at-risk",
                      httpx.Response(200, json={"threshold": 60, "next_cursor": None, "items": []}))  # fmt: skip
    text = signed_in.get("/churn?min_score=%27%3B--").text
    assert "No customer at or above a score of 60." in text


def test_the_at_risk_list_in_chinese(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/churn/at-risk", risky())
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")
    text = signed_in.get("/churn").text
    assert "流失预警" in text and "已 95 天没有下单，通常每 30 天一单" in text


def test_the_analytics_show_stages_reasons_and_periods(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/churn/analytics", httpx.Response(200, json={
        "from": "2025-11-01", "to": "2026-11-27", "period": "month",
        "lost_by_stage": {"pre_sale": 3, "in_negotiation": 5, "after_sale": 2, "in_pool": 1},
        "loss_reasons": [{"reason": "价格太高", "count": 4}, {"reason": "选了竞品", "count": 1}],
        "time_to_loss": {"count": 6, "median_days": 42.5, "mean_days": 50.0},
        "win_backs": {"attempts": 7, "came_back": 3, "within_days": 90},
        "periods": [{"period": "2026-10-01", "new": 4, "lost": 2, "total": 40},
                    {"period": "2026-11-01", "new": 6, "lost": 3, "total": 43}],
    }))  # fmt: skip
    page = signed_in.get("/churn/analytics?period=fortnight")
    assert page.status_code == 200
    text = page.text
    assert "In negotiation" in text and 'value="5"' in text and "价格太高" in text
    assert "3 came back within 90 days" in text and "42.5 days" in text
    assert "2026-11-01" in text and 'max="43"' in text
    assert 'aria-current="page">Month' in text  # an unknown period falls back to the month


def test_the_account_page_shows_the_risk_and_records_a_win_back(
    signed_in: TestClient[Any], fake_api: FakeApi, crm: FakeCustomers
) -> None:
    SHOWN = huaqiang(crm)["id"]
    fake_api.override("GET", f"/api/v1/accounts/{SHOWN}/risk", httpx.Response(200, json={
        "account_id": SHOWN, "score": 70, "threshold": 60, "at_risk": True, "at_risk_since": "2026-11-20T00:00:00Z",
        "signals": [{"key": "no_activity", "points": 15, "days": 61}], "win_backs": 2,
    }))  # fmt: skip
    text = signed_in.get(f"/accounts/{SHOWN}").text
    assert "Churn risk" in text and "no follow-up for 61 days" in text and "2 win-back attempts so far." in text
    assert f'action="/accounts/{SHOWN}/win-back"' in text
    sent: list[Any] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(201, json={"id": str(uuid.uuid4())})

    fake_api.overrides[("POST", f"/api/v1/accounts/{SHOWN}/win-back")] = answer
    done = post_form(signed_in, f"/accounts/{SHOWN}/win-back", {"note": "回访 🚀"})
    assert done.status_code in (302, 303) and "done=win-back" in done.headers["location"]
    assert sent == [{"note": "回访 🚀"}]


SETTINGS = {"threshold": 60, "points": {"order_gap": 35, "falling_amount": 20, "overdue_payment": 20, "complaints": 15,
            "no_activity": 15, "lost_deal": 15}, "order_lateness": "1.5", "amount_drop_percent": 50,
            "no_activity_days": 60, "lost_deal_days": 90, "win_back_days": 90, "pool_unclaimed_days": 30,
            "scanned_at": None, "can_edit": True}  # fmt: skip


def test_the_settings_are_saved_and_bad_values_named(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/churn/settings", httpx.Response(200, json=SETTINGS))
    page = signed_in.get("/churn/settings")
    assert page.status_code == 200 and 'name="points.order_gap"' in page.text and 'value="35"' in page.text
    form = {"threshold": "70", "order_lateness": "2", "amount_drop_percent": "40", "no_activity_days": "30",
            "lost_deal_days": "60", "win_back_days": "90", "pool_unclaimed_days": "30",
            **{f"points.{k}": str(v) for k, v in SETTINGS["points"].items()}}  # fmt: skip
    bad = post_form(signed_in, "/churn/settings", {**form, "threshold": "六十"})
    assert (
        bad.status_code == 422
        and "Enter a whole number." in bad.text
        and fake_api.calls("PUT", "/api/v1/churn/settings") == []
    )
    fake_api.override("PUT", "/api/v1/churn/settings", httpx.Response(422, json={
        "type": "https://guanxi.example/problems/validation-error", "title": "Invalid", "status": 422,
        "detail": "threshold: must be between 1 and 100",
        "errors": [{"field": "threshold", "message": "must be between 1 and 100", "code": "out_of_range"}],
    }))  # fmt: skip
    refused = post_form(signed_in, "/churn/settings", {**form, "threshold": "700"})
    assert refused.status_code == 422 and "must be between 1 and 100" in refused.text
    fake_api.override("PUT", "/api/v1/churn/settings", httpx.Response(200, json=SETTINGS))
    saved = post_form(signed_in, "/churn/settings", form)
    assert saved.status_code in (302, 303)
    [sent] = fake_api.calls("PUT", "/api/v1/churn/settings")[-1:]
    body = json.loads(sent.content)
    assert body["threshold"] == 70 and body["points"]["order_gap"] == 35 and body["order_lateness"] == "2"
