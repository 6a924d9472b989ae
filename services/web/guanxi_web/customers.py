"""Accounts and contacts in the browser: their fields' labels and choices, the record page's sections, the
list filters, and a submitted form turned into the API's JSON.

The API leaves out the fields a role may not see and masks some of the others; the web shows what it gets.
An edit sends only the fields that changed, so a field the role may read but not edit, or sees masked, is
never written back.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from guanxi_tenants.defaults import CURRENCY
from litestar.datastructures import FormMultiDict
from msgspec import UNSET

from guanxi_web import i18n
from guanxi_web.api_client import CustomField, Me, Member
from guanxi_web.forms import Form
from guanxi_web.i18n import N_, _
from guanxi_web.pools import reason_text

HEAT = {"hot": N_("Hot"), "warm": N_("Warm"), "cold": N_("Cold")}
STAGES = {"prospect": N_("Prospect"), "customer": N_("Customer"), "former_customer": N_("Former customer")}
KINDS = {"company": N_("Company"), "individual": N_("Individual")}
RATINGS = {"high": N_("High"), "medium": N_("Medium"), "low": N_("Low")}
GRADES = {"A": "A", "B": "B", "C": "C", "D": "D"}  # set by hand until the grading computes them
SIZES = {
    "1-10": N_("1–10 people"),
    "11-50": N_("11–50 people"),
    "51-200": N_("51–200 people"),
    "201-1000": N_("201–1,000 people"),
    "1000+": N_("More than 1,000 people"),
}
CHANNELS = {
    "phone": N_("Phone call"),
    "email": N_("Email"),
    "wechat": N_("WeChat"),
    "whatsapp": N_("WhatsApp"),
    "line": N_("LINE"),
    "sms": N_("Text message"),
    "visit": N_("Visit"),
}
COLLABORATOR_ACCESS = {"read": N_("Can view"), "write": N_("Can view and edit")}
RANGED = ("number", "currency", "date")  # custom fields filtered by a range: from .. to
SORTS = {"-updated_at": N_("Recently updated"), "-created_at": N_("Recently added"), "name": N_("Name, A to Z")}
RECORD_ACTIONS = {"created", "updated", "deleted", "restored"}

# The mark the API puts in a masked value: 138****8000, z***@example.com, ***.
MASK_MARK = "***"
_LIST_SEPARATORS = re.compile(r"[,;\n，；、]+")
_INTEGER = re.compile(r"^\d{1,9}$")
NUMBER_LIMIT = Decimal("1e15")  # the API's bound on a custom number


@dataclass(frozen=True)
class Field:
    """One field of a record: how it is labelled, typed in, sent to the API and shown.

    ``kind`` is one of text, email, url, tel, textarea, choice, multi (several choices), integer, number
    (a decimal), days, money, date, tags, lines, checkbox, member (a person picked from the workspace's people).
    ``custom`` marks a workspace's own field (named ``custom.<key>``), labelled as its admin typed it.
    """

    name: str
    label: str
    kind: str = "text"
    choices: Mapping[str, str] = field(default_factory=dict)
    required: bool = False
    hint: str = ""
    custom: bool = False

    def title(self) -> str:
        """The label in the reader's language; a record's "Owner" is 负责人, not the role's 所有者."""
        if self.custom:
            return self.label
        return i18n.pgettext("record", "Owner") if self.kind == "member" else _(self.label)


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    fields: tuple[str, ...]
    hint: str = ""


ACCOUNT_FIELDS = {
    f.name: f
    for f in (
        Field("name", N_("Account name"), required=True),
        Field("kind", N_("Type"), "choice", KINDS, required=True),
        Field("lifecycle_stage", N_("Stage"), "choice", STAGES, required=True),
        Field("heat", N_("Heat"), "choice", HEAT),
        Field("tags", N_("Tags"), "tags", hint=N_("Separate tags with commas.")),
        Field("owner_id", N_("Owner"), "member", required=True),
        Field("industry", N_("Industry")),
        Field("source", N_("Source"), hint=N_("Where the account came from, for example a trade fair.")),
        Field("size", N_("Company size"), "choice", SIZES),
        Field("phone", N_("Phone"), "tel"),
        Field("email", N_("Email"), "email"),
        Field("website", N_("Website"), "url"),
        Field("country", N_("Country or region")),
        Field("province", N_("Province or state")),
        Field("city", N_("City")),
        Field("address", N_("Address"), "textarea"),
        Field("credit_limit", N_("Credit limit"), "money"),
        Field("payment_terms_days", N_("Payment terms (days)"), "days"),
        Field("value_rating", N_("Value rating"), "choice", RATINGS),
        Field("grade", N_("Customer grade"), "choice", GRADES),
        Field("job_title", N_("Job title")),
        Field("birthday", N_("Birthday"), "date"),
        Field("age", N_("Age"), "integer"),
    )
}
ACCOUNT_SECTIONS = (
    Section("basic", N_("Basic information"), ("kind", "industry", "source", "size")),
    Section(
        "person", N_("About the person"), ("job_title", "birthday", "age"), N_("For accounts that are individuals.")
    ),
    Section("contact", N_("Contact details"), ("phone", "email", "website")),
    Section("region", N_("Address and region"), ("country", "province", "city", "address")),
    Section("commercial", N_("Commercial terms"), ("credit_limit", "payment_terms_days", "value_rating", "grade")),
)
# The form: the record page's sections, with the header's fields (name, stage, heat, tags, owner) first.
ACCOUNT_FORM_SECTIONS = (
    Section(
        "basic",
        N_("Basic information"),
        ("name", "kind", "lifecycle_stage", "heat", "owner_id", "tags", "industry", "source", "size"),
    ),
    *ACCOUNT_SECTIONS[1:],
)
PERSON_SECTION = "person"  # shown on the record page of an individual only

CONTACT_FIELDS = {
    f.name: f
    for f in (
        Field("family_name", N_("Family name")),
        Field("given_name", N_("Given name")),
        Field("name", N_("Full name"), hint=N_("Left empty, it is made from the family and given name.")),
        Field("title", N_("Job title")),
        Field("owner_id", N_("Owner"), "member", required=True),
        Field("phones", N_("Phone numbers"), "lines", hint=N_("One per line.")),
        Field("emails", N_("Email addresses"), "lines", hint=N_("One per line.")),
        Field("wechat", N_("WeChat")),
        Field("whatsapp", N_("WhatsApp")),
        Field("line", N_("LINE")),
        Field("preferred_channel", N_("Preferred channel"), "choice", CHANNELS),
        Field("marketing_consent", N_("Agrees to receive marketing"), "checkbox"),
        Field("is_primary", N_("Primary contact of the account"), "checkbox"),
    )
}
CONTACT_SECTIONS = (
    Section("person", N_("Basic information"), ("title", "preferred_channel", "is_primary")),
    Section("contact", N_("Contact details"), ("phones", "emails", "wechat", "whatsapp", "line")),
    Section("consent", N_("Marketing"), ("marketing_consent",)),
)
CONTACT_FORM_SECTIONS = (
    Section("person", N_("Basic information"), ("family_name", "given_name", "name", "title", "owner_id")),
    Section(
        "contact",
        N_("Contact details"),
        ("phones", "emails", "wechat", "whatsapp", "line", "preferred_channel"),
    ),
    Section("more", N_("More"), ("marketing_consent", "is_primary")),
)
# Labels of what the history may name besides the form's fields.
HISTORY_LABELS = {
    "account_id": N_("Account"),
    "consent_changed_at": N_("Consent changed"),
    "return_reason": N_("Reason"),
    "locked": N_("Locked"),
    "stage_id": N_("Stage"),
    "amount": N_("Amount"),
    "loss_reason_id": N_("Why was it lost?"),
    "expected_close_date": N_("Expected close date"),
}
QUICK_CONTACT_FIELDS = {
    "name": N_("Full name"),
    "title": N_("Job title"),
    "phone": N_("Phone"),
    "email": N_("Email"),
}
COLLABORATOR_FIELDS = {"member_id": N_("Team member"), "access": N_("Access"), "expires_on": N_("Until")}


def currency_of(me: Me) -> str:
    """A workspace's currency follows the language it was opened in, and cannot be changed afterwards."""
    locale = me.workspace.locale if me.workspace else "en"
    return str(CURRENCY.get(locale, "USD"))


def is_unset(value: Any) -> bool:
    """The API left the field out: the reader's role may not see it."""
    return value is UNSET


def is_masked(value: Any) -> bool:
    if isinstance(value, list):
        return any(is_masked(item) for item in value)
    return isinstance(value, str) and MASK_MARK in value


CUSTOM_PREFIX = "custom."


def value_of(record: Any, name: str, default: Any = None) -> Any:
    """A field of a record; ``custom.<key>`` is the key in the record's ``custom`` object (absent: ``default``,
    and UNSET when the API left the whole object out)."""
    if name.startswith(CUSTOM_PREFIX):
        custom: Mapping[str, Any] | Any = getattr(record, "custom", UNSET)
        return UNSET if is_unset(custom) else custom.get(name.removeprefix(CUSTOM_PREFIX), default)
    return getattr(record, name, default)


def present(record: Any, names: Iterable[str]) -> list[str]:
    """The fields of ``names`` this record has, in order: the ones the API sent (a custom field the record has
    no value for is present, empty)."""
    return [name for name in names if not is_unset(value_of(record, name, None if "." in name else UNSET))]


def columns(items: Sequence[Any], names: Iterable[str]) -> set[str]:
    """The optional columns of a list. Field permissions are per role, so every row of a page has the same
    fields: the first one tells which the reader may see. An empty page shows every column."""
    names = list(names)
    return set(present(items[0], names)) if items else set(names)


# ---- showing values


def choice_label(choices: Mapping[str, str], value: Any) -> str:
    return _(choices[value]) if value in choices else str(value)


def list_text(values: Iterable[Any]) -> str:
    separator = "、" if i18n.current_locale() != "en" else ", "
    return separator.join(str(value) for value in values)


def shown(spec: Field | None, value: Any, *, people: Mapping[str, Member], currency: str) -> str:
    """A field's value as the reader reads it, from the record or from a history entry (JSON)."""
    if value is None or value == "" or value == [] or is_unset(value):
        return "—"
    kind = spec.kind if spec else "text"
    if is_masked(value):
        return list_text(value) if isinstance(value, list) else str(value)
    if kind == "choice" and spec:
        return choice_label(spec.choices, value)
    if kind == "multi" and spec and isinstance(value, list):
        return list_text(choice_label(spec.choices, item) for item in value)
    if kind == "number" and not isinstance(value, bool):
        return i18n.number(Decimal(str(value)))
    if kind == "member":
        person = people.get(str(value))
        return person.name if person else _("A former member")
    if kind == "money":
        return i18n.money(Decimal(str(value)), currency)
    if kind == "integer":
        return i18n.number(int(value))
    if kind == "days":
        return payment_terms(int(value))
    if kind == "date":
        return i18n.day(value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)))
    if kind == "checkbox" or isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return list_text(value)
    if isinstance(value, str) and _looks_like_moment(value):
        return i18n.when(dt.datetime.fromisoformat(value))
    return str(value)


