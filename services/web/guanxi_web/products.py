"""The catalogue's forms: a product's fields, and a price list with one row per product and its volume tiers.

Numbers that are not numbers are marked at their field or cell before asking the API; the API's refusals name
their cell like ``items[2].tiers[0].min_quantity`` and are shown there."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from litestar.datastructures import FormMultiDict

from guanxi_web.api_client import ApiError, PriceList, Product
from guanxi_web.forms import Form
from guanxi_web.i18n import N_, _

PRODUCT_FIELDS = {
    "name": N_("Product name"),
    "sku": N_("SKU"),
    "unit": N_("Unit"),
    "description": N_("Description"),
    "cost": N_("Cost"),
    "stock": N_("Stock"),
    "active": N_("Offered for sale"),
}
PRICE_LIST_FIELDS = {
    "name": N_("Price list name"),
    "currency": N_("Currency"),
    "is_default": N_("Default price list"),
    "active": N_("In use"),
    "items": N_("Products"),
}
ITEM_COLUMNS = {"product_id": N_("Product"), "unit_price": N_("Unit price"), "tiers": N_("Volume tiers")}
TIER_COLUMNS = {"min_quantity": N_("From quantity"), "unit_price": N_("Unit price")}
# Parts of the API's English explanations of a row's cells -> the same said in the reader's language.
ROW_MESSAGES = {
    "above the tier before it": N_("Use a quantity above the volume price before it."),
    "already on this price list": N_("This product is already on the price list."),
    "not a product of the catalogue": N_("This product is no longer in the catalogue. Remove the row."),
}
MAX_ROWS = 500
MAX_TIERS = 20


def plain(value: Decimal | None) -> str:
    """A number as typed back into a field: 12.5, 1000 (no exponent, no trailing zeros)."""
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def number_of(text: str) -> Decimal | None:
    """A typed number (thousands separators allowed, also the full-width comma); None when it is not one."""
    cleaned = text.replace(",", "").replace("，", "").replace("¥", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def product_values(product: Product) -> dict[str, str]:
    return {
        "name": product.name,
        "sku": product.sku or "",
        "unit": product.unit,
        "description": product.description or "",
        "cost": plain(product.cost),
        "stock": plain(product.stock),
        "active": "on" if product.active else "",
    }


def read_product(data: FormMultiDict, *, with_cost: bool) -> tuple[Form, dict[str, Any]]:
    """The form's values, and the API's body (a cost or stock that is not a number is marked here)."""
    form, submitted = Form.read(PRODUCT_FIELDS, data)
    form.values["active"] = "on" if data.get("active") else ""
    body: dict[str, Any] = {"name": submitted["name"].strip(), "active": bool(data.get("active"))}
    for name in ("sku", "unit", "description"):
        text = submitted[name] if name == "description" else submitted[name].strip()
        body[name] = text if text.strip() else None
    body["unit"] = body["unit"] or ""
    names = ("cost", "stock") if with_cost else ("stock",)
    for name in names:
        text = submitted[name].strip()
        if not text:
            body[name] = None if name == "cost" else "0"
            continue
        value = number_of(text)
        if value is None:
            form.errors.setdefault(name, []).append(_("Enter a number, like 1280 or 12.5."))
        else:
            body[name] = str(value)
    return form, body


def refuse_product(form: Form, error: ApiError) -> None:
    if error.status == 409 and error.kind == "duplicate":
        form.errors.setdefault("sku", []).append(_("Another product already has this SKU."))
    else:
        form.refuse(error)


@dataclass
class TierCell:
    min_quantity: str = ""
    unit_price: str = ""

    @property
    def blank(self) -> bool:
        return not (self.min_quantity.strip() or self.unit_price.strip())


@dataclass
class ItemRow:
    product_id: str = ""
    unit_price: str = ""
    tiers: list[TierCell] = field(default_factory=list)

    def shown_tiers(self) -> list[TierCell]:
        """The row's tiers and one blank pair to type a new tier into."""
        filled = [t for t in self.tiers if not t.blank]
        return [*filled, TierCell()] if len(filled) < MAX_TIERS else filled


