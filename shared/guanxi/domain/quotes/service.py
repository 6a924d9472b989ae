"""Quotes (报价单): priced lines for an account, numbered by the workspace's rules when created, sent, then
accepted or rejected exactly once.

States: ``draft`` → ``sent`` (the worker marks it when the mail left) → ``accepted`` | ``rejected``. A sent quote
whose ``valid_until`` has passed (in the workspace's time zone) reads as ``expired``: computed on every read, so
no nightly job is needed and an expired quote cannot be accepted. Changing a sent (or expired) quote takes it back
to ``draft``: what the customer holds is no longer what we have, so it must be sent again. A decided quote
(accepted or rejected) cannot change. Accepting moves an open deal of the quote to its pipeline's won stage unless
the caller says not to.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from msgspec import UNSET
from sqlalchemy import ColumnElement, and_, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id
from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.contracts.models import Contract
from guanxi.domain.customers import repository as customers
from guanxi.domain.customers.models import Account, Contact
from guanxi.domain.customers.service import check_owner
from guanxi.domain.customers.validation import Cleaner
from guanxi.domain.deals import service as deals
from guanxi.domain.deals.models import Deal
from guanxi.domain.deals.schemas import MoveIn
from guanxi.domain.numbering.service import next_number, workspace_today
from guanxi.domain.outbox.service import enqueue
from guanxi.domain.pipeline.models import PipelineStage
from guanxi.domain.products.lines import LineIn, price_lines, totals
from guanxi.domain.quotes.models import PrintTemplate, Quote, QuoteLine
from guanxi.domain.quotes.schemas import QuoteIn
from guanxi.domain.tenancy.models import WorkspaceSettings
from guanxi.domain.timeline.models import RecordChange
from guanxi.errors import FieldError, conflict, validation_error

MODULE = "quotes"
COLUMNS = [c for c in Quote.__table__.columns if c.name not in ("deleted_at", "created_by", "decided_by")]
LINE_COLUMNS = [c for c in QuoteLine.__table__.columns if c.name != "quote_id"]
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def visible(access: Access, action: str = "read") -> ColumnElement[bool]:
    return access.where(MODULE, action, Quote.owner_id)


def effective_status(status: str, valid_until: dt.date | None, today: dt.date) -> str:
    return "expired" if status == "sent" and valid_until is not None and valid_until < today else status


async def timeline(
    session: AsyncSession, access: Access, record_type: str, record_id: uuid.UUID, action: str,
    changes: dict[str, list[Any]],
) -> None:  # fmt: skip
    """A timeline entry of a sales document (quote, contract): values kept as JSON text."""
    plain = {k: [v if v is None or isinstance(v, (str, int, bool)) else str(v) for v in pair]
             for k, pair in changes.items()}  # fmt: skip
    await session.execute(
        insert(RecordChange).values(
            id=new_id(), record_type=record_type, record_id=record_id, actor_id=access.member_id, action=action,
            changes=plain,
        ),
        execution_options=scoped(access.scope),
    )  # fmt: skip


async def lines_of(session: AsyncSession, scope: TenantScope, quote_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(*LINE_COLUMNS).where(QuoteLine.quote_id == quote_id).order_by(QuoteLine.position),
        execution_options=scoped(scope),
    )
    return [{**r._mapping, "total": r.net_amount + r.tax_amount} for r in rows]


async def load(
    session: AsyncSession, scope: TenantScope, quote_id: uuid.UUID, *conditions: ColumnElement[bool],
    with_lines: bool = True,
) -> dict[str, Any] | None:  # fmt: skip
    """A live quote with its account's name, its status as of today, and (``with_lines``) lines and totals."""
    row = (
        await session.execute(
            select(*COLUMNS, Account.name.label("account_name"))
            .join(Account, Account.id == Quote.account_id)
            .where(Quote.id == quote_id, Quote.deleted_at.is_(None), *conditions),
            execution_options=scoped(scope),
        )
    ).first()
    if row is None:
        return None
    quote = dict(row._mapping)
    quote["status"] = effective_status(quote["status"], quote["valid_until"], await workspace_today(session, scope))
    if with_lines:
        quote["lines"] = await lines_of(session, scope, quote_id)
        quote["totals"] = totals(quote["lines"])
    return quote


