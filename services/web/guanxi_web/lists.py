"""The account and contact lists, described once: their columns (custom fields among them, by label), saved
views, bulk actions and the texts that differ between the two. The controller and the templates take a
:class:`ListKind` and serve either list with the same code.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from guanxi_web import i18n
from guanxi_web.api_client import CustomField, Me, Member, SavedView
from guanxi_web.customers import (
    ACCOUNT_FILTERS,
    CONTACT_FILTERS,
    SORTS,
    Filters,
    list_text,
    member_or_mine,
    range_ends,
    split_list,
)
from guanxi_web.i18n import N_, _

VIEW_NAME_MAX = 100  # the API's limit
BULK_ROUNDS = 40  # bulk calls for a whole filtered list: 40 x 5,000 records at the most


@dataclass(frozen=True)
class Column:
    """A column of a list. ``key`` is the API's name for it (``custom.<key>`` for a custom field), which is
    what a saved view keeps."""

    key: str
    title: Callable[[], str]
    optional: bool = False
    custom: CustomField | None = None


def _text(message: str) -> Callable[[], str]:
    return lambda: _(message)


@dataclass(frozen=True)
class ListKind:
    record: str  # "account" | "contact": ids in the page, the record's address
    path: str  # the list's address
    module: str  # the API's module: views and custom fields
    api_records: str  # the API's collection: /api/v1/<api_records>
    active: str  # the navigation's section
    filters: tuple[str, ...]
    columns: tuple[Column, ...]
    icon: str
    tags: bool  # contacts have no tags, so no tag actions

    @property
    def builtin_optional(self) -> tuple[str, ...]:
        return tuple(column.key for column in self.columns if column.optional)

    def title(self) -> str:
        return _("Accounts") if self.record == "account" else _("Contacts")

    def count_text(self, total: int, shown: str) -> str:
        if self.record == "account":
            return i18n.ngettext("%(count)s account", "%(count)s accounts", total) % {"count": shown}
        return i18n.ngettext("%(count)s contact", "%(count)s contacts", total) % {"count": shown}

    def selected_text(self, count: int) -> str:
        if self.record == "account":
            return i18n.ngettext("%(num)s account selected", "%(num)s accounts selected", count) % {"num": count}
        return i18n.ngettext("%(num)s contact selected", "%(num)s contacts selected", count) % {"num": count}

    def export_refusal(self) -> str:
        if self.record == "account":
            return _("Your role may not export accounts.")
        return _("Your role may not export contacts.")

    def all_view_name(self) -> str:
        return _("All accounts") if self.record == "account" else _("All contacts")

    def view_columns(self, chosen: Iterable[str]) -> list[str]:
        """What a saved view keeps as its columns: the ones always shown and the chosen ones, in the list's order,
        so that an export of the view has the record's name too."""
        wanted = set(chosen)
        fixed = [c.key for c in self.columns if not c.optional and c.key in EXPORTABLE[self.record]]
        optional = [c.key for c in self.columns if c.optional and c.key in wanted]
        return [*fixed, *optional, *(key for key in chosen if key.startswith("custom."))]


# The fields a role may be refused, which take their column (and filter) away when the API leaves them out.
HIDEABLE = ("city", "heat", "tags", "phone", "industry", "title", "phones", "emails")

EXPORTABLE = {
    "account": {"name", "lifecycle_stage", "owner_id", "city", "heat", "tags", "phone", "industry", "updated_at"},
    "contact": {"name", "account_name", "title", "phones", "emails", "preferred_channel"},
}

ACCOUNT_LIST = ListKind(
    record="account",
    path="/accounts",
    module="customers",
    api_records="accounts",
    active="customers",
    filters=ACCOUNT_FILTERS,
    columns=(
        Column("name", _text(N_("Account"))),
        Column("city", _text(N_("City")), optional=True),
        Column("heat", _text(N_("Heat")), optional=True),
        Column("lifecycle_stage", _text(N_("Stage"))),
        Column("tags", _text(N_("Tags")), optional=True),
        Column("owner_id", lambda: i18n.pgettext("record", "Owner")),
        Column("phone", _text(N_("Phone")), optional=True),
        Column("updated_at", _text(N_("Updated"))),
    ),
    icon="building",
    tags=True,
)
CONTACT_LIST = ListKind(
    record="contact",
    path="/contacts",
    module="contacts",
    api_records="contacts",
    active="contacts",
    filters=CONTACT_FILTERS,
    columns=(
        Column("name", lambda: i18n.pgettext("person", "Name")),
        Column("account_name", _text(N_("Account"))),
        Column("title", _text(N_("Job title")), optional=True),
        Column("phones", _text(N_("Phone")), optional=True),
        Column("emails", _text(N_("Email")), optional=True),
        Column("preferred_channel", _text(N_("Preferred channel"))),
    ),
    icon="contacts",
    tags=False,
)


