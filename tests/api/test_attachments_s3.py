"""Attachments in an S3-compatible bucket (a local S3 server, as MinIO or a cloud bucket would be): the
file goes to the bucket under the workspace's prefix, downloads stream from it, the purge removes it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from guanxi.config import get_settings
from guanxi.storage import get_storage
from moto.server import ThreadedMotoServer

from tests.api.test_customers import add_account
from tests.conftest import bearer, signed_up
from tests.services import free_port


@dataclass
class Bucket:
    name: str
    client: Any

    def keys(self) -> list[str]:
        return [item["Key"] for item in self.client.list_objects_v2(Bucket=self.name).get("Contents", [])]


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bucket]:
    name = f"guanxi-files-{uuid.uuid4().hex[:8]}"  # the server keeps its buckets for the whole run
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    settings = get_settings()
    for setting, value in (
        ("s3_bucket", name),
        ("s3_endpoint_url", f"http://127.0.0.1:{port}"),
        ("s3_region", "us-east-1"),
        ("s3_access_key_id", "local"),
        ("s3_secret_access_key", "local-secret"),
    ):
        monkeypatch.setattr(settings, setting, value)
    get_storage.cache_clear()
    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local-secret",
    )
    client.create_bucket(Bucket=name)
    try:
        yield Bucket(name, client)
    finally:
        get_storage.cache_clear()
        server.stop()


async def test_a_file_goes_to_the_bucket_and_comes_back_from_it(client: Any, bucket: Bucket) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    content = b"%PDF-1.7 " + "合同 contract".encode() * 1000
    uploaded = await client.post(
        "/api/v1/attachments",
        params={"record_type": "account", "record_id": account["id"]},
        files={"file": ("合同.pdf", content)},
        headers=bearer(owner),
    )
    assert uploaded.status_code == 201, uploaded.text
    keys = bucket.keys()
    assert len(keys) == 1 and keys[0].startswith("attachments/tenant_") and keys[0].endswith(uploaded.json()["id"])
    assert bucket.client.get_object(Bucket=bucket.name, Key=keys[0])["Body"].read() == content
    download = await client.get(f"/api/v1/attachments/{uploaded.json()['id']}/download", headers=bearer(owner))
    assert download.status_code == 200 and download.content == content
    assert download.headers["content-disposition"].startswith("attachment")


async def test_the_purge_of_a_deleted_account_removes_its_files_from_the_bucket(client: Any, bucket: Bucket) -> None:
    from guanxi.db.tenancy import platform_session
    from guanxi.domain.customers.tasks import purge_deleted_records
    from sqlalchemy import text

    from tests.domain.audit.test_retention import job_for

    owner = await signed_up(client)
    account = await add_account(client, owner)
    await client.post(
        "/api/v1/attachments",
        params={"record_type": "account", "record_id": account["id"]},
        files={"file": ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)},
        headers=bearer(owner),
    )
    await client.delete(f"/api/v1/accounts/{account['id']}", headers=bearer(owner))
    job = await job_for(owner["workspace"]["id"])
    async with platform_session() as session:
        await session.execute(
            text(f"UPDATE \"{job.scope.schema}\".accounts SET deleted_at = now() - interval '31 days'")
        )
        await session.commit()
    assert len(bucket.keys()) == 1
    assert await purge_deleted_records(job) == {"contacts": 0, "accounts": 1}
    assert bucket.keys() == []
