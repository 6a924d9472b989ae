"""HTML forms: what the user typed (never the password), and the API's refusals shown field by field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Self

from guanxi import locales
from litestar.datastructures import FormMultiDict

from guanxi_web import i18n
from guanxi_web.api_client import ApiError, FieldProblem
from guanxi_web.i18n import N_, _
from guanxi_web.permissions import ACTION_LABELS, ACTIONS, MODULE_LABELS, MODULES, cell

SECRET_FIELDS = frozenset({"password", "current_password", "new_password"})

LOGIN_FIELDS = {"email": N_("Email"), "password": N_("Password")}
SIGNUP_FIELDS = {
    "company_name": N_("Company name"),
    "name": N_("Your name"),
    "email": N_("Work email"),
    "password": N_("Password"),
    "locale": N_("Language"),
}
WORKSPACE_FIELDS = {"name": N_("Workspace name"), "locale": N_("Language")}
PROFILE_FIELDS = {"name": N_("Your name"), "locale": N_("Language"), "timezone": N_("Time zone")}
PASSWORD_FIELDS = {"current_password": N_("Current password"), "new_password": N_("New password")}
MEMBER_FIELDS = {"roles": N_("Roles"), "department_id": N_("Department"), "manager_id": N_("Manager")}
HAND_OVER_FIELDS = {"to_member_id": N_("Hand over to")}
INVITE_FIELDS = {"email": N_("Email"), "role": N_("Role")}
DEPARTMENT_FIELDS = {"name": N_("Department name"), "parent_id": N_("Part of"), "head_id": N_("Head")}
TOKEN_FIELDS = {"name": N_("Token name"), "scopes": N_("Permissions"), "expires_in_days": N_("Expires")}
RESET_REQUEST_FIELDS = {"email": N_("Email")}
RESET_FIELDS = {"password": N_("New password")}
LOGIN_CODE_FIELDS = {"code": N_("Authentication code")}
TWO_FACTOR_CONFIRM_FIELDS = {"code": N_("Code from your app")}
TWO_FACTOR_DISABLE_FIELDS = {"code": N_("Authentication or recovery code")}
ACCEPT_FIELDS = {"name": N_("Your name"), "password": N_("Password")}
# A role's permission grid: one select per module and action, named like the API's error fields.
GRID_FIELDS = {cell(module, action): MODULE_LABELS[module] for module in MODULES for action in ACTIONS}
ROLE_FIELDS = {"name": N_("Role name"), **GRID_FIELDS}
GENERAL_FIELDS = {
    "audit_retention_days": N_("Keep the audit log for (days)"),
    "require_two_factor": N_("Require two-factor sign-in for everyone"),
}

_NUMBER = re.compile(r"\d+")
_INDEX = re.compile(r"\[\d+\]$")


@dataclass
class Form:
    """One form's state between a failed submit and its re-rendering."""

    fields: Mapping[str, str]
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)
    # The ticked boxes of a field that takes several values (roles, scopes).
    choices: dict[str, list[str]] = field(default_factory=dict)
    # The API's name of a field -> this form's, where they differ (a contact's "phones" typed in as "phone").
    aliases: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, fields: Mapping[str, str], data: FormMultiDict) -> tuple[Self, dict[str, str]]:
        """The submitted values; the form keeps all but the secret ones for re-rendering."""
        submitted = {name: str(data.get(name) or "") for name in fields}
        kept = {name: value for name, value in submitted.items() if name not in SECRET_FIELDS}
        return cls(fields, values=kept), submitted

    def label(self, name: str) -> str:
        return _(self.fields[name])

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name) or default

    @property
    def invalid(self) -> bool:
        return bool(self.errors or self.summary)

    def keep_supported_locale(self, submitted: dict[str, str]) -> None:
        """A language the product does not speak falls back to the page's own (tampered or stale form)."""
        if submitted.get("locale") not in locales.SUPPORTED:
            submitted["locale"] = self.values["locale"] = i18n.current_locale()

    def require(self, submitted: Mapping[str, str], *names: str) -> None:
        for name in names:
            if not submitted.get(name, "").strip():
                self.errors.setdefault(name, []).append(_("This field is required."))

    def refuse(self, error: ApiError) -> None:
        """Put each of the API's field errors under its field; everything else in the summary."""
        if error.status == 429:
            wait = i18n.duration(error.retry_after or 60)
            if error.kind == "sign-in-locked":
                message = _(
                    "Too many failed sign-ins with this email. Please wait %(wait)s, or reset your password to "
                    "sign in now."
                )
            else:
                message = _("Too many attempts. Please wait %(wait)s and try again.")
            self.summary.append(message % {"wait": wait})
            return
        if error.kind == "invalid-credentials":
            self.summary.append(_("The email or password is incorrect."))
            return
        if error.status >= 500:
            self.summary.append(_("We could not complete this right now. Please try again in a moment."))
            return
        for problem in error.field_errors:
            name = self.field_of(problem.field)
            if name in self.fields:
                self.errors.setdefault(name, []).append(field_message(problem))
            else:
                self.summary.append(field_message(problem))
        if not self.invalid:
            self.summary.append(_("Something went wrong. Please check the form and try again."))

    def field_of(self, api_field: str) -> str:
        """The form field an API error names: one entry of a list ("tags[2]") is shown under the list."""
        name = _INDEX.sub("", api_field)
        return self.aliases.get(name, name)

    def unavailable(self) -> None:
        self.summary.append(_("We could not complete this right now. Please try again in a moment."))


