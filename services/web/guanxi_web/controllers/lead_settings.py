"""Settings for leads (administrators): the web forms with their public address, embed snippet and preview; and
the ordered assignment rules (moved up and down, added and removed by plain form posts; the whole ordered list
is sent to the API on each change)."""

from __future__ import annotations

import uuid
from typing import Any

from guanxi.config import get_settings
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from guanxi_web.api_client import ApiCaller, ApiError, LeadForm, LeadRule, Me
from guanxi_web.controllers.customers import load_people
from guanxi_web.controllers.leads import LEAD_FIELDS
from guanxi_web.controllers.settings import (
    NoAccess,
    chosen,
    handle_settings_api_error,
    no_access,
    provide_settings_me,
    require_admin,
    settings_page,
)
from guanxi_web.forms import Form, refusal_status
from guanxi_web.i18n import N_, _
from guanxi_web.session import redirect

FORM_FIELDS = {
    "name": N_("Form name"),
    "source": N_("Source of its leads"),
    "thank_you": N_("Thank-you message"),
    "fields": N_("Fields"),
}
RULE_FIELDS = {
    "name": N_("Rule name"),
    "sources": N_("Sources"),
    "regions": N_("Regions"),
    "min_employees": N_("At least (employees)"),
    "max_employees": N_("At most (employees)"),
    "member_ids": N_("Members in turn"),
    "department_id": N_("Or a department in turn"),
}
OFFERED = ("name", "company", "title", "phone", "email", "region", "industry", "employees", "description")


def public_address(form: LeadForm) -> str:
    return f"{get_settings().public_url.rstrip('/')}/f/{form.slug}/{form.key}"


def rule_body(rule: LeadRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "sources": rule.sources,
        "regions": rule.regions,
        "min_employees": rule.min_employees,
        "max_employees": rule.max_employees,
        "member_ids": [str(m) for m in rule.member_ids],
        "department_id": str(rule.department_id) if rule.department_id else None,
        "active": rule.active,
    }


def words(text: str) -> list[str]:
    return [w.strip() for w in text.replace("，", ",").replace("、", ",").split(",") if w.strip()]


