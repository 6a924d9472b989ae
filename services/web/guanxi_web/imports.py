"""Imports (导入) of accounts: the labels of the fields a column can go to, the duplicates modes, the statuses,
and the mapping form read into the API's JSON."""

from __future__ import annotations

from collections.abc import Iterable

from litestar.datastructures import FormMultiDict

from guanxi_web.api_client import Import
from guanxi_web.customers import ACCOUNT_FIELDS
from guanxi_web.i18n import N_, _, pgettext

DUPLICATES = {
    "skip": N_("Skip them"),
    "update": N_("Update them (their owner is kept)"),
    "create": N_("Add them anyway"),
}
STATUSES = {
    "uploaded": N_("Ready to map"),
    "queued": N_("Waiting to start"),
    "running": N_("Importing"),
    "done": N_("Done"),
    "failed": N_("Failed"),
    "undoing": N_("Undoing"),
    "undone": N_("Undone"),
}
WORKING = frozenset({"queued", "running", "undoing"})  # the progress page asks again every 2 seconds
MAPPING_FIELDS = {"mapping": N_("Columns"), "duplicates": N_("Duplicates")}


def field_label(name: str) -> str:
    """A field a column can go to, as the account form calls it; a custom field by its key."""
    if name == "owner":
        return pgettext("record", "Owner")
    if name in ACCOUNT_FIELDS:
        return ACCOUNT_FIELDS[name].title()
    if name.startswith("custom."):
        return _("Custom field %(key)s") % {"key": name.removeprefix("custom.")}
    return name


def field_options(fields: Iterable[str]) -> list[tuple[str, str]]:
    return [(name, field_label(name)) for name in fields]


def column_name(index: int) -> str:
    return f"column_{index}"


def read_mapping(data: FormMultiDict, job: Import) -> tuple[dict[str, str | None], str]:
    """One select per column (empty: leave the column out) and the duplicates mode, as the API takes them."""
    mapping: dict[str, str | None] = {}
    for index in range(len(job.header)):
        chosen = str(data.get(column_name(index)) or "")
        mapping[str(index)] = chosen or None
    return mapping, str(data.get("duplicates") or "skip")


def progress(job: Import) -> int:
    """How far along, in percent; a file not counted yet is at 0."""
    if job.status in ("done", "undone"):
        return 100
    if not job.total_rows:
        return 0
    return int(min(100, job.processed_rows * 100 // job.total_rows))


def samples(job: Import, rows: int = 3) -> list[str]:
    """Each column's first few values, so a column is recognised by what it holds."""
    return [
        " · ".join(row[index] for row in job.preview[:rows] if index < len(row) and row[index])
        for index in range(len(job.header))
    ]
