"""Print templates per workspace (several, one default) and a quote's PDF drawn with one of them.

A workspace without templates prints with a built-in one: its company name, the workspace's language, every
column. A quote names its template or takes the default.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from guanxi.db.base import new_id
from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.customers.models import Contact
from guanxi.domain.customers.validation import Cleaner
from guanxi.domain.products.models import Product
from guanxi.domain.quotes.models import PrintTemplate
from guanxi.domain.quotes.pdf import COLUMNS, render_quote
from guanxi.domain.quotes.schemas import TemplateIn
from guanxi.domain.tenancy.models import WorkspaceSettings
from guanxi.errors import conflict, forbidden, validation_error

MAX_LOGO = 512 * 1024
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
FIELDS = ("name", "language", "is_default", "company_name", "address", "accent_color", "title", "footer", "columns")


def _require_admin(access: Access) -> None:
    if access.scope_of("settings", "update") != "all":
        raise forbidden("Only a workspace administrator may set up print templates.")


def template_out(row: PrintTemplate) -> dict[str, Any]:
    return {**{f: getattr(row, f) for f in FIELDS}, "id": row.id, "has_logo": row.logo is not None}


async def templates(session: AsyncSession, access: Access) -> list[PrintTemplate]:
    access.require("quotes", "read")
    return list(
        await session.scalars(
            select(PrintTemplate).options(undefer(PrintTemplate.logo))
            .order_by(PrintTemplate.is_default.desc(), PrintTemplate.name),
            execution_options=scoped(access.scope),
        )
    )  # fmt: skip


async def template(session: AsyncSession, access: Access, template_id: uuid.UUID) -> PrintTemplate:
    for found in await templates(session, access):
        if found.id == template_id:
            return found
    raise not_found_for("Print template")


def _clean(data: TemplateIn) -> dict[str, Any]:
    c = Cleaner()
    values: dict[str, Any] = {
        "name": c.text("name", data.name, 100, required=True),
        "language": data.language,
        "is_default": data.is_default,
        "company_name": c.text("company_name", data.company_name, 200) or "",
        "address": c.text("address", data.address, 500, multiline=True) or "",
        "title": c.text("title", data.title, 100) or "",
        "footer": c.text("footer", data.footer, 2_000, multiline=True) or "",
        "columns": [name for name in COLUMNS if name in data.columns],
    }
    if not COLOR.match(data.accent_color):
        c.fail("accent_color", "must be a colour like #1d4ed8", "invalid")
    values["accent_color"] = data.accent_color.lower()
    if data.logo_base64 is not None:
        try:
            logo = base64.b64decode(data.logo_base64, validate=True)
        except (binascii.Error, ValueError):
            c.fail("logo_base64", "is not base64", "invalid")
        else:
            if len(logo) > MAX_LOGO:
                c.fail("logo_base64", "must be at most 512 KB", "too_large")
            elif not (logo.startswith(b"\x89PNG\r\n\x1a\n") or logo.startswith(b"\xff\xd8\xff")):
                c.fail("logo_base64", "must be a PNG or JPEG image", "invalid")
            values["logo"] = logo
    if c.errors:
        raise validation_error(*c.errors)
    return values


async def save_template(
    session: AsyncSession, access: Access, data: TemplateIn, template_id: uuid.UUID | None = None
) -> PrintTemplate:
    """Create or replace a template (a logo left out keeps the one it has); the default flag moves to it."""
    _require_admin(access)
    values = _clean(data)
    options = scoped(access.scope)
    try:
        async with session.begin_nested():
            if template_id is None:
                template_id = new_id()
                await session.execute(
                    insert(PrintTemplate).values(id=template_id, created_by=access.member_id, **values),
                    execution_options=options,
                )
            else:
                changed = await session.scalar(
                    update(PrintTemplate).where(PrintTemplate.id == template_id)
                    .values(updated_at=func.now(), **values).returning(PrintTemplate.id),
                    execution_options=options,
                )  # fmt: skip
                if changed is None:
                    raise not_found_for("Print template")
    except IntegrityError:
        raise conflict("name", "another print template has this name", "duplicate") from None
    if data.is_default:
        await session.execute(
            update(PrintTemplate).values(is_default=PrintTemplate.id == template_id), execution_options=options
        )
    session.expire_all()
    return await template(session, access, template_id)


async def remove_template(session: AsyncSession, access: Access, template_id: uuid.UUID) -> None:
    _require_admin(access)
    await template(session, access, template_id)
    await session.execute(delete(PrintTemplate).where(PrintTemplate.id == template_id),
                          execution_options=scoped(access.scope))  # fmt: skip


async def template_for(session: AsyncSession, scope: TenantScope, template_id: uuid.UUID | None) -> dict[str, Any]:
    """The quote's template, else the workspace's default, else the built-in one."""
    options = scoped(scope)
    query = select(PrintTemplate).options(undefer(PrintTemplate.logo))
    query = query.where(PrintTemplate.id == template_id) if template_id else query.where(PrintTemplate.is_default)
    found = await session.scalar(query.limit(1), execution_options=options)
    if found is not None:
        return {**template_out(found), "logo": found.logo}
    workspace = (
        await session.execute(
            select(WorkspaceSettings.company_name, WorkspaceSettings.locale).limit(1), execution_options=options
        )
    ).first()
    language = workspace.locale if workspace and workspace.locale in ("zh-Hans", "zh-Hant") else "en"
    return {"name": "", "language": language, "company_name": workspace.company_name if workspace else "",
            "address": "", "accent_color": "#1d4ed8", "title": "", "footer": "", "columns": list(COLUMNS),
            "logo": None}  # fmt: skip


async def quote_pdf(session: AsyncSession, scope: TenantScope, quote: dict[str, Any]) -> bytes:
    """Draw a fetched quote (with its lines) in its template; the SKU of each line's product is looked up."""
    options = scoped(scope)
    chosen = await template_for(session, scope, quote["template_id"])
    contact = None
    if quote["contact_id"] is not None:
        contact = await session.scalar(select(Contact.name).where(Contact.id == quote["contact_id"]),
                                       execution_options=options)  # fmt: skip
    product_ids = {line["product_id"] for line in quote["lines"] if line["product_id"] is not None}
    skus = dict((await session.execute(select(Product.id, Product.sku).where(Product.id.in_(product_ids)),
                                       execution_options=options)).all()) if product_ids else {}  # fmt: skip
    lines = [{**line, "sku": skus.get(line["product_id"])} for line in quote["lines"]]
    issued = (quote["sent_at"] or quote["created_at"]).date().isoformat()
    return render_quote({**quote, "lines": lines}, chosen, contact_name=contact, issued=issued)
