"""Leads (线索), the lead pool, conversion and the assignment rules. Thin: parse, authorize the token, call the
service, commit."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from guanxi import ratelimit
from guanxi.domain.access.service import Access
from guanxi.domain.activities import service as activities
from guanxi.domain.activities.schemas import TimelineItem, TimelinePage
from guanxi.domain.identity.service import AuthContext
from guanxi.domain.leads import assignment, forms, service
from guanxi.domain.leads.schemas import (
    AssignIn,
    Channel,
    ConvertIn,
    ConvertOut,
    FormFieldOut,
    FormIn,
    FormOut,
    LeadIn,
    LeadOut,
    LeadPage,
    PublicFormOut,
    RuleIn,
    RuleOut,
    Status,
    SubmissionIn,
)
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import audit_action, client_ip, provide_access, provide_auth
from guanxi_api.openapi import problems

Limit = Annotated[int, Parameter(ge=1, le=200)]
Deps = {"auth": Provide(provide_auth), "access": Provide(provide_access)}
FORM_POSTS = 10  # per visitor address and form …
FORM_WINDOW_SECONDS = 600  # … in ten minutes


def lead_out(row: dict[str, Any]) -> LeadOut:
    return msgspec.convert(row, LeadOut, from_attributes=False)


def rule_out(rule: Any) -> RuleOut:
    return RuleOut(
        rule.id,
        rule.position,
        rule.name,
        rule.sources,
        rule.regions,
        rule.min_employees,
        rule.max_employees,
        rule.member_ids,
        rule.department_id,
        rule.active,
    )


class LeadController(Controller):
    path = "/api/v1/leads"
    tags = ["sales"]
    dependencies = Deps

    @get(
        "", summary="Leads you may see and the lead pool, filtered, by keyset pages", responses=problems(401, 403, 422)
    )
    async def list_leads(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        status: FromQuery[Status | None] = None,
        owner: FromQuery[
            Annotated[str | None, Parameter(max_length=40, description="mine, pool or a member id")]
        ] = None,
        source: FromQuery[Annotated[str | None, Parameter(max_length=60)]] = None,
        captured_via: FromQuery[Channel | None] = None,
        q: FromQuery[Annotated[str | None, Parameter(max_length=200)]] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> LeadPage:
        auth.require_token_scope("leads", "read")
        filters = {"status": status, "owner": owner, "source": source, "captured_via": captured_via, "q": q}
        rows, next_cursor = await service.list_leads(db, access, filters=filters, cursor=cursor, limit=limit)
        return LeadPage(items=[lead_out(r) for r in rows], next_cursor=next_cursor)

    @post(
        "",
        status_code=201,
        summary="Record a lead (no owner_id: the assignment rules choose; owner_id null: the lead pool)",
        responses=problems(400, 401, 403, 422),
    )
    async def create_lead(
        self,
        data: JSONBody[LeadIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> LeadOut:
        auth.require_token_scope("leads", "write")
        row = await service.create(db, access, data, "api" if auth.token_id else "manual")
        await db.commit()
        return lead_out(row)

    @get("/{lead_id:uuid}", summary="One lead", responses=problems(401, 403, 404))
    async def get_lead(
        self,
        lead_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> LeadOut:
        auth.require_token_scope("leads", "read")
        return lead_out(await service.fetch(db, access, lead_id))

    @patch(
        "/{lead_id:uuid}",
        summary="Change a lead, its status and qualification",
        responses=problems(400, 401, 403, 404, 409, 422),
    )
    async def change_lead(
        self,
        lead_id: FromPath[uuid.UUID],
        data: JSONBody[LeadIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> LeadOut:
        auth.require_token_scope("leads", "write")
        row = await service.change(db, access, lead_id, data)
        await db.commit()
        return lead_out(row)

    @delete("/{lead_id:uuid}", status_code=204, summary="Delete a lead", responses=problems(401, 403, 404))
    async def delete_lead(
        self,
        request: Request[Any, Any, Any],
        lead_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> None:
        auth.require_token_scope("leads", "write")
        await service.remove(db, access, lead_id)
        await audit_action(db, auth, request, "lead.deleted", target_type="lead", target_id=lead_id)
        await db.commit()

    @get(
        "/{lead_id:uuid}/timeline",
        summary="A lead's activities and change history, newest first",
        responses=problems(401, 403, 404, 422),
    )
    async def lead_timeline(
        self,
        lead_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> TimelinePage:
        auth.require_token_scope("leads", "read")
        await service.fetch(db, access, lead_id)
        items, next_cursor = await activities.lead_timeline(db, access, lead_id, cursor, limit)
        return TimelinePage(items=msgspec.convert(items, list[TimelineItem]), next_cursor=next_cursor)

    @post(
        "/{lead_id:uuid}/claim",
        status_code=200,
        summary="Take a lead from the lead pool (first come, first served: 409 for the others)",
        responses=problems(401, 403, 404, 409),
    )
    async def claim_lead(
        self,
        lead_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> LeadOut:
        auth.require_token_scope("leads", "write")
        row = await service.claim(db, access, lead_id)
        await db.commit()
        return lead_out(row)

    @post(
        "/{lead_id:uuid}/assign",
        status_code=200,
        summary="Give a lead to a member (those who may change every lead)",
        responses=problems(400, 401, 403, 404, 409, 422),
    )
    async def assign_lead(
        self,
        lead_id: FromPath[uuid.UUID],
        data: JSONBody[AssignIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> LeadOut:
        auth.require_token_scope("leads", "write")
        row = await service.assign(db, access, lead_id, data.owner_id)
        await db.commit()
        return lead_out(row)

    @post(
        "/{lead_id:uuid}/release",
        status_code=200,
        summary="Give a lead back to the lead pool",
        responses=problems(401, 403, 404, 409),
    )
    async def release_lead(
        self,
        lead_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> LeadOut:
        auth.require_token_scope("leads", "write")
        row = await service.give_back(db, access, lead_id)
        await db.commit()
        return lead_out(row)

    @post(
        "/{lead_id:uuid}/convert",
        status_code=200,
        summary="Convert a lead into an account (or onto an existing one), a contact and optionally a deal",
        responses=problems(400, 401, 403, 404, 409, 422),
    )
    async def convert_lead(
        self,
        request: Request[Any, Any, Any],
        lead_id: FromPath[uuid.UUID],
        data: JSONBody[ConvertIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ConvertOut:
        auth.require_token_scope("leads", "write")
        auth.require_token_scope("customers", "write")
        row, account_id, contact_id, deal_id = await service.convert(db, access, lead_id, data)
        await audit_action(db, auth, request, "lead.converted", target_type="lead", target_id=lead_id)
        await db.commit()
        return ConvertOut(lead=lead_out(row), account_id=account_id, contact_id=contact_id, deal_id=deal_id)


class LeadRuleController(Controller):
    path = "/api/v1/lead-assignment-rules"
    tags = ["sales"]
    dependencies = Deps

    @get("", summary="The lead assignment rules, in the order they are tried", responses=problems(401, 403))
    async def list_rules(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> list[RuleOut]:
        auth.require_token_scope("leads", "read")
        access.require("leads", "read")
        return [rule_out(r) for r in await assignment.rules(db, access.scope)]

    @put(
        "",
        summary="Replace the ordered list of lead assignment rules (administrators; the order is the order tried)",
        responses=problems(400, 401, 403, 422),
    )
    async def put_rules(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[list[RuleIn]],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> list[RuleOut]:
        auth.require_token_scope("settings", "write")
        found = await assignment.replace(db, access, data)
        await audit_action(db, auth, request, "lead_rules.changed", target_type="lead_rules", target_id=None)
        await db.commit()
        return [rule_out(r) for r in found]


def form_out(form: Any, slug: str) -> FormOut:
    return FormOut(
        id=form.id,
        key=form.key,
        slug=slug,
        name=form.name,
        fields=[FormFieldOut(f["field"], f["label"], f["required"]) for f in form.fields],
        source=form.source,
        thank_you=form.thank_you,
        active=form.active,
    )


class LeadFormController(Controller):
    path = "/api/v1/lead-forms"
    tags = ["sales"]
    dependencies = Deps

    @get("", summary="The workspace's web forms for leads", responses=problems(401, 403))
    async def list_forms(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> list[FormOut]:
        auth.require_token_scope("leads", "read")
        slug = forms.slug_of(access.scope)
        return [form_out(f, slug) for f in await forms.list_forms(db, access)]

    @post("", status_code=201, summary="Add a web form (administrators)", responses=problems(400, 401, 403, 422))
    async def create_form(
        self,
        data: JSONBody[FormIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> FormOut:
        auth.require_token_scope("settings", "write")
        form = await forms.save_form(db, access, data)
        await db.commit()
        return form_out(form, forms.slug_of(access.scope))

    @put(
        "/{form_id:uuid}",
        summary="Change a web form, or switch it off (active=false)",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def put_form(
        self,
        form_id: FromPath[uuid.UUID],
        data: JSONBody[FormIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> FormOut:
        auth.require_token_scope("settings", "write")
        form = await forms.save_form(db, access, data, form_id)
        await db.commit()
        return form_out(form, forms.slug_of(access.scope))


class PublicLeadFormController(Controller):
    """No sign-in: anyone on the internet. The workspace comes from the slug and key in the address."""

    path = "/api/v1/public/lead-forms/{slug:str}/{key:str}"
    tags = ["public"]

    @get("", summary="A web form's fields and a fresh submission token", responses=problems(404))
    async def show_form(
        self, slug: FromPath[str], key: FromPath[str], db: NamedDependency[AsyncSession]
    ) -> PublicFormOut:
        _, form = await forms.find_public(db, slug, key)
        fields = [FormFieldOut(f["field"], f["label"], f["required"]) for f in form.fields]
        return PublicFormOut(name=form.name, fields=fields, thank_you=form.thank_you, token=forms.issue_token(form))

    @post(
        "",
        status_code=201,
        summary="Send a web form: a lead, through the assignment rules (spam-checked, rate-limited)",
        responses=problems(400, 404, 422, 429, 503),
    )
    async def submit_form(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        key: FromPath[str],
        data: JSONBody[SubmissionIn],
        db: NamedDependency[AsyncSession],
    ) -> dict[str, str]:
        scope, form = await forms.find_public(db, slug, key)
        await ratelimit.enforce(
            f"lead-form:{form.key}:{client_ip(request)}",
            FORM_POSTS,
            FORM_WINDOW_SECONDS,
            "Too many submissions of this form from your address: try again later.",
        )
        await forms.submit(db, scope, form, data)
        await db.commit()
        return {"status": "received"}
