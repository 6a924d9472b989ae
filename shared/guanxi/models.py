"""Imports every model so that both metadata objects are complete (Alembic, create-all in tests)."""

from guanxi.domain.access.models import Collaborator, Department, Member, MemberRole, Role, RolePermission
from guanxi.domain.audit.models import AuditEntry
from guanxi.domain.email.models import EmailDelivery
from guanxi.domain.grading.models import GradeBand, GradingCriterion
from guanxi.domain.identity.models import (
    ApiToken,
    AuthSession,
    Invitation,
    Membership,
    OAuthIdentity,
    UsedLinkToken,
    User,
    UserTotp,
)
from guanxi.domain.outbox.models import OutboxMessage
from guanxi.domain.pipeline.models import Pipeline, PipelineStage
from guanxi.domain.tenancy.models import Tenant, WorkspaceSettings

__all__ = [
    "ApiToken",
    "AuditEntry",
    "AuthSession",
    "Collaborator",
    "Department",
    "EmailDelivery",
    "GradeBand",
    "GradingCriterion",
    "Invitation",
    "Member",
    "MemberRole",
    "Membership",
    "OAuthIdentity",
    "OutboxMessage",
    "Pipeline",
    "PipelineStage",
    "Role",
    "RolePermission",
    "Tenant",
    "UsedLinkToken",
    "User",
    "UserTotp",
    "WorkspaceSettings",
]
