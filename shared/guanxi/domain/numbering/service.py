"""Document numbers by the workspace's rules, e.g. ``QT-{yyyy}{mm}-{seq:4}`` → ``QT-202703-0042``.

A pattern holds literal text and the tokens ``{yyyy}``, ``{yy}``, ``{mm}``, ``{dd}`` (the date in the workspace's
time zone) and exactly one ``{seq}`` or ``{seq:N}`` (the counter, zero-padded to N digits). The counter restarts
every year, month or day, or never. Taking a number is one ``INSERT … ON CONFLICT DO UPDATE … RETURNING``: two
documents created at the same moment never share a number, and a rolled-back transaction gives its number back
(numbers have no gaps unless a document is deleted)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.access.service import Access
from guanxi.domain.customers.validation import Cleaner
from guanxi.domain.numbering.models import NumberCounter, NumberingRule
from guanxi.domain.tenancy.models import WorkspaceSettings
from guanxi.errors import validation_error

KINDS = ("quote", "contract", "order", "invoice", "payment")
RESETS = ("never", "yearly", "monthly", "daily")
DEFAULTS: dict[str, tuple[str, str]] = {
    "quote": ("QT-{yyyy}{mm}-{seq:4}", "monthly"),
    "contract": ("HT-{yyyy}-{seq:4}", "yearly"),
    "order": ("SO-{yyyy}{mm}{dd}-{seq:4}", "daily"),
    "invoice": ("INV-{yyyy}-{seq:5}", "yearly"),
    "payment": ("HK-{yyyy}{mm}-{seq:4}", "monthly"),
}
TOKEN = re.compile(r"\{([a-z]+)(?::(\d+))?\}")
DATE_TOKENS = {"yyyy": "%Y", "yy": "%y", "mm": "%m", "dd": "%d"}
PERIOD = {"never": "", "yearly": "%Y", "monthly": "%Y%m", "daily": "%Y%m%d"}
MAX_DIGITS = 10


def check_pattern(c: Cleaner, field: str, pattern: str) -> None:
    """A pattern has known tokens only, exactly one sequence of 1 to 10 digits, and printable text up to 60."""
    text = c.text(field, pattern, 60, required=True)
    if not text:
        return
    tokens = TOKEN.findall(text)
    unknown = sorted({name for name, _ in tokens if name not in DATE_TOKENS and name != "seq"})
    if unknown:
        c.fail(field, f"has unknown tokens: {', '.join(unknown)} (known: yyyy, yy, mm, dd, seq)", "invalid")
    elif [name for name, _ in tokens].count("seq") != 1:
        c.fail(field, "must hold the sequence {seq} (or {seq:4} for four digits) exactly once", "invalid")
    elif any(name == "seq" and digits and not 1 <= int(digits) <= MAX_DIGITS for name, digits in tokens):
        c.fail(field, f"pads the sequence to 1 to {MAX_DIGITS} digits", "out_of_range")
    elif "{" in TOKEN.sub("", text) or "}" in TOKEN.sub("", text):
        c.fail(field, "has a brace that is not part of a token", "invalid")


def render(pattern: str, day: dt.date, sequence: int) -> str:
    def token(match: re.Match[str]) -> str:
        name, digits = match.group(1), match.group(2)
        if name == "seq":
            return str(sequence).zfill(int(digits or 1))
        return day.strftime(DATE_TOKENS[name])

    return TOKEN.sub(token, pattern)


async def workspace_today(session: AsyncSession, scope: TenantScope) -> dt.date:
    zone = await session.scalar(select(WorkspaceSettings.timezone).limit(1), execution_options=scoped(scope))
    today: dt.date = (await session.execute(select(func.date(func.timezone(zone or "UTC", func.now()))))).scalar_one()
    return today


async def rule_for(session: AsyncSession, scope: TenantScope, kind: str) -> tuple[str, str]:
    row = (
        await session.execute(
            select(NumberingRule.pattern, NumberingRule.reset).where(NumberingRule.kind == kind),
            execution_options=scoped(scope),
        )
    ).first()
    return (row.pattern, row.reset) if row else DEFAULTS[kind]


async def next_number(session: AsyncSession, scope: TenantScope, kind: str, day: dt.date | None = None) -> str:
    """Take the next number of ``kind`` in the caller's transaction (a rollback returns it)."""
    pattern, reset = await rule_for(session, scope, kind)
    day = day or await workspace_today(session, scope)
    statement = (
        insert(NumberCounter)
        .values(kind=kind, period=day.strftime(PERIOD[reset]), value=1)
        .on_conflict_do_update(
            index_elements=[NumberCounter.kind, NumberCounter.period], set_={"value": NumberCounter.value + 1}
        )
        .returning(NumberCounter.value)
    )
    sequence = (await session.execute(statement, execution_options=scoped(scope))).scalar_one()
    return render(pattern, day, sequence)


async def rules(session: AsyncSession, access: Access) -> list[dict[str, Any]]:
    access.require("settings", "read")
    today = await workspace_today(session, access.scope)
    answer = []
    for kind in KINDS:
        pattern, reset = await rule_for(session, access.scope, kind)
        answer.append({"kind": kind, "pattern": pattern, "reset": reset, "example": render(pattern, today, 1)})
    return answer


async def set_rule(session: AsyncSession, access: Access, kind: str, pattern: str, reset: str) -> dict[str, Any]:
    """Change how ``kind`` is numbered from the next document on; numbers already given stay."""
    access.require("settings", "update")
    c = Cleaner()
    if kind not in KINDS:
        c.fail("kind", f"must be one of {', '.join(KINDS)}", "invalid_choice")
    check_pattern(c, "pattern", pattern)
    if reset not in RESETS:
        c.fail("reset", f"must be one of {', '.join(RESETS)}", "invalid_choice")
    if c.errors:
        raise validation_error(*c.errors)
    pattern = pattern.strip()
    await session.execute(
        insert(NumberingRule)
        .values(kind=kind, pattern=pattern, reset=reset)
        .on_conflict_do_update(index_elements=[NumberingRule.kind], set_={"pattern": pattern, "reset": reset}),
        execution_options=scoped(access.scope),
    )
    today = await workspace_today(session, access.scope)
    return {"kind": kind, "pattern": pattern, "reset": reset, "example": render(pattern, today, 1)}