class LeadSettingsController(Controller):
    path = "/w/settings"
    tags = ["settings"]
    dependencies = {"me": Provide(provide_settings_me)}
    exception_handlers = {NoAccess: no_access, ApiError: handle_settings_api_error}

    # ---- web forms

    @get("/lead-forms")
    async def forms(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        require_admin(me)
        found = await api.lead_forms()
        return settings_page(
            request,
            "settings/_lead_forms.html",
            me,
            _("Lead forms"),
            "lead-forms",
            forms=found,
            address=public_address,
            labels=LEAD_FIELDS,
        )

    def _builder(
        self,
        request: Request[Any, Any, Any],
        me: Me,
        form: Form,
        found: LeadForm | None,
        chosen_fields: dict[str, dict[str, Any]],
        status: int = 200,
    ) -> Template:
        return settings_page(
            request,
            "settings/_lead_form.html",
            me,
            found.name if found else _("New lead form"),
            "lead-forms",
            status_code=status,
            form=form,
            found=found,
            offered=OFFERED,
            labels=LEAD_FIELDS,
            chosen_fields=chosen_fields,
        )

    @get("/lead-forms/new")
    async def new_form(self, request: Request[Any, Any, Any], me: NamedDependency[Me]) -> Template:
        require_admin(me)
        starter = {
            "name": {"required": True, "label": ""},
            "company": {"required": False, "label": ""},
            "phone": {"required": False, "label": ""},
            "email": {"required": True, "label": ""},
        }
        return self._builder(request, me, Form(FORM_FIELDS, values={"name": _("Contact us")}), None, starter)

    @get("/lead-forms/{form_id:uuid}")
    async def edit_form(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        form_id: FromPath[uuid.UUID],
    ) -> Template:
        require_admin(me)
        found = next((f for f in await api.lead_forms() if f.id == form_id), None)
        if found is None:
            raise NotFoundException()
        values = {"name": found.name, "source": found.source or "", "thank_you": found.thank_you or ""}
        chosen_fields = {f.field: {"required": f.required, "label": f.label or ""} for f in found.fields}
        return self._builder(request, me, Form(FORM_FIELDS, values=values), found, chosen_fields)

    @post("/lead-forms/new")
    async def create_form(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any] | Template:
        return await self._save(request, api, me, None)

    @post("/lead-forms/{form_id:uuid}")
    async def save_form(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        form_id: FromPath[uuid.UUID],
    ) -> Response[Any] | Template:
        return await self._save(request, api, me, str(form_id))

    async def _save(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, existing: str | None
    ) -> Response[Any] | Template:
        require_admin(me)
        data = await request.form()
        form, submitted = Form.read(FORM_FIELDS, data)
        picked = chosen(data, "field")
        fields: list[dict[str, Any]] = [
            {
                "field": name,
                "required": f"required_{name}" in data,
                "label": str(data.get(f"label_{name}") or "").strip() or None,
            }
            for name in OFFERED
            if name in picked
        ]
        body = {
            "name": submitted["name"],
            "fields": fields,
            "source": submitted["source"].strip() or None,
            "thank_you": submitted["thank_you"].strip() or None,
            "active": data.get("active") == "on",
        }
        try:
            saved = await api.save_lead_form(existing, body)
        except ApiError as error:
            if not 400 <= error.status < 500 or error.status == 404:
                raise
            form.refuse(error)
            chosen_fields = {f["field"]: {"required": f["required"], "label": f["label"] or ""} for f in fields}
            found = next((f for f in await api.lead_forms() if str(f.id) == existing), None) if existing else None
            return self._builder(request, me, form, found, chosen_fields, refusal_status(error))
        return redirect(request, f"/w/settings/lead-forms#form-{saved.id}")

    # ---- assignment rules

    @get("/lead-rules")
    async def rules(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        require_admin(me)
        return await self._rules_page(request, api, me, Form(RULE_FIELDS))

    async def _rules_page(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, form: Form, status: int = 200
    ) -> Template:
        people = await load_people(api)
        departments = {str(d.id): d.name for d in await api.departments()}
        return settings_page(
            request,
            "settings/_lead_rules.html",
            me,
            _("Lead assignment"),
            "lead-rules",
            status_code=status,
            rules=await api.lead_rules(),
            form=form,
            people=people,
            departments=departments,
        )

    @post("/lead-rules")
    async def change_rules(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any] | Template:
        """One change to the ordered list: ``move`` (index and up/down), ``remove`` (index) or ``add`` (the form)."""
        require_admin(me)
        data = await request.form()
        current = [rule_body(r) for r in await api.lead_rules()]
        action, index = str(data.get("action") or ""), str(data.get("index") or "")
        at = int(index) if index.isdigit() and int(index) < len(current) else None
        form, submitted = Form.read(RULE_FIELDS, data)
        if action == "remove" and at is not None:
            current.pop(at)
        elif action in ("up", "down") and at is not None:
            to = at - 1 if action == "up" else at + 1
            if 0 <= to < len(current):
                current[at], current[to] = current[to], current[at]
        elif action == "add":
            bounds = {}
            for name in ("min_employees", "max_employees"):
                value = submitted[name].replace(",", "").strip()
                if value and not value.isdigit():
                    form.errors.setdefault(name, []).append(_("Enter a whole number, like 50."))
                bounds[name] = int(value) if value.isdigit() else None
            if form.invalid:
                return await self._rules_page(request, api, me, form, 422)
            current.append(
                {
                    "name": submitted["name"],
                    "sources": words(submitted["sources"]),
                    "regions": words(submitted["regions"]),
                    **bounds,
                    "member_ids": chosen(data, "member_ids"),
                    "department_id": submitted["department_id"] or None,
                    "active": True,
                }
            )
        try:
            await api.save_lead_rules(current)
        except ApiError as error:
            if error.status != 422:
                raise
            for problem in error.field_errors:  # the new rule is the last: its errors go under the form's fields
                problem.field = problem.field.rsplit(".", 1)[-1].split("[", 1)[0]
            form.refuse(error)
            return await self._rules_page(request, api, me, form, 422)
        return redirect(request, "/w/settings/lead-rules")