# ---- custom fields in a list


def custom_column(spec: CustomField) -> Column:
    return Column(f"custom.{spec.key}", lambda: spec.label, optional=True, custom=spec)


def custom_text(spec: CustomField, value: Any, *, people: Mapping[str, Member], currency: str) -> str:
    """A custom field's value as the reader reads it: an option's label, a member's name, a formatted number."""
    if value is None or value == "" or value == []:
        return "—"
    labels = {option.value: option.label for option in spec.options}
    try:
        if spec.type == "single_select":
            return str(labels.get(str(value), value))
        if spec.type == "multi_select":
            return list_text(labels.get(str(item), str(item)) for item in value)
        if spec.type == "checkbox":
            return _("Yes") if value else _("No")
        if spec.type == "number":
            return i18n.number(Decimal(str(value)))
        if spec.type == "currency":
            return i18n.money(Decimal(str(value)), currency)
        if spec.type == "date":
            return i18n.day(dt.date.fromisoformat(str(value)))
        if spec.type == "user":
            person = people.get(str(value))
            return person.name if person else _("A former member")
    except (ValueError, InvalidOperation, TypeError):
        pass  # a value stored before the field's type was settled: shown as it is
    return list_text(value) if isinstance(value, list) else str(value)


def sort_options(fields: Iterable[CustomField]) -> list[tuple[str, str]]:
    """The built-in orders, then each custom field ascending and descending, by its label."""
    chosen = [(value, _(label)) for value, label in SORTS.items()]
    for spec in fields:
        if spec.type in ("long_text", "multi_select"):
            continue  # an order by these means nothing to a reader
        chosen.append((f"cf.{spec.key}", _("%(field)s, ascending") % {"field": spec.label}))
        chosen.append((f"-cf.{spec.key}", _("%(field)s, descending") % {"field": spec.label}))
    return chosen


FILTER_TYPES = ("single_select", "multi_select", "checkbox", "number", "currency", "date", "user", "text")


def filterable(fields: Iterable[CustomField]) -> list[CustomField]:
    return [spec for spec in fields if spec.type in FILTER_TYPES]


# ---- what a list shows: filters, columns, the view it started from


@dataclass
class ListState:
    filters: Filters
    columns: list[str]  # the optional columns shown, in order
    view: SavedView | None = None
    views: list[SavedView] = field(default_factory=list)
    columns_chosen: bool = False  # by the reader or the view, so the address carries them

    @property
    def modified(self) -> bool:
        """Do the filters, sort or columns differ from the saved view's?"""
        return self.view is not None and (
            view_filters(self.view).params() != self.filters.params() or set(self.columns) != set(saved(self.view))
        )

    def query(self, **extra: str | None) -> str:
        """The list's address: its view, filters and (when not the defaults) columns."""
        params: dict[str, str | None] = {"view": str(self.view.id) if self.view else None, **extra}
        return self.filters.query(**params) + self.column_query()

    def column_query(self) -> str:
        if not self.columns_chosen:
            return ""
        return ("&" if self.filters.params() or self.view else "?") + urlencode(
            [("cols", "1"), *(("col", key) for key in self.columns)]
        )


def saved(view: SavedView) -> list[str]:
    """The optional columns a view shows: the always-shown ones are kept in it only for its export."""
    fixed = {c.key for kind in (ACCOUNT_LIST, CONTACT_LIST) for c in kind.columns if not c.optional}
    return [key for key in view.columns if key not in fixed]


def view_filters(view: SavedView) -> Filters:
    chosen = view.filters
    return Filters(
        q=chosen.q or "",
        heat=chosen.heat or "",
        lifecycle_stage=chosen.lifecycle_stage or "",
        tag=chosen.tag or "",
        owner=str(chosen.owner_id) if chosen.owner_id else "",
        sort=view.sort,
        custom=dict(chosen.custom),
    )


FILTER_KEYS = ("q", "heat", "lifecycle_stage", "tag", "owner", "sort")


def read_state(
    kind: ListKind,
    params: Any,
    fields: Sequence[CustomField],
    views: list[SavedView],
) -> ListState:
    """The list as asked for: a view alone (``?view=``) opens with the view's filters, sort and columns; the
    filter form sends every field, so a request with any of them says what it wants itself."""
    view = next((v for v in views if str(v.id) == (params.get("view") or "")), None)
    asked = any(key in params for key in FILTER_KEYS) or any(str(key).startswith("cf.") for key in params)
    known = {*kind.builtin_optional, *(f"custom.{f.key}" for f in fields)}
    baseline = [key for key in saved(view) if key in known] if view is not None else list(kind.builtin_optional)
    columns = baseline
    if "cols" in params:
        columns = [key for key in dict.fromkeys(params.getall("col", [])) if key in known]
    # the address names the columns only when they are not the list's (or the view's) own
    chosen = columns != baseline
    if view is not None and not asked:
        filters = Filters.read(view_filters(view).params(), fields)
    else:
        filters = Filters.read(params, fields)
    return ListState(filters, columns, view, views, columns_chosen=chosen)


