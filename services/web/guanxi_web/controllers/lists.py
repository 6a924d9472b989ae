"""The account and contact lists, one controller for both: filters (custom fields too), choosable columns,
saved views, the total counted after the rows are shown, bulk actions and the CSV export.

The account and contact controllers (with their record pages) take these handlers by inheriting
:class:`ListController` and naming their :class:`ListKind`; every handler here serves both lists.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from typing import Any, ClassVar

import structlog
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from guanxi_web.api_client import AccountPage, ApiCaller, ApiError, ContactPage, CustomField, Me, Member, SavedView

# The record pages' module imports this one (its controllers inherit the list's handlers), so its helpers are
# reached through the module, at call time.
from guanxi_web.controllers import customers as record_pages
from guanxi_web.customers import Filters, columns, currency_of, filter_options
from guanxi_web.i18n import _
from guanxi_web.lists import (
    BULK_ROUNDS,
    HIDEABLE,
    BulkRequest,
    ListKind,
    ListState,
    bulk_done_text,
    bulk_problem,
    custom_column,
    custom_filter_inputs,
    custom_text,
    may_change,
    read_bulk,
    read_state,
    sort_options,
    view_body,
    view_name_problem,
)
from guanxi_web.rendering import csv_download, fragment, is_admin
from guanxi_web.session import hx_target, redirect

log = structlog.get_logger("web.lists")


async def _quietly(call: Any, default: Any) -> Any:
    """Views and custom fields make a list better, but a list without them still works (403: not for this role)."""
    try:
        return await call
    except ApiError as error:
        if error.status == 403:
            return default
        raise


def list_refusal(error: ApiError, filters: Filters) -> str:
    """Why a list is empty: the API refused the list (403: the role may not read it, or filter by a field it
    may not see) or its filters (422)."""
    fields = {problem.field for problem in error.field_errors}
    if error.status == 403 and not filters.narrowed:
        return _("Your role may not see this list.")
    if error.status == 403:
        return _("Your role may not filter by one of these fields. Clear the filters to see the list.")
    if "q" in fields:
        return _("Search with letters, Chinese characters, digits or part of an email address.")
    if "cursor" in fields:
        return _("This page of the list is out of date. Start again from the first page.")
    return _("These filters could not be used. Clear them and try again.")


class ListController(Controller):
    kind: ClassVar[ListKind]

    # ---- what every handler needs

    async def _setting(self, api: ApiCaller) -> tuple[list[CustomField], list[SavedView], dict[str, Member]]:
        fields, views, people = await asyncio.gather(
            _quietly(api.custom_fields(self.kind.module), []),
            _quietly(api.views(self.kind.module), []),
            record_pages.load_people(api),
        )
        return fields, views, people

    async def _page(self, api: ApiCaller, params: dict[str, str]) -> AccountPage | ContactPage:
        if self.kind.record == "account":
            return await api.accounts(params)
        return await api.contacts(params)

    async def _render(
        self,
        request: Request[Any, Any, Any],
        api: ApiCaller,
        me: Me,
        params: Any,
        *,
        status_code: int = 200,
        **extra: Any,
    ) -> Template:
        """The list as ``params`` asks (the query string, or a submitted form that carries it)."""
        kind = self.kind
        fields, views, people = await self._setting(api)
        state = read_state(kind, params, fields, views)
        cursor = str(params.get("cursor") or "") or None
        query = state.filters.api_params(me, names=kind.filters)
        refusal = extra.pop("refusal", None)
        try:
            result = await self._page(api, {**query, "cursor": cursor} if cursor else query)
        except ApiError as error:
            if error.status not in (403, 422):
                raise
            result = AccountPage(items=[]) if kind.record == "account" else ContactPage(items=[])
            refusal, status_code = list_refusal(error, state.filters), error.status
        accounts: dict[str, str] = {}
        if isinstance(result, ContactPage):
            accounts = await record_pages.account_names(api, [str(contact.account_id) for contact in result.items])
        currency = currency_of(me)
        customs = {f"custom.{spec.key}": custom_column(spec) for spec in fields}
        visible = columns(result.items, HIDEABLE)
        shown = [c for c in kind.columns if not c.optional or (c.key in state.columns and c.key in visible)]
        shown += [customs[key] for key in state.columns if key in customs]
        address = f"{kind.path}{state.query()}"
        context: dict[str, Any] = {
            "kind": kind,
            "state": state,
            "filters": state.filters,
            "result": result,
            "people": people,
            "accounts": accounts,
            "columns": shown,
            "visible": visible,
            "column_choices": [c for c in kind.columns if c.optional and c.key in visible] + list(customs.values()),
            "custom_filters": custom_filter_inputs(fields, state.filters),
            "custom_value": lambda spec, value: custom_text(spec, value, people=people, currency=currency),
            "more": f"{kind.path}{state.query(cursor=result.next_cursor)}" if result.next_cursor else None,
            "first_page": address if cursor else None,
            "address": address,
            "count_href": f"{kind.path}/count{state.query()}",
            "export_href": f"{kind.path}/export.csv{state.query()}",
            "filter_options": {**filter_options(people.values()), "sort": sort_options(fields)},
            "may_change_view": bool(state.view and may_change(state.view, is_admin(me))),
            "selected": set(extra.pop("selected", ())),
            "refusal": refusal,
            "bulk_error": None,
            "bulk_done": None,
            "confirm": None,
            "view_error": None,
            "bulk": None,
            "views_oob": False,
            **extra,
        }
        target = hx_target(request)
        if target == f"{kind.record}-rows":
            return fragment("customers/_list_more.html", status_code, me=me, **context)
        if target == f"{kind.record}-results":
            # the views bar (outside the results) is swapped along, so "save as a view" saves the list as it is now
            return fragment(
                "customers/_list_results.html", status_code, push_url=address, me=me, **{**context, "views_oob": True}
            )
        return record_pages.customers_page(
            request, "customers/_list.html", me, kind.title(), kind.active, status_code=status_code, **context
        )

    # ---- the list, its count, its export

    @get("")
    async def records(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        return await self._render(request, api, me, request.query_params)

    @get("/count")
    async def count(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        """The total, asked for after the rows are on screen: on a big list the count costs more than a page."""
        fields, views, _people = await self._setting(api)
        state = read_state(self.kind, request.query_params, fields, views)
        query = state.filters.api_params(me, names=self.kind.filters)
        try:
            page = await self._page(api, {**query, "count": "true", "limit": "1"})
        except ApiError as error:
            if error.status not in (403, 422):
                raise
            page = None
        return fragment("customers/_list_count.html", kind=self.kind, page=page)

    @get("/export.csv")
    async def export(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any]:
        kind = self.kind
        fields, views, _people = await self._setting(api)
        state = read_state(kind, request.query_params, fields, views)
        params = state.filters.api_params(me, names=kind.filters)
        if state.view is not None and not state.modified:
            params["view"] = str(state.view.id)  # the view's own columns
        try:
            upstream = await api.open_csv(f"/api/v1/{kind.api_records}/export.csv", params)
        except ApiError as error:
            if error.status != 403:
                raise
            refusal = kind.export_refusal()
            return await self._render(request, api, me, request.query_params, refusal=refusal, status_code=403)
        log.info(f"{kind.api_records}.exported")
        return csv_download(upstream, f"{kind.api_records}.csv")

    # ---- bulk actions

    @post("/bulk")
    async def bulk(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        kind = self.kind
        data = await request.form()
        chosen = read_bulk(data, data.getall("ids", []))
        fields, views, people = await self._setting(api)
        state = read_state(kind, data, fields, views)
        problem = bulk_problem(kind, chosen, people)
        keep: dict[str, Any] = {"selected": chosen.ids, "bulk": chosen}
        if problem:
            return await self._render(request, api, me, data, bulk_error=problem, status_code=422, **keep)
        if chosen.action == "delete" and not chosen.confirmed:
            how_many = len(chosen.ids) if not chosen.everything else await self._total(api, me, state)
            return await self._render(request, api, me, data, confirm=how_many, **keep)
        try:
            changed = await self._run_bulk(api, me, state, chosen)
        except ApiError as error:
            if error.status not in (403, 404, 422):
                raise
            message = self._bulk_refusal(error)
            return await self._render(request, api, me, data, bulk_error=message, status_code=error.status, **keep)
        log.info(f"{kind.api_records}.bulk", action=chosen.action, changed=changed, everything=chosen.everything)
        done = bulk_done_text(kind, chosen.action, changed)
        return await self._render(request, api, me, data, bulk_done=done, bulk=chosen)

    async def _total(self, api: ApiCaller, me: Me, state: ListState) -> int | None:
        query = state.filters.api_params(me, names=self.kind.filters)
        page = await self._page(api, {**query, "count": "true", "limit": "1"})
        return None if page.total is None else int(page.total)

    async def _run_bulk(self, api: ApiCaller, me: Me, state: ListState, chosen: BulkRequest) -> int:
        """The API changes up to 5,000 records a call and says when more remain: call again until done."""
        body: dict[str, Any] = {"action": chosen.action}
        if chosen.everything:
            body["filter"] = view_body(self.kind, state, me)["filters"]
        else:
            body["ids"] = chosen.ids
        if chosen.action == "change_owner":
            body["owner_id"] = chosen.owner
        if chosen.action in ("add_tags", "remove_tags"):
            body["tags"] = chosen.tags
        changed = 0
        for _round in range(BULK_ROUNDS):
            result = await api.bulk(self.kind.api_records, body)
            changed += result.changed
            if not result.remaining:
                break
        return changed

    @staticmethod
    def _bulk_refusal(error: ApiError) -> str:
        fields = {problem.field for problem in error.field_errors}
        if "owner_id" in fields:
            return _("This person cannot be made the owner: choose someone your role may assign records to.")
        if "tags" in fields:
            return _("These tags cannot be used: at most 40 characters each, and no more than 20.")
        if error.status == 403:
            return _("Your role may not make this change.")
        return _("This change could not be made. Reload the list and try again.")

    # ---- saved views

    @post("/views")
    async def save_view(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any]:
        kind = self.kind
        data = await request.form()
        name = str(data.get("name") or "")
        problem = view_name_problem(name)
        if problem is not None:
            return await self._render(request, api, me, data, view_error=problem, status_code=422)
        fields, views, _people = await self._setting(api)
        state = read_state(kind, data, fields, views)
        body = {"module": kind.module, "name": name.strip(), **view_body(kind, state, me)}
        body["shared"] = data.get("shared") == "on" and is_admin(me)
        return await self._write_view(request, api, me, data, api.create_view(body), "view.saved")

    @post("/views/{view_id:uuid}")
    async def change_view(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        view_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Rename the view (``name``), or save the list's current filters, sort and columns into it."""
        data = await request.form()
        if "name" in data:
            name = str(data.get("name") or "")
            problem = view_name_problem(name)
            if problem is not None:
                return await self._render(request, api, me, data, view_error=problem, status_code=422)
            changes: dict[str, Any] = {"name": name.strip()}
        else:
            fields, views, _people = await self._setting(api)
            changes = view_body(self.kind, read_state(self.kind, data, fields, views), me)
        return await self._write_view(request, api, me, data, api.update_view(str(view_id), changes), "view.changed")

    @post("/views/{view_id:uuid}/delete")
    async def delete_view(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        view_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        data = await request.form()
        return await self._write_view(request, api, me, data, api.delete_view(str(view_id)), "view.deleted")

    async def _write_view(
        self,
        request: Request[Any, Any, Any],
        api: ApiCaller,
        me: Me,
        data: Any,
        call: Awaitable[SavedView | None],
        event: str,
    ) -> Response[Any]:
        """Save, change or delete a view, then open the list with it (or without it, once deleted); a refusal
        comes back on the list, in the views menu."""
        try:
            view = await call
        except ApiError as error:
            if error.status not in (403, 404, 409, 422):
                raise
            problem = self._view_refusal(error)
            return await self._render(request, api, me, data, view_error=problem, status_code=error.status)
        log.info(event, module=self.kind.module, view_id=str(view.id) if view else None)
        return redirect(request, f"{self.kind.path}?view={view.id}" if view else self.kind.path)

    @staticmethod
    def _view_refusal(error: ApiError) -> str:
        fields = {problem.field for problem in error.field_errors}
        if error.status == 404:
            return _("This view no longer exists.")
        if error.status == 403:
            return _("Only the one who saved this view, or an administrator for a shared one, may change it.")
        if error.status == 409:
            return _("You have saved the most views this list can have. Delete one first.")
        if "name" in fields:
            return _("This name cannot be used. Use up to 100 letters, digits or Chinese characters.")
        return _("These filters or columns cannot be saved in a view.")