async def fetch(
    session: AsyncSession, access: Access, quote_id: uuid.UUID, action: str = "read", *, with_lines: bool = True
) -> dict[str, Any]:
    quote = await load(session, access.scope, quote_id, visible(access, action), with_lines=with_lines)
    if quote is None:
        raise not_found_for("Quote")
    return quote


def _clean(c: Cleaner, data: QuoteIn) -> dict[str, Any]:
    given = {n: getattr(data, n) for n in data.__struct_fields__ if getattr(data, n) is not UNSET and n != "lines"}
    values: dict[str, Any] = {}
    for name in ("terms", "notes"):
        if name in given:
            values[name] = c.text(name, given[name], 20_000, multiline=True)
    if "currency" in given:
        values["currency"] = c.currency("currency", given["currency"])
    if given.get("valid_until") is not None and not EARLIEST <= given["valid_until"] <= LATEST:
        c.fail("valid_until", "must be a date between 2000 and 2100", "out_of_range")
    for name in ("account_id", "contact_id", "deal_id", "owner_id", "price_list_id", "template_id", "valid_until"):
        if name in given:
            values[name] = given[name]
    return values


async def account_links(
    session: AsyncSession, access: Access, account_id: uuid.UUID, contact_id: uuid.UUID | None,
    deal_id: uuid.UUID | None, contact_field: str = "contact_id", contract_id: uuid.UUID | None = None,
) -> list[FieldError]:  # fmt: skip
    """A sales document's account must be one the caller may see (else 422 at once); its contact, deal and contract
    must be of that account: the errors for those, named by field."""
    options = scoped(access.scope)
    if await customers.fetch_one(session, access, Account, account_id) is None:
        raise validation_error(FieldError("account_id", "is not an account you may see", "invalid"))
    errors = []
    if contact_id is not None:
        found = await session.scalar(
            select(Contact.id).where(
                Contact.id == contact_id, Contact.account_id == account_id, Contact.deleted_at.is_(None)
            ),
            execution_options=options,
        )
        if found is None:
            errors.append(FieldError(contact_field, "is not a contact of this account", "invalid"))
    if deal_id is not None:
        found = await session.scalar(
            select(Deal.id).where(Deal.id == deal_id, Deal.account_id == account_id, Deal.deleted_at.is_(None)),
            execution_options=options,
        )
        if found is None:
            errors.append(FieldError("deal_id", "is not a deal of this account", "invalid"))
    if contract_id is not None:
        found = await session.scalar(
            select(Contract.id).where(
                Contract.id == contract_id, Contract.account_id == account_id, Contract.deleted_at.is_(None)
            ),
            execution_options=options,
        )
        if found is None:
            errors.append(FieldError("contract_id", "is not a contract of this account", "invalid"))
    return errors


async def _check_links(session: AsyncSession, access: Access, quote: dict[str, Any]) -> None:
    """The account, contact and deal (see ``account_links``) and a print template of the workspace."""
    errors = await account_links(session, access, quote["account_id"], quote.get("contact_id"), quote.get("deal_id"))
    if quote.get("template_id") is not None:
        found = await session.scalar(
            select(PrintTemplate.id).where(PrintTemplate.id == quote["template_id"]),
            execution_options=scoped(access.scope),
        )
        if found is None:
            errors.append(FieldError("template_id", "is not a print template of this workspace", "invalid"))
    if errors:
        raise validation_error(*errors)


