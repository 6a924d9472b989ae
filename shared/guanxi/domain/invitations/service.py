"""Invitations to a workspace: by email with a role, an expiring single-use link, resend and revoke.

The link's token is signed with the server secret and carries the invitation id and its expiry, so the
worker can rebuild it for the mail; only its SHA-256 is stored, and only the newest link of an invitation
(a resend makes a new one) matches it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi import signing
from guanxi.config import get_settings
from guanxi.db.base import new_id, utcnow
from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.access.models import Member, Role
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.billing.service import check_seats, seats_changed
from guanxi.domain.identity import repository as identity_repository
from guanxi.domain.identity import validation
from guanxi.domain.identity.models import Invitation, Membership, User
from guanxi.domain.identity.passwords import hash_password
from guanxi.domain.identity.service import AuthContext, hash_token, refuse_tokens
from guanxi.domain.outbox.service import enqueue
from guanxi.domain.tenancy.models import Tenant
from guanxi.domain.tenancy.repository import add_member
from guanxi.errors import DomainError, FieldError, conflict, forbidden, validation_error

PURPOSE = "invitation"
VALID_FOR = dt.timedelta(days=7)
MAX_PENDING = 200


def link_token(invitation: Invitation) -> str:
    return signing.sign_until(PURPOSE, str(invitation.id), int(invitation.expires_at.timestamp()))


def invitation_status(invitation: Invitation) -> str:
    if invitation.accepted_at:
        return "accepted"
    if invitation.revoked_at:
        return "revoked"
    if invitation.expires_at <= utcnow():
        return "expired"
    return "pending"


async def invite(session: AsyncSession, access: Access, auth: AuthContext, email: str, role: str) -> Invitation:
    access.require("invitations", "create")
    address, error = validation.normalise_email(email)
    errors = [error] if error else []
    if await session.scalar(select(Role.key).where(Role.key == role), execution_options=scoped(access.scope)) is None:
        errors.append(FieldError("role", "no such role", "invalid_choice"))
    if errors:
        raise validation_error(*errors)
    if role == "owner" and "owner" not in access.roles:
        raise forbidden("Only an owner can invite an owner.")
    tenant_id = access.scope.tenant_id
    member = await session.scalar(
        select(Member.id).where(func.lower(Member.email) == address, Member.status == "active"),
        execution_options=scoped(access.scope),
    )
    if member is not None:
        raise conflict("email", "This person is already a member of the workspace.", "already-member")
    pending = await session.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(
            Invitation.tenant_id == tenant_id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    )
    if (pending or 0) >= MAX_PENDING:
        raise conflict("email", "Too many pending invitations; revoke some first.", "invitation-limit")
    await check_seats(session, tenant_id, joining=(pending or 0) + 1)
    invitation = Invitation(
        id=new_id(),
        tenant_id=tenant_id,
        email=address,
        role=role,
        invited_by=auth.user.id,
        expires_at=_expiry(),
        token_hash="",
    )
    invitation.token_hash = hash_token(link_token(invitation))
    session.add(invitation)
    await session.flush()
    await enqueue(session, "email.send_invitation", {"invitation_id": str(invitation.id)}, tenant_id=tenant_id)
    return invitation


def _expiry() -> dt.datetime:
    # Whole seconds: the expiry is part of the signed link and must survive the database round trip.
    return (utcnow() + VALID_FOR).replace(microsecond=0)


async def list_invitations(session: AsyncSession, access: Access) -> list[Invitation]:
    access.require("invitations", "read")
    return list(
        await session.scalars(
            select(Invitation)
            .where(Invitation.tenant_id == access.scope.tenant_id)
            .order_by(Invitation.created_at.desc(), Invitation.id)
        )
    )


async def _own_invitation(session: AsyncSession, access: Access, invitation_id: uuid.UUID) -> Invitation:
    invitation = await session.scalar(
        select(Invitation).where(Invitation.id == invitation_id, Invitation.tenant_id == access.scope.tenant_id)
    )
    if invitation is None:
        raise not_found_for("Invitation")
    return invitation


async def resend(session: AsyncSession, access: Access, invitation_id: uuid.UUID) -> Invitation:
    """A new link (the old one stops working) valid for another week, mailed again."""
    access.require("invitations", "create")
    invitation = await _own_invitation(session, access, invitation_id)
    if invitation.accepted_at or invitation.revoked_at:
        raise conflict("invitation", f"This invitation is {invitation_status(invitation)}.", "invitation-closed")
    invitation.expires_at = _expiry()
    invitation.token_hash = hash_token(link_token(invitation))
    await session.flush()
    await enqueue(
        session, "email.send_invitation", {"invitation_id": str(invitation.id)}, tenant_id=access.scope.tenant_id
    )
    return invitation


async def revoke(session: AsyncSession, access: Access, invitation_id: uuid.UUID) -> Invitation:
    access.require("invitations", "delete")
    invitation = await _own_invitation(session, access, invitation_id)
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
    return invitation


@dataclass(frozen=True)
class OpenInvitation:
    invitation: Invitation
    tenant: Tenant
    inviter: User | None
    account_exists: bool


def invalid_link() -> DomainError:
    return DomainError(
        detail="This invitation link is invalid, used, revoked or expired.",
        status=404,
        type="invitation-invalid",
        title="Invitation not valid",
    )


async def open_invitation(session: AsyncSession, token: str) -> OpenInvitation:
    """The invitation behind a link, only if the link is the current one and the invitation still open."""
    value = signing.unsign(PURPOSE, token)
    try:
        invitation_id = uuid.UUID(value) if value else None
    except ValueError:
        invitation_id = None
    invitation = await session.get(Invitation, invitation_id) if invitation_id else None
    if invitation is None or invitation.token_hash != hash_token(token) or invitation_status(invitation) != "pending":
        raise invalid_link()
    tenant = await session.get(Tenant, invitation.tenant_id)
    if tenant is None or tenant.status != "active":
        raise invalid_link()
    inviter = await session.get(User, invitation.invited_by) if invitation.invited_by else None
    exists = await identity_repository.email_exists(session, invitation.email)
    return OpenInvitation(invitation, tenant, inviter, exists)


async def accept(
    session: AsyncSession, token: str, auth: AuthContext | None, *, name: str | None, password: str | None
) -> tuple[User, Tenant, bool]:
    """Join the workspace. Signed in: the account's email must be the invited one. Not signed in: a new
    account is made for the invited email (an existing account must sign in first). Returns whether a new
    account was created."""
    found = await open_invitation(session, token)
    invitation, tenant = found.invitation, found.tenant
    created = False
    if auth is not None:
        refuse_tokens(auth)
        if auth.user.email.lower() != invitation.email.lower():
            raise forbidden("This invitation was sent to another email address.")
        user = auth.user
    elif found.account_exists:
        raise conflict(
            "email", "An account with this email exists: sign in, then open the link again.", "sign-in-required"
        )
    else:
        errors: list[FieldError] = []
        cleaned, error = validation.clean_text("name", name or "")
        errors += [error] if error else []
        if error := validation.check_password(password or "", related=[invitation.email, cleaned, tenant.name]):
            errors.append(error)
        if errors:
            raise validation_error(*errors)
        user = User(
            id=new_id(),
            email=invitation.email,
            name=cleaned,
            locale=tenant.locale,
            password_hash=await hash_password(password or ""),
            email_verified_at=utcnow(),
        )
        session.add(user)
        await session.flush()
        created = True
    membership = await identity_repository.membership(session, user.id, tenant.id)
    scope = TenantScope(tenant_id=tenant.id, schema=tenant.schema_name)
    if membership is None:
        await check_seats(session, tenant.id, joining=1)
        session.add(Membership(id=new_id(), user_id=user.id, tenant_id=tenant.id, role=invitation.role))
        await add_member(session, scope, user.id, role=invitation.role)
        await seats_changed(session, tenant.id)
    elif membership[0].status == "active":
        raise conflict("email", "You are already a member of this workspace.", "already-member")
    else:
        raise forbidden("Your access to this workspace was removed; ask an administrator.")
    invitation.accepted_at, invitation.accepted_by = utcnow(), user.id
    await session.flush()
    return user, tenant, created


def accept_url(invitation: Invitation) -> str:
    return f"{get_settings().public_url}/invitations/accept?token={link_token(invitation)}"
