"""The account import wizard over the fake API: the file forwarded as multipart, the detected encoding, the
first rows and the mapping preselected, refusals under their columns, the progress asked for every 2 seconds
until done with the problems row by row, and undo."""

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
from tests.web.fake_customers import FakeCustomers
from tests.web.fake_imports import FakeImports
from tests.web.fake_pools import new_pool
from tests.web.test_accounts import crm_fixture, form_values  # noqa: F401 (fixtures)

HTMX = {"HX-Request": "true"}
GBK_FILE = "客户名称,电话,城市,备注\n深圳华强电子,0755-88881234,深圳,老客户\n广州白云贸易,020-12345678,广州,\n".encode(
    "gb18030"
)


@pytest.fixture(name="imports")
def imports_fixture(fake_api: FakeApi) -> FakeImports:
    return FakeImports(fake_api)


CONTACTS_FILE = "客户名称,姓名,手机,生日礼物\n深圳华强电子,李娜,13800138000,茶叶\n".encode("gb18030")


def upload(client: TestClient[Any], name: str = "客户.csv", content: bytes = GBK_FILE, module: str = "") -> Any:
    return client.post(
        "/accounts/import",
        data={"_csrf_token": csrf(client), **({"module": module} if module else {})},
        files={"file": (name, content, "text/csv")},
        follow_redirects=False,
    )


def test_the_upload_page_has_a_multipart_form_and_the_list_links_it(
    signed_in: TestClient[Any], crm: FakeCustomers
) -> None:
    html = signed_in.get("/accounts/import").text
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html and 'name="_csrf_token"' in html
    assert 'href="/accounts/import"' in signed_in.get("/accounts").text
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")
    assert "导入客户" in signed_in.get("/accounts/import").text
    signed_in.cookies.set("gx_locale", "zh-Hant", domain="testserver.local")
    assert "匯入客戶" in signed_in.get("/accounts/import").text


def test_the_file_is_forwarded_and_the_mapping_shows_encoding_rows_and_guesses(
    signed_in: TestClient[Any], imports: FakeImports
) -> None:
    answer = upload(signed_in)

    assert answer.status_code == 303
    [(filename, data, kind)] = imports.uploads
    assert filename == "客户.csv" and data == GBK_FILE and kind == "text/csv"
    [job] = imports.imports.values()
    assert answer.headers["location"] == f"/accounts/import/{job['id']}"
    html = signed_in.get(answer.headers["location"]).text
    assert "Encoding: gb18030" in html
    assert "<td>深圳华强电子</td>" in html and "<td>020-12345678</td>" in html  # the first rows
    assert re.search(r'name="column_0">.*?<option value="name" selected>Account name</option>', html, re.S)
    assert re.search(r'name="column_2">.*?<option value="city" selected>City</option>', html, re.S)
    assert not re.search(r'name="column_3">.*?selected', html.split('name="column_3"')[1].split("</select>")[0])
    assert '<option value="skip" selected>' in html


def test_a_file_the_api_refuses_is_explained_under_the_file_field(
    signed_in: TestClient[Any], imports: FakeImports
) -> None:
    answer = upload(signed_in, name="accounts.pdf", content=b"%PDF-1.4")
    assert answer.status_code == 422
    assert re.search(r'id="field-file-error">.*?Must be a .csv or .xlsx file', answer.text, re.S)
    missing = signed_in.post("/accounts/import", data={"_csrf_token": csrf(signed_in)}, follow_redirects=False)
    assert missing.status_code == 422 and "Choose a CSV or Excel (.xlsx) file." in missing.text


def test_starting_sends_the_mapping_and_refusals_go_under_their_columns(
    signed_in: TestClient[Any], imports: FakeImports, fake_api: FakeApi
) -> None:
    location = upload(signed_in).headers["location"]
    action = f"{location}/start"
    values = form_values(signed_in, location, action)

    taken = post_form(signed_in, action, {**values, "column_2": "name"})
    assert taken.status_code == 422
    assert re.search(r'id="field-column_2-error">.*?already taken by another column', taken.text, re.S)
    assert re.search(r'name="column_2"[^>]*>.*?<option value="name" selected>', taken.text, re.S)  # kept as chosen

    started = post_form(signed_in, action, {**values, "column_3": "", "duplicates": "update"})
    assert started.status_code == 303 and started.headers["location"] == location
    job = f"/api/v1/imports/{location.rsplit('/', 1)[1]}"
    body = json.loads(fake_api.calls("PUT", f"{job}/mapping")[-1].content)
    assert body == {"mapping": {"0": "name", "1": "phone", "2": "city", "3": None}, "duplicates": "update"}
    assert fake_api.calls("POST", f"{job}/start")


