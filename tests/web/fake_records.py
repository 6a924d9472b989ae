"""The API's custom fields (definitions, and the checks of a record's ``custom`` values) and files
(attachments), in memory; FakeCustomers serves them with its accounts and contacts.

Like the API (services/api/guanxi_api/controllers/attachments.py, guanxi/domain/customfields/service.py): a
value is checked against its field's type and named ``custom.<key>`` when refused, ``null`` removes a value, a
required field must be filled on create and cannot be emptied; a file is typed by its first bytes, keeps only
its base name, is refused when empty or over the size limit, and is listed newest first.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

import httpx

from tests.web.conftest import problem

MAX_BYTES = 25 * 1024 * 1024  # the API's default GUANXI_ATTACHMENT_MAX_BYTES
TYPES = {
    "text", "long_text", "number", "currency", "date", "single_select", "multi_select", "user", "url", "email",
    "phone", "checkbox",
}  # fmt: skip
MAGIC = ((b"ID3", "audio/mpeg"), (b"%PDF-", "application/pdf"), (b"\x89PNG", "image/png"))
INLINE = {"audio/mpeg", "image/png"}
_PHONE = re.compile(r"^[0-9 +()\-./]{5,}$")


def definition(module: str, key: str, label: str, kind: str, **extra: Any) -> dict[str, Any]:
    """A custom field as GET /api/v1/custom-fields answers it; ``options`` as labels."""
    assert kind in TYPES
    options = [{"value": o, "label": o} for o in extra.pop("options", [])]  # the API's value defaults to the label
    return {
        "id": str(uuid.uuid4()),
        "module": module,
        "key": key,
        "label": label,
        "type": kind,
        "options": options,
        "required": extra.pop("required", False),
        "position": extra.pop("position", 0),
        "created_at": "2026-05-01T00:00:00+00:00",
        **extra,
    }


def _refusal(errors: list[dict[str, str]]) -> httpx.Response:
    return problem(422, "validation-error", errors=errors)


@dataclass(kw_only=True)
class RecordsFake:
    """Mixed into FakeCustomers: ``custom_fields`` and ``files`` are set up by tests."""

    custom_fields: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    file_contents: dict[str, bytes] = field(default_factory=dict)
    may_read_files: bool = True
    may_change_files: bool = True

    # ---- custom fields

    def definitions(self, request: httpx.Request) -> httpx.Response:
        module = request.url.params.get("module")
        if module not in ("customers", "contacts"):
            return _refusal([{"field": "module", "message": "Invalid enum value", "code": "invalid_choice"}])
        fields = sorted((f for f in self.custom_fields if f["module"] == module), key=lambda f: f["position"])
        return httpx.Response(200, json=fields)

    def clean_custom(
        self, module: str, values: dict[str, Any], before: dict[str, Any] | None, members: set[str]
    ) -> tuple[dict[str, Any], list[dict[str, str]]]:
        fields = {f["key"]: f for f in self.custom_fields if f["module"] == module}
        merged = dict(before or {})
        errors: list[dict[str, str]] = []

        def fail(key: str, message: str, code: str) -> None:
            errors.append({"field": f"custom.{key}", "message": message, "code": code})

        for key, value in values.items():
            spec = fields.get(key)
            if spec is None:
                fail(key, f"is not a custom field of {module}", "unknown_field")
            elif value is None or value == "" or value == []:
                merged.pop(key, None)
            else:
                problem_ = self._check_value(spec, value, members)
                if problem_:
                    fail(key, *problem_)
                elif spec["type"] == "multi_select":
                    merged[key] = list(dict.fromkeys(value))
                elif spec["type"] == "currency":
                    merged[key] = str(Decimal(str(value)).quantize(Decimal("0.01")))
                else:
                    merged[key] = value
        for key, spec in fields.items():
            if spec["required"] and key not in merged and (before is None or key in values):
                fail(key, "is required", "required")
        return merged, errors

    @staticmethod
    def _check_value(spec: dict[str, Any], value: Any, members: set[str]) -> tuple[str, str] | None:
        kind = spec["type"]
        allowed = {o["value"] for o in spec["options"]}
        if kind in ("text", "long_text"):
            return None if isinstance(value, str) else ("must be text", "invalid")
        if kind == "number":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 10**15
            return None if ok else ("must be a number", "invalid")
        if kind == "currency":
            try:
                amount = Decimal(str(value)) if isinstance(value, (str, int)) else None
            except InvalidOperation:
                amount = None
            if amount is None or not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
                return 'must be an amount such as "1234.50"', "invalid"
            return None
        if kind == "date":
            try:
                dt.date.fromisoformat(value)
            except (TypeError, ValueError):
                return "must be a date as YYYY-MM-DD that exists", "invalid_date"
            return None
        if kind == "checkbox":
            return None if isinstance(value, bool) else ("must be true or false", "invalid")
        if kind == "single_select":
            return None if value in allowed else (f"must be one of: {', '.join(sorted(allowed))}", "invalid_choice")
        if kind == "multi_select":
            ok = isinstance(value, list) and all(item in allowed for item in value)
            return None if ok else (f"must be a list of: {', '.join(sorted(allowed))}", "invalid_choice")
        if not isinstance(value, str):
            return "must be text", "invalid"
        if kind == "user":
            return None if value in members else ("must be an active member of this workspace", "invalid")
        if kind == "email" and "@" not in value:
            return "An email address must have an @-sign.", "invalid_email"
        if kind == "phone" and not _PHONE.match(value):
            return "must be a phone number: digits, spaces, + ( ) - . /", "invalid_phone"
        if kind == "url" and "." not in value:
            return "must be a web address", "invalid_url"
        return None

    # ---- files

    def attachments(self, request: httpx.Request, parts: list[str], owner: str, records: Any) -> httpx.Response:
        """/api/v1/attachments[/<id>[/download]]; ``records(type, id)`` is the record or None."""
        params = request.url.params
        if len(parts) == 3:
            record_type, record_id = params.get("record_type"), params.get("record_id")
            if record_type not in ("account", "contact", "activity"):
                return _refusal([{"field": "record_type", "message": "must be one of ...", "code": "invalid_choice"}])
            if records(record_type, record_id) is None:
                return problem(404, "not-found", "Record not found.")
            if request.method == "GET":
                if not self.may_read_files:
                    return problem(403, "forbidden")
                rows = [f for f in self.files if f["record_type"] == record_type and f["record_id"] == record_id]
                return httpx.Response(200, json=sorted(rows, key=lambda f: f["created_at"], reverse=True))
            if not self.may_change_files:
                return problem(403, "forbidden", "Your role may not change this record.")
            return self._upload(request, record_type, str(record_id), owner)
        row = next((f for f in self.files if f["id"] == parts[3]), None)
        if row is None:
            return problem(404, "not-found", "File not found.")
        if parts[4:] == ["download"] and request.method == "GET":
            inline = row["content_type"] in INLINE
            return httpx.Response(
                200,
                content=self.file_contents[row["id"]],
                headers={
                    "content-type": row["content_type"] if inline else "application/octet-stream",
                    "content-disposition": f"{'inline' if inline else 'attachment'}; filename*=UTF-8''"
                    + quote(row["filename"]),
                    "x-content-type-options": "nosniff",
                    "content-length": str(row["size_bytes"]),
                },
            )
        if request.method == "DELETE":
            if not self.may_change_files:
                return problem(403, "forbidden", "Your role may not change this record.")
            self.files.remove(row)
            return httpx.Response(204)
        return problem(405, "method-not-allowed")

    def _upload(self, request: httpx.Request, record_type: str, record_id: str, owner: str) -> httpx.Response:
        head = b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n"
        message = email.message_from_bytes(head + request.read(), policy=email.policy.HTTP)
        part = next(
            (p for p in message.iter_parts() if p.get_param("name", header="content-disposition") == "file"), None
        )
        if part is None:
            return _refusal(
                [{"field": "file", "message": "send the file as the multipart field 'file'", "code": "required"}]
            )
        content = part.get_payload(decode=True) or b""
        if len(content) > MAX_BYTES:
            return problem(413, "request-entity-too-large", "Request Entity Too Large")
        name = PurePosixPath((part.get_filename() or "upload").replace("\\", "/")).name.strip()[:255] or "file"
        if any(ord(ch) < 32 for ch in name):
            return _refusal([{"field": "file", "message": "the file name has control characters", "code": "invalid"}])
        if not content:
            return _refusal([{"field": "file", "message": "is empty", "code": "required"}])
        kind = next((t for magic, t in MAGIC if content.startswith(magic)), "application/octet-stream")
        if kind == "application/octet-stream" and name.endswith(".txt") and b"\x00" not in content[:64]:
            kind = "text/plain"
        row = {
            "id": str(uuid.uuid4()),
            "record_type": record_type,
            "record_id": record_id,
            "filename": name,
            "content_type": kind,
            "size_bytes": len(content),
            "sha256": "0" * 64,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "created_by": owner,
        }
        self.files.append(row)
        self.file_contents[row["id"]] = content
        return httpx.Response(201, json=row)

    def briefs(self, activity_id: str) -> list[dict[str, Any]]:
        """An activity's files as the timeline carries them, oldest first."""
        rows = sorted((f for f in self.files if f["record_type"] == "activity" and f["record_id"] == activity_id),
                      key=lambda f: f["created_at"])  # fmt: skip
        return [{k: f[k] for k in ("id", "filename", "content_type", "size_bytes")} for f in rows]
