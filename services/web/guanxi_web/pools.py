"""The customer pool's words and its settings form: rules shown as sentences, the form read into the API's shape."""

from __future__ import annotations

import re
from typing import Any

from litestar.datastructures import FormMultiDict

from guanxi_web.api_client import Pool
from guanxi_web.forms import Form
from guanxi_web.i18n import N_, _

RULES = {
    "no_follow_up": N_("No follow-up"),
    "no_open_deal": N_("No open deal"),
    "not_won": N_("Not won"),
}
RULE_HINTS = {
    "no_follow_up": N_("Counted from the later of the last follow-up and the day the customer was claimed."),
    "no_open_deal": N_("Counted from the day the customer was claimed."),
    "not_won": N_("Counted from the day the customer was claimed; won customers never match."),
}
GRADES = ("A", "B", "C", "*")  # the grades the form asks days for; * is every other grade and the ungraded
NUMBERS = ("daily_claim_limit", "owned_cap", "locked_cap", "reclaim_cooldown_days", "warn_days")
SWITCHES = ("cap_counts_won", "recycle_won", "recycle_with_open_deal", "hide_contact_details")
SETTING_FIELDS = {
    "name": N_("Pool name"),
    "daily_claim_limit": N_("Claims per person per day"),
    "owned_cap": N_("Customers one person may own"),
    "cap_counts_won": N_("Won customers count towards that limit"),
    "locked_cap": N_("Locked customers per person"),
    "reclaim_cooldown_days": N_("Days before a previous owner may claim again"),
    "warn_days": N_("Warn the owner this many days before"),
    "recycle_won": N_("Won customers go back too"),
    "recycle_with_open_deal": N_("Customers with an open deal go back too"),
    "hide_contact_details": N_("Hide phone and email until claimed"),
    "members": N_("Who may claim"),
    "admins": N_("Pool administrators"),
    "rules": N_("Recycling rules"),
    **{f"rules.{kind}.{grade}": label for kind, label in RULES.items() for grade in GRADES},
}
_REASON = re.compile(r"^(no_follow_up|no_open_deal|not_won):(\d+)$")


def reason_text(reason: str | None) -> str:
    """A return's reason as a sentence: a rule of the nightly run, or what the owner wrote."""
    if not reason:
        return ""
    found = _REASON.match(reason)
    if found is None:
        return reason
    days = int(found.group(2))
    if found.group(1) == "no_follow_up":
        return _("No follow-up for %(days)s days") % {"days": days}
    if found.group(1) == "no_open_deal":
        return _("No open deal for %(days)s days") % {"days": days}
    return _("Not won in %(days)s days") % {"days": days}


def rule_sentence(kind: str, days: dict[str, int]) -> str:
    """ "No follow-up: A 30 days, others 15 days" for the pool's header (未跟进：A 类 30 天，其他 15 天)."""
    parts = [
        _("%(grade)s %(days)s days") % {"grade": grade, "days": value}
        for grade, value in sorted(days.items())
        if grade != "*"
    ]
    if "*" in days:
        template = _("others %(days)s days") if parts else _("%(days)s days")
        parts.append(template % {"days": days["*"]})
    return _("%(rule)s: %(days)s") % {"rule": _(RULES.get(kind, kind)), "days": _(", ").join(parts)}


def rules_text(rules: list[Any]) -> str:
    """Every rule of a pool in one line."""
    return _("; ").join(rule_sentence(rule.kind, rule.days) for rule in rules)


def settings_values(pool: Pool | None) -> dict[str, str]:
    """The form's values for a pool (empty ones for a new pool)."""
    if pool is None:
        return {"warn_days": "3", "reclaim_cooldown_days": "0", "cap_counts_won": "on", "hide_contact_details": "on"}
    values = {"name": pool.name}
    for name in NUMBERS:
        number = getattr(pool, name)
        values[name] = "" if number is None else str(number)
    for name in SWITCHES:
        values[name] = "on" if getattr(pool, name) else ""
    for rule in pool.rules:
        for grade, days in rule.days.items():
            values[f"rules.{rule.kind}.{grade}"] = str(days)
    return values


def read_settings(data: FormMultiDict) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """(the values to show again, the API's body, errors the form catches before the API: numbers)."""
    values = {name: str(data.get(name) or "").strip() for name in SETTING_FIELDS if name not in ("members", "admins")}
    errors: dict[str, str] = {}
    body: dict[str, Any] = {"name": values["name"]}
    for name in NUMBERS:
        text = values[name]
        if not text:
            if name in ("reclaim_cooldown_days", "warn_days"):
                body[name] = 0
            continue
        if not text.isdigit():
            errors[name] = _("Enter a whole number.")
            continue
        body[name] = int(text)
    for name in SWITCHES:
        body[name] = values[name] == "on"
        values[name] = "on" if body[name] else ""
    rules = []
    for kind in RULES:
        days: dict[str, int] = {}
        for grade in GRADES:
            text = values[f"rules.{kind}.{grade}"]
            if not text:
                continue
            if not text.isdigit() or int(text) < 1:
                errors[f"rules.{kind}.{grade}"] = _("Enter a number of days, 1 or more.")
                continue
            days[grade] = int(text)
        if days:
            rules.append({"kind": kind, "days": days})
    body["rules"] = rules
    admins = [str(v) for v in data.getall("admins", []) if v]
    members = [str(v) for v in data.getall("members", []) if v]
    entries = []
    for value in dict.fromkeys(members + admins):
        kind, _sep, key = value.partition(":")
        entry: dict[str, Any] = {"department_id" if kind == "department" else "member_id": key}
        entry["is_admin"] = value in admins
        entries.append(entry)
    body["members"] = entries
    return values, body, errors


def chosen_members(pool: Pool | None) -> tuple[list[str], list[str]]:
    """The pool's members and administrators as the form's choice values (member:<id>, department:<id>)."""
    if pool is None:
        return [], []
    members: list[str] = []
    admins: list[str] = []
    for entry in pool.members:
        value = f"department:{entry.department_id}" if entry.department_id else f"member:{entry.member_id}"
        (admins if entry.is_admin else members).append(value)
    return members, admins


class PoolForm(Form):
    """The API names a rule's days ``rules[1].days`` and a member ``members[0].member_id``: they are shown at
    the rules and at the member list."""

    def field_of(self, api_field: str) -> str:
        for name in ("members", "rules"):
            if api_field.startswith(name):
                return name
        return super().field_of(api_field)
