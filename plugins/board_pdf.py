"""The bulletin-board notice as an A4 PDF (fpdf2), with the CJK font embedded and a vector QR code.

Layout, top to bottom: the publishing body, the title, 索引号 and 文号, the body text, then a box
with the posting period, the board, the supervision phone and the QR code of the portal page.
"""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path

import segno
from fontTools.ttLib import TTCollection
from fpdf import FPDF

FAMILY = "cjk"
MARGIN = 20.0  # mm
QR_SIZE = 32.0  # mm, readable by a phone at arm's length


@functools.lru_cache(maxsize=8)
def face_index(path: Path) -> int:
    """The Simplified Chinese face of a font collection (its family name ends with SC), else 0."""
    if path.suffix.lower() != ".ttc":
        return 0
    collection = TTCollection(str(path), lazy=True)
    try:
        for i, font in enumerate(collection.fonts):
            family = font["name"].getDebugName(1) or ""
            if family.endswith(" SC") or family.endswith("SC"):
                return i
    finally:
        collection.close()
    return 0


def notice_pdf(*, font: tuple[Path, int], title: str, department: str, doc_number: str | None,
               index_no: str, body: str, period: str, board: str, phone: str, url: str,
               published: datetime) -> bytes:
    """One notice as PDF bytes; the same input gives the same bytes (fixed creation date)."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(published)
    pdf.set_title(title)
    pdf.set_author(department)
    pdf.set_lang("zh-CN")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN)
    path, index = font
    if path.suffix.lower() == ".ttc":
        pdf.add_font(FAMILY, fname=str(path), collection_font_number=index)
    else:
        pdf.add_font(FAMILY, fname=str(path))
    pdf.add_page()

    def line(text: str, size: float, height: float, align: str = "L") -> None:
        pdf.set_font(FAMILY, size=size)
        pdf.multi_cell(0, height, text, align=align, wrapmode="CHAR",
                       new_x="LMARGIN", new_y="NEXT")

    line(department, 14, 8, "C")
    pdf.ln(2)
    line(title, 20, 11, "C")
    pdf.ln(2)
    meta = f"索引号：{index_no}" + (f"    文号：{doc_number}" if doc_number else "")
    line(meta, 10, 6, "C")
    pdf.ln(4)
    for paragraph in (p.strip() for p in body.split("\n")):
        if paragraph:
            line(paragraph, 12, 7.5, "J")
            pdf.ln(1.5)
    pdf.ln(4)
    _footer_box(pdf, period=period, board=board, phone=phone, url=url, department=department)
    return bytes(pdf.output())


def _footer_box(pdf: FPDF, *, period: str, board: str, phone: str, url: str,
                department: str) -> None:
    """Posting period, board, phone and the QR code, kept together on one page."""
    height = QR_SIZE + 12
    if pdf.get_y() + height > pdf.h - MARGIN:
        pdf.add_page()
    top = pdf.get_y()
    width = pdf.w - 2 * MARGIN
    pdf.set_line_width(0.3)
    pdf.rect(MARGIN, top, width, height)
    text_width = width - QR_SIZE - 12
    pdf.set_xy(MARGIN + 4, top + 4)
    pdf.set_font(FAMILY, size=12)
    for text in (f"公示期：{period}", f"张贴地点：{board}", f"监督电话：{phone}",
                 f"发布机构：{department}"):
        pdf.set_x(MARGIN + 4)
        pdf.multi_cell(text_width, 7, text, wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(MARGIN + 4)
    pdf.set_font(FAMILY, size=8)
    pdf.multi_cell(text_width, 4.5, f"扫码查看网上公开原文：{url}", wrapmode="CHAR",
                   new_x="LMARGIN", new_y="NEXT")
    _qr(pdf, url, x=MARGIN + width - QR_SIZE - 4, y=top + 4, size=QR_SIZE)
    pdf.set_xy(MARGIN, top + height + 2)


def _qr(pdf: FPDF, url: str, *, x: float, y: float, size: float) -> None:
    """The QR code of ``url`` as filled squares (a 4-module quiet zone included)."""
    matrix = segno.make(url, error="m", micro=False).matrix
    border = 4
    module = size / (len(matrix) + 2 * border)
    pdf.set_fill_color(0, 0, 0)
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            if dark:
                pdf.rect(x + (col + border) * module, y + (row + border) * module,
                         module, module, style="F")