async def _write_lines(
    session: AsyncSession, access: Access, quote_id: uuid.UUID, lines: Sequence[LineIn], quote: dict[str, Any],
    keep: set[uuid.UUID],
) -> dict[str, Decimal]:  # fmt: skip
    rows, errors = await price_lines(
        session, access, lines, currency=quote["currency"], price_list_id=quote.get("price_list_id"),
        keep_products=keep,
    )  # fmt: skip
    if errors:
        raise validation_error(*errors)
    options = scoped(access.scope)
    await session.execute(delete(QuoteLine).where(QuoteLine.quote_id == quote_id), execution_options=options)
    if rows:
        await session.execute(
            insert(QuoteLine), [{**r, "id": new_id(), "quote_id": quote_id} for r in rows], execution_options=options
        )
    sums = totals(rows)
    return {"subtotal": sums.subtotal, "discount": sums.discount, "tax": sums.tax, "total": sums.total}


async def _default_currency(session: AsyncSession, access: Access) -> str:
    code = await session.scalar(select(WorkspaceSettings.currency).limit(1), execution_options=scoped(access.scope))
    return code or "CNY"


async def create(session: AsyncSession, access: Access, data: QuoteIn) -> dict[str, Any]:
    access.require(MODULE, "create")
    c = Cleaner()
    values = _clean(c, data)
    if values.get("account_id") is None:
        c.fail("account_id", "is required", "required")
    if c.errors:
        raise validation_error(*c.errors)
    await _check_links(session, access, values)
    values["owner_id"] = values.get("owner_id") or access.member_id
    await check_owner(session, access, MODULE, values["owner_id"], "create")
    values.setdefault("currency", await _default_currency(session, access))
    quote_id = new_id()
    sums = await _write_lines_after_insert(session, access, quote_id, data, values)
    await timeline(session, access, "quote", quote_id, "created", {"total": [None, sums["total"]]})
    return await fetch(session, access, quote_id)


async def _write_lines_after_insert(
    session: AsyncSession, access: Access, quote_id: uuid.UUID, data: QuoteIn, values: dict[str, Any]
) -> dict[str, Decimal]:
    """Insert the quote with its number (taken in this transaction: a refused line gives it back), then its lines."""
    number = await next_number(session, access.scope, "quote")
    await session.execute(
        insert(Quote).values(id=quote_id, number=number, created_by=access.member_id, **values),
        execution_options=scoped(access.scope),
    )
    sums = await _write_lines(session, access, quote_id, data.lines or [], values, set())
    await session.execute(
        update(Quote).where(Quote.id == quote_id).values(**sums), execution_options=scoped(access.scope)
    )
    return sums


async def change(session: AsyncSession, access: Access, quote_id: uuid.UUID, data: QuoteIn) -> dict[str, Any]:
    """Change a draft; a sent or expired quote goes back to draft; a decided one is refused (409)."""
    before = await fetch(session, access, quote_id, "update")
    if before["status"] in ("accepted", "rejected"):
        raise conflict("status", f"the quote was {before['status']}: it can no longer change", "quote-decided")
    c = Cleaner()
    values = _clean(c, data)
    if "account_id" in values and values["account_id"] != before["account_id"]:
        c.fail("account_id", "cannot change: a quote stays with its account", "invalid")
    if "owner_id" in values and values["owner_id"] is None:
        c.fail("owner_id", "is required", "required")
    if c.errors:
        raise validation_error(*c.errors)
    merged = {**before, **values}
    await _check_links(session, access, merged)
    if "owner_id" in values and values["owner_id"] != before["owner_id"]:
        await check_owner(session, access, MODULE, values["owner_id"], "update")
    if data.lines is not UNSET or {"currency", "price_list_id"} & values.keys():
        lines = data.lines if data.lines is not UNSET else [_line_in(line) for line in before["lines"]]
        keep = {line["product_id"] for line in before["lines"] if line["product_id"] is not None}
        values.update(await _write_lines(session, access, quote_id, lines, merged, keep))
    changes = {k: [before.get(k), v] for k, v in values.items() if before.get(k) != v}
    if before["status"] in ("sent", "expired") and changes:
        values.update(status="draft", sent_at=None)
        changes["status"] = [before["status"], "draft"]
    if changes:
        # The row lock of this update orders us after a concurrent accept; the WHERE then finds it decided.
        done = await session.scalar(
            update(Quote)
            .where(Quote.id == quote_id, Quote.status.in_(("draft", "sent")))
            .values(updated_at=func.now(), **values)
            .returning(Quote.id),
            execution_options=scoped(access.scope),
        )
        if done is None:
            raise conflict("status", "the quote was answered just now: reload it", "quote-decided")
        await timeline(session, access, "quote", quote_id, "updated", changes)
    return await fetch(session, access, quote_id)


