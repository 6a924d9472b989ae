"""Imports (导入) of accounts, contacts and leads: what each kind is called, the labels of the fields a column can go to
(custom fields by their label), the duplicates modes, the statuses, and the mapping form read into the API's JSON."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.datastructures import FormMultiDict

from guanxi_web.api_client import Import
from guanxi_web.customers import ACCOUNT_FIELDS, CONTACT_FIELDS, Field
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
MAPPING_FIELDS = {"mapping": N_("Columns"), "duplicates": N_("Duplicates"), "pool_id": N_("Customer pool")}


@dataclass(frozen=True)
class Kind:
    """What one kind of import is called in the wizard."""

    label: str
    title: str
    fields: dict[str, Field]
    list_url: str
    list_label: str
    one_per_row: str
    required: str
    missing: str
    duplicates_title: str
    duplicates_rule: str
    undo_text: str
    forbidden: str


KINDS = {
    "customers": Kind(
        N_("Accounts"),
        N_("Import accounts"),
        ACCOUNT_FIELDS,
        "/accounts",
        N_("All accounts"),
        N_("one account per row"),
        N_("Columns left on “Do not import” are skipped. One column must be the account's name."),
        N_("Choose the column that holds the account's name."),
        N_("Accounts you already have"),
        N_("A row is a duplicate when an account you may change has the same email, phone number or name."),
        N_(
            "The accounts this import added are deleted (an administrator can restore them for 30 days) and the "
            "values it changed are put back."
        ),
        N_("Your role may not import accounts."),
    ),
    "contacts": Kind(
        N_("Contacts"),
        N_("Import contacts"),
        CONTACT_FIELDS,
        "/contacts",
        N_("All contacts"),
        N_("one contact per row, with the name or id of an account you already have"),
        N_("Columns left on “Do not import” are skipped. One column must be the contact's account, by its name or id."),
        N_("Choose the column that holds the contact's account (its name or id)."),
        N_("Contacts you already have"),
        N_(
            "A row is a duplicate when a contact you may change has one of its email addresses or phone numbers. "
            "An update keeps the contact's account and owner."
        ),
        N_("The contacts this import added are deleted and the values it changed are put back."),
        N_("Your role may not import contacts."),
    ),
}
LEAD_FIELDS = {
    f.name: f
    for f in (
        Field("name", N_("Person's name")),
        Field("company", N_("Company")),
        Field("title", N_("Job title")),
        Field("phone", N_("Phone"), "tel"),
        Field("email", N_("Email"), "email"),
        Field("source", N_("Source")),
        Field("region", N_("Region")),
        Field("industry", N_("Industry")),
        Field("employees", N_("Employees"), "integer"),
        Field("estimated_value", N_("Estimated value"), "number"),
        Field("currency", N_("Currency")),
        Field("tags", N_("Tags"), "tags"),
        Field("description", N_("Notes"), "textarea"),
    )
}
KINDS["leads"] = Kind(
    N_("Leads"),
    N_("Import leads"),
    LEAD_FIELDS,
    "/leads",
    N_("All leads"),
    N_("one lead per row; without an owner column the assignment rules hand them out"),
    N_("Columns left on “Do not import” are skipped. One column must be the person's name or the company."),
    N_("Choose the column that holds the person's name or the company."),
    N_("Leads you already have"),
    N_("Every row becomes a new lead."),
    N_("The leads this import added are deleted."),
    N_("Your role may not import leads."),
)
# Fields a column can go to that the record forms do not have.
IMPORT_ONLY = {"owner": N_("Owner"), "account": N_("Account")}


def kind_of(module: str) -> Kind:
    return KINDS.get(module, KINDS["customers"])


def field_label(name: str, module: str = "customers", labels: dict[str, str] | None = None) -> str:
    """A field a column can go to, as the record's form calls it; a custom field by its label."""
    if name == "owner":
        return pgettext("record", "Owner")
    if name in IMPORT_ONLY:
        return _(IMPORT_ONLY[name])
    fields = kind_of(module).fields
    if name in fields:
        return fields[name].title()
    if name.startswith("custom."):
        return (labels or {}).get(name) or _("Custom field %(key)s") % {"key": name.removeprefix("custom.")}
    return name


def field_options(job: Import) -> list[tuple[str, str]]:
    return [(name, field_label(name, job.module, job.labels)) for name in job.fields]


def problem_field(job: Import, name: str | None) -> str:
    """The field a problem is about, by its label: ``emails[1]`` is the email addresses, ``row`` is nothing."""
    base = (name or "").split("[")[0]
    return "" if base in ("", "row") else field_label(base, job.module, job.labels)


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
