"""Web forms (线索表单) a workspace embeds on its own site. Each has a public address with the workspace's slug
and a random key; the workspace is found on the server from both, never from anything the visitor sends.

A bot is told apart by a honeypot field people never see, and by a signed token issued with the form: a post
sooner than MIN_FILL_SECONDS after it (no person types that fast) or with a token forged or older than
TOKEN_HOURS is refused. The caller counts posts per address and form in Redis before this runs."""

from __future__ import annotations

import re
import secrets
import time
import uuid
from typing import Any

import msgspec
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi import signing
from guanxi.db.base import new_id
from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.billing import limits
from guanxi.domain.billing.tasks import tell_records_full
from guanxi.domain.customers.validation import Cleaner
from guanxi.domain.leads import assignment
from guanxi.domain.leads.models import LeadForm
from guanxi.domain.leads.schemas import FormIn, LeadIn, SubmissionIn
from guanxi.domain.leads.service import clean, insert_lead
from guanxi.domain.tenancy.models import Tenant
from guanxi.errors import DomainError, FieldError, validation_error

MIN_FILL_SECONDS = 2
TOKEN_HOURS = 12
MAX_VALUE = 20_000
PURPOSE = "lead-form"
_SLUG = re.compile(r"^[a-z0-9]{1,40}$")
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,40}$")


def slug_of(scope: TenantScope) -> str:
    """The workspace's slug in public addresses: its schema's short id (unique, stable, nothing to guess from)."""
    return scope.schema.removeprefix("tenant_")


async def list_forms(session: AsyncSession, access: Access) -> list[LeadForm]:
    access.require("leads", "read")
    return list(
        await session.scalars(select(LeadForm).order_by(LeadForm.created_at), execution_options=scoped(access.scope))
    )


def _clean(data: FormIn) -> dict[str, Any]:
    c = Cleaner()
    name = c.text("name", data.name, 100, required=True)
    if not data.fields:
        c.fail("fields", "choose at least one field", "required")
    if len({f.field for f in data.fields}) != len(data.fields):
        c.fail("fields", "names a field twice", "duplicate")
    fields = [
        {"field": f.field, "label": c.text(f"fields[{i}].label", f.label, 100), "required": f.required}
        for i, f in enumerate(data.fields)
    ]
    if not any(f["field"] in ("name", "company") and f["required"] for f in fields):
        c.fail("fields", "the name or the company must be a required field: a lead needs one", "required")
    values = {
        "name": name,
        "fields": fields,
        "source": c.text("source", data.source, 60),
        "thank_you": c.text("thank_you", data.thank_you, 1000, multiline=True),
        "active": data.active,
    }
    if c.errors:
        raise validation_error(*c.errors)
    return values


async def save_form(session: AsyncSession, access: Access, data: FormIn, form_id: uuid.UUID | None = None) -> LeadForm:
    assignment.require_admin(access)
    values = _clean(data)
    options = scoped(access.scope)
    if form_id is None:
        form_id = new_id()
        await session.execute(
            insert(LeadForm).values(id=form_id, key=secrets.token_urlsafe(18), created_by=access.member_id, **values),
            execution_options=options,
        )
    elif (
        await session.scalar(
            update(LeadForm)
            .where(LeadForm.id == form_id)
            .values(updated_at=func.now(), **values)
            .returning(LeadForm.id),
            execution_options=options,
        )
        is None
    ):
        raise not_found_for("Form")
    found = await session.get(LeadForm, form_id, execution_options=options, populate_existing=True)
    assert found is not None
    return found


async def find_public(session: AsyncSession, slug: str, key: str) -> tuple[TenantScope, LeadForm]:
    """The active form with this key in the workspace with this slug; 404 for anything else."""
    if not (_SLUG.match(slug) and _KEY.match(key)):
        raise not_found_for("Form")
    tenant = await session.scalar(
        select(Tenant).where(Tenant.schema_name == f"tenant_{slug}", Tenant.status == "active")
    )
    if tenant is None:
        raise not_found_for("Form")
    scope = TenantScope(tenant_id=tenant.id, schema=tenant.schema_name)
    form = await session.scalar(
        select(LeadForm).where(LeadForm.key == key, LeadForm.active), execution_options=scoped(scope)
    )
    if form is None:
        raise not_found_for("Form")
    return scope, form


def issue_token(form: LeadForm, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    return signing.sign_until(PURPOSE, f"{form.key}:{issued}", issued + TOKEN_HOURS * 3600)


def _check_token(form: LeadForm, token: str) -> None:
    value = signing.unsign(PURPOSE, token) if len(token) < 200 else None
    key, _, issued = (value or "").rpartition(":")
    if value is None or key != form.key or not issued.isdigit():
        raise _refused("token", "is stale or invalid: reload the form and send it again", "stale_token")
    if time.time() - int(issued) < MIN_FILL_SECONDS:
        raise _refused("token", "the form was sent too fast after it was shown", "too_fast")


def _refused(field: str, message: str, code: str) -> DomainError:
    return DomainError(
        detail=f"{field}: {message}",
        status=422,
        type="form-refused",
        title="Form submission refused",
        errors=[FieldError(field, message, code)],
    )


async def submit(session: AsyncSession, scope: TenantScope, form: LeadForm, data: SubmissionIn) -> uuid.UUID:
    """Write the visitor's lead (through the assignment rules), or refuse the whole post."""
    if data.website.strip():
        raise _refused("website", "must be left empty", "honeypot")
    _check_token(form, data.token)
    allowed = {f["field"]: f for f in form.fields}
    c = Cleaner()
    given: dict[str, Any] = {}
    for name, value in data.values.items():
        if name not in allowed:
            c.fail(f"values.{name}", "is not a field of this form", "unknown_field")
        elif len(value) > MAX_VALUE:
            c.fail(f"values.{name}", f"must be at most {MAX_VALUE} characters", "too_long")
        elif value.strip():
            given[name] = value
    for name, spec in allowed.items():
        if spec["required"] and name not in given:
            c.fail(f"values.{name}", "is required", "required")
    if "employees" in given:
        digits = given["employees"].strip().replace(",", "")
        if digits.isdigit() and len(digits) < 9:
            given["employees"] = int(digits)
        else:
            c.fail("values.employees", "must be a whole number", "invalid")
    if c.errors:
        raise validation_error(*c.errors)
    try:
        values = clean(msgspec.convert(given, LeadIn), creating=True)
    except DomainError as error:
        error.errors = [FieldError(f"values.{e.field}", e.message, e.code) for e in error.errors]
        error.detail = "; ".join(f"{e.field}: {e.message}" for e in error.errors)
        raise
    values["source"] = form.source or form.name
    try:
        await limits.check_records(session, scope, field="values")
    except DomainError as full:  # the visitor is not told about the company's plan; its owners are
        if full.type != "plan-limit":
            raise
        await tell_records_full(session, scope, form.name)
        await session.commit()
        raise DomainError(
            detail="This form cannot take submissions right now. Please try again later, or reach the company "
            "another way.", status=503, type="form-unavailable", title="Form unavailable",
            headers={"Retry-After": "3600"},
        ) from None  # fmt: skip
    return await insert_lead(session, scope, None, values, "form")
