"""The API's exports, in memory, on top of FakeApi: a request checked like the API checks it (entity, format,
filters of that list, the export permission), the requester's exports only, a file served once written; a
test moves an export along (``run``) as the worker would."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.web.conftest import FakeApi, problem
from tests.web.fake_customers import invalid

STAMP = "2026-05-01T08:00:00+00:00"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
LIST_FILTERS = {
    "accounts": {"owner_id", "tag", "heat", "lifecycle_stage", "kind", "city", "q", "custom"},
    "contacts": {"owner_id", "account_id", "q", "custom"},
}


@dataclass
class FakeExports:
    api: FakeApi
    exports: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    may_export: bool = True

    def __post_init__(self) -> None:
        original = self.api._signed_in
        self.api._signed_in = lambda request: self.signed_in(request) or original(request)  # type: ignore[method-assign]

    def run(self, export_id: str, content: bytes | None = None, **progress: Any) -> dict[str, Any]:
        """The worker's progress; with ``content`` the file is written and the export done."""
        export = self.exports[export_id]
        export.update(progress)
        if content is not None:
            self.files[export_id] = content
            export.update(
                status="done", progress=100, size_bytes=len(content), finished_at=STAMP,
                expires_at="2026-05-08T08:00:00+00:00", download_url=f"/api/v1/exports/{export_id}/file",
            )  # fmt: skip
        return export

    def signed_in(self, request: httpx.Request) -> httpx.Response | None:
        parts = request.url.path.strip("/").split("/")  # api, v1, exports, <id>, file
        if parts[2:3] != ["exports"]:
            return None
        if len(parts) == 3 and request.method == "POST":
            return self._start(json.loads(request.content))
        if len(parts) == 3 and request.method == "GET":
            return httpx.Response(200, json=sorted(self.exports.values(), key=lambda e: e["created_at"], reverse=True))
        export = self.exports.get(parts[3]) if len(parts) > 3 else None
        if export is None or request.method != "GET":
            return problem(404, "not-found", "Export not found.")
        if len(parts) == 4:
            return httpx.Response(200, json=export)
        if parts[4:] == ["file"]:
            if export["status"] == "expired":
                return problem(410, "export-expired", "This export's file was deleted after its retention time.")
            if export["status"] != "done":
                return problem(409, "export-not-ready", f"This export is {export['status']}: there is no file yet.")
            headers = {
                "content-type": CONTENT_TYPES[export["format"]],
                "content-disposition": f"attachment; filename*=UTF-8''{export['filename']}",
            }
            return httpx.Response(200, content=self.files[export["id"]], headers=headers)
        return problem(404, "not-found")

    def _start(self, body: dict[str, Any]) -> httpx.Response:
        entity, file_format = body.get("entity"), body.get("format", "xlsx")
        if entity not in LIST_FILTERS:
            return invalid("entity", "Invalid enum value")
        if file_format not in ("csv", "xlsx"):
            return invalid("format", "Invalid enum value")
        unknown = [name for name in body.get("filters", {}) if name not in LIST_FILTERS[entity]]
        if unknown:
            return invalid(unknown[0], "is not a filter of this list")
        if not self.may_export:
            return problem(403, "forbidden", f"Your role may not export {entity}.")
        export_id = str(uuid.uuid4())
        self.exports[export_id] = {
            "id": export_id, "entity": entity, "format": file_format, "status": "queued",
            "request": {"filters": body.get("filters", {}), "sort": body.get("sort") or "-updated_at",
                        "columns": body.get("columns") or [], "view_id": body.get("view_id")},
            "total_rows": None, "row_count": 0, "progress": 0,
            "filename": f"{entity}-20260501-080000.{file_format}", "size_bytes": None, "failure": None,
            "requested_by": self.api.user["id"], "created_at": STAMP, "started_at": None, "finished_at": None,
            "expires_at": None, "download_url": None,
        }  # fmt: skip
        return httpx.Response(202, json=self.exports[export_id])