def _looks_like_moment(value: str) -> bool:
    if len(value) < 19 or value[4] != "-" or value[10] != "T":
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def payment_terms(days: int | None) -> str:
    if days is None:
        return "—"
    return i18n.ngettext("%(num)s day", "%(num)s days", days) % {"num": i18n.number(days)}


@dataclass
class ChangeLine:
    label: str
    before: str
    after: str


@dataclass
class HistoryEntry:
    actor: str
    action: str
    occurred_at: dt.datetime
    lines: list[ChangeLine]
    created: bool = False  # the first entry lists what the record started with, not changes


def history_entries(
    changes: Iterable[Any],
    fields: Mapping[str, Field],
    *,
    noun: str,
    people: Mapping[str, Member],
    currency: str,
    account_names: Mapping[str, str] | None = None,
) -> list[HistoryEntry]:
    """Who changed what from what to what, in the reader's language, with the members' names."""
    entries = []
    for change in changes:
        person = people.get(str(change.actor_id)) if change.actor_id else None
        actor = person.name if person else (_("Someone") if change.actor_id else _("The system"))
        lines = []
        for name, pair in change.changes.items():
            before, after = [*pair, None, None][:2]
            spec = fields.get(name)
            if name == "account_id":
                names = account_names or {}
                lines.append(
                    ChangeLine(
                        _(HISTORY_LABELS[name]),
                        names.get(str(before), "—") if before else "—",
                        names.get(str(after), _("Another account")),
                    )
                )
                continue
            label = spec.title() if spec else _(HISTORY_LABELS.get(name, name))
            if name in ("return_reason", "locked"):  # the customer pool's own words for its moves
                told = reason_text if name == "return_reason" else (lambda v: _("Yes") if v else _("No"))
                lines.append(ChangeLine(label, told(before) or "—", told(after) or "—"))
                continue
            lines.append(
                ChangeLine(
                    label,
                    shown(spec, before, people=people, currency=currency),
                    shown(spec, after, people=people, currency=currency),
                )
            )
        entries.append(
            HistoryEntry(
                actor, action_text(change.action, actor, noun), change.occurred_at, lines, change.action == "created"
            )
        )
    return entries