def view_body(kind: ListKind, state: ListState, me: Me) -> dict[str, Any]:
    """A view as the API keeps it: the list's filters (``mine`` as the saver's own id), sort and columns."""
    filters = state.filters
    chosen: dict[str, Any] = {"q": filters.q or None, "tag": filters.tag or None}
    if kind.record == "account":
        chosen |= {"heat": filters.heat or None, "lifecycle_stage": filters.lifecycle_stage or None}
    if filters.owner:
        chosen["owner_id"] = str(me.user.id) if filters.owner == "mine" else filters.owner
    if kind.record == "contact":
        chosen.pop("tag")
    chosen["custom"] = filters.custom
    return {
        "filters": {key: value for key, value in chosen.items() if value not in (None, {})},
        "sort": filters.sort,
        "columns": kind.view_columns(state.columns),
    }


def view_name_problem(raw: str) -> str | None:
    """Why a view's name cannot be used, in the reader's words (the API would say it in English)."""
    name = raw.strip()
    if not name:
        return _("Give the view a name.")
    if len(name) > VIEW_NAME_MAX:
        return _("Use at most %(num)s characters for the name.") % {"num": VIEW_NAME_MAX}
    if any(ord(ch) < 0x20 or 0xD800 <= ord(ch) <= 0xDFFF for ch in name):
        return _("The name has a character that cannot be used.")
    return None


def may_change(view: SavedView, admin: bool) -> bool:
    """The one who saved a view changes it; administrators change the team's shared views."""
    return view.mine or (view.shared and admin)


# ---- bulk actions

BULK_ACTIONS = ("change_owner", "add_tags", "remove_tags", "delete")


@dataclass
class BulkRequest:
    action: str
    ids: list[str]
    everything: bool  # the whole filtered list, not only the ticked rows
    owner: str
    tags: list[str]
    confirmed: bool


def read_bulk(data: Mapping[str, Any], ids: Iterable[str]) -> BulkRequest:
    picked = []
    for raw in ids:
        try:
            picked.append(str(uuid.UUID(str(raw))))
        except ValueError:
            continue
    return BulkRequest(
        action=str(data.get("action") or ""),
        ids=list(dict.fromkeys(picked)),
        everything=data.get("scope") == "all",
        owner=member_or_mine(str(data.get("owner_id") or "")),
        tags=split_list(str(data.get("tags") or ""))[:20],
        confirmed=data.get("confirmed") == "yes",
    )


def bulk_problem(kind: ListKind, bulk: BulkRequest, people: Mapping[str, Member]) -> str | None:
    """What is missing before the API is asked, in the reader's words."""
    if bulk.action not in BULK_ACTIONS or (bulk.action in ("add_tags", "remove_tags") and not kind.tags):
        return _("Choose what to do with the selected records.")
    if not bulk.ids and not bulk.everything:
        return _("Select at least one row first.")
    if bulk.action == "change_owner":
        person = people.get(bulk.owner)
        if person is None or person.status != "active":
            return _("Choose the new owner from the list of active members.")
    if bulk.action in ("add_tags", "remove_tags") and not bulk.tags:
        return _("Enter at least one tag.")
    if bulk.action in ("add_tags", "remove_tags") and any(len(tag) > 40 for tag in bulk.tags):
        return _("A tag can have at most 40 characters.")
    return None


def bulk_done_text(kind: ListKind, action: str, changed: int) -> str:
    """How many records changed, as a sales team says it."""
    if changed == 0:
        return _("Nothing needed changing: the selected records were already like that, or you may not change them.")
    texts = {
        "change_owner": i18n.ngettext(
            "The owner of %(num)s record is changed.", "The owner of %(num)s records is changed.", changed
        ),
        "add_tags": i18n.ngettext("Tags added to %(num)s account.", "Tags added to %(num)s accounts.", changed),
        "remove_tags": i18n.ngettext(
            "Tags removed from %(num)s account.", "Tags removed from %(num)s accounts.", changed
        ),
        "delete": i18n.ngettext(
            "%(num)s record deleted. An administrator can restore it from the recycle bin for 30 days.",
            "%(num)s records deleted. An administrator can restore them from the recycle bin for 30 days.",
            changed,
        ),
    }
    return texts[action] % {"num": i18n.number(changed)}


def custom_filter_inputs(
    fields: Iterable[CustomField], filters: Filters
) -> list[tuple[CustomField, str, tuple[str, str]]]:
    """The custom fields offered as filters, each with its current value (and, for a range, its two ends)."""
    chosen = []
    for spec in filterable(fields):
        current = filters.custom.get(spec.key, "")
        chosen.append((spec, current, range_ends(current) if current else ("", "")))
    return chosen
