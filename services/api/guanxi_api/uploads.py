"""Files sent as multipart form data: spooled to a temporary file next to the storage folder, so that a
service can move it into place (or a bucket) without holding it in memory."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from guanxi.config import get_settings
from guanxi.errors import FieldError, validation_error
from litestar.datastructures import UploadFile

UPLOAD_OVERHEAD = 64 * 1024  # multipart framing around the file, on top of a route's file size limit


@asynccontextmanager
async def received_file(data: dict[str, UploadFile]) -> AsyncIterator[tuple[Path, int, str]]:
    """The multipart field ``file`` on disk: (path, size, the client's file name). The temporary file is
    removed afterwards unless the caller moved it away."""
    upload = data.get("file")
    if not isinstance(upload, UploadFile):
        raise validation_error(FieldError("file", "send the file as the multipart field 'file'", "required"))
    folder = Path(get_settings().storage_dir) / "incoming"
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder)
    path, size = Path(name), 0
    try:
        with os.fdopen(handle, "wb") as target:
            while chunk := await upload.read(1 << 20):
                size += len(chunk)
                target.write(chunk)
        yield path, size, upload.filename or "upload"
    finally:
        path.unlink(missing_ok=True)  # noqa: ASYNC240 -- a local file; gone already when accepted
