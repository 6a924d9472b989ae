"""Orders (订单): the list with status filter, an order's page (lines with margin, status buttons, tracking, the
payment plan, payments and invoices, with forms to add an instalment and record a payment), and receivables with
ageing by customer or by rep."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from guanxi_web.api_client import ApiCaller, ApiError, Me
from guanxi_web.controllers.customers import customers_page, load_people
from guanxi_web.dependencies import provide_me
from guanxi_web.i18n import N_, _
from guanxi_web.session import redirect

STATUSES = {"confirmed": N_("Confirmed"), "shipped": N_("Shipped"), "delivered": N_("Delivered"),
            "cancelled": N_("Cancelled")}  # fmt: skip
NEXT = {"confirmed": ("shipped", "cancelled"), "shipped": ("delivered", "cancelled")}
METHODS = {"bank_transfer": N_("Bank transfer"), "cash": N_("Cash"), "alipay": N_("Alipay"),
           "wechat_pay": N_("WeChat Pay"), "cheque": N_("Cheque"), "card": N_("Card"),
           "other": N_("Other")}  # fmt: skip
PLAN_STATUSES = {"pending": N_("Pending"), "partly_paid": N_("Partly paid"), "paid": N_("Paid"),
                 "overdue": N_("Overdue"), "void": N_("Void")}  # fmt: skip
FIELDS = {"amount": N_("Amount"), "due_date": N_("Due date"), "paid_on": N_("Paid on"), "method": N_("Method"),
          "instalment_id": N_("Instalment"), "reference": N_("Reference"), "status": N_("Status"),
          "carrier": N_("Carrier"), "tracking_number": N_("Tracking number"), "on": N_("Date"),
          "title": N_("Invoice title"), "taxpayer_id": N_("Taxpayer ID"), "bank_name": N_("Bank"),
          "bank_account": N_("Bank account"), "kind": N_("Invoice type")}  # fmt: skip
KINDS = {"vat_normal": N_("VAT invoice (普通发票)"), "vat_special": N_("VAT special invoice (专用发票)"),
         "generic": N_("Other invoice")}  # fmt: skip


def _amount(text: str) -> str:
    cleaned = text.replace(",", "").replace("，", "").strip()
    try:
        return str(Decimal(cleaned))
    except InvalidOperation:
        return cleaned  # the API names it


class OrderController(Controller):
    path = "/orders"
    tags = ["orders"]
    dependencies = {"me": Provide(provide_me)}

    @get("")
    async def list_orders(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        status = request.query_params.get("status", "")
        params = {"limit": "50"}
        if status in STATUSES:
            params["status"] = status
        if request.query_params.get("cursor"):
            params["cursor"] = request.query_params["cursor"]
        result = await api.orders(params)
        more = f"/orders?cursor={result.next_cursor}" + (f"&status={status}" if status in STATUSES else "")
        return customers_page(
            request, "orders/_orders.html", me, _("Orders"), "orders", result=result, status=status,
            statuses=STATUSES, people=await load_people(api), more=more if result.next_cursor else None,
        )  # fmt: skip

    async def _page(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, order_id: uuid.UUID, status: int = 200,
        errors: list[str] | None = None,
    ) -> Template:  # fmt: skip
        detail = await api.order(str(order_id))
        return customers_page(
            request, "orders/_order.html", me, detail.order.number, "orders", status_code=status, detail=detail,
            statuses=STATUSES, next_statuses=NEXT.get(detail.order.status, ()), methods=METHODS,
            plan_statuses=PLAN_STATUSES, kinds=KINDS, people=await load_people(api), errors=errors or [],
        )  # fmt: skip

    @get("/{order_id:uuid}")
    async def page(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        order_id: FromPath[uuid.UUID],
    ) -> Template:
        return await self._page(request, api, me, order_id)

    @post([f"/{{order_id:uuid}}/{action}" for action in ("status", "instalments", "payments", "invoices")])
    async def act(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        order_id: FromPath[uuid.UUID],
    ) -> Response[Any] | Template:
        """Status change, instalment, payment or invoice from the order page; the API's refusal shown by field."""
        action = request.url.path.rstrip("/").rsplit("/", 1)[1]
        data = await request.form()
        body = {k: str(v).strip() for k, v in data.items() if k != "_csrf_token" and str(v).strip()}
        if "amount" in body:
            body["amount"] = _amount(body["amount"])
        try:
            await api.order_action(str(order_id), action, body)
        except ApiError as error:
            if error.status not in (400, 409, 422):
                raise
            messages = [f"{_(FIELDS.get(e.field, e.field))}: {e.message}" for e in error.field_errors]
            return await self._page(request, api, me, order_id, error.status, messages or [error.problem.detail])
        return redirect(request, f"/orders/{order_id}")

    @post("/{order_id:uuid}/payments/{payment_id:uuid}/void")
    async def void_payment(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        order_id: FromPath[uuid.UUID],
        payment_id: FromPath[uuid.UUID],
    ) -> Response[Any] | Template:
        try:
            await api.order_action(str(order_id), f"payments/{payment_id}/void", {})
        except ApiError as error:
            if error.status not in (404, 409):
                raise
            return await self._page(request, api, me, order_id, error.status, [error.problem.detail])
        return redirect(request, f"/orders/{order_id}")


class ReceivablesController(Controller):
    path = "/receivables"
    tags = ["orders"]
    dependencies = {"me": Provide(provide_me)}

    @get("")
    async def receivables(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        by = "rep" if request.query_params.get("by") == "rep" else "customer"
        params = {"by": by}
        if request.query_params.get("cursor"):
            params["cursor"] = request.query_params["cursor"]
        result = await api.receivables(params)
        more = f"/receivables?by={by}&cursor={result.next_cursor}" if result.next_cursor else None
        return customers_page(
            request, "orders/_receivables.html", me, _("Receivables"), "orders", result=result, by=by, more=more
        )
