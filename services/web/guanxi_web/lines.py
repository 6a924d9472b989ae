"""Line items in a page (quotes, deals, orders): the editor's rows as typed, the API's lines made from them, and the
API's refusals put back on their row (``lines[2].quantity`` → the third row)."""

from __future__ import annotations

from typing import Any

from guanxi_web.api_client import ApiError

LINE_FIELDS = ("product_id", "name", "quantity", "unit_price", "discount_percent", "tax_rate")
MAX_ROWS = 200


def read_lines(data: Any) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """The builder's rows as typed (blank rows dropped) and the API's lines; a row's index is its line's index."""
    rows: list[dict[str, str]] = []
    for index in range(MAX_ROWS):
        row = {name: str(data.get(f"line-{index}-{name}") or "").strip() for name in LINE_FIELDS}
        if f"line-{index}-name" not in data and f"line-{index}-product_id" not in data:
            break
        if row["product_id"] or row["name"]:
            rows.append(row)
    lines = []
    for row in rows:
        line: dict[str, Any] = {"quantity": row["quantity"].replace(",", "") or "1"}
        for name in ("product_id", "name", "unit_price", "discount_percent", "tax_rate"):
            if row[name]:
                line[name] = row[name].replace(",", "") if name not in ("product_id", "name") else row[name]
        lines.append(line)
    return rows, lines


def rows_of(document: Any) -> list[dict[str, str]]:
    """A document's saved lines as the editor's rows."""
    return [
        {"product_id": str(line.product_id or ""), "name": line.name, "quantity": f"{line.quantity.normalize():f}",
         "unit_price": f"{line.unit_price:f}", "discount_percent": f"{line.discount_percent.normalize():f}",
         "tax_rate": f"{line.tax_rate.normalize():f}"}
        for line in document.lines or []
    ]  # fmt: skip


def problems_of(error: ApiError) -> list[str]:
    """The API's refusal as lines to show: each field error with its field, else the problem's detail."""
    return [f"{p.field}: {p.message}" for p in error.field_errors] or [error.problem.detail or ""]


def row_errors(error: ApiError) -> tuple[dict[int, list[str]], list[str]]:
    """The API's ``lines[2].quantity`` errors by row, and the others (with their field) for the summary."""
    by_row: dict[int, list[str]] = {}
    others: list[str] = []
    for problem in error.field_errors:
        if problem.field.startswith("lines["):
            index = int(problem.field[6 : problem.field.index("]")])
            by_row.setdefault(index, []).append(f"{problem.field.split('.')[-1]}: {problem.message}")
        else:
            others.append(f"{problem.field}: {problem.message}")
    return by_row, others or ([] if by_row else [error.problem.detail or ""])
