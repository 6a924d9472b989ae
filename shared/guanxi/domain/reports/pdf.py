"""A report as a PDF table (landscape A4), in the CJK font the quotes use so Chinese names render."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from guanxi.domain.quotes.pdf import FONT, font_path
from guanxi.spreadsheet import safe_cell

WIDTH = 269  # A4 landscape less the margins, in mm


def table_pdf(answer: dict[str, Any]) -> bytes:
    pdf = FPDF(orientation="L", format="A4")
    pdf.add_font(FONT, fname=font_path())
    pdf.set_margins(14, 14, 14)
    pdf.set_auto_page_break(True, margin=14)
    pdf.set_title(answer["title"])
    pdf.add_page()
    pdf.set_font(FONT, size=14)
    pdf.cell(0, 8, answer["title"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=8)
    for note in answer["notes"]:
        pdf.cell(0, 5, note, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    columns = answer["columns"]
    width = WIDTH / max(len(columns), 1)
    numeric = [c["type"] in ("number", "money", "percent") for c in columns]
    pdf.set_font(FONT, size=8)
    pdf.set_fill_color(235, 238, 242)
    for column in columns:
        pdf.cell(width, 6, str(column["label"])[:40], border=1, fill=True)
    pdf.ln()
    for row in answer["rows"]:
        for value, right in zip(row, numeric, strict=False):
            pdf.cell(width, 5.5, safe_cell(value).lstrip("'")[:60], border=1, align="R" if right else "L")
        pdf.ln()
    if answer["truncated"]:
        pdf.ln(2)
        pdf.cell(0, 5, "…", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
