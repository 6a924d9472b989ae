"""Input and output shapes of the identity API (msgspec: fast, and named fields in every error)."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec
from msgspec import UNSET, UnsetType


class SignupRequest(msgspec.Struct, forbid_unknown_fields=True):
    company_name: str
    name: str
    email: str
    password: str
    locale: str = "en"


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    password: str


class UserOut(msgspec.Struct):
    id: uuid.UUID
    email: str
    name: str
    locale: str
    email_verified: bool
    # False for a person who signed up through an identity provider and has not set a password yet.
    has_password: bool = False
    two_factor_enabled: bool = False  # reported by GET /api/v1/me
    timezone: str | None = None  # the IANA zone the person chose; None follows the workspace's


class WorkspaceOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    role: str
    locale: str
    status: str


class SessionOut(msgspec.Struct):
    """A new session. Browsers get it as cookies too; API clients send ``Authorization: Bearer``."""

    token: str
    csrf_token: str
    expires_at: dt.datetime
    user: UserOut
    workspace: WorkspaceOut | None


class BillingBadge(msgspec.Struct):
    """The current workspace's subscription as every page needs it (a banner when it is not simply paid)."""

    status: str  # trialing | active | past_due | read_only | canceled
    plan: str
    trial_ends_at: dt.datetime | None = None
    features: list[str] = []  # the plan's features: pages leave out what the plan does not include


class MeOut(msgspec.Struct):
    user: UserOut
    workspace: WorkspaceOut | None
    workspaces: list[WorkspaceOut]
    csrf_token: str
    # The zone times are shown and typed in: the person's own, else the workspace's, else its language's.
    timezone: str = "UTC"
    billing: BillingBadge | None = None
    operator: bool = False  # runs the installation: the operator's pages are open to them


class ProfileUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: str | None = None
    locale: str | None = None
    timezone: str | UnsetType | None = UNSET  # null: follow the workspace's zone again


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    """Change your password; leave ``current_password`` out only to set a first one (no password yet)."""

    new_password: str
    current_password: str | None = None


class WorkspaceCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    locale: str = "en"


class WorkspaceSwitch(msgspec.Struct, forbid_unknown_fields=True):
    workspace_id: uuid.UUID


class VerifyEmailRequest(msgspec.Struct, forbid_unknown_fields=True):
    token: str


class ResetRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: str


class ResetConfirm(msgspec.Struct, forbid_unknown_fields=True):
    token: str
    password: str


class TokenOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None
    last_used_ip: str | None = None
    revoked: bool = False


class TokenCreated(msgspec.Struct):
    token: str  # shown once; only its hash is kept
    details: TokenOut


class MfaLogin(msgspec.Struct, forbid_unknown_fields=True):
    mfa_token: str
    code: str


class TwoFactorCode(msgspec.Struct, forbid_unknown_fields=True):
    code: str


class TwoFactorSetup(msgspec.Struct):
    secret: str
    otpauth_uri: str


class RecoveryCodes(msgspec.Struct):
    recovery_codes: list[str]  # shown once
