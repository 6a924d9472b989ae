"""The API's imports, in memory, on top of FakeApi: a multipart upload read like the API (the encoding
detected, the header, the first rows, a suggested mapping), the mapping checked, and a test moves the import
along (``run``) as the worker would."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.web.conftest import FakeApi, problem
from tests.web.fake_customers import invalid

FIELDS = {
    "customers": ["name", "phone", "email", "city", "tags", "heat", "owner", "custom.ke_hu_bian_hao"],
    "contacts": ["account", "name", "title", "phones", "emails", "owner", "custom.sheng_ri_li_wu"],
}
LABELS = {"customers": {"custom.ke_hu_bian_hao": "客户编号"}, "contacts": {"custom.sheng_ri_li_wu": "生日礼物"}}
GUESSES = {
    "customers": {"客户名称": "name", "电话": "phone", "城市": "city", "标签": "tags", "Email": "email"},
    "contacts": {
        "客户名称": "account",
        "姓名": "name",
        "手机": "phones",
        "邮箱": "emails",
        "生日礼物": "custom.sheng_ri_li_wu",
    },
}
REQUIRED = {"customers": "name", "contacts": "account"}
STAMP = "2026-05-01T08:00:00+00:00"


@dataclass
class FakeImports:
    api: FakeApi
    imports: dict[str, dict[str, Any]] = field(default_factory=dict)
    uploads: list[tuple[str, bytes, str]] = field(default_factory=list)  # file name, bytes, content type
    may_import: bool = True
    pools: list[dict[str, Any]] = field(default_factory=list)  # GET /api/v1/pools: the mapping step offers them

    def __post_init__(self) -> None:
        original = self.api._signed_in
        self.api._signed_in = lambda request: self.signed_in(request) or original(request)  # type: ignore[method-assign]

    def run(self, import_id: str, **progress: Any) -> dict[str, Any]:
        """The worker's progress: counts, status and problems, as a test wants them."""
        self.imports[import_id].update(progress)
        return self.imports[import_id]

    def signed_in(self, request: httpx.Request) -> httpx.Response | None:
        parts = request.url.path.strip("/").split("/")  # api, v1, imports, <id>, <action>
        if (request.method, request.url.path) == ("GET", "/api/v1/pools"):
            return httpx.Response(200, json=self.pools)
        if parts[2:3] != ["imports"]:
            return None
        if not self.may_import:
            return problem(403, "forbidden", "Your role may not import accounts.")
        if len(parts) == 3 and request.method == "POST":
            return self._upload(request)
        job = self.imports.get(parts[3]) if len(parts) > 3 else None
        if job is None:
            return problem(404, "not-found")
        action = parts[4] if len(parts) > 4 else ""
        if action == "mapping" and request.method == "PUT":
            return self._map(job, json.loads(request.content))
        if action == "start" and request.method == "POST":
            if job["status"] != "uploaded":
                return problem(409, "import-started")
            job.update(status="queued", started_at=STAMP)
            return httpx.Response(202, json=job)
        if action == "undo" and request.method == "POST":
            if job["status"] != "done":
                return problem(409, "import-not-done", "Only a finished import can be undone.")
            job.update(status="undoing")
            return httpx.Response(202, json=job)
        if not action and request.method == "GET":
            return httpx.Response(200, json=job)
        return None

    def _upload(self, request: httpx.Request) -> httpx.Response:
        module = request.url.params.get("module") or ""
        if module not in FIELDS:
            return invalid("module", "must be customers or contacts")
        content_type = request.headers["content-type"]
        if not content_type.startswith("multipart/form-data"):
            return problem(415, "unsupported-media-type")
        filename, data, part_type = self._file_part(request.content, content_type.split("boundary=")[1].encode())
        self.uploads.append((filename, data, part_type))
        if not filename.endswith((".csv", ".xlsx")):
            return invalid("file", "must be a .csv or .xlsx file")
        encoding = "utf-8"
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text, encoding = data.decode("gb18030"), "gb18030"
        rows = [line.split(",") for line in text.splitlines() if line]
        if not rows:
            return invalid("file", "the file is empty")
        header, body = rows[0], rows[1:]
        job_id = str(uuid.uuid4())
        mapping = {str(i): GUESSES[module][h] for i, h in enumerate(header) if h in GUESSES[module]}
        job = {
            "id": job_id,
            "module": module,
            "filename": filename,
            "format": filename.rsplit(".", 1)[1],
            "encoding": encoding,
            "size_bytes": len(data),
            "header": header,
            "preview": body[:10],
            "mapping": mapping,
            "fields": FIELDS[module],
            "labels": LABELS[module],
            "duplicates": "skip",
            "status": "uploaded",
            "total_rows": None,
            "processed_rows": 0,
            "created_count": 0,
            "updated_count": 0,
            "skipped_count": 0,
            "error_count": 0,
            "problems": [],
            "failure": None,
            "created_at": STAMP,
            "started_at": None,
            "finished_at": None,
            "undone_at": None,
        }
        self.imports[job_id] = job
        return httpx.Response(201, json=job)

    @staticmethod
    def _file_part(content: bytes, boundary: bytes) -> tuple[str, bytes, str]:
        for part in content.split(b"--" + boundary):
            head, _, data = part.partition(b"\r\n\r\n")
            if b'name="file"' in head:
                lines = head.decode().split("\r\n")
                disposition = next(line for line in lines if line.lower().startswith("content-disposition"))
                filename = disposition.split('filename="')[1].split('"')[0]
                kind = next(
                    (line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("content-type")), ""
                )
                return filename, data.removesuffix(b"\r\n"), kind
        return "", b"", ""

    def _map(self, job: dict[str, Any], body: dict[str, Any]) -> httpx.Response:
        job["pool_id"] = body.get("pool_id")
        errors = []
        taken: set[str] = set()
        for column, name in body["mapping"].items():
            if name is None:
                continue
            if name not in FIELDS[job["module"]]:
                errors.append(
                    {"field": f"mapping.{column}", "message": f"{name!r} is not a field", "code": "invalid_choice"}
                )
            elif name in taken:
                errors.append(
                    {
                        "field": f"mapping.{column}",
                        "message": f"{name!r} is already taken by another column",
                        "code": "duplicate",
                    }
                )
            taken.add(name)
        required = REQUIRED[job["module"]]
        if not errors and required not in taken:
            message = f"one column must be imported as {required!r}"
            errors.append({"field": "mapping", "message": message, "code": "required"})
        if body.get("duplicates") not in ("skip", "update", "create"):
            errors.append(
                {"field": "duplicates", "message": "must be one of skip, update, create", "code": "invalid_choice"}
            )
        if errors:
            return problem(422, "validation-error", errors=errors)
        job.update(mapping={k: v for k, v in body["mapping"].items() if v}, duplicates=body["duplicates"])
        return httpx.Response(200, json=job)
