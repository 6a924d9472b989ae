"""The search box in the top bar: suggestions as you type (an HTMX fragment), and the results page without
JavaScript; each result says what it is and which field found it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from guanxi_web.controllers.search import highlight
from litestar.testing import TestClient

from tests.web.conftest import (  # noqa: F401 (fixtures)
    FakeApi,
    fake_api_fixture,
    signed_in_fixture,
    web_fixture,
)
from tests.web.fake_admin import FakeAdmin
from tests.web.fake_customers import FakeCustomers

SUGGEST = {"HX-Request": "true", "HX-Target": "search-suggestions"}


@pytest.fixture(name="crm")
def crm_fixture(fake_api: FakeApi) -> FakeCustomers:
    crm = FakeCustomers(FakeAdmin(fake_api))
    account = crm.add_account(name="深圳华强电子有限公司", phone="0755-8888 1234")
    crm.search_keys[account["id"]] = ["huaqiang", "shenzhenhuaqiang", "szhq"]
    crm.add_contact(account, family_name="张", given_name="伟", phones=["+86 138 0013 8000"])
    return crm


@pytest.mark.parametrize("page", ["/home", "/accounts", "/contacts", "/w/settings", "/w/approvals"])
def test_every_workspace_page_has_the_search_box_in_its_top_bar(
    signed_in: TestClient[Any], crm: FakeCustomers, page: str
) -> None:
    html = signed_in.get(page).text

    header = html.split('<header class="topbar">')[1].split("</header>")[0]
    box = re.search(r'<form class="topbar-search" method="get" action="/search" role="search".*?</form>', header, re.S)
    assert box, "a plain GET form to the results page"
    assert 'hx-get="/search"' in box.group(0)
    assert 'hx-trigger="keyup changed delay:250ms, search"' in box.group(0)
    assert 'hx-target="#search-suggestions"' in box.group(0)
    assert 'href="/search"' in header  # the phone's search button


def test_suggestions_are_a_fragment_with_type_title_and_the_matched_field(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    response = signed_in.get("/search?q=huaqiang", headers=SUGGEST)

    assert response.status_code == 200
    html = response.text
    assert "<html" not in html and "topbar" not in html
    assert f'href="/accounts/{crm.accounts[0]["id"]}"' in html
    assert '<span class="search-hit-type">Account</span>' in html
    assert "深圳华强电子有限公司" in html
    assert 'href="/search?q=huaqiang"' in html  # all results
    assert dict(fake_api.calls("GET", "/api/v1/search")[-1].url.params) == {"q": "huaqiang", "limit": "8"}


def test_a_phone_match_names_the_field_and_marks_the_digits(signed_in: TestClient[Any], crm: FakeCustomers) -> None:
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")

    html = signed_in.get("/search?q=0013 8000", headers=SUGGEST).text

    assert f'href="/contacts/{crm.contacts[0]["id"]}"' in html
    assert '<span class="search-hit-type">联系人</span>' in html
    assert "电话: +86 138 <mark>0013 8000</mark>" in html


def test_an_empty_box_empties_the_dropdown_without_asking_the_api(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    response = signed_in.get("/search?q=%20", headers=SUGGEST)

    assert response.text.strip() == ""
    assert not fake_api.calls("GET", "/api/v1/search")


def test_nothing_found_and_a_refused_query_are_said_in_the_dropdown(
    signed_in: TestClient[Any], crm: FakeCustomers
) -> None:
    assert "No account or contact matches “nobody”." in signed_in.get("/search?q=nobody", headers=SUGGEST).text
    refused = signed_in.get("/search?q=%25%25", headers=SUGGEST).text
    assert "Search with letters, Chinese characters, digits" in refused


def test_the_results_page_works_without_javascript(signed_in: TestClient[Any], crm: FakeCustomers) -> None:
    response = signed_in.get("/search?q=huaqiang")

    assert response.status_code == 200
    html = response.text
    assert "<html" in html and '<form class="filter-bar" method="get" action="/search"' in html
    assert 'value="huaqiang"' in html
    assert "1 result" in html
    assert f'href="/accounts/{crm.accounts[0]["id"]}"' in html


def test_highlighting_escapes_the_text() -> None:
    assert str(highlight("<b>Acme</b> Ltd", "acme")) == "&lt;b&gt;<mark>Acme</mark>&lt;/b&gt; Ltd"
    assert str(highlight("0755-8888 1234", "88881234")) == "0755-<mark>8888 1234</mark>"
    assert str(highlight("张伟", "zhangwei")) == "张伟"
