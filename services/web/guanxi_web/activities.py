"""Activities (跟进记录) and tasks (待办): their labels, the quick-log form read into the API's JSON, the
account's timeline as entries to show, and the calendar's week.

Times typed into a form carry no zone; they are read in the reader's time zone: their own (chosen on "Your
account"), else the workspace's, which (like its currency) follows the language the workspace was opened in.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from guanxi.domain.activities.schemas import FileBrief
from litestar.datastructures import FormMultiDict

from guanxi_web import i18n
from guanxi_web.api_client import Activity, CalendarPeople, Change, Me, Member, TimelineItem
from guanxi_web.customers import ACCOUNT_FIELDS, CONTACT_FIELDS, HistoryEntry, history_entries
from guanxi_web.forms import Form
from guanxi_web.i18n import N_, _

KINDS = {
    "call": N_("Call"),
    "meeting": N_("Meeting"),
    "visit": N_("Visit"),
    "email": N_("Email"),
    "note": N_("Note"),
    "task": N_("Task"),
}
PLAYABLE = frozenset({"audio/mpeg", "audio/wav", "audio/ogg", "audio/mp4"})  # a recording plays in the timeline
LOGGED_KINDS = ("call", "note", "visit", "meeting", "task")  # the quick-log bar, most frequent first
LOG_BUTTONS = {
    "call": N_("Log call"),
    "note": N_("Add note"),
    "visit": N_("Log visit"),
    "meeting": N_("Add meeting"),
    "task": N_("Add task"),
}
ICONS = {"call": "phone", "meeting": "team", "visit": "building", "email": "mail", "note": "edit", "task": "check"}
DIRECTIONS = {"outbound": N_("Outgoing"), "inbound": N_("Incoming")}
LOG_FIELDS = {
    "kind": N_("Activity type"),
    "subject": N_("Subject"),
    "direction": N_("Direction"),
    "duration_minutes": N_("Duration (minutes)"),
    "outcome": N_("Outcome"),
    "due_at": N_("Due"),
    "location": N_("Location"),
    "body": N_("Note"),
}
# What each kind asks for, besides its type; a meeting's "due" is its start.
KIND_FIELDS = {
    "call": ("subject", "direction", "duration_minutes", "outcome", "body"),
    "note": ("subject", "body"),
    "visit": ("subject", "location", "outcome", "body"),
    "meeting": ("subject", "due_at", "location", "body"),
    "task": ("subject", "due_at", "body"),
}
MAX_MINUTES = 24 * 60


def zone_of(me: Me) -> ZoneInfo:
    """The reader's zone: their own, else the workspace's (the API decides which, in ``/me``)."""
    return i18n.activate_zone(me.timezone)


def default_subject(kind: str) -> str:
    """A call is logged in two clicks: its subject is filled in ("Call", 电话); a task needs the reader's own."""
    return "" if kind == "task" else _(KINDS[kind])


def log_form(kind: str, values: Mapping[str, str] | None = None) -> Form:
    kind = kind if kind in LOGGED_KINDS else "call"
    start = {"kind": kind, "subject": default_subject(kind), "direction": "outbound"}
    return Form(LOG_FIELDS, values={**start, **(values or {})}, aliases={"duration_seconds": "duration_minutes"})


def read_log_form(data: FormMultiDict, zone: ZoneInfo) -> tuple[Form, dict[str, Any]]:
    """The quick-log form as the API's body (without ``account_id``); what cannot be read is refused under its
    field before the API is asked."""
    submitted = {name: str(data.get(name) or "").strip() for name in LOG_FIELDS}
    kind = submitted["kind"] if submitted["kind"] in LOGGED_KINDS else "call"
    form = log_form(kind, {name: value for name, value in submitted.items() if name != "kind"})
    form.require(submitted, "subject")
    body: dict[str, Any] = {"kind": kind, "subject": submitted["subject"]}
    asked = KIND_FIELDS[kind]
    for name in ("body", "outcome", "location"):
        if name in asked and submitted[name]:
            body[name] = submitted[name]
    if "direction" in asked and submitted["direction"]:
        if submitted["direction"] in DIRECTIONS:
            body["direction"] = submitted["direction"]
        else:
            form.errors["direction"] = [_("Choose one of the listed options.")]
    if "duration_minutes" in asked and submitted["duration_minutes"]:
        minutes = unicodedata.normalize("NFKC", submitted["duration_minutes"])
        if minutes.isdigit() and int(minutes) <= MAX_MINUTES:
            body["duration_seconds"] = int(minutes) * 60
        else:
            form.errors["duration_minutes"] = [_("Enter whole minutes, from 0 to 1440.")]
    if "due_at" in asked:
        if submitted["due_at"]:
            try:
                due = dt.datetime.fromisoformat(submitted["due_at"])
            except ValueError:
                form.errors["due_at"] = [_("Enter a date and time like 2026-05-31 14:30.")]
            else:
                body["due_at"] = due if due.tzinfo else due.replace(tzinfo=zone)
        elif kind == "task":
            form.errors["due_at"] = [_("A task needs a due time.")]
    return form, body


@dataclass
class TimelineEntry:
    """One line of a record's timeline: an activity, or a change of the account or one of its contacts."""

    at: dt.datetime
    activity: Activity | None = None
    change: HistoryEntry | None = None
    contact_name: str | None = None  # the contact a change is about
    files: Sequence[FileBrief] = ()  # an activity's files: a call's recording

    @property
    def is_open_task(self) -> bool:
        return self.activity is not None and self.activity.kind == "task" and self.activity.done_at is None


