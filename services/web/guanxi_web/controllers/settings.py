"""Settings: the person's own account, and the workspace's people, roles, invitations, departments, API tokens,
audit log and general settings.

Every page asks the API, which decides who may do what; the web only hides what a role cannot use and
turns the API's 403 into a page that says so inside the app shell.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import structlog
from guanxi.config import get_settings
from guanxi.domain.identity.oauth_schemas import configured_providers
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Stream, Template

from guanxi_web.api_client import (
    ApiCaller,
    ApiError,
    ApiUnavailable,
    Department,
    FieldRules,
    Identity,
    Me,
    Member,
    Role,
    TwoFactorSetup,
    WorkspaceSettings,
)
from guanxi_web.dependencies import provide_me
from guanxi_web.errors import handle_api_error
from guanxi_web.field_rules import (
    ACCESS_LABELS,
    MASK_LABELS,
    FieldRulesForm,
    cells,
    field_groups,
    field_title,
    module_title,
)
from guanxi_web.field_rules import grid_values as field_grid_values
from guanxi_web.field_rules import read_grid as read_field_grid
from guanxi_web.forms import (
    DEPARTMENT_FIELDS,
    GENERAL_FIELDS,
    HAND_OVER_FIELDS,
    INVITE_FIELDS,
    MEMBER_FIELDS,
    PASSWORD_FIELDS,
    PROFILE_FIELDS,
    ROLE_FIELDS,
    TOKEN_FIELDS,
    TWO_FACTOR_CONFIRM_FIELDS,
    TWO_FACTOR_DISABLE_FIELDS,
    Form,
    RoleForm,
    one_time_code,
    refusal_status,
    refuse_code,
)
from guanxi_web.i18n import N_, _, ngettext, zone_choices
from guanxi_web.navigation import BUILT_IN_ROLES
from guanxi_web.permissions import ACTION_LABELS, MODULE_LABELS, SCOPE_LABELS, grid_values, read_grid, scope_of
from guanxi_web.qr import qr_svg
from guanxi_web.rendering import app_page, csv_download, is_admin, role_label
from guanxi_web.session import redirect, remember_locale

log = structlog.get_logger("web.settings")

# What a token may touch: a few modules one by one, or all of them ("*").
TOKEN_MODULES: tuple[tuple[str, str], ...] = (
    ("*", N_("All modules")),
    ("customers", N_("Customers")),
    ("leads", N_("Leads")),
    ("deals", N_("Deals")),
    ("activities", N_("Activities")),
    ("cases", N_("Service cases")),
)
TOKEN_EXPIRY_DAYS = (30, 90, 365)

# Shown once after a redirect (``?done=``): what the last action did.
NOTICES = {
    "profile-saved": N_("Your profile is saved."),
    "numbering-saved": N_("The numbering is saved. The next document takes a number by it."),
    "template-saved": N_("The print template is saved."),
    "password-changed": N_("Your password is changed. You stay signed in here; everywhere else you were signed out."),
    "password-set": N_("Your password is set. You can now also sign in with your email and password."),
    "identity-linked": N_("The account is connected. You can now sign in with it."),
    "identity-already-linked": N_("That account was already connected to yours."),
    "identity-unlinked": N_("The account is disconnected. It can no longer be used to sign in here."),
    "member-saved": N_("The member's changes are saved."),
    "member-deactivated": N_("The member is deactivated and can no longer sign in to this workspace."),
    "invited": N_("The invitation is on its way."),
    "resent": N_("A new invitation link was sent. The old link no longer works."),
    "revoked": N_("The invitation is revoked."),
    "department-added": N_("The department is added."),
    "token-revoked": N_("The token is revoked and stops working at once."),
    "two-factor-off": N_("Two-factor sign-in is off. Signing in now needs only your password."),
    "role-created": N_("The role is created."),
    "role-saved": N_("The role's permissions are saved. They apply from the members' next request."),
    "role-deleted": N_("The role is deleted."),
    "fields-saved": N_("The field permissions are saved. They apply from the members' next request."),
    "settings-saved": N_("The workspace settings are saved."),
}
# Why connecting a provider did not happen (``?link_error=``, set by the provider's way back).
LINK_ERRORS = {
    "taken": N_(
        "This %(provider)s account is already connected to another Guanxi account. Disconnect it there first, "
        "or connect a different one."
    ),
    "expired": N_("Connecting %(provider)s took too long or was started elsewhere. Please try again."),
    "cancelled": N_("Connecting %(provider)s was cancelled."),
    "failed": N_("We could not verify your %(provider)s account. Please try again."),
    "unavailable": N_("%(provider)s cannot be reached right now. Please try again in a moment."),
    "limited": N_("Too many attempts. Please wait a few minutes and try again."),
}
OWNER_ROLE = "owner"
RETENTION_DAYS = (30, 3650)
OTPAUTH_SCHEME = "otpauth://"
OTPAUTH_MAX_LENGTH = 1024  # the API's links are far shorter; a longer one posted back is not drawn as a QR code


class NoAccess(Exception):
    """The signed-in user's role may not use this page."""

    def __init__(self, me: Me) -> None:
        super().__init__("no access")
        self.me = me


