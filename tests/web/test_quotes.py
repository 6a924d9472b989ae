"""The quote pages against a fake API: the builder saves the lines as typed and redraws only itself (with the
header's total out of band), a refused line is shown at its row with what was typed, an answer given twice says
so, sending without an address is explained, and the list reads in Chinese."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.web.conftest import FakeApi, post_form
from tests.web.fake_quotes import FakeQuotes


@pytest.fixture(name="quotes")
def quotes_fixture(fake_api: FakeApi) -> FakeQuotes:
    return FakeQuotes(fake_api)


def line(index: int, **fields: str) -> dict[str, str]:
    row = {"product_id": "", "name": "", "quantity": "1", "unit_price": "", "discount_percent": "0", "tax_rate": "0"}
    return {f"line-{index}-{k}": v for k, v in {**row, **fields}.items()}


def test_the_builder_saves_the_lines_and_redraws_only_itself(
    signed_in: TestClient[Any], quotes: FakeQuotes, fake_api: FakeApi
) -> None:
    quote = quotes.add()
    gateway = quotes.products[0]["id"]
    form = {
        **line(0, product_id=gateway, quantity="10", tax_rate="13"),
        **line(1, name="安装调试服务", unit_price="1500"),
    }
    response = post_form(signed_in, f"/quotes/{quote['id']}/lines", form, headers={"HX-Request": "true",
                                                                                  "HX-Target": "builder"})  # fmt: skip
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="builder"' in response.text
    assert '<span id="quote-amount" hx-swap-oob="true">' in response.text
    assert "29,380.00" in response.text  # 26,000 + 13% tax + 1,500
    [sent] = fake_api.calls("PATCH", f"/api/v1/quotes/{quote['id']}")
    assert json.loads(sent.content)["lines"] == [
        {"quantity": "10", "product_id": gateway, "discount_percent": "0", "tax_rate": "13"},
        {"quantity": "1", "name": "安装调试服务", "unit_price": "1500", "discount_percent": "0", "tax_rate": "0"},
    ]


def test_a_refused_line_is_shown_at_its_row_with_what_was_typed(signed_in: TestClient[Any], quotes: FakeQuotes) -> None:
    quote = quotes.add()
    form = {**line(0, name="Consulting", unit_price="100"), **line(1, name="培训服务 🙂", quantity="-2")}
    response = post_form(signed_in, f"/quotes/{quote['id']}/lines", form)
    assert response.status_code == 422
    assert 'value="培训服务 🙂"' in response.text and 'value="-2"' in response.text
    assert "line-row--invalid" in response.text and "quantity: must be above 0" in response.text
    assert quotes.quotes[quote["id"]]["lines"] == []


def test_an_answer_given_twice_says_the_quote_was_answered(signed_in: TestClient[Any], quotes: FakeQuotes) -> None:
    quote = quotes.add(status="sent")
    first = post_form(signed_in, f"/quotes/{quote['id']}/answer", {"answer": "accept"})
    assert first.status_code in (302, 303) and first.headers["location"].endswith("?done=quote-accepted")
    second = post_form(signed_in, f"/quotes/{quote['id']}/answer", {"answer": "reject", "reason": "太贵"})
    assert second.status_code == 409 and "answered just now" in second.text


def test_sending_without_an_address_is_explained(signed_in: TestClient[Any], quotes: FakeQuotes) -> None:
    quote = quotes.add()
    refused = post_form(signed_in, f"/quotes/{quote['id']}/send", {"message": "请查收"})
    assert refused.status_code == 422 and "is required" in refused.text and "请查收" in refused.text
    done = post_form(signed_in, f"/quotes/{quote['id']}/send", {"to": "buyer@example.com", "message": "请查收"})
    assert done.status_code in (302, 303) and quotes.sent == [{"to": "buyer@example.com", "message": "请查收"}]


LANGUAGES = [("en", "Quotes", "Awaiting an answer"), ("zh-Hans", "报价", "待答复"), ("zh-Hant", "報價", "待回覆")]


@pytest.mark.parametrize(("locale", "title", "awaiting"), LANGUAGES)
def test_the_list_reads_in_each_language(
    signed_in: TestClient[Any], quotes: FakeQuotes, fake_api: FakeApi, locale: str, title: str, awaiting: str
) -> None:
    fake_api.user["locale"] = locale
    quotes.add(status="sent", total="128000.00")
    html = signed_in.get("/quotes").text
    assert title in html and awaiting in html and "深圳华强电子" in html and "QT-202611-0001" in html
