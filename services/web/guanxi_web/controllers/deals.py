"""Deals (商机): the kanban of a pipeline (drag a card, or pick its stage, on a phone too), a new deal from an
account, and a deal's page with its stage path and history."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

import structlog
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from guanxi_web.activities import timeline_entries, zone_of
from guanxi_web.api_client import ApiCaller, ApiError, Me, Pipeline
from guanxi_web.controllers.customers import customers_page, load_people
from guanxi_web.customers import currency_of
from guanxi_web.dependencies import provide_me
from guanxi_web.forms import Form
from guanxi_web.i18n import N_, _
from guanxi_web.lines import LINE_FIELDS, read_lines, row_errors, rows_of
from guanxi_web.session import is_htmx, redirect, safe_next

log = structlog.get_logger("web.deals")
DEAL_FIELDS = {
    "name": N_("Deal name"),
    "amount": N_("Amount"),
    "currency": N_("Currency"),
    "pipeline_id": N_("Pipeline"),
    "stage_id": N_("Stage"),
    "expected_close_date": N_("Expected close date"),
    "competitors": N_("Competitors"),
    "description": N_("Notes"),
    "account_id": N_("Account"),
}
MOVE_FIELDS = {"loss_reason_id": N_("Why was it lost?"), "loss_note": N_("Note"), "stage_id": N_("Stage")}


def chosen_pipeline(pipelines: list[Pipeline], wanted: str | None) -> Pipeline | None:
    return next((p for p in pipelines if str(p.id) == wanted), pipelines[0] if pipelines else None)


def read_deal(data: Any) -> tuple[Form, dict[str, Any]]:
    """The form's values, and the API's body (an amount that is not a number is caught here, by field)."""
    form, submitted = Form.read(DEAL_FIELDS, data)
    body: dict[str, Any] = {"name": submitted["name"].strip()}
    amount = submitted["amount"].replace(",", "").replace("，", "").strip()
    if amount:
        try:
            body["amount"] = str(Decimal(amount))
        except InvalidOperation:
            form.errors.setdefault("amount", []).append(_("Enter an amount, like 128000 or 128000.50."))
    for name in ("currency", "pipeline_id", "stage_id", "expected_close_date", "account_id"):
        if submitted[name].strip():
            body[name] = submitted[name].strip()
    if submitted["description"].strip():
        body["description"] = submitted["description"]
    competitors = [c.strip() for c in submitted["competitors"].replace("，", ",").split(",") if c.strip()]
    if competitors:
        body["competitors"] = competitors
    return form, body


class DealController(Controller):
    path = "/deals"
    tags = ["deals"]
    dependencies = {"me": Provide(provide_me)}

    async def _board(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, status: int = 200, **extra: Any
    ) -> Template:
        pipelines = await api.pipelines()
        pipeline = chosen_pipeline(pipelines, extra.pop("pipeline_id", None) or request.query_params.get("pipeline"))
        mine = request.query_params.get("owner", "") != "all"
        params = {"owner_id": str(me.user.id)} if mine else {}
        board = await api.board(str(pipeline.id), params) if pipeline else None
        context = {
            "pipelines": pipelines,
            "pipeline": pipeline,
            "board": board,
            "mine": mine,
            "people": await load_people(api),
            "currency": currency_of(me),
            "reasons": [r for r in await api.loss_reasons() if r.active],
            "asking": None,
            "error": None,
            **extra,
        }
        if is_htmx(request) and request.headers.get("hx-target") == "board":
            return Template("deals/_board.html", status_code=status, context=context)
        return customers_page(request, "deals/_deals.html", me, _("Deals"), "deals", status_code=status, **context)

    @get("")
    async def board(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        return await self._board(request, api, me)

    @post("/{deal_id:uuid}/move")
    async def move(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        deal_id: FromPath[uuid.UUID],
    ) -> Response[Any] | Template:
        data = await request.form()
        body = {"stage_id": str(data.get("stage_id") or "")}
        for name in ("loss_reason_id", "loss_note"):
            if str(data.get(name) or "").strip():
                body[name] = str(data.get(name)).strip()
        back = safe_next(str(data.get("back") or ""), "/deals")
        try:
            deal = await api.move_deal(str(deal_id), body)
        except ApiError as error:
            if error.status not in (409, 422):
                raise
            deal = await api.deal(str(deal_id))
            if any(p.field == "loss_reason_id" for p in error.field_errors):
                asking = {"deal": deal, "stage_id": body["stage_id"], "back": back}
                if back.startswith("/deals/"):
                    return await self._page(request, api, me, deal_id, asking=asking, status=422)
                return await self._board(request, api, me, 422, pipeline_id=str(deal.pipeline_id), asking=asking)
            message = (
                _("Someone moved this deal just now. Here is where it stands.")
                if error.kind == "moved-meanwhile"
                else error.problem.detail
            )
            return await self._board(request, api, me, error.status, pipeline_id=str(deal.pipeline_id), error=message)
        log.info("deal.moved", deal_id=str(deal_id), status=deal.status)
        if is_htmx(request) and request.headers.get("hx-target") == "board":
            return await self._board(request, api, me, pipeline_id=str(deal.pipeline_id))
        return redirect(request, back)

    @get("/new")
    async def new(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        account_id = request.query_params.get("account_id", "")
        form = Form(DEAL_FIELDS, values={"account_id": account_id, "currency": currency_of(me)})
        return await self._form(request, api, me, form)

    async def _form(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, form: Form, status: int = 200
    ) -> Template:
        account = None
        if form.value("account_id"):
            try:
                account = await api.account(form.value("account_id"))
            except ApiError as error:
                if error.status not in (404, 422):
                    raise
        pipelines = await api.pipelines()
        return customers_page(
            request, "deals/_form.html", me, _("New deal"), "deals", status_code=status,
            form=form, account=account, pipelines=pipelines, pipeline_options=[(p.id, p.name) for p in pipelines],
        )  # fmt: skip

    @post("")
    async def create(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any] | Template:
        form, body = read_deal(await request.form())
        if form.invalid:
            return await self._form(request, api, me, form, 422)
        try:
            deal = await api.create_deal(body)
        except ApiError as error:
            if not 400 <= error.status < 500:
                raise
            form.refuse(error)
            return await self._form(request, api, me, form, error.status)
        return redirect(request, f"/deals/{deal.id}?done=deal-created")

    async def _page(
        self,
        request: Request[Any, Any, Any],
        api: ApiCaller,
        me: Me,
        deal_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        deal = await api.deal(str(deal_id))
        pipelines = await api.pipelines()
        pipeline = next((p for p in pipelines if p.id == deal.pipeline_id), None)
        stages = {s.id: s for s in pipeline.stages} if pipeline else {}
        lines = extra.pop("lines", None) or await api.deal_lines(str(deal_id))
        people = await load_people(api)
        timeline = timeline_entries(
            (await api.deal_timeline(str(deal_id))).items, people=people, currency=currency_of(me), contact_names={}
        )
        context = {
            "deal": deal,
            "pipeline": pipeline,
            "stages": stages,
            "lines": lines,
            "rows": extra.pop("rows", None) or rows_of(lines),
            "row_errors": {},
            "summary": [],
            "saved": False,
            "products": (await api.products({"limit": "200", "active": "true"})).items,
            "history": await api.deal_stages(str(deal_id)),
            "timeline": timeline,
            "zone": zone_of(me),
            "people": people,
            "reasons": await api.loss_reasons(),
            "asking": None,
            **extra,
        }
        if request.headers.get("hx-target") == "deal-lines":
            return Template("deals/_lines.html", status_code=status, context=context)
        return customers_page(request, "deals/_deal.html", me, deal.name, "deals", status_code=status, **context)

    @post("/{deal_id:uuid}/lines")
    async def save_lines(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        deal_id: FromPath[uuid.UUID],
    ) -> Template:
        """Save the deal's products (its amount follows); *Add a line* only adds a blank row."""
        data = await request.form()
        rows, lines = read_lines(data)
        if data.get("add"):
            return await self._page(request, api, me, deal_id, rows=[*rows, dict.fromkeys(LINE_FIELDS, "")])
        try:
            saved = await api.set_deal_lines(str(deal_id), lines)
        except ApiError as error:
            if error.status not in (403, 409, 422):
                raise
            by_row, summary = row_errors(error)
            return await self._page(request, api, me, deal_id, 422 if by_row else error.status, rows=rows,
                                    row_errors=by_row, summary=summary)  # fmt: skip
        return await self._page(request, api, me, deal_id, lines=saved, saved=True)

    @get("/{deal_id:uuid}")
    async def page(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        deal_id: FromPath[uuid.UUID],
    ) -> Template:
        return await self._page(request, api, me, deal_id)
