"""The web service's only way to data: the JSON API, over one httpx client per application.

Problem responses (RFC 9457) become :class:`ApiError`, carrying the API's field errors so a form can
show each one under its field. A network failure becomes :class:`ApiUnavailable`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import IO, Any, TypeVar
from urllib.parse import quote

import httpx
import msgspec
import structlog
from guanxi.domain.access.schemas import DepartmentOut as Department
from guanxi.domain.access.schemas import MemberOut as Member
from guanxi.domain.access.schemas import RoleOut as Role
from guanxi.domain.activities.schemas import ActivityOut as Activity
from guanxi.domain.activities.schemas import CalendarPeople, TimelineItem, TimelinePage
from guanxi.domain.announcements.schemas import AnnouncementOut, AnnouncementPage, Receipts
from guanxi.domain.audit.schemas import AuditOut as AuditEntry
from guanxi.domain.audit.schemas import AuditPage
from guanxi.domain.billing.operator import SummaryOut as OperatorSummary
from guanxi.domain.billing.operator import WorkspacePage as OperatorWorkspaces
from guanxi.domain.contracts.schemas import ContractOut as Contract
from guanxi.domain.contracts.schemas import ContractPage
from guanxi.domain.customers.schemas import AccountOut as Account
from guanxi.domain.customers.schemas import AccountPage, BulkOut, ContactPage, SearchHit
from guanxi.domain.customers.schemas import ChangeOut as Change
from guanxi.domain.customers.schemas import CollaboratorOut as Collaborator
from guanxi.domain.customers.schemas import ContactOut as Contact
from guanxi.domain.customfields.schemas import CustomFieldOut as CustomField
from guanxi.domain.deals.schemas import BoardOut as Board
from guanxi.domain.deals.schemas import DealLinesOut as DealLines
from guanxi.domain.deals.schemas import DealOut as Deal
from guanxi.domain.deals.schemas import LossReasonOut as LossReason
from guanxi.domain.deals.schemas import StageChangeOut as StageChange
from guanxi.domain.exports.schemas import ExportOut as Export
from guanxi.domain.grading.schemas import LatestRun as LatestGradingRun
from guanxi.domain.grading.schemas import ReportPage as GradingReport
from guanxi.domain.grading.schemas import RunOut as GradingRun
from guanxi.domain.identity.oauth_schemas import IdentityOut as Identity
from guanxi.domain.identity.oauth_schemas import OAuthStartOut as OAuthStart
from guanxi.domain.identity.schemas import MeOut as Me
from guanxi.domain.identity.schemas import RecoveryCodes, TwoFactorSetup
from guanxi.domain.identity.schemas import SessionOut as Session
from guanxi.domain.identity.schemas import TokenCreated as NewToken
from guanxi.domain.identity.schemas import TokenOut as ApiToken
from guanxi.domain.identity.schemas import UserOut as User
from guanxi.domain.identity.schemas import WorkspaceOut as Workspace

# The API's own response shapes (shared code), so the two services cannot drift apart.
from guanxi.domain.imports.schemas import ImportOut as Import
from guanxi.domain.invitations.schemas import InvitationOut as Invitation
from guanxi.domain.invitations.schemas import InvitationPreview
from guanxi.domain.leads.schemas import ConvertOut, LeadPage, PublicFormOut
from guanxi.domain.leads.schemas import FormOut as LeadForm
from guanxi.domain.leads.schemas import LeadOut as Lead
from guanxi.domain.leads.schemas import RuleOut as LeadRule
from guanxi.domain.notifications.schemas import NotificationPage, PreferenceOut
from guanxi.domain.orders.schemas import OrderDetail, OrderPage, ReceivablePage
from guanxi.domain.pipeline.schemas import PipelineOut as Pipeline
from guanxi.domain.pools.schemas import ClaimOut, PoolAccountPage, ReturnOut
from guanxi.domain.pools.schemas import PoolOut as Pool
from guanxi.domain.products.schemas import PriceListOut as PriceList
from guanxi.domain.products.schemas import ProductOut as Product
from guanxi.domain.products.schemas import ProductPage
from guanxi.domain.products.schemas import QuoteOut as PriceQuote
from guanxi.domain.quotes.schemas import QuoteOut as Quote
from guanxi.domain.quotes.schemas import QuotePage
from guanxi.domain.quotes.schemas import TemplateOut as PrintTemplate
from guanxi.domain.targets.schemas import ForecastMonth, LeaderRow
from guanxi.domain.targets.schemas import ProgressOut as TargetProgress
from guanxi.domain.tenancy.schemas import WorkspaceSettingsOut as WorkspaceSettings
from guanxi.domain.todo.schemas import TodoSection
from guanxi.domain.views.schemas import ViewOut as SavedView
from guanxi.domain.workreports.schemas import MissingOut, ReportOut, ReportPage
from guanxi.domain.workreports.schemas import RuleOut as WorkReportRule

__all__ = [
    "Account",
    "AccountPage",
    "Activity",
    "ApiCaller",
    "ApiClient",
    "ApiError",
    "ApiToken",
    "ApiUnavailable",
    "Attachment",
    "AuditEntry",
    "AuditPage",
    "Board",
    "BulkOut",
    "CalendarPeople",
    "Change",
    "ClaimOut",
    "Collaborator",
    "Contact",
    "ContactPage",
    "Contract",
    "ContractPage",
    "ConvertOut",
    "CustomField",
    "Deal",
    "DealLines",
    "Department",
    "Export",
    "FieldProblem",
    "FieldRules",
    "ForecastMonth",
    "GradingReport",
    "GradingRun",
    "Identity",
    "Import",
    "Invitation",
    "InvitationPreview",
    "Lead",
    "LeadForm",
    "LeadPage",
    "LeadRule",
    "LeaderRow",
    "LossReason",
    "Me",
    "Member",
    "MissingOut",
    "NewToken",
    "OAuthStart",
    "Pipeline",
    "Pool",
    "PoolAccountPage",
    "PriceList",
    "PriceQuote",
    "PrintTemplate",
    "Problem",
    "Product",
    "ProductPage",
    "PublicFormOut",
    "Quote",
    "QuotePage",
    "RecoveryCodes",
    "ReturnOut",
    "Role",
    "SavedView",
    "SearchHit",
    "Session",
    "StageChange",
    "TargetProgress",
    "TimelineItem",
    "TimelinePage",
    "TodoSection",
    "TwoFactorSetup",
    "User",
    "WorkReportRule",
    "Workspace",
    "WorkspaceSettings",
    "optional",
]

log = structlog.get_logger("web.api")

T = TypeVar("T")


class FieldProblem(msgspec.Struct):
    field: str
    message: str
    code: str = "invalid"


class Problem(msgspec.Struct):
    type: str = "about:blank"
    title: str = ""
    status: int = 500
    detail: str = ""
    errors: list[FieldProblem] = []
    # With type ``mfa-required``: the ticket that, with a code, finishes the sign-in.
    mfa_token: str | None = None


class FieldRules(msgspec.Struct):
    """A role's field permissions (``GET/PUT /api/v1/admin/roles/{key}/fields``): per module, field -> access and
    mask, plus which fields may be restricted and which masked. The API declares this shape in its admin
    controller rather than in shared code; ``tests/web/test_field_rules.py`` keeps the two equal."""

    fields: dict[str, dict[str, dict[str, str]]]
    configurable: dict[str, list[str]]
    maskable: dict[str, list[str]]
    labels: dict[str, dict[str, str]]  # per module, custom.<key> -> the custom field's label


Query = dict[str, str]


class ChurnRow(msgspec.Struct):
    """A customer by risk score, with the signals that made it (the API's AtRiskRow)."""

    account_id: uuid.UUID
    name: str
    owner_id: uuid.UUID
    owner_name: str | None
    grade: str | None
    score: int
    at_risk: bool
    signals: list[dict[str, Any]]


class ChurnPage(msgspec.Struct):
    items: list[ChurnRow]
    next_cursor: str | None
    threshold: int


class Attachment(msgspec.Struct):
    """A file kept with an account, contact or activity (the API's AttachmentOut)."""

    id: uuid.UUID
    record_type: str
    record_id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    created_at: dt.datetime
    created_by: uuid.UUID | None


class ApiError(Exception):
    """The API answered with a problem; ``kind`` is the last part of its ``type`` URI."""

    def __init__(self, problem: Problem, retry_after: int | None = None) -> None:
        super().__init__(f"{problem.status} {problem.type}: {problem.detail}")
        self.problem = problem
        self.retry_after = retry_after

    @property
    def status(self) -> int:
        return self.problem.status

    @property
    def kind(self) -> str:
        return self.problem.type.rstrip("/").rsplit("/", 1)[-1]

    @property
    def field_errors(self) -> list[FieldProblem]:
        return self.problem.errors

    @property
    def mfa_ticket(self) -> str | None:
        """The second-factor ticket, when the password (or the provider) was right but a code is needed."""
        if self.status == 401 and self.kind == "mfa-required":
            return self.problem.mfa_token or None
        return None


class ApiUnavailable(Exception):
    """The API could not be reached, or did not answer in time."""


class ApiClient:
    """Owns the application's one ``httpx.AsyncClient``: opened on startup, closed on shutdown."""

    def __init__(self, base_url: str, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._base_url = base_url.rstrip("/")
        self._transport = transport
        self._http: httpx.AsyncClient | None = None

    async def open(self) -> None:
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            transport=self._transport,
            timeout=httpx.Timeout(10.0, connect=3.0),
            headers={"Accept": "application/json"},
            cookies=_no_cookies(),
        )

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            raise RuntimeError("the API client is used before application startup")
        return self._http

    def caller(self, *, token: str | None, client_ip: str | None, request_id: str | None, locale: str) -> ApiCaller:
        headers = {"Accept-Language": locale}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if client_ip:
            headers["X-Forwarded-For"] = client_ip
        if request_id:
            headers["X-Request-ID"] = request_id
        return ApiCaller(self.http, headers)

    async def healthy(self) -> bool:
        try:
            response = await self.http.get("/health", timeout=3.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200


def _no_cookies() -> CookieJar:
    """A jar that keeps nothing: the client is shared by every browser, so a session cookie the API sets
    (it does on sign-up, login and invitation accept) must never ride along on someone else's request."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


class ApiCaller:
    """The API as seen by one browser request: its session token, IP, request id and language."""

    def __init__(self, http: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self._http = http
        self._headers = headers

    @property
    def signed_in(self) -> bool:
        return "Authorization" in self._headers

    async def signup(self, *, company_name: str, name: str, email: str, password: str, locale: str) -> Session:
        body = {"company_name": company_name, "name": name, "email": email, "password": password, "locale": locale}
        return await self._call("POST", "/api/v1/signup", Session, json=body)

    async def login(self, *, email: str, password: str) -> Session:
        return await self._call("POST", "/api/v1/auth/login", Session, json={"email": email, "password": password})

    async def login_with_code(self, *, mfa_token: str, code: str) -> Session:
        body = {"mfa_token": mfa_token, "code": code}
        return await self._call("POST", "/api/v1/auth/login/mfa", Session, json=body)

    async def oauth_start(
        self, provider: str, *, intent: str, redirect_uri: str, company_name: str | None, locale: str
    ) -> OAuthStart:
        body = {"intent": intent, "redirect_uri": redirect_uri, "company_name": company_name, "locale": locale}
        return await self._call("POST", f"/api/v1/auth/oauth/{quote(provider, safe='')}/start", OAuthStart, json=body)

    async def oauth_callback(self, provider: str, *, state: str, code: str) -> Session:
        body = {"state": state, "code": code}
        return await self._call("POST", f"/api/v1/auth/oauth/{quote(provider, safe='')}/callback", Session, json=body)

    async def oauth_link_callback(self, provider: str, *, state: str, code: str) -> tuple[Identity, bool]:
        """Finish linking a provider to the signed-in user: the identity, and whether it is new (201)."""
        body = {"state": state, "code": code}
        path = f"/api/v1/auth/oauth/{quote(provider, safe='')}/callback"
        response = await self._send("POST", path, json=body)
        return msgspec.json.decode(response.content, type=Identity), response.status_code == 201

    async def logout(self) -> None:
        await self._call("POST", "/api/v1/auth/logout", None)

    async def verify_email(self, token: str) -> User:
        return await self._call("POST", "/api/v1/auth/verify-email", User, json={"token": token})

    async def me(self) -> Me:
        return await self._call("GET", "/api/v1/me", Me)

    async def update_me(self, *, locale: str) -> User:
        return await self._call("PATCH", "/api/v1/me", User, json={"locale": locale})

    # The signed-in person's own account, in every workspace (the API refuses API tokens here).

    async def update_profile(self, *, name: str, locale: str, timezone: str | None) -> User:
        """``timezone`` None: follow the workspace's zone."""
        body = {"name": name, "locale": locale, "timezone": timezone}
        return await self._call("PATCH", "/api/v1/me", User, json=body)

    async def change_password(self, *, current_password: str | None, new_password: str) -> None:
        """Without ``current_password`` (left out of the body): a first password for someone who has none."""
        body = {"new_password": new_password}
        if current_password is not None:
            body["current_password"] = current_password
        await self._call("POST", "/api/v1/me/password", None, json=body)

    async def identities(self) -> list[Identity]:
        return await self._call("GET", "/api/v1/me/identities", list[Identity])

    async def unlink_identity(self, identity_id: str) -> None:
        await self._call("DELETE", f"/api/v1/me/identities/{quote(identity_id, safe='')}", None)

    async def create_workspace(self, *, name: str, locale: str) -> Workspace:
        return await self._call("POST", "/api/v1/workspaces", Workspace, json={"name": name, "locale": locale})

    async def switch_workspace(self, workspace_id: str) -> Workspace:
        return await self._call("POST", "/api/v1/workspaces/switch", Workspace, json={"workspace_id": workspace_id})

    async def pipeline(self) -> Pipeline:
        return await self._call("GET", "/api/v1/pipeline", Pipeline)

    # Administration of the current workspace (owners and admins; the API answers 403 to anyone else).

    async def members(self) -> list[Member]:
        return await self._call("GET", "/api/v1/admin/members", list[Member])

    async def update_member(self, member_id: str, changes: dict[str, Any]) -> Member:
        return await self._call("PATCH", f"/api/v1/admin/members/{quote(member_id, safe='')}", Member, json=changes)

    async def deactivate_member(self, member_id: str) -> None:
        await self._call("POST", f"/api/v1/admin/members/{quote(member_id, safe='')}/deactivate", None)

    async def hand_over(self, member_id: str, to_member_id: str) -> dict[str, dict[str, int]]:
        path = f"/api/v1/admin/members/{quote(member_id, safe='')}/hand-over"
        return await self._call("POST", path, dict[str, dict[str, int]], json={"to_member_id": to_member_id})

    async def departments(self) -> list[Department]:
        return await self._call("GET", "/api/v1/admin/departments", list[Department])

    async def add_department(self, *, name: str, parent_id: str | None, head_id: str | None) -> Department:
        body = {"name": name, "parent_id": parent_id, "head_id": head_id}
        return await self._call("POST", "/api/v1/admin/departments", Department, json=body)

    async def invitations(self) -> list[Invitation]:
        return await self._call("GET", "/api/v1/admin/invitations", list[Invitation])

    async def invite(self, *, email: str, role: str) -> Invitation:
        return await self._call("POST", "/api/v1/admin/invitations", Invitation, json={"email": email, "role": role})

    async def resend_invitation(self, invitation_id: str) -> Invitation:
        path = f"/api/v1/admin/invitations/{quote(invitation_id, safe='')}/resend"
        return await self._call("POST", path, Invitation)

    async def revoke_invitation(self, invitation_id: str) -> None:
        await self._call("DELETE", f"/api/v1/admin/invitations/{quote(invitation_id, safe='')}", None)

    async def roles(self) -> list[Role]:
        return await self._call("GET", "/api/v1/admin/roles", list[Role])

    async def create_role(self, *, name: str, permissions: dict[str, dict[str, str]]) -> Role:
        body = {"name": name, "permissions": permissions}
        return await self._call("POST", "/api/v1/admin/roles", Role, json=body)

    async def update_role_permissions(self, key: str, permissions: dict[str, dict[str, str]]) -> Role:
        path = f"/api/v1/admin/roles/{quote(key, safe='')}/permissions"
        return await self._call("PUT", path, Role, json={"permissions": permissions})

    async def delete_role(self, key: str) -> None:
        await self._call("DELETE", f"/api/v1/admin/roles/{quote(key, safe='')}", None)

    async def workspace_settings(self) -> WorkspaceSettings:
        return await self._call("GET", "/api/v1/admin/settings", WorkspaceSettings)

    async def update_workspace_settings(self, changes: dict[str, Any]) -> WorkspaceSettings:
        return await self._call("PATCH", "/api/v1/admin/settings", WorkspaceSettings, json=changes)

    async def audit(self, *, action: str | None, cursor: str | None) -> AuditPage:
        params = {key: value for key, value in (("action", action), ("cursor", cursor)) if value}
        return await self._call("GET", "/api/v1/admin/audit", AuditPage, params=params)

    async def open_audit_csv(self, *, action: str | None) -> httpx.Response:
        return await self.open_csv("/api/v1/admin/audit.csv", {"action": action} if action else {})

    async def role_fields(self, key: str) -> FieldRules:
        return await self._call("GET", f"/api/v1/admin/roles/{quote(key, safe='')}/fields", FieldRules)

    async def set_role_fields(self, key: str, fields: dict[str, dict[str, dict[str, str]]]) -> FieldRules:
        path = f"/api/v1/admin/roles/{quote(key, safe='')}/fields"
        return await self._call("PUT", path, FieldRules, json={"fields": fields})

    # Accounts and contacts (the API leaves out the fields the caller's role may not see, and masks some).

    async def accounts(self, params: Query) -> AccountPage:
        return await self._call("GET", "/api/v1/accounts", AccountPage, params=params)

    async def account(self, account_id: str) -> Account:
        return await self._call("GET", f"/api/v1/accounts/{quote(account_id, safe='')}", Account)

    async def create_account(self, body: dict[str, Any]) -> Account:
        return await self._call("POST", "/api/v1/accounts", Account, json=msgspec.to_builtins(body))

    async def update_account(self, account_id: str, changes: dict[str, Any]) -> Account:
        path = f"/api/v1/accounts/{quote(account_id, safe='')}"
        return await self._call("PATCH", path, Account, json=msgspec.to_builtins(changes))

    async def delete_account(self, account_id: str) -> None:
        await self._call("DELETE", f"/api/v1/accounts/{quote(account_id, safe='')}", None)

    async def restore_account(self, account_id: str) -> Account:
        return await self._call("POST", f"/api/v1/accounts/{quote(account_id, safe='')}/restore", Account)

    async def merge_accounts(self, account_id: str, merge_ids: list[str]) -> Account:
        path = f"/api/v1/accounts/{quote(account_id, safe='')}/merge"
        return await self._call("POST", path, Account, json={"merge_ids": merge_ids})

    async def deleted_accounts(self, cursor: str | None) -> AccountPage:
        params = {"cursor": cursor} if cursor else {}
        return await self._call("GET", "/api/v1/accounts/deleted", AccountPage, params=params)

    async def account_contacts(self, account_id: str) -> ContactPage:
        return await self._call("GET", f"/api/v1/accounts/{quote(account_id, safe='')}/contacts", ContactPage)

    async def account_history(self, account_id: str) -> list[Change]:
        return await self._call("GET", f"/api/v1/accounts/{quote(account_id, safe='')}/history", list[Change])

    async def collaborators(self, account_id: str) -> list[Collaborator]:
        path = f"/api/v1/accounts/{quote(account_id, safe='')}/collaborators"
        return await self._call("GET", path, list[Collaborator])

    async def put_collaborator(self, account_id: str, member_id: str, body: dict[str, Any]) -> None:
        path = f"/api/v1/accounts/{quote(account_id, safe='')}/collaborators/{quote(member_id, safe='')}"
        await self._call("PUT", path, None, json=msgspec.to_builtins(body))

    async def remove_collaborator(self, account_id: str, member_id: str) -> None:
        path = f"/api/v1/accounts/{quote(account_id, safe='')}/collaborators/{quote(member_id, safe='')}"
        await self._call("DELETE", path, None)

    async def contacts(self, params: Query) -> ContactPage:
        return await self._call("GET", "/api/v1/contacts", ContactPage, params=params)

    async def contact(self, contact_id: str) -> Contact:
        return await self._call("GET", f"/api/v1/contacts/{quote(contact_id, safe='')}", Contact)

    async def create_contact(self, body: dict[str, Any]) -> Contact:
        return await self._call("POST", "/api/v1/contacts", Contact, json=msgspec.to_builtins(body))

    async def update_contact(self, contact_id: str, changes: dict[str, Any]) -> Contact:
        path = f"/api/v1/contacts/{quote(contact_id, safe='')}"
        return await self._call("PATCH", path, Contact, json=msgspec.to_builtins(changes))

    async def delete_contact(self, contact_id: str) -> None:
        await self._call("DELETE", f"/api/v1/contacts/{quote(contact_id, safe='')}", None)

    async def contact_history(self, contact_id: str) -> list[Change]:
        return await self._call("GET", f"/api/v1/contacts/{quote(contact_id, safe='')}/history", list[Change])

    async def bulk(self, records: str, body: dict[str, Any]) -> BulkOut:
        """``records`` is "accounts" or "contacts"; the body names ``ids`` or a ``filter``."""
        return await self._call("POST", f"/api/v1/{records}/bulk", BulkOut, json=msgspec.to_builtins(body))

    # Saved views of a list and the workspace's custom fields (labels, types and options).

    async def views(self, module: str) -> list[SavedView]:
        return await self._call("GET", "/api/v1/views", list[SavedView], params={"module": module})

    async def create_view(self, body: dict[str, Any]) -> SavedView:
        return await self._call("POST", "/api/v1/views", SavedView, json=msgspec.to_builtins(body))

    async def update_view(self, view_id: str, changes: dict[str, Any]) -> SavedView:
        path = f"/api/v1/views/{quote(view_id, safe='')}"
        return await self._call("PATCH", path, SavedView, json=msgspec.to_builtins(changes))

    async def delete_view(self, view_id: str) -> None:
        await self._call("DELETE", f"/api/v1/views/{quote(view_id, safe='')}", None)

    async def custom_fields(self, module: str) -> list[CustomField]:
        return await self._call("GET", "/api/v1/custom-fields", list[CustomField], params={"module": module})

    async def search(self, query: str, limit: int) -> list[SearchHit]:
        return await self._call("GET", "/api/v1/search", list[SearchHit], params={"q": query, "limit": str(limit)})

    # Activities (跟进记录 and tasks), an account's timeline and a member's calendar.

    async def timeline(self, account_id: str, cursor: str | None, limit: str) -> TimelinePage:
        path = f"/api/v1/accounts/{quote(account_id, safe='')}/timeline"
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        return await self._call("GET", path, TimelinePage, params=params)

    async def create_activity(self, body: dict[str, Any]) -> Activity:
        return await self._call("POST", "/api/v1/activities", Activity, json=msgspec.to_builtins(body))

    async def set_task_done(self, activity_id: str, done: bool) -> Activity:
        path = f"/api/v1/activities/{quote(activity_id, safe='')}/done"
        return await self._call("POST", path, Activity, params={"done": "true" if done else "false"})

    async def calendar(
        self, start: str, end: str, owner_id: str | None = None, department_id: str | None = None
    ) -> list[Activity]:
        """One's own tasks and meetings, a colleague's (``owner_id``) or a department's (``department_id``)."""
        params = {"start": start, "end": end}
        params.update({"owner_id": owner_id} if owner_id else {})
        params.update({"department_id": department_id} if department_id else {})
        return await self._call("GET", "/api/v1/calendar", list[Activity], params=params)

    async def calendar_people(self) -> CalendarPeople:
        return await self._call("GET", "/api/v1/calendar/people", CalendarPeople)

    async def deal_timeline(self, deal_id: str, limit: str = "30") -> TimelinePage:
        path = f"/api/v1/deals/{quote(deal_id, safe='')}/timeline"
        return await self._call("GET", path, TimelinePage, params={"limit": limit})

    async def contact_timeline(self, contact_id: str, cursor: str | None, limit: str) -> TimelinePage:
        path = f"/api/v1/contacts/{quote(contact_id, safe='')}/timeline"
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        return await self._call("GET", path, TimelinePage, params=params)

    # Files on accounts, contacts and activities: passed on to the API as they came, and back as they are.

    async def files(self, record_type: str, record_id: str) -> list[Attachment]:
        params = {"record_type": record_type, "record_id": record_id}
        return await self._call("GET", "/api/v1/attachments", list[Attachment], params=params)

    async def upload_file(
        self, record_type: str, record_id: str, filename: str, file: IO[bytes], content_type: str
    ) -> Attachment:
        params = {"record_type": record_type, "record_id": record_id}
        files = {"file": (filename, file, content_type or "application/octet-stream")}
        return await self._call("POST", "/api/v1/attachments", Attachment, params=params, files=files)

    async def open_file(self, file_id: str) -> httpx.Response:
        """A file's download as an open response (``aclose()`` it), so the web passes it on as it arrives."""
        return await self.open_csv(f"/api/v1/attachments/{quote(file_id, safe='')}/download", {})

    async def delete_file(self, file_id: str) -> None:
        await self._call("DELETE", f"/api/v1/attachments/{quote(file_id, safe='')}", None)

    # Imports of accounts from CSV or XLSX: the file goes to the API as it came (multipart), then mapping and start.

    async def upload_import(self, module: str, filename: str, file: IO[bytes], content_type: str) -> Import:
        files = {"file": (filename, file, content_type or "application/octet-stream")}
        return await self._call("POST", "/api/v1/imports", Import, params={"module": module}, files=files)

    async def import_(self, import_id: str) -> Import:
        return await self._call("GET", f"/api/v1/imports/{quote(import_id, safe='')}", Import)

    async def map_import(
        self, import_id: str, mapping: dict[str, str | None], duplicates: str, pool_id: str | None = None
    ) -> Import:
        """``pool_id``: accounts go into that customer pool without an owner."""
        path = f"/api/v1/imports/{quote(import_id, safe='')}/mapping"
        body = {"mapping": mapping, "duplicates": duplicates, **({"pool_id": pool_id} if pool_id else {})}
        return await self._call("PUT", path, Import, json=body)

    async def start_import(self, import_id: str) -> Import:
        return await self._call("POST", f"/api/v1/imports/{quote(import_id, safe='')}/start", Import)

    async def undo_import(self, import_id: str) -> Import:
        return await self._call("POST", f"/api/v1/imports/{quote(import_id, safe='')}/undo", Import)

    # Exports of the account and contact lists, written by the worker; the file comes through open_csv.

    async def start_export(self, body: dict[str, Any]) -> Export:
        return await self._call("POST", "/api/v1/exports", Export, json=body)

    async def exports(self) -> list[Export]:
        return await self._call("GET", "/api/v1/exports", list[Export])

    async def open_csv(self, path: str, params: Query) -> httpx.Response:
        """One of the API's CSV exports (or an export's file) as an open response, so the web passes it on
        without holding it in memory. The caller reads it and must ``aclose()`` it.
        """
        request = self._http.build_request("GET", path, params=params, headers=self._headers)
        try:
            response = await self._http.send(request, stream=True)
        except httpx.HTTPError as error:
            log.warning("api.unreachable", method="GET", path=request.url.path, error=type(error).__name__)
            raise ApiUnavailable(str(error)) from error
        if response.is_error:
            await response.aread()
            await response.aclose()
            raise _problem_of(response)
        return response

    # API tokens of the signed-in user in the current workspace.

    async def api_tokens(self) -> list[ApiToken]:
        return await self._call("GET", "/api/v1/tokens", list[ApiToken])

    async def create_api_token(self, *, name: str, scopes: list[str], expires_in_days: int | None) -> NewToken:
        body = {"name": name, "scopes": scopes, "expires_in_days": expires_in_days}
        return await self._call("POST", "/api/v1/tokens", NewToken, json=body)

    async def revoke_api_token(self, token_id: str) -> None:
        await self._call("DELETE", f"/api/v1/tokens/{quote(token_id, safe='')}", None)

    # Two-factor sign-in of the signed-in user (the API refuses API tokens here).

    async def begin_two_factor(self) -> TwoFactorSetup:
        return await self._call("POST", "/api/v1/me/two-factor", TwoFactorSetup)

    async def confirm_two_factor(self, code: str) -> RecoveryCodes:
        return await self._call("POST", "/api/v1/me/two-factor/confirm", RecoveryCodes, json={"code": code})

    async def disable_two_factor(self, code: str) -> None:
        await self._call("POST", "/api/v1/me/two-factor/disable", None, json={"code": code})

    # Invitation links and password resets: public, the link's token is the secret.

    async def invitation(self, token: str) -> InvitationPreview:
        return await self._call("GET", f"/api/v1/invitations/{quote(token, safe='')}", InvitationPreview)

    async def accept_invitation(self, *, token: str, name: str | None, password: str | None) -> Session:
        body: dict[str, str] = {"token": token}
        if name is not None:
            body["name"] = name
        if password is not None:
            body["password"] = password
        return await self._call("POST", "/api/v1/invitations/accept", Session, json=body)

    async def request_password_reset(self, email: str) -> None:
        await self._call("POST", "/api/v1/auth/password-reset", None, json={"email": email})

    async def reset_password(self, *, token: str, password: str) -> User:
        body = {"token": token, "password": password}
        return await self._call("POST", "/api/v1/auth/password-reset/confirm", User, json=body)

    # Deals (商机) ----------------------------------------------------------------------------------------------

    async def pipelines(self) -> list[Pipeline]:
        return await self._call("GET", "/api/v1/pipelines", list[Pipeline])

    async def board(self, pipeline_id: str, params: Query) -> Board:
        path = f"/api/v1/pipelines/{quote(pipeline_id, safe='')}/board"
        return await self._call("GET", path, Board, params=params)

    async def create_pipeline(self, body: dict[str, Any]) -> Pipeline:
        return await self._call("POST", "/api/v1/pipelines", Pipeline, json=body)

    async def update_pipeline(self, pipeline_id: str, body: dict[str, Any]) -> Pipeline:
        return await self._call("PUT", f"/api/v1/pipelines/{quote(pipeline_id, safe='')}", Pipeline, json=body)

    async def loss_reasons(self) -> list[LossReason]:
        return await self._call("GET", "/api/v1/loss-reasons", list[LossReason])

    async def create_loss_reason(self, *, name: str, active: bool = True) -> LossReason:
        body = {"name": name, "active": active}
        return await self._call("POST", "/api/v1/loss-reasons", LossReason, json=body)

    async def update_loss_reason(self, reason_id: str, *, name: str, active: bool) -> LossReason:
        path = f"/api/v1/loss-reasons/{quote(reason_id, safe='')}"
        return await self._call("PUT", path, LossReason, json={"name": name, "active": active})

    async def orders(self, params: Query) -> OrderPage:
        return await self._call("GET", "/api/v1/orders", OrderPage, params=params)

    async def order(self, order_id: str) -> OrderDetail:
        return await self._call("GET", f"/api/v1/orders/{quote(order_id, safe='')}", OrderDetail)

    async def create_order(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self._call("POST", "/api/v1/orders", dict[str, Any], json=body)

    async def order_action(self, order_id: str, action: str, body: dict[str, Any]) -> None:
        """POST to one of an order's sub-resources: ``status``, ``payments``, ``instalments``, ``invoices``."""
        await self._call("POST", f"/api/v1/orders/{quote(order_id, safe='')}/{action}", None, json=body)

    async def receivables(self, params: Query) -> ReceivablePage:
        return await self._call("GET", "/api/v1/receivables", ReceivablePage, params=params)

    async def deal(self, deal_id: str) -> Deal:
        return await self._call("GET", f"/api/v1/deals/{quote(deal_id, safe='')}", Deal)

    async def deals(self, params: Query) -> list[Deal]:
        page = await self._call("GET", "/api/v1/deals", dict[str, Any], params=params)
        return msgspec.convert(page["items"], list[Deal])

    async def create_deal(self, body: dict[str, Any]) -> Deal:
        return await self._call("POST", "/api/v1/deals", Deal, json=body)

    async def update_deal(self, deal_id: str, changes: dict[str, Any]) -> Deal:
        return await self._call("PATCH", f"/api/v1/deals/{quote(deal_id, safe='')}", Deal, json=changes)

    async def move_deal(self, deal_id: str, body: dict[str, Any]) -> Deal:
        return await self._call("POST", f"/api/v1/deals/{quote(deal_id, safe='')}/move", Deal, json=body)

    async def deal_lines(self, deal_id: str) -> DealLines:
        return await self._call("GET", f"/api/v1/deals/{quote(deal_id, safe='')}/lines", DealLines)

    async def set_deal_lines(self, deal_id: str, lines: list[dict[str, Any]]) -> DealLines:
        path = f"/api/v1/deals/{quote(deal_id, safe='')}/lines"
        return await self._call("PUT", path, DealLines, json={"lines": lines})

    async def deal_stages(self, deal_id: str) -> list[StageChange]:
        return await self._call("GET", f"/api/v1/deals/{quote(deal_id, safe='')}/stages", list[StageChange])

    # Targets, forecast and leaderboard -----------------------------------------------------------------------

    async def targets(self, params: Query) -> TargetProgress:
        return await self._call("GET", "/api/v1/targets", TargetProgress, params=params)

    async def set_targets(self, body: dict[str, Any]) -> TargetProgress:
        return await self._call("PUT", "/api/v1/targets", TargetProgress, json=body)

    async def split_target(self, body: dict[str, Any]) -> TargetProgress:
        return await self._call("POST", "/api/v1/targets/split", TargetProgress, json=body)

    async def forecast(self, months: int = 6) -> list[ForecastMonth]:
        return await self._call("GET", "/api/v1/targets/forecast", list[ForecastMonth], params={"months": str(months)})

    async def leaderboard(self, params: Query) -> list[LeaderRow]:
        return await self._call("GET", "/api/v1/targets/leaderboard", list[LeaderRow], params=params)

    # Reports ---------------------------------------------------------------------------------------------------

    async def reports(self) -> list[dict[str, Any]]:
        return await self._call("GET", "/api/v1/reports", list[dict[str, Any]])

    async def report(self, key: str, params: Query) -> dict[str, Any]:
        return await self._call("GET", f"/api/v1/reports/predefined/{quote(key, safe='')}", dict[str, Any],
                                params=params)  # fmt: skip

    async def dashboard(self) -> dict[str, Any]:
        return await self._call("GET", "/api/v1/reports/dashboard", dict[str, Any])

    async def saved_reports(self) -> list[dict[str, Any]]:
        return await self._call("GET", "/api/v1/reports/saved", list[dict[str, Any]], params={"limit": "200"})

    async def saved_report(self, report_id: uuid.UUID) -> dict[str, Any]:
        return await self._call("GET", f"/api/v1/reports/saved/{report_id}/run", dict[str, Any])

    async def saved_report_info(self, report_id: uuid.UUID) -> dict[str, Any]:
        """The saved report itself (name, sharing, definition or parameters), not its answer."""
        return await self._call("GET", f"/api/v1/reports/saved/{report_id}", dict[str, Any])

    async def save_report(self, body: dict[str, Any], report_id: uuid.UUID | None = None) -> dict[str, Any]:
        if report_id is None:
            return await self._call("POST", "/api/v1/reports/saved", dict[str, Any], json=body)
        return await self._call("PUT", f"/api/v1/reports/saved/{report_id}", dict[str, Any], json=body)

    async def delete_saved_report(self, report_id: uuid.UUID) -> None:
        await self._call("DELETE", f"/api/v1/reports/saved/{report_id}", None)

    async def report_entities(self) -> list[dict[str, Any]]:
        return await self._call("GET", "/api/v1/reports/builder/entities", list[dict[str, Any]])

    async def run_builder(self, definition: dict[str, Any]) -> dict[str, Any]:
        return await self._call("POST", "/api/v1/reports/builder/run", dict[str, Any], json=definition)

    async def report_schedules(self, report_id: uuid.UUID) -> list[dict[str, Any]]:
        return await self._call("GET", f"/api/v1/reports/saved/{report_id}/schedules", list[dict[str, Any]])

    async def create_report_schedule(self, report_id: uuid.UUID, body: dict[str, Any]) -> dict[str, Any]:
        return await self._call("POST", f"/api/v1/reports/saved/{report_id}/schedules", dict[str, Any], json=body)

    async def delete_report_schedule(self, report_id: uuid.UUID, schedule_id: uuid.UUID) -> None:
        await self._call("DELETE", f"/api/v1/reports/saved/{report_id}/schedules/{schedule_id}", None)

    async def report_file(self, path: str, params: Query) -> httpx.Response:
        """An export of a predefined (``predefined/<key>``) or saved (``saved/<id>``) report, as the API sends it."""
        return await self._send("GET", f"/api/v1/reports/{path}/export", params=params)

    async def grading_report(self, params: Query) -> GradingReport:
        return await self._call("GET", "/api/v1/grading/report", GradingReport, params=params)

    async def grading_latest_run(self) -> GradingRun | None:
        return (await self._call("GET", "/api/v1/grading/runs/latest", LatestGradingRun)).run

    async def start_grading(self) -> GradingRun:
        return await self._call("POST", "/api/v1/grading/runs", GradingRun)

    async def billing(self) -> dict[str, Any]:
        return await self._call("GET", "/api/v1/billing", dict[str, Any])

    async def billing_plans(self) -> dict[str, Any]:
        return await self._call("GET", "/api/v1/billing/plans", dict[str, Any])

    async def billing_invoices(self) -> dict[str, Any]:
        return await self._call("GET", "/api/v1/billing/invoices", dict[str, Any])

    async def billing_checkout(self, plan: str, interval: str, currency: str) -> str:
        body = {"plan": plan, "interval": interval, "currency": currency}
        return str((await self._call("POST", "/api/v1/billing/checkout", dict[str, Any], json=body))["url"])

    async def billing_portal(self) -> str:
        return str((await self._call("POST", "/api/v1/billing/portal", dict[str, Any]))["url"])

    async def operator_billing_summary(self) -> OperatorSummary:
        return await self._call("GET", "/api/v1/operator/billing/summary", OperatorSummary)

    async def operator_billing_workspaces(self, params: Query) -> OperatorWorkspaces:
        return await self._call("GET", "/api/v1/operator/billing/workspaces", OperatorWorkspaces, params=params)

    async def grading_settings(self) -> dict[str, Any]:
        return await self._call("GET", "/api/v1/grading/settings", dict[str, Any])

    async def set_grading_settings(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self._call("PUT", "/api/v1/grading/settings", dict[str, Any], json=body)

    async def account_grade(self, account_id: str) -> dict[str, Any]:
        return await self._call("GET", f"/api/v1/accounts/{quote(account_id, safe='')}/grade", dict[str, Any])

    async def grade_history(self, account_id: str) -> list[dict[str, Any]]:
        path = f"/api/v1/accounts/{quote(account_id, safe='')}/grade-history"
        return await self._call("GET", path, list[dict[str, Any]])

    async def set_manual_grade(self, account_id: str, grade: str, reason: str) -> dict[str, Any]:
        path = f"/api/v1/accounts/{quote(account_id, safe='')}/grade"
        return await self._call("PUT", path, dict[str, Any], json={"grade": grade, "reason": reason})

    async def remove_manual_grade(self, account_id: str) -> dict[str, Any]:
        return await self._call("DELETE", f"/api/v1/accounts/{quote(account_id, safe='')}/grade", dict[str, Any])

    async def set_growth_score(self, account_id: str, score: int | None) -> dict[str, Any]:
        path = f"/api/v1/accounts/{quote(account_id, safe='')}/growth-score"
        return await self._call("PUT", path, dict[str, Any], json={"score": score})

    # Churn early warning ----------------------------------------------------------------------------------------

    async def churn_at_risk(self, params: Query) -> ChurnPage:
        return await self._call("GET", "/api/v1/churn/at-risk", ChurnPage, params=params)

    async def churn_settings(self) -> dict[str, Any]:
        return await self._call("GET", "/api/v1/churn/settings", dict[str, Any])

    async def set_churn_settings(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self._call("PUT", "/api/v1/churn/settings", dict[str, Any], json=body)

    async def churn_risk(self, account_id: str) -> dict[str, Any]:
        return await self._call("GET", f"/api/v1/accounts/{quote(account_id, safe='')}/risk", dict[str, Any])

    async def win_back(self, account_id: str, note: str | None) -> dict[str, Any]:
        path = f"/api/v1/accounts/{quote(account_id, safe='')}/win-back"
        return await self._call("POST", path, dict[str, Any], json={"note": note})

    async def churn_analytics(self, params: Query) -> dict[str, Any]:
        return await self._call("GET", "/api/v1/churn/analytics", dict[str, Any], params=params)

    async def todo(self) -> list[TodoSection]:
        answer = await self._call("GET", "/api/v1/todo", dict[str, Any])
        return msgspec.convert(answer["sections"], list[TodoSection])

    # Announcements ------------------------------------------------------------------------------------------

    async def announcements(self, *, unread: bool = False, cursor: str | None = None) -> AnnouncementPage:
        params = {"unread": "true" if unread else "false", "limit": "30"}
        if cursor:
            params["cursor"] = cursor
        return await self._call("GET", "/api/v1/announcements", AnnouncementPage, params=params)

    async def announcement(self, announcement_id: str) -> AnnouncementOut:
        return await self._call("GET", f"/api/v1/announcements/{announcement_id}", AnnouncementOut)

    async def announcement_receipts(self, announcement_id: str) -> Receipts:
        return await self._call("GET", f"/api/v1/announcements/{announcement_id}/receipts", Receipts)

    async def publish_announcement(self, body: dict[str, Any]) -> AnnouncementOut:
        return await self._call("POST", "/api/v1/announcements", AnnouncementOut, json=body)

    # Work reports -------------------------------------------------------------------------------------------

    async def work_report_draft(self, kind: str, day: str | None = None) -> ReportOut:
        params = {"kind": kind, **({"date": day} if day else {})}
        return await self._call("GET", "/api/v1/work-reports/draft", ReportOut, params=params)

    async def submit_work_report(self, body: dict[str, Any]) -> ReportOut:
        return await self._call("PUT", "/api/v1/work-reports", ReportOut, json=body)

    async def work_reports(self, cursor: str | None = None) -> ReportPage:
        params = {"limit": "20", **({"cursor": cursor} if cursor else {})}
        return await self._call("GET", "/api/v1/work-reports", ReportPage, params=params)

    async def work_report(self, report_id: str) -> ReportOut:
        return await self._call("GET", f"/api/v1/work-reports/{report_id}", ReportOut)

    async def comment_work_report(self, report_id: str, body: str) -> ReportOut:
        return await self._call("POST", f"/api/v1/work-reports/{report_id}/comments", ReportOut, json={"body": body})

    async def work_report_missing(self, kind: str, day: str | None = None) -> MissingOut:
        params = {"kind": kind, **({"date": day} if day else {})}
        return await self._call("GET", "/api/v1/work-reports/missing", MissingOut, params=params)

    async def work_report_rules(self) -> list[WorkReportRule]:
        return await self._call("GET", "/api/v1/work-reports/rules", list[WorkReportRule])

    async def work_report_rule(self, rule_id: str) -> WorkReportRule:
        return await self._call("GET", f"/api/v1/work-reports/rules/{quote(rule_id, safe='')}", WorkReportRule)

    async def create_work_report_rule(self, body: dict[str, Any]) -> WorkReportRule:
        return await self._call("POST", "/api/v1/work-reports/rules", WorkReportRule, json=body)

    async def change_work_report_rule(self, rule_id: str, body: dict[str, Any]) -> WorkReportRule:
        return await self._call(
            "PUT", f"/api/v1/work-reports/rules/{quote(rule_id, safe='')}", WorkReportRule, json=body
        )

    async def delete_work_report_rule(self, rule_id: str) -> None:
        await self._call("DELETE", f"/api/v1/work-reports/rules/{quote(rule_id, safe='')}", None)

    # Notifications ------------------------------------------------------------------------------------------

    async def notifications(self, *, unread: bool = False, cursor: str | None = None) -> NotificationPage:
        params = {"unread": "true" if unread else "false", "limit": "30"}
        if cursor:
            params["cursor"] = cursor
        return await self._call("GET", "/api/v1/notifications", NotificationPage, params=params)

    async def unread_notifications(self) -> int:
        answer = await self._call("GET", "/api/v1/notifications/unread-count", dict[str, int])
        return answer["unread"]

    async def mark_notification_read(self, notification_id: str) -> dict[str, Any]:
        return await self._call("POST", f"/api/v1/notifications/{notification_id}/read", dict[str, Any])

    async def mark_all_notifications_read(self) -> None:
        await self._call("POST", "/api/v1/notifications/read-all", None)

    async def notification_preferences(self) -> list[PreferenceOut]:
        return await self._call("GET", "/api/v1/me/notification-preferences", list[PreferenceOut])

    async def set_notification_preferences(self, items: list[dict[str, Any]]) -> list[PreferenceOut]:
        body = {"items": items}
        return await self._call("PUT", "/api/v1/me/notification-preferences", list[PreferenceOut], json=body)

    # Products and price lists -------------------------------------------------------------------------------

    async def products(self, params: Query) -> ProductPage:
        return await self._call("GET", "/api/v1/products", ProductPage, params=params)

    async def product(self, product_id: str) -> Product:
        return await self._call("GET", f"/api/v1/products/{quote(product_id, safe='')}", Product)

    async def save_product(self, product_id: str | None, body: dict[str, Any]) -> Product:
        if product_id is None:
            return await self._call("POST", "/api/v1/products", Product, json=body)
        return await self._call("PATCH", f"/api/v1/products/{quote(product_id, safe='')}", Product, json=body)

    async def delete_product(self, product_id: str) -> None:
        await self._call("DELETE", f"/api/v1/products/{quote(product_id, safe='')}", None)

    async def price_lists(self) -> list[PriceList]:
        return await self._call("GET", "/api/v1/price-lists", list[PriceList])

    async def price_list(self, price_list_id: str) -> PriceList:
        return await self._call("GET", f"/api/v1/price-lists/{quote(price_list_id, safe='')}", PriceList)

    async def save_price_list(self, price_list_id: str | None, body: dict[str, Any]) -> PriceList:
        if price_list_id is None:
            return await self._call("POST", "/api/v1/price-lists", PriceList, json=body)
        return await self._call("PUT", f"/api/v1/price-lists/{quote(price_list_id, safe='')}", PriceList, json=body)

    async def price(self, price_list_id: str, product_id: str, quantity: str) -> PriceQuote:
        path = f"/api/v1/price-lists/{quote(price_list_id, safe='')}/price"
        return await self._call("GET", path, PriceQuote, params={"product_id": product_id, "quantity": quantity})

    async def permissions(self) -> dict[str, dict[str, str]]:
        """The reader's scope per module and action, as the API grants it (``none`` … ``all``)."""
        return await self._call("GET", "/api/v1/me/permissions", dict[str, dict[str, str]])

    async def may_change_catalogue(self) -> bool:
        """Whether the reader may change products and prices: the API's ``products`` update scope."""
        return (await self.permissions()).get("products", {}).get("update", "none") != "none"

    # Leads (线索), the lead pool, assignment rules and web forms ------------------------------------------------

    async def leads(self, params: Query) -> LeadPage:
        return await self._call("GET", "/api/v1/leads", LeadPage, params=params)

    async def lead(self, lead_id: str) -> Lead:
        return await self._call("GET", f"/api/v1/leads/{quote(lead_id, safe='')}", Lead)

    async def create_lead(self, body: dict[str, Any]) -> Lead:
        return await self._call("POST", "/api/v1/leads", Lead, json=body)

    async def update_lead(self, lead_id: str, changes: dict[str, Any]) -> Lead:
        return await self._call("PATCH", f"/api/v1/leads/{quote(lead_id, safe='')}", Lead, json=changes)

    async def lead_action(self, lead_id: str, action: str, body: dict[str, Any] | None = None) -> Lead:
        """``claim``, ``release`` or ``assign`` (with ``{"owner_id": …}``)."""
        path = f"/api/v1/leads/{quote(lead_id, safe='')}/{quote(action, safe='')}"
        return await self._call("POST", path, Lead, json=body)

    async def convert_lead(self, lead_id: str, body: dict[str, Any]) -> ConvertOut:
        return await self._call("POST", f"/api/v1/leads/{quote(lead_id, safe='')}/convert", ConvertOut, json=body)

    async def lead_timeline(self, lead_id: str) -> TimelinePage:
        return await self._call("GET", f"/api/v1/leads/{quote(lead_id, safe='')}/timeline", TimelinePage)

    async def lead_rules(self) -> list[LeadRule]:
        return await self._call("GET", "/api/v1/lead-assignment-rules", list[LeadRule])

    async def save_lead_rules(self, rules: list[dict[str, Any]]) -> list[LeadRule]:
        return await self._call("PUT", "/api/v1/lead-assignment-rules", list[LeadRule], json=rules)

    async def lead_forms(self) -> list[LeadForm]:
        return await self._call("GET", "/api/v1/lead-forms", list[LeadForm])

    async def save_lead_form(self, form_id: str | None, body: dict[str, Any]) -> LeadForm:
        if form_id is None:
            return await self._call("POST", "/api/v1/lead-forms", LeadForm, json=body)
        return await self._call("PUT", f"/api/v1/lead-forms/{quote(form_id, safe='')}", LeadForm, json=body)

    async def public_form(self, slug: str, key: str) -> PublicFormOut:
        path = f"/api/v1/public/lead-forms/{quote(slug, safe='')}/{quote(key, safe='')}"
        return await self._call("GET", path, PublicFormOut)

    async def send_public_form(self, slug: str, key: str, body: dict[str, Any]) -> None:
        path = f"/api/v1/public/lead-forms/{quote(slug, safe='')}/{quote(key, safe='')}"
        await self._call("POST", path, None, json=body)

    # The customer pool (客户公海) ----------------------------------------------------------------------------

    async def pools(self) -> list[Pool]:
        return await self._call("GET", "/api/v1/pools", list[Pool])

    async def pool(self, pool_id: str) -> Pool:
        return await self._call("GET", f"/api/v1/pools/{quote(pool_id, safe='')}", Pool)

    async def save_pool(self, pool_id: str | None, body: dict[str, Any]) -> Pool:
        if pool_id is None:
            return await self._call("POST", "/api/v1/pools", Pool, json=body)
        return await self._call("PUT", f"/api/v1/pools/{quote(pool_id, safe='')}", Pool, json=body)

    async def pool_accounts(self, pool_id: str, params: Query) -> PoolAccountPage:
        path = f"/api/v1/pools/{quote(pool_id, safe='')}/accounts"
        return await self._call("GET", path, PoolAccountPage, params=params)

    async def claim(self, pool_id: str, account_ids: list[str]) -> ClaimOut:
        path = f"/api/v1/pools/{quote(pool_id, safe='')}/claim"
        return await self._call("POST", path, ClaimOut, json={"account_ids": account_ids})

    async def assign(self, pool_id: str, account_ids: list[str], owner_id: str) -> None:
        body = {"account_ids": account_ids, "owner_id": owner_id}
        await self._call("POST", f"/api/v1/pools/{quote(pool_id, safe='')}/assign", None, json=body)

    async def release(self, account_ids: list[str], reason: str | None) -> int:
        body = {"action": "move_to_pool", "ids": account_ids, "reason": reason}
        answer = await self._call("POST", "/api/v1/accounts/bulk", dict[str, Any], json=body)
        return int(answer["changed"])

    async def return_status(self, account_id: str) -> ReturnOut:
        return await self._call("GET", f"/api/v1/accounts/{quote(account_id, safe='')}/pool", ReturnOut)

    async def lock_account(self, account_id: str, locked: bool) -> ReturnOut:
        path = f"/api/v1/accounts/{quote(account_id, safe='')}/pool/lock"
        return await self._call("PUT", path, ReturnOut, json={"locked": locked})

    async def _call(
        self,
        method: str,
        path: str,
        into: type[T] | None,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        files: dict[str, tuple[str, IO[bytes], str]] | None = None,
    ) -> T:
        response = await self._send(method, path, json=json, params=params, files=files)
        if into is None:
            return None  # type: ignore[return-value]
        return msgspec.json.decode(response.content, type=into)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        files: dict[str, tuple[str, IO[bytes], str]] | None = None,
    ) -> httpx.Response:
        """The API's answer; a problem becomes :class:`ApiError`, a network failure :class:`ApiUnavailable`."""
        try:
            response = await self._http.request(
                method, path, json=json, params=params, files=files, headers=self._headers
            )
        except httpx.HTTPError as error:
            log.warning("api.unreachable", method=method, path=path, error=type(error).__name__)
            raise ApiUnavailable(str(error)) from error
        if response.is_error:
            raise _problem_of(response)
        return response

    # Quotes (报价单) and contracts (合同) ---------------------------------------------------------------------------

    async def quotes(self, params: Query) -> QuotePage:
        return await self._call("GET", "/api/v1/quotes", QuotePage, params=params)

    async def quote(self, quote_id: str) -> Quote:
        return await self._call("GET", f"/api/v1/quotes/{quote(quote_id, safe='')}", Quote)

    async def create_quote(self, body: dict[str, Any]) -> Quote:
        return await self._call("POST", "/api/v1/quotes", Quote, json=body)

    async def update_quote(self, quote_id: str, body: dict[str, Any]) -> Quote:
        return await self._call("PATCH", f"/api/v1/quotes/{quote(quote_id, safe='')}", Quote, json=body)

    async def answer_quote(self, quote_id: str, answer: str, body: dict[str, Any]) -> Quote:
        """``answer``: accept or reject."""
        return await self._call("POST", f"/api/v1/quotes/{quote(quote_id, safe='')}/{answer}", Quote, json=body)

    async def send_quote(self, quote_id: str, body: dict[str, Any]) -> dict[str, Any]:
        path = f"/api/v1/quotes/{quote(quote_id, safe='')}/send"
        return await self._call("POST", path, dict[str, Any], json=body)

    async def open_quote_pdf(self, quote_id: str) -> httpx.Response:
        return await self.open_csv(f"/api/v1/quotes/{quote(quote_id, safe='')}/pdf", {})

    async def contract_from_quote(self, quote_id: str, body: dict[str, Any]) -> Contract:
        return await self._call("POST", f"/api/v1/quotes/{quote(quote_id, safe='')}/contract", Contract, json=body)

    async def contracts(self, params: Query) -> ContractPage:
        return await self._call("GET", "/api/v1/contracts", ContractPage, params=params)

    async def contract(self, contract_id: str) -> Contract:
        return await self._call("GET", f"/api/v1/contracts/{quote(contract_id, safe='')}", Contract)

    async def update_contract(self, contract_id: str, body: dict[str, Any]) -> Contract:
        return await self._call("PATCH", f"/api/v1/contracts/{quote(contract_id, safe='')}", Contract, json=body)

    async def numbering_rules(self) -> list[dict[str, Any]]:
        return await self._call("GET", "/api/v1/settings/numbering", list[dict[str, Any]])

    async def set_numbering_rule(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        path = f"/api/v1/settings/numbering/{quote(kind, safe='')}"
        return await self._call("PUT", path, dict[str, Any], json=body)

    async def print_templates(self) -> list[PrintTemplate]:
        return await self._call("GET", "/api/v1/settings/print-templates", list[PrintTemplate])

    async def save_print_template(self, template_id: str | None, body: dict[str, Any]) -> PrintTemplate:
        if template_id is None:
            return await self._call("POST", "/api/v1/settings/print-templates", PrintTemplate, json=body)
        path = f"/api/v1/settings/print-templates/{quote(template_id, safe='')}"
        return await self._call("PUT", path, PrintTemplate, json=body)


async def optional(call: Awaitable[T]) -> T | None:
    """A part of a page the reader's role may not see (the API says 403) is left out of the page."""
    try:
        return await call
    except ApiError as error:
        if error.status == 403:
            return None
        raise


def _problem_of(response: httpx.Response) -> ApiError:
    try:
        problem = msgspec.json.decode(response.content, type=Problem)
    except msgspec.DecodeError:
        problem = Problem(title=response.reason_phrase, detail=response.text[:200])
    problem.status = response.status_code
    retry_after = response.headers.get("Retry-After", "")
    if response.status_code >= 500:
        log.warning("api.failed", path=response.request.url.path, status=response.status_code)
    return ApiError(problem, int(retry_after) if retry_after.isdigit() else None)
