"""Files on records: stored, typed by their bytes, listed and downloaded by whoever sees the record,
added and removed by whoever may change it; never served so that a browser would run them; size-limited;
out of reach of other tenants."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_activities import log
from tests.api.test_admin import join
from tests.api.test_customers import add_account
from tests.conftest import bearer, signed_up

MP3 = b"ID3\x03\x00\x00\x00" + b"\x00" * 200
HTML = b"<html><script>alert(document.cookie)</script></html>"


async def attach(client: Any, who: dict[str, Any], record_type: str, record_id: str, name: str, content: bytes) -> Any:
    return await client.post(
        "/api/v1/attachments",
        params={"record_type": record_type, "record_id": record_id},
        files={"file": (name, content)},
        headers=bearer(who),
    )


async def test_a_call_recording_is_kept_typed_by_its_bytes_and_plays_inline(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    call = await log(client, owner, kind="call", account_id=account["id"], subject="Call")
    uploaded = await attach(client, owner, "activity", call["id"], "录音 2026-11-26.mp3", MP3)
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert (body["content_type"], body["size_bytes"], body["filename"]) == (
        "audio/mpeg",
        len(MP3),
        "录音 2026-11-26.mp3",
    )
    listed = await client.get(
        "/api/v1/attachments", params={"record_type": "activity", "record_id": call["id"]}, headers=bearer(owner)
    )
    assert [a["id"] for a in listed.json()] == [body["id"]]
    download = await client.get(f"/api/v1/attachments/{body['id']}/download", headers=bearer(owner))
    assert download.status_code == 200 and download.content == MP3
    assert download.headers["content-type"].startswith("audio/mpeg")
    assert download.headers["content-disposition"].startswith("inline")
    assert download.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("name", ["page.html", "image.svg", "evil.png", "script.js"])
async def test_anything_a_browser_could_run_is_only_ever_downloaded(client: Any, name: str) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    body = (await attach(client, owner, "account", account["id"], name, HTML)).json()
    assert body["content_type"] == "application/octet-stream"  # the name says png, the bytes say otherwise
    download = await client.get(f"/api/v1/attachments/{body['id']}/download", headers=bearer(owner))
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in download.headers["content-security-policy"]


async def test_files_follow_the_records_access(client: Any) -> None:
    owner = await signed_up(client)
    rep, other = await join(client, owner, "sales_rep"), await join(client, owner, "sales_rep")
    account = await add_account(client, rep, name="Rep's")
    body = (await attach(client, rep, "account", account["id"], "合同.pdf", b"%PDF-1.7\n...")).json()
    assert body["content_type"] == "application/pdf"
    assert (await client.get(f"/api/v1/attachments/{body['id']}/download", headers=bearer(other))).status_code == 404
    assert (await attach(client, other, "account", account["id"], "x.txt", b"hi")).status_code == 404
    await client.put(
        f"/api/v1/accounts/{account['id']}/collaborators/{other['user']['id']}",
        json={"access": "read"},
        headers=bearer(rep),
    )
    assert (await client.get(f"/api/v1/attachments/{body['id']}/download", headers=bearer(other))).status_code == 200
    assert (await attach(client, other, "account", account["id"], "x.txt", b"hi")).status_code == 403
    assert (await client.delete(f"/api/v1/attachments/{body['id']}", headers=bearer(other))).status_code == 403
    assert (await client.delete(f"/api/v1/attachments/{body['id']}", headers=bearer(rep))).status_code == 204
    assert (await client.get(f"/api/v1/attachments/{body['id']}/download", headers=bearer(rep))).status_code == 404


@pytest.mark.parametrize(
    ("params", "content", "field"),
    [
        ({"record_type": "planet"}, b"x", "record_type"),
        ({}, b"", "file"),
        ({"record_id": "not-a-uuid"}, b"x", "record_id"),
    ],
)
async def test_bad_uploads_name_the_field(client: Any, params: dict[str, str], content: bytes, field: str) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    query = {"record_type": "account", "record_id": account["id"], **params}
    response = await client.post(
        "/api/v1/attachments", params=query, files={"file": ("a.txt", content)}, headers=bearer(owner)
    )
    assert response.status_code in (400, 422), response.text
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_an_oversized_file_is_refused_and_other_tenants_see_nothing(client: Any) -> None:
    from guanxi.config import get_settings

    owner, other = await signed_up(client), await signed_up(client)
    account = await add_account(client, owner)
    huge = b"x" * (get_settings().attachment_max_bytes + 100_000)
    assert (await attach(client, owner, "account", account["id"], "big.bin", huge)).status_code == 413
    body = (await attach(client, owner, "account", account["id"], "a.txt", b"hello")).json()
    assert (await client.get(f"/api/v1/attachments/{body['id']}/download", headers=bearer(other))).status_code == 404
    assert (await client.delete(f"/api/v1/attachments/{body['id']}", headers=bearer(other))).status_code == 404
    listed = await client.get(
        "/api/v1/attachments", params={"record_type": "account", "record_id": account["id"]}, headers=bearer(other)
    )
    assert listed.status_code == 404
