"""What the account and contact pages share: the workspace's custom fields as form fields and as a section of
the record page, and the files kept with a record (their sizes, the upload limit, why an upload was refused).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from guanxi.config import get_settings
from litestar import Request, Response

from guanxi_web import i18n
from guanxi_web.activities import LOGGED_KINDS, log_form, timeline_entries, zone_of
from guanxi_web.api_client import ApiCaller, ContactPage, CustomField, Me, Member, optional
from guanxi_web.customers import CUSTOM_PREFIX, Field, Section, currency_of, present, value_of
from guanxi_web.forms import Form
from guanxi_web.i18n import N_, _
from guanxi_web.rendering import fragment
from guanxi_web.session import hx_target, redirect

# A custom field's type -> the kind of form field that takes it in (see customers.Field).
CUSTOM_KINDS = {
    "text": "text",
    "long_text": "textarea",
    "number": "number",
    "currency": "money",
    "date": "date",
    "single_select": "choice",
    "multi_select": "multi",
    "user": "member",
    "url": "url",
    "email": "email",
    "phone": "tel",
    "checkbox": "checkbox",
}
CUSTOM_SECTION = Section("custom", N_("More fields"), ())
UPLOAD_OVERHEAD = 64 * 1024  # the multipart framing around a file, as the API allows it
FILE_FIELDS = {"file": N_("File")}
# Why an upload did not happen, carried in the address after the redirect back to the record (?file_error=).
FILE_ERRORS = {
    "missing": N_("Choose a file to upload."),
    "empty": N_("The file is empty."),
    "too-large": N_("The file is larger than %(limit)s."),
    "too-many": N_("This record holds as many files as it can. Remove one first."),
    "refused": N_("The file was not accepted. Please check its name and try again."),
    "forbidden": N_("Your role may not add or remove files here."),
}
FILE_NOTICES = {"file-added": N_("The file is uploaded."), "file-removed": N_("The file is removed.")}
TIMELINE_PAGE = "20"  # timeline entries per "Load more"


@dataclass(frozen=True)
class Record:
    """An account, a contact or a contract, as the parts their pages share need it: what the API calls it, where it
    lives."""

    kind: str  # account | contact | contract
    id: str

    @property
    def base(self) -> str:
        return f"/{self.kind}s/{self.id}"


async def timeline_context(
    api: ApiCaller,
    me: Me,
    record: Record,
    people: Mapping[str, Member],
    contacts: ContactPage | None,
    *,
    log: Form | None = None,
    notice: str | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """The record's timeline (None when the role may not read it) with the quick-log bar; ``log`` is the form
    when it is open (picked from the bar, or sent back with errors)."""
    read = api.timeline if record.kind == "account" else api.contact_timeline
    page = await optional(read(record.id, cursor, TIMELINE_PAGE))
    entries = None
    if page is not None:
        entries = timeline_entries(
            page.items,
            people=people,
            currency=currency_of(me),
            contact_names={str(c.id): c.name for c in contacts.items} if contacts else {},
        )
    more = f"{record.base}/timeline?cursor={page.next_cursor}" if page and page.next_cursor else None
    return {
        "record_kind": record.kind,
        "record_base": record.base,
        "timeline": entries,
        "timeline_more": more,
        "log_kinds": LOGGED_KINDS,
        "log_form": log,
        "log_notice": notice,
        "people": people,
        "zone": zone_of(me),
    }


def picked_log(request: Request[Any, Any, Any]) -> Form | None:
    """The quick-log form opened from the bar without JavaScript (``?log=call``)."""
    kind = request.query_params.get("log") or ""
    return log_form(kind) if kind in LOGGED_KINDS else None


def log_picker_answer(request: Request[Any, Any, Any], record: Record) -> Response[Any]:
    """The quick-log bar with one kind's form open (HTMX); without JavaScript the bar's links open the record's
    page with the form open."""
    kind = request.query_params.get("kind") or ""
    if kind not in LOGGED_KINDS:
        kind = ""
    if hx_target(request) != "log-panel":
        return redirect(request, f"{record.base}?log={kind}#log-panel" if kind else record.base)
    return fragment(
        "activities/_log_bar.html",
        record_base=record.base,
        log_kinds=LOGGED_KINDS,
        log_form=log_form(kind) if kind else None,
    )


async def files_context(request: Request[Any, Any, Any], api: ApiCaller, record: Record) -> dict[str, Any]:
    """The record's files (None when the role may not see them) and the upload form with its last refusal."""
    files = await optional(api.files(record.kind, record.id))
    form = Form(FILE_FIELDS)
    refused = file_error(request.query_params.get("file_error"))
    if refused:
        form.errors["file"] = [refused]
    return {
        "files": files,
        "file_form": form,
        "file_base": record.base,
        "upload_limit": upload_limit(),
        "upload_limit_text": i18n.file_size(upload_limit()),
    }


