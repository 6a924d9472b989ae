"""Deleted customers stay restorable for 30 days; after that the nightly job removes them for good,
with their contacts, history and team, and nothing that is alive or recently deleted."""

from __future__ import annotations

from typing import Any

from guanxi.db.tenancy import platform_session
from guanxi.domain.customers.tasks import purge_deleted_records
from guanxi.storage import get_storage
from sqlalchemy import text

from tests.api.test_customers import add_account, add_contact
from tests.conftest import bearer, signed_up
from tests.domain.audit.test_retention import job_for


async def test_records_deleted_over_30_days_ago_are_purged_and_nothing_else(client: Any) -> None:
    owner = await signed_up(client)
    old = await add_account(client, owner, name="Long gone")
    await add_contact(client, owner, old["id"])
    attached = await client.post(
        "/api/v1/attachments",
        params={"record_type": "account", "record_id": old["id"]},
        files={"file": ("合同.pdf", b"%PDF-1.7 an old contract")},
        headers=bearer(owner),
    )
    assert attached.status_code == 201, attached.text
    recent = await add_account(client, owner, name="Just deleted")
    alive = await add_account(client, owner, name="Still here")
    for account in (old, recent):
        assert (await client.delete(f"/api/v1/accounts/{account['id']}", headers=bearer(owner))).status_code == 204
    job = await job_for(owner["workspace"]["id"])
    async with platform_session() as session:
        for table, column in (("accounts", "id"), ("contacts", "account_id")):
            await session.execute(
                text(
                    f"UPDATE \"{job.scope.schema}\".{table} SET deleted_at = now() - interval '31 days' "
                    f"WHERE {column} = CAST(:id AS uuid)"
                ),
                {"id": old["id"]},
            )
        await session.commit()
    stored = f"attachments/{job.scope.schema}/{attached.json()['id']}"
    assert get_storage().exists(stored)
    assert await purge_deleted_records(job) == {"contacts": 1, "accounts": 1}
    assert not get_storage().exists(stored)  # the file goes with its record
    assert await purge_deleted_records(job) == {"contacts": 0, "accounts": 0}
    async with platform_session() as session:
        left = await session.scalar(
            text(f'SELECT count(*) FROM "{job.scope.schema}".record_changes WHERE record_id = CAST(:id AS uuid)'),
            {"id": old["id"]},
        )
    assert left == 0
    assert (await client.post(f"/api/v1/accounts/{old['id']}/restore", headers=bearer(owner))).status_code == 404
    assert (await client.post(f"/api/v1/accounts/{recent['id']}/restore", headers=bearer(owner))).status_code == 200
    assert (await client.get(f"/api/v1/accounts/{alive['id']}", headers=bearer(owner))).status_code == 200


async def test_a_purged_account_takes_its_deals_and_a_purged_contact_leaves_its_deal(client: Any) -> None:
    from tests.api.test_deals import add_deal

    owner = await signed_up(client)
    old = await add_account(client, owner, name="Long gone")
    await add_deal(client, owner, old["id"], name="Old deal")
    alive = await add_account(client, owner, name="Still here")
    contact = await add_contact(client, owner, alive["id"])
    kept = await add_deal(client, owner, alive["id"], contact_id=contact["id"], name="Live deal")
    assert (await client.delete(f"/api/v1/accounts/{old['id']}", headers=bearer(owner))).status_code == 204
    assert (await client.delete(f"/api/v1/contacts/{contact['id']}", headers=bearer(owner))).status_code == 204
    job = await job_for(owner["workspace"]["id"])
    async with platform_session() as session:
        for table in ("accounts", "contacts"):
            await session.execute(
                text(f"UPDATE \"{job.scope.schema}\".{table} SET deleted_at = now() - interval '31 days' "
                     "WHERE deleted_at IS NOT NULL")
            )  # fmt: skip
        await session.commit()
    assert await purge_deleted_records(job) == {"contacts": 1, "accounts": 1}
    deals = (await client.get("/api/v1/deals", headers=bearer(owner))).json()["items"]
    assert [(d["name"], d["contact_id"]) for d in deals] == [("Live deal", None)]
    assert deals[0]["id"] == kept["id"]
