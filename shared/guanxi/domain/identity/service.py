"""Sign-up, sign-in, sessions and workspaces of a user. No HTTP here, and no commit: the edge commits."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from guanxi_tenants import defaults
from msgspec import UNSET, UnsetType
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi import ratelimit, signing
from guanxi.config import get_settings
from guanxi.db.base import new_id, utcnow
from guanxi.db.tenancy import TenantScope
from guanxi.domain.audit import service as audit
from guanxi.domain.identity import repository, validation
from guanxi.domain.identity.models import AuthSession, Membership, User
from guanxi.domain.identity.passwords import MAX_LENGTH, hash_password, verify_password
from guanxi.domain.outbox.service import enqueue
from guanxi.domain.tenancy import repository as tenancy_repository
from guanxi.domain.tenancy.models import Tenant
from guanxi.domain.tenancy.service import provision_workspace
from guanxi.errors import DomainError, FieldError, conflict, forbidden, not_authenticated, validation_error

log = structlog.get_logger("identity")

VERIFY_PURPOSE = "verify-email"
VERIFY_MAX_AGE = 7 * 24 * 3600


@dataclass(frozen=True)
class SignupInput:
    company_name: str
    name: str
    email: str
    password: str
    locale: str = "en"


@dataclass(frozen=True)
class IssuedSession:
    token: str
    csrf_token: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class AuthContext:
    """Who is calling, and in which workspace: built only from a valid session."""

    user: User
    session_token_hash: str
    csrf_token: str
    tenant: Tenant | None
    role: str | None
    token_id: uuid.UUID | None = None  # set when the caller is an integration's API token
    token_scopes: tuple[str, ...] = ()

    @property
    def actor_kind(self) -> str:
        return "api_token" if self.token_id else "user"

    def token_allows(self, module: str, action: str) -> bool:
        """An API token reaches only the modules and access it was given (``deals:read``, ``*:write``)."""
        if self.token_id is None:
            return True
        level = "read" if action == "read" else "write"
        wanted = {f"{module}:{level}", f"*:{level}"}
        if level == "read":
            wanted |= {f"{module}:write", "*:write"}
        return bool(wanted & set(self.token_scopes))

    def require_token_scope(self, module: str, action: str) -> None:
        if not self.token_allows(module, action):
            level = "read" if action == "read" else "write"
            raise forbidden(f"This API token lacks the {module}:{level} scope.")

    @property
    def scope(self) -> TenantScope:
        if self.tenant is None:
            raise DomainError(
                detail="Choose a workspace first.", status=409, type="no-workspace", title="No workspace selected"
            )
        if self.tenant.status != "active":
            raise DomainError(
                detail="This workspace is suspended.",
                status=423,
                type="workspace-suspended",
                title="Workspace suspended",
            )
        return TenantScope(
            tenant_id=self.tenant.id, schema=self.tenant.schema_name, user_id=self.user.id, role=self.role
        )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _validate_signup(data: SignupInput) -> SignupInput:
    errors: list[FieldError] = []
    company, error = validation.clean_text("company_name", data.company_name)
    errors += [error] if error else []
    name, error = validation.clean_text("name", data.name)
    errors += [error] if error else []
    email, error = validation.normalise_email(data.email)
    errors += [error] if error else []
    if error := validation.check_password(data.password, related=[email, name, company]):
        errors.append(error)
    if error := validation.check_locale(data.locale):
        errors.append(error)
    if errors:
        raise validation_error(*errors)
    return SignupInput(company_name=company, name=name, email=email, password=data.password, locale=data.locale)


def email_taken() -> DomainError:
    return conflict("email", "An account with this email already exists. Sign in instead.", "email-taken")


async def signup(
    session: AsyncSession, data: SignupInput, *, client_ip: str, user_agent: str | None
) -> tuple[User, Tenant, IssuedSession]:
    """Create the workspace, its schema, the owner and a session: all or nothing (one transaction)."""
    data = _validate_signup(data)
    if await repository.email_exists(session, data.email):
        raise email_taken()
    user, tenant = await create_owner_with_workspace(
        session,
        email=data.email,
        name=data.name,
        locale=data.locale,
        company_name=data.company_name,
        password_hash=await hash_password(data.password),
        email_verified=False,
        client_ip=client_ip,
    )
    issued = await open_session(session, user.id, tenant.id, user_agent)
    return user, tenant, issued


async def create_owner_with_workspace(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    locale: str,
    company_name: str,
    password_hash: str | None,
    email_verified: bool,
    client_ip: str,
    **detail: str,
) -> tuple[User, Tenant]:
    """A new person, their workspace (schema, defaults), membership, audit entry and welcome mail job:
    what every sign-up creates, whatever the way in (password, identity provider)."""
    settings = get_settings()
    await ratelimit.enforce(
        f"signup:{client_ip}", settings.signups_per_ip_per_hour, 3600, "Too many sign-ups from this address."
    )
    user = User(
        id=new_id(),
        email=email,
        name=name,
        locale=locale,
        password_hash=password_hash,
        email_verified_at=utcnow() if email_verified else None,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as error:  # a concurrent sign-up won the race for this address
        raise email_taken() from error
    tenant, scope = await provision_workspace(session, name=company_name, locale=locale, owner_id=user.id)
    session.add(Membership(id=new_id(), user_id=user.id, tenant_id=tenant.id, role="owner"))
    await audit.record(session, scope, "workspace.created", actor_id=user.id, ip=client_ip, name=tenant.name, **detail)
    await enqueue(session, "email.send_welcome", {"user_id": str(user.id)}, tenant_id=tenant.id)
    log.info("signup.completed", tenant_id=str(tenant.id), user_id=str(user.id), **detail)
    return user, tenant


async def open_session(
    session: AsyncSession, user_id: uuid.UUID, tenant_id: uuid.UUID | None, user_agent: str | None
) -> IssuedSession:
    token = "gxs_" + secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    expires = utcnow() + dt.timedelta(days=get_settings().session_days)
    session.add(
        AuthSession(
            token_hash=hash_token(token),
            user_id=user_id,
            tenant_id=tenant_id,
            csrf_token=csrf,
            expires_at=expires,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    await session.flush()
    return IssuedSession(token=token, csrf_token=csrf, expires_at=expires)


def invalid_credentials() -> DomainError:
    return DomainError(
        detail="Email or password is incorrect.", status=401, type="invalid-credentials", title="Sign-in failed"
    )


def _wait(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"


def sign_in_locked(seconds: int) -> DomainError:
    """The same for every address, known or not: the answer must not tell whether an account exists."""
    return DomainError(
        detail=(
            f"Too many failed sign-ins with this email. Try again in {_wait(seconds)}, or reset the password "
            "to sign in at once."
        ),
        status=429,
        type="sign-in-locked",
        title="Sign-in locked",
        headers={"Retry-After": str(seconds)},
    )


def lockout_key(address: str) -> str:
    return f"login-lockout:{address}"


def login_backoff() -> ratelimit.Backoff:
    settings = get_settings()
    return ratelimit.Backoff(
        failures=settings.login_lockout_failures,
        first_seconds=settings.login_lockout_seconds,
        max_seconds=settings.login_lockout_max_seconds,
        memory_seconds=settings.login_lockout_memory_seconds,
    )


async def login(
    session: AsyncSession, email: str, password: str, *, client_ip: str, user_agent: str | None
) -> tuple[User, IssuedSession]:
    """Sign in. Failures never tell whether the address exists, and are limited per address and IP.

    An email with too many failed sign-ins in a row is locked for a while that doubles at each lockout,
    whether an account has it or not (the lock lives in Redis only); a locked email is refused before
    any query or hashing, so its answer and its cost are the same either way.
    """
    settings = get_settings()
    address = email.strip().lower()[:254]
    if locked := await ratelimit.locked_for(lockout_key(address)):
        log.info("login.locked", seconds_left=locked)
        raise sign_in_locked(locked)
    # Every attempt is counted before any work, atomically, so parallel guesses cannot slip past the limit:
    # per client address and email, per client address alone, then against the email's lockout.
    buckets = (
        (f"login:{client_ip}:{address}", settings.login_attempts_per_window),
        (f"login-ip:{client_ip}", settings.login_attempts_per_window * 5),
    )
    for key, limit in buckets:
        allowed, retry = await ratelimit.hit(key, limit, settings.login_window_seconds)
        if not allowed:
            raise DomainError(
                detail="Too many sign-in attempts. Try again later.",
                status=429,
                type="rate-limited",
                title="Too many requests",
                headers={"Retry-After": str(retry)},
            )
    attempt = await ratelimit.attempt(lockout_key(address), login_backoff())
    if attempt.refused_for:
        log.info("login.locked", seconds_left=attempt.refused_for)
        raise sign_in_locked(attempt.refused_for)
    # No password we accept is longer than MAX_LENGTH, and no address holds a NUL: such input is refused
    # like a wrong password, without spending hashing time or a query on it (the decoy hash still runs).
    plausible = len(password) <= MAX_LENGTH and "\x00" not in address
    user = await repository.user_by_email(session, address) if plausible else None
    user_id, password_hash = (user.id, user.password_hash) if user else (None, None)
    await session.rollback()  # the connection goes back to the pool while argon2 works
    if user_id is None or not await verify_password(password_hash, password[:MAX_LENGTH]):
        log.info("login.failed")
        if attempt.locks_for:
            log.info("login.locked_out", seconds=attempt.locks_for)
        if user_id is not None:
            # The request fails, but its trace must stay: these are the only writes committed on a refusal.
            await audit_everywhere(session, user_id, "auth.login_failed", client_ip)
            if attempt.locks_for:
                await audit_everywhere(
                    session,
                    user_id,
                    "auth.locked_out",
                    client_ip,
                    seconds=attempt.locks_for,
                    failures=settings.login_lockout_failures,
                )
            await session.commit()
        raise invalid_credentials()
    await ratelimit.reset(buckets[0][0])
    await clear_lockout(address)
    await require_second_factor(session, user_id)
    return await finish_login(session, user_id, client_ip=client_ip, user_agent=user_agent)


async def clear_lockout(address: str) -> None:
    """The right password (or a completed reset) ends a lockout and forgets the failures before it."""
    await ratelimit.clear(lockout_key(address))


MFA_PURPOSE = "mfa-login"
MFA_VALID_SECONDS = 300


async def require_second_factor(session: AsyncSession, user_id: uuid.UUID) -> None:
    """With two-factor sign-in on, the first factor only earns a short-lived ticket for the second."""
    from guanxi.domain.identity import totp

    if await totp.enrolled(session, user_id):
        raise DomainError(
            detail="Enter the code from your authenticator app.",
            status=401,
            type="mfa-required",
            title="Second factor required",
            errors=[FieldError("code", "is required", "mfa_required")],
            extensions={"mfa_token": signing.sign(MFA_PURPOSE, str(user_id), max_age_seconds=MFA_VALID_SECONDS)},
        )


async def login_second_factor(
    session: AsyncSession, mfa_token: str, code: str, *, client_ip: str, user_agent: str | None
) -> tuple[User, IssuedSession]:
    from guanxi.domain.identity import totp

    value = signing.unsign(MFA_PURPOSE, mfa_token)
    try:
        user_id = uuid.UUID(value) if value else None
    except ValueError:
        user_id = None
    if user_id is None:
        raise validation_error(FieldError("mfa_token", "has expired; sign in again", "invalid_token"))
    if not await totp.check(session, user_id, code):
        await audit_everywhere(session, user_id, "auth.second_factor_failed", client_ip)
        await session.commit()
        raise validation_error(FieldError("code", "is not a current or recovery code", "invalid_code"))
    return await finish_login(session, user_id, client_ip=client_ip, user_agent=user_agent)


async def finish_login(
    session: AsyncSession, user_id: uuid.UUID, *, client_ip: str, user_agent: str | None
) -> tuple[User, IssuedSession]:
    """Open a new session (never reuse one) in the person's first active workspace, and record it."""
    user = await session.get(User, user_id)
    assert user is not None
    memberships = [(m, t) for m, t in await repository.memberships_of(session, user.id) if m.status == "active"]
    tenant_id = memberships[0][1].id if memberships else None
    issued = await open_session(session, user.id, tenant_id, user_agent)
    await audit_everywhere(session, user.id, "auth.login_succeeded", client_ip)
    log.info("login.succeeded", user_id=str(user.id))
    return user, issued