def custom_specs(definitions: Iterable[CustomField]) -> dict[str, Field]:
    """The workspace's custom fields as record fields named ``custom.<key>``, in the API's order."""
    specs = {}
    for definition in definitions:
        kind = CUSTOM_KINDS.get(definition.type, "text")
        choices = {option.value: option.label for option in definition.options}
        name = CUSTOM_PREFIX + definition.key
        specs[name] = Field(name, definition.label, kind, choices, required=definition.required, custom=True)
    return specs


async def with_custom(api: ApiCaller, module: str, base: Mapping[str, Field]) -> dict[str, Field]:
    """A module's fields followed by the workspace's custom fields (none when the role may not read them)."""
    definitions = await optional(api.custom_fields(module))
    return {**base, **custom_specs(definitions or [])}


def custom_form_section(fields: Mapping[str, Field]) -> Section:
    """The form's last section: the custom fields among ``fields``."""
    names = tuple(name for name, spec in fields.items() if spec.custom)
    return Section(CUSTOM_SECTION.key, CUSTOM_SECTION.label, names)


def custom_section(specs: Mapping[str, Field], record: Any) -> list[tuple[Section, list[tuple[Field, Any]]]]:
    """The record page's section of custom fields (every field, "—" when empty); none when there are none."""
    names = present(record, specs)
    if not names:
        return []
    section = Section(CUSTOM_SECTION.key, CUSTOM_SECTION.label, tuple(names))
    return [(section, [(specs[name], value_of(record, name)) for name in names])]


def custom_options(specs: Mapping[str, Field], people: Iterable[Member]) -> dict[str, list[tuple[str, str]]]:
    """The choices of the custom fields' selects; a "user" field offers the active members."""
    active = sorted((p for p in people if p.status == "active"), key=lambda p: p.name.casefold())
    chosen: dict[str, list[tuple[str, str]]] = {}
    for name, spec in specs.items():
        if spec.kind in ("choice", "multi"):
            chosen[name] = list(spec.choices.items())
        elif spec.kind == "member":
            chosen[name] = [(str(person.id), person.name) for person in active]
    return chosen


def custom_choices(specs: Mapping[str, Field], values: Mapping[str, str]) -> dict[str, list[str]]:
    """The ticked boxes of the multi-select fields, from the form's kept values (one value a line)."""
    return {name: values.get(name, "").split("\n") for name, spec in specs.items() if spec.kind == "multi"}


def upload_limit() -> int:
    """The API's limit on one file: the web reads the same setting."""
    return int(get_settings().attachment_max_bytes)


def file_error(code: str | None) -> str | None:
    message = FILE_ERRORS.get(code or "")
    return _(message) % {"limit": i18n.file_size(upload_limit())} if message else None


def file_error_code(fields: Sequence[Any]) -> str:
    """The API's refusal of an upload as one of FILE_ERRORS' codes."""
    codes = {problem.code for problem in fields}
    if "too_many" in codes:
        return "too-many"
    if "required" in codes:
        return "empty"
    return "refused"