def action_text(action: str, actor: str, noun: str) -> str:
    """``noun`` is "account" or "contact"."""
    texts = {
        ("account", "created"): N_("%(name)s added this account"),
        ("account", "updated"): N_("%(name)s changed this account"),
        ("account", "deleted"): N_("%(name)s deleted this account"),
        ("account", "restored"): N_("%(name)s restored this account"),
        ("contact", "created"): N_("%(name)s added this contact"),
        ("contact", "updated"): N_("%(name)s changed this contact"),
        ("contact", "deleted"): N_("%(name)s deleted this contact"),
        ("contact", "restored"): N_("%(name)s restored this contact"),
        ("deal", "created"): N_("%(name)s opened a deal"),
        ("deal", "moved"): N_("%(name)s moved a deal"),
        ("deal", "updated"): N_("%(name)s changed a deal"),
        ("deal", "deleted"): N_("%(name)s deleted a deal"),
        ("account", "pool_claimed"): N_("%(name)s claimed this account from the customer pool"),
        ("account", "pool_assigned"): N_("%(name)s assigned this account from the customer pool"),
        ("account", "pool_released"): N_("%(name)s gave this account back to the customer pool"),
        ("account", "pool_reclaimed"): N_("%(name)s returned this account to the customer pool"),
    }
    text = texts.get((noun, action))
    return _(text) % {"name": actor} if text else f"{actor}: {action}"


