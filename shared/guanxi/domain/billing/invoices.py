"""A workspace's Stripe invoices and the next one, for its billing page.

Stripe is asked by the workspace's own Stripe customer (the one Checkout made and the subscription row keeps), never
by anything a client sends: a workspace without a customer has no invoices. Stripe's errors become a clear 503
(Stripe cannot be reached) or 502 (Stripe refused), not a failure of the page.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import stripe
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.domain.billing.models import Subscription
from guanxi.domain.billing.service import stripe_call, stripe_client

SHOWN = 24  # two years of monthly invoices
ZERO_DECIMAL = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf",
                "xof", "xpf"}  # fmt: skip


@dataclass(frozen=True)
class Invoice:
    number: str | None
    date: dt.date
    amount: Decimal
    currency: str
    status: str | None  # draft | open | paid | uncollectible | void
    hosted_url: str | None
    pdf_url: str | None


@dataclass(frozen=True)
class Upcoming:
    amount: Decimal
    currency: str
    date: dt.date | None


@dataclass(frozen=True)
class Invoices:
    invoices: list[Invoice]
    upcoming: Upcoming | None


def major(amount: int | None, currency: str) -> Decimal:
    """Stripe's amount in the currency's smallest unit as an amount in its major unit (9900 fen: 99.00 yuan)."""
    if currency.lower() in ZERO_DECIMAL:
        return Decimal(amount or 0)
    return (Decimal(amount or 0) / 100).quantize(Decimal("0.01"))


def _day(stamp: Any) -> dt.date | None:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).date() if isinstance(stamp, int) and stamp > 0 else None


def _invoice(found: dict[str, Any]) -> Invoice:
    currency = str(found.get("currency") or "").upper()
    return Invoice(
        number=found.get("number"), date=_day(found.get("created")) or dt.date.today(),
        amount=major(found.get("total", found.get("amount_due")), currency), currency=currency,
        status=found.get("status"), hosted_url=found.get("hosted_invoice_url"), pdf_url=found.get("invoice_pdf"),
    )  # fmt: skip


async def invoices_of(session: AsyncSession, tenant_id: uuid.UUID) -> Invoices:
    """The workspace's latest invoices (newest first) and the next one, when its subscription will bill again."""
    customer = await session.scalar(select(Subscription.stripe_customer_id).where(Subscription.tenant_id == tenant_id))
    if not customer:
        return Invoices([], None)
    client = stripe_client()
    with stripe_call():
        listed = await client.v1.invoices.list_async(params={"customer": customer, "limit": SHOWN})
        invoices = [_invoice(found.to_dict()) for found in listed.data]
        upcoming = await _upcoming(client, customer)
    return Invoices(invoices, upcoming)


async def _upcoming(client: stripe.StripeClient, customer: str) -> Upcoming | None:
    try:
        preview = (await client.v1.invoices.create_preview_async(params={"customer": customer})).to_dict()
    except stripe.InvalidRequestError as error:
        if error.code == "invoice_upcoming_none":  # no subscription that bills again (cancelled, none yet)
            return None
        raise
    currency = str(preview.get("currency") or "").upper()
    return Upcoming(amount=major(preview.get("amount_due", preview.get("total")), currency), currency=currency,
                    date=_day(preview.get("next_payment_attempt") or preview.get("period_end")))  # fmt: skip
