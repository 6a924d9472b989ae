"""Leads (线索): the list with my leads, the lead pool and all, claiming from the pool, a new lead, a lead's page
(status and qualification, timeline with a quick note, conversion); and the public web form a workspace embeds
on its own site (/f/<slug>/<key>: no sign-in, framable)."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

import structlog
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from guanxi_web.api_client import ApiCaller, ApiError, Me
from guanxi_web.controllers.customers import customers_page, load_people
from guanxi_web.customers import currency_of
from guanxi_web.dependencies import provide_me
from guanxi_web.forms import Form
from guanxi_web.i18n import N_, _
from guanxi_web.session import redirect

log = structlog.get_logger("web.leads")
LEAD_FIELDS = {
    "name": N_("Person's name"),
    "company": N_("Company"),
    "title": N_("Job title"),
    "phone": N_("Phone"),
    "email": N_("Email"),
    "source": N_("Source"),
    "region": N_("Region"),
    "industry": N_("Industry"),
    "employees": N_("Employees"),
    "estimated_value": N_("Estimated value"),
    "currency": N_("Currency"),
    "description": N_("Notes"),
}
STATUS_FIELDS = {
    "status": N_("Status"),
    "qualification_note": N_("Qualification note"),
    "disqualify_reason": N_("Why unqualified"),
}
STATUSES = {
    "new": N_("New"),
    "contacted": N_("Contacted"),
    "qualified": N_("Qualified"),
    "unqualified": N_("Unqualified"),
    "converted": N_("Converted"),
}
TABS = ("mine", "pool", "all")


def read_lead(data: Any, *, editing: bool = False) -> tuple[Form, dict[str, Any]]:
    """The form's values and the API's body; numbers that are not numbers are caught here, by field. Editing, a
    field left empty is cleared."""
    form, submitted = Form.read(LEAD_FIELDS, data)
    body: dict[str, Any] = {
        k: v.strip()
        for k, v in submitted.items()
        if v.strip() and k not in ("employees", "estimated_value", "description")
    }
    if submitted["description"].strip():
        body["description"] = submitted["description"]
    employees = submitted["employees"].replace(",", "").strip()
    if employees:
        if employees.isdigit() and len(employees) < 9:
            body["employees"] = int(employees)
        else:
            form.errors.setdefault("employees", []).append(_("Enter a whole number, like 50."))
    value = submitted["estimated_value"].replace(",", "").replace("，", "").strip()
    if value:
        try:
            body["estimated_value"] = str(Decimal(value))
        except InvalidOperation:
            form.errors.setdefault("estimated_value", []).append(_("Enter an amount, like 128000 or 128000.50."))
    if editing:
        body |= {name: None for name in LEAD_FIELDS if name not in body and name not in form.errors}
    return form, body


class LeadController(Controller):
    path = "/leads"
    tags = ["leads"]
    dependencies = {"me": Provide(provide_me)}

    @get("")
    async def list_leads(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        tab = request.query_params.get("tab", "mine")
        tab = tab if tab in TABS else "mine"
        status = request.query_params.get("status", "")
        q = request.query_params.get("q", "").strip()[:200]
        params = {
            k: v
            for k, v in {
                "owner": tab if tab != "all" else "",
                "q": q,
                "limit": "50",
                "status": status if status in STATUSES else "",
                "cursor": request.query_params.get("cursor", ""),
            }.items()
            if v
        }
        page = await api.leads(params)
        return customers_page(
            request,
            "leads/_leads.html",
            me,
            _("Leads"),
            "leads",
            page=page,
            tab=tab,
            status=status,
            q=q,
            statuses=STATUSES,
            people=await load_people(api),
        )

    @post("/{lead_id:uuid}/claim")
    async def claim(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], lead_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        try:
            await api.lead_action(str(lead_id), "claim")
        except ApiError as error:
            if error.status != 409:
                raise
            return redirect(request, "/leads?tab=pool&done=lead-taken")
        log.info("lead.claimed", lead_id=str(lead_id))
        return redirect(request, f"/leads/{lead_id}?done=lead-claimed")

    @post("/{lead_id:uuid}/release")
    async def release(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], lead_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        await api.lead_action(str(lead_id), "release")
        return redirect(request, "/leads?tab=pool&done=lead-released")

    @get("/new")
    async def new(self, request: Request[Any, Any, Any], me: NamedDependency[Me]) -> Template:
        return self._form(request, me, Form(LEAD_FIELDS, values={"currency": currency_of(me)}))

    def _form(
        self, request: Request[Any, Any, Any], me: Me, form: Form, status: int = 200, lead_id: str | None = None
    ) -> Template:
        title = _("Edit lead") if lead_id else _("New lead")
        return customers_page(
            request, "leads/_form.html", me, title, "leads", status_code=status, form=form, lead_id=lead_id
        )

    @get("/{lead_id:uuid}/edit")
    async def edit(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        lead_id: FromPath[uuid.UUID],
    ) -> Template:
        lead = await api.lead(str(lead_id))
        values = {name: "" if getattr(lead, name) is None else str(getattr(lead, name)) for name in LEAD_FIELDS}
        return self._form(request, me, Form(LEAD_FIELDS, values=values), lead_id=str(lead_id))

    @post("/{lead_id:uuid}/edit")
    async def save(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        lead_id: FromPath[uuid.UUID],
    ) -> Response[Any] | Template:
        form, body = read_lead(await request.form(), editing=True)
        if form.invalid:
            return self._form(request, me, form, 422, str(lead_id))
        try:
            await api.update_lead(str(lead_id), body)
        except ApiError as error:
            if error.status not in (409, 422):
                raise
            form.refuse(error)
            return self._form(request, me, form, error.status, str(lead_id))
        return redirect(request, f"/leads/{lead_id}?done=lead-saved")

    @post("")
    async def create(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any] | Template:
        form, body = read_lead(await request.form())
        if form.invalid:
            return self._form(request, me, form, 422)
        body["owner_id"] = str(me.user.id)  # recorded by hand: the person recording it follows it up
        try:
            lead = await api.create_lead(body)
        except ApiError as error:
            if not 400 <= error.status < 500:
                raise
            form.refuse(error)
            return self._form(request, me, form, error.status)
        return redirect(request, f"/leads/{lead.id}?done=lead-created")

    async def _page(
        self,
        request: Request[Any, Any, Any],
        api: ApiCaller,
        me: Me,
        lead_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        lead = await api.lead(str(lead_id))
        context = {
            "lead": lead,
            "statuses": STATUSES,
            "timeline": (await api.lead_timeline(str(lead_id))).items,
            "people": await load_people(api),
            "status_form": Form(
                STATUS_FIELDS,
                values={
                    "status": lead.status,
                    "qualification_note": lead.qualification_note or "",
                    "disqualify_reason": lead.disqualify_reason or "",
                },
            ),
            "convert_error": None,
            "note_error": None,
            "field_labels": {**LEAD_FIELDS, **STATUS_FIELDS, "tags": N_("Tags"), "owner_id": N_("Owner")},
            **extra,
        }
        title = lead.name or lead.company or _("Lead")
        return customers_page(request, "leads/_lead.html", me, title, "leads", status_code=status, **context)

    @get("/{lead_id:uuid}")
    async def page(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        lead_id: FromPath[uuid.UUID],
    ) -> Template:
        return await self._page(request, api, me, lead_id)

    @post("/{lead_id:uuid}/status")
    async def set_status(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        lead_id: FromPath[uuid.UUID],
    ) -> Response[Any] | Template:
        form, submitted = Form.read(STATUS_FIELDS, await request.form())
        body: dict[str, Any] = {"status": submitted["status"]}
        for name in ("qualification_note", "disqualify_reason"):
            body[name] = submitted[name].strip() or None
        try:
            await api.update_lead(str(lead_id), body)
        except ApiError as error:
            if error.status not in (409, 422):
                raise
            form.refuse(error)
            return await self._page(request, api, me, lead_id, error.status, status_form=form)
        return redirect(request, f"/leads/{lead_id}?done=lead-updated")

    @post("/{lead_id:uuid}/notes")
    async def add_note(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        lead_id: FromPath[uuid.UUID],
    ) -> Response[Any] | Template:
        data = await request.form()
        kind = str(data.get("kind") or "note")
        text = str(data.get("subject") or "").strip()
        try:
            await api.create_activity(
                {
                    "kind": kind,
                    "lead_id": str(lead_id),
                    "subject": text[:200] or "—",
                    **({"body": text} if len(text) > 200 else {}),
                }
            )
        except ApiError as error:
            if error.status != 422:
                raise
            return await self._page(request, api, me, lead_id, 422, note_error=error.problem.detail)
        return redirect(request, f"/leads/{lead_id}?done=note-added")

    @post("/{lead_id:uuid}/convert")
    async def convert(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        lead_id: FromPath[uuid.UUID],
    ) -> Response[Any] | Template:
        data = await request.form()
        body: dict[str, Any] = {"allow_duplicate": data.get("allow_duplicate") == "on"}
        if data.get("with_deal") == "on":
            body["deal"] = {"name": str(data.get("deal_name") or "").strip() or None}
        try:
            converted = await api.convert_lead(str(lead_id), body)
        except ApiError as error:
            if error.status not in (409, 422):
                raise
            return await self._page(request, api, me, lead_id, error.status, convert_error=error)
        log.info("lead.converted", lead_id=str(lead_id))
        return redirect(request, f"/accounts/{converted.account_id}?done=lead-converted")


class PublicFormController(Controller):
    """The embeddable form: no sign-in, no CSRF cookie (there is no session to protect); the API does the checks."""

    path = "/f/{slug:str}/{key:str}"
    tags = ["leads"]

    async def _show(
        self,
        api: ApiCaller,
        slug: str,
        key: str,
        values: dict[str, str] | None = None,
        error: Any = None,
        status: int = 200,
        sent: bool = False,
    ) -> Template:
        """The form with a fresh token (a refused post is sent again with a new one), or its thank-you text."""
        form = await api.public_form(slug, key)
        return Template(
            "leads/public_form.html",
            status_code=status,
            context={
                "form": form,
                "values": values or {},
                "error": error,
                "sent": sent,
                "labels": LEAD_FIELDS,
                "title": form.name,
            },
        )

    @get("")
    async def show(self, api: NamedDependency[ApiCaller], slug: FromPath[str], key: FromPath[str]) -> Template:
        return await self._show(api, slug, key)

    @post("")
    async def send(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        slug: FromPath[str],
        key: FromPath[str],
    ) -> Template:
        data = await request.form()
        fields = [f.field for f in (await api.public_form(slug, key)).fields]
        values = {name: str(data.get(name) or "")[:20_000] for name in fields}
        body = {
            "values": {k: v for k, v in values.items() if v.strip()},
            "token": str(data.get("token") or ""),
            "website": str(data.get("website") or ""),
        }
        try:
            await api.send_public_form(slug, key, body)
        except ApiError as error:
            if error.status not in (422, 429, 503):  # 503: the workspace cannot take leads now (its plan is full)
                raise
            return await self._show(api, slug, key, values, error, error.status)
        return await self._show(api, slug, key, sent=True)
