"""Quotes (报价单) and contracts (合同): the lists, the quote builder (product lines, totals redrawn by HTMX,
the PDF beside them), sending, accepting or rejecting, the contract of an accepted quote, and its page."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Stream, Template

from guanxi_web.api_client import ApiCaller, ApiError, Me, optional
from guanxi_web.controllers.customers import customers_page, load_people
from guanxi_web.customers import currency_of
from guanxi_web.dependencies import provide_me
from guanxi_web.i18n import N_, _
from guanxi_web.lines import LINE_FIELDS, problems_of, read_lines, row_errors, rows_of
from guanxi_web.records import Record, files_context
from guanxi_web.rendering import passed_on
from guanxi_web.session import is_htmx, redirect

log = structlog.get_logger("web.quotes")
QUOTE_STATUSES = {"draft": N_("Draft"), "sent": N_("Awaiting an answer"), "accepted": N_("Accepted"),
                  "rejected": N_("Rejected"), "expired": N_("Expired")}  # fmt: skip
CONTRACT_STATUSES = {"draft": N_("Draft"), "active": N_("Active"), "expired": N_("Expired"),
                     "terminated": N_("Terminated")}  # fmt: skip


class QuoteController(Controller):
    path = "/quotes"
    tags = ["quotes"]
    dependencies = {"me": Provide(provide_me)}

    @get("")
    async def list_quotes(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        status = request.query_params.get("status", "")
        params = {k: v for k, v in {"status": status if status in QUOTE_STATUSES else "",
                  "cursor": request.query_params.get("cursor", "")}.items() if v}  # fmt: skip
        page = await api.quotes(params)
        return customers_page(
            request, "quotes/_quotes.html", me, _("Quotes"), "quotes", page=page, status=status,
            statuses=QUOTE_STATUSES, people=await load_people(api),
        )  # fmt: skip

    @get("/new")
    async def new(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        return await self._new(request, api, me, request.query_params.get("account_id", ""))

    async def _new(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, account_id: str, error: str | None = None,
        status: int = 200,
    ) -> Template:  # fmt: skip
        accounts = (await api.accounts({"limit": "100"})).items
        return customers_page(
            request, "quotes/_new.html", me, _("New quote"), "quotes", status_code=status, accounts=accounts,
            account_id=account_id, price_lists=await api.price_lists(), currency=currency_of(me), error=error,
        )  # fmt: skip

    @post("")
    async def create(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any] | Template:
        data = await request.form()
        body = {k: str(data.get(k)).strip() for k in ("account_id", "price_list_id", "currency", "valid_until")
                if str(data.get(k) or "").strip()}  # fmt: skip
        try:
            made = await api.create_quote(body)
        except ApiError as error:
            if not 400 <= error.status < 500:
                raise
            message = "; ".join(problems_of(error))
            return await self._new(request, api, me, body.get("account_id", ""), message, error.status)
        return redirect(request, f"/quotes/{made.id}?done=quote-created")

    async def _page(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, quote_id: uuid.UUID, status: int = 200,
        **extra: Any,
    ) -> Template:  # fmt: skip
        found = extra.pop("quote", None) or await api.quote(str(quote_id))
        extra.setdefault("rows", rows_of(found))
        products = (await api.products({"limit": "200"})).items
        contracts = (await api.contracts({"quote_id": str(quote_id)})).items if found.status == "accepted" else []
        context = {"quote": found, "products": products, "statuses": QUOTE_STATUSES, "row_errors": {},
                   "summary": [], "people": await load_people(api), "saved": False, "answer_error": None,
                   "send_errors": [], "send": None, "contract_errors": [], "oob": False, "contracts": contracts,
                   "detail_errors": [], **extra}  # fmt: skip
        if is_htmx(request) and request.headers.get("hx-target") == "builder":
            return Template("quotes/_builder.html", status_code=status, context={**context, "oob": True})
        return customers_page(request, "quotes/_quote.html", me, found.number, "quotes", status_code=status, **context)

    @get("/{quote_id:uuid}")
    async def page(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me],
        quote_id: FromPath[uuid.UUID],
    ) -> Template:  # fmt: skip
        return await self._page(request, api, me, quote_id)

    @post("/{quote_id:uuid}/lines")
    async def save_lines(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me],
        quote_id: FromPath[uuid.UUID],
    ) -> Template:  # fmt: skip
        """Save the lines and redraw the builder with the new totals; *Add a line* only adds a blank row."""
        data = await request.form()
        rows, lines = read_lines(data)
        if data.get("add"):
            return await self._page(request, api, me, quote_id, rows=[*rows, dict.fromkeys(LINE_FIELDS, "")])
        try:
            saved = await api.update_quote(str(quote_id), {"lines": lines})
        except ApiError as error:
            if error.status not in (409, 422):
                raise
            by_row, summary = row_errors(error)
            return await self._page(request, api, me, quote_id, 422, rows=rows, row_errors=by_row, summary=summary)
        return await self._page(request, api, me, quote_id, quote=saved, saved=True)

    @post("/{quote_id:uuid}/details")
    async def save_details(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me],
        quote_id: FromPath[uuid.UUID],
    ) -> Response[Any] | Template:  # fmt: skip
        """Valid until, terms and notes; an empty field clears it."""
        data = await request.form()
        body = {k: str(data.get(k) or "").strip() or None for k in ("valid_until", "terms", "notes")}
        try:
            await api.update_quote(str(quote_id), body)
        except ApiError as error:
            if error.status not in (409, 422):
                raise
            return await self._page(request, api, me, quote_id, error.status, detail_errors=problems_of(error))
        return redirect(request, f"/quotes/{quote_id}?done=document-saved")

    @get("/{quote_id:uuid}/pdf")
    async def pdf(self, api: NamedDependency[ApiCaller], quote_id: FromPath[uuid.UUID]) -> Stream:
        upstream = await api.open_quote_pdf(str(quote_id))
        # Shown in the quote page's preview frame: our own pages may frame it, no other site may.
        headers = {"Content-Disposition": upstream.headers.get("content-disposition", "inline"),
                   "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                   "X-Frame-Options": "SAMEORIGIN", "Content-Security-Policy": "frame-ancestors 'self'"}  # fmt: skip
        return Stream(passed_on(upstream), media_type="application/pdf", headers=headers)

    @post("/{quote_id:uuid}/send")
    async def send(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me],
        quote_id: FromPath[uuid.UUID],
    ) -> Response[Any] | Template:  # fmt: skip
        data = await request.form()
        body = {k: str(data.get(k)).strip() for k in ("to", "message") if str(data.get(k) or "").strip()}
        try:
            await api.send_quote(str(quote_id), body)
        except ApiError as error:
            if error.status not in (409, 422):
                raise
            return await self._page(request, api, me, quote_id, error.status, send_errors=problems_of(error), send=body)
        return redirect(request, f"/quotes/{quote_id}?done=quote-queued")

    @post("/{quote_id:uuid}/answer")
    async def answer(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me],
        quote_id: FromPath[uuid.UUID],
    ) -> Response[Any] | Template:  # fmt: skip
        data = await request.form()
        accept = data.get("answer") == "accept"
        body = {} if accept else {"reason": str(data.get("reason") or "")}
        try:
            await api.answer_quote(str(quote_id), "accept" if accept else "reject", body)
        except ApiError as error:
            if error.status not in (409, 422):
                raise
            message = (
                _("This quote was answered just now. Here is where it stands.")
                if error.kind == "quote-decided"
                else (error.field_errors[0].message if error.field_errors else error.problem.detail)
            )
            return await self._page(request, api, me, quote_id, error.status, answer_error=message)
        return redirect(request, f"/quotes/{quote_id}?done=quote-{'accepted' if accept else 'rejected'}")

    @post("/{quote_id:uuid}/contract")
    async def contract(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me],
        quote_id: FromPath[uuid.UUID],
    ) -> Response[Any] | Template:  # fmt: skip
        data = await request.form()
        body = {k: str(data.get(k)).strip() for k in ("start_date", "end_date", "signed_date")
                if str(data.get(k) or "").strip()}  # fmt: skip
        try:
            made = await api.contract_from_quote(str(quote_id), body)
        except ApiError as error:
            if error.status not in (409, 422):
                raise
            return await self._page(request, api, me, quote_id, error.status, contract_errors=problems_of(error))
        return redirect(request, f"/contracts/{made.id}?done=contract-created")


class ContractController(Controller):
    path = "/contracts"
    tags = ["contracts"]
    dependencies = {"me": Provide(provide_me)}

    @get("")
    async def list_contracts(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        status = request.query_params.get("status", "")
        params = {"cursor": request.query_params.get("cursor", "")}
        if status == "expiring":
            params["expiring_within"] = "30"
        elif status in CONTRACT_STATUSES:
            params["status"] = status
        page = await api.contracts({k: v for k, v in params.items() if v})
        return customers_page(
            request, "contracts/_contracts.html", me, _("Contracts"), "contracts", page=page, status=status,
            statuses=CONTRACT_STATUSES, people=await load_people(api),
        )  # fmt: skip

    @get("/{contract_id:uuid}")
    async def page(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me],
        contract_id: FromPath[uuid.UUID],
    ) -> Template:  # fmt: skip
        return await self._page(request, api, me, contract_id)

    async def _page(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, contract_id: uuid.UUID, status: int = 200,
        order_errors: list[str] | None = None,
    ) -> Template:  # fmt: skip
        found = await api.contract(str(contract_id))
        files = await files_context(request, api, Record("contract", str(contract_id)))
        orders = await optional(api.orders({"contract_id": str(contract_id), "limit": "20"}))
        return customers_page(
            request, "contracts/_contract.html", me, found.number, "contracts", status_code=status, contract=found,
            statuses=CONTRACT_STATUSES, people=await load_people(api), orders=orders.items if orders else None,
            order_errors=order_errors or [], **files,
        )  # fmt: skip

    @post("/{contract_id:uuid}/order")
    async def make_order(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me],
        contract_id: FromPath[uuid.UUID],
    ) -> Template | Response[Any]:  # fmt: skip
        """An order of the contract's lines (or, without lines, of its amount), linked to it."""
        found = await api.contract(str(contract_id))
        lines = [
            {"product_id": str(line.product_id) if line.product_id else None, "name": line.name,
             "quantity": str(line.quantity), "unit_price": str(line.unit_price),
             "discount_percent": str(line.discount_percent), "tax_rate": str(line.tax_rate)}
            for line in found.lines or []
        ] or [{"name": found.name, "quantity": "1", "unit_price": str(found.amount)}]  # fmt: skip
        body = {"account_id": str(found.account_id), "currency": found.currency, "contract_id": str(contract_id),
                "deal_id": str(found.deal_id) if found.deal_id else None, "lines": lines}  # fmt: skip
        try:
            order = await api.create_order({k: v for k, v in body.items() if v is not None})
        except ApiError as error:
            if error.status not in (403, 409, 422):
                raise
            return await self._page(request, api, me, contract_id, error.status, order_errors=problems_of(error))
        log.info("contract.ordered", contract_id=str(contract_id), order_id=order["id"])
        return redirect(request, f"/orders/{order['id']}?done=order-created")

    @post("/{contract_id:uuid}/status")
    async def set_status(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], contract_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        data = await request.form()
        await api.update_contract(str(contract_id), {"status": str(data.get("status") or "")})
        log.info("contract.status_changed", contract_id=str(contract_id))
        return redirect(request, f"/contracts/{contract_id}?done=document-saved")
