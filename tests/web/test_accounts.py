"""Accounts in the browser, over the fake API: the list with its filters, total and "load more", the record
page with hidden and masked fields, history and team, and forms that show the API's refusals per field."""

from __future__ import annotations

import json
import re
import typing
from html.parser import HTMLParser
from typing import Any

import pytest
from guanxi.domain.customers import schemas
from guanxi_web import customers
from litestar.testing import TestClient

from tests.web.conftest import (  # noqa: F401 (fixtures)
    FakeApi,
    fake_api_fixture,
    post_form,
    signed_in_fixture,
    web_fixture,
)
from tests.web.fake_admin import FakeAdmin
from tests.web.fake_customers import FakeCustomers

HTMX = {"HX-Request": "true"}


@pytest.fixture(name="crm")
def crm_fixture(fake_api: FakeApi) -> FakeCustomers:
    return FakeCustomers(FakeAdmin(fake_api))


def huaqiang(crm: FakeCustomers, **fields: Any) -> dict[str, Any]:
    return crm.add_account(
        **{
            "name": "深圳华强电子有限公司",
            "heat": "hot",
            "lifecycle_stage": "customer",
            "tags": ["重点客户", "VIP"],
            "city": "深圳",
            "phone": "+86 755 8888 1234",
            "email": "sales@huaqiang.example.cn",
            "credit_limit": "500000.00",
            "payment_terms_days": 30,
            "value_rating": "high",
            **fields,
        }
    )


def row_names(html: str) -> list[str]:
    return re.findall(r'<a class="record-link" href="/accounts/[^"]+">([^<]+)</a>', html)


def test_the_web_knows_every_choice_the_api_accepts() -> None:
    assert tuple(customers.HEAT) == typing.get_args(schemas.Heat)
    assert tuple(customers.STAGES) == typing.get_args(schemas.Stage)
    assert tuple(customers.KINDS) == typing.get_args(schemas.Kind)
    assert tuple(customers.RATINGS) == typing.get_args(schemas.Rating)
    assert tuple(customers.SIZES) == typing.get_args(schemas.Size)
    assert tuple(customers.CHANNELS) == typing.get_args(schemas.Channel)
    # Custom fields are not fixed fields: each workspace defines its own, and the lists take them, with their
    # labels, from the API's definitions (tests/web/test_lists.py); the record forms do not show them yet.
    account_in = set(schemas.AccountIn.__struct_fields__) - {"custom"}
    assert set(customers.ACCOUNT_FIELDS) == account_in
    assert set(customers.CONTACT_FIELDS) == set(schemas.ContactIn.__struct_fields__) - {"account_id", "custom"}


def test_the_sidebar_links_accounts_and_contacts_and_the_old_address_moves(signed_in: TestClient[Any]) -> None:
    html = signed_in.get("/home").text
    assert 'href="/accounts"' in html and 'href="/contacts"' in html

    moved = signed_in.get("/w/customers", follow_redirects=False)

    assert moved.status_code == 301
    assert moved.headers["location"] == "/accounts"


def test_the_list_shows_each_account_with_badges_owner_and_total(
    signed_in: TestClient[Any], crm: FakeCustomers
) -> None:
    huaqiang(crm)
    crm.add_account(name="Acme Trading", heat="cold", owner_id=crm.admin.members[1]["id"])

    response = signed_in.get("/accounts")

    assert response.status_code == 200
    html = response.text
    assert row_names(html) == ["Acme Trading", "深圳华强电子有限公司"]
    assert 'hx-get="/accounts/count" hx-trigger="load"' in html  # the total comes after the rows
    assert "2 accounts" in signed_in.get("/accounts/count", headers=HTMX).text
    assert 'class="badge badge--heat-hot"' in html and ">Hot<" in html
    assert "badge--stage-customer" in html and ">Customer<" in html
    assert '<span class="tag">重点客户</span>' in html
    assert "李娜" in html  # the owner's name, not an id
    assert "+86 755 8888 1234" in html
    assert 'href="/accounts/export.csv"' in html
    assert 'href="/accounts/new"' in html
    assert 'href="/accounts/deleted"' in html  # the owner is an admin


