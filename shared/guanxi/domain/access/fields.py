"""Field permissions per role: a field may be hidden, read-only or editable, and sensitive fields masked
in lists (lists, search results, exports) or everywhere.

A field without a rule for some role of the member is editable and unmasked for them: like data scopes,
a member with several roles gets the widest access and the lightest masking any of their roles gives.
A field masked everywhere is read-only: a masked value must never be written back over the real one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from guanxi.errors import DomainError, FieldError

FIELD_ACCESS = ("hidden", "read", "edit")
MASKS = ("none", "lists", "everywhere")
View = Literal["list", "record"]

# The fields an admin may restrict, per module; ``SENSITIVE`` are those that can also be masked.
CONFIGURABLE: dict[str, tuple[str, ...]] = {
    "customers": (
        "phone",
        "email",
        "address",
        "website",
        "credit_limit",
        "payment_terms_days",
        "value_rating",
        "birthday",
        "age",
        "source",
        "industry",
        "tags",
        "heat",
    ),
    "contacts": ("phones", "emails", "wechat", "whatsapp", "line", "title", "marketing_consent"),
}
SENSITIVE: dict[str, tuple[str, ...]] = {
    "customers": ("phone", "email", "address"),
    "contacts": ("phones", "emails", "wechat", "whatsapp", "line"),
}
PHONE_LIKE = frozenset({"phone", "phones", "whatsapp"})
EMAIL_LIKE = frozenset({"email", "emails"})


@dataclass(frozen=True)
class FieldRule:
    access: str = "edit"
    mask: str = "none"


DEFAULT = FieldRule()


def merge(rules: Iterable[FieldRule]) -> FieldRule:
    """The widest access and the lightest mask of several roles' rules."""
    rules = list(rules)
    if not rules:
        return DEFAULT
    return FieldRule(
        access=max((r.access for r in rules), key=FIELD_ACCESS.index),
        mask=min((r.mask for r in rules), key=MASKS.index),
    )


def mask_value(name: str, value: Any) -> Any:
    """138 0013 8000 → 138****8000; zhang.wei@example.com → z***@example.com; anything else → ***."""
    if value is None or value == "" or value == []:
        return value
    if isinstance(value, list):
        return [mask_value(name, item) for item in value]
    text = str(value)
    if name in PHONE_LIKE:
        digits = re.sub(r"\D", "", text)
        return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 8 else "****"
    if name in EMAIL_LIKE and "@" in text:
        local, _, domain = text.rpartition("@")
        return f"{local[:1]}***@{domain}"
    return "***"


@dataclass(frozen=True)
class FieldPolicy:
    rules: Mapping[tuple[str, str], FieldRule] = field(default_factory=dict)

    @classmethod
    def from_role_rules(cls, roles: Iterable[str], role_rules: Iterable[tuple[str, str, str, str, str]]) -> FieldPolicy:
        by_field: dict[tuple[str, str], dict[str, FieldRule]] = {}
        for role, module, name, access, mask in role_rules:
            by_field.setdefault((module, name), {})[role] = FieldRule(access, mask)
        all_roles = list(roles)
        # A role with no rule for the field leaves it open: it takes part in the merge as the default.
        return cls(
            {key: merge(per_role.get(role, DEFAULT) for role in all_roles) for key, per_role in by_field.items()}
        )

    def rule(self, module: str, name: str) -> FieldRule:
        rule = self.rules.get((module, name), DEFAULT)
        return FieldRule("read", rule.mask) if rule.mask == "everywhere" and rule.access == "edit" else rule

    def visible(self, module: str, name: str) -> bool:
        return self.rule(module, name).access != "hidden"

    def searchable(self, module: str, name: str) -> bool:
        """Search is a list: a field masked in lists (or hidden) must not be found through it either."""
        rule = self.rule(module, name)
        return rule.access != "hidden" and rule.mask == "none"

    def shape(self, module: str, record: dict[str, Any], view: View) -> dict[str, Any]:
        """The record as this member may see it: hidden fields left out, masked ones masked."""
        shaped: dict[str, Any] = {}
        for name, value in record.items():
            if name == "custom" and isinstance(value, dict):  # each custom field has its own rule
                shaped[name] = {key: v for key, v in value.items() if self.visible(module, f"custom.{key}")}
                continue
            rule = self.rule(module, name)
            if rule.access == "hidden":
                continue
            masked = rule.mask == "everywhere" or (rule.mask == "lists" and view == "list")
            shaped[name] = mask_value(name, value) if masked else value
        return shaped

    def require_writable(self, module: str, names: Iterable[str]) -> None:
        """Refuse a write that touches a field this member may not edit, naming each such field."""
        refused = [name for name in names if self.rule(module, name).access != "edit"]
        if refused:
            raise DomainError(
                detail="Your role may not change: " + ", ".join(refused) + ".",
                status=403,
                type="field-forbidden",
                title="Field not editable",
                errors=[FieldError(name, "may not be changed by your role", "field_forbidden") for name in refused],
            )