async def audit_everywhere(
    session: AsyncSession, user_id: uuid.UUID, action: str, client_ip: str, **detail: Any
) -> None:
    """A sign-in concerns every workspace the person is an active member of."""
    for membership, tenant in await repository.memberships_of(session, user_id):
        if membership.status == "active":
            scope = TenantScope(tenant_id=tenant.id, schema=tenant.schema_name)
            await audit.record(
                session,
                scope,
                action,
                actor_id=user_id,
                target_type="member",
                target_id=user_id,
                ip=client_ip,
                **detail,
            )


async def authenticate(session: AsyncSession, token: str) -> AuthContext:
    found = await repository.session_with_user(session, hash_token(token), utcnow())
    if found is None:
        raise not_authenticated("Your session has ended. Sign in again.")
    auth_session, user = found
    tenant: Tenant | None = None
    role: str | None = None
    if auth_session.tenant_id is not None:
        member = await repository.membership(session, user.id, auth_session.tenant_id)
        if member is not None and member[0].status == "active":
            role, tenant = member[0].role, member[1]
    return AuthContext(
        user=user,
        session_token_hash=auth_session.token_hash,
        csrf_token=auth_session.csrf_token,
        tenant=tenant,
        role=role,
    )


async def logout(session: AsyncSession, auth: AuthContext) -> None:
    await repository.delete_session(session, auth.session_token_hash)