def _line_in(line: dict[str, Any]) -> LineIn:
    return LineIn(
        product_id=line["product_id"], name=line["name"], description=line["description"], quantity=line["quantity"],
        unit_price=line["unit_price"], discount_percent=line["discount_percent"], tax_rate=line["tax_rate"],
    )  # fmt: skip


async def decide(
    session: AsyncSession, access: Access, quote_id: uuid.UUID, outcome: str, *, reason: str | None = None,
    mark_deal_won: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """Accept or reject a draft or sent quote, exactly once: of two answers at the same moment one wins, the other
    finds the quote decided (409 ``quote-decided``). An expired quote is refused (409 ``quote-expired``)."""
    before = await fetch(session, access, quote_id, "update", with_lines=False)
    c = Cleaner()
    if outcome == "rejected":
        reason = c.text("reason", reason, 1000, required=True, multiline=True)
    if c.errors:
        raise validation_error(*c.errors)
    if before["status"] == "expired":
        raise conflict("status", f"the quote expired on {before['valid_until']}: change it and send it again",
                       "quote-expired")  # fmt: skip
    today = await workspace_today(session, access.scope)
    decided = await session.scalar(
        update(Quote)
        .where(
            Quote.id == quote_id, Quote.status.in_(("draft", "sent")),
            or_(Quote.valid_until.is_(None), Quote.valid_until >= today),
        )
        .values(status=outcome, decided_at=func.now(), decided_by=access.member_id, rejection_reason=reason,
                updated_at=func.now())
        .returning(Quote.id),
        execution_options=scoped(access.scope),
    )  # fmt: skip
    if decided is None:
        raise conflict("status", "the quote has already been answered", "quote-decided")
    await timeline(session, access, "quote", quote_id, outcome, {"status": [before["status"], outcome]})
    if outcome == "accepted" and mark_deal_won and before["deal_id"] is not None:
        await _win_deal(session, access, before["deal_id"])
    return await fetch(session, access, quote_id)


async def _win_deal(session: AsyncSession, access: Access, deal_id: uuid.UUID) -> None:
    deal = await deals.fetch(session, access, deal_id, "update")
    if deal["status"] != "open":
        return  # already won or lost: the quote does not overrule what the rep decided
    won = await session.scalar(
        select(PipelineStage.id).where(
            PipelineStage.pipeline_id == deal["pipeline_id"], PipelineStage.outcome == "won"
        ),
        execution_options=scoped(access.scope),
    )
    if won is not None:
        await deals.move(session, access, deal_id, MoveIn(stage_id=won))


async def mark_sent(session: AsyncSession, scope: TenantScope, quote_id: uuid.UUID, to: str) -> bool:
    """The worker's mark once the mail left: a draft becomes sent; a quote answered meanwhile stays as it is."""
    done = await session.scalar(
        update(Quote)
        .where(Quote.id == quote_id, Quote.status.in_(("draft", "sent")), Quote.deleted_at.is_(None))
        .values(status="sent", sent_at=func.now(), sent_to=to, updated_at=func.now())
        .returning(Quote.id),
        execution_options=scoped(scope),
    )
    return done is not None


async def remove(session: AsyncSession, access: Access, quote_id: uuid.UUID) -> None:
    before = await fetch(session, access, quote_id, "delete", with_lines=False)
    if before["status"] == "accepted":
        raise conflict("status", "an accepted quote is kept: it is the basis of its contract", "quote-decided")
    await session.execute(
        update(Quote).where(Quote.id == quote_id).values(deleted_at=func.now()), execution_options=scoped(access.scope)
    )
    await timeline(session, access, "quote", quote_id, "deleted", {})


async def list_quotes(
    session: AsyncSession, access: Access, *, filters: dict[str, Any], cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Quotes one may see, newest first, by keyset pages. ``status=sent`` are the quotes awaiting an answer (still
    valid), ``status=expired`` the sent ones past their date; ``expiring_within`` days narrows sent quotes to those
    whose validity ends that soon."""
    access.require(MODULE, "read")
    today = await workspace_today(session, access.scope)
    conditions: list[ColumnElement[bool]] = [Quote.deleted_at.is_(None), visible(access)]
    still_valid = or_(Quote.valid_until.is_(None), Quote.valid_until >= today)
    status = filters.get("status")
    if status == "sent":
        conditions += [Quote.status == "sent", still_valid]
    elif status == "expired":
        conditions += [Quote.status == "sent", Quote.valid_until < today]
    elif status is not None:
        conditions.append(Quote.status == status)
    if filters.get("expiring_within") is not None:
        conditions += [Quote.status == "sent", Quote.valid_until >= today,
                       Quote.valid_until <= today + dt.timedelta(days=filters["expiring_within"])]  # fmt: skip
    for name in ("account_id", "owner_id", "deal_id"):
        if filters.get(name) is not None:
            conditions.append(getattr(Quote, name) == filters[name])
    if filters.get("q"):
        pattern = filters["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(Quote.number.ilike(pattern))
    rows, next_cursor = await newest_first(session, access, Quote, COLUMNS, conditions, cursor, limit)
    for row in rows:
        row["status"] = effective_status(row["status"], row["valid_until"], today)
    return rows, next_cursor


async def newest_first(
    session: AsyncSession, access: Access, model: Any, columns: Sequence[Any], conditions: list[ColumnElement[bool]],
    cursor: str | None, limit: int,
) -> tuple[list[dict[str, Any]], str | None]:  # fmt: skip
    """A keyset page of a sales document list (quotes, contracts), newest first, with the account's name."""
    if cursor:
        stamp, last = customers.decode_cursor(cursor, dt.datetime.fromisoformat)
        conditions = [*conditions, tuple_(model.created_at, model.id) < (stamp, last)]
    rows = [
        dict(r._mapping)
        for r in await session.execute(
            select(*columns, Account.name.label("account_name"))
            .join(Account, Account.id == model.account_id)
            .where(and_(*conditions))
            .order_by(model.created_at.desc(), model.id.desc())
            .limit(limit + 1),
            execution_options=scoped(access.scope),
        )
    ]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = customers.encode_cursor(rows[-1]["created_at"], rows[-1]["id"])
    return rows, next_cursor


async def request_send(
    session: AsyncSession, access: Access, quote_id: uuid.UUID, to: str | None, message: str | None
) -> str:
    """Check and queue the mail of a quote (the worker draws the PDF and marks it sent); the address it goes to."""
    quote = await fetch(session, access, quote_id, "update", with_lines=False)
    if quote["status"] in ("accepted", "rejected"):
        raise conflict("status", f"the quote was {quote['status']}: there is nothing to send", "quote-decided")
    if quote["status"] == "expired":
        raise conflict("status", f"the quote expired on {quote['valid_until']}: change its date first",
                       "quote-expired")  # fmt: skip
    c = Cleaner()
    address = c.email("to", to)
    text = c.text("message", message, 5_000, multiline=True)
    if to is None and quote["contact_id"] is not None:
        emails = await session.scalar(select(Contact.emails).where(Contact.id == quote["contact_id"]),
                                      execution_options=scoped(access.scope))  # fmt: skip
        address = emails[0] if emails else None
    if address is None and not c.errors:
        c.fail("to", "is required: the quote's contact has no email address", "required")
    if c.errors or address is None:
        raise validation_error(*c.errors)
    payload = {"quote_id": str(quote_id), "to": address, "message": text}
    await enqueue(session, "quotes.send", payload, tenant_id=access.scope.tenant_id)
    await timeline(session, access, "quote", quote_id, "send_requested", {"sent_to": [None, address]})
    return address
