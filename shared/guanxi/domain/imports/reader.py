"""Reading customer files as people really have them: CSV from Excel in GB18030/GBK, Big5, UTF-8 with or
without a byte order mark, or UTF-16; and XLSX workbooks. A file must be what its name says."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from charset_normalizer import from_bytes
from openpyxl import load_workbook

from guanxi.errors import FieldError, validation_error

SNIFF_BYTES = 64 * 1024
MAX_FIELD = 100_000  # characters in one cell: an unbalanced quote swallowing the file stops here
CANDIDATES = ["gb18030", "big5", "utf_16", "shift_jis", "cp1252"]
TEXT_SUFFIXES = (".csv", ".txt")


class RowProblem(Exception):
    """The file cannot be read past this row (not one bad value: those are reported per row)."""

    def __init__(self, row: int, message: str) -> None:
        super().__init__(message)
        self.row = row
        self.message = message


def refuse(message: str) -> Exception:
    return validation_error(FieldError("file", message, "unreadable_file"))


def sniff(path: Path, filename: str) -> tuple[str, str | None]:
    """(``csv`` or ``xlsx``, the text encoding for CSV); refuses what is neither, or not what it is named."""
    suffix = Path(filename).suffix.lower()
    with path.open("rb") as file:
        head = file.read(SNIFF_BYTES)
    if not head:
        raise refuse("is empty")
    is_zip = head.startswith(b"PK\x03\x04")
    if suffix == ".xlsx":
        if not is_zip:
            raise refuse("is named .xlsx but is not an Excel workbook")
        return "xlsx", None
    if suffix not in TEXT_SUFFIXES:
        raise refuse(f"has the type {suffix or '(none)'}: import a .csv or .xlsx file")
    if is_zip:
        raise refuse("is named .csv but is an Excel workbook (or another zip file): save it as .xlsx or CSV")
    return "csv", text_encoding(head)


def text_encoding(head: bytes) -> str:
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if head.startswith(bom):
            return name
    try:  # the sample may end inside a character: an incremental decoder does not mind
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        if b"\x00" not in head:
            return "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(head, cp_isolation=CANDIDATES).best()
    if best is None or (b"\x00" in head and not best.encoding.startswith("utf_16")):
        raise refuse("is not a text file in an encoding we can read (UTF-8, UTF-16, GB18030/GBK, Big5)")
    return str(best.encoding)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 13800138000 as a float
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _csv_rows(file: IO[str]) -> Iterator[list[str]]:
    reader = csv.reader(file, strict=True)  # a stray quote is an error here, not the rest of the file in one cell
    number = 0
    while True:
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise RowProblem(
                number, f"(line {reader.line_num}) cannot be read: {error}; is a quote left open?"
            ) from error
        except UnicodeDecodeError as error:
            raise RowProblem(number, "holds bytes that are not text in the file's encoding") from error
        yield [cell.strip() for cell in row]


def rows(path: Path, file_format: str, encoding: str | None) -> Iterator[list[str]]:
    """Every row, the header first, as text cells."""
    if file_format == "xlsx":
        with path.open("rb") as handle:  # a file object: stored uploads have no .xlsx name to check
            try:
                book = load_workbook(handle, read_only=True, data_only=True)
            except Exception as error:  # a damaged or disguised file: openpyxl raises many kinds
                raise refuse("is not a workbook we can open") from error
            try:
                sheet = book.worksheets[0]
                for values in sheet.iter_rows(values_only=True):
                    yield [_cell(value) for value in values]
            finally:
                book.close()
        return
    previous = csv.field_size_limit(MAX_FIELD)
    try:
        with path.open(encoding=encoding or "utf-8", newline="", errors="strict") as file:
            yield from _csv_rows(file)
    finally:
        csv.field_size_limit(previous)


def header_and_preview(
    path: Path, file_format: str, encoding: str | None, count: int = 10
) -> tuple[list[str], list[list[str]]]:
    iterator = rows(path, file_format, encoding)
    try:
        header = next(iterator)
    except StopIteration:
        raise refuse("has no rows") from None
    except RowProblem as problem:
        raise refuse(f"row {problem.row} {problem.message}") from None
    while header and not header[-1]:
        header.pop()  # Excel's empty trailing columns
    if not any(header):
        raise refuse("has an empty first row: the first row must name the columns")
    header = [name or f"Column {index + 1}" for index, name in enumerate(header)]
    seen: dict[str, int] = {}
    for index, name in enumerate(header):
        if name.casefold() in seen:
            raise refuse(f"has two columns named {name!r}: columns {seen[name.casefold()] + 1} and {index + 1}")
        seen[name.casefold()] = index
    preview = []
    try:
        for row in iterator:
            preview.append(row)
            if len(preview) == count:
                break
    except RowProblem as problem:
        raise refuse(f"row {problem.row} {problem.message}") from None
    return header, preview
