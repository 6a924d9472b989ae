"""The account and contact lists over the fake API: saved views, bulk actions, custom fields as columns, filters
and orders, and the total counted by a request of its own."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.web.conftest import (  # noqa: F401 (fixtures)
    FakeApi,
    csrf,
    fake_api_fixture,
    post_form,
    signed_in_fixture,
    web_fixture,
)
from tests.web.fake_admin import FakeAdmin
from tests.web.fake_customers import FakeCustomers

HTMX = {"HX-Request": "true"}
RESULTS = {**HTMX, "HX-Target": "account-results"}
CUSTOMER_FIELDS = [
    {
        "id": "00000000-0000-0000-0000-000000000001",
        "module": "customers",
        "key": "grade",
        "label": "客户等级",
        "type": "single_select",
        "options": [{"value": "a", "label": "A 类"}, {"value": "b", "label": "B 类"}],
        "required": False,
        "position": 0,
        "created_at": "2026-01-01T00:00:00+00:00",
    },
    {
        "id": "00000000-0000-0000-0000-000000000002",
        "module": "customers",
        "key": "employees",
        "label": "Employees",
        "type": "number",
        "options": [],
        "required": False,
        "position": 1,
        "created_at": "2026-01-01T00:00:00+00:00",
    },
    {
        "id": "00000000-0000-0000-0000-000000000003",
        "module": "customers",
        "key": "signed",
        "label": "Signed NDA",
        "type": "checkbox",
        "options": [],
        "required": False,
        "position": 2,
        "created_at": "2026-01-01T00:00:00+00:00",
    },
]


@pytest.fixture(name="crm")
def crm_fixture(fake_api: FakeApi) -> FakeCustomers:
    crm = FakeCustomers(FakeAdmin(fake_api))
    crm.custom_fields = list(CUSTOMER_FIELDS)
    return crm


def row_names(html: str, path: str = "accounts") -> list[str]:
    return re.findall(rf'<a class="record-link" href="/{path}/[^"]+">([^<]+)</a>', html)


def post(client: TestClient[Any], url: str, data: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return client.post(url, data={**data, "_csrf_token": csrf(client)}, headers=headers, follow_redirects=False)


def three_accounts(crm: FakeCustomers) -> list[dict[str, Any]]:
    return [
        crm.add_account(name="深圳华强电子", heat="hot", tags=["VIP"], custom={"grade": "a", "employees": 120}),
        crm.add_account(name="Acme Trading", heat="cold", custom={"grade": "b", "signed": True}),
        crm.add_account(name="北京同创", heat="hot", custom={}),
    ]


# ---- the count


def test_the_rows_come_first_and_the_total_is_asked_for_separately(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    three_accounts(crm)

    page = signed_in.get("/accounts?heat=hot")

    assert row_names(page.text) == ["北京同创", "深圳华强电子"]
    assert "count" not in fake_api.calls("GET", "/api/v1/accounts")[-1].url.params
    assert "2 accounts" not in page.text
    assert 'hx-get="/accounts/count?heat=hot" hx-trigger="load"' in page.text
    counted = signed_in.get("/accounts/count?heat=hot", headers=HTMX)
    assert "2 accounts" in counted.text
    assert dict(fake_api.calls("GET", "/api/v1/accounts")[-1].url.params) == {
        "heat": "hot",
        "count": "true",
        "limit": "1",
    }
    # and it fills in the bulk bar's "select all N matching"
    assert 'id="account-match-count" hx-swap-oob="true">2<' in counted.text


# ---- custom fields


def test_custom_fields_are_columns_by_label_with_their_values_shown_by_type(
    signed_in: TestClient[Any], crm: FakeCustomers
) -> None:
    three_accounts(crm)

    default = signed_in.get("/accounts").text
    assert '<label class="check-item"><input type="checkbox" name="col" value="custom.grade">' in default
    assert "<span>客户等级</span>" in default and '<th scope="col">客户等级</th>' not in default  # offered, not shown

    chosen = signed_in.get("/accounts?cols=1&col=city&col=custom.grade&col=custom.employees&col=custom.signed").text

    headers = re.findall(r'<th scope="col">([^<]+)</th>', chosen)
    assert headers == ["Account", "City", "Stage", "Owner", "Updated", "客户等级", "Employees", "Signed NDA"]
    assert (
        ">A 类<" in chosen
        and ">B 类<" in chosen
        and "grade" not in re.sub(r'value="[^"]*"', "", chosen).split("<tbody")[1]
    )
    assert ">120<" in chosen and ">Yes<" in chosen
    assert ">Heat<" not in chosen.split("<thead>")[1].split("</thead>")[0]  # a column left out


def test_custom_fields_filter_with_an_input_for_their_type_and_sort(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    three_accounts(crm)

    html = signed_in.get("/accounts?cf.grade=a&sort=-cf.employees", headers=RESULTS).text

    assert row_names(html) == ["深圳华强电子"]
    sent = dict(fake_api.calls("GET", "/api/v1/accounts")[-1].url.params)
    assert sent == {"cf.grade": "a", "sort": "-cf.employees"}
    page = signed_in.get("/accounts?cf.grade=a").text
    assert re.search(r'<select class="input select" id="filter-cf-grade" name="cf.grade">', page)
    assert '<option value="a" selected>A 类</option>' in page
    assert 'type="text" inputmode="decimal" name="cf.employees.from"' in page
    assert '<option value="cf.employees">Employees, ascending</option>' in page
    assert '<span class="count-pill">1</span>' in page  # one custom filter is on
    # a value that is not the field's kind is dropped before the API sees it
    signed_in.get("/accounts?cf.grade=zzz&cf.employees=many&cf.signed=maybe&sort=cf.nope")
    assert dict(fake_api.calls("GET", "/api/v1/accounts")[-1].url.params) == {}
    signed_in.get("/accounts?cf.signed=true&cf.employees=１２０")
    sent = dict(fake_api.calls("GET", "/api/v1/accounts")[-1].url.params)
    assert sent == {"cf.employees": "120", "cf.signed": "true"}
    # a number (or date) is filtered by a range: the form's two ends become the API's lo..hi
    ranged = signed_in.get("/accounts?cf.employees.from=100&cf.employees.to=", headers=RESULTS)
    assert row_names(ranged.text) == ["深圳华强电子"]
    assert dict(fake_api.calls("GET", "/api/v1/accounts")[-1].url.params) == {"cf.employees": "100.."}
    assert ranged.headers["hx-push-url"] == "/accounts?cf.employees=100.."
    form = signed_in.get("/accounts?cf.employees=100..200").text
    assert 'name="cf.employees.from" value="100"' in form and 'name="cf.employees.to" value="200"' in form


# ---- saved views


def test_a_saved_view_opens_with_its_filters_sort_and_columns(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    three_accounts(crm)
    view = crm.add_view(
        name="热门客户",
        filters={"heat": "hot", "custom": {"grade": "a"}},
        sort="name",
        columns=["name", "lifecycle_stage", "owner_id", "tags", "custom.grade"],
    )
    crm.add_view(name="Team pipeline", shared=True, owner_id=crm.admin.members[1]["id"])

    html = signed_in.get(f"/accounts?view={view['id']}").text

    tabs = re.findall(r'<a class="view-tab" href="([^"]+)"( aria-current="page")?>(.*?)</a>', html)
    assert [(href, bool(current)) for href, current, _ in tabs] == [
        ("/accounts", False),
        (f"/accounts?view={crm.views[1]['id']}", False),
        (f"/accounts?view={view['id']}", True),
    ]
    assert "Shared with the team" in tabs[1][2]
    assert row_names(html) == ["深圳华强电子"]
    assert dict(fake_api.calls("GET", "/api/v1/accounts")[-1].url.params) == {
        "heat": "hot",
        "cf.grade": "a",
        "sort": "name",
    }
    headers = re.findall(r'<th scope="col">([^<]+)</th>', html)
    assert headers == ["Account", "Stage", "Tags", "Owner", "Updated", "客户等级"]
    assert "Save changes to" not in html  # nothing changed yet
    # changing a filter keeps the view chosen and offers to save the change into it
    changed = signed_in.get(f"/accounts?view={view['id']}&q=&heat=&sort=name&cols=1&col=tags", headers=RESULTS).text
    assert row_names(changed) == ["Acme Trading", "北京同创", "深圳华强电子"]
    assert 'id="list-views" hx-swap-oob="true"' in changed and "Save changes to “热门客户”" in changed
    # the export of an unchanged view asks the API for the view, so it has the view's columns
    signed_in.get(f"/accounts/export.csv?view={view['id']}")
    assert fake_api.calls("GET", "/api/v1/accounts/export.csv")[-1].url.params["view"] == view["id"]


def test_saving_the_list_as_a_view_keeps_its_filters_and_columns_and_opens_it(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    three_accounts(crm)

    saved = post(
        signed_in,
        "/accounts/views",
        {
            "name": "  我的热门客户 🔥 ",
            "q": "",
            "heat": "hot",
            "owner": "mine",
            "cf.grade": "a",
            "sort": "name",
            "cols": "1",
            "col": ["custom.grade", "city"],
            "shared": "on",
        },
    )

    assert saved.status_code == 303
    view = crm.views[-1]
    assert saved.headers["location"] == f"/accounts?view={view['id']}"
    assert view["name"] == "我的热门客户 🔥" and view["shared"] is True  # the owner is an admin
    assert view["filters"] == {"heat": "hot", "owner_id": crm.me, "custom": {"grade": "a"}}
    assert view["sort"] == "name"
    assert view["columns"] == ["name", "lifecycle_stage", "owner_id", "updated_at", "city", "custom.grade"]
    opened = signed_in.get(saved.headers["location"]).text
    assert "我的热门客户 🔥" in opened and row_names(opened) == ["深圳华强电子"]
    assert "Save changes to" not in opened and "view-modified" not in opened  # as saved


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", "Give the view a name."),
        ("长" * 101, "Use at most 100 characters for the name."),
        ("bad\x07name", "The name has a character that cannot be used."),
    ],
)
def test_a_view_name_that_cannot_be_used_is_explained(
    signed_in: TestClient[Any], crm: FakeCustomers, name: str, message: str
) -> None:
    refused = post(signed_in, "/accounts/views", {"name": name, "heat": "hot"})

    assert refused.status_code == 422
    assert message in refused.text and crm.views == []
    assert '<details class="menu views-menu" data-menu open>' in refused.text  # the form is open, with the message


def test_a_view_is_renamed_changed_and_deleted_by_its_owner_only(
    signed_in: TestClient[Any], crm: FakeCustomers
) -> None:
    view = crm.add_view(name="Old", filters={"heat": "hot"})
    theirs = crm.add_view(name="Theirs", shared=True, owner_id=crm.admin.members[1]["id"])

    renamed = post(signed_in, f"/accounts/views/{view['id']}", {"name": "华南重点"})
    assert renamed.status_code == 303 and view["name"] == "华南重点"
    assert post(signed_in, f"/accounts/views/{view['id']}", {"name": ""}).status_code == 422
    changed = post(signed_in, f"/accounts/views/{view['id']}", {"heat": "cold", "sort": "name", "cols": "1"})
    assert changed.status_code == 303 and view["filters"] == {"heat": "cold"} and view["sort"] == "name"

    refused = post(signed_in, f"/accounts/views/{theirs['id']}", {"name": "Mine now"})
    assert refused.status_code == 403 and "Only the one who saved this view" in refused.text
    assert theirs["name"] == "Theirs"

    page = signed_in.get(f"/accounts?view={view['id']}").text
    assert f'action="/accounts/views/{view["id"]}/delete"' in page and "data-confirm=" in page
    deleted = post(signed_in, f"/accounts/views/{view['id']}/delete", {})
    assert deleted.status_code == 303 and deleted.headers["location"] == "/accounts"
    assert [v["name"] for v in crm.views] == ["Theirs"]
    gone = post(signed_in, f"/accounts/views/{view['id']}/delete", {})
    assert gone.status_code == 404 and "This view no longer exists." in gone.text


# ---- bulk actions


def test_bulk_change_owner_of_the_ticked_rows_says_how_many(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    huaqiang, acme, tongchuang = three_accounts(crm)
    li_na = crm.admin.members[1]

    page = signed_in.get("/accounts").text
    assert f'name="ids" value="{acme["id"]}" form="bulk-form"' in page
    assert '<option value="change_owner">Transfer owner</option>' in page

    done = post(
        signed_in,
        "/accounts/bulk",
        {"action": "change_owner", "owner_id": li_na["id"], "ids": [huaqiang["id"], acme["id"]], "heat": ""},
        headers=RESULTS,
    )

    assert done.status_code == 200
    assert "The owner of 2 records is changed." in done.text
    assert [a["owner_id"] for a in (huaqiang, acme, tongchuang)] == [li_na["id"], li_na["id"], crm.me]
    sent = fake_api.calls("POST", "/api/v1/accounts/bulk")[-1]
    assert json.loads(sent.content) == {
        "action": "change_owner",
        "ids": [huaqiang["id"], acme["id"]],
        "owner_id": li_na["id"],
    }
    assert done.headers["hx-push-url"] == "/accounts"


def test_a_bulk_action_without_rows_or_owner_is_explained_not_sent(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    huaqiang, *_ = three_accounts(crm)

    nothing = post(signed_in, "/accounts/bulk", {"action": "change_owner", "owner_id": crm.me}, headers=RESULTS)
    assert nothing.status_code == 422 and "Select at least one row first." in nothing.text

    unknown = post(
        signed_in,
        "/accounts/bulk",
        {"action": "change_owner", "owner_id": "6f1c1d7e-0000-4000-8000-000000000000", "ids": [huaqiang["id"]]},
        headers=RESULTS,
    )
    assert unknown.status_code == 422 and "Choose the new owner from the list of active members." in unknown.text
    assert f'value="{huaqiang["id"]}" form="bulk-form" aria-label="Select 深圳华强电子" checked' in unknown.text

    no_action = post(signed_in, "/accounts/bulk", {"ids": [huaqiang["id"]], "action": "explode"})
    assert no_action.status_code == 422 and "Choose what to do with the selected records." in no_action.text
    no_tags = post(signed_in, "/accounts/bulk", {"ids": [huaqiang["id"]], "action": "add_tags", "tags": " , "})
    assert no_tags.status_code == 422 and "Enter at least one tag." in no_tags.text
    assert fake_api.calls("POST", "/api/v1/accounts/bulk") == []


def test_tags_are_added_and_removed_in_bulk(signed_in: TestClient[Any], crm: FakeCustomers) -> None:
    huaqiang, acme, _ = three_accounts(crm)

    added = post(
        signed_in, "/accounts/bulk", {"action": "add_tags", "tags": "华南，重点", "ids": [huaqiang["id"], acme["id"]]}
    )
    assert "Tags added to 2 accounts." in added.text
    assert huaqiang["tags"] == ["VIP", "华南", "重点"] and acme["tags"] == ["华南", "重点"]

    removed = post(signed_in, "/accounts/bulk", {"action": "remove_tags", "tags": "VIP", "ids": [huaqiang["id"]]})
    assert "Tags removed from 1 account." in removed.text and huaqiang["tags"] == ["华南", "重点"]


def test_bulk_delete_asks_first_then_deletes_every_match_of_the_filter_in_rounds(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    for number in range(7):
        crm.add_account(name=f"Hot {number}", heat="hot")
    kept = crm.add_account(name="Cold one", heat="cold")
    crm.bulk_batch = 3  # the API changes a batch a call and says when more remain
    form = {"action": "delete", "scope": "all", "heat": "hot", "q": ""}

    asked = post(signed_in, "/accounts/bulk", form, headers=RESULTS)

    assert asked.status_code == 200
    assert "Delete every record that matches these filters (7)?" in asked.text
    assert 'name="confirmed" value="yes"' in asked.text
    assert fake_api.calls("POST", "/api/v1/accounts/bulk") == []

    done = post(signed_in, "/accounts/bulk", {**form, "confirmed": "yes"}, headers=RESULTS)

    assert "7 records deleted." in done.text
    assert len(fake_api.calls("POST", "/api/v1/accounts/bulk")) == 3
    assert [a["name"] for a in crm.accounts if not a["deleted_at"]] == [kept["name"]]
    assert row_names(done.text) == []  # the list as filtered: nothing left


def test_a_bulk_action_the_role_may_not_do_is_explained(signed_in: TestClient[Any], crm: FakeCustomers) -> None:
    huaqiang, *_ = three_accounts(crm)
    crm.may_delete = False

    refused = post(signed_in, "/accounts/bulk", {"action": "delete", "confirmed": "yes", "ids": [huaqiang["id"]]})

    assert refused.status_code == 403 and "Your role may not make this change." in refused.text
    assert not huaqiang["deleted_at"]


def test_the_contact_list_has_the_same_views_and_bulk_bar_without_tags(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    account = crm.add_account(name="深圳华强电子")
    zhang = crm.add_contact(account, name="张伟", title="采购经理")
    crm.add_view(module="contacts", name="采购", filters={"q": "张"}, columns=["name", "account_name", "title"])

    html = signed_in.get("/contacts").text

    assert ">All contacts<" in html and ">采购<" in html
    assert 'action="/contacts/bulk"' in html and 'value="add_tags"' not in html
    assert 'hx-get="/contacts/count" hx-trigger="load"' in html
    done = post(
        signed_in,
        "/contacts/bulk",
        {"action": "change_owner", "owner_id": crm.admin.members[1]["id"], "ids": [zhang["id"]]},
        headers={**HTMX, "HX-Target": "contact-results"},
    )
    assert "The owner of 1 record is changed." in done.text and zhang["owner_id"] == crm.admin.members[1]["id"]
    assert row_names(done.text, "contacts") == ["张伟"]


def test_lists_speak_chinese(signed_in: TestClient[Any], crm: FakeCustomers) -> None:
    three_accounts(crm)
    crm.add_view(name="热门客户", filters={"heat": "hot"})
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")

    html = signed_in.get("/accounts").text
    assert "全部客户" in html and "视图" in html and "转移负责人" in html and "添加标签" in html and "批量操作" in html
    signed_in.cookies.set("gx_locale", "zh-Hant", domain="testserver.local")
    html = signed_in.get("/accounts").text
    assert "全部客戶" in html and "視圖" in html and "轉移負責人" in html and "新增標籤" in html