class PriceListForm(Form):
    """A price list's fields and rows; errors name a cell like the API (``items[2].tiers[0].min_quantity``)."""

    rows: list[ItemRow]

    def __init__(self, values: dict[str, str], rows: list[ItemRow]) -> None:
        super().__init__(PRICE_LIST_FIELDS, values=values)
        self.rows = rows
        # The tiers sent for each row: the API's tier index -> the row's shown position (blank pairs are not sent).
        self.sent_tiers: list[list[int]] = []

    def label(self, name: str) -> str:
        if name.startswith("items["):
            return _("Products")
        return super().label(name)

    def field_of(self, api_field: str) -> str:
        if not api_field.startswith("items["):
            return api_field
        index, _sep, rest = api_field[len("items[") :].partition("]")
        if not index.isdigit():
            return "items"
        row = int(index)
        if rest.startswith(".tiers[") and "]." in rest:
            number, column = rest[len(".tiers[") :].split("].", 1)
            if number.isdigit() and row < len(self.sent_tiers) and int(number) < len(self.sent_tiers[row]):
                return f"items[{row}].tiers[{self.sent_tiers[row][int(number)]}].{column}"
        return f"items[{row}]{rest}"

    def refuse(self, error: ApiError) -> None:
        # A row's cells are fields of this form too, so the API's errors land at their cell.
        self.fields = {**PRICE_LIST_FIELDS, **{self.field_of(p.field): "" for p in error.field_errors}}
        # The API explains the rows' rules in English; say them in the reader's language.
        for problem in error.field_errors:
            said = next((text for key, text in ROW_MESSAGES.items() if key in problem.message), None)
            if said:
                problem.message, problem.code = _(said), "said"
        super().refuse(error)

    def cell_errors(self, name: str) -> list[str]:
        return self.errors.get(name, [])


def price_list_values(price_list: PriceList) -> dict[str, str]:
    return {
        "name": price_list.name,
        "currency": price_list.currency,
        "is_default": "on" if price_list.is_default else "",
        "active": "on" if price_list.active else "",
    }


def rows_of(price_list: PriceList) -> list[ItemRow]:
    return [
        ItemRow(
            str(item.product_id),
            plain(item.unit_price),
            [TierCell(plain(t.min_quantity), plain(t.unit_price)) for t in item.tiers],
        )
        for item in price_list.items
    ]


def read_rows(data: FormMultiDict) -> list[ItemRow]:
    products = [str(v) for v in data.getall("item_product", [])][:MAX_ROWS]
    prices = [str(v) for v in data.getall("item_price", [])]
    rows = []
    for index, product_id in enumerate(products):
        quantities = [str(v) for v in data.getall(f"tier_min_{index}", [])][:MAX_TIERS]
        tier_prices = [str(v) for v in data.getall(f"tier_price_{index}", [])]
        tiers = [TierCell(q, tier_prices[i] if i < len(tier_prices) else "") for i, q in enumerate(quantities)]
        rows.append(ItemRow(product_id.strip(), prices[index] if index < len(prices) else "", tiers))
    return rows


def apply_row_action(rows: list[ItemRow], action: str) -> bool:
    """Add or remove a row; true when the action was one of those (the page is shown again, not saved)."""
    verb, _sep, where = action.partition(":")
    if verb == "add":
        if len(rows) < MAX_ROWS:
            rows.append(ItemRow())
        return True
    if verb == "remove":
        if where.isdigit() and int(where) < len(rows):
            rows.pop(int(where))
        return True
    return False


def price_list_body(form: PriceListForm) -> dict[str, Any] | None:
    """The API's body, or None when a row has no product or a price is not a number (marked at its cell)."""
    items: list[dict[str, Any]] = []
    for index, row in enumerate(form.rows):
        where = f"items[{index}]"
        if not row.product_id:
            form.errors.setdefault(f"{where}.product_id", []).append(_("Choose a product, or remove the row."))
        unit_price = number_of(row.unit_price)
        if unit_price is None:
            form.errors.setdefault(f"{where}.unit_price", []).append(_("Enter a price, like 1280 or 12.50."))
        tiers, sent = [], []
        for number, tier in enumerate(row.tiers):
            if tier.blank:
                continue
            quantity, price = number_of(tier.min_quantity), number_of(tier.unit_price)
            if quantity is None:
                form.errors.setdefault(f"{where}.tiers[{number}].min_quantity", []).append(_("Enter a quantity."))
            if price is None:
                form.errors.setdefault(f"{where}.tiers[{number}].unit_price", []).append(_("Enter a price."))
            if quantity is not None and price is not None:
                tiers.append({"min_quantity": str(quantity), "unit_price": str(price)})
                sent.append(number)
        form.sent_tiers.append(sent)
        items.append({"product_id": row.product_id, "unit_price": str(unit_price), "tiers": tiers})
    if form.errors:
        return None
    return {
        "name": form.values.get("name", "").strip(),
        "currency": form.values.get("currency", "").strip().upper(),
        "is_default": bool(form.values.get("is_default")),
        "active": bool(form.values.get("active")),
        "items": items,
    }


def refuse_price_list(form: PriceListForm, error: ApiError) -> None:
    if error.status == 409 and error.kind == "duplicate":
        form.errors.setdefault("name", []).append(_("Another price list already has this name."))
    else:
        form.refuse(error)