NAMED = ("stage_id", "loss_reason_id")  # a deal change's fields whose values the API names for us


def timeline_entries(
    items: Iterable[TimelineItem],
    *,
    people: Mapping[str, Member],
    currency: str,
    contact_names: Mapping[str, str],
) -> list[TimelineEntry]:
    entries = []
    for item in items:
        if item.type == "activity" and item.activity is not None:
            entries.append(TimelineEntry(item.at, activity=item.activity, files=item.files))
            continue
        about_contact = item.record_type == "contact"
        about_deal = item.record_type == "deal"
        changes = item.changes or {}
        if about_deal:  # a deal's stages and loss reasons by name, not by id
            changes = {
                k: [item.names.get(str(v), v) for v in pair] if k in NAMED else pair for k, pair in changes.items()
            }
        change = Change(
            id=item.id,
            occurred_at=item.at,
            actor_id=item.actor_id,
            action=item.action or "",
            changes=changes,
        )
        [entry] = history_entries(
            [change],
            CONTACT_FIELDS if about_contact else ({} if about_deal else ACCOUNT_FIELDS),
            noun="contact" if about_contact else ("deal" if about_deal else "account"),
            people=people,
            currency=currency,
        )
        name = contact_names.get(str(item.record_id)) if about_contact else (item.record_name if about_deal else None)
        entries.append(TimelineEntry(item.at, change=entry, contact_name=name))
    return entries


def minutes(seconds: int | None) -> str:
    """A call's length as people say it: "5 min" / "5分钟"."""
    if not seconds:
        return ""
    return _("%(num)s min") % {"num": max(round(seconds / 60), 1)}


# ---- the calendar


@dataclass
class Day:
    date: dt.date
    items: list[Activity]
    today: bool


def week_of(day: dt.date) -> dt.date:
    """The Monday the week of ``day`` starts on."""
    return day - dt.timedelta(days=day.weekday())


def read_week(raw: str | None, today: dt.date) -> dt.date:
    try:
        return week_of(dt.date.fromisoformat(raw or ""))
    except ValueError:
        return week_of(today)


def week_bounds(monday: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(monday, dt.time(), tzinfo=zone)
    return start, dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(), tzinfo=zone)


def week_days(monday: dt.date, items: Iterable[Activity], zone: ZoneInfo, today: dt.date) -> list[Day]:
    """Seven days from Monday, each with the tasks and meetings due that day in the reader's time zone."""
    days = [Day(monday + dt.timedelta(days=n), [], monday + dt.timedelta(days=n) == today) for n in range(7)]
    for item in items:
        if item.due_at is None:
            continue
        index = (item.due_at.astimezone(zone).date() - monday).days
        if 0 <= index < 7:
            days[index].items.append(item)
    return days


@dataclass(frozen=True)
class Whose:
    """Whose calendar the page shows: the reader's own (both empty), a colleague's or a department's."""

    owner_id: str | None = None
    department_id: str | None = None

    @property
    def value(self) -> str:
        """As the picker's choice: ``m:<id>``, ``d:<id>`` or empty."""
        if self.owner_id:
            return f"m:{self.owner_id}"
        return f"d:{self.department_id}" if self.department_id else ""

    @property
    def mine(self) -> bool:
        return not (self.owner_id or self.department_id)


def read_whose(raw: str | None, me: Me) -> Whose:
    """The picker's ``who``; anything else, or oneself, is one's own calendar (the API checks the scope)."""
    kind, _sep, ident = (raw or "").partition(":")
    try:
        ident = str(uuid.UUID(ident))
    except ValueError:
        return Whose()
    if kind == "m" and ident != str(me.user.id):
        return Whose(owner_id=ident)
    return Whose(department_id=ident) if kind == "d" else Whose()


def picker_options(people: CalendarPeople | None, me: Me) -> list[tuple[str, list[tuple[str, str]]]]:
    """The picker's groups: departments (nested ones indented under their parent), then colleagues."""
    if people is None:
        return []
    children: dict[str | None, list[Any]] = {}
    for department in people.departments:
        parent = str(department.parent_id) if department.parent_id else None
        children.setdefault(parent, []).append(department)
    known = {str(d.id) for d in people.departments}
    departments: list[tuple[str, str]] = []

    def walk(parent: str | None, depth: int) -> None:
        for department in children.get(parent, []):
            departments.append((f"d:{department.id}", "\u00a0\u00a0" * depth + department.name))
            walk(str(department.id), depth + 1)

    walk(None, 0)
    for department in people.departments:  # a department whose parent the reader cannot open starts a tree
        if department.parent_id and str(department.parent_id) not in known:
            departments.append((f"d:{department.id}", department.name))
            walk(str(department.id), 1)
    colleagues = [(f"m:{m.id}", m.name) for m in people.members if m.id != me.user.id]
    groups = [(_("Departments"), departments), (_("Colleagues"), colleagues)]
    return [(label, options) for label, options in groups if options]


def local_time(value: dt.datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%H:%M") if value else ""


def zoned(value: dt.datetime | None, zone: ZoneInfo) -> str:
    """A due time as the reader writes dates and times, in the reader's time zone."""
    if value is None:
        return "—"
    return format_datetime(value, format="medium", tzinfo=zone, locale=i18n.babel_locale())


def direction_options() -> list[tuple[str, str]]:
    return [(key, _(label)) for key, label in DIRECTIONS.items()]