class RoleForm(Form):
    """A role's name and permission grid; a cell is labelled by its module and action."""

    def label(self, name: str) -> str:
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "permissions" and parts[1] in MODULE_LABELS and parts[2] in ACTION_LABELS:
            return _("%(module)s: %(action)s") % {
                "module": _(MODULE_LABELS[parts[1]]),
                "action": _(ACTION_LABELS[parts[2]]),
            }
        return super().label(name)


def one_time_code(value: str) -> str:
    """Codes are often typed or pasted with spaces ("123 456"); the API wants them without."""
    return "".join(value.split())


def refuse_code(form: Form, error: ApiError) -> None:
    """A wrong, old or already used code is said in the reader's language, under the code field."""
    if error.status == 422 and any(problem.field == "code" for problem in error.field_errors):
        form.errors.setdefault("code", []).append(
            _("This code is not right or was already used. Wait for the next code in your app and try again.")
        )
        return
    form.refuse(error)


def refusal_status(error: ApiError) -> int:
    """A failed submit answers with the API's own 4xx status; trouble on the API's side is a 503."""
    return error.status if 400 <= error.status < 500 else 503


def field_message(problem: FieldProblem) -> str:
    """The API explains in English; known codes are said again in the reader's language."""
    limit = next(iter(_NUMBER.findall(problem.message)), None)
    if problem.code == "required":
        return _("This field is required.")
    if problem.code == "too_short" and limit:
        return _("Use at least %(count)s characters.") % {"count": limit}
    if problem.code == "too_long" and limit:
        return _("Use at most %(count)s characters.") % {"count": limit}
    if problem.code == "invalid_email":
        return _("Enter a valid email address, like name@company.com.")
    if problem.code == "email-taken":
        return _("An account with this email already exists. Sign in instead.")
    if problem.code == "weak_password":
        return _("This password is too easy to guess. Try a longer phrase of unrelated words.")
    if problem.code == "invalid_choice":
        return _("Choose one of the listed options.")
    if problem.code == "wrong_password":
        return _("This is not your current password.")
    if problem.code == "same_password":
        return _("Choose a password different from your current one.")
    if problem.code == "field_forbidden":
        return _("Your role may not change this field.")
    if problem.code == "invalid_phone":
        return _("Enter a phone number: digits, spaces and + ( ) - . / only.")
    if problem.code == "invalid_url":
        return _("Enter a web address, like www.example.com.")
    if problem.code == "out_of_scope":
        return _("Your role may not give records to this person.")
    if problem.code == "invalid_date":
        return _("Enter a date that exists, like 2026-02-28.")
    if problem.code == "plan_limit":
        return _("The workspace's plan has no room for this. The owner can move to a larger plan on the billing page.")
    if problem.code == "unknown_field":
        return _("This field is no longer offered. Reload the page.")
    numbers = _NUMBER.findall(problem.message)
    if problem.code == "out_of_range" and len(numbers) == 2:
        return _("Enter a value from %(low)s to %(high)s.") % {"low": numbers[0], "high": numbers[1]}
    return problem.message[:1].upper() + problem.message[1:]
