"""Contacts in the browser, over the fake API: the list with account names, the contact's page with its
history, and the new and edit forms with the API's refusals under each field."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
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
from tests.web.test_accounts import form_values

HTMX = {"HX-Request": "true"}


@pytest.fixture(name="crm")
def crm_fixture(fake_api: FakeApi) -> FakeCustomers:
    return FakeCustomers(FakeAdmin(fake_api))


@pytest.fixture(name="account")
def account_fixture(crm: FakeCustomers) -> dict[str, Any]:
    return crm.add_account(name="深圳华强电子有限公司")


@pytest.fixture(name="zhang")
def zhang_fixture(crm: FakeCustomers, account: dict[str, Any]) -> dict[str, Any]:
    return crm.add_contact(
        account,
        family_name="张",
        given_name="伟",
        title="采购经理",
        phones=["138 0013 8000", "0755 8888 1234"],
        emails=["zhang.wei@huaqiang.example.cn"],
        preferred_channel="wechat",
        wechat="zhangwei_hq",
        is_primary=True,
    )


def test_the_list_shows_each_contact_with_its_account_and_channel(
    signed_in: TestClient[Any], crm: FakeCustomers, zhang: dict[str, Any], fake_api: FakeApi
) -> None:
    other = crm.add_account(name="Acme Trading")
    crm.add_contact(other, name="Jane Smith", emails=["jane@acme.example.com"])
    crm.add_contact(other, name="Tom Lee")

    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")
    html = signed_in.get("/contacts").text

    assert "共 3 位联系人" in signed_in.get("/contacts/count", headers=HTMX).text
    assert re.findall(r'class="record-link" href="/contacts/[^"]+">([^<]+)<', html) == ["Tom Lee", "Jane Smith", "张伟"]
    assert f'<a href="/accounts/{zhang["account_id"]}">深圳华强电子有限公司</a>' in html
    assert "采购经理" in html and "138 0013 8000, 0755 8888 1234" in html and ">微信<" in html
    # each account's name is asked for once, however many of its contacts are on the page
    assert len(fake_api.calls("GET", f"/api/v1/accounts/{other['id']}")) == 1


def test_the_list_filters_by_text_and_owner_with_htmx(
    signed_in: TestClient[Any], crm: FakeCustomers, zhang: dict[str, Any], fake_api: FakeApi
) -> None:
    response = signed_in.get("/contacts?q=张&owner=mine", headers={**HTMX, "HX-Target": "contact-results"})

    assert "<html" not in response.text
    sent = dict(fake_api.calls("GET", "/api/v1/contacts")[-1].url.params)
    assert sent == {"q": "张", "owner_id": crm.me}
    assert "张伟" in response.text


def test_masked_and_hidden_contact_fields(
    signed_in: TestClient[Any], crm: FakeCustomers, zhang: dict[str, Any]
) -> None:
    crm.masked = {"phones": "lists", "emails": "everywhere"}
    crm.hidden = {"title", "wechat"}

    listed = signed_in.get("/contacts").text
    assert "138****8000" in listed and "138 0013 8000" not in listed
    assert "采购经理" not in listed and ">Job title<" not in listed

    page = signed_in.get(f"/contacts/{zhang['id']}").text
    assert "138 0013 8000" in page  # masked in lists only
    assert "z***@huaqiang.example.cn" in page and "mailto:" not in page
    assert "zhangwei_hq" not in page and "WeChat</dt>" not in page

    form = signed_in.get(f"/contacts/{zhang['id']}/edit").text
    assert 'name="emails"' not in form and "z***@huaqiang.example.cn" in form
    assert 'name="title"' not in form and 'name="wechat"' not in form
    assert 'name="phones"' in form


def test_the_contact_page_shows_its_account_fields_and_its_changes_in_its_timeline(
    signed_in: TestClient[Any], crm: FakeCustomers, zhang: dict[str, Any]
) -> None:
    edit = form_values(signed_in, f"/contacts/{zhang['id']}/edit", f"/contacts/{zhang['id']}")
    post_form(signed_in, f"/contacts/{zhang['id']}", {**edit, "title": "总经理", "preferred_channel": "phone"})

    html = signed_in.get(f"/contacts/{zhang['id']}").text

    assert '<h1 class="record-title">张伟</h1>' in html
    assert f'href="/accounts/{zhang["account_id"]}"' in html
    assert 'href="tel:13800138000"' in html and 'href="mailto:zhang.wei@huaqiang.example.cn"' in html
    history = html.split('id="timeline"')[1]
    assert "张伟 changed this contact" in history
    assert re.search(r"Job title</span>\s*<span class=\"change-from\">采购经理</span>.*?总经理", history, re.S)
    assert re.search(
        r"Preferred channel</span>\s*<span class=\"change-from\">WeChat</span>.*?Phone call", history, re.S
    )


def test_an_edit_sends_only_what_changed_with_lists_one_per_line(
    signed_in: TestClient[Any], crm: FakeCustomers, zhang: dict[str, Any], fake_api: FakeApi
) -> None:
    edit = form_values(signed_in, f"/contacts/{zhang['id']}/edit", f"/contacts/{zhang['id']}")
    assert edit["phones"] == "138 0013 8000\n0755 8888 1234"
    assert edit["is_primary"] == "on" and "marketing_consent" not in edit

    response = post_form(
        signed_in,
        f"/contacts/{zhang['id']}",
        {**edit, "phones": "138 0013 8000\n\n139 0000 1111", "marketing_consent": "on"},
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/contacts/{zhang['id']}?done=contact-saved"
    sent = json.loads(fake_api.calls("PATCH", f"/api/v1/contacts/{zhang['id']}")[0].content)
    assert sent == {"phones": ["138 0013 8000", "139 0000 1111"], "marketing_consent": True}


def test_a_bad_email_in_a_list_is_shown_under_the_list(
    signed_in: TestClient[Any], crm: FakeCustomers, zhang: dict[str, Any]
) -> None:
    edit = form_values(signed_in, f"/contacts/{zhang['id']}/edit", f"/contacts/{zhang['id']}")

    response = post_form(signed_in, f"/contacts/{zhang['id']}", {**edit, "emails": "ok@example.com\nnope"})

    assert response.status_code == 422
    assert re.search(r'id="field-emails-error">.*Enter a valid email address', response.text)
    assert "ok@example.com\nnope</textarea>" in response.text


def test_a_new_contact_from_an_account_keeps_the_account_and_opens_its_page(
    signed_in: TestClient[Any], crm: FakeCustomers, account: dict[str, Any], fake_api: FakeApi
) -> None:
    page = signed_in.get(f"/contacts/new?account_id={account['id']}").text
    assert f'<input type="hidden" name="account_id" value="{account["id"]}">' in page
    assert "At 深圳华强电子有限公司" in page
    new = form_values(signed_in, f"/contacts/new?account_id={account['id']}", "/contacts")

    response = post_form(
        signed_in, "/contacts", {**new, "family_name": "王", "given_name": "芳", "emails": "wang.fang@example.cn"}
    )

    assert response.status_code == 303
    sent = json.loads(fake_api.calls("POST", "/api/v1/contacts")[0].content)
    assert sent == {
        "account_id": account["id"],
        "family_name": "王",
        "given_name": "芳",
        "owner_id": crm.me,
        "emails": ["wang.fang@example.cn"],
    }
    assert response.headers["location"] == f"/contacts/{crm.contacts[0]['id']}?done=contact-added"


def test_a_new_contact_needs_an_account_and_a_name(
    signed_in: TestClient[Any], crm: FakeCustomers, account: dict[str, Any], fake_api: FakeApi
) -> None:
    page = signed_in.get("/contacts/new").text
    assert f'<option value="{account["id"]}">深圳华强电子有限公司</option>' in page
    new = form_values(signed_in, "/contacts/new", "/contacts")

    no_account = post_form(signed_in, "/contacts", {**new, "family_name": "王"})
    assert no_account.status_code == 422
    assert re.search(r'id="field-account_id-error">.*Choose the account this contact works for', no_account.text)

    no_name = post_form(signed_in, "/contacts", {**new, "account_id": account["id"]})
    assert no_name.status_code == 422
    assert "Enter the family name, the given name or the full name." in no_name.text
    assert not fake_api.calls("POST", "/api/v1/contacts")


def test_deleting_a_contact_returns_to_its_account(
    signed_in: TestClient[Any], crm: FakeCustomers, zhang: dict[str, Any]
) -> None:
    response = post_form(signed_in, f"/contacts/{zhang['id']}/delete")

    assert response.headers["location"] == f"/accounts/{zhang['account_id']}?done=contact-deleted"
    assert "The contact is deleted." in signed_in.get(response.headers["location"]).text


def test_a_role_without_contacts_sees_the_account_without_them(
    signed_in: TestClient[Any], crm: FakeCustomers, zhang: dict[str, Any]
) -> None:
    crm.may_read_contacts = False

    html = signed_in.get(f"/accounts/{zhang['account_id']}").text

    assert "Your role may not see this account's contacts." in html
    assert "张伟" not in html.split('id="contacts-panel"')[1].split("</section>")[0]


def test_an_account_with_many_contacts_says_how_many_it_shows(
    signed_in: TestClient[Any], crm: FakeCustomers, account: dict[str, Any]
) -> None:
    for number in range(53):
        crm.add_contact(account, name=f"联系人 {number:02d}")

    html = signed_in.get(f"/accounts/{account['id']}").text

    assert "The first 50 of 53 contacts, by name." in html


def test_a_role_without_contacts_is_told_so_on_the_contacts_list(
    signed_in: TestClient[Any], crm: FakeCustomers
) -> None:
    crm.may_read_contacts = False

    response = signed_in.get("/contacts")

    assert response.status_code == 403
    assert "Your role may not see this list." in response.text