async def provide_settings_me(request: Request[Any, Any, Any], api: NamedDependency[ApiCaller]) -> Me:
    me = await provide_me(request, api)
    request.state.me = me  # for the 403 handler below, which has no dependencies of its own
    return me


def no_access(request: Request[Any, Any, Any], error: NoAccess) -> Template:
    log.info("settings.no_access", path=request.url.path)
    return app_page(
        request, "settings/_no_access.html", me=error.me, title=_("No access"), active="settings", status_code=403
    )


def handle_settings_api_error(request: Request[Any, Any, Any], error: ApiError) -> Response[Any]:
    me = getattr(request.state, "me", None)
    if error.status == 403 and me is not None:
        return no_access(request, NoAccess(me))
    return handle_api_error(request, error)


def require_admin(me: Me) -> None:
    if not is_admin(me):
        raise NoAccess(me)


def settings_page(
    request: Request[Any, Any, Any], fragment: str, me: Me, title: str, current: str, **context: Any
) -> Template:
    notice = NOTICES.get(request.query_params.get("done") or "")
    context.setdefault("notice", _(notice) if notice else None)
    return app_page(request, fragment, me=me, title=title, active="settings", current=current, **context)


def chosen(data: FormMultiDict, name: str) -> list[str]:
    return [str(value) for value in data.getall(name, []) if value]


def optional_id(value: str) -> str | None:
    return value or None


def by_id(items: list[Member] | list[Department]) -> dict[str, Any]:
    return {str(item.id): item for item in items}


def department_tree(departments: list[Department]) -> list[tuple[Department, int]]:
    """Each department after its parent, with its depth; a parent that is missing makes a root."""
    known = {department.id for department in departments}
    children: dict[Any, list[Department]] = {}
    for department in sorted(departments, key=lambda d: d.name.casefold()):
        parent = department.parent_id if department.parent_id in known else None
        children.setdefault(parent, []).append(department)
    ordered: list[tuple[Department, int]] = []
    seen: set[Any] = set()

    def walk(parent: Any, depth: int) -> None:
        for department in children.get(parent, []):
            if department.id not in seen:
                seen.add(department.id)
                ordered.append((department, depth))
                walk(department.id, depth + 1)

    walk(None, 0)
    ordered.extend((department, 0) for department in departments if department.id not in seen)
    return ordered


def department_options(departments: list[Department]) -> list[tuple[str, str]]:
    """The tree as select options, each name indented under its parent."""
    tree = department_tree(departments)
    return [(str(department.id), "\u2003" * depth + department.name) for department, depth in tree]


def role_name(role: Role) -> str:
    """Built-in roles are named in the reader's language; custom roles as their admins named them."""
    return role_label(role.key) if role.builtin and role.key in BUILT_IN_ROLES else role.name


def grid_context() -> dict[str, Any]:
    return {
        "modules": [(module, _(label)) for module, label in MODULE_LABELS.items()],
        "actions": [(action, _(label)) for action, label in ACTION_LABELS.items()],
        "scope_options": [(scope, _(label)) for scope, label in SCOPE_LABELS.items()],
        "scope_label": lambda scope: _(SCOPE_LABELS.get(scope, SCOPE_LABELS["none"])),
        "scope_of": scope_of,
    }


def retention_days(value: str) -> int | None:
    value = value.strip()
    if not value.isdigit():
        return None
    days = int(value)
    return days if RETENTION_DAYS[0] <= days <= RETENTION_DAYS[1] else None


def removable(identities: list[Identity], has_password: bool) -> set[str]:
    """The identities whose removal leaves a way to sign in (the API's rule): a password, or another identity
    at a provider that is still offered."""
    return {
        str(identity.id)
        for identity in identities
        if has_password or any(other.available for other in identities if other.id != identity.id)
    }


def link_error(request: Request[Any, Any, Any]) -> str | None:
    """The reason a link came back without happening; only known reasons and configured providers are shown."""
    reason = request.query_params.get("link_error") or ""
    provider = next((p for p in configured_providers() if p.key == request.query_params.get("provider")), None)
    if reason not in LINK_ERRORS or provider is None:
        return None
    return _(LINK_ERRORS[reason]) % {"provider": provider.name}


def moved_total(answer: Mapping[str, Mapping[str, int]]) -> int:
    """The API counts the records it moved per table; people care about the total."""
    return sum(answer.get("moved", {}).values())


