"""The Exports page's words: what each status is called, which ones are still working, a file's size."""

from __future__ import annotations

from guanxi_web.i18n import N_, _, number

STATUSES = {
    "queued": N_("Waiting to start"),
    "running": N_("Exporting"),
    "done": N_("Ready"),
    "failed": N_("Failed"),
    "expired": N_("File deleted"),
}
WORKING = frozenset({"queued", "running"})  # the page asks again every 2 seconds while one of these is listed
ENTITIES = {"accounts": N_("Accounts"), "contacts": N_("Contacts")}
FORMATS = {"csv": "CSV", "xlsx": "Excel (.xlsx)"}


def file_size(size: int | None) -> str:
    """Bytes the way a download link shows them: 12 KB, 3.4 MB."""
    if size is None:
        return "—"
    if size < 1024 * 1024:
        return _("%(size)s KB") % {"size": number(max(1, round(size / 1024)))}
    return _("%(size)s MB") % {"size": number(round(size / (1024 * 1024), 1))}
