"""The report builder's and the schedule editor's forms: what was typed, read back into the API's definitions, and
the API's refusals put back beside the field they name (``filters[2].value`` → the value of the third filter row
that was filled in, ``recipients[0].timezone`` → the time zone)."""

from __future__ import annotations

from typing import Any

from guanxi_web.api_client import ApiError
from guanxi_web.i18n import N_, _

MAX_FILTERS = 20
MEASURE_ROWS = 3
GROUP_ROWS = 2
ENTITY_LABELS = {
    "orders": N_("Orders"), "order_lines": N_("Order lines"), "accounts": N_("Customers"), "deals": N_("Deals"),
    "activities": N_("Activities"), "payments": N_("Payments"),
}  # fmt: skip
FIELD_LABELS = {
    "status": N_("Status"), "currency": N_("Currency"), "order_date": N_("Order date"), "owner": N_("Owner"),
    "account": N_("Customer"), "region": N_("Region"), "city": N_("City"), "number": N_("Number"),
    "subtotal": N_("Subtotal"), "discount": N_("Discount"), "tax": N_("Tax"), "total": N_("Total"),
    "collected": N_("Collected"), "invoiced": N_("Invoiced"), "cost": N_("Cost"), "margin": N_("Margin"),
    "product": N_("Product"), "quantity": N_("Quantity"), "unit_price": N_("Unit price"),
    "net_amount": N_("Net amount"), "tax_amount": N_("Tax amount"), "unit_cost": N_("Unit cost"),
    "kind": N_("Kind"), "industry": N_("Industry"), "source": N_("Source"), "lifecycle_stage": N_("Lifecycle stage"),
    "created_at": N_("Created"), "credit_limit": N_("Credit limit"), "stage": N_("Deal stage"),
    "expected_close_date": N_("Expected close date"), "closed_at": N_("Closed"), "amount": N_("Amount"),
    "direction": N_("Direction"), "outcome": N_("Outcome"), "occurred_at": N_("Date"),
    "duration_seconds": N_("Duration (seconds)"), "method": N_("Payment method"), "paid_on": N_("Paid on"),
}  # fmt: skip
OP_LABELS = {
    "eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥", "contains": N_("contains"),
    "in": N_("is one of"), "between": N_("between"), "is_null": N_("is empty"), "not_null": N_("is not empty"),
}  # fmt: skip
OPS = {
    "text": ("eq", "ne", "contains", "in", "is_null", "not_null"),
    "number": ("eq", "ne", "lt", "le", "gt", "ge", "between", "is_null", "not_null"),
    "date": ("eq", "ge", "le", "gt", "lt", "between", "is_null", "not_null"),
}
FNS = {"count": N_("Count"), "sum": N_("Sum"), "avg": N_("Average"), "min": N_("Minimum"), "max": N_("Maximum")}
GRAINS = {"day": N_("Day"), "week": N_("Week"), "month": N_("Month"), "quarter": N_("Quarter"), "year": N_("Year")}
CHARTS = {"bar": N_("Bars"), "line": N_("Line"), "pie": N_("Pie"), "table": N_("Table only")}
SORTS = {"group": N_("By group"), "measure_desc": N_("Largest first"), "measure_asc": N_("Smallest first")}
SHARING = {"private": N_("Only me"), "everyone": N_("Everyone in the workspace"), "members": N_("Chosen members")}
FREQUENCIES = {"daily": N_("Every day"), "weekly": N_("Every week"), "monthly": N_("Every month")}
WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
            N_("Sunday"))  # fmt: skip
SPLIT = (",", "，", "、", "\n")


def kind_of(field_type: str) -> str:
    """The input a field's values are typed in: text, number (numbers and money) or date (dates and moments)."""
    return {"money": "number", "datetime": "date"}.get(field_type, field_type if field_type in OPS else "text")


def field_label(name: str) -> str:
    return _(FIELD_LABELS[name]) if name in FIELD_LABELS else name


def fields_of(entities: list[dict[str, Any]], entity: str) -> dict[str, dict[str, Any]]:
    found = next((e for e in entities if e["name"] == entity), None)
    return {f["name"]: f for f in (found or {"fields": []})["fields"]}


def _text(data: Any, name: str, limit: int = 200) -> str:
    return str(data.get(name) or "").strip()[:limit]


def _split(value: str) -> list[str]:
    for mark in SPLIT[1:]:
        value = value.replace(mark, SPLIT[0])
    return [v.strip() for v in value.split(SPLIT[0]) if v.strip()]


