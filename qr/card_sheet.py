"""Printable volunteer cards: A4 sheets of 8 cards (2 × 4, 105 × 74 mm each), as PNG pages and a PDF.

Drawn with the posters' pieces (qr.fonts, qr.textfit, qr.images, the 16-colour palette and the
streaming ``PdfPages``): a card shows the volunteer's name, unit, the signed QR code
(qr/card_payload.py) and a short number. Thin grey lines mark where to cut.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from PIL import Image, ImageDraw

from qr import fonts, images, textfit
from qr.fonts import FontMissing
from qr.pdfpages import PdfPages
from qr.posters import BLACK, DPI, GREY, INK, PAPERS, PALE, PALETTE, RED, WHITE

__all__ = ["CARDS_PER_SHEET", "CardInfo", "FontMissing", "render_sheet", "sheet_png", "write_pdf"]

CARDS_PER_SHEET = 8
COLUMNS, ROWS = 2, 4
TITLE = "红马甲志愿者卡"
HINT = "上岗、下岗时交岗长扫码"
_FIXED = TITLE + HINT + "编号卡版本0123456789Vv·"


@dataclass(frozen=True)
class CardInfo:
    volunteer_id: int
    name: str
    unit: str
    card_version: int
    payload: str  # exactly what the QR code must hold


def _sheet() -> tuple[int, int]:
    paper = PAPERS["A4"]
    return paper.width_px, paper.height_px


def _check_font(font_file: str | None, cards: list[CardInfo]) -> str:
    path = fonts.font_path(font_file)
    text = _FIXED + "".join(c.name + c.unit for c in cards)
    missing = fonts.missing_glyphs(path, text)
    if missing:
        raise FontMissing(f"the card font has no glyphs for {missing!r}")
    return path


def _draw_card(im: Image.Image, card: CardInfo, x0: int, y0: int, width: int, height: int, font_file: str) -> None:
    draw = ImageDraw.Draw(im)
    pad = 60
    band = 150
    draw.rectangle((x0 + pad // 2, y0 + pad // 2, x0 + width - pad // 2, y0 + pad // 2 + band), fill=RED)
    title = fonts.load(font_file, 72, 900)
    draw.text((x0 + pad, y0 + pad // 2 + band // 2), TITLE, font=title, fill=WHITE, anchor="lm")

    qr_size = height - band - pad * 2
    qx, qy = x0 + width - pad // 2 - qr_size, y0 + pad // 2 + band + pad // 2
    symbol = images.qr_image(card.payload, qr_size)
    im.paste(BLACK, (qx, qy, qx + qr_size, qy + qr_size), symbol.convert("L").point(lambda v: 255 - v))

    text_width = qx - (x0 + pad) - 20
    name = textfit.fit(card.name, font_file, 700, text_width, 260, range(56, 121, 4), max_lines=2)
    y = qy + 30
    for line in name.lines:
        draw.text((x0 + pad, y + name.line_height / 2), line, font=name.font, fill=INK, anchor="lm")
        y += name.line_height
    unit = textfit.fit(card.unit or "—", font_file, 500, text_width, 150, range(36, 61, 4), max_lines=2)
    y += 20
    for line in unit.lines:
        draw.text((x0 + pad, y + unit.line_height / 2), line, font=unit.font, fill=GREY, anchor="lm")
        y += unit.line_height
    small = fonts.load(font_file, 38, 500)
    bottom = y0 + height - pad
    draw.text((x0 + pad, bottom - 60), f"编号 V{card.volunteer_id:04d} · 卡版本 v{card.card_version}",
              font=small, fill=INK, anchor="lm")
    draw.text((x0 + pad, bottom), HINT, font=small, fill=RED, anchor="lm")


def render_sheet(cards: list[CardInfo], font_file: str | None = None) -> Image.Image:
    """One A4 page at 300 dpi holding up to 8 cards, left to right, top to bottom."""
    if not 1 <= len(cards) <= CARDS_PER_SHEET:
        raise ValueError(f"a sheet holds 1 to {CARDS_PER_SHEET} cards")
    font_file = _check_font(font_file, cards)
    width, height = _sheet()
    im = Image.new("P", (width, height), WHITE)
    im.putpalette(PALETTE)
    draw = ImageDraw.Draw(im)
    card_w, card_h = width // COLUMNS, height // ROWS
    for column in range(1, COLUMNS):  # cutting guides
        draw.line((column * card_w, 0, column * card_w, height), fill=PALE, width=3)
    for row in range(1, ROWS):
        draw.line((0, row * card_h, width, row * card_h), fill=PALE, width=3)
    for index, card in enumerate(cards):
        row, column = divmod(index, COLUMNS)
        _draw_card(im, card, column * card_w, row * card_h, card_w, card_h, font_file)
    return im


def sheet_png(cards: list[CardInfo], font_file: str | None = None) -> bytes:
    buf = io.BytesIO()
    render_sheet(cards, font_file).save(buf, "PNG", compress_level=3, dpi=(DPI, DPI))
    return buf.getvalue()


def sheets(cards: Iterable[CardInfo]) -> Iterator[list[CardInfo]]:
    page: list[CardInfo] = []
    for card in cards:
        page.append(card)
        if len(page) == CARDS_PER_SHEET:
            yield page
            page = []
    if page:
        yield page


def write_pdf(cards: Iterable[CardInfo], fp: BinaryIO | str | os.PathLike, font_file: str | None = None) -> int:
    """The cards on A4 sheets of 8, one sheet a page; returns the page count. Given a path,
    the file appears only once complete."""
    cards = list(cards)
    if not cards:
        raise ValueError("no cards to print")
    font = _check_font(font_file, cards)
    paper = PAPERS["A4"]
    if isinstance(fp, (str, os.PathLike)):
        target = Path(fp)
        tmp = target.with_name(f".{target.name}.partial")
        try:
            with open(tmp, "wb") as out:
                pages = write_pdf(cards, out, font)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return pages
    pdf = PdfPages(fp, (paper.width_pt, paper.height_pt), title="红马甲志愿者卡")
    for page in sheets(cards):
        pdf.add_png(sheet_png(page, font))
    pdf.close()
    return pdf.pages
