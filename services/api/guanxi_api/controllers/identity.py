"""Sign-up, sign-in and the signed-in user: parse, authorize, call the service, shape the response."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from guanxi.config import get_settings
from guanxi.domain.access.service import Access
from guanxi.domain.billing import service as billing
from guanxi.domain.identity import account, recovery, repository, totp
from guanxi.domain.identity import service as identity
from guanxi.domain.identity.models import User
from guanxi.domain.identity.oauth_schemas import IdentityOut
from guanxi.domain.identity.operators import is_operator
from guanxi.domain.identity.schemas import (
    LoginRequest,
    MeOut,
    MfaLogin,
    PasswordChange,
    ProfileUpdate,
    RecoveryCodes,
    ResetConfirm,
    ResetRequest,
    SessionOut,
    SignupRequest,
    TwoFactorCode,
    TwoFactorSetup,
    UserOut,
    VerifyEmailRequest,
    WorkspaceCreate,
    WorkspaceOut,
    WorkspaceSwitch,
)
from guanxi.domain.tenancy.models import Tenant
from guanxi_tenants.access import ACTIONS, MODULES
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import SESSION_COOKIE, client_ip, provide_access, provide_auth
from guanxi_api.openapi import problems

AUTH = {"auth": Provide(provide_auth)}


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        locale=user.locale,
        email_verified=user.email_verified_at is not None,
        has_password=user.password_hash is not None,
        timezone=user.timezone,
    )


def workspace_out(tenant: Tenant, role: str) -> WorkspaceOut:
    return WorkspaceOut(id=tenant.id, name=tenant.name, role=role, locale=tenant.locale, status=tenant.status)


def session_response(
    issued: identity.IssuedSession, user: User, workspace: WorkspaceOut | None, status_code: int
) -> Response[SessionOut]:
    secure = get_settings().secure_cookies
    body = SessionOut(
        token=issued.token,
        csrf_token=issued.csrf_token,
        expires_at=issued.expires_at,
        user=user_out(user),
        workspace=workspace,
    )
    max_age = int(get_settings().session_days * 86400)
    cookies = [
        Cookie(
            key=SESSION_COOKIE,
            value=issued.token,
            httponly=True,
            samesite="lax",
            secure=secure,
            max_age=max_age,
            path="/",
        ),
    ]
    return Response(body, status_code=status_code, cookies=cookies)


class AuthController(Controller):
    path = "/api/v1"
    tags = ["identity"]

    @post(
        "/signup",
        status_code=201,
        summary="Create a company workspace and its owner",
        responses=problems(400, 409, 422, 429),
    )
    async def signup(
        self, request: Request[Any, Any, Any], data: JSONBody[SignupRequest], db: NamedDependency[AsyncSession]
    ) -> Response[SessionOut]:
        user, tenant, issued = await identity.signup(
            db,
            identity.SignupInput(
                company_name=data.company_name,
                name=data.name,
                email=data.email,
                password=data.password,
                locale=data.locale,
            ),
            client_ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
        await db.commit()
        return session_response(issued, user, workspace_out(tenant, "owner"), 201)

    @post(
        "/auth/login",
        status_code=200,
        summary="Sign in with email and password",
        responses=problems(400, 401, 422, 429),
    )
    async def login(
        self, request: Request[Any, Any, Any], data: JSONBody[LoginRequest], db: NamedDependency[AsyncSession]
    ) -> Response[SessionOut]:
        user, issued = await identity.login(
            db, data.email, data.password, client_ip=client_ip(request), user_agent=request.headers.get("user-agent")
        )
        await db.commit()
        memberships = await repository.memberships_of(db, user.id)
        workspace = workspace_out(memberships[0][1], memberships[0][0].role) if memberships else None
        return session_response(issued, user, workspace, 200)

    @post(
        "/auth/login/mfa",
        status_code=200,
        summary="Finish a sign-in with the authenticator or a recovery code",
        responses=problems(400, 422, 429),
    )
    async def login_mfa(
        self, request: Request[Any, Any, Any], data: JSONBody[MfaLogin], db: NamedDependency[AsyncSession]
    ) -> Response[SessionOut]:
        user, issued = await identity.login_second_factor(
            db, data.mfa_token, data.code, client_ip=client_ip(request), user_agent=request.headers.get("user-agent")
        )
        await db.commit()
        active = [(m, t) for m, t in await repository.memberships_of(db, user.id) if m.status == "active"]
        workspace = workspace_out(active[0][1], active[0][0].role) if active else None
        return session_response(issued, user, workspace, 200)

    @post("/auth/logout", status_code=204, dependencies=AUTH, summary="End this session", responses=problems(401, 403))
    async def logout(
        self, auth: NamedDependency[identity.AuthContext], db: NamedDependency[AsyncSession]
    ) -> Response[None]:
        await identity.logout(db, auth)
        await db.commit()
        response: Response[None] = Response(None, status_code=204)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @post(
        "/auth/verify-email",
        status_code=200,
        summary="Confirm an email address from the welcome mail",
        responses=problems(400, 422),
    )
    async def verify_email(self, data: JSONBody[VerifyEmailRequest], db: NamedDependency[AsyncSession]) -> UserOut:
        user = await identity.verify_email(db, data.token)
        await db.commit()
        return user_out(user)


class PasswordResetController(Controller):
    path = "/api/v1/auth/password-reset"
    tags = ["identity"]

    @post(
        "",
        status_code=202,
        summary="Mail a reset link if the address has an account (always 202)",
        responses=problems(400, 422, 429),
    )
    async def request_reset(
        self, request: Request[Any, Any, Any], data: JSONBody[ResetRequest], db: NamedDependency[AsyncSession]
    ) -> None:
        await recovery.request_reset(db, data.email, client_ip(request))
        await db.commit()

    @post(
        "/confirm",
        status_code=200,
        summary="Set a new password with a reset link (ends every session)",
        responses=problems(400, 422),
    )
    async def confirm(
        self, request: Request[Any, Any, Any], data: JSONBody[ResetConfirm], db: NamedDependency[AsyncSession]
    ) -> UserOut:
        user = await recovery.reset_password(db, data.token, data.password)
        await identity.audit_everywhere(db, user.id, "auth.password_reset", client_ip(request))
        await db.commit()
        return user_out(user)


class MeController(Controller):
    path = "/api/v1"
    tags = ["identity"]
    dependencies = AUTH

    @get("/me", summary="The signed-in user, the current workspace and all of theirs", responses=problems(401))
    async def me(self, auth: NamedDependency[identity.AuthContext], db: NamedDependency[AsyncSession]) -> MeOut:
        memberships = await repository.memberships_of(db, auth.user.id)
        return MeOut(
            user=msgspec.structs.replace(user_out(auth.user), two_factor_enabled=await totp.enrolled(db, auth.user.id)),
            workspace=workspace_out(auth.tenant, auth.role or "member") if auth.tenant else None,
            workspaces=[workspace_out(t, m.role) for m, t in memberships],
            csrf_token=auth.csrf_token,
            timezone=await identity.timezone_of(db, auth.user, auth.tenant),
            billing=await billing.badge(db, auth.tenant.id) if auth.tenant else None,
            operator=is_operator(auth),
        )

    @get(
        "/me/permissions",
        summary="What you may do in this workspace: per module and action, the scope (none … all)",
        dependencies={"access": Provide(provide_access)},
        responses=problems(401, 409),
    )
    async def my_permissions(self, access: NamedDependency[Access]) -> dict[str, dict[str, str]]:
        """Pages use it to offer only the buttons the API would accept; the API still decides every request."""
        return {module: {action: access.scope_of(module, action) for action in ACTIONS} for module in MODULES}

    @patch(
        "/me",
        summary="Change your name, language or time zone",
        description="`timezone` is an IANA name (`Asia/Shanghai`); `null` follows the workspace's zone again.",
        responses=problems(400, 401, 403, 422),
    )
    async def update_me(
        self,
        auth: NamedDependency[identity.AuthContext],
        data: JSONBody[ProfileUpdate],
        db: NamedDependency[AsyncSession],
    ) -> UserOut:
        user = await identity.update_profile(db, auth, name=data.name, locale=data.locale, timezone=data.timezone)
        await db.commit()
        return user_out(user)

    @post(
        "/me/password",
        status_code=204,
        summary="Change your password (or set a first one); your other sessions end",
        description=(
            "Send `current_password` and `new_password`. A person who signed up through an identity provider "
            "and has no password yet leaves `current_password` out to set one. A wrong current password is a "
            "422 naming `current_password`. This session stays signed in, every other session of yours ends; "
            "API tokens keep working. 10 attempts per person per hour."
        ),
        responses=problems(400, 401, 403, 422, 429),
    )
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        auth: NamedDependency[identity.AuthContext],
        data: JSONBody[PasswordChange],
        db: NamedDependency[AsyncSession],
    ) -> None:
        await account.change_password(
            db,
            auth,
            current_password=data.current_password,
            new_password=data.new_password,
            client_ip=client_ip(request),
        )
        await db.commit()

    @get(
        "/me/identities",
        summary="The identity providers linked to your account",
        responses=problems(401, 403),
    )
    async def identities(
        self, auth: NamedDependency[identity.AuthContext], db: NamedDependency[AsyncSession]
    ) -> list[IdentityOut]:
        return await account.identities(db, auth)

    @delete(
        "/me/identities/{identity_id:uuid}",
        status_code=204,
        summary="Unlink an identity provider from your account",
        description=(
            "Refused with 409 `last-sign-in-method` when you have no password and no other identity at a "
            "provider that is still offered: you could no longer sign in."
        ),
        responses=problems(401, 403, 404, 409),
    )
    async def unlink_identity(
        self,
        request: Request[Any, Any, Any],
        identity_id: FromPath[uuid.UUID],
        auth: NamedDependency[identity.AuthContext],
        db: NamedDependency[AsyncSession],
    ) -> None:
        await account.unlink(db, auth, identity_id, client_ip(request))
        await db.commit()

    @get("/workspaces", summary="Workspaces you belong to", responses=problems(401))
    async def workspaces(
        self, auth: NamedDependency[identity.AuthContext], db: NamedDependency[AsyncSession]
    ) -> list[WorkspaceOut]:
        return [workspace_out(t, m.role) for m, t in await repository.memberships_of(db, auth.user.id)]

    @post(
        "/workspaces",
        status_code=201,
        summary="Open another workspace and switch to it",
        responses=problems(400, 401, 403, 422),
    )
    async def create_workspace(
        self,
        auth: NamedDependency[identity.AuthContext],
        data: JSONBody[WorkspaceCreate],
        db: NamedDependency[AsyncSession],
    ) -> WorkspaceOut:
        tenant = await identity.create_workspace(db, auth, data.name, data.locale)
        await db.commit()
        return workspace_out(tenant, "owner")

    @post(
        "/workspaces/switch",
        status_code=200,
        summary="Make another of your workspaces the current one",
        responses=problems(400, 401, 403, 422),
    )
    async def switch(
        self,
        auth: NamedDependency[identity.AuthContext],
        data: JSONBody[WorkspaceSwitch],
        db: NamedDependency[AsyncSession],
    ) -> WorkspaceOut:
        tenant = await identity.switch_workspace(db, auth, data.workspace_id)
        await db.commit()
        member = await repository.membership(db, auth.user.id, tenant.id)
        return workspace_out(tenant, member[0].role if member else "member")


class TwoFactorController(Controller):
    path = "/api/v1/me/two-factor"
    tags = ["identity"]
    dependencies = AUTH

    @post(
        "",
        status_code=200,
        summary="Start setting up two-factor sign-in: a secret for the authenticator app",
        responses=problems(401, 403, 409),
    )
    async def begin(
        self, auth: NamedDependency[identity.AuthContext], db: NamedDependency[AsyncSession]
    ) -> TwoFactorSetup:
        identity.refuse_tokens(auth)
        secret, uri = await totp.begin(db, auth.user)
        await db.commit()
        return TwoFactorSetup(secret=secret, otpauth_uri=uri)

    @post(
        "/confirm",
        status_code=200,
        summary="Turn two-factor sign-in on with a first code; get recovery codes",
        responses=problems(400, 401, 403, 422),
    )
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TwoFactorCode],
        auth: NamedDependency[identity.AuthContext],
        db: NamedDependency[AsyncSession],
    ) -> RecoveryCodes:
        identity.refuse_tokens(auth)
        codes = await totp.confirm(db, auth.user, data.code)
        await identity.audit_everywhere(db, auth.user.id, "auth.two_factor_enabled", client_ip(request))
        await db.commit()
        return RecoveryCodes(recovery_codes=codes)

    @post(
        "/disable",
        status_code=204,
        summary="Turn two-factor sign-in off (needs a current or recovery code)",
        responses=problems(400, 401, 403, 422, 429),
    )
    async def disable(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TwoFactorCode],
        auth: NamedDependency[identity.AuthContext],
        db: NamedDependency[AsyncSession],
    ) -> None:
        identity.refuse_tokens(auth)
        await totp.disable(db, auth.user, data.code)
        await identity.audit_everywhere(db, auth.user.id, "auth.two_factor_disabled", client_ip(request))
        await db.commit()
