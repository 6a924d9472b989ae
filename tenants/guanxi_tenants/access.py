"""The built-in roles of a new workspace and what each may do: the permission table.

Scopes, narrowest to widest (the model Chinese SME CRMs use):
``none`` < ``shared`` (only records shared with the user or their partner organisation) < ``own`` (本人)
< ``subordinates`` (本人及下属) < ``department`` (本部门) < ``department_tree`` (本部门及下属部门) < ``all`` (全部).
A user with several roles gets the widest scope any of them grants. Records a user collaborates on
(团队成员) are visible on top of the scope. Admins may add roles; these are the defaults.
"""

from __future__ import annotations

SCOPES = ("none", "shared", "own", "subordinates", "department", "department_tree", "all")
ACTIONS = ("read", "create", "update", "delete", "export")

# The CRM modules whose records carry an owner, and the workspace administration modules.
SALES = ("customers", "contacts", "leads", "deals", "quotes", "orders", "contracts", "payments", "invoices")
WORK = ("activities", "reports_work")
SERVICE = ("cases",)
MARKETING = ("campaigns",)
SHARED_ALL = ("pool", "products")  # the customer pool and the product catalogue are shared by design
ADMIN = ("members", "roles", "invitations", "api_tokens", "audit", "settings")
MODULES = SALES + WORK + SERVICE + MARKETING + SHARED_ALL + ("reports", "approvals") + ADMIN

Grants = dict[str, dict[str, str]]  # module -> action -> scope


def _grant(modules: tuple[str, ...], **actions: str) -> Grants:
    return {module: dict(actions) for module in modules}


def _merge(*parts: Grants) -> Grants:
    merged: Grants = {}
    for part in parts:
        for module, actions in part.items():
            merged.setdefault(module, {}).update(actions)
    return merged


EVERYTHING = dict.fromkeys(ACTIONS, "all")
READ_ONLY_ALL = {"read": "all", "create": "none", "update": "none", "delete": "none", "export": "none"}

ROLES: dict[str, dict[str, str]] = {
    "owner": {"en": "Owner", "zh-Hans": "所有者", "zh-Hant": "所有者"},
    "admin": {"en": "Administrator", "zh-Hans": "管理员", "zh-Hant": "管理員"},
    "manager": {"en": "Sales manager", "zh-Hans": "销售经理", "zh-Hant": "銷售經理"},
    "sales_rep": {"en": "Sales rep", "zh-Hans": "销售代表", "zh-Hant": "銷售代表"},
    "service_agent": {"en": "Service agent", "zh-Hans": "客服专员", "zh-Hant": "客服專員"},
    "marketer": {"en": "Marketer", "zh-Hans": "市场专员", "zh-Hant": "市場專員"},
    "viewer": {"en": "Viewer", "zh-Hans": "只读成员", "zh-Hant": "唯讀成員"},
    "partner": {"en": "Partner", "zh-Hans": "合作伙伴", "zh-Hant": "合作夥伴"},
}

PERMISSIONS: dict[str, Grants] = {
    "owner": _grant(MODULES, **EVERYTHING),
    "admin": _grant(MODULES, **EVERYTHING),
    "manager": _merge(
        _grant(
            SALES + WORK + SERVICE,
            read="department_tree",
            create="own",
            update="department_tree",
            delete="subordinates",
            export="department_tree",
        ),
        _grant(SHARED_ALL + MARKETING, read="all"),
        _grant(("reports", "approvals"), read="department_tree", create="own", update="department_tree"),
        _grant(("members",), read="all"),
    ),
    "sales_rep": _merge(
        _grant(SALES + WORK, read="own", create="own", update="own"),
        _grant(SERVICE, read="own", create="own"),
        _grant(SHARED_ALL, read="all"),
        _grant(("reports",), read="own"),
        _grant(("approvals",), read="own", create="own"),
        _grant(("members",), read="all"),
    ),
    "service_agent": _merge(
        _grant(("customers", "contacts"), read="all"),
        _grant(SERVICE, read="all", create="own", update="all"),
        _grant(WORK, read="own", create="own", update="own"),
        _grant(("products",), read="all"),
        _grant(("members",), read="all"),
    ),
    "marketer": _merge(
        _grant(MARKETING, **EVERYTHING),
        _grant(("leads",), read="all", create="own", update="own", export="all"),
        _grant(("customers", "contacts"), read="all"),
        _grant(WORK, read="own", create="own", update="own"),
        _grant(("products", "reports"), read="all"),
        _grant(("members",), read="all"),
    ),
    "viewer": _grant(SALES + WORK + SERVICE + MARKETING + SHARED_ALL + ("reports", "members"), **READ_ONLY_ALL),
    "partner": _grant(("customers", "deals"), read="shared", update="shared"),
}


def scope_of(role: str, module: str, action: str) -> str:
    return PERMISSIONS.get(role, {}).get(module, {}).get(action, "none")


def permission_rows() -> list[tuple[str, str, str, str]]:
    """(role, module, action, scope) for every grant wider than ``none``."""
    return [
        (role, module, action, scope)
        for role, grants in PERMISSIONS.items()
        for module, actions in grants.items()
        for action, scope in actions.items()
        if scope != "none"
    ]


SHORT = {
    "none": "—",
    "shared": "shared",
    "own": "own",
    "subordinates": "subord.",
    "department": "dept",
    "department_tree": "dept tree",
    "all": "all",
}


def markdown_table() -> str:
    """The permission table as Markdown, one table per role (docs/access.md embeds it; a test keeps it true)."""
    lines: list[str] = []
    for role, names in ROLES.items():
        lines += [
            f"### {names['en']} (`{role}`, {names['zh-Hans']})",
            "",
            "| module | " + " | ".join(ACTIONS) + " |",
            "|---" * (len(ACTIONS) + 1) + "|",
        ]
        for module in MODULES:
            scopes = [SHORT[scope_of(role, module, action)] for action in ACTIONS]
            if any(scope != "—" for scope in scopes):
                lines.append(f"| {module} | " + " | ".join(scopes) + " |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
