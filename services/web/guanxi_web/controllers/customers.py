"""Accounts and contacts: lists with filters and "load more", record pages with contacts, history and team
(团队成员), forms that show the API's refusals under each field, the recycle bin, and CSV exports streamed
through from the API.

The API decides who sees which records and fields; a field it leaves out is not shown, a masked one is
shown masked and cannot be edited.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import structlog
from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template
from msgspec import UNSET

from guanxi_web.activities import read_log_form, zone_of
from guanxi_web.api_client import (
    Account,
    ApiCaller,
    ApiError,
    Contact,
    Me,
    Member,
    optional,
)
from guanxi_web.churn_signals import signal_text
from guanxi_web.controllers.lists import ListController
from guanxi_web.customers import (
    ACCOUNT_FIELDS,
    ACCOUNT_FORM_SECTIONS,
    ACCOUNT_SECTIONS,
    COLLABORATOR_ACCESS,
    COLLABORATOR_FIELDS,
    CONTACT_FIELDS,
    CONTACT_FORM_SECTIONS,
    CONTACT_SECTIONS,
    PERSON_SECTION,
    QUICK_CONTACT_FIELDS,
    Field,
    RecordForm,
    Section,
    changed,
    currency_of,
    editable,
    form_sections,
    history_entries,
    is_masked,
    new_record_body,
    options,
    present,
    read_form,
    record_values,
    shown,
)
from guanxi_web.dependencies import provide_me
from guanxi_web.forms import Form, refusal_status
from guanxi_web.i18n import N_, _
from guanxi_web.lists import ACCOUNT_LIST, CONTACT_LIST
from guanxi_web.pools import reason_text
from guanxi_web.records import (
    FILE_NOTICES,
    Record,
    custom_choices,
    custom_form_section,
    custom_options,
    custom_section,
    custom_specs,
    files_context,
    log_picker_answer,
    picked_log,
    timeline_context,
    with_custom,
)
from guanxi_web.rendering import app_page, fragment
from guanxi_web.session import hx_target, redirect

log = structlog.get_logger("web.customers")

GRADE_SOURCES = {"run": N_("graded"), "manual": N_("set by hand"), "unset": N_("manual grade removed")}
CONTACT_ACCOUNT_LOOKUPS = 8  # account names of a contacts page fetched at once
NOTICES = {
    "account-created": N_("The account is added."),
    "account-saved": N_("Your changes are saved."),
    "account-deleted": N_("The account is deleted. An administrator can restore it from the recycle bin for 30 days."),
    "account-restored": N_("The account is restored, with the contacts deleted along with it."),
    "contact-added": N_("The contact is added."),
    "contact-saved": N_("Your changes are saved."),
    "contact-deleted": N_("The contact is deleted."),
    "team-saved": N_("The account's team is updated."),
    "activity-logged": N_("Logged."),
    "account-merged": N_("The accounts are merged. The other one is in the recycle bin for 30 days."),
    "claimed": N_("The customer is yours now: follow up before it goes back to the pool."),
    "released": N_("The account is back in the customer pool."),
    "pool-saved": N_("The pool's settings are saved."),
    "deal-created": N_("The deal is open. Drag it across the board as it moves on."),
    "quote-created": N_("The quote is made. Add its lines, then send it."),
    "quote-queued": N_("The quote is on its way; it shows as sent once the mail has left."),
    "quote-accepted": N_("The quote is accepted."),
    "quote-rejected": N_("The quote is marked rejected."),
    "contract-created": N_("The contract is made from the quote."),
    "document-saved": N_("Your changes are saved."),
    "lead-created": N_("The lead is recorded and yours to follow up."),
    "lead-claimed": N_("The lead is yours now."),
    "lead-taken": N_("Someone claimed that lead a moment before you."),
    "lead-released": N_("The lead is back in the lead pool."),
    "lead-updated": N_("The lead's status is saved."),
    "lead-saved": N_("The lead is saved."),
    "note-added": N_("Added to the lead's timeline."),
    "lead-converted": N_("The lead is now this account, with its contact and history."),
    "locked": N_("Locked: this customer stays yours whatever the pool's rules say."),
    "win-back": N_("Win-back attempt recorded."),
    "churn-settings": N_("Churn settings saved."),
    "grading-settings": N_("Grading settings saved. The next run grades by them."),
    "grade-set": N_("The grade is set by hand and stays until it is removed."),
    "grade-removed": N_("The manual grade is removed: the computed grade applies again."),
    "grade-refused": N_("The grade was not changed: choose a grade and give the reason."),
    "growth-set": N_("The growth prospect is saved."),
    "unlocked": N_("Unlocked: the pool's rules apply again."),
    "lock-refused": N_("You have as many locked customers as the pool allows. Unlock another one first."),
    "targets": N_("The targets are saved."),
    "order-created": N_("The order is confirmed from the contract. Plan its payments below."),
    **FILE_NOTICES,
}


def notice_of(request: Request[Any, Any, Any]) -> str | None:
    notice = NOTICES.get(request.query_params.get("done") or "")
    return _(notice) if notice else None


async def churn_risk(api: ApiCaller, account_id: str) -> dict[str, Any] | None:
    """The customer's churn risk card, left out when the API has none to give (an older API, no access)."""
    try:
        return await api.churn_risk(account_id)
    except ApiError as error:
        if error.status in (402, 403, 404, 405):
            return None
        raise