def read_builder(data: Any, entities: list[dict[str, Any]]) -> dict[str, Any]:
    """The builder as typed: the entity, the filter rows (blank ones kept out), groups, measures, chart, sort and
    the save part (name, sharing, members). Unknown entities fall back to the first the reader may use."""
    names = [e["name"] for e in entities]
    entity = _text(data, "entity", 60)
    entity = entity if entity in names else (names[0] if names else "")
    fields = fields_of(entities, entity)
    filters = []
    for i in range(MAX_FILTERS):
        row = {key: _text(data, f"f{i}_{key}", 2000) for key in ("field", "op", "value", "value2")}
        if row["field"] in fields:
            filters.append(row)
    groups = [{"field": _text(data, f"g{i}_field", 60), "grain": _text(data, f"g{i}_grain", 20)}
              for i in range(GROUP_ROWS)]  # fmt: skip
    measures = [{"fn": _text(data, f"m{i}_fn", 20), "field": _text(data, f"m{i}_field", 60)}
                for i in range(MEASURE_ROWS)]  # fmt: skip
    if not any(m["fn"] for m in measures):
        measures[0]["fn"] = "count"
    return {
        "entity": entity, "filters": filters, "groups": groups, "measures": measures,
        "chart": _text(data, "chart", 20) or "bar", "sort": _text(data, "sort", 20) or "group",
        "name": _text(data, "name", 300), "shared_with": _text(data, "shared_with", 20) or "private",
        "member_ids": _all(data, "member_ids"),
    }  # fmt: skip


def _all(data: Any, name: str) -> list[str]:
    """Every value of a repeated field (checkboxes), from a form or a plain dict."""
    values = data.getall(name, []) if hasattr(data, "getall") else data.get(name, [])
    return [str(v) for v in (values if isinstance(values, list) else [values]) if v]


def definition_of(state: dict[str, Any], entities: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, str]]:
    """The API's builder definition, and where each of its list items came from (``filters[0]`` → ``f2``)."""
    fields = fields_of(entities, state["entity"])
    origin: dict[str, str] = {}
    filters: list[dict[str, Any]] = []
    for row_index, row in enumerate(state["filters"]):
        if not row["field"]:
            continue
        op = row["op"] if row["op"] in OP_LABELS else "eq"
        item: dict[str, Any] = {"field": row["field"], "op": op}
        if op == "in":
            item["value"] = _split(row["value"])
        elif op == "between":
            item["value"] = [row["value"], row["value2"]]
        elif op not in ("is_null", "not_null"):
            item["value"] = row["value"]
        origin[f"filters[{len(filters)}]"] = f"f{row_index}"
        filters.append(item)
    groups: list[dict[str, Any]] = []
    for i, g in enumerate(state["groups"]):
        if g["field"]:
            group: dict[str, Any] = {"field": g["field"]}
            if kind_of(fields.get(g["field"], {}).get("type", "text")) == "date":
                group["grain"] = g["grain"] if g["grain"] in GRAINS else "month"
            origin[f"group_by[{len(groups)}]"] = f"g{i}"
            groups.append(group)
    measures: list[dict[str, Any]] = []
    for i, m in enumerate(state["measures"]):
        if m["fn"]:
            measure: dict[str, Any] = {"fn": m["fn"]}
            if m["field"]:
                measure["field"] = m["field"]
            origin[f"measures[{len(measures)}]"] = f"m{i}"
            measures.append(measure)
    definition = {"entity": state["entity"], "filters": filters, "group_by": groups, "measures": measures,
                  "chart": state["chart"], "sort": state["sort"]}  # fmt: skip
    return definition, origin


def state_of(definition: dict[str, Any], saved: dict[str, Any] | None = None) -> dict[str, Any]:
    """A saved definition as the builder's rows, to edit it."""
    filters = []
    for f in definition.get("filters") or []:
        value = f.get("value")
        first, second = "", ""
        if isinstance(value, list):
            first, second = (str(value[0]), str(value[1])) if f.get("op") == "between" else (", ".join(map(str, value)),
                                                                                             "")  # fmt: skip
        elif value is not None:
            first = str(value)
        filters.append({"field": f["field"], "op": f.get("op", "eq"), "value": first, "value2": second})
    groups = [{"field": g["field"], "grain": g.get("grain") or ""} for g in definition.get("group_by") or []]
    measures = [{"fn": m.get("fn", "count"), "field": m.get("field") or ""} for m in definition.get("measures") or []]
    return {
        "entity": definition.get("entity", ""), "filters": filters,
        "groups": (groups + [{"field": "", "grain": ""}] * GROUP_ROWS)[:GROUP_ROWS],
        "measures": (measures + [{"fn": "", "field": ""}] * MEASURE_ROWS)[:MEASURE_ROWS],
        "chart": definition.get("chart", "bar"), "sort": definition.get("sort", "group"),
        "name": (saved or {}).get("name", ""), "shared_with": (saved or {}).get("shared_with", "private"),
        "member_ids": [str(m) for m in (saved or {}).get("member_ids", [])],
    }  # fmt: skip


