"""What a role may do: the modules, actions and data scopes of the permission table, with their labels.

The keys are the API's (see docs/access.md); a module or action a role does not mention has scope ``none``.
"""

from __future__ import annotations

from guanxi_web.i18n import N_

MODULE_LABELS = {
    "customers": N_("Customers"),
    "contacts": N_("Contacts"),
    "leads": N_("Leads"),
    "deals": N_("Deals"),
    "quotes": N_("Quotes"),
    "orders": N_("Orders"),
    "contracts": N_("Contracts"),
    "payments": N_("Payments"),
    "invoices": N_("Invoices"),
    "activities": N_("Follow-up activities"),
    "reports_work": N_("Work reports"),
    "cases": N_("Service cases"),
    "campaigns": N_("Campaigns"),
    "pool": N_("Customer pool"),
    "products": N_("Products"),
    "reports": N_("Reports"),
    "approvals": N_("Approvals"),
    "members": N_("Members"),
    "roles": N_("Roles"),
    "invitations": N_("Invitations"),
    "api_tokens": N_("API tokens"),
    "audit": N_("Audit log"),
    "settings": N_("Settings"),
}
ACTION_LABELS = {
    "read": N_("View"),
    "create": N_("Create"),
    "update": N_("Edit"),
    "delete": N_("Delete"),
    "export": N_("Export"),
}
# Narrowest to widest.
SCOPE_LABELS = {
    "none": N_("None"),
    "shared": N_("Shared with me"),
    "own": N_("Own"),
    "subordinates": N_("Own and subordinates'"),
    "department": N_("Own department"),
    "department_tree": N_("Own department and below"),
    "all": N_("All"),
}
MODULES = tuple(MODULE_LABELS)
ACTIONS = tuple(ACTION_LABELS)
SCOPES = tuple(SCOPE_LABELS)

Permissions = dict[str, dict[str, str]]


def cell(module: str, action: str) -> str:
    """The form field (and the API's error field) of one module and action."""
    return f"permissions.{module}.{action}"


def scope_of(permissions: Permissions, module: str, action: str) -> str:
    scope = permissions.get(module, {}).get(action, "none")
    return scope if scope in SCOPE_LABELS else "none"


def grid_values(permissions: Permissions) -> dict[str, str]:
    return {cell(module, action): scope_of(permissions, module, action) for module in MODULES for action in ACTIONS}


def read_grid(values: dict[str, str]) -> tuple[Permissions, list[str]]:
    """The submitted grid as the API's permissions (``none`` left out), and the cells with an unknown scope."""
    permissions: Permissions = {}
    unknown: list[str] = []
    for module in MODULES:
        for action in ACTIONS:
            name = cell(module, action)
            scope = values.get(name) or "none"
            if scope not in SCOPE_LABELS:
                unknown.append(name)
            elif scope != "none":
                permissions.setdefault(module, {})[action] = scope
    return permissions, unknown
