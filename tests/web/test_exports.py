"""Exports from the web: the account and contact lists start an Excel export of what they show (the same
filters), the Exports page follows it every 2 seconds until the file is ready, then offers the download,
passed on from the API; refusals are explained; the page speaks Chinese."""

from __future__ import annotations

import json
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
from tests.web.fake_customers import FakeCustomers
from tests.web.fake_exports import FakeExports
from tests.web.test_accounts import crm_fixture, form_values, huaqiang  # noqa: F401 (fixtures)

HTMX = {"HX-Request": "true", "HX-Target": "export-list"}


@pytest.fixture(name="exports")
def exports_fixture(fake_api: FakeApi) -> FakeExports:
    return FakeExports(fake_api)


def test_the_account_list_starts_an_excel_export_of_what_it_shows(
    signed_in: TestClient[Any], crm: FakeCustomers, exports: FakeExports, fake_api: FakeApi
) -> None:
    huaqiang(crm)
    values = form_values(signed_in, "/accounts?q=华强&heat=hot&owner=mine&sort=name", "/exports")
    assert values == {
        "entity": "accounts",
        "format": "xlsx",
        "q": "华强",
        "heat": "hot",
        "owner": "mine",
        "sort": "name",
    }
    response = post_form(signed_in, "/exports", values)
    assert response.status_code == 303
    [export] = exports.exports.values()
    assert response.headers["location"] == f"/exports?started={export['id']}"
    sent = json.loads(fake_api.calls("POST", "/api/v1/exports")[0].content)
    assert sent == {
        "entity": "accounts",
        "format": "xlsx",
        "filters": {"q": "华强", "heat": "hot", "owner_id": fake_api.user["id"]},
        "sort": "name",
    }
    page = signed_in.get(response.headers["location"]).text
    assert "Your export has started" in page
    assert 'hx-get="/exports" hx-trigger="every 2s"' in page  # it asks again while the export is working
    assert "Waiting to start" in page


def test_the_contact_list_exports_contacts(
    signed_in: TestClient[Any], crm: FakeCustomers, exports: FakeExports, fake_api: FakeApi
) -> None:
    values = form_values(signed_in, "/contacts?q=张", "/exports")
    assert (values["entity"], values["q"]) == ("contacts", "张")
    assert post_form(signed_in, "/exports", values).status_code == 303
    sent = json.loads(fake_api.calls("POST", "/api/v1/exports")[0].content)
    assert (sent["entity"], sent["filters"]) == ("contacts", {"q": "张"})


def test_progress_is_shown_until_the_file_is_ready_then_it_downloads(
    signed_in: TestClient[Any], crm: FakeCustomers, exports: FakeExports
) -> None:
    post_form(signed_in, "/exports", {"entity": "accounts", "format": "xlsx"})
    [export] = exports.exports.values()
    exports.run(export["id"], status="running", total_rows=4000, row_count=1000, progress=25)
    fragment = signed_in.get("/exports", headers=HTMX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'id="export-list"' in fragment.text and 'value="25"' in fragment.text
    assert "1,000 of 4,000" in fragment.text and "every 2s" in fragment.text

    exports.run(export["id"], content=b"PK\x03\x04 workbook", row_count=4000)
    done = signed_in.get("/exports", headers=HTMX).text
    assert "every 2s" not in done  # nothing is working any more: no more polling
    assert f'href="/exports/{export["id"]}/file"' in done and "Ready" in done
    download = signed_in.get(f"/exports/{export['id']}/file")
    assert download.status_code == 200 and download.content == b"PK\x03\x04 workbook"
    assert download.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert download.headers["content-disposition"] == f"attachment; filename*=UTF-8''{export['filename']}"


def test_a_file_not_ready_or_deleted_is_explained(
    signed_in: TestClient[Any], crm: FakeCustomers, exports: FakeExports
) -> None:
    post_form(signed_in, "/exports", {"entity": "accounts", "format": "xlsx"})
    [export] = exports.exports.values()
    waiting = signed_in.get(f"/exports/{export['id']}/file")
    assert waiting.status_code == 409 and "not ready yet" in waiting.text
    exports.run(export["id"], status="expired")
    gone = signed_in.get(f"/exports/{export['id']}/file")
    assert gone.status_code == 410 and "deleted after its retention time" in gone.text
    assert signed_in.get("/exports/00000000-0000-0000-0000-000000000000/file").status_code == 404


def test_a_refused_export_says_why(signed_in: TestClient[Any], crm: FakeCustomers, exports: FakeExports) -> None:
    exports.may_export = False
    refused = post_form(signed_in, "/exports", {"entity": "contacts", "format": "xlsx"})
    assert refused.status_code == 403 and "Your role may not export contacts." in refused.text
    exports.may_export = True
    bad = post_form(signed_in, "/exports", {"entity": "deals", "format": "xlsx"})
    assert bad.status_code == 422 and "entity" in bad.text
    assert exports.exports == {}


def test_the_exports_page_is_empty_at_first_and_speaks_chinese(
    signed_in: TestClient[Any], crm: FakeCustomers, exports: FakeExports
) -> None:
    html = signed_in.get("/exports").text
    assert "No exports yet" in html and 'href="/exports"' in html  # the user menu links the page
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")
    post_form(signed_in, "/exports", {"entity": "accounts", "format": "xlsx"})
    [export] = exports.exports.values()
    exports.run(export["id"], content=b"x" * 3000, row_count=12)
    page = signed_in.get("/exports").text
    assert "导出" in page and "下载" in page and "客户" in page
    signed_in.cookies.set("gx_locale", "zh-Hant", domain="testserver.local")
    page = signed_in.get("/exports").text
    assert "匯出" in page and "下載" in page
