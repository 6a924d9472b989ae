"""Record pages in a real headless Chromium against the whole running product: a file is uploaded on an
account page, listed and downloaded; a custom field is filled in the account form (refused at the field first,
then saved and shown); a contact's own timeline logs a call. Screenshots (desktop and 390 px phone, English and
繁體中文) are kept in test-artifacts/ and, for review, in /tmp/shots-record/."""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from guanxi_dev.stack import Stack

from tests.browser.conftest import screenshot
from tests.browser.test_customers import no_sideways_scroll
from tests.browser.test_signup_journey import choose_language, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
REVIEW = Path(tempfile.gettempdir()) / "shots-record"
PDF = b"%PDF-1.7\n" + b"quote line\n" * 300


async def shot(page: Any, name: str) -> None:
    path = await screenshot(page, f"record-{name}")
    await asyncio.to_thread(REVIEW.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread(shutil.copy, path, REVIEW / path.name)


async def api_token(page: Any) -> str:
    """The API session the web keeps for this browser, to set up what only an administrator's API call sets."""
    cookies = {cookie["name"]: cookie["value"] for cookie in await page.context.cookies()}
    return cookies["gx_web_session"]


async def new_account(page: Any, stack: Stack, name: str) -> str:
    await page.goto(f"{stack.web_url}/accounts/new")
    await page.fill("#field-name", name)
    await page.click("main button[type=submit]")
    await page.wait_for_url(re.compile(r".*/accounts/[0-9a-f-]+\?done=account-created$"))
    return str(page.url.split("?")[0])


async def test_a_file_is_uploaded_on_an_account_page_listed_and_downloaded(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"files.{uuid.uuid4().hex[:8]}@example.com", "Files Trading", "Zhou Min")
    account_url = await new_account(page, stack, "杭州西湖茶业有限公司")
    files = page.locator("#files")
    assert "Up to 25 MB per file." in await files.inner_text()

    await page.set_input_files("#field-file", files=[])
    await page.click("#files form.file-upload button[type=submit]")  # nothing chosen: the browser's own check, or ours
    await page.set_input_files(
        "#field-file", files=[{"name": "报价单 📄 2026.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    await page.click("#files form.file-upload button[type=submit]")
    await page.wait_for_url(re.compile(r".*\?done=file-added#files$"))
    listed = await files.inner_text()
    assert "报价单 📄 2026.pdf" in listed and "3.2 KB" in listed and "Zhou Min" in listed

    async with page.expect_download() as info:
        await files.locator("a.file-name", has_text="报价单").click()
    download = await info.value
    assert download.suggested_filename == "报价单 📄 2026.pdf"
    assert await asyncio.to_thread(Path(await download.path()).read_bytes) == PDF

    await page.set_input_files("#field-file", files=[{"name": "empty.txt", "mimeType": "text/plain", "buffer": b""}])
    await page.click("#files form.file-upload button[type=submit]")
    await page.wait_for_url(re.compile(r".*file_error=empty#files$"))
    assert "The file is empty." in await page.inner_text("#field-file-error")

    await files.locator("summary[title=Delete]").click()
    await files.locator("button.btn--danger").click()
    await page.wait_for_url(re.compile(r".*\?done=file-removed#files$"))
    assert "No files yet" in await files.inner_text()
    assert page.url.startswith(account_url)


async def test_a_custom_field_is_filled_in_the_account_form(page: Any, stack: Stack) -> None:
    await sign_up(page, stack, f"custom.{uuid.uuid4().hex[:8]}@example.com", "Custom Fields Ltd", "Wu Lei")
    token = await api_token(page)
    async with httpx.AsyncClient(base_url=stack.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        for field in (
            {"module": "customers", "label": "员工人数", "key": "employees", "type": "number", "required": True},
            {"module": "customers", "label": "Signed on", "key": "signed_on", "type": "date"},
            {"module": "customers", "label": "Tier", "key": "tier", "type": "single_select",
             "options": [{"label": "Gold", "value": "gold"}, {"label": "Silver", "value": "silver"}]},
        ):  # fmt: skip
            created = await api.post("/api/v1/custom-fields", json=field)
            assert created.status_code == 201, created.text

    await page.goto(f"{stack.web_url}/accounts/new")
    await page.fill("#field-name", "成都天府软件有限公司")
    employees = page.locator("[id='field-custom.employees']")
    await employees.fill("abc")
    await page.fill("[id='field-custom.signed_on']", "2026-02-28")
    await page.select_option("[id='field-custom.tier']", "gold")
    await page.click("main form.record-form button[type=submit]")
    error = page.locator("[id='field-custom.employees-error']")
    await error.wait_for()
    assert "Enter a number" in await error.inner_text()
    assert await page.input_value("[id='field-custom.tier']") == "gold"  # the rest is kept
    await shot(page, "desktop-en-account-form-custom-error")

    await employees.fill("1,250")
    await page.click("main form.record-form button[type=submit]")
    await page.wait_for_url(re.compile(r".*/accounts/[0-9a-f-]+\?done=account-created$"))
    custom = await page.inner_text("details:has(#section-custom)")
    assert "员工人数" in custom and "1,250" in custom and "Feb 28, 2026" in custom and "Gold" in custom


async def test_record_pages_with_files_custom_fields_and_a_contacts_timeline(page: Any, stack: Stack) -> None:
    """Screenshots for review, and a call logged on a contact's own timeline in two clicks."""
    await sign_up(page, stack, f"shots.{uuid.uuid4().hex[:8]}@example.com", "Screens Ltd", "Lin Hui")
    token = await api_token(page)
    async with httpx.AsyncClient(base_url=stack.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        for field in (
            {"module": "customers", "label": "Contract no.", "key": "contract_no", "type": "text", "required": True},
            {"module": "customers", "label": "Budget", "key": "budget", "type": "currency"},
            {"module": "customers", "label": "Regions", "key": "regions", "type": "multi_select",
             "options": [{"label": "North", "value": "north"}, {"label": "South", "value": "south"}]},
            {"module": "contacts", "label": "Hobby", "key": "hobby", "type": "text"},
        ):  # fmt: skip
            assert (await api.post("/api/v1/custom-fields", json=field)).status_code == 201
        added = await api.post(
                "/api/v1/accounts",
                json={"name": "台北信義貿易股份有限公司", "custom": {"contract_no": "HT-2026-07", "budget": "88000",
                      "regions": ["north", "south"]}},
        )  # fmt: skip
        assert added.status_code == 201, added.text
        account = added.json()
        contact = (
            await api.post(
                "/api/v1/contacts",
                json={"account_id": account["id"], "name": "陳志明", "title": "採購經理", "custom": {"hobby": "圍棋"}},
            )
        ).json()
        call = (
            await api.post(
                "/api/v1/activities",
                json={"kind": "call", "account_id": account["id"], "contact_id": contact["id"], "subject": "報價跟進",
                      "direction": "outbound", "duration_seconds": 420},
            )
        ).json()  # fmt: skip
        recording = await api.post(
            "/api/v1/attachments",
            params={"record_type": "activity", "record_id": call["id"]},
            files={"file": ("通話錄音.mp3", b"ID3\x03\x00\x00\x00" + b"\x00" * 4000)},
        )
        assert recording.status_code == 201, recording.text
        await api.post(
            "/api/v1/attachments",
            params={"record_type": "account", "record_id": account["id"]},
            files={"file": ("合約 2026.pdf", PDF)},
        )
    account_url = f"{stack.web_url}/accounts/{account['id']}"
    contact_url = f"{stack.web_url}/contacts/{contact['id']}"

    await page.goto(contact_url)
    await page.click("#log-panel a:has-text('Log call')")
    await page.wait_for_selector("#log-panel #field-subject")
    await page.click("#log-panel button[type=submit]")
    await page.locator("#timeline", has_text="Logged.").wait_for()
    timeline = await page.inner_text("#timeline")
    assert "報價跟進" in timeline and "Call recording" in timeline
    assert await page.locator("#timeline audio[src$='?play=1']").count() == 1

    for language in ("en", "zh-Hant"):
        if language == "zh-Hant":
            await page.goto(account_url)
            await choose_language(page, "繁體中文")
        for width in (1280, 390):
            await page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
            device = "desktop" if width > 400 else "phone"
            for name, url in (("account", account_url), ("contact", contact_url)):
                await page.goto(url)
                if device == "phone":
                    await no_sideways_scroll(page)
                    # On a phone the timeline (with the quick-log bar) comes right after the header.
                    header = await page.locator("header.record-header").bounding_box()
                    timeline_box = await page.locator("#timeline").bounding_box()
                    details = await page.locator("details.record-section").first.bounding_box()
                    assert header["y"] < timeline_box["y"] < details["y"]
                if language == "zh-Hant":
                    assert "附件" in await page.inner_text("#files") and "上傳" in await page.inner_text("#files")
                await shot(page, f"{device}-{language}-{name}")
            await page.goto(f"{account_url}/edit")
            await shot(page, f"{device}-{language}-account-form")