def refuse_tokens(auth: AuthContext) -> None:
    if auth.token_id is not None:
        raise forbidden("An API token belongs to one workspace; sign in as a person to change workspaces.")


async def switch_workspace(session: AsyncSession, auth: AuthContext, tenant_id: uuid.UUID) -> Tenant:
    refuse_tokens(auth)
    member = await repository.membership(session, auth.user.id, tenant_id)
    if member is None or member[0].status != "active":
        raise forbidden("You are not a member of that workspace.")
    record = await session.get(AuthSession, auth.session_token_hash)
    if record is not None:
        record.tenant_id = tenant_id
    return member[1]


async def create_workspace(session: AsyncSession, auth: AuthContext, name: str, locale: str) -> Tenant:
    """A signed-in user opens another workspace of their own (and switches to it)."""
    refuse_tokens(auth)
    settings = get_settings()
    await ratelimit.enforce(
        f"workspaces:{auth.user.id}", settings.workspaces_per_user_per_hour, 3600, "Too many new workspaces in an hour."
    )
    owned = [m for m, _ in await repository.memberships_of(session, auth.user.id) if m.role == "owner"]
    if len(owned) >= settings.max_owned_workspaces:
        raise conflict("name", f"You already own {len(owned)} workspaces, the most one person may.", "workspace-limit")
    company, error = validation.clean_text("name", name)
    errors = [e for e in (error, validation.check_locale(locale)) if e]
    if errors:
        raise validation_error(*errors)
    tenant, _ = await provision_workspace(session, name=company, locale=locale, owner_id=auth.user.id)
    session.add(Membership(id=new_id(), user_id=auth.user.id, tenant_id=tenant.id, role="owner"))
    await session.flush()
    return await switch_workspace(session, auth, tenant.id)


