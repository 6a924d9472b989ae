"""Target periods as people name them: a year (``2027``), a quarter (``2027-Q1``) or a month (``2027-03``)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

PERIOD = re.compile(r"^(\d{4})(?:-(Q[1-4]|0[1-9]|1[0-2]))?$")


@dataclass(frozen=True)
class Period:
    text: str
    kind: str  # year | quarter | month
    start: dt.date
    end: dt.date  # exclusive


def month_after(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def parse_period(text: str) -> Period | None:
    match = PERIOD.match(text.strip()) if isinstance(text, str) else None
    if match is None or not 2000 <= int(match.group(1)) <= 2100:
        return None
    year, part = int(match.group(1)), match.group(2)
    if part is None:
        return Period(str(year), "year", dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
    if part.startswith("Q"):
        start = dt.date(year, (int(part[1]) - 1) * 3 + 1, 1)
        return Period(f"{year}-{part}", "quarter", start, month_after(start, 3))
    start = dt.date(year, int(part), 1)
    return Period(f"{year}-{part}", "month", start, month_after(start, 1))


def period_of(kind: str, day: dt.date) -> str:
    if kind == "year":
        return str(day.year)
    if kind == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02}"


def shifted(period: Period, steps: int) -> Period | None:
    """The period ``steps`` periods of the same kind later (earlier when negative); none beyond 2000 to 2100."""
    months = {"year": 12, "quarter": 3, "month": 1}[period.kind]
    return parse_period(period_of(period.kind, month_after(period.start, steps * months)))