def blank_state(entities: list[dict[str, Any]]) -> dict[str, Any]:
    first = entities[0]["name"] if entities else ""
    return state_of({"entity": first, "measures": [{"fn": "count"}], "chart": "bar"})


def errors_of(error: ApiError, origin: dict[str, str]) -> dict[str, str]:
    """The API's field errors keyed by the form's names (``f2_value``, ``g0_field``, ``name``, ``member_ids``);
    what names no field of the form goes under ``""``."""
    found: dict[str, str] = {}
    for problem in error.field_errors or []:
        path = problem.field
        key = ""
        head, _, rest = path.partition(".")
        if head in origin:
            key = f"{origin[head]}_{rest.split('[')[0] or 'field'}"
        elif head.startswith("member_ids"):
            key = "member_ids"
        elif head in ("name", "entity", "chart", "sort", "shared_with"):
            key = head
        found.setdefault(key, f"{problem.message}" if key else f"{path}: {problem.message}")
    if not found:
        found[""] = error.problem.detail or error.problem.title
    return found


def read_schedule(data: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The schedule as typed, and the API's body from it; the chosen time zone goes with every recipient."""
    state: dict[str, Any] = {
        "frequency": _text(data, "frequency", 20) or "weekly", "hour": _text(data, "hour", 4) or "8",
        "weekday": _text(data, "weekday", 2) or "0", "day_of_month": _text(data, "day_of_month", 4) or "1",
        "formats": _all(data, "formats") or ["xlsx"], "recipients": _all(data, "recipients"),
        "timezone": _text(data, "timezone", 64), "replaces": _text(data, "replaces", 40),
    }  # fmt: skip
    body: dict[str, Any] = {
        "frequency": state["frequency"], "hour": _int(state["hour"]), "formats": state["formats"],
        "recipients": [{"member_id": m, "timezone": state["timezone"] or None} for m in state["recipients"]],
    }  # fmt: skip
    if state["frequency"] == "weekly":
        body["weekday"] = _int(state["weekday"])
    if state["frequency"] == "monthly":
        body["day_of_month"] = _int(state["day_of_month"])
    return state, body


def _int(value: str) -> int | str:
    """A number as a number; anything else as typed, for the API to refuse by name."""
    return int(value) if value.isdigit() else value


def new_schedule(member_id: str) -> dict[str, Any]:
    """A new schedule starts weekly on Monday at 08:00, as a spreadsheet to the one making it."""
    return {"frequency": "weekly", "hour": "8", "weekday": "0", "day_of_month": "1", "formats": ["xlsx"],
            "recipients": [member_id], "timezone": "", "replaces": ""}  # fmt: skip


def schedule_state(schedule: dict[str, Any]) -> dict[str, Any]:
    recipients = schedule.get("recipients") or []
    return {
        "frequency": schedule["frequency"], "hour": str(schedule["hour"]), "weekday": str(schedule.get("weekday") or 0),
        "day_of_month": str(schedule.get("day_of_month") or 1), "formats": list(schedule.get("formats") or []),
        "recipients": [str(r["member_id"]) for r in recipients],
        "timezone": next((r.get("timezone") or "" for r in recipients), ""), "replaces": str(schedule["id"]),
    }  # fmt: skip


def schedule_errors(error: ApiError) -> dict[str, str]:
    """``recipients[1].timezone`` → ``timezone``, ``recipients[0].member_id`` → ``recipients``, ``hour`` → ``hour``."""
    found: dict[str, str] = {}
    for problem in error.field_errors or []:
        head = problem.field.split("[")[0].split(".")[0]
        key = "timezone" if problem.field.endswith(".timezone") else head
        if key not in ("timezone", "recipients", "hour", "weekday", "day_of_month", "formats", "frequency"):
            key = ""
        found.setdefault(key, problem.message if key else f"{problem.field}: {problem.message}")
    if not found:
        found[""] = error.problem.detail or error.problem.title
    return found