# ---- forms


def split_list(text: str) -> list[str]:
    return [part.strip() for part in _LIST_SEPARATORS.split(text) if part.strip()]


def form_text(spec: Field, value: Any) -> str:
    """A record's value as the form shows it for editing."""
    if value is None or is_unset(value):
        return ""
    if spec.kind == "checkbox":
        return "on" if value else ""
    if spec.kind == "tags":
        return ", ".join(value)
    if spec.kind == "multi":
        return "\n".join(value)
    if spec.kind == "lines":
        return "\n".join(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def record_values(fields: Mapping[str, Field], record: Any) -> dict[str, str]:
    return {name: form_text(spec, value_of(record, name)) for name, spec in fields.items()}


def _number_text(raw: str) -> str:
    """Full-width digits and thousands separators as people type them: "５０,０００" -> "50000"."""
    return unicodedata.normalize("NFKC", raw).replace(",", "").replace(" ", "").replace("\u00a0", "")


def convert(spec: Field, raw: str) -> tuple[Any, str | None]:
    """What the API expects for one submitted field, or the message that says why not."""
    text = raw.strip()
    if spec.kind == "checkbox":
        return bool(text), None
    if spec.kind in ("tags", "lines"):
        return split_list(raw), None
    if spec.kind == "multi":
        chosen = [line for line in raw.split("\n") if line]
        if any(item not in spec.choices for item in chosen):
            return None, _("Choose one of the listed options.")
        return chosen, (_("This field is required.") if spec.required and not chosen else None)
    if not text:
        return None, (_("This field is required.") if spec.required else None)
    if spec.kind == "choice":
        return (text, None) if text in spec.choices else (None, _("Choose one of the listed options."))
    if spec.kind == "member":
        try:
            return uuid.UUID(text), None
        except ValueError:
            return None, _("Choose one of the listed options.")
    if spec.kind == "number":
        return _decimal(text)
    if spec.kind in ("integer", "days"):
        digits = _number_text(text)
        return (int(digits), None) if _INTEGER.match(digits) else (None, _("Enter a whole number, like 30."))
    if spec.kind == "money":
        return _amount(text)
    if spec.kind == "date":
        try:
            return dt.date.fromisoformat(text), None
        except ValueError:
            return None, _("Enter a date like 2024-05-31.")
    return text, None


def _decimal(text: str) -> tuple[int | float | None, str | None]:
    try:
        number = Decimal(_number_text(text))
    except InvalidOperation:
        return None, _("Enter a number, like 12 or 3.5.")
    if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
        return None, _("Enter a number, like 12 or 3.5.")
    return (int(number) if number == number.to_integral_value() else float(number)), None


def _amount(text: str) -> tuple[Decimal | None, str | None]:
    try:
        amount = Decimal(_number_text(text))
    except InvalidOperation:
        return None, _("Enter an amount, like 50000 or 50000.50.")
    if not amount.is_finite() or amount < 0:
        return None, _("Enter an amount, like 50000 or 50000.50.")
    if amount != amount.quantize(Decimal("0.01")):
        return None, _("Use at most two decimal places.")
    return amount, None


@dataclass
class RecordForm(Form):
    """A record's form, labelled by its fields' own titles."""

    specs: Mapping[str, Field] = field(default_factory=dict)

    @classmethod
    def of(
        cls, fields: Mapping[str, Field], values: dict[str, str] | None = None, extra: Mapping[str, str] | None = None
    ) -> RecordForm:
        """``extra``: labels (msgids) of form fields that are not record fields, such as a contact's account."""
        labels = {**{name: spec.label for name, spec in fields.items()}, **(extra or {})}
        return cls(labels, values=values or {}, specs=fields)

    def label(self, name: str) -> str:
        """A required custom field is marked (the built-in ones say so by their defaults and hints)."""
        spec = self.specs.get(name)
        if spec is None:
            return super().label(name)
        return f"{spec.title()} *" if spec.custom and spec.required else spec.title()


def read_form(
    fields: Mapping[str, Field], data: FormMultiDict, names: Iterable[str], extra: Mapping[str, str] | None = None
) -> tuple[RecordForm, dict[str, Any]]:
    """The submitted ``names``: kept as typed for showing the form again, and converted for the API (a field
    that could not be converted is left out and has an error instead)."""
    form = RecordForm.of(fields, extra=extra)
    values: dict[str, Any] = {}
    for name in names:
        spec = fields[name]
        raw = "\n".join(str(v) for v in data.getall(name, [])) if spec.kind == "multi" else str(data.get(name) or "")
        form.values[name] = raw
        value, error = convert(spec, raw)
        if error:
            form.errors[name] = [error]
        else:
            values[name] = value
    return form, values


def editable(fields: Mapping[str, Field], record: Any) -> list[str]:
    """The fields an edit form offers: those the API sent, unmasked (a masked value is read-only)."""
    return [name for name in present(record, fields) if not is_masked(value_of(record, name))]


def changed(fields: Mapping[str, Field], values: Mapping[str, Any], record: Any) -> dict[str, Any]:
    """Only what differs from the record as loaded, so untouched fields are never written."""
    changes = {}
    for name, value in values.items():
        current = value_of(record, name)
        kind = fields[name].kind
        if kind in ("tags", "lines"):
            current = list(current or [])
        elif kind == "multi":
            current, value = list(current or []) or None, value or None
        elif kind == "checkbox":
            current = bool(current)
        elif kind == "money" and current is not None:
            current = Decimal(str(current))
        elif kind == "date" and isinstance(current, str):
            current = dt.date.fromisoformat(current)
        elif kind == "member" and isinstance(current, str):
            current = uuid.UUID(current)
        elif isinstance(current, str):
            current = current or None
        if value != current:
            changes[name] = value
    return nest_custom(changes)


def nest_custom(values: Mapping[str, Any]) -> dict[str, Any]:
    """``custom.<key>`` form fields as the API's ``custom`` object (``null`` removes a value)."""
    body: dict[str, Any] = {}
    for name, value in values.items():
        if name.startswith(CUSTOM_PREFIX):
            body.setdefault("custom", {})[name.removeprefix(CUSTOM_PREFIX)] = value
        else:
            body[name] = value
    return body


def new_record_body(values: Mapping[str, Any]) -> dict[str, Any]:
    """A new record: only the fields filled in, so a field the role may not set is not sent unless typed in."""
    return nest_custom({name: value for name, value in values.items() if value not in (None, "", [], False)})


# ---- list filters


@dataclass
class Filters:
    """A list's filters as the web's query string carries them; unknown values are dropped, not sent.

    ``custom`` holds the custom-field filters (``cf.<key>`` in both the web's and the API's query string),
    each already checked against its field's type, so the API is not asked for what it would refuse.
    """

    q: str = ""
    heat: str = ""
    lifecycle_stage: str = ""
    tag: str = ""
    owner: str = ""  # "", "mine" or a member id
    sort: str = "-updated_at"
    custom: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, params: Mapping[str, str], fields: Iterable[CustomField] = ()) -> Filters:
        fields = list(fields)
        owner = member_or_mine(params.get("owner"))
        sort = params.get("sort") or "-updated_at"
        sortable = {f"{sign}cf.{f.key}" for f in fields for sign in ("", "-")}
        custom = {}
        for spec in fields:
            name = f"cf.{spec.key}"
            raw = params.get(name) or ""
            if spec.type in RANGED and (f"{name}.from" in params or f"{name}.to" in params):
                raw = f"{params.get(f'{name}.from') or ''}..{params.get(f'{name}.to') or ''}"  # the form's two ends
            value = custom_filter_value(spec, raw)
            if value:
                custom[spec.key] = value
        return cls(
            q=(params.get("q") or "").strip()[:100],
            heat=_known(params.get("heat"), HEAT),
            lifecycle_stage=_known(params.get("lifecycle_stage"), STAGES),
            tag=(params.get("tag") or "").strip()[:40],
            owner=owner,
            sort=sort if sort in SORTS or sort in sortable else "-updated_at",
            custom=custom,
        )

    @property
    def narrowed(self) -> bool:
        """Does any filter narrow the list (the sort does not)?"""
        return any((self.q, self.heat, self.lifecycle_stage, self.tag, self.owner, self.custom))

    def params(self) -> dict[str, str]:
        """The web's query string: only what is set."""
        values = {
            "q": self.q,
            "heat": self.heat,
            "lifecycle_stage": self.lifecycle_stage,
            "tag": self.tag,
            "owner": self.owner,
            **{f"cf.{key}": value for key, value in self.custom.items()},
        }
        if self.sort != "-updated_at":
            values["sort"] = self.sort
        return {key: value for key, value in values.items() if value}

    def query(self, **extra: str | None) -> str:
        params = {**self.params(), **{key: value for key, value in extra.items() if value}}
        return ("?" + urlencode(params)) if params else ""

    def api_params(self, me: Me, *, names: Iterable[str]) -> dict[str, str]:
        """The API's query: ``owner=mine`` becomes the reader's own member id (it is their user id)."""
        allowed = set(names)
        values = {
            name: value
            for name, value in self.params().items()
            if name in allowed or (name.startswith("cf.") and "custom" in allowed)
        }
        if self.owner:
            values.pop("owner", None)
            values["owner_id"] = str(me.user.id) if self.owner == "mine" else self.owner
        return values