def test_the_list_speaks_chinese(signed_in: TestClient[Any], crm: FakeCustomers) -> None:
    huaqiang(crm)
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")

    html = signed_in.get("/accounts").text

    assert "客户" in html and "负责人" in html and ">热<" in html and "成交客户" in html and "导出" in html
    signed_in.cookies.set("gx_locale", "zh-Hant", domain="testserver.local")
    html = signed_in.get("/accounts").text
    assert "客戶" in html and "負責人" in html and "匯出" in html


def test_filters_go_to_the_api_and_htmx_gets_only_the_results(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    huaqiang(crm)
    crm.add_account(name="Acme Trading", heat="cold")
    crm.add_account(name="Mine Ltd", heat="hot", tags=["华南"])

    response = signed_in.get(
        "/accounts?heat=hot&tag=华南&owner=mine&q=Ltd&lifecycle_stage=&sort=name",
        headers={**HTMX, "HX-Target": "account-results"},
    )

    assert response.status_code == 200
    assert response.headers["hx-push-url"] == "/accounts?q=Ltd&heat=hot&tag=%E5%8D%8E%E5%8D%97&owner=mine&sort=name"
    assert "<html" not in response.text and 'class="filter-bar"' not in response.text
    assert row_names(response.text) == ["Mine Ltd"]
    sent = fake_api.calls("GET", "/api/v1/accounts")[-1].url.params
    assert dict(sent) == {"heat": "hot", "tag": "华南", "q": "Ltd", "sort": "name", "owner_id": crm.me}
    # the export link carries the same filters
    assert 'href="/accounts/export.csv?q=Ltd&amp;heat=hot&amp;tag=%E5%8D%8E%E5%8D%97&amp;owner=mine&amp;sort=name"' in (
        response.text
    )


def test_unknown_filter_values_are_not_sent(signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi) -> None:
    response = signed_in.get("/accounts?heat=lukewarm&owner=nobody&sort=random")

    assert response.status_code == 200
    assert dict(fake_api.calls("GET", "/api/v1/accounts")[-1].url.params) == {}


def test_the_filter_form_works_without_javascript(signed_in: TestClient[Any], crm: FakeCustomers) -> None:
    html = signed_in.get("/accounts?heat=hot").text

    form = re.search(r'<form class="filter-bar" method="get" action="/accounts".*?</form>', html, re.S)
    assert form, "a plain GET form"
    assert 'hx-get="/accounts"' in form.group(0) and 'hx-push-url="true"' in form.group(0)
    assert "keyup changed delay:300ms" in form.group(0)
    assert re.search(r'<option value="hot" selected>Hot</option>', form.group(0))
    assert 'type="submit"' in form.group(0)


def test_load_more_appends_the_next_page_and_replaces_its_button(
    signed_in: TestClient[Any], crm: FakeCustomers
) -> None:
    for number in range(60):
        crm.add_account(name=f"客户 {number:02d}", heat="warm")

    first = signed_in.get("/accounts?heat=warm").text
    assert len(row_names(first)) == 50 and "60 accounts" not in first  # counted by a request of its own
    assert 'hx-get="/accounts/count?heat=warm"' in first
    assert "60 accounts" in signed_in.get("/accounts/count?heat=warm", headers=HTMX).text
    more = re.search(
        r'<a class="btn btn--secondary" href="([^"]+)" hx-get="\1" hx-target="#account-rows" hx-swap="beforeend"', first
    )
    assert more, "a load-more link"
    assert more.group(1) == "/accounts?heat=warm&amp;cursor=50"

    appended = signed_in.get("/accounts?heat=warm&cursor=50", headers={**HTMX, "HX-Target": "account-rows"})

    assert appended.text.lstrip().startswith("<tr>")
    assert len(row_names(appended.text)) == 10
    assert set(row_names(first)).isdisjoint(row_names(appended.text))
    assert 'id="account-more" hx-swap-oob="true"' in appended.text
    assert "cursor=" not in appended.text.split('id="account-more"')[1]  # the last page: no more button
    # without JavaScript the link opens the next page, with a way back to the first
    page_two = signed_in.get("/accounts?heat=warm&cursor=50").text
    assert len(row_names(page_two)) == 10 and "Back to the first page" in page_two


@pytest.mark.parametrize(("rows", "shown"), [(10_000, "10,000 accounts"), (10_001, "10,000+ accounts")])
def test_a_large_total_is_shown_capped(signed_in: TestClient[Any], crm: FakeCustomers, rows: int, shown: str) -> None:
    crm.accounts = [crm.add_account(name="Acme")] * rows  # only the count matters here

    assert shown in signed_in.get("/accounts/count").text


def test_a_search_the_api_refuses_says_why(signed_in: TestClient[Any], crm: FakeCustomers) -> None:
    response = signed_in.get("/accounts?q=%25%25%25")

    assert response.status_code == 422
    assert "Search with letters, Chinese characters, digits" in response.text


def test_hidden_fields_leave_their_columns_and_filters_and_masked_ones_come_masked(
    signed_in: TestClient[Any], crm: FakeCustomers
) -> None:
    huaqiang(crm)
    crm.hidden = {"heat", "credit_limit"}
    crm.masked = {"phone": "lists"}

    html = signed_in.get("/accounts").text

    assert "badge--heat" not in html and 'name="heat"' not in html and ">Heat<" not in html
    assert "867****1234" in html and "8888 1234" not in html


def test_the_record_page_shows_sections_badges_contacts_history_and_team(
    signed_in: TestClient[Any], crm: FakeCustomers
) -> None:
    account = huaqiang(crm, website="https://huaqiang.example.cn", address="华强北路 1 号")
    crm.add_contact(
        account, family_name="张", given_name="伟", title="采购经理", phones=["138 0013 8000"], is_primary=True
    )
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")
    edit = form_values(signed_in, f"/accounts/{account['id']}/edit", f"/accounts/{account['id']}")
    post_form(signed_in, f"/accounts/{account['id']}", {**edit, "heat": "cold", "city": "广州"})

    response = signed_in.get(f"/accounts/{account['id']}")

    assert response.status_code == 200
    html = response.text
    assert '<h1 class="record-title">深圳华强电子有限公司</h1>' in html
    assert "基本信息" in html and "联系方式" in html and "地址与地区" in html and "商务条款" in html
    assert "¥500,000.00" in html and "30天" in html  # money and days in the reader's way
    assert 'href="https://huaqiang.example.cn"' in html and 'href="mailto:sales@huaqiang.example.cn"' in html
    contacts = html.split('id="contacts-panel"')[1]
    assert "张伟" in contacts and "采购经理" in contacts and "badge--accent" in contacts
    # the timeline says who changed what from what to what, in Chinese, with the member's name
    history = html.split('id="timeline"')[1]
    assert "张伟 修改了此客户" in history
    assert re.search(
        r"客户热度</span>\s*<span class=\"change-from\">热</span>.*?<span class=\"change-to\">冷</span>", history, re.S
    )
    assert re.search(
        r"城市</span>\s*<span class=\"change-from\">深圳</span>.*?<span class=\"change-to\">广州</span>", history, re.S
    )
    assert 'id="team-panel"' in html and 'id="contacts-panel"' in html


def test_fields_the_role_may_not_see_are_absent_and_masked_ones_read_only(
    signed_in: TestClient[Any], crm: FakeCustomers
) -> None:
    account = huaqiang(crm)
    crm.hidden = {"credit_limit", "heat"}
    crm.masked = {"email": "everywhere", "phone": "lists"}

    html = signed_in.get(f"/accounts/{account['id']}").text

    assert "Credit limit" not in html and "500,000" not in html
    assert "badge--heat" not in html
    assert "s***@huaqiang.example.cn" in html and "mailto:" not in html
    assert "+86 755 8888 1234" in html  # masked in lists only: the record shows it
    form = signed_in.get(f"/accounts/{account['id']}/edit").text
    assert 'name="credit_limit"' not in form and 'name="heat"' not in form
    assert 'name="email"' not in form and "s***@huaqiang.example.cn" in form
    assert "Your role sees this field masked" in form
    assert 'name="phone"' in form


def test_an_edit_sends_only_what_changed(signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi) -> None:
    account = huaqiang(crm)
    crm.masked = {"email": "everywhere"}

    edit = form_values(signed_in, f"/accounts/{account['id']}/edit", f"/accounts/{account['id']}")
    assert edit["tags"] == "重点客户, VIP" and edit["credit_limit"] == "500000.00"

    response = post_form(signed_in, f"/accounts/{account['id']}", {**edit, "city": "上海", "tags": "重点客户，VIP、新"})

    assert response.status_code == 303
    assert response.headers["location"] == f"/accounts/{account['id']}?done=account-saved"
    sent = json.loads(fake_api.calls("PATCH", f"/api/v1/accounts/{account['id']}")[0].content)
    assert sent == {"city": "上海", "tags": ["重点客户", "VIP", "新"]}
    assert "Your changes are saved." in signed_in.get(response.headers["location"]).text


def test_the_apis_field_errors_show_under_each_field_and_keep_the_input(
    signed_in: TestClient[Any], crm: FakeCustomers
) -> None:
    account = huaqiang(crm)

    edit = form_values(signed_in, f"/accounts/{account['id']}/edit", f"/accounts/{account['id']}")

    response = post_form(
        signed_in, f"/accounts/{account['id']}", {**edit, "email": "not-an-email", "payment_terms_days": "9999"}
    )

    assert response.status_code == 422
    html = response.text
    assert re.search(r'id="field-email-error">.*Enter a valid email address', html)
    assert 'value="not-an-email"' in html and 'value="9999"' in html
    assert 'href="#field-email">Email</a>' in html


def test_numbers_and_dates_are_checked_before_the_api(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    response = post_form(
        signed_in,
        "/accounts",
        {
            **form_values(signed_in, "/accounts/new", "/accounts"),
            "name": "Acme",
            "credit_limit": "lots",
            "age": "-3",
            "birthday": "31/05/1990",
        },
    )

    assert response.status_code == 422
    assert re.search(r'id="field-credit_limit-error">.*Enter an amount', response.text)
    assert re.search(r'id="field-age-error">.*Enter a whole number', response.text)
    assert re.search(r'id="field-birthday-error">.*Enter a date like', response.text)
    assert not fake_api.calls("POST", "/api/v1/accounts")


def test_a_field_the_role_may_not_change_is_refused_under_that_field(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    crm.hidden = {"credit_limit"}

    new = form_values(signed_in, "/accounts/new", "/accounts")

    response = post_form(signed_in, "/accounts", {**new, "name": "Acme", "credit_limit": "10"})

    assert response.status_code == 403
    assert re.search(r'id="field-credit_limit-error">.*Your role may not change this field', response.text)


def test_a_new_account_sends_what_was_filled_in_and_opens_its_page(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    new = form_values(signed_in, "/accounts/new", "/accounts")
    assert new["owner_id"] == crm.me  # the reader owns it by default

    response = post_form(
        signed_in,
        "/accounts",
        {**new, "name": " 上海华强 ", "heat": "warm", "credit_limit": "50,000", "payment_terms_days": "４５"},
    )

    assert response.status_code == 303
    sent = json.loads(fake_api.calls("POST", "/api/v1/accounts")[0].content)
    assert sent == {
        "name": "上海华强",
        "kind": "company",
        "lifecycle_stage": "prospect",
        "heat": "warm",
        "owner_id": crm.me,
        "credit_limit": "50000",
        "payment_terms_days": 45,
    }
    assert response.headers["location"] == f"/accounts/{crm.accounts[0]['id']}?done=account-created"


def test_an_unknown_account_is_the_normal_not_found_page(signed_in: TestClient[Any], crm: FakeCustomers) -> None:
    response = signed_in.get("/accounts/0190f0e2-0000-7000-8000-00000000dead")

    assert response.status_code == 404
    assert "Page not found" in response.text


def test_adding_a_contact_from_the_account_page_with_htmx_swaps_the_panel(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    account = huaqiang(crm)
    url = f"/accounts/{account['id']}/contacts"

    refused = post_form(
        signed_in, url, {"name": "王芳", "email": "nope"}, headers={**HTMX, "HX-Target": "contacts-panel"}
    )

    assert refused.status_code == 422
    assert refused.text.lstrip().startswith('<section class="card" id="contacts-panel"')
    assert re.search(r'id="field-email-error">.*Enter a valid email address', refused.text)  # emails[0] -> email
    assert 'value="王芳"' in refused.text

    added = post_form(
        signed_in, url, {"name": "王芳", "phone": "139 0000 1111"}, headers={**HTMX, "HX-Target": "contacts-panel"}
    )

    assert added.status_code == 200
    assert "王芳" in added.text and "The contact is added." in added.text
    sent = json.loads(fake_api.calls("POST", "/api/v1/contacts")[-1].content)
    assert sent == {"account_id": account["id"], "name": "王芳", "phones": ["139 0000 1111"]}


def test_adding_a_contact_without_javascript_returns_to_the_account(
    signed_in: TestClient[Any], crm: FakeCustomers
) -> None:
    account = huaqiang(crm)

    response = post_form(signed_in, f"/accounts/{account['id']}/contacts", {"name": "王芳"})

    assert response.status_code == 303
    assert response.headers["location"] == f"/accounts/{account['id']}?done=contact-added#contacts-panel"


def test_the_team_is_changed_with_access_and_expiry_and_a_refusal_is_explained(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    account = huaqiang(crm)
    colleague = crm.admin.members[1]
    url = f"/accounts/{account['id']}/collaborators"
    panel = {**HTMX, "HX-Target": "team-panel"}

    added = post_form(
        signed_in, url, {"member_id": colleague["id"], "access": "write", "expires_on": "2099-12-31"}, headers=panel
    )

    assert added.status_code == 200
    assert "李娜" in added.text and "Can view and edit" in added.text and "Dec 31, 2099" in added.text
    sent = json.loads(
        fake_api.calls("PUT", f"/api/v1/accounts/{account['id']}/collaborators/{colleague['id']}")[0].content
    )
    assert sent == {"access": "write", "expires_at": "2099-12-31T23:59:59Z"}

    past = post_form(
        signed_in, url, {"member_id": colleague["id"], "access": "read", "expires_on": "2001-01-01"}, headers=panel
    )
    assert past.status_code == 422 and "Choose today or a later day." in past.text

    crm.may_manage_team = False
    refused = post_form(signed_in, f"{url}/{colleague['id']}/remove", headers=panel)
    assert refused.status_code == 403
    assert "Only the account&#39;s owner and the people above them" in refused.text
    assert "李娜" in refused.text  # still on the team

    crm.may_manage_team = True
    removed = post_form(signed_in, f"{url}/{colleague['id']}/remove", headers=panel)
    assert removed.status_code == 200 and "李娜" not in removed.text.split("<details")[0]


def test_deleting_asks_first_then_the_admin_restores_from_the_recycle_bin(
    signed_in: TestClient[Any], crm: FakeCustomers
) -> None:
    account = huaqiang(crm)
    page = signed_in.get(f"/accounts/{account['id']}").text
    assert '<details class="confirm">' in page and f'action="/accounts/{account["id"]}/delete"' in page

    deleted = post_form(signed_in, f"/accounts/{account['id']}/delete")

    assert deleted.headers["location"] == "/accounts?done=account-deleted"
    assert "深圳华强电子有限公司" not in signed_in.get("/accounts").text
    bin_page = signed_in.get("/accounts/deleted").text
    assert "深圳华强电子有限公司" in bin_page and f'action="/accounts/{account["id"]}/restore"' in bin_page

    restored = post_form(signed_in, f"/accounts/{account['id']}/restore")

    assert restored.headers["location"] == f"/accounts/{account['id']}?done=account-restored"
    assert "The account is restored" in signed_in.get(restored.headers["location"]).text


def test_a_role_that_may_not_delete_is_told_so(signed_in: TestClient[Any], crm: FakeCustomers) -> None:
    account = huaqiang(crm)
    crm.may_delete = False

    refused = post_form(signed_in, f"/accounts/{account['id']}/delete")
    assert refused.status_code == 403
    assert "Your role may not delete this account." in refused.text

    bin_page = signed_in.get("/accounts/deleted")
    assert bin_page.status_code == 403
    assert "Only administrators can see and restore deleted accounts." in bin_page.text


def test_export_streams_the_apis_csv_with_the_filters_or_explains_a_refusal(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    huaqiang(crm)

    response = signed_in.get("/accounts/export.csv?heat=hot&owner=mine")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "深圳华强电子有限公司" in response.content.decode("utf-8-sig")
    assert dict(fake_api.calls("GET", "/api/v1/accounts/export.csv")[0].url.params) == {
        "heat": "hot",
        "owner_id": crm.me,
    }
    crm.may_export = False
    refused = signed_in.get("/accounts/export.csv")
    assert refused.status_code == 403 and "Your role may not export accounts." in refused.text


class FormReader(HTMLParser):
    """What a browser would submit for one form of a page: inputs, ticked boxes, chosen options, text areas."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.values = action, False, {}
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action and a.get("method") == "post"
        elif not self.inside or "name" not in a:
            if tag == "option" and self.inside and self.select and "selected" in a:
                self.values[self.select] = a.get("value", "")
            return
        elif tag == "input" and (a.get("type") != "checkbox" or "checked" in a):
            self.values[a["name"]] = a.get("value", "on")
        elif tag == "select":
            self.select = a["name"]
            self.values.setdefault(a["name"], "")
        elif tag == "textarea":
            self.textarea = a["name"]
            self.values[a["name"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.values[self.textarea] += data


def form_values(client: TestClient[Any], page: str, action: str) -> dict[str, str]:
    reader = FormReader(action)
    reader.feed(client.get(page).text)
    reader.values.pop("_csrf_token", None)
    return reader.values


def test_a_duplicate_is_found_compared_and_merged_into_the_account(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    kept = huaqiang(crm, email=None, tags=["VIP"])
    other = crm.add_account(name="深圳华强电子", email="hq@example.cn", tags=["华南"], city="深圳")
    crm.add_account(name="Beta Electronics")
    page = f"/accounts/{kept['id']}"
    assert f'href="{page}/merge"' in signed_in.get(page).text

    found = signed_in.get(f"{page}/merge?q=华强").text
    assert f'href="{page}/merge?other={other["id"]}"' in found and "Beta Electronics" not in found

    compare = signed_in.get(f"{page}/merge?other={other['id']}").text
    assert re.search(r'<tr class="row--fills">\s*<th scope="row">Email</th>.*?hq@example.cn', compare, re.S)
    assert f'name="other" value="{other["id"]}"' in compare

    merged = post_form(signed_in, f"{page}/merge", {"other": other["id"]})
    assert merged.status_code == 303 and merged.headers["location"] == f"{page}?done=account-merged"
    assert json.loads(fake_api.calls("POST", f"/api/v1/accounts/{kept['id']}/merge")[-1].content) == {
        "merge_ids": [other["id"]]
    }
    assert kept["email"] == "hq@example.cn" and kept["tags"] == ["VIP", "华南"] and other["deleted_at"]
    assert "The accounts are merged." in signed_in.get(merged.headers["location"]).text

    crm.may_delete = False
    third = crm.add_account(name="华强电子（深圳）")
    refused = post_form(signed_in, f"{page}/merge", {"other": third["id"]})
    assert refused.status_code == 403 and "Your role may not merge these accounts" in refused.text
