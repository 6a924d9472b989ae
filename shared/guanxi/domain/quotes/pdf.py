"""A quote as PDF, drawn with fpdf2 from the workspace's print template.

Text is set in Noto Sans CJK (the ``cvttf-notosanscjk-regular`` package, SIL Open Font License), which covers
Latin, simplified and traditional Chinese; fpdf2 embeds only the glyphs a document uses, so a quote stays a few
dozen kilobytes. The labels follow the template's language, not the reader's: a quote is for the customer.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

from babel.numbers import format_decimal
from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONT = "NotoSansCJK"
LABELS: dict[str, dict[str, str]] = {
    "en": {"title": "Quotation", "number": "No.", "date": "Date", "valid_until": "Valid until", "to": "To",
           "contact": "Attn.", "item": "Item", "sku": "SKU", "description": "Description", "unit": "Unit",
           "quantity": "Qty", "unit_price": "Unit price", "discount": "Discount", "tax": "Tax",
           "amount": "Amount", "subtotal": "Subtotal", "discount_total": "Discount", "tax_total": "Tax",
           "total": "Total", "terms": "Terms", "notes": "Notes", "page": "Page"},
    "zh-Hans": {"title": "报价单", "number": "编号", "date": "日期", "valid_until": "有效期至", "to": "客户",
                "contact": "联系人", "item": "产品", "sku": "编码", "description": "说明", "unit": "单位",
                "quantity": "数量", "unit_price": "单价", "discount": "折扣", "tax": "税率", "amount": "金额",
                "subtotal": "小计", "discount_total": "折扣", "tax_total": "税额", "total": "合计",
                "terms": "条款", "notes": "备注", "page": "页"},
    "zh-Hant": {"title": "報價單", "number": "編號", "date": "日期", "valid_until": "有效期至", "to": "客戶",
                "contact": "聯絡人", "item": "產品", "sku": "編碼", "description": "說明", "unit": "單位",
                "quantity": "數量", "unit_price": "單價", "discount": "折扣", "tax": "稅率", "amount": "金額",
                "subtotal": "小計", "discount_total": "折扣", "tax_total": "稅額", "total": "合計",
                "terms": "條款", "notes": "備註", "page": "頁"},
}  # fmt: skip
COLUMNS = ("sku", "description", "unit", "quantity", "unit_price", "discount", "tax", "amount")
WIDTHS = {"item": 52, "sku": 22, "description": 40, "unit": 12, "quantity": 16, "unit_price": 24, "discount": 16,
          "tax": 14, "amount": 28}  # fmt: skip
BABEL_LOCALE = {"en": "en", "zh-Hans": "zh_Hans_CN", "zh-Hant": "zh_Hant_TW"}


@cache
def font_path() -> str:
    return str(files("cvttf_NotoSansCJK_Regular") / "NotoSansCJKtc-Regular.otf")


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


class QuoteDocument(FPDF):
    footer_text = ""
    page_label = "Page"

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, size=7)
        self.set_text_color(120, 120, 120)
        if self.footer_text:
            self.multi_cell(0, 3.5, self.footer_text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.cell(0, 4, f"{self.page_label} {self.page_no()}/{{nb}}", align="R")


def _money(value: Decimal, locale: str) -> str:
    return format_decimal(value, format="#,##0.00", locale=BABEL_LOCALE[locale])


def _amount(value: Any, locale: str) -> str:
    number = Decimal(value).normalize()
    return format_decimal(number if number == number.to_integral() else value, locale=BABEL_LOCALE[locale])


def render_quote(quote: Mapping[str, Any], template: Mapping[str, Any], *, contact_name: str | None = None,
                 issued: str = "") -> bytes:  # fmt: skip
    """The PDF bytes of ``quote`` (a fetched quote with ``lines`` and ``totals``) in ``template``'s layout."""
    language = template["language"] if template["language"] in LABELS else "en"
    label = LABELS[language]
    accent = _rgb(template["accent_color"])
    pdf = QuoteDocument(format="A4")
    pdf.footer_text, pdf.page_label = template["footer"], label["page"]
    pdf.set_title(f"{template['title'] or label['title']} {quote['number']}")
    pdf.add_font(FONT, fname=font_path())
    pdf.set_margins(14, 14, 14)
    pdf.set_auto_page_break(True, margin=22)
    pdf.add_page()
    top = pdf.get_y()
    if template.get("logo"):
        pdf.image(io.BytesIO(template["logo"]), x=14, y=top, h=16)
        pdf.set_xy(40, top)
    pdf.set_font(FONT, size=13)
    pdf.cell(100, 7, template["company_name"], new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=8)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(100, 4, template["address"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_xy(120, top)
    pdf.set_text_color(*accent)
    pdf.set_font(FONT, size=20)
    pdf.cell(76, 10, template["title"] or label["title"], align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(40, 40, 40)
    pdf.set_font(FONT, size=9)
    for key, value in (("number", quote["number"]), ("date", issued), ("valid_until", quote["valid_until"])):
        if not value:
            continue
        pdf.set_x(120)
        pdf.cell(76, 5, f"{label[key]}: {value}", align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_y(max(pdf.get_y(), top + 30))
    pdf.set_draw_color(*accent)
    pdf.set_line_width(0.6)
    pdf.line(14, pdf.get_y(), 196, pdf.get_y())
    pdf.ln(4)
    pdf.set_font(FONT, size=10)
    pdf.cell(0, 6, f"{label['to']}: {quote.get('account_name') or ''}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if contact_name:
        pdf.cell(0, 6, f"{label['contact']}: {contact_name}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    _lines_table(pdf, quote, template, language, accent)
    _totals(pdf, quote, language, accent)
    for key in ("terms", "notes"):
        if quote.get(key):
            pdf.ln(3)
            pdf.set_font(FONT, size=9)
            pdf.set_text_color(*accent)
            pdf.cell(0, 5, label[key], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(40, 40, 40)
            pdf.multi_cell(0, 4.5, quote[key], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _lines_table(pdf: FPDF, quote: Mapping[str, Any], template: Mapping[str, Any], language: str,
                 accent: tuple[int, int, int]) -> None:  # fmt: skip
    label = LABELS[language]
    shown = [c for c in COLUMNS if c in template["columns"]]
    keys = ["item", *shown]
    widths = [WIDTHS[k] for k in keys]
    scale = 182 / sum(widths)
    pdf.set_font(FONT, size=8)
    pdf.set_draw_color(210, 210, 210)
    pdf.set_line_width(0.2)
    with pdf.table(
        col_widths=[w * scale for w in widths], text_align=["LEFT"] + ["RIGHT" if k in WIDTHS and
        k not in ("sku", "description", "unit") else "LEFT" for k in shown],
        headings_style=_heading_style(accent), line_height=5, borders_layout="HORIZONTAL_LINES",
        first_row_as_headings=True,
    ) as table:  # fmt: skip
        table.row([label[k] for k in keys])
        for line in quote["lines"]:
            cells = {
                "item": line["name"], "sku": line.get("sku") or "", "description": line["description"] or "",
                "unit": line["unit"], "quantity": _amount(line["quantity"], language),
                "unit_price": _money(line["unit_price"], language),
                "discount": f"{_amount(line['discount_percent'], language)}%" if line["discount_percent"] else "",
                "tax": f"{_amount(line['tax_rate'], language)}%" if line["tax_rate"] else "",
                "amount": _money(Decimal(line["net_amount"]) + Decimal(line["tax_amount"]), language),
            }  # fmt: skip
            table.row([cells[k] for k in keys])


def _heading_style(accent: tuple[int, int, int]) -> Any:
    from fpdf.fonts import FontFace

    return FontFace(family=FONT, color=(255, 255, 255), fill_color=accent)


def _totals(pdf: FPDF, quote: Mapping[str, Any], language: str, accent: tuple[int, int, int]) -> None:
    label = LABELS[language]
    pdf.ln(3)
    # The stored subtotal is after discounts: show the list amount, minus the discount, so the rows add up.
    discount = Decimal(quote["discount"])
    rows = [("subtotal", Decimal(quote["subtotal"]) + discount), ("tax_total", Decimal(quote["tax"]))]
    if discount:
        rows.insert(1, ("discount_total", -discount))
    pdf.set_font(FONT, size=9)
    for key, value in rows:
        pdf.set_x(120)
        pdf.cell(40, 5.5, label[key], align="R")
        pdf.cell(36, 5.5, _money(value, language), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_x(120)
    pdf.set_font(FONT, size=12)
    pdf.set_text_color(*accent)
    pdf.cell(40, 8, f"{label['total']} ({quote['currency']})", align="R")
    pdf.cell(36, 8, _money(quote["total"], language), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(40, 40, 40)
