"""A role's field permissions as a settings grid: per module, each field the API lets an admin restrict,
with its access (hidden / read only / editable) and, for sensitive fields, its masking.

The API says which fields are configurable and which maskable; the web only labels them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from guanxi_web.api_client import FieldRules
from guanxi_web.customers import ACCOUNT_FIELDS, CONTACT_FIELDS, Field
from guanxi_web.forms import Form
from guanxi_web.i18n import N_, _
from guanxi_web.permissions import MODULE_LABELS

ACCESS_LABELS = {"hidden": N_("Hidden"), "read": N_("Read only"), "edit": N_("Can edit")}
MASK_LABELS = {"none": N_("Not masked"), "lists": N_("Masked in lists"), "everywhere": N_("Masked everywhere")}
MODULE_FIELDS: dict[str, Mapping[str, Field]] = {"customers": ACCOUNT_FIELDS, "contacts": CONTACT_FIELDS}
# What an admin may restrict is per module; the modules are labelled as in the permission grid.
FieldsByModule = dict[str, dict[str, dict[str, str]]]


def cell(module: str, name: str, part: str) -> str:
    """A select of the grid, named like the API's error fields (``fields.customers.phone.mask``)."""
    return f"fields.{module}.{name}.{part}"


def field_title(module: str, name: str, labels: FieldRules | None = None) -> str:
    """A field as the record's form calls it; a custom field by the label the workspace gave it."""
    spec = MODULE_FIELDS.get(module, {}).get(name)
    if spec:
        return spec.title()
    return (labels.labels.get(module, {}).get(name) if labels else None) or name


def field_groups(rules: FieldRules, module: str) -> list[tuple[str, list[str]]]:
    """A module's rows: its own fields first, then its custom fields under their own heading."""
    names = rules.configurable.get(module, [])
    custom = [name for name in names if name.startswith("custom.")]
    groups = [("", [name for name in names if not name.startswith("custom.")])]
    return [*groups, (_("Custom fields"), custom)] if custom else groups


def module_title(module: str) -> str:
    return _(MODULE_LABELS[module]) if module in MODULE_LABELS else module


def cells(rules: FieldRules) -> dict[str, str]:
    """Every select of the grid; the labels are made by ``FieldRulesForm.label``."""
    names: dict[str, str] = {}
    for module, fields in rules.configurable.items():
        for name in fields:
            names[cell(module, name, "access")] = ""
            if name in rules.maskable.get(module, []):
                names[cell(module, name, "mask")] = ""
    return names


@dataclass
class FieldRulesForm(Form):
    rules: FieldRules | None = None

    def label(self, name: str) -> str:
        """``fields.<module>.<field>.<part>``, where a custom field's name has a dot of its own."""
        parts = name.split(".")
        if len(parts) >= 4 and parts[0] == "fields":
            return _("%(module)s: %(field)s") % {
                "module": module_title(parts[1]),
                "field": field_title(parts[1], ".".join(parts[2:-1]), self.rules),
            }
        return name


def grid_values(rules: FieldRules) -> dict[str, str]:
    """The role's rules as the grid's choices; a field without a rule is editable and unmasked."""
    values: dict[str, str] = {}
    for module, fields in rules.configurable.items():
        for name in fields:
            rule = rules.fields.get(module, {}).get(name, {})
            values[cell(module, name, "access")] = rule.get("access", "edit")
            if name in rules.maskable.get(module, []):
                values[cell(module, name, "mask")] = rule.get("mask", "none")
    return values


def read_grid(submitted: Mapping[str, str], rules: FieldRules) -> tuple[FieldsByModule, list[str]]:
    """The API's ``fields`` from a submitted grid, and the selects that came back with an unknown choice."""
    fields: FieldsByModule = {}
    unknown: list[str] = []
    for module, names in rules.configurable.items():
        for name in names:
            access = submitted.get(cell(module, name, "access")) or "edit"
            rule = {"access": access}
            if access not in ACCESS_LABELS:
                unknown.append(cell(module, name, "access"))
            if name in rules.maskable.get(module, []):
                rule["mask"] = submitted.get(cell(module, name, "mask")) or "none"
                if rule["mask"] not in MASK_LABELS:
                    unknown.append(cell(module, name, "mask"))
            fields.setdefault(module, {})[name] = rule
    return fields, unknown