def member_or_mine(raw: str | None) -> str:
    owner = (raw or "").strip()
    if owner == "mine":
        return owner
    try:
        return str(uuid.UUID(owner)) if owner else ""
    except ValueError:
        return ""


def _known(value: str | None, choices: Mapping[str, str]) -> str:
    return value if value is not None and value in choices else ""


def custom_filter_value(spec: CustomField, raw: str) -> str:
    """A custom-field filter as the API takes it (``cf.<key>=value``), or "" when it is not one of its type's
    values: an option of a select, true/false, a number, a date, a member, or text."""
    text = raw.strip()
    if not text:
        return ""
    if spec.type in ("single_select", "multi_select"):
        return text if text in {option.value for option in spec.options} else ""
    if spec.type == "checkbox":
        return text if text in ("true", "false") else ""
    if spec.type in RANGED and ".." in text:
        low, high = (_one_end(spec, end) for end in text.split("..", 1))
        return f"{low}..{high}" if (low or high) and None not in (low, high) else ""
    if spec.type in RANGED:
        return _one_end(spec, text) or ""
    if spec.type == "user":
        return member_or_mine(text) if text != "mine" else ""
    return text[:100]


def _one_end(spec: CustomField, raw: str) -> str | None:
    """One number or date of a custom-field filter: "" when empty, None when it is not one."""
    text = raw.strip()
    if not text:
        return ""
    if spec.type == "date":
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            return None
    try:
        number = Decimal(_number_text(text))
    except InvalidOperation:
        return None
    return str(number) if number.is_finite() else None


