"""Where files live: a folder on local disk by default, or an S3-compatible bucket when configured
(``GUANXI_S3_BUCKET`` and friends). Keys look like ``attachments/<schema>/<id>``: one prefix per workspace."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import boto3

from guanxi.config import get_settings

CHUNK = 1 << 20


class Storage(Protocol):
    def put(self, key: str, source: Path) -> None: ...

    def chunks(self, key: str) -> Iterator[bytes]: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


@dataclass(frozen=True)
class LocalStorage:
    root: Path

    def put(self, key: str, source: Path) -> None:
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, target)

    def chunks(self, key: str) -> Iterator[bytes]:
        with (self.root / key).open("rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk

    def delete(self, key: str) -> None:
        (self.root / key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return (self.root / key).is_file()


@dataclass(frozen=True)
class S3Storage:
    bucket: str
    client: Any  # a boto3 S3 client (thread-safe; calls block, so callers run them in a thread)

    def put(self, key: str, source: Path) -> None:
        self.client.upload_file(str(source), self.bucket, key)
        source.unlink(missing_ok=True)

    def chunks(self, key: str) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.ClientError:
            return False
        return True


@lru_cache
def get_storage() -> Storage:
    settings = get_settings()
    if not settings.s3_bucket:
        return LocalStorage(Path(settings.storage_dir))
    client = boto3.client(
        "s3",
        # Empty settings (as compose passes unset ones) mean boto3's own defaults.
        endpoint_url=settings.s3_endpoint_url or None,
        region_name=settings.s3_region or None,
        aws_access_key_id=settings.s3_access_key_id or None,
        aws_secret_access_key=settings.s3_secret_access_key or None,
    )
    return S3Storage(settings.s3_bucket, client)
