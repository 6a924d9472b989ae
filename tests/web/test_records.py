"""The record pages of accounts and contacts over the fake API: files (upload, list, download, delete and the
refusals), a contact's own timeline and quick-log bar, a call's recording in the timeline, and the workspace's
custom fields in the forms and on the page."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

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
from tests.web.fake_activities import FakeActivities
from tests.web.fake_customers import FakeCustomers
from tests.web.fake_records import definition
from tests.web.test_accounts import crm_fixture, form_values, huaqiang  # noqa: F401 (fixtures)

HTMX = {"HX-Request": "true"}
MP3 = b"ID3\x03\x00\x00\x00" + b"\x00" * 2000


def upload(client: TestClient[Any], page: str, name: str, content: bytes) -> Any:
    return client.post(
        f"{page}/files",
        data={"_csrf_token": csrf(client)},
        files={"file": (name, content, "application/octet-stream")},
        follow_redirects=False,
    )


def files_panel(html: str) -> str:
    return html.split('id="files"')[1].split("</section>")[0]


# ---- files


def test_a_file_is_uploaded_listed_downloaded_as_an_attachment_and_deleted(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    account = huaqiang(crm)
    page = f"/accounts/{account['id']}"
    assert "No files yet" in files_panel(signed_in.get(page).text)
    assert "Up to 25 MB per file." in files_panel(signed_in.get(page).text)

    sent = upload(signed_in, page, "合同.pdf", b"%PDF-1.7 contract")

    assert sent.status_code == 303 and sent.headers["location"] == f"{page}?done=file-added#files"
    [call] = fake_api.calls("POST", "/api/v1/attachments")
    assert call.url.params["record_type"] == "account" and call.url.params["record_id"] == account["id"]
    html = signed_in.get(sent.headers["location"]).text
    assert "The file is uploaded." in html
    panel = files_panel(html)
    [row] = crm.files
    assert "合同.pdf" in panel and "17 bytes" in panel and "张伟" in panel  # who added it
    assert f'href="/files/{row["id"]}" download' in panel

    download = signed_in.get(f"/files/{row['id']}")
    assert download.status_code == 200 and download.content == b"%PDF-1.7 contract"
    assert download.headers["content-disposition"] == f"attachment; filename*=UTF-8''{quote('合同.pdf')}"
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["x-content-type-options"] == "nosniff"

    removed = post_form(signed_in, f"/files/{row['id']}/delete", {"back": page})
    assert removed.headers["location"] == f"{page}?done=file-removed#files"
    assert crm.files == [] and "No files yet" in files_panel(signed_in.get(page).text)


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("报价单 2026.pdf", "报价单 2026.pdf"),
        ("😀 emoji.pdf", "😀 emoji.pdf"),
        ("عقد.pdf", "عقد.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("<img src=x onerror=alert(1)>.pdf", "<img src=x onerror=alert(1)>.pdf"),
    ],
)
def test_file_names_in_any_script_are_kept_shown_escaped_and_never_a_path(
    signed_in: TestClient[Any], crm: FakeCustomers, name: str, stored: str
) -> None:
    account = huaqiang(crm)
    page = f"/accounts/{account['id']}"

    assert upload(signed_in, page, name, b"%PDF-1.7").status_code == 303

    [row] = crm.files
    assert row["filename"] == stored
    panel = files_panel(signed_in.get(page).text)
    assert "<img src=x" not in panel and stored.replace("<", "&lt;").replace(">", "&gt;") in panel
    download = signed_in.get(f"/files/{row['id']}")
    assert download.headers["content-disposition"] == f"attachment; filename*=UTF-8''{quote(stored)}"


def test_an_empty_a_missing_and_a_too_large_file_are_explained_under_the_field(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = huaqiang(crm)
    page = f"/accounts/{account['id']}"

    empty = upload(signed_in, page, "empty.txt", b"")
    assert empty.headers["location"] == f"{page}?file_error=empty#files"
    assert "The file is empty." in files_panel(signed_in.get(empty.headers["location"]).text)

    missing = post_form(signed_in, f"{page}/files")
    assert missing.headers["location"] == f"{page}?file_error=missing#files"

    monkeypatch.setattr("guanxi_web.controllers.records.upload_limit", lambda: 1024)
    monkeypatch.setattr("guanxi_web.records.upload_limit", lambda: 1024)
    big = upload(signed_in, page, "big.pdf", b"%PDF-" + b"x" * 2000)
    assert big.headers["location"] == f"{page}?file_error=too-large#files"
    panel = files_panel(signed_in.get(big.headers["location"]).text)
    assert "The file is larger than 1 KB." in panel and 'aria-invalid="true"' in panel
    assert 'data-max-bytes="1024"' in panel  # the browser refuses it before sending, too
    assert fake_api.calls("POST", "/api/v1/attachments") == [] and crm.files == []


def test_the_apis_refusals_of_a_file_are_said_in_the_page(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    account = huaqiang(crm)
    page = f"/accounts/{account['id']}"
    crm.may_change_files = False

    refused = upload(signed_in, page, "a.pdf", b"%PDF-1.7")

    assert refused.headers["location"] == f"{page}?file_error=forbidden#files"
    assert "Your role may not add or remove files here." in signed_in.get(refused.headers["location"]).text
    fake_api.override(
        "POST",
        "/api/v1/attachments",
        __import__("httpx").Response(413, json={"status": 413, "title": "Request Entity Too Large"}),
    )
    crm.may_change_files = True
    too_big = upload(signed_in, page, "a.pdf", b"%PDF-1.7")
    assert too_big.headers["location"] == f"{page}?file_error=too-large#files"


def test_files_are_left_out_when_the_role_may_not_see_them(signed_in: TestClient[Any], crm: FakeCustomers) -> None:
    account = huaqiang(crm)
    crm.may_read_files = False

    html = signed_in.get(f"/accounts/{account['id']}").text

    assert 'id="files"' not in html and "深圳华强电子有限公司" in html


def test_a_contact_has_its_own_files(signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi) -> None:
    contact = crm.add_contact(huaqiang(crm), name="张伟")
    page = f"/contacts/{contact['id']}"

    assert upload(signed_in, page, "名片.png", b"\x89PNG\r\n\x1a\n").status_code == 303

    [call] = fake_api.calls("POST", "/api/v1/attachments")
    assert call.url.params["record_type"] == "contact" and call.url.params["record_id"] == contact["id"]
    assert "名片.png" in files_panel(signed_in.get(page).text)


# ---- a contact's timeline and a call's recording


@pytest.fixture(name="work")
def work_fixture(crm: FakeCustomers) -> FakeActivities:
    return FakeActivities(crm)


def test_a_contact_page_shows_its_own_timeline_and_logs_a_call_with_the_contact(
    signed_in: TestClient[Any], crm: FakeCustomers, work: FakeActivities, fake_api: FakeApi
) -> None:
    account = huaqiang(crm)
    zhang = crm.add_contact(account, name="张伟")
    li = crm.add_contact(account, name="李娜")
    work.add(account, contact_id=zhang["id"], subject="报价跟进")
    work.add(account, contact_id=li["id"], subject="Li's call")
    page = f"/contacts/{zhang['id']}"

    html = signed_in.get(page).text
    timeline = html.split('id="timeline"')[1]
    assert "报价跟进" in timeline and "Li's call" not in timeline
    assert f'hx-get="{page}/log?kind=call"' in timeline  # the same quick-log bar, for this contact

    bar = signed_in.get(f"{page}/log?kind=call", headers={**HTMX, "HX-Target": "log-panel"}).text
    assert f'hx-post="{page}/activities"' in bar
    logged = post_form(
        signed_in,
        f"{page}/activities",
        {"kind": "call", "subject": "回访", "direction": "outbound"},
        headers={**HTMX, "HX-Target": "timeline"},
    )

    assert logged.status_code == 200 and "回访" in logged.text and "Logged." in logged.text
    [call] = fake_api.calls("POST", "/api/v1/activities")
    body = json.loads(call.content)
    assert (body["account_id"], body["contact_id"], body["kind"]) == (account["id"], zhang["id"], "call")
    assert "回访" not in signed_in.get(f"/contacts/{li['id']}").text.split('id="timeline"')[1]


def test_a_refused_log_on_a_contact_page_keeps_the_form_with_the_error(
    signed_in: TestClient[Any], crm: FakeCustomers, work: FakeActivities
) -> None:
    zhang = crm.add_contact(huaqiang(crm), name="张伟")

    refused = post_form(signed_in, f"/contacts/{zhang['id']}/activities", {"kind": "call", "subject": ""})

    assert refused.status_code == 422
    assert "This field is required." in refused.text and '<h1 class="record-title">张伟</h1>' in refused.text


def test_a_calls_recording_plays_in_the_timeline_and_downloads(
    signed_in: TestClient[Any], crm: FakeCustomers, work: FakeActivities
) -> None:
    account = huaqiang(crm)
    call = work.add(account, subject="报价电话")
    crm.files.append(
        {"id": "0192f5a4-0000-7000-8000-000000000001", "record_type": "activity", "record_id": call["id"],
         "filename": "录音.mp3", "content_type": "audio/mpeg", "size_bytes": len(MP3), "sha256": "0" * 64,
         "created_at": "2026-05-01T00:00:00+00:00", "created_by": crm.me}
    )  # fmt: skip
    crm.file_contents["0192f5a4-0000-7000-8000-000000000001"] = MP3

    timeline = signed_in.get(f"/accounts/{account['id']}").text.split('id="timeline"')[1]

    assert "Call recording" in timeline
    assert (
        '<audio class="activity-audio" controls preload="none" src="/files/0192f5a4-0000-7000-8000-000000000001?play=1"'
        in timeline
    )
    played = signed_in.get("/files/0192f5a4-0000-7000-8000-000000000001?play=1")
    assert played.headers["content-type"] == "audio/mpeg" and played.headers["content-disposition"].startswith("inline")
    downloaded = signed_in.get("/files/0192f5a4-0000-7000-8000-000000000001")
    assert downloaded.headers["content-disposition"].startswith("attachment") and downloaded.content == MP3


# ---- custom fields


@pytest.fixture(name="custom")
def custom_fixture(crm: FakeCustomers) -> list[dict[str, Any]]:
    crm.custom_fields = [
        definition("customers", "contract_no", "合同编号", "text", required=True, position=1),
        definition("customers", "employees", "Employees", "number", position=2),
        definition("customers", "budget", "Budget", "currency", position=3),
        definition("customers", "signed_on", "Signed on", "date", position=4),
        definition("customers", "tier", "Tier", "single_select", options=["Gold", "Silver"], position=5),
        definition("customers", "regions", "Regions", "multi_select", options=["North", "South"], position=6),
        definition("customers", "buddy", "Buddy", "user", position=7),
        definition("customers", "portal", "Portal", "url", position=8),
        definition("customers", "billing", "Billing email", "email", position=9),
        definition("customers", "hotline", "Hotline", "phone", position=10),
        definition("customers", "vip", "VIP", "checkbox", position=11),
        definition("customers", "notes", "Background", "long_text", position=12),
        definition("contacts", "hobby", "Hobby", "text"),
    ]
    return crm.custom_fields


def test_the_account_form_offers_each_custom_field_with_its_own_input(
    signed_in: TestClient[Any], crm: FakeCustomers, custom: list[dict[str, Any]]
) -> None:
    html = signed_in.get("/accounts/new").text

    section = html.split("More fields")[1]
    assert "合同编号 *" in section  # required
    assert re.search(r'name="custom.employees" type="text"[^>]*inputmode="decimal"', section)
    assert re.search(r'name="custom.budget" type="text"[^>]*inputmode="decimal"', section)
    assert 'name="custom.signed_on" type="date"' in section
    assert '<option value="Gold">Gold</option>' in section
    assert 'type="checkbox" name="custom.regions" value="North"' in section
    assert f'<option value="{crm.me}">张伟</option>' in section and "王芳" not in section  # active members only
    assert 'name="custom.portal" type="url"' in section and 'name="custom.billing" type="email"' in section
    assert 'name="custom.hotline" type="tel"' in section
    assert 'id="field-custom.vip" name="custom.vip"' in section
    assert '<textarea class="input textarea" id="field-custom.notes" name="custom.notes"' in section
    assert "Hobby" not in html  # a contacts field


def test_custom_values_are_sent_as_the_apis_custom_object_and_shown_formatted(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi, custom: list[dict[str, Any]]
) -> None:
    data = {
        **form_values(signed_in, "/accounts/new", "/accounts"),
        "name": "Custom Co",
        "custom.contract_no": "HT-2026-001",
        "custom.employees": "1,250",
        "custom.budget": "50000.5",
        "custom.signed_on": "2026-02-28",
        "custom.tier": "Gold",
        "custom.buddy": crm.me,
        "custom.vip": "on",
    }
    data.pop("custom.regions", None)
    created = signed_in.post(
        "/accounts",
        data={**data, "_csrf_token": csrf(signed_in), "custom.regions": ["North", "South"]},
        follow_redirects=False,
    )

    assert created.status_code == 303, created.text
    [call] = fake_api.calls("POST", "/api/v1/accounts")
    assert json.loads(call.content)["custom"] == {
        "contract_no": "HT-2026-001",
        "employees": 1250,
        "budget": "50000.5",
        "signed_on": "2026-02-28",
        "tier": "Gold",
        "regions": ["North", "South"],
        "buddy": crm.me,
        "vip": True,
    }
    page = signed_in.get(created.headers["location"]).text
    section = page.split('id="section-custom"')[1]
    assert re.search(r"<dt>合同编号</dt><dd>HT-2026-001</dd>", section)
    assert "<dt>Employees</dt><dd>1,250</dd>" in section
    assert "<dt>Signed on</dt><dd>Feb 28, 2026</dd>" in section
    assert "<dt>Tier</dt><dd>Gold</dd>" in section and "<dt>Regions</dt><dd>North, South</dd>" in section
    assert "<dt>Buddy</dt><dd>张伟</dd>" in section and "<dt>VIP</dt><dd>Yes</dd>" in section
    assert re.search(r"<dt>Budget</dt><dd>[^<]*50,000\.50</dd>", section)


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("custom.employees", "abc", "Enter a number, like 12 or 3.5."),
        ("custom.signed_on", "2026-02-30", "Enter a date like 2024-05-31."),
        ("custom.tier", "platinum", "Choose one of the listed options."),
        ("custom.contract_no", "", "This field is required."),
        ("custom.budget", "12.345", "Use at most two decimal places."),
    ],
)
def test_custom_values_that_cannot_be_read_are_refused_at_the_field_before_the_api(
    signed_in: TestClient[Any],
    crm: FakeCustomers,
    fake_api: FakeApi,
    custom: list[dict[str, Any]],
    field: str,
    typed: str,
    message: str,
) -> None:
    data = {**form_values(signed_in, "/accounts/new", "/accounts"), "name": "X", "custom.contract_no": "HT-1"}

    refused = post_form(signed_in, "/accounts", {**data, field: typed})

    assert refused.status_code == 422
    assert re.search(rf'id="field-{re.escape(field)}-error">.*?{re.escape(message)}', refused.text, re.S)
    assert fake_api.calls("POST", "/api/v1/accounts") == []


def test_the_apis_refusal_of_a_custom_value_is_shown_at_its_field(
    signed_in: TestClient[Any], crm: FakeCustomers, custom: list[dict[str, Any]]
) -> None:
    data = {**form_values(signed_in, "/accounts/new", "/accounts"), "name": "X", "custom.contract_no": "HT-1"}

    refused = post_form(signed_in, "/accounts", {**data, "custom.billing": "not-an-address"})

    assert refused.status_code == 422
    assert re.search(r'id="field-custom.billing-error">.*?Enter a valid email address', refused.text, re.S)
    assert 'value="not-an-address"' in refused.text  # kept as typed


def test_an_edit_sends_only_the_custom_values_that_changed(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi, custom: list[dict[str, Any]]
) -> None:
    account = huaqiang(crm, custom={"contract_no": "HT-1", "budget": "100.00", "signed_on": "2026-01-05"})
    page = f"/accounts/{account['id']}"
    data = form_values(signed_in, f"{page}/edit", page)
    assert data["custom.contract_no"] == "HT-1" and data["custom.budget"] == "100.00"

    post_form(signed_in, page, {**data, "custom.employees": "30", "custom.budget": ""})

    [call] = fake_api.calls("PATCH", f"/api/v1/accounts/{account['id']}")
    assert json.loads(call.content) == {"custom": {"employees": 30, "budget": None}}
    assert crm.accounts[0]["custom"] == {"contract_no": "HT-1", "signed_on": "2026-01-05", "employees": 30}


def test_the_contact_form_and_page_have_the_contacts_custom_fields(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi, custom: list[dict[str, Any]]
) -> None:
    contact = crm.add_contact(huaqiang(crm), name="张伟", custom={"hobby": "围棋"})
    page = f"/contacts/{contact['id']}"

    assert "<dt>Hobby</dt><dd>围棋</dd>" in signed_in.get(page).text
    data = form_values(signed_in, f"{page}/edit", page)
    assert data["custom.hobby"] == "围棋" and "custom.contract_no" not in data
    post_form(signed_in, page, {**data, "custom.hobby": "钓鱼"})
    [call] = fake_api.calls("PATCH", f"/api/v1/contacts/{contact['id']}")
    assert json.loads(call.content) == {"custom": {"hobby": "钓鱼"}}


def test_custom_fields_speak_the_readers_language(
    signed_in: TestClient[Any], crm: FakeCustomers, custom: list[dict[str, Any]]
) -> None:
    account = huaqiang(crm, custom={"contract_no": "HT-1"})
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")
    html = signed_in.get(f"/accounts/{account['id']}").text
    assert "更多字段" in html and "附件" in html and "上传" in html
    signed_in.cookies.set("gx_locale", "zh-Hant", domain="testserver.local")
    html = signed_in.get(f"/accounts/{account['id']}").text
    assert "更多欄位" in html and "附件" in html and "上傳" in html
