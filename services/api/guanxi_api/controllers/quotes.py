"""Quotes (报价单): priced lines, accept or reject once, the PDF, sending by mail; and the print templates."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import msgspec
from guanxi.domain.access.service import Access
from guanxi.domain.identity.service import AuthContext
from guanxi.domain.quotes import printing, service
from guanxi.domain.quotes.schemas import (
    AcceptIn,
    QuoteIn,
    QuoteOut,
    QuotePage,
    RejectIn,
    SendIn,
    SendOut,
    TemplateIn,
    TemplateOut,
)
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import audit_action, provide_access, provide_auth
from guanxi_api.openapi import problems

Limit = Annotated[int, Parameter(ge=1, le=200)]
Deps = {"auth": Provide(provide_auth), "access": Provide(provide_access)}


def quote_out(row: dict[str, Any]) -> QuoteOut:
    return msgspec.convert(row, QuoteOut, from_attributes=True)


class QuoteController(Controller):
    path = "/api/v1/quotes"
    tags = ["sales"]
    dependencies = Deps

    @get("", summary="Quotes you may see, newest first, by keyset pages", responses=problems(401, 403, 422))
    async def list_quotes(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        status: FromQuery[Literal["draft", "sent", "accepted", "rejected", "expired"] | None] = None,
        account_id: FromQuery[uuid.UUID | None] = None,
        owner_id: FromQuery[uuid.UUID | None] = None,
        deal_id: FromQuery[uuid.UUID | None] = None,
        expiring_within: FromQuery[Annotated[int | None, Parameter(ge=0, le=366)]] = None,
        q: FromQuery[Annotated[str | None, Parameter(max_length=60)]] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> QuotePage:
        auth.require_token_scope("quotes", "read")
        filters = {"status": status, "account_id": account_id, "owner_id": owner_id, "deal_id": deal_id,
                   "expiring_within": expiring_within, "q": q}  # fmt: skip
        rows, next_cursor = await service.list_quotes(db, access, filters=filters, cursor=cursor, limit=limit)
        return QuotePage(items=[quote_out(r) for r in rows], next_cursor=next_cursor)

    @post("", status_code=201, summary="Make a quote (numbered now)", responses=problems(400, 401, 403, 422))
    async def create_quote(
        self, data: JSONBody[QuoteIn], auth: NamedDependency[AuthContext], access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> QuoteOut:  # fmt: skip
        auth.require_token_scope("quotes", "write")
        row = await service.create(db, access, data)
        await db.commit()
        return quote_out(row)

    @get("/{quote_id:uuid}", summary="One quote with its lines and totals", responses=problems(401, 403, 404))
    async def get_quote(
        self, quote_id: FromPath[uuid.UUID], auth: NamedDependency[AuthContext], access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> QuoteOut:  # fmt: skip
        auth.require_token_scope("quotes", "read")
        return quote_out(await service.fetch(db, access, quote_id))

    @patch(
        "/{quote_id:uuid}",
        summary="Change a quote (lines replaced whole; a sent quote goes back to draft)",
        responses=problems(400, 401, 403, 404, 409, 422),
    )
    async def change_quote(
        self, quote_id: FromPath[uuid.UUID], data: JSONBody[QuoteIn], auth: NamedDependency[AuthContext],
        access: NamedDependency[Access], db: NamedDependency[AsyncSession],
    ) -> QuoteOut:  # fmt: skip
        auth.require_token_scope("quotes", "write")
        row = await service.change(db, access, quote_id, data)
        await db.commit()
        return quote_out(row)

    @delete("/{quote_id:uuid}", status_code=204, summary="Delete a quote", responses=problems(401, 403, 404, 409))
    async def delete_quote(
        self, request: Request[Any, Any, Any], quote_id: FromPath[uuid.UUID], auth: NamedDependency[AuthContext],
        access: NamedDependency[Access], db: NamedDependency[AsyncSession],
    ) -> None:  # fmt: skip
        auth.require_token_scope("quotes", "write")
        await service.remove(db, access, quote_id)
        await audit_action(db, auth, request, "quote.deleted", target_type="quote", target_id=quote_id)
        await db.commit()

    @post(
        "/{quote_id:uuid}/accept", status_code=200, summary="The customer accepted (once; may win the deal)",
        responses=problems(400, 401, 403, 404, 409, 422),
    )  # fmt: skip
    async def accept_quote(
        self, request: Request[Any, Any, Any], quote_id: FromPath[uuid.UUID], auth: NamedDependency[AuthContext],
        access: NamedDependency[Access], db: NamedDependency[AsyncSession], data: JSONBody[AcceptIn | None] = None,
    ) -> QuoteOut:  # fmt: skip
        auth.require_token_scope("quotes", "write")
        mark = data.mark_deal_won if data is not None else True
        row = await service.decide(db, access, quote_id, "accepted", mark_deal_won=mark)
        await audit_action(db, auth, request, "quote.accepted", target_type="quote", target_id=quote_id)
        await db.commit()
        return quote_out(row)

    @post(
        "/{quote_id:uuid}/reject", status_code=200, summary="The customer rejected (once, with a reason)",
        responses=problems(400, 401, 403, 404, 409, 422),
    )  # fmt: skip
    async def reject_quote(
        self, request: Request[Any, Any, Any], quote_id: FromPath[uuid.UUID], data: JSONBody[RejectIn],
        auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession],
    ) -> QuoteOut:  # fmt: skip
        auth.require_token_scope("quotes", "write")
        row = await service.decide(db, access, quote_id, "rejected", reason=data.reason)
        await audit_action(db, auth, request, "quote.rejected", target_type="quote", target_id=quote_id)
        await db.commit()
        return quote_out(row)

    @get(
        "/{quote_id:uuid}/pdf", summary="The quote as PDF, in its print template", media_type="application/pdf",
        responses=problems(401, 403, 404),
    )  # fmt: skip
    async def quote_pdf(
        self, quote_id: FromPath[uuid.UUID], auth: NamedDependency[AuthContext], access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> Response[bytes]:  # fmt: skip
        auth.require_token_scope("quotes", "read")
        quote = await service.fetch(db, access, quote_id)
        document = await printing.quote_pdf(db, access.scope, quote)
        return Response(
            document, media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{quote["number"]}.pdf"'},
        )  # fmt: skip

    @post(
        "/{quote_id:uuid}/send", status_code=202, summary="Mail the quote as PDF (the worker sends it, then marks it)",
        responses=problems(400, 401, 403, 404, 409, 422),
    )  # fmt: skip
    async def send_quote(
        self, quote_id: FromPath[uuid.UUID], data: JSONBody[SendIn], auth: NamedDependency[AuthContext],
        access: NamedDependency[Access], db: NamedDependency[AsyncSession],
    ) -> SendOut:  # fmt: skip
        auth.require_token_scope("quotes", "write")
        to = await service.request_send(db, access, quote_id, data.to, data.message)
        await db.commit()
        return SendOut(quote_id=quote_id, to=to, queued=True)


def template_out(row: Any) -> TemplateOut:
    return msgspec.convert(printing.template_out(row), TemplateOut)


class PrintTemplateController(Controller):
    path = "/api/v1/settings/print-templates"
    tags = ["sales"]
    dependencies = Deps

    @get("", summary="The workspace's print templates (the default first)", responses=problems(401, 403))
    async def list_templates(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> list[TemplateOut]:
        auth.require_token_scope("quotes", "read")
        return [template_out(t) for t in await printing.templates(db, access)]

    @post("", status_code=201, summary="Add a print template (administrators)",
          responses=problems(400, 401, 403, 409, 422))  # fmt: skip
    async def create_template(
        self, data: JSONBody[TemplateIn], auth: NamedDependency[AuthContext], access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> TemplateOut:  # fmt: skip
        auth.require_token_scope("settings", "write")
        row = await printing.save_template(db, access, data)
        await db.commit()
        return template_out(row)

    @get("/{template_id:uuid}", summary="One print template", responses=problems(401, 403, 404))
    async def get_template(
        self, template_id: FromPath[uuid.UUID], auth: NamedDependency[AuthContext], access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> TemplateOut:  # fmt: skip
        auth.require_token_scope("quotes", "read")
        return template_out(await printing.template(db, access, template_id))

    @get("/{template_id:uuid}/logo", summary="A template's logo", media_type="image/png",
         responses=problems(401, 403, 404))  # fmt: skip
    async def template_logo(
        self, template_id: FromPath[uuid.UUID], auth: NamedDependency[AuthContext], access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> Response[bytes]:  # fmt: skip
        auth.require_token_scope("quotes", "read")
        found = await printing.template(db, access, template_id)
        if found.logo is None:
            raise printing.not_found_for("Logo")
        kind = "image/png" if found.logo.startswith(b"\x89PNG") else "image/jpeg"
        return Response(found.logo, media_type=kind)

    @put("/{template_id:uuid}", summary="Replace a print template (a logo left out stays)",
         responses=problems(400, 401, 403, 404, 409, 422))  # fmt: skip
    async def replace_template(
        self, template_id: FromPath[uuid.UUID], data: JSONBody[TemplateIn], auth: NamedDependency[AuthContext],
        access: NamedDependency[Access], db: NamedDependency[AsyncSession],
    ) -> TemplateOut:  # fmt: skip
        auth.require_token_scope("settings", "write")
        row = await printing.save_template(db, access, data, template_id)
        await db.commit()
        return template_out(row)

    @delete("/{template_id:uuid}", status_code=204, summary="Remove a print template",
            responses=problems(401, 403, 404))  # fmt: skip
    async def delete_template(
        self, template_id: FromPath[uuid.UUID], auth: NamedDependency[AuthContext], access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> None:  # fmt: skip
        auth.require_token_scope("settings", "write")
        await printing.remove_template(db, access, template_id)
        await db.commit()