def test_the_progress_asks_again_every_two_seconds_until_done_then_lists_problems_and_offers_undo(
    signed_in: TestClient[Any], imports: FakeImports
) -> None:
    location = upload(signed_in).headers["location"]
    post_form(signed_in, f"{location}/start", form_values(signed_in, location, f"{location}/start"))
    job_id = location.rsplit("/", 1)[1]
    imports.run(job_id, status="running", total_rows=2000, processed_rows=1000, created_count=990, error_count=10)

    page = signed_in.get(location).text
    assert 'hx-trigger="every 2s"' in page and "1,000 of 2,000 rows read" in page and 'value="50"' in page
    assert "Undo import" not in page

    imports.run(
        job_id,
        status="done",
        processed_rows=2000,
        created_count=1980,
        skipped_count=8,
        error_count=12,
        problems=[{"row": 7, "column": "电话", "field": "phone", "message": "must be a phone number"}],
    )
    fragment = signed_in.get(location, headers={**HTMX, "HX-Target": "import-progress"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'id="import-progress"' in fragment.text and "every 2s" not in fragment.text  # done: no more asking
    assert re.search(r"<td>7</td><td>电话</td><td>Phone</td><td>must be a phone number</td>", fragment.text)
    assert "1,980" in fragment.text and "Undo import" in fragment.text

    undone = post_form(signed_in, f"{location}/undo")
    assert undone.status_code == 303 and undone.headers["location"] == f"{location}?done=undo"
    assert imports.imports[job_id]["status"] == "undoing"
    again = post_form(signed_in, f"{location}/undo")
    assert again.status_code == 409 and "This import cannot be undone now." in again.text


def test_a_role_that_may_not_import_is_told_so(signed_in: TestClient[Any], imports: FakeImports) -> None:
    imports.may_import = False
    answer = upload(signed_in)
    assert answer.status_code == 403 and "Your role may not import accounts." in answer.text


def test_contacts_are_chosen_on_the_upload_page_and_mapped_with_the_account_column(
    signed_in: TestClient[Any], imports: FakeImports, fake_api: FakeApi
) -> None:
    page = signed_in.get("/accounts/import?module=contacts").text
    assert re.search(r'<input type="radio" name="module" value="contacts" checked>', page)
    assert '<input type="radio" name="module" value="customers">' in page

    location = upload(signed_in, "联系人.csv", CONTACTS_FILE, module="contacts").headers["location"]
    [(_, data, _)] = imports.uploads
    assert data == CONTACTS_FILE
    assert fake_api.calls("POST", "/api/v1/imports")[-1].url.params["module"] == "contacts"
    html = signed_in.get(location).text
    assert '<h1 class="page-title">Import contacts</h1>' in html
    assert re.search(r'name="column_0">.*?<option value="account" selected>Account</option>', html, re.S)
    assert re.search(r'name="column_2">.*?<option value="phones" selected>Phone numbers</option>', html, re.S)
    assert re.search(r'<option value="custom.sheng_ri_li_wu" selected>生日礼物</option>', html)
    assert "custom.sheng_ri_li_wu</option>" not in html and "one of its email addresses or phone numbers" in html

    action = f"{location}/start"
    values = form_values(signed_in, location, action)
    missing = post_form(signed_in, action, {**values, "column_0": ""})
    assert missing.status_code == 422 and "the column that holds the contact&#39;s account" in missing.text
    assert post_form(signed_in, action, values).status_code == 303

    job_id = location.rsplit("/", 1)[1]
    problem = {"row": 2, "column": "生日礼物", "field": "custom.sheng_ri_li_wu", "message": "is too long"}
    imports.run(job_id, status="done", processed_rows=1, error_count=1, problems=[problem])
    done = signed_in.get(location).text
    assert re.search(r"<td>2</td><td>生日礼物</td><td>生日礼物</td><td>is too long</td>", done)
    assert "The contacts this import added are deleted" in done and 'href="/contacts"' in done


def test_account_custom_fields_show_their_label_not_their_key(signed_in: TestClient[Any], imports: FakeImports) -> None:
    html = signed_in.get(upload(signed_in).headers["location"]).text
    assert '<option value="custom.ke_hu_bian_hao">客户编号</option>' in html
    assert "Custom field ke_hu_bian_hao" not in html


def test_accounts_can_be_imported_straight_into_a_customer_pool(
    signed_in: TestClient[Any], imports: FakeImports, fake_api: FakeApi
) -> None:
    pool = new_pool("华南公海")
    imports.pools.append(pool)
    location = upload(signed_in).headers["location"]
    page = signed_in.get(location)
    assert f'<option value="{pool["id"]}">华南公海</option>' in page.text
    values = form_values(signed_in, location, f"{location}/start")
    started = post_form(signed_in, f"{location}/start", {**values, "pool_id": pool["id"]})
    assert started.status_code == 303
    body = json.loads(fake_api.calls("PUT", f"/api/v1/imports/{location.rsplit('/', 1)[1]}/mapping")[-1].content)
    assert body["pool_id"] == pool["id"]