async def grade_card(api: ApiCaller, account_id: str) -> dict[str, Any] | None:
    """The customer's grade (computed or set by hand), growth score and latest changes; left out without access."""
    try:
        grade, history = await asyncio.gather(api.account_grade(account_id), api.grade_history(account_id))
    except ApiError as error:
        if error.status in (402, 403, 404, 405):
            return None
        raise
    for change in history:
        change["changed_at"] = dt.datetime.fromisoformat(change["changed_at"])
    return {**grade, "history": history[:5]}


def customers_page(
    request: Request[Any, Any, Any], fragment: str, me: Me, title: str, active: str, **context: Any
) -> Template:
    context.setdefault("notice", notice_of(request))
    return app_page(request, fragment, me=me, title=title, active=active, **context)


async def load_people(api: ApiCaller) -> dict[str, Member]:
    """The workspace's people by id, for owners' names and pickers; empty when the role may not list them."""
    members = await optional(api.members())
    return {str(member.id): member for member in members or []}


def show_value(people: Mapping[str, Member], currency: str) -> Any:
    def show(spec: Field, value: Any) -> str:
        return shown(spec, value, people=people, currency=currency)

    return show


def record_sections(
    sections: Iterable[Section], fields: Mapping[str, Field], record: Any, *, skip: Iterable[str] = ()
) -> list[tuple[Section, list[tuple[Field, Any]]]]:
    """The record page's sections with the fields the API sent; a section with none is left out."""
    skipped = set(skip)
    shown_sections = []
    for section in sections:
        if section.key in skipped:
            continue
        rows = [(fields[name], getattr(record, name)) for name in present(record, section.fields)]
        if rows:
            shown_sections.append((section, rows))
    return shown_sections


def refuse(form: Form, error: ApiError, forbidden: str) -> None:
    """The API's refusal in the form: field errors under their fields; a refusal of the whole record on top."""
    if error.status == 403 and not error.field_errors:
        form.summary.append(forbidden)
    else:
        form.refuse(error)