@dataclass(frozen=True)
class RoleTab:
    """One tab of a role's page: what it shows, where it lives, and what it says when it cannot be saved."""

    template: str
    path: str
    done: str
    event: str
    owner_refusal: str
    locked: str


PERMISSIONS_TAB = RoleTab(
    "settings/_role.html",
    "",
    "role-saved",
    "role.permissions_saved",
    N_("The owner's permissions cannot be changed: the owner may always do everything."),
    N_("This role's permissions cannot be changed."),
)
FIELDS_TAB = RoleTab(
    "settings/_role_fields.html",
    "/fields",
    "fields-saved",
    "role.fields_saved",
    N_("The owner sees and changes every field, so this role's fields cannot be restricted."),
    N_("This role's field permissions cannot be changed."),
)


class SettingsController(Controller):
    path = "/w/settings"
    tags = ["settings"]
    dependencies = {"me": Provide(provide_settings_me)}
    exception_handlers = {NoAccess: no_access, ApiError: handle_settings_api_error}

    @get("")
    async def overview(self, request: Request[Any, Any, Any], me: NamedDependency[Me]) -> Template:
        return settings_page(request, "settings/_workspaces.html", me, _("Settings"), "")

    # ---- your account (every member's own, in every workspace)

    async def _account_page(
        self,
        request: Request[Any, Any, Any],
        api: ApiCaller,
        me: Me,
        *,
        profile: Form | None = None,
        password: Form | None = None,
        identities_error: str | None = None,
        status_code: int = 200,
    ) -> Template:
        identities = await api.identities()
        linked = {identity.provider for identity in identities}
        if profile is None:
            values = {"name": me.user.name, "locale": me.user.locale, "timezone": me.user.timezone or ""}
            profile = Form(PROFILE_FIELDS, values=values)
        return settings_page(
            request,
            "settings/_account.html",
            me,
            _("Your account"),
            "account",
            profile=profile,
            zones=zone_choices(),
            password=password or Form(PASSWORD_FIELDS),
            identities=identities,
            removable=removable(identities, me.user.has_password),
            connectable=[p for p in configured_providers() if p.key not in linked],
            identities_error=identities_error or link_error(request),
            status_code=status_code,
        )

    @get("/account")
    async def account(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        return await self._account_page(request, api, me)

    @post("/account/profile")
    async def update_profile(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any]:
        form, submitted = Form.read(PROFILE_FIELDS, await request.form())
        form.keep_supported_locale(submitted)
        form.require(submitted, "name")
        if form.invalid:
            return await self._account_page(request, api, me, profile=form, status_code=422)
        try:
            await api.update_profile(
                name=submitted["name"].strip(), locale=submitted["locale"], timezone=submitted["timezone"] or None
            )
        except ApiError as error:
            if error.status in (401, 403):
                raise
            form.refuse(error)
            return await self._account_page(request, api, me, profile=form, status_code=refusal_status(error))
        log.info("profile.saved", locale=submitted["locale"], timezone=submitted["timezone"] or None)
        response = redirect(request, "/w/settings/account?done=profile-saved")
        # The language chosen here is the one the pages speak from now on, also in this browser.
        remember_locale(response, submitted["locale"], secure=get_settings().secure_cookies)
        return response

    @post("/account/password")
    async def change_password(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any]:
        form, submitted = Form.read(PASSWORD_FIELDS, await request.form())
        has_password = me.user.has_password
        form.require(submitted, *(("current_password", "new_password") if has_password else ("new_password",)))
        if form.invalid:
            return await self._account_page(request, api, me, password=form, status_code=422)
        try:
            await api.change_password(
                current_password=submitted["current_password"] if has_password else None,
                new_password=submitted["new_password"],
            )
        except ApiError as error:
            if error.status in (401, 403):
                raise
            form.refuse(error)
            return await self._account_page(request, api, me, password=form, status_code=refusal_status(error))
        log.info("password.changed", first_password=not has_password)
        return redirect(request, f"/w/settings/account?done={'password-changed' if has_password else 'password-set'}")

    @post("/account/identities/{identity_id:str}/unlink")
    async def unlink_identity(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        identity_id: FromPath[str],
    ) -> Response[Any]:
        try:
            await api.unlink_identity(identity_id)
        except ApiError as error:
            if error.status == 409 and error.kind == "last-sign-in-method":
                message = _("This is the only way you can sign in. Set a password first, then disconnect it.")
                return await self._account_page(request, api, me, identities_error=message, status_code=409)
            raise
        log.info("identity.unlinked", identity_id=identity_id)
        return redirect(request, "/w/settings/account?done=identity-unlinked")

    # ---- members

    async def _members_page(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, status_code: int = 200
    ) -> Template:
        members = await api.members()
        departments = await api.departments()
        return settings_page(
            request,
            "settings/_members.html",
            me,
            _("Members"),
            "members",
            members=sorted(members, key=lambda m: (m.status != "active", m.name.casefold())),
            people=by_id(members),
            departments=by_id(departments),
            status_code=status_code,
        )

    @get("/members")
    async def members(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        require_admin(me)
        return await self._members_page(request, api, me)

    async def _member_page(
        self,
        request: Request[Any, Any, Any],
        api: ApiCaller,
        me: Me,
        member_id: str,
        *,
        form: Form | None = None,
        hand_over: Form | None = None,
        status_code: int = 200,
        moved: int | None = None,
    ) -> Template:
        members = await api.members()
        member = by_id(members).get(member_id)
        if member is None:
            raise NotFoundException
        departments = await api.departments()
        colleagues = sorted(
            (m for m in members if m.id != member.id and m.status == "active"), key=lambda m: m.name.casefold()
        )
        if form is None:
            form = Form(
                MEMBER_FIELDS,
                values={
                    "department_id": str(member.department_id or ""),
                    "manager_id": str(member.manager_id or ""),
                },
            )
            form.choices["roles"] = list(member.roles)
        notice = None
        if moved is not None:
            notice = ngettext("%(num)d record was handed over.", "%(num)d records were handed over.", moved) % {
                "num": moved
            }
        return settings_page(
            request,
            "settings/_member.html",
            me,
            member.name,
            "members",
            member=member,
            form=form,
            hand_over=hand_over or Form(HAND_OVER_FIELDS),
            role_options=[(role, role_label(role)) for role in BUILT_IN_ROLES],
            department_options=department_options(departments),
            manager_options=[(str(m.id), m.name) for m in colleagues],
            colleague_options=[(str(m.id), f"{m.name} ({m.email})") for m in colleagues],
            status_code=status_code,
            **({"notice": notice} if notice else {}),
        )

    @get("/members/{member_id:str}")
    async def member(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        member_id: FromPath[str],
        moved: FromQuery[int | None] = None,
    ) -> Template:
        require_admin(me)
        return await self._member_page(request, api, me, member_id, moved=moved)

    @post("/members/{member_id:str}")
    async def update_member(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        member_id: FromPath[str],
    ) -> Response[Any]:
        require_admin(me)
        data = await request.form()
        form, submitted = Form.read(MEMBER_FIELDS, data)
        roles = [role for role in chosen(data, "roles") if role in BUILT_IN_ROLES]
        form.choices["roles"] = roles
        if not roles:
            form.errors["roles"] = [_("Choose at least one role.")]
            return await self._member_page(request, api, me, member_id, form=form, status_code=422)
        changes = {
            "roles": roles,
            "department_id": optional_id(submitted["department_id"]),
            "manager_id": optional_id(submitted["manager_id"]),
        }
        try:
            await api.update_member(member_id, changes)
        except ApiError as error:
            if error.status in (401, 403, 404):
                raise
            form.refuse(error)
            return await self._member_page(request, api, me, member_id, form=form, status_code=refusal_status(error))
        log.info("member.updated", member_id=member_id)
        return redirect(request, f"/w/settings/members/{member_id}?done=member-saved")

    @post("/members/{member_id:str}/deactivate")
    async def deactivate_member(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        member_id: FromPath[str],
    ) -> Response[Any]:
        require_admin(me)
        try:
            await api.deactivate_member(member_id)
        except ApiError as error:
            if error.status in (401, 403, 404):
                raise
            form = Form(MEMBER_FIELDS)
            form.refuse(error)
            return await self._member_page(request, api, me, member_id, form=form, status_code=refusal_status(error))
        log.info("member.deactivated", member_id=member_id)
        return redirect(request, "/w/settings/members?done=member-deactivated")

    @post("/members/{member_id:str}/hand-over")
    async def hand_over(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        member_id: FromPath[str],
    ) -> Response[Any]:
        require_admin(me)
        form, submitted = Form.read(HAND_OVER_FIELDS, await request.form())
        form.require(submitted, "to_member_id")
        if form.invalid:
            return await self._member_page(request, api, me, member_id, hand_over=form, status_code=422)
        try:
            moved = await api.hand_over(member_id, submitted["to_member_id"])
        except ApiError as error:
            if error.status in (401, 403, 404):
                raise
            form.refuse(error)
            return await self._member_page(
                request, api, me, member_id, hand_over=form, status_code=refusal_status(error)
            )
        total = moved_total(moved)
        log.info("member.handed_over", member_id=member_id, moved=total)
        return redirect(request, f"/w/settings/members/{member_id}?moved={total}")

    # ---- invitations

    async def _invitations_page(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, form: Form, status_code: int = 200
    ) -> Template:
        invitations = await api.invitations()
        return settings_page(
            request,
            "settings/_invitations.html",
            me,
            _("Invitations"),
            "invitations",
            invitations=sorted(invitations, key=lambda i: i.created_at, reverse=True),
            form=form,
            role_options=[(role, role_label(role)) for role in BUILT_IN_ROLES if role != "owner"],
            status_code=status_code,
        )

    @get("/invitations")
    async def invitations(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        require_admin(me)
        return await self._invitations_page(request, api, me, Form(INVITE_FIELDS, values={"role": "sales_rep"}))

    @post("/invitations")
    async def invite(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any]:
        require_admin(me)
        form, submitted = Form.read(INVITE_FIELDS, await request.form())
        form.require(submitted, "email", "role")
        if form.invalid:
            return await self._invitations_page(request, api, me, form, 422)
        try:
            invitation = await api.invite(email=submitted["email"].strip(), role=submitted["role"])
        except ApiError as error:
            if error.status in (401, 403):
                raise
            form.refuse(error)
            return await self._invitations_page(request, api, me, form, refusal_status(error))
        log.info("invitation.sent", invitation_id=str(invitation.id))
        return redirect(request, "/w/settings/invitations?done=invited")

    @post("/invitations/{invitation_id:str}/resend")
    async def resend(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        invitation_id: FromPath[str],
    ) -> Response[Any]:
        require_admin(me)
        await api.resend_invitation(invitation_id)
        return redirect(request, "/w/settings/invitations?done=resent")

    @post("/invitations/{invitation_id:str}/revoke")
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        invitation_id: FromPath[str],
    ) -> Response[Any]:
        require_admin(me)
        await api.revoke_invitation(invitation_id)
        return redirect(request, "/w/settings/invitations?done=revoked")

    # ---- departments

    async def _departments_page(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, form: Form, status_code: int = 200
    ) -> Template:
        departments = await api.departments()
        members = await api.members()
        return settings_page(
            request,
            "settings/_departments.html",
            me,
            _("Departments"),
            "departments",
            department_tree=department_tree(departments),
            people=by_id(members),
            department_options=department_options(departments),
            member_options=[(str(m.id), m.name) for m in members if m.status == "active"],
            form=form,
            status_code=status_code,
        )

    @get("/departments")
    async def departments(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        require_admin(me)
        return await self._departments_page(request, api, me, Form(DEPARTMENT_FIELDS))

    @post("/departments")
    async def add_department(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any]:
        require_admin(me)
        form, submitted = Form.read(DEPARTMENT_FIELDS, await request.form())
        form.require(submitted, "name")
        if form.invalid:
            return await self._departments_page(request, api, me, form, 422)
        try:
            await api.add_department(
                name=submitted["name"].strip(),
                parent_id=optional_id(submitted["parent_id"]),
                head_id=optional_id(submitted["head_id"]),
            )
        except ApiError as error:
            if error.status in (401, 403):
                raise
            form.refuse(error)
            return await self._departments_page(request, api, me, form, refusal_status(error))
        return redirect(request, "/w/settings/departments?done=department-added")

    # ---- API tokens (each user's own, in the current workspace)

    async def _tokens_page(
        self,
        request: Request[Any, Any, Any],
        api: ApiCaller,
        me: Me,
        form: Form,
        status_code: int = 200,
        secret: str | None = None,
    ) -> Template:
        tokens = await api.api_tokens()
        return settings_page(
            request,
            "settings/_tokens.html",
            me,
            _("API tokens"),
            "tokens",
            tokens=sorted(tokens, key=lambda t: (t.revoked, t.created_at), reverse=False),
            form=form,
            modules=TOKEN_MODULES,
            expiry_options=[
                (str(days), ngettext("%(num)d day", "%(num)d days", days) % {"num": days}) for days in TOKEN_EXPIRY_DAYS
            ],
            secret=secret,
            status_code=status_code,
        )

    @get("/tokens")
    async def tokens(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        return await self._tokens_page(request, api, me, Form(TOKEN_FIELDS, values={"expires_in_days": "90"}))

    @post("/tokens")
    async def create_token(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any]:
        data = await request.form()
        form, submitted = Form.read(TOKEN_FIELDS, data)
        known = {f"{module}:{access}" for module, _label in TOKEN_MODULES for access in ("read", "write")}
        scopes = [scope for scope in chosen(data, "scopes") if scope in known]
        form.choices["scopes"] = scopes
        form.require(submitted, "name")
        if not scopes:
            form.errors["scopes"] = [_("Choose at least one permission.")]
        days = submitted["expires_in_days"]
        if days and not days.isdigit():
            form.errors["expires_in_days"] = [_("Choose one of the listed options.")]
        if form.invalid:
            return await self._tokens_page(request, api, me, form, 422)
        try:
            created = await api.create_api_token(
                name=submitted["name"].strip(), scopes=scopes, expires_in_days=int(days) if days else None
            )
        except ApiError as error:
            if error.status in (401, 403):
                raise
            form.refuse(error)
            return await self._tokens_page(request, api, me, form, refusal_status(error))
        log.info("api_token.created", token_id=str(created.details.id))
        # The secret exists only in this response: the API keeps a hash and never shows it again.
        fresh = Form(TOKEN_FIELDS, values={"expires_in_days": "90"})
        return await self._tokens_page(request, api, me, fresh, 201, secret=created.token)

    @post("/tokens/{token_id:str}/revoke")
    async def revoke_token(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        token_id: FromPath[str],
    ) -> Response[Any]:
        await api.revoke_api_token(token_id)
        log.info("api_token.revoked", token_id=token_id)
        return redirect(request, "/w/settings/tokens?done=token-revoked")

    # ---- two-factor sign-in (each user's own, for every workspace)

    def _two_factor_page(
        self,
        request: Request[Any, Any, Any],
        me: Me,
        *,
        status_code: int = 200,
        setup: TwoFactorSetup | None = None,
        confirm: Form | None = None,
        disable: Form | None = None,
        recovery_codes: list[str] | None = None,
        already_on: bool = False,
    ) -> Template:
        link = setup.otpauth_uri if setup else ""
        return settings_page(
            request,
            "settings/_two_factor.html",
            me,
            _("Two-factor sign-in"),
            "two-factor",
            # /me tells whether it is on; a refusal to turn it on again means it was turned on meanwhile.
            enabled=me.user.two_factor_enabled or already_on,
            already_on=already_on,
            setup=setup,
            qr_code=qr_svg(link, _("QR code for your authenticator app")) if link else None,
            confirm=confirm or Form(TWO_FACTOR_CONFIRM_FIELDS),
            disable=disable or Form(TWO_FACTOR_DISABLE_FIELDS),
            recovery_codes=recovery_codes,
            status_code=status_code,
        )

    @get("/two-factor")
    async def two_factor(self, request: Request[Any, Any, Any], me: NamedDependency[Me]) -> Template:
        return self._two_factor_page(request, me)

    @post("/two-factor")
    async def begin_two_factor(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        try:
            setup = await api.begin_two_factor()
        except ApiError as error:
            if error.status == 409:
                return self._two_factor_page(request, me, status_code=409, already_on=True)
            raise
        log.info("two_factor.setup_started")
        return self._two_factor_page(request, me, setup=setup)

    @post("/two-factor/confirm")
    async def confirm_two_factor(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        data = await request.form()
        # The secret being set up comes back with the code only so that a wrong code can show it again.
        setup = TwoFactorSetup(secret=str(data.get("secret") or ""), otpauth_uri=str(data.get("otpauth_uri") or ""))
        if not setup.otpauth_uri.startswith(OTPAUTH_SCHEME) or len(setup.otpauth_uri) > OTPAUTH_MAX_LENGTH:
            setup.otpauth_uri = ""
        form, submitted = Form.read(TWO_FACTOR_CONFIRM_FIELDS, data)
        form.values.pop("code", None)
        form.require(submitted, "code")
        if form.invalid:
            return self._two_factor_page(request, me, status_code=422, setup=setup, confirm=form)
        try:
            answer = await api.confirm_two_factor(one_time_code(submitted["code"]))
        except ApiError as error:
            if error.status in (401, 403):
                raise
            refuse_code(form, error)
            return self._two_factor_page(request, me, status_code=refusal_status(error), setup=setup, confirm=form)
        log.info("two_factor.enabled")
        # The recovery codes exist only in this response: the API keeps hashes and never shows them again.
        return self._two_factor_page(request, me, recovery_codes=answer.recovery_codes)

    @post("/two-factor/disable")
    async def disable_two_factor(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any]:
        if not me.user.two_factor_enabled:
            return redirect(request, "/w/settings/two-factor")  # a page left open after turning it off elsewhere
        form, submitted = Form.read(TWO_FACTOR_DISABLE_FIELDS, await request.form())
        form.values.pop("code", None)
        form.require(submitted, "code")
        if form.invalid:
            return self._two_factor_page(request, me, status_code=422, disable=form)
        try:
            await api.disable_two_factor(one_time_code(submitted["code"]))
        except ApiError as error:
            if error.status in (401, 403):
                raise
            refuse_code(form, error)
            return self._two_factor_page(request, me, status_code=refusal_status(error), disable=form)
        log.info("two_factor.disabled")
        return redirect(request, "/w/settings/two-factor?done=two-factor-off")

    # ---- audit log

    @get("/audit")
    async def audit(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        action: FromQuery[str] = "",
        cursor: FromQuery[str] = "",
    ) -> Template:
        require_admin(me)
        action = action.strip()
        page = await api.audit(action=action or None, cursor=cursor or None)
        try:
            people = by_id(await api.members())
        except (ApiError, ApiUnavailable):
            people = {}
        older = (
            "/w/settings/audit?" + urlencode({"action": action, "cursor": page.next_cursor})
            if page.next_cursor
            else None
        )
        csv_href = "/w/settings/audit.csv" + ("?" + urlencode({"action": action}) if action else "")
        return settings_page(
            request,
            "settings/_audit.html",
            me,
            _("Audit log"),
            "audit",
            entries=page.items,
            people=people,
            action=action,
            older=older,
            newest="/w/settings/audit" + ("?" + urlencode({"action": action}) if action else "") if cursor else None,
            csv_href=csv_href,
        )

    @get("/audit.csv")
    async def audit_csv(
        self, api: NamedDependency[ApiCaller], me: NamedDependency[Me], action: FromQuery[str] = ""
    ) -> Stream:
        require_admin(me)
        return csv_download(await api.open_audit_csv(action=action.strip() or None), "audit-log.csv")

    # ---- roles and their permissions

    async def _roles_page(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, form: RoleForm, status_code: int = 200
    ) -> Template:
        roles = await api.roles()
        return settings_page(
            request,
            "settings/_roles.html",
            me,
            _("Roles"),
            "roles",
            roles=roles,
            role_name=role_name,
            form=form,
            status_code=status_code,
            **grid_context(),
        )

    @get("/roles")
    async def roles(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        require_admin(me)
        return await self._roles_page(request, api, me, RoleForm(ROLE_FIELDS, values=grid_values({})))

    @post("/roles")
    async def create_role(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any]:
        require_admin(me)
        form, submitted = RoleForm.read(ROLE_FIELDS, await request.form())
        permissions, unknown = read_grid(submitted)
        form.require(submitted, "name")
        for name in unknown:
            form.errors[name] = [_("Choose one of the listed options.")]
        if form.invalid:
            return await self._roles_page(request, api, me, form, 422)
        try:
            role = await api.create_role(name=submitted["name"].strip(), permissions=permissions)
        except ApiError as error:
            if error.status in (401, 403):
                raise
            form.refuse(error)
            return await self._roles_page(request, api, me, form, refusal_status(error))
        log.info("role.created", role=role.key)
        return redirect(request, f"/w/settings/roles/{quote(role.key, safe='')}?done=role-created")

    async def _role_page(
        self,
        request: Request[Any, Any, Any],
        api: ApiCaller,
        me: Me,
        key: str,
        tab: RoleTab,
        *,
        form: Form | None = None,
        rules: FieldRules | None = None,
        refusal: str | None = None,
        status_code: int = 200,
    ) -> Template:
        """A role's page on one of its tabs: the permission grid, or the field permissions."""
        role = next((role for role in await api.roles() if role.key == key), None)
        if role is None:
            raise NotFoundException
        if tab is FIELDS_TAB:
            rules = rules or await api.role_fields(key)
            form = form or FieldRulesForm(cells(rules), values=field_grid_values(rules))
            if isinstance(form, FieldRulesForm):
                form.rules = rules  # its labels name custom fields as the workspace does
            context: dict[str, Any] = {
                "rules": rules,
                "access_options": [(value, _(label)) for value, label in ACCESS_LABELS.items()],
                "mask_options": [(value, _(label)) for value, label in MASK_LABELS.items()],
                "field_title": field_title,
                "field_groups": field_groups,
                "module_title": module_title,
            }
        else:
            form = form or RoleForm(ROLE_FIELDS, values=grid_values(role.permissions))
            context = grid_context()
        return settings_page(
            request,
            tab.template,
            me,
            role_name(role),
            "roles",
            role=role,
            role_name=role_name,
            read_only=role.key == OWNER_ROLE,
            form=form,
            refusal=refusal,
            status_code=status_code,
            **context,
        )

    async def _save_role(
        self,
        request: Request[Any, Any, Any],
        api: ApiCaller,
        me: Me,
        key: str,
        tab: RoleTab,
        form: Form,
        unknown: list[str],
        save: Callable[[], Awaitable[object]],
        rules: FieldRules | None = None,
    ) -> Response[Any]:
        """Save one tab of a role: the owner's is fixed, unknown choices are refused in their cells, the API's
        refusals shown where they belong; back to the tab with its notice."""
        if key == OWNER_ROLE:
            return await self._role_page(request, api, me, key, tab, refusal=_(tab.owner_refusal), status_code=403)
        for name in unknown:
            form.errors[name] = [_("Choose one of the listed options.")]
        if form.invalid:
            return await self._role_page(request, api, me, key, tab, form=form, rules=rules, status_code=422)
        try:
            await save()
        except ApiError as error:
            if error.status == 403:
                return await self._role_page(
                    request, api, me, key, tab, form=form, rules=rules, refusal=_(tab.locked), status_code=403
                )
            if error.status in (401, 404):
                raise
            form.refuse(error)
            return await self._role_page(
                request, api, me, key, tab, form=form, rules=rules, status_code=refusal_status(error)
            )
        log.info(tab.event, role=key)
        return redirect(request, f"/w/settings/roles/{quote(key, safe='')}{tab.path}?done={tab.done}")

    @get("/roles/{key:str}")
    async def role(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        key: FromPath[str],
    ) -> Template:
        require_admin(me)
        return await self._role_page(request, api, me, key, PERMISSIONS_TAB)

    @post("/roles/{key:str}")
    async def update_role(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        key: FromPath[str],
    ) -> Response[Any]:
        require_admin(me)
        form, submitted = RoleForm.read(ROLE_FIELDS, await request.form())
        form.values.pop("name", None)
        permissions, unknown = read_grid(submitted)
        return await self._save_role(
            request, api, me, key, PERMISSIONS_TAB, form, unknown, lambda: api.update_role_permissions(key, permissions)
        )

    @get("/roles/{key:str}/fields")
    async def role_fields(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        key: FromPath[str],
    ) -> Template:
        require_admin(me)
        return await self._role_page(request, api, me, key, FIELDS_TAB)

    @post("/roles/{key:str}/fields")
    async def update_role_fields(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        key: FromPath[str],
    ) -> Response[Any]:
        require_admin(me)
        rules = await api.role_fields(key)
        form, submitted = FieldRulesForm.read(cells(rules), await request.form())
        fields, unknown = read_field_grid(submitted, rules)
        return await self._save_role(
            request, api, me, key, FIELDS_TAB, form, unknown, lambda: api.set_role_fields(key, fields), rules
        )

    @post("/roles/{key:str}/delete")
    async def delete_role(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        key: FromPath[str],
    ) -> Response[Any]:
        require_admin(me)
        try:
            await api.delete_role(key)
        except ApiError as error:
            if error.status == 403:
                refusal = _("Built-in roles cannot be deleted.")
            elif error.status == 409 and error.kind == "role-in-use":
                refusal = _("Some members still have this role. Give them another role first, then delete it.")
            elif error.status in (401, 404):
                raise
            else:
                refusal = _("We could not complete this right now. Please try again in a moment.")
            return await self._role_page(
                request, api, me, key, PERMISSIONS_TAB, refusal=refusal, status_code=refusal_status(error)
            )
        log.info("role.deleted", role=key)
        return redirect(request, "/w/settings/roles?done=role-deleted")

    # ---- the workspace's general settings

    async def _general_page(
        self,
        request: Request[Any, Any, Any],
        api: ApiCaller,
        me: Me,
        *,
        form: Form | None = None,
        needs_two_factor: bool = False,
        status_code: int = 200,
    ) -> Template:
        workspace: WorkspaceSettings = await api.workspace_settings()
        if form is None:
            form = Form(
                GENERAL_FIELDS,
                values={
                    "audit_retention_days": str(workspace.audit_retention_days),
                    "require_two_factor": "on" if workspace.require_two_factor else "",
                },
            )
        return settings_page(
            request,
            "settings/_general.html",
            me,
            _("General"),
            "general",
            workspace=workspace,
            form=form,
            needs_two_factor=needs_two_factor,
            retention=RETENTION_DAYS,
            status_code=status_code,
        )

    @get("/general")
    async def general(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        require_admin(me)
        return await self._general_page(request, api, me)

    @post("/general")
    async def update_general(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any]:
        require_admin(me)
        form, submitted = Form.read(GENERAL_FIELDS, await request.form())
        out_of_range = _("Enter a number of days from %(low)d to %(high)d.") % {
            "low": RETENTION_DAYS[0],
            "high": RETENTION_DAYS[1],
        }
        days = retention_days(submitted["audit_retention_days"])
        if days is None:
            form.errors["audit_retention_days"] = [out_of_range]
            return await self._general_page(request, api, me, form=form, status_code=422)
        changes = {"audit_retention_days": days, "require_two_factor": bool(submitted["require_two_factor"])}
        try:
            await api.update_workspace_settings(changes)
        except ApiError as error:
            if error.status in (401, 403):
                raise
            if error.status == 409 and error.kind == "two-factor-not-enabled":
                form.errors["require_two_factor"] = [_("Turn on two-factor sign-in for yourself first.")]
                return await self._general_page(request, api, me, form=form, needs_two_factor=True, status_code=409)
            if error.status == 422 and any(p.field == "audit_retention_days" for p in error.field_errors):
                form.errors["audit_retention_days"] = [out_of_range]
            else:
                form.refuse(error)
            return await self._general_page(request, api, me, form=form, status_code=refusal_status(error))
        log.info("workspace_settings.saved", **changes)
        return redirect(request, "/w/settings/general?done=settings-saved")
