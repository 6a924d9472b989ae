"""The sidebar: every section the product has or will have, in the order users meet them."""

from __future__ import annotations

from dataclasses import dataclass

from guanxi_web.i18n import N_


@dataclass(frozen=True)
class Section:
    slug: str
    label: str
    icon: str
    summary: str
    built: bool = False
    path: str = ""  # a built section's own address; sections still to come live at /w/<slug>
    feature: str | None = None  # the plan feature it needs (left out of the sidebar on plans without it)

    @property
    def href(self) -> str:
        return self.path or f"/w/{self.slug}"


SECTIONS: tuple[Section, ...] = (
    Section("home", N_("Home"), "home", "", built=True, path="/home"),
    Section("todo", N_("My day"), "check", "", built=True, path="/todo"),
    Section("customers", N_("Accounts"), "customers", "", built=True, path="/accounts"),
    Section("contacts", N_("Contacts"), "contacts", "", built=True, path="/contacts"),
    Section("pool", N_("Customer pool"), "pool", "", built=True, path="/pool"),
    Section("calendar", N_("Calendar"), "calendar", "", built=True, path="/calendar"),
    Section("leads", N_("Leads"), "leads", "", built=True, path="/leads"),
    Section("deals", N_("Deals"), "deals", "", built=True, path="/deals"),
    Section("quotes", N_("Quotes"), "quotes", "", built=True, path="/quotes"),
    Section("contracts", N_("Contracts"), "quotes", "", built=True, path="/contracts"),
    Section("orders", N_("Orders"), "quotes", "", built=True, path="/orders"),
    Section("products", N_("Products"), "products", "", built=True, path="/products"),
    Section("targets", N_("Targets"), "targets", "", built=True, path="/targets"),
    Section("grading", N_("Customer grading"), "grading", "", built=True, path="/grading", feature="grading"),
    Section("churn", N_("Churn early warning"), "alert", "", built=True, path="/churn", feature="churn"),
    Section("work_reports", N_("Work reports"), "reports", "", built=True, path="/work-reports"),
    Section("announcements", N_("Announcements"), "campaigns", "", built=True, path="/announcements"),
    Section(
        "approvals",
        N_("Approvals"),
        "approvals",
        N_("Discounts, quotes and expenses waiting for a manager's sign-off, in one queue."),
    ),
    Section(
        "cases",
        N_("Service cases"),
        "cases",
        N_("Complaints and service requests, answered within the time each customer grade is promised."),
    ),
    Section(
        "campaigns",
        N_("Campaigns"),
        "campaigns",
        N_("Plan campaigns, reach the right customers, and see which leads each campaign brings in."),
    ),
    Section(
        "reports",
        N_("Reports"),
        "reports",
        N_("Sales, pipeline and service figures, with a dashboard for every team."),
        built=True,
        path="/reports",
    ),
    Section(
        "settings",
        N_("Settings"),
        "settings",
        N_("Users and roles, teams, pipelines, grading rules and billing."),
        built=True,
        path="/w/settings",
    ),
)

BY_SLUG = {section.slug: section for section in SECTIONS}

# The built-in roles, in the order they are offered; "member" is how older workspaces name everyone else.
ROLE_LABELS = {
    "owner": N_("Owner"),
    "admin": N_("Administrator"),
    "manager": N_("Sales manager"),
    "sales_rep": N_("Sales representative"),
    "service_agent": N_("Service agent"),
    "marketer": N_("Marketer"),
    "viewer": N_("Viewer"),
    "partner": N_("Partner"),
    "member": N_("Member"),
}
BUILT_IN_ROLES = tuple(key for key in ROLE_LABELS if key != "member")
ADMIN_ROLES = frozenset({"owner", "admin"})


@dataclass(frozen=True)
class SettingsPage:
    slug: str
    label: str
    admin_only: bool

    @property
    def href(self) -> str:
        return f"/w/settings/{self.slug}" if self.slug else "/w/settings"


SETTINGS_PAGES: tuple[SettingsPage, ...] = (
    SettingsPage("", N_("Workspaces"), admin_only=False),
    SettingsPage("account", N_("Your account"), admin_only=False),
    SettingsPage("general", N_("General"), admin_only=True),
    SettingsPage("members", N_("Members"), admin_only=True),
    SettingsPage("roles", N_("Roles"), admin_only=True),
    SettingsPage("invitations", N_("Invitations"), admin_only=True),
    SettingsPage("departments", N_("Departments"), admin_only=True),
    SettingsPage("pipelines", N_("Pipelines"), admin_only=True),
    SettingsPage("loss-reasons", N_("Loss reasons"), admin_only=True),
    SettingsPage("numbering", N_("Numbering"), admin_only=True),
    SettingsPage("print-templates", N_("Print templates"), admin_only=True),
    SettingsPage("lead-forms", N_("Lead forms"), admin_only=True),
    SettingsPage("lead-rules", N_("Lead assignment"), admin_only=True),
    SettingsPage("work-report-rules", N_("Work report rules"), admin_only=True),
    SettingsPage("tokens", N_("API tokens"), admin_only=False),
    SettingsPage("two-factor", N_("Two-factor sign-in"), admin_only=False),
    SettingsPage("audit", N_("Audit log"), admin_only=True),
    SettingsPage("billing", N_("Billing"), admin_only=True),
)
