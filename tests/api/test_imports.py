"""Imports: files from Excel in any of the encodings people have (GB18030, Big5, UTF-8 with or without BOM,
UTF-16) and XLSX; a mapping suggested from Chinese or English headers and remembered; a run in the worker
with a per-row report (row and column); duplicates skipped, updated or created; undo of the whole import;
bad files refused at upload naming the problem; other tenants' imports out of reach."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from guanxi.domain.imports.tasks import run_import, undo_import
from openpyxl import Workbook

from tests.api.test_customers import add_account, add_contact
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for

CHINESE_CSV = (
    "客户名称,电话,城市,标签,客户热度,邮箱\n"
    "深圳华强电子有限公司,0755-8888 1234,深圳,重点客户;VIP,热,sales@hq.example.cn\n"
    "上海明辉贸易有限公司,021-5555 1234,上海,,温,\n"
    "张伟,138 0013 8000,北京,个人,冷,zhang.wei@example.cn\n"
)


async def upload(
    client: Any, who: dict[str, Any], content: bytes, filename: str = "客户.csv", module: str = "customers"
) -> Any:
    return await client.post(
        "/api/v1/imports", params={"module": module}, files={"file": (filename, content)}, headers=bearer(who)
    )


async def run_to_end(client: Any, who: dict[str, Any], import_id: str) -> dict[str, Any]:
    started = await client.post(f"/api/v1/imports/{import_id}/start", headers=bearer(who))
    assert started.status_code == 202, started.text
    job = await job_for(who["workspace"]["id"])
    await run_import(job, uuid.UUID(import_id))
    return dict((await client.get(f"/api/v1/imports/{import_id}", headers=bearer(who))).json())


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
async def test_a_chinese_file_in_any_common_encoding_is_read_and_mapped(client: Any, encoding: str) -> None:
    owner = await signed_up(client)
    response = await upload(client, owner, CHINESE_CSV.encode(encoding))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["header"] == ["客户名称", "电话", "城市", "标签", "客户热度", "邮箱"]
    assert body["preview"][0][0] == "深圳华强电子有限公司"
    assert body["mapping"] == {"0": "name", "1": "phone", "2": "city", "3": "tags", "4": "heat", "5": "email"}


async def test_a_big5_file_from_taiwan_is_read(client: Any) -> None:
    owner = await signed_up(client)
    text = "客戶名稱,電話,城市\n台北華強電子股份有限公司,02-2345-6789,台北\n高雄鴻海精密工業,07-123-4567,高雄\n"
    body = (await upload(client, owner, text.encode("big5"))).json()
    assert body["preview"][1][0] == "高雄鴻海精密工業"
    assert body["mapping"] == {"0": "name", "1": "phone", "2": "city"}


async def test_an_import_runs_with_a_report_per_row_and_column_and_can_be_undone(client: Any) -> None:
    owner = await signed_up(client)
    existing = await add_account(client, owner, name="上海明辉贸易有限公司", city="上海")
    content = CHINESE_CSV + "坏数据公司,not a phone,广州,,热,bad-email\n,,,,,\n额外列公司,020-1234 5678,广州,,,,多余\n"
    body = (await upload(client, owner, content.encode("gb18030"))).json()
    mapped = await client.put(
        f"/api/v1/imports/{body['id']}/mapping",
        json={"mapping": body["mapping"], "duplicates": "skip"},
        headers=bearer(owner),
    )
    assert mapped.status_code == 200, mapped.text
    done = await run_to_end(client, owner, body["id"])
    assert done["status"] == "done", done
    assert (done["total_rows"], done["processed_rows"]) == (6, 6)
    assert (done["created_count"], done["skipped_count"], done["error_count"]) == (2, 2, 3)
    problems = {(p["row"], p["column"]) for p in done["problems"]}
    assert problems == {(5, "电话"), (5, "邮箱"), (7, None)}
    listed = (await client.get("/api/v1/accounts", headers=bearer(owner))).json()["items"]
    by_name = {a["name"]: a for a in listed}
    assert by_name["深圳华强电子有限公司"]["tags"] == ["重点客户", "VIP"]
    assert by_name["深圳华强电子有限公司"]["heat"] == "hot"
    assert by_name["张伟"]["email"] == "zhang.wei@example.cn"
    assert by_name["上海明辉贸易有限公司"]["id"] == existing["id"]  # skipped: it was there already
    hits = (await client.get("/api/v1/search", params={"q": "huaqiang"}, headers=bearer(owner))).json()
    assert [h["title"] for h in hits] == ["深圳华强电子有限公司"]

    undone = await client.post(f"/api/v1/imports/{body['id']}/undo", headers=bearer(owner))
    assert undone.status_code == 202
    await undo_import(await job_for(owner["workspace"]["id"]), uuid.UUID(body["id"]))
    after = (await client.get(f"/api/v1/imports/{body['id']}", headers=bearer(owner))).json()
    assert after["status"] == "undone"
    names = {a["name"] for a in (await client.get("/api/v1/accounts", headers=bearer(owner))).json()["items"]}
    assert names == {"上海明辉贸易有限公司"}


async def test_update_mode_changes_the_matching_account_and_undo_puts_it_back(client: Any) -> None:
    owner = await signed_up(client)
    existing = await add_account(client, owner, name="Acme Ltd", email="info@acme.example", city="London")
    content = b"Company,Email,City,Industry\nAcme Limited,INFO@acme.example,Manchester,Trading\n"
    body = (await upload(client, owner, content, "accounts.csv")).json()
    await client.put(
        f"/api/v1/imports/{body['id']}/mapping",
        json={"mapping": body["mapping"], "duplicates": "update"},
        headers=bearer(owner),
    )
    done = await run_to_end(client, owner, body["id"])
    assert (done["created_count"], done["updated_count"]) == (0, 1)
    changed = (await client.get(f"/api/v1/accounts/{existing['id']}", headers=bearer(owner))).json()
    assert (changed["name"], changed["city"], changed["industry"]) == ("Acme Limited", "Manchester", "Trading")
    await client.post(f"/api/v1/imports/{body['id']}/undo", headers=bearer(owner))
    await undo_import(await job_for(owner["workspace"]["id"]), uuid.UUID(body["id"]))
    back = (await client.get(f"/api/v1/accounts/{existing['id']}", headers=bearer(owner))).json()
    assert (back["name"], back["city"], back["industry"]) == ("Acme Ltd", "London", None)
    assert [
        h["title"] for h in (await client.get("/api/v1/search", params={"q": "acme"}, headers=bearer(owner))).json()
    ] == ["Acme Ltd"]


async def test_an_xlsx_workbook_is_read_with_numbers_as_people_typed_them(client: Any) -> None:
    owner = await signed_up(client)
    book = Workbook()
    sheet = book.active
    sheet.append(["Company", "Phone", "Payment terms"])
    sheet.append(["Globex Inc", 13800138000, 30])
    buffer = io.BytesIO()
    book.save(buffer)
    response = await upload(client, owner, buffer.getvalue(), "accounts.xlsx")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["format"] == "xlsx"
    assert body["preview"] == [["Globex Inc", "13800138000", "30"]]
    assert body["mapping"] == {"0": "name", "1": "phone", "2": "payment_terms_days"}
    done = await run_to_end(client, owner, body["id"])
    assert done["created_count"] == 1, done["problems"]
    account = (await client.get("/api/v1/accounts", headers=bearer(owner))).json()["items"][0]
    assert (account["phone"], account["payment_terms_days"]) == ("13800138000", 30)


async def test_a_remembered_mapping_is_offered_for_the_same_columns(client: Any) -> None:
    owner = await signed_up(client)
    content = b"Firma,Telefon\nACME,12345678\n"
    first = (await upload(client, owner, content, "a.csv")).json()
    assert first["mapping"] == {}
    await client.put(
        f"/api/v1/imports/{first['id']}/mapping", json={"mapping": {"0": "name", "1": "phone"}}, headers=bearer(owner)
    )
    second = (await upload(client, owner, content, "b.csv")).json()
    assert second["mapping"] == {"0": "name", "1": "phone"}


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "empty.csv", "is empty"),
        (b"%PDF-1.7 ...", "contract.pdf", "import a .csv or .xlsx"),
        (b"PK\x03\x04rest-of-a-zip", "customers.csv", "is an Excel workbook"),
        (b"name,phone\nA,1\n", "customers.xlsx", "not an Excel workbook"),
        (b"name,Name\nA,B\n", "dupes.csv", "two columns named 'Name'"),
        (b',,\n"A",1\n', "noheader.csv", "empty first row"),
        (b'name,phone\n"Acme,123\nFoo,456\n', "quote.csv", "quote left open"),
        (bytes(range(256)) * 4, "binary.csv", "not a text file"),
    ],
)
async def test_bad_files_are_refused_at_upload_saying_why(
    client: Any, content: bytes, filename: str, message: str
) -> None:
    owner = await signed_up(client)
    response = await upload(client, owner, content, filename)
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["field"] == "file" and message in error["message"], error


@pytest.mark.parametrize(
    ("mapping", "field"),
    [
        ({"0": "phone"}, "mapping"),
        ({"9": "name"}, "mapping.9"),
        ({"0": "name", "1": "name"}, "mapping.1"),
        ({"0": "name", "1": "password"}, "mapping.1"),
    ],
)
async def test_a_bad_mapping_names_the_column(client: Any, mapping: dict[str, str], field: str) -> None:
    owner = await signed_up(client)
    body = (await upload(client, owner, b"Company,Phone\nA,12345678\n", "a.csv")).json()
    response = await client.put(
        f"/api/v1/imports/{body['id']}/mapping", json={"mapping": mapping}, headers=bearer(owner)
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_an_upload_over_the_limit_is_refused_with_413(client: Any) -> None:
    from guanxi.config import get_settings

    owner = await signed_up(client)
    too_big = b"name\n" + b"x" * (get_settings().import_max_bytes + 100_000)
    assert (await upload(client, owner, too_big, "big.csv")).status_code == 413


async def contacts_import(
    client: Any, who: dict[str, Any], text: str, duplicates: str = "skip", mapping: dict[str, str] | None = None
) -> dict[str, Any]:
    body = (await upload(client, who, text.encode("gb18030"), "联系人.csv", module="contacts")).json()
    mapped = await client.put(
        f"/api/v1/imports/{body['id']}/mapping",
        json={"mapping": mapping or body["mapping"], "duplicates": duplicates},
        headers=bearer(who),
    )
    assert mapped.status_code == 200, mapped.text
    return await run_to_end(client, who, body["id"])


async def contacts_of(client: Any, who: dict[str, Any], account_id: str) -> dict[str, dict[str, Any]]:
    response = await client.get(f"/api/v1/accounts/{account_id}/contacts", headers=bearer(who))
    return {c["name"]: c for c in response.json()["items"]}


async def test_contacts_import_onto_accounts_named_or_by_id_with_a_report_and_undo(client: Any) -> None:
    owner = await signed_up(client)
    huaqiang = await add_account(client, owner, name="深圳华强电子有限公司")
    acme = await add_account(client, owner, name="Acme Ltd")
    text = (
        "客户名称,姓名,手机,邮箱,职位\n"
        "深圳华强电子有限公司,李娜,138 0013 8000,li.na@hq.example.cn,采购经理\n"
        f"{acme['id'].upper()},Sarah Lee,+44 20 7946 0000,sarah@acme.example,CTO\n"
        "不存在的公司,王强,139 0000 0000,,\n"
        "深圳华强电子有限公司,赵敏,,not-an-email,\n"
    )
    body = (await upload(client, owner, text.encode("gb18030"), "联系人.csv", module="contacts")).json()
    assert body["mapping"] == {"0": "account", "1": "name", "2": "phones", "3": "emails", "4": "title"}
    done = await contacts_import(client, owner, text)
    assert (done["created_count"], done["error_count"]) == (2, 2), done["problems"]
    assert {(p["row"], p["column"], p["field"]) for p in done["problems"]} == {
        (4, "客户名称", "account"),
        (5, "邮箱", "emails[0]"),
    }
    hq = await contacts_of(client, owner, huaqiang["id"])
    assert (hq["李娜"]["phones"], hq["李娜"]["title"]) == (["138 0013 8000"], "采购经理")
    assert list(await contacts_of(client, owner, acme["id"])) == ["Sarah Lee"]

    await client.post(f"/api/v1/imports/{done['id']}/undo", headers=bearer(owner))
    await undo_import(await job_for(owner["workspace"]["id"]), uuid.UUID(done["id"]))
    assert await contacts_of(client, owner, huaqiang["id"]) == {}
    assert await contacts_of(client, owner, acme["id"]) == {}


@pytest.mark.parametrize(
    ("duplicates", "titles"), [("skip", ["经理"]), ("update", ["总监"]), ("create", ["经理", "总监"])]
)
async def test_a_contact_with_a_known_email_or_phone_is_skipped_updated_or_created(
    client: Any, duplicates: str, titles: list[str]
) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner, name="深圳华强电子有限公司")
    await add_contact(client, owner, account["id"], name="李娜", phones=["13800138000"], title="经理")
    text = "客户名称,姓名,手机,职位\n深圳华强电子有限公司,李娜,138-0013-8000,总监\n"
    done = await contacts_import(client, owner, text, duplicates)
    assert done["error_count"] == 0, done["problems"]
    listed = (await client.get(f"/api/v1/accounts/{account['id']}/contacts", headers=bearer(owner))).json()["items"]
    assert sorted(c["title"] for c in listed) == sorted(titles)
    if duplicates == "update":
        await client.post(f"/api/v1/imports/{done['id']}/undo", headers=bearer(owner))
        await undo_import(await job_for(owner["workspace"]["id"]), uuid.UUID(done["id"]))
        back = (await client.get(f"/api/v1/accounts/{account['id']}/contacts", headers=bearer(owner))).json()
        assert [c["title"] for c in back["items"]] == ["经理"]


@pytest.mark.parametrize(
    ("cell", "name"),
    [
        ("", "空账户"),
        ("'; DROP TABLE contacts; --", "Bobby"),
        ("😀🏢", "表情"),
        ("שלום בע״מ", "RTL"),
        ("x" * 300, "Long"),
    ],
)
async def test_a_contact_on_an_unknown_or_empty_account_is_reported_and_nothing_is_written(
    client: Any, cell: str, name: str
) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner, name="Acme Ltd")
    done = await contacts_import(client, owner, f'Account,Name\n"{cell}",{name}\n')
    assert (done["created_count"], done["error_count"]) == (0, 1), done
    assert done["problems"][0]["field"] == "account"
    assert await contacts_of(client, owner, account["id"]) == {}


async def test_contacts_cannot_land_on_another_tenants_account_by_id(client: Any) -> None:
    owner, other = await signed_up(client), await signed_up(client)
    theirs = await add_account(client, other, name="Their Co")
    done = await contacts_import(client, owner, f"Account,Name\n{theirs['id']},Spy\nTheir Co,Spy 2\n")
    assert (done["created_count"], done["error_count"]) == (0, 2)
    assert await contacts_of(client, other, theirs["id"]) == {}


async def test_custom_fields_come_with_their_labels(client: Any) -> None:
    owner = await signed_up(client)
    made = await client.post(
        "/api/v1/custom-fields", json={"module": "contacts", "label": "生日礼物", "type": "text"}, headers=bearer(owner)
    )
    key = made.json()["key"]
    body = (await upload(client, owner, "客户名称,姓名,生日礼物\nA,B,茶叶\n".encode(), module="contacts")).json()
    assert body["labels"] == {f"custom.{key}": "生日礼物"}
    assert body["mapping"]["2"] == f"custom.{key}"


async def test_other_tenants_imports_are_out_of_reach(client: Any) -> None:
    owner, other = await signed_up(client), await signed_up(client)
    body = (await upload(client, owner, CHINESE_CSV.encode(), "a.csv")).json()
    for method, url in (
        ("GET", f"/api/v1/imports/{body['id']}"),
        ("PUT", f"/api/v1/imports/{body['id']}/mapping"),
        ("POST", f"/api/v1/imports/{body['id']}/start"),
        ("POST", f"/api/v1/imports/{body['id']}/undo"),
    ):
        json = {"mapping": {"0": "name"}} if method == "PUT" else None
        assert (await client.request(method, url, json=json, headers=bearer(other))).status_code == 404
    assert (await client.get("/api/v1/imports", headers=bearer(other))).json() == []


async def test_an_import_of_a_member_deactivated_meanwhile_fails_and_writes_nothing(client: Any) -> None:
    from tests.api.test_admin import join

    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    body = (await upload(client, rep, CHINESE_CSV.encode(), "a.csv")).json()
    await client.post(f"/api/v1/imports/{body['id']}/start", headers=bearer(rep))
    await client.post(f"/api/v1/admin/members/{rep['user']['id']}/deactivate", headers=bearer(owner))
    await run_import(await job_for(owner["workspace"]["id"]), uuid.UUID(body["id"]))
    listed = (await client.get("/api/v1/imports", params={"module": "customers"}, headers=bearer(owner))).json()
    assert [(i["status"], i["created_count"]) for i in listed] == [("failed", 0)]
    assert "removed" in listed[0]["failure"]
    assert (await client.get("/api/v1/accounts", headers=bearer(owner))).json()["items"] == []
