"""My day: each section with its title and count, lines linking to their record, overdue ones said so, a task
ticked off from the list, an empty day said plainly; in Chinese too."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from litestar.testing import TestClient

from tests.web.conftest import FakeApi

ACCOUNT = str(uuid.uuid4())
TASK = str(uuid.uuid4())


def day(follow_ups: list[dict[str, Any]], returns: list[dict[str, Any]], more: int = 0) -> httpx.Response:
    return httpx.Response(200, json={"sections": [
        {"key": "follow_ups", "count": len(follow_ups) + more, "items": follow_ups},
        {"key": "pool_returns", "count": len(returns), "items": returns},
        {"key": "something_new", "count": 1, "items": []},
    ]})  # fmt: skip


def test_the_day_lists_follow_ups_and_customers_about_to_return(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/todo", day(
        [{"record_type": "activity", "record_id": TASK, "title": "回电确认交期", "detail": "宁波港联",
          "due": "2026-11-25T09:00:00Z", "overdue": True, "account_id": ACCOUNT, "kind": "task"}],
        [{"record_type": "account", "record_id": ACCOUNT, "title": "华强电子", "detail": "no_follow_up:10",
          "due": None, "overdue": False, "account_id": ACCOUNT, "days_left": 2}],
        more=11,
    ))  # fmt: skip
    page = signed_in.get("/todo")
    assert page.status_code == 200
    text = page.text
    assert "13 things need you today." in text
    assert f'href="/accounts/{ACCOUNT}#timeline">回电确认交期</a>' in text and "Overdue" in text
    assert f'action="/activities/{TASK}/done"' in text and 'name="back" value="/todo"' in text
    assert f'href="/accounts/{ACCOUNT}">华强电子</a>' in text
    assert "No follow-up for 10 days" in text and "2 days left" in text
    assert "and 11 more" in text
    assert "something_new" not in text  # a section the page does not know yet stays out


def test_an_empty_day_says_so(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/todo", day([], []))
    text = signed_in.get("/todo").text
    assert "No follow-ups due today. Well done." in text and "None of your customers is due back soon." in text


def test_the_day_in_chinese(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    fake_api.override("GET", "/api/v1/todo", day([], [
        {"record_type": "account", "record_id": ACCOUNT, "title": "华强电子", "detail": "no_follow_up:10",
         "due": None, "overdue": False, "account_id": ACCOUNT, "days_left": 2},
    ]))  # fmt: skip
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")
    text = signed_in.get("/todo").text
    assert "今日待办" in text and "即将退回公海的客户" in text and "还剩 2 天" in text


def test_quotes_and_contracts_link_to_their_pages(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    quote_id, contract_id = str(uuid.uuid4()), str(uuid.uuid4())
    fake_api.override("GET", "/api/v1/todo", httpx.Response(200, json={"sections": [
        {"key": "quotes_waiting", "count": 1, "items": [
            {"record_type": "quote", "record_id": quote_id, "title": "QT-202611-0007 · 杭州云栖", "detail": None,
             "due": None, "overdue": False, "account_id": ACCOUNT, "days_left": 6, "amount": "5000.00",
             "currency": "CNY", "kind": "sent"}]},
        {"key": "contracts_expiring", "count": 1, "items": [
            {"record_type": "contract", "record_id": contract_id, "title": "HT-2026-0003 · 年度维保合同",
             "detail": "杭州云栖", "due": None, "overdue": False, "account_id": ACCOUNT, "days_left": 10}]},
    ]}))  # fmt: skip
    text = signed_in.get("/todo").text
    assert f'href="/quotes/{quote_id}">QT-202611-0007 · 杭州云栖</a>' in text and "valid 6 more days" in text
    assert f'href="/contracts/{contract_id}">HT-2026-0003 · 年度维保合同</a>' in text and "ends in 10 days" in text


def test_payments_due_say_how_much_and_when(signed_in: TestClient[Any], fake_api: FakeApi) -> None:
    order_id = str(uuid.uuid4())
    item = {"record_type": "order", "record_id": order_id, "title": "SO-20261126-0001 · 杭州云栖", "detail": None,
            "due": None, "account_id": ACCOUNT, "currency": "CNY"}  # fmt: skip
    fake_api.override("GET", "/api/v1/todo", httpx.Response(200, json={"sections": [
        {"key": "payments_due", "count": 2, "items": [
            {**item, "overdue": True, "days_left": -3, "amount": "600.00"},
            {**item, "overdue": False, "days_left": 2, "amount": "2000.00"}]},
    ]}))  # fmt: skip
    text = signed_in.get("/todo").text
    assert f'href="/orders/{order_id}">SO-20261126-0001 · 杭州云栖</a>' in text
    assert "3 days overdue" in text and "due in 2 days" in text and "CN¥600.00" in text