def end_of_day(day: dt.date) -> dt.datetime:
    """A collaborator's access "until" a day lasts to the end of that day (UTC)."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)


class AccountController(ListController):
    path = "/accounts"
    kind = ACCOUNT_LIST
    tags = ["customers"]
    dependencies = {"me": Provide(provide_me)}

    # ---- the recycle bin

    @get("/deleted")
    async def deleted(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        cursor = request.query_params.get("cursor") or None
        result = await optional(api.deleted_accounts(cursor))
        if result is None:
            return customers_page(
                request, "customers/_no_access.html", me, _("Recycle bin"), "customers", status_code=403
            )
        return customers_page(
            request,
            "customers/_deleted.html",
            me,
            _("Recycle bin"),
            "customers",
            result=result,
            people=await load_people(api),
            more=f"/accounts/deleted?cursor={result.next_cursor}" if result.next_cursor else None,
            first_page="/accounts/deleted" if cursor else None,
        )

    @post("/{account_id:uuid}/restore")
    async def restore(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        account_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        if await optional(api.restore_account(str(account_id))) is None:
            return customers_page(
                request, "customers/_no_access.html", me, _("Recycle bin"), "customers", status_code=403
            )
        log.info("account.restored", account_id=str(account_id))
        return redirect(request, f"/accounts/{account_id}?done=account-restored")

    # ---- new and edit

    def _form_page(
        self,
        request: Request[Any, Any, Any],
        me: Me,
        *,
        form: Form,
        names: list[str],
        people: Mapping[str, Member],
        fields: Mapping[str, Field],
        account: Account | None = None,
        status_code: int = 200,
    ) -> Template:
        readonly = [] if account is None else masked_fields(account, ACCOUNT_FIELDS)
        form.choices.update(custom_choices(fields, form.values))
        title = _("Edit %(name)s") % {"name": account.name} if account else _("New account")
        return customers_page(
            request,
            "customers/_account_form.html",
            me,
            title,
            "customers",
            form=form,
            fields=fields,
            sections=form_sections([*ACCOUNT_FORM_SECTIONS, custom_form_section(fields)], [*names, *readonly]),
            readonly=readonly,
            record=account,
            options={
                **options(ACCOUNT_FIELDS, people.values(), keep=str(account.owner_id) if account else None),
                **custom_options(fields, people.values()),
            },
            show=show_value(people, currency_of(me)),
            action=f"/accounts/{account.id}" if account else "/accounts",
            back=f"/accounts/{account.id}" if account else "/accounts",
            status_code=status_code,
        )

    @staticmethod
    def _offered(people: Mapping[str, Member], names: Iterable[str], account: Account | None = None) -> list[str]:
        """Without the people list (the role may not read it) there is no owner to pick: the API keeps it. A
        company's form leaves out the fields about a person, unless it has some of them filled in."""
        person = set(next(s.fields for s in ACCOUNT_SECTIONS if s.key == PERSON_SECTION))
        company = account is not None and account.kind != "individual"
        if company and not any(getattr(account, name, None) not in (None, UNSET) for name in person):
            names = [name for name in names if name not in person]
        return [name for name in names if name != "owner_id" or people]

    @get("/new")
    async def new(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        people, fields = await asyncio.gather(load_people(api), with_custom(api, "customers", ACCOUNT_FIELDS))
        form = RecordForm.of(
            fields, values={"kind": "company", "lifecycle_stage": "prospect", "owner_id": str(me.user.id)}
        )
        names = self._offered(people, fields)
        return self._form_page(request, me, form=form, names=names, people=people, fields=fields)

    @post("")
    async def create(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any]:
        people, fields = await asyncio.gather(load_people(api), with_custom(api, "customers", ACCOUNT_FIELDS))
        names = self._offered(people, fields)
        form, values = read_form(fields, await request.form(), names)
        if form.invalid:
            return self._form_page(request, me, form=form, names=names, people=people, fields=fields, status_code=422)
        try:
            account = await api.create_account(new_record_body(values))
        except ApiError as error:
            if error.status == 401:
                raise
            refuse(form, error, _("Your role may not add accounts."))
            status = refusal_status(error)
            return self._form_page(
                request, me, form=form, names=names, people=people, fields=fields, status_code=status
            )
        log.info("account.created", account_id=str(account.id))
        return redirect(request, f"/accounts/{account.id}?done=account-created")

    @get("/{account_id:uuid}/edit")
    async def edit(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        account_id: FromPath[uuid.UUID],
    ) -> Template:
        account, people, fields = await asyncio.gather(
            api.account(str(account_id)), load_people(api), with_custom(api, "customers", ACCOUNT_FIELDS)
        )
        names = self._offered(people, editable(fields, account), account)
        form = RecordForm.of(fields, values=record_values(fields, account))
        return self._form_page(request, me, form=form, names=names, people=people, fields=fields, account=account)

    @post("/{account_id:uuid}")
    async def update(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        account_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        account, people, fields = await asyncio.gather(
            api.account(str(account_id)), load_people(api), with_custom(api, "customers", ACCOUNT_FIELDS)
        )
        names = self._offered(people, editable(fields, account), account)
        form, values = read_form(fields, await request.form(), names)
        if form.invalid:
            return self._form_page(
                request, me, form=form, names=names, people=people, fields=fields, account=account, status_code=422
            )
        changes = changed(fields, values, account)
        if changes:
            try:
                await api.update_account(str(account_id), changes)
            except ApiError as error:
                if error.status in (401, 404):
                    raise
                refuse(form, error, _("Your role may not change this account."))
                return self._form_page(
                    request,
                    me,
                    form=form,
                    names=names,
                    people=people,
                    fields=fields,
                    account=account,
                    status_code=refusal_status(error),
                )
            log.info("account.updated", account_id=str(account_id), fields=sorted(changes))
        return redirect(request, f"/accounts/{account_id}?done=account-saved")

    @post("/{account_id:uuid}/delete")
    async def delete(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        account_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        try:
            await api.delete_account(str(account_id))
        except ApiError as error:
            if error.status != 403:
                raise
            refusal = _("Your role may not delete this account.")
            return await self._account_page(request, api, me, str(account_id), refusal=refusal, status_code=403)
        log.info("account.deleted", account_id=str(account_id))
        return redirect(request, "/accounts?done=account-deleted")

    # ---- merging a duplicate into this account

    @get("/{account_id:uuid}/merge")
    async def merge_page(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        account_id: FromPath[uuid.UUID],
    ) -> Template:
        other = request.query_params.get("other") or ""
        return await self._merge_page(request, api, me, str(account_id), other)

    async def _merge_page(
        self,
        request: Request[Any, Any, Any],
        api: ApiCaller,
        me: Me,
        account_id: str,
        other_id: str,
        *,
        refusal: str | None = None,
        status_code: int = 200,
    ) -> Template:
        """Pick the duplicate (found by name, or a search), then compare the two side by side before merging."""
        account, people = await asyncio.gather(api.account(account_id), load_people(api))
        other = await chosen_account(api, other_id) if other_id and other_id != account_id else None
        query = (request.query_params.get("q") or account.name).strip()
        candidates: list[Account] = []
        if other is None:
            try:
                found = await api.accounts({"q": query, "limit": "20"})
            except ApiError as error:
                if error.status not in (403, 422):
                    raise
            else:
                candidates = [a for a in found.items if str(a.id) != account_id]
        rows = []
        if other is not None:
            for name in ACCOUNT_FIELDS:
                mine, theirs = getattr(account, name, UNSET), getattr(other, name, UNSET)
                if mine is UNSET and theirs is UNSET:
                    continue
                empty = mine in (None, UNSET, "", [])
                rows.append((ACCOUNT_FIELDS[name], mine, theirs, empty and theirs not in (None, UNSET, "", [])))
        return customers_page(
            request,
            "customers/_merge.html",
            me,
            _("Merge into %(name)s") % {"name": account.name},
            "customers",
            account=account,
            other=other,
            query=query,
            candidates=candidates,
            rows=rows,
            show=show_value(people, currency_of(me)),
            refusal=refusal,
            status_code=status_code,
        )

    @post("/{account_id:uuid}/merge")
    async def merge(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        account_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        other = str((await request.form()).get("other") or "")
        try:
            await api.merge_accounts(str(account_id), [other])
        except ApiError as error:
            if error.status not in (400, 403, 404, 409, 422):
                raise
            refusal = (
                _("Your role may not merge these accounts: you must be able to change this one and delete the other.")
                if error.status == 403
                else _("These accounts could not be merged. Choose the other account again.")
            )
            return await self._merge_page(
                request, api, me, str(account_id), other, refusal=refusal, status_code=error.status
            )
        log.info("account.merged", account_id=str(account_id), merged=other)
        return redirect(request, f"/accounts/{account_id}?done=account-merged")

    # ---- the record page and its panels

    @get("/{account_id:uuid}")
    async def account(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        account_id: FromPath[uuid.UUID],
    ) -> Template:
        return await self._account_page(request, api, me, str(account_id))

    async def _account_page(
        self,
        request: Request[Any, Any, Any],
        api: ApiCaller,
        me: Me,
        account_id: str,
        *,
        contact_form: Form | None = None,
        team_form: Form | None = None,
        log: Form | None = None,
        refusal: str | None = None,
        status_code: int = 200,
    ) -> Template:
        record = Record("account", account_id)
        risk_task = asyncio.ensure_future(churn_risk(api, account_id))  # alongside the six below
        grade_task = asyncio.ensure_future(grade_card(api, account_id))
        account, people, custom, files, pool_status, deals = await asyncio.gather(
            api.account(account_id),
            load_people(api),
            optional(api.custom_fields("customers")),
            files_context(request, api, record),
            optional(api.return_status(account_id)),
            optional(api.deals({"account_id": account_id, "limit": "20"})),
        )
        risk, grade = await risk_task, await grade_task
        contacts_context, team_context = await asyncio.gather(
            self._contacts_context(api, account_id, contact_form),
            self._team_context(api, account_id, team_form, people, str(account.owner_id)),
        )
        timeline = await timeline_context(
            api, me, record, people, contacts_context["contacts"], log=log or picked_log(request)
        )
        currency = currency_of(me)
        skip = () if account.kind == "individual" else (PERSON_SECTION,)
        return customers_page(
            request,
            "customers/_account.html",
            me,
            account.name,
            "customers",
            account=account,
            owner=people.get(str(account.owner_id)),
            sections=[
                *record_sections(ACCOUNT_SECTIONS, ACCOUNT_FIELDS, account, skip=skip),
                *custom_section(custom_specs(custom or []), account),
            ],
            show=show_value(people, currency),
            refusal=refusal,
            status_code=status_code,
            pool_status=pool_status,
            deals=deals,
            risk=risk,
            grade=grade,
            grade_sources=GRADE_SOURCES,
            signal_text=signal_text,
            reason_text=reason_text,
            **{**contacts_context, **team_context, **timeline, **files},
        )

    @get("/{account_id:uuid}/timeline")
    async def timeline(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        account_id: FromPath[uuid.UUID],
    ) -> Template:
        """ "Load more" of the timeline: the next entries (HTMX appends them), or without JavaScript a page of them."""
        cursor = request.query_params.get("cursor") or None
        account, people = await asyncio.gather(api.account(str(account_id)), load_people(api))
        contacts = await optional(api.account_contacts(str(account_id)))
        record = Record("account", str(account_id))
        context = await timeline_context(api, me, record, people, contacts, cursor=cursor)
        if hx_target(request) == "timeline-items":
            return fragment("activities/_timeline_more.html", **context)
        return customers_page(
            request,
            "activities/_timeline_page.html",
            me,
            account.name,
            "customers",
            record_name=account.name,
            **context,
        )

    @get("/{account_id:uuid}/log")
    async def log_picker(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        account_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        return log_picker_answer(request, Record("account", str(account_id)))

    @post("/{account_id:uuid}/activities")
    async def log_activity(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        account_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        form, status = await log_activity(request, api, me, str(account_id), None)
        logged = status == 200
        if hx_target(request) == "timeline":
            people = await load_people(api)
            contacts = await optional(api.account_contacts(str(account_id)))
            notice = _(NOTICES["activity-logged"]) if logged else None
            context = await timeline_context(
                api,
                me,
                Record("account", str(account_id)),
                people,
                contacts,
                log=None if logged else form,
                notice=notice,
            )
            return fragment("activities/_timeline.html", status, **context)
        if logged:
            return redirect(request, f"/accounts/{account_id}?done=activity-logged#timeline")
        return await self._account_page(request, api, me, str(account_id), log=form, status_code=status)

    async def _contacts_context(
        self, api: ApiCaller, account_id: str, form: Form | None, notice: str | None = None
    ) -> dict[str, Any]:
        return {
            "account_id": account_id,
            "contacts": await optional(api.account_contacts(account_id)),
            "contact_form": form or quick_contact_form(),
            "contact_notice": notice,
        }

    async def _team_context(
        self,
        api: ApiCaller,
        account_id: str,
        form: Form | None,
        people: Mapping[str, Member],
        owner_id: str,
        notice: str | None = None,
    ) -> dict[str, Any]:
        return {
            "account_id": account_id,
            "team": await optional(api.collaborators(account_id)),
            "team_form": form or Form(COLLABORATOR_FIELDS, values={"access": "read"}),
            "team_options": [
                (str(person.id), person.name)
                for person in sorted(people.values(), key=lambda p: p.name.casefold())
                if person.status == "active" and str(person.id) != owner_id
            ],
            "access_options": [(key, _(label)) for key, label in COLLABORATOR_ACCESS.items()],
            "team_notice": notice,
        }

    @post("/{account_id:uuid}/contacts")
    async def add_contact(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        account_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        form, submitted = Form.read(QUICK_CONTACT_FIELDS, await request.form())
        form.aliases = {"phones": "phone", "emails": "email"}
        form.require(submitted, "name")
        status = 200
        if form.invalid:
            status = 422
        else:
            body: dict[str, Any] = {"account_id": str(account_id), "name": submitted["name"].strip()}
            if submitted["title"].strip():
                body["title"] = submitted["title"].strip()
            for name, many in (("phone", "phones"), ("email", "emails")):
                if submitted[name].strip():
                    body[many] = [submitted[name].strip()]
            try:
                contact = await api.create_contact(body)
            except ApiError as error:
                if error.status in (401, 404):
                    raise
                refuse(form, error, _("Your role may not add contacts."))
                status = refusal_status(error)
            else:
                log.info("contact.created", contact_id=str(contact.id), account_id=str(account_id))
        added = status == 200
        if hx_target(request) == "contacts-panel":
            notice = _(NOTICES["contact-added"]) if added else None
            context = await self._contacts_context(api, str(account_id), None if added else form, notice)
            return fragment("customers/_contacts_panel.html", status, **context)
        if added:
            return redirect(request, f"/accounts/{account_id}?done=contact-added#contacts-panel")
        return await self._account_page(request, api, me, str(account_id), contact_form=form, status_code=status)

    @post("/{account_id:uuid}/collaborators")
    async def add_collaborator(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        account_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        form, submitted = Form.read(COLLABORATOR_FIELDS, await request.form())
        form.aliases = {"expires_at": "expires_on"}
        form.require(submitted, "member_id")
        if submitted["access"] not in COLLABORATOR_ACCESS:
            form.errors["access"] = [_("Choose one of the listed options.")]
        until = None
        if submitted["expires_on"].strip():
            try:
                until = dt.date.fromisoformat(submitted["expires_on"].strip())
            except ValueError:
                form.errors["expires_on"] = [_("Enter a date like 2024-05-31.")]
            else:
                if until < dt.datetime.now(dt.UTC).date():
                    form.errors["expires_on"] = [_("Choose today or a later day.")]
        status = 422 if form.invalid else 200
        if not form.invalid:
            body = {"access": submitted["access"], "expires_at": end_of_day(until) if until else None}
            try:
                await api.put_collaborator(str(account_id), submitted["member_id"], body)
            except ApiError as error:
                if error.status in (401, 404):
                    raise
                refuse(form, error, team_refusal())
                status = refusal_status(error)
            else:
                log.info("collaborator.saved", account_id=str(account_id), member_id=submitted["member_id"])
        return await self._team_answer(request, api, me, str(account_id), form, status)

    @post("/{account_id:uuid}/collaborators/{member_id:uuid}/remove")
    async def remove_collaborator(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        account_id: FromPath[uuid.UUID],
        member_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        form = Form(COLLABORATOR_FIELDS, values={"access": "read"})
        status = 200
        try:
            await api.remove_collaborator(str(account_id), str(member_id))
        except ApiError as error:
            if error.status == 403:
                form.summary.append(team_refusal())
                status = 403
            elif error.status != 404:  # already gone: the list below shows it
                raise
        else:
            log.info("collaborator.removed", account_id=str(account_id), member_id=str(member_id))
        return await self._team_answer(request, api, me, str(account_id), form, status)

    async def _team_answer(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, account_id: str, form: Form, status: int
    ) -> Response[Any]:
        """The team panel again (HTMX), or the whole page: after a change, or with the form's errors."""
        if hx_target(request) == "team-panel":
            account, people = await asyncio.gather(api.account(account_id), load_people(api))
            notice = _(NOTICES["team-saved"]) if status == 200 else None
            context = await self._team_context(
                api, account_id, form if form.invalid else None, people, str(account.owner_id), notice
            )
            return fragment("customers/_team_panel.html", status, people=people, **context)
        if status == 200:
            return redirect(request, f"/accounts/{account_id}?done=team-saved#team-panel")
        return await self._account_page(request, api, me, account_id, team_form=form, status_code=status)


async def log_activity(
    request: Request[Any, Any, Any], api: ApiCaller, me: Me, account_id: str, contact_id: str | None
) -> tuple[Form, int]:
    """The quick-log form's activity logged on the account (and with the contact, from a contact's page): the
    form with any refusal, and the status to answer with."""
    form, body = read_log_form(await request.form(), zone_of(me))
    if form.invalid:
        return form, 422
    with_contact = {"contact_id": contact_id} if contact_id else {}
    try:
        activity = await api.create_activity({**body, "account_id": account_id, **with_contact})
    except ApiError as error:
        if error.status in (401, 404):
            raise
        refuse(form, error, _("Your role may not log activities on this account."))
        return form, refusal_status(error)
    log.info("activity.logged", activity_id=str(activity.id), kind=activity.kind)
    return form, 200


def masked_fields(record: Any, fields: Mapping[str, Field]) -> list[str]:
    """The fields a form shows read-only: those the API sent masked."""
    return [name for name in present(record, fields) if is_masked(getattr(record, name))]


def quick_contact_form() -> Form:
    return Form(QUICK_CONTACT_FIELDS, aliases={"phones": "phone", "emails": "email"})


def team_refusal() -> str:
    return _("Only the account's owner and the people above them can change who works on it.")


class ContactController(ListController):
    path = "/contacts"
    kind = CONTACT_LIST
    tags = ["customers"]
    dependencies = {"me": Provide(provide_me)}

    # ---- new and edit

    async def _form_page(
        self,
        request: Request[Any, Any, Any],
        api: ApiCaller,
        me: Me,
        *,
        form: Form,
        names: list[str],
        people: Mapping[str, Member],
        fields: Mapping[str, Field],
        account: Account | None,
        contact: Contact | None = None,
        status_code: int = 200,
    ) -> Template:
        readonly = [] if contact is None else masked_fields(contact, CONTACT_FIELDS)
        form.choices.update(custom_choices(fields, form.values))
        account_options: list[tuple[str, str]] = []
        if account is None and contact is None:  # a new contact, not started from an account's page
            listed = await optional(api.accounts({"sort": "name", "limit": "200"}))
            account_options = [(str(a.id), a.name) for a in (listed.items if listed else [])]
        title = _("Edit %(name)s") % {"name": contact.name} if contact else _("New contact")
        back = f"/contacts/{contact.id}" if contact else (f"/accounts/{account.id}" if account else "/contacts")
        return customers_page(
            request,
            "customers/_contact_form.html",
            me,
            title,
            "contacts",
            form=form,
            fields=fields,
            sections=form_sections([*CONTACT_FORM_SECTIONS, custom_form_section(fields)], [*names, *readonly]),
            readonly=readonly,
            record=contact,
            account=account,
            account_options=account_options,
            options={
                **options(CONTACT_FIELDS, people.values(), keep=str(contact.owner_id) if contact else None),
                **custom_options(fields, people.values()),
            },
            show=show_value(people, currency_of(me)),
            action=f"/contacts/{contact.id}" if contact else "/contacts",
            back=back,
            status_code=status_code,
        )

    @staticmethod
    def _offered(people: Mapping[str, Member], names: Iterable[str]) -> list[str]:
        return [name for name in names if name != "owner_id" or people]

    @get("/new")
    async def new(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        account_id = request.query_params.get("account_id") or ""
        account, people, fields = await asyncio.gather(
            chosen_account(api, account_id), load_people(api), with_custom(api, "contacts", CONTACT_FIELDS)
        )
        form = contact_form(fields, {"owner_id": str(me.user.id), "account_id": account_id if account else ""})
        names = self._offered(people, fields)
        return await self._form_page(
            request, api, me, form=form, names=names, people=people, fields=fields, account=account
        )

    @post("")
    async def create(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any]:
        data = await request.form()
        account_id = str(data.get("account_id") or "")
        account, people, fields = await asyncio.gather(
            chosen_account(api, account_id), load_people(api), with_custom(api, "contacts", CONTACT_FIELDS)
        )
        names = self._offered(people, fields)
        form, values = read_contact_form(data, names, fields)
        if account is None:
            form.errors["account_id"] = [_("Choose the account this contact works for.")]
        if not form.invalid and not (values.get("name") or values.get("family_name") or values.get("given_name")):
            form.errors["family_name"] = [_("Enter the family name, the given name or the full name.")]
        if form.invalid:
            return await self._form_page(
                request, api, me, form=form, names=names, people=people, fields=fields, account=account, status_code=422
            )
        try:
            contact = await api.create_contact({"account_id": account_id, **new_record_body(values)})
        except ApiError as error:
            if error.status == 401:
                raise
            refuse(form, error, _("Your role may not add contacts."))
            return await self._form_page(
                request,
                api,
                me,
                form=form,
                names=names,
                people=people,
                fields=fields,
                account=account,
                status_code=refusal_status(error),
            )
        log.info("contact.created", contact_id=str(contact.id), account_id=account_id)
        return redirect(request, f"/contacts/{contact.id}?done=contact-added")

    @get("/{contact_id:uuid}/edit")
    async def edit(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        contact_id: FromPath[uuid.UUID],
    ) -> Template:
        contact, people, fields = await asyncio.gather(
            api.contact(str(contact_id)), load_people(api), with_custom(api, "contacts", CONTACT_FIELDS)
        )
        account = await optional(api.account(str(contact.account_id)))
        names = self._offered(people, editable(fields, contact))
        form = contact_form(fields, record_values(fields, contact))
        return await self._form_page(
            request, api, me, form=form, names=names, people=people, fields=fields, account=account, contact=contact
        )

    @post("/{contact_id:uuid}")
    async def update(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        contact_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        contact, people, fields = await asyncio.gather(
            api.contact(str(contact_id)), load_people(api), with_custom(api, "contacts", CONTACT_FIELDS)
        )
        account = await optional(api.account(str(contact.account_id)))
        names = self._offered(people, editable(fields, contact))
        form, values = read_contact_form(await request.form(), names, fields)
        if values.get("name", "") is None:  # emptied: made again from the family and given name
            del values["name"]
        status = 422
        if not form.invalid:
            changes = changed(fields, values, contact)
            try:
                if changes:
                    await api.update_contact(str(contact_id), changes)
            except ApiError as error:
                if error.status in (401, 404):
                    raise
                refuse(form, error, _("Your role may not change this contact."))
                status = refusal_status(error)
            else:
                log.info("contact.updated", contact_id=str(contact_id), fields=sorted(changes))
                return redirect(request, f"/contacts/{contact_id}?done=contact-saved")
        return await self._form_page(
            request,
            api,
            me,
            form=form,
            names=names,
            people=people,
            fields=fields,
            account=account,
            contact=contact,
            status_code=status,
        )

    @post("/{contact_id:uuid}/delete")
    async def delete(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        contact_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        contact = await api.contact(str(contact_id))
        try:
            await api.delete_contact(str(contact_id))
        except ApiError as error:
            if error.status != 403:
                raise
            refusal = _("Your role may not delete this contact.")
            return await self._contact_page(request, api, me, contact, refusal=refusal, status_code=403)
        log.info("contact.deleted", contact_id=str(contact_id))
        return redirect(request, f"/accounts/{contact.account_id}?done=contact-deleted")

    # ---- the record page

    @get("/{contact_id:uuid}")
    async def contact(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        contact_id: FromPath[uuid.UUID],
    ) -> Template:
        return await self._contact_page(request, api, me, await api.contact(str(contact_id)))

    async def _contact_page(
        self,
        request: Request[Any, Any, Any],
        api: ApiCaller,
        me: Me,
        contact: Contact,
        *,
        refusal: str | None = None,
        log: Form | None = None,
        status_code: int = 200,
    ) -> Template:
        record = Record("contact", str(contact.id))
        account, people, changes, custom, files = await asyncio.gather(
            optional(api.account(str(contact.account_id))),
            load_people(api),
            optional(api.contact_history(str(contact.id))),
            optional(api.custom_fields("contacts")),
            files_context(request, api, record),
        )
        timeline = await timeline_context(api, me, record, people, None, log=log or picked_log(request))
        currency = currency_of(me)
        history = None
        if changes is not None:
            history = history_entries(
                changes,
                CONTACT_FIELDS,
                noun="contact",
                people=people,
                currency=currency,
                account_names={str(account.id): account.name} if account else {},
            )
        return customers_page(
            request,
            "customers/_contact.html",
            me,
            contact.name,
            "contacts",
            contact=contact,
            account=account,
            owner=people.get(str(contact.owner_id)),
            sections=[
                *record_sections(CONTACT_SECTIONS, CONTACT_FIELDS, contact),
                *custom_section(custom_specs(custom or []), contact),
            ],
            show=show_value(people, currency),
            history=history,
            refusal=refusal,
            status_code=status_code,
            **{**timeline, **files},
        )

    # ---- the contact's own timeline and quick-log bar (the account page's, for this contact)

    @get("/{contact_id:uuid}/timeline")
    async def timeline(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        contact_id: FromPath[uuid.UUID],
    ) -> Template:
        """ "Load more" of the contact's timeline (HTMX appends), or without JavaScript a page of entries."""
        cursor = request.query_params.get("cursor") or None
        contact, people = await asyncio.gather(api.contact(str(contact_id)), load_people(api))
        context = await timeline_context(api, me, Record("contact", str(contact_id)), people, None, cursor=cursor)
        if hx_target(request) == "timeline-items":
            return fragment("activities/_timeline_more.html", **context)
        return customers_page(
            request, "activities/_timeline_page.html", me, contact.name, "contacts", record_name=contact.name, **context
        )

    @get("/{contact_id:uuid}/log")
    async def log_picker(self, request: Request[Any, Any, Any], contact_id: FromPath[uuid.UUID]) -> Response[Any]:
        return log_picker_answer(request, Record("contact", str(contact_id)))

    @post("/{contact_id:uuid}/activities")
    async def log_activity(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        contact_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Logged on the contact's account, with the contact."""
        contact = await api.contact(str(contact_id))
        form, status = await log_activity(request, api, me, str(contact.account_id), str(contact_id))
        logged = status == 200
        if hx_target(request) == "timeline":
            people = await load_people(api)
            notice = _(NOTICES["activity-logged"]) if logged else None
            record = Record("contact", str(contact_id))
            context = await timeline_context(api, me, record, people, None, log=None if logged else form, notice=notice)
            return fragment("activities/_timeline.html", status, **context)
        if logged:
            return redirect(request, f"/contacts/{contact_id}?done=activity-logged#timeline")
        return await self._contact_page(request, api, me, contact, log=form, status_code=status)


def contact_form(fields: Mapping[str, Field], values: dict[str, str]) -> Form:
    return RecordForm.of(fields, values=values, extra={"account_id": N_("Account")})


def read_contact_form(
    data: FormMultiDict, names: list[str], fields: Mapping[str, Field]
) -> tuple[Form, dict[str, Any]]:
    form, values = read_form(fields, data, names, extra={"account_id": N_("Account")})
    form.values["account_id"] = str(data.get("account_id") or "")
    return form, values


async def chosen_account(api: ApiCaller, account_id: str) -> Account | None:
    """The account a new contact is for, when the id names one the reader can see."""
    try:
        uuid.UUID(account_id)
    except ValueError:
        return None
    try:
        return await api.account(account_id)
    except ApiError as error:
        if error.status in (403, 404):
            return None
        raise


async def account_names(api: ApiCaller, account_ids: Iterable[str]) -> dict[str, str]:
    """The names of a contacts page's accounts, each asked for once, a few at a time.

    The contacts API gives each contact's account id only; an account the reader may not see has no name here.
    """
    gate = asyncio.Semaphore(CONTACT_ACCOUNT_LOOKUPS)

    async def name_of(account_id: str) -> tuple[str, str | None]:
        async with gate:
            try:
                return account_id, (await api.account(account_id)).name
            except ApiError as error:
                if error.status in (403, 404):
                    return account_id, None
                raise

    found = await asyncio.gather(*(name_of(account_id) for account_id in dict.fromkeys(account_ids)))
    return {account_id: name for account_id, name in found if name is not None}
