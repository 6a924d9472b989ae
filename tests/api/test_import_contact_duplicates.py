"""Contacts imported from a file are matched against the workspace's contacts by email or by phone number
(normalised: +86 138-0013-8000 is 13800138000) and against earlier rows of the same file; each duplicate
is skipped, updates the contact or is created anyway, as the importer chose, and is reported by its row."""

from __future__ import annotations

import uuid
from typing import Any

from guanxi.domain.imports.tasks import run_import

from tests.api.test_admin import join
from tests.api.test_customers import add_account, add_contact
from tests.api.test_imports import upload
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for

FILE = (
    "公司,姓名,邮箱,手机,职位\n"
    "华强电子,王芳,WANG.FANG@hq.example.cn,,采购经理\n"
    "华强电子,王芳（手机）,,+86 138-0013-8000,总监\n"
    "华强电子,李娜,li.na@hq.example.cn,139 0000 1111,\n"
    "华强电子,李娜副本,,0086 13900001111,\n"
)


async def import_contacts(client: Any, who: dict[str, Any], content: str, mode: str, workspace: dict[str, Any]) -> Any:
    body = (await upload(client, who, content.encode(), "联系人.csv", module="contacts")).json()
    assert body["mapping"] == {"0": "account", "1": "name", "2": "emails", "3": "phones", "4": "title"}, body
    mapped = await client.put(
        f"/api/v1/imports/{body['id']}/mapping",
        json={"mapping": body["mapping"], "duplicates": mode},
        headers=bearer(who),
    )
    assert mapped.status_code == 200, mapped.text
    started = await client.post(f"/api/v1/imports/{body['id']}/start", headers=bearer(who))
    assert started.status_code == 202, started.text
    await run_import(await job_for(workspace["workspace"]["id"]), uuid.UUID(body["id"]))
    return (await client.get(f"/api/v1/imports/{body['id']}", headers=bearer(who))).json()


async def contacts_of(client: Any, who: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in (await client.get("/api/v1/contacts", headers=bearer(who))).json()["items"]}


async def test_skip_mode_skips_the_same_email_or_phone_and_reports_each_row(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner, name="华强电子")
    existing = await add_contact(
        client, owner, account["id"], family_name="王", given_name="芳", emails=["wang.fang@hq.example.cn"],
        phones=["13800138000"],
    )  # fmt: skip
    done = await import_contacts(client, owner, FILE, "skip", owner)
    assert done["status"] == "done", done
    assert (done["created_count"], done["updated_count"], done["skipped_count"], done["error_count"]) == (1, 0, 3, 0)
    reports = {p["row"]: p for p in done["problems"]}
    assert reports[2] | {"message": ""} == {
        "row": 2, "column": "邮箱", "field": "emails", "message": "", "duplicate": True, "action": "skipped",
        "value": "wang.fang@hq.example.cn", "duplicate_of": existing["id"],
    }  # fmt: skip
    assert "the same email as the contact '王芳'" in reports[2]["message"]
    assert (reports[3]["column"], reports[3]["duplicate_of"], reports[3]["value"]) == (
        "手机",
        existing["id"],
        "13800138000",
    )
    assert "earlier row" in reports[5]["message"] and "duplicate_of" not in reports[5]
    assert set(reports) == {2, 3, 5}
    contacts = await contacts_of(client, owner)
    assert set(contacts) == {"王芳", "李娜"}
    assert contacts["王芳"].get("title") is None  # skipped: untouched


async def test_update_mode_updates_the_matching_contact_and_create_mode_creates_anyway(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner, name="华强电子")
    existing = await add_contact(
        client, owner, account["id"], family_name="王", given_name="芳", phones=["138 0013 8000"]
    )
    one_row = "公司,姓名,邮箱,手机,职位\n华强电子,王芳,,+8613800138000,总监\n"
    updated = await import_contacts(client, owner, one_row, "update", owner)
    assert (updated["created_count"], updated["updated_count"], updated["skipped_count"]) == (0, 1, 0)
    [report] = updated["problems"]
    assert (report["row"], report["action"], report["duplicate_of"]) == (2, "updated", existing["id"])
    changed = (await client.get(f"/api/v1/contacts/{existing['id']}", headers=bearer(owner))).json()
    assert (changed["title"], changed["phones"]) == ("总监", ["+8613800138000"])

    created = await import_contacts(client, owner, one_row, "create", owner)
    assert (created["created_count"], created["skipped_count"], created["problems"]) == (1, 0, [])
    assert len((await client.get("/api/v1/contacts", headers=bearer(owner))).json()["items"]) == 2


async def test_a_duplicate_the_importer_cannot_see_is_skipped_without_naming_it(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    account = await add_account(client, owner, name="华强电子", owner_id=rep["user"]["id"])
    hidden = await add_contact(client, owner, account["id"], emails=["secret@hq.example.cn"])
    assert (await client.get(f"/api/v1/contacts/{hidden['id']}", headers=bearer(rep))).status_code == 404
    row = "公司,姓名,邮箱,手机,职位\n华强电子,新联系人,secret@hq.example.cn,,\n"
    done = await import_contacts(client, rep, row, "update", owner)
    assert (done["created_count"], done["updated_count"], done["skipped_count"]) == (0, 0, 1), done
    [report] = done["problems"]
    assert "a contact you cannot see" in report["message"] and "duplicate_of" not in report
    assert report["action"] == "skipped"
