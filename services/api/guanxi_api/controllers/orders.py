"""Orders (订单) with their payment plans, payments and invoices. Thin: parse, authorize the token, call the
service."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from guanxi.domain.access.service import Access
from guanxi.domain.identity.service import AuthContext
from guanxi.domain.numbering.service import workspace_today
from guanxi.domain.orders import service
from guanxi.domain.orders.schemas import (
    AgeingOut,
    DueOut,
    DuePage,
    InstalmentIn,
    InstalmentOut,
    InvoiceIn,
    InvoiceOut,
    OrderChangeIn,
    OrderDetail,
    OrderIn,
    OrderOut,
    OrderPage,
    OrderStatus,
    PaymentIn,
    PaymentOut,
    ReceivablePage,
    ReceivableRow,
    StatusIn,
)
from guanxi.domain.products.lines import LineOut, sees_costs, totals
from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import audit_action, provide_access, provide_auth
from guanxi_api.openapi import problems

T = TypeVar("T", bound=msgspec.Struct)
Limit = Annotated[int, Parameter(ge=1, le=200)]
Deps = {"auth": Provide(provide_auth), "access": Provide(provide_access)}


def _out(row: Any, shape: type[T]) -> T:
    values = row if isinstance(row, dict) else {f: getattr(row, f) for f in shape.__struct_fields__}
    return msgspec.convert(values, shape, from_attributes=False)


def order_out(row: Any, access: Access) -> OrderOut:
    """What the order cost us and its margin are for those who see costs (as products' costs are)."""
    out = _out(row, OrderOut)
    if not sees_costs(access):
        out.cost = out.margin = None
    return out


def line_out(line: Any) -> LineOut:
    total = Decimal(line.net_amount) + Decimal(line.tax_amount)
    fields = {f: getattr(line, f) for f in LineOut.__struct_fields__ if f != "total"}
    return LineOut(**fields, total=total)


class OrderController(Controller):
    path = "/api/v1/orders"
    tags = ["sales"]
    dependencies = Deps

    @get("", summary="Orders you may see, newest first, by keyset pages", responses=problems(401, 403, 422))
    async def list_orders(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        status: FromQuery[OrderStatus | None] = None,
        account_id: FromQuery[uuid.UUID | None] = None,
        owner_id: FromQuery[uuid.UUID | None] = None,
        deal_id: FromQuery[uuid.UUID | None] = None,
        contract_id: FromQuery[uuid.UUID | None] = None,
        date_from: FromQuery[dt.date | None] = None,
        date_to: FromQuery[dt.date | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> OrderPage:
        auth.require_token_scope("orders", "read")
        filters = {"status": status, "account_id": account_id, "owner_id": owner_id, "deal_id": deal_id,
                   "contract_id": contract_id, "date_from": date_from, "date_to": date_to}  # fmt: skip
        rows, next_cursor = await service.list_orders(db, access, filters=filters, cursor=cursor, limit=limit)
        return OrderPage(items=[order_out(r, access) for r in rows], next_cursor=next_cursor)

    @post("", status_code=201, summary="Confirm an order of priced lines", responses=problems(400, 401, 403, 422))
    async def create_order(
        self,
        data: JSONBody[OrderIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> OrderOut:
        auth.require_token_scope("orders", "write")
        row = await service.create(db, access, data)
        await db.commit()
        return order_out(row, access)

    @get(
        "/{order_id:uuid}",
        summary="The order page: the order, its lines with margin, plan, payments and invoices",
        responses=problems(401, 403, 404),
    )
    async def get_order(
        self,
        order_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> OrderDetail:
        auth.require_token_scope("orders", "read")
        return await order_detail(db, access, order_id)

    @patch(
        "/{order_id:uuid}",
        summary="Change an order's contact, owner, tracking or note",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def change_order(
        self,
        order_id: FromPath[uuid.UUID],
        data: JSONBody[OrderChangeIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> OrderOut:
        auth.require_token_scope("orders", "write")
        row = await service.change(db, access, order_id, data)
        await db.commit()
        return order_out(row, access)

    @post(
        "/{order_id:uuid}/status",
        status_code=200,
        summary="Ship, deliver or cancel an order",
        responses=problems(400, 401, 403, 404, 409, 422),
    )
    async def order_status(
        self,
        request: Request[Any, Any, Any],
        order_id: FromPath[uuid.UUID],
        data: JSONBody[StatusIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> OrderOut:
        auth.require_token_scope("orders", "write")
        row = await service.set_status(db, access, order_id, data)
        await audit_action(db, auth, request, f"order.{row['status']}", target_type="order", target_id=order_id)
        await db.commit()
        return order_out(row, access)

    @post(
        "/{order_id:uuid}/instalments",
        status_code=201,
        summary="Add an instalment to the order's payment plan",
        responses=problems(400, 401, 403, 404, 409, 422),
    )
    async def add_instalment(
        self,
        order_id: FromPath[uuid.UUID],
        data: JSONBody[InstalmentIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> InstalmentOut:
        auth.require_token_scope("payments", "write")
        item = await service.add_instalment(db, access, order_id, data)
        today = await workspace_today(db, access.scope)
        await db.commit()
        return _out(service.instalment_row(item, today), InstalmentOut)

    @delete(
        "/{order_id:uuid}/instalments/{instalment_id:uuid}",
        status_code=204,
        summary="Void an instalment without payments",
        responses=problems(401, 403, 404, 409, 422),
    )
    async def void_instalment(
        self,
        order_id: FromPath[uuid.UUID],
        instalment_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> None:
        auth.require_token_scope("payments", "write")
        await service.void_instalment(db, access, order_id, instalment_id)
        await db.commit()

    @post(
        "/{order_id:uuid}/payments",
        status_code=201,
        summary="Record a payment against an instalment or the order",
        responses=problems(400, 401, 403, 404, 409, 422),
    )
    async def record_payment(
        self,
        order_id: FromPath[uuid.UUID],
        data: JSONBody[PaymentIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> PaymentOut:
        auth.require_token_scope("payments", "write")
        payment = await service.record_payment(db, access, order_id, data)
        out = _out(payment, PaymentOut)
        await db.commit()
        return out

    @post(
        "/{order_id:uuid}/payments/{payment_id:uuid}/void",
        status_code=200,
        summary="Void a payment recorded by mistake",
        responses=problems(401, 403, 404, 409),
    )
    async def void_payment(
        self,
        request: Request[Any, Any, Any],
        order_id: FromPath[uuid.UUID],
        payment_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> PaymentOut:
        auth.require_token_scope("payments", "write")
        payment = await service.void_payment(db, access, order_id, payment_id)
        out = _out(payment, PaymentOut)
        await audit_action(db, auth, request, "payment.voided", target_type="payment", target_id=payment_id)
        await db.commit()
        return out

    @post(
        "/{order_id:uuid}/invoices",
        status_code=201,
        summary="Issue an invoice on the order with the buyer's billing details",
        responses=problems(400, 401, 403, 404, 409, 422),
    )
    async def issue_invoice(
        self,
        order_id: FromPath[uuid.UUID],
        data: JSONBody[InvoiceIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> InvoiceOut:
        auth.require_token_scope("invoices", "write")
        invoice = await service.issue_invoice(db, access, order_id, data)
        out = _out(invoice, InvoiceOut)
        await db.commit()
        return out

    @post(
        "/{order_id:uuid}/invoices/{invoice_id:uuid}/void",
        status_code=200,
        summary="Void an invoice",
        responses=problems(401, 403, 404, 409),
    )
    async def void_invoice(
        self,
        request: Request[Any, Any, Any],
        order_id: FromPath[uuid.UUID],
        invoice_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> InvoiceOut:
        auth.require_token_scope("invoices", "write")
        invoice = await service.void_invoice(db, access, order_id, invoice_id)
        out = _out(invoice, InvoiceOut)
        await audit_action(db, auth, request, "invoice.voided", target_type="invoice", target_id=invoice_id)
        await db.commit()
        return out


async def order_detail(db: AsyncSession, access: Access, order_id: uuid.UUID) -> OrderDetail:
    """Six statements whatever the number of lines, instalments, payments and invoices."""
    row = await service.fetch(db, access, order_id)
    lines = await service.lines_of(db, access, [order_id])
    today = await workspace_today(db, access.scope)
    plan = [service.instalment_row(i, today) for i in await service.instalments(db, access, order_id)]
    paid = await service.payments(db, access, order_id) if access.can("payments", "read") else []
    issued = await service.invoices(db, access, order_id) if access.can("invoices", "read") else []
    shown = [line_out(line) for line in lines]
    summed = totals([{c.name: getattr(line, c.key) for c in line.__table__.columns} for line in lines])
    if not sees_costs(access):
        for line in shown:
            line.unit_cost = None
        summed.cost = summed.margin = summed.margin_percent = None
    return OrderDetail(
        order=order_out(row, access),
        lines=shown,
        totals=summed,
        instalments=[_out(i, InstalmentOut) for i in plan] if access.can("payments", "read") else [],
        payments=[_out(p, PaymentOut) for p in paid],
        invoices=[_out(i, InvoiceOut) for i in issued],
    )


class InstalmentController(Controller):
    path = "/api/v1/instalments"
    tags = ["sales"]
    dependencies = Deps

    @get("", summary="Payments due: open instalments, earliest due date first, by keyset pages",
         responses=problems(401, 403, 422))  # fmt: skip
    async def instalments_due(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        owner_id: FromQuery[uuid.UUID | None] = None,
        account_id: FromQuery[uuid.UUID | None] = None,
        due_to: FromQuery[dt.date | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> DuePage:
        auth.require_token_scope("payments", "read")
        filters = {"owner_id": owner_id, "account_id": account_id, "due_to": due_to}
        rows, next_cursor = await service.instalments_due(db, access, filters=filters, cursor=cursor, limit=limit)
        return DuePage(items=[_out(r, DueOut) for r in rows], next_cursor=next_cursor)


class ReceivableController(Controller):
    path = "/api/v1/receivables"
    tags = ["sales"]
    dependencies = Deps

    @get(
        "",
        summary="Open amounts per customer or per rep, aged by days past due, per currency",
        responses=problems(401, 403, 422),
    )
    async def receivables(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        by: FromQuery[Literal["customer", "rep"]] = "customer",
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> ReceivablePage:
        auth.require_token_scope("payments", "read")
        rows, sums, next_cursor = await service.receivables(db, access, by=by, cursor=cursor, limit=limit)
        return ReceivablePage(
            items=[_out(r, ReceivableRow) for r in rows],
            totals=[_out(s, AgeingOut) for s in sums],
            next_cursor=next_cursor,
        )