async def timezone_of(session: AsyncSession, user: User, tenant: Tenant | None) -> str:
    """The zone a person's times are shown and typed in: their own choice, else the workspace's zone, else the
    one its language implies (zh-Hans: Asia/Shanghai, zh-Hant: Asia/Taipei, en: UTC)."""
    if user.timezone:
        return user.timezone
    if tenant is not None and tenant.status == "active":
        zone = await tenancy_repository.workspace_timezone(
            session, TenantScope(tenant_id=tenant.id, schema=tenant.schema_name)
        )
        if zone:
            return zone
    return str(defaults.TIMEZONE.get(tenant.locale if tenant else user.locale, "UTC"))


async def update_profile(
    session: AsyncSession,
    auth: AuthContext,
    *,
    name: str | None,
    locale: str | None,
    timezone: str | UnsetType | None = UNSET,
) -> User:
    user = await session.get(User, auth.user.id)
    assert user is not None
    errors: list[FieldError] = []
    if isinstance(timezone, str):
        if error := validation.check_timezone(timezone):
            errors.append(error)
        user.timezone = timezone
    elif timezone is None:
        user.timezone = None
    if name is not None:
        cleaned, error = validation.clean_text("name", name)
        errors += [error] if error else []
        user.name = cleaned
    if locale is not None:
        if error := validation.check_locale(locale):
            errors.append(error)
        user.locale = locale
    if errors:
        raise validation_error(*errors)
    return user


def email_verification_token(user_id: uuid.UUID) -> str:
    return signing.sign(VERIFY_PURPOSE, str(user_id), max_age_seconds=VERIFY_MAX_AGE)


async def verify_email(session: AsyncSession, token: str) -> User:
    """Confirm the address behind a verification link; each link works once."""
    from guanxi.domain.identity.recovery import verify_email as spend_verification

    return await spend_verification(session, token, VERIFY_PURPOSE)