def range_ends(value: str) -> tuple[str, str]:
    """A range filter's two ends for the form's two boxes; an exact value is both ends."""
    low, _, high = value.partition("..")
    return (low, high) if ".." in value else (value, value)


ACCOUNT_FILTERS = ("q", "heat", "lifecycle_stage", "tag", "owner", "sort", "custom")
CONTACT_FILTERS = ("q", "owner", "sort", "custom")


def form_sections(sections: Iterable[Section], names: Iterable[str]) -> list[Section]:
    """The form's sections with only the fields it offers; a section left empty is dropped."""
    offered = set(names)
    kept = [Section(s.key, s.label, tuple(n for n in s.fields if n in offered), s.hint) for s in sections]
    return [section for section in kept if section.fields]


def options(fields: Mapping[str, Field], people: Iterable[Member], keep: str | None = None) -> dict[str, list[Any]]:
    """The choices of every select of a form, labelled in the reader's language. Owners are the active
    members, plus ``keep`` (the record's owner) when they are no longer active."""
    chosen: dict[str, list[Any]] = {}
    for name, spec in fields.items():
        if spec.kind == "choice":
            chosen[name] = [(value, _(label)) for value, label in spec.choices.items()]
        elif spec.kind == "member":
            chosen[name] = [
                (str(person.id), person.name)
                for person in sorted(people, key=lambda p: p.name.casefold())
                if person.status == "active" or str(person.id) == keep
            ]
    return chosen


def filter_options(people: Iterable[Member]) -> dict[str, list[tuple[str, str]]]:
    """The filter bar's choices; "Mine" first among the owners."""
    owners = options({"owner_id": ACCOUNT_FIELDS["owner_id"]}, people)["owner_id"]
    return {
        "heat": [(value, _(label)) for value, label in HEAT.items()],
        "lifecycle_stage": [(value, _(label)) for value, label in STAGES.items()],
        "sort": [(value, _(label)) for value, label in SORTS.items()],
        "owner": [("mine", _("Mine")), *owners],
    }
