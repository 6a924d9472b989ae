"""The registry of predefined reports. A domain registers a report with :func:`report`: a key, a title, the
module its reader needs, its parameters and an async function that answers a :class:`Table` in the READER's
scope. Grading and churn register theirs (``grade_distribution``, ``grade_movement``, ``churn``) the same way."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.domain.access.service import Access
from guanxi.errors import DomainError, FieldError, validation_error

ParamKind = Literal["date", "choice", "int", "text"]
Chart = Literal["table", "bar", "line", "pie"]
MAX_ROWS = 1000
MAX_DAYS = 3660  # ten years and the leap days in them


@dataclass(frozen=True)
class Param:
    name: str
    kind: ParamKind
    choices: tuple[str, ...] = ()
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: Literal["text", "number", "money", "date", "percent"] = "text"


@dataclass
class Table:
    columns: list[Column]
    rows: list[list[Any]]
    chart: Chart = "table"
    truncated: bool = False
    notes: list[str] = field(default_factory=list)


Runner = Callable[[AsyncSession, Access, dict[str, Any]], Awaitable[Table]]


@dataclass(frozen=True)
class Report:
    key: str
    title: str
    module: str  # the module whose read scope the report needs; rows are limited to that scope
    params: tuple[Param, ...]
    run: Runner


REPORTS: dict[str, Report] = {}


def report(key: str, title: str, module: str, params: tuple[Param, ...] = ()) -> Callable[[Runner], Runner]:
    def register(run: Runner) -> Runner:
        if key in REPORTS:
            raise RuntimeError(f"report {key!r} is registered twice")
        REPORTS[key] = Report(key, title, module, params, run)
        return run

    return register


def unknown_report(key: str) -> DomainError:
    return DomainError(detail=f"Report {key} not found.", status=404, type="not-found", title="Not found")


def clean_params(definition: Report, given: dict[str, Any]) -> dict[str, Any]:
    """Each parameter typed and checked, named on error; unknown parameters refused."""
    errors: list[FieldError] = []
    known = {p.name: p for p in definition.params}
    for name in given:
        if name not in known:
            errors.append(FieldError(name, "is not a parameter of this report", "unknown"))
    clean: dict[str, Any] = {}
    for p in definition.params:
        raw = given.get(p.name)
        if raw is None or raw == "":
            clean[p.name] = p.default
            continue
        try:
            if p.kind == "date":
                clean[p.name] = raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw))
            elif p.kind == "int":
                value = int(raw)
                if (p.minimum is not None and value < p.minimum) or (p.maximum is not None and value > p.maximum):
                    errors.append(FieldError(p.name, f"must be from {p.minimum} to {p.maximum}", "out_of_range"))
                clean[p.name] = value
            elif p.kind == "choice":
                if str(raw) not in p.choices:
                    errors.append(FieldError(p.name, f"must be one of {', '.join(p.choices)}", "invalid_choice"))
                clean[p.name] = str(raw)
            else:
                if len(str(raw)) > 100:
                    errors.append(FieldError(p.name, "is longer than 100 characters", "too_long"))
                clean[p.name] = str(raw)
        except (ValueError, TypeError):
            errors.append(FieldError(p.name, f"is not a valid {p.kind}", "invalid"))
    if errors:
        raise validation_error(*errors)
    return clean


def date_range(params: dict[str, Any], today: dt.date) -> tuple[dt.date, dt.date]:
    """``from``/``to`` (inclusive), by default this year so far; never more than ten years, never backwards."""
    start = params.get("from") or today.replace(month=1, day=1)
    end = params.get("to") or today
    if end < start:
        raise validation_error(FieldError("to", "is before from", "out_of_range"))
    if (end - start).days > MAX_DAYS:
        raise validation_error(FieldError("from", "the range may span at most 10 years", "range_too_long"))
    return start, end
