"""Cells for files people open in Excel (CSV and XLSX): a text that starts like a formula stays text."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> str:
    """A value as spreadsheet text; ``=HYPERLINK(…)`` and its kin get a leading apostrophe (OWASP advice)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)  # a number is data, even when negative
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(item) for item in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_line(values: Iterable[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([safe_cell(value) for value in values])
    return buffer.getvalue()


class XlsxSheet:
    """A write-only workbook (rows go to a temporary file, not memory). Text cells are typed as text, so a
    value like ``=HYPERLINK(…)`` is shown, never run."""

    def __init__(self, headers: Sequence[str]) -> None:
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet()
        self.append(headers)

    def _cell(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).replace(tzinfo=None)  # the format has no time zones: UTC
        if value is None or isinstance(value, (bool, int, float, Decimal, dt.date)):
            return value
        text = "; ".join(str(item) for item in value) if isinstance(value, (list, tuple)) else str(value)
        cell = WriteOnlyCell(self.sheet, value=ILLEGAL_CHARACTERS_RE.sub("", text))
        cell.data_type = "s"
        return cell

    def append(self, values: Iterable[Any]) -> None:
        self.sheet.append([self._cell(value) for value in values])

    def save(self, path: str) -> None:
        self.book.save(path)
