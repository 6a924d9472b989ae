"""Invitations: admins invite by email with a role, resend and revoke; the invitee opens and accepts."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from guanxi.db.tenancy import TenantScope
from guanxi.domain.access.service import Access
from guanxi.domain.audit import service as audit
from guanxi.domain.identity import service as identity
from guanxi.domain.identity.models import Invitation
from guanxi.domain.identity.schemas import SessionOut
from guanxi.domain.identity.service import AuthContext
from guanxi.domain.invitations import service as invitations
from guanxi.domain.invitations.schemas import InvitationOut, InvitationPreview
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.controllers.identity import session_response, workspace_out
from guanxi_api.dependencies import audit_action, client_ip, provide_access, provide_auth, provide_optional_auth
from guanxi_api.openapi import problems


class InvitationIn(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    role: str = "sales_rep"


class AcceptIn(msgspec.Struct, forbid_unknown_fields=True):
    token: str
    name: str | None = None
    password: str | None = None


def invitation_out(invitation: Invitation) -> InvitationOut:
    return InvitationOut(
        id=invitation.id,
        email=invitation.email,
        role=invitation.role,
        status=invitations.invitation_status(invitation),
        expires_at=invitation.expires_at,
        created_at=invitation.created_at,
    )


class InvitationAdminController(Controller):
    path = "/api/v1/admin/invitations"
    tags = ["administration"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    @get("", summary="Invitations of the workspace, newest first", responses=problems(401, 403))
    async def list_invitations(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> list[InvitationOut]:
        auth.require_token_scope("invitations", "read")
        return [invitation_out(i) for i in await invitations.list_invitations(db, access)]

    @post(
        "",
        status_code=201,
        summary="Invite someone by email with a role (the worker mails the link)",
        responses=problems(400, 401, 403, 409, 422),
    )
    async def invite(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[InvitationIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> InvitationOut:
        auth.require_token_scope("invitations", "write")
        invitation = await invitations.invite(db, access, auth, data.email, data.role)
        await audit_action(
            db,
            auth,
            request,
            "invitation.created",
            target_type="invitation",
            target_id=invitation.id,
            email=invitation.email,
            role=invitation.role,
        )
        await db.commit()
        return invitation_out(invitation)

    @post(
        "/{invitation_id:uuid}/resend",
        status_code=200,
        summary="Mail a new link (the old one stops working)",
        responses=problems(401, 403, 404, 409),
    )
    async def resend(
        self,
        request: Request[Any, Any, Any],
        invitation_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> InvitationOut:
        auth.require_token_scope("invitations", "write")
        invitation = await invitations.resend(db, access, invitation_id)
        await audit_action(db, auth, request, "invitation.resent", target_type="invitation", target_id=invitation.id)
        await db.commit()
        return invitation_out(invitation)

    @delete("/{invitation_id:uuid}", status_code=204, summary="Revoke an invitation", responses=problems(401, 403, 404))
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        invitation_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> None:
        auth.require_token_scope("invitations", "write")
        invitation = await invitations.revoke(db, access, invitation_id)
        await audit_action(db, auth, request, "invitation.revoked", target_type="invitation", target_id=invitation.id)
        await db.commit()


class InvitationController(Controller):
    path = "/api/v1/invitations"
    tags = ["identity"]

    @get(
        "/{token:str}",
        summary="What an invitation link offers (public: the link is the secret)",
        responses=problems(404),
    )
    async def preview(self, token: FromPath[str], db: NamedDependency[AsyncSession]) -> InvitationPreview:
        found = await invitations.open_invitation(db, token)
        return InvitationPreview(
            workspace_name=found.tenant.name,
            email=found.invitation.email,
            role=found.invitation.role,
            invited_by=found.inviter.name if found.inviter else None,
            expires_at=found.invitation.expires_at,
            account_exists=found.account_exists,
        )

    @post(
        "/accept",
        status_code=200,
        dependencies={"auth": Provide(provide_optional_auth)},
        summary="Accept: signed in as the invited email, or create the account (name, password)",
        responses=problems(400, 403, 404, 409, 422),
    )
    async def accept(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[AcceptIn],
        auth: NamedDependency[AuthContext | None],
        db: NamedDependency[AsyncSession],
    ) -> Response[SessionOut]:
        user, tenant, created = await invitations.accept(db, data.token, auth, name=data.name, password=data.password)
        scope = TenantScope(tenant_id=tenant.id, schema=tenant.schema_name)
        await audit.record(
            db,
            scope,
            "member.joined",
            actor_id=user.id,
            target_type="member",
            target_id=user.id,
            ip=client_ip(request),
            new_account=created,
        )
        issued = await identity.open_session(db, user.id, tenant.id, request.headers.get("user-agent"))
        await db.commit()
        member = await identity.repository.membership(db, user.id, tenant.id)
        return session_response(issued, user, workspace_out(tenant, member[0].role if member else "member"), 200)
