"""The certificate as a one-page A4 PDF in Chinese, with its verification QR code."""
from __future__ import annotations

import re
from datetime import date

from typing import TYPE_CHECKING

from server.checkin import hours as rules
from server.records.certificates import STAR_NAMES
from server.models import Certificate

if TYPE_CHECKING:  # fpdf2 and fontTools load when a certificate is drawn, not with the app
    from fpdf import FPDF

RED = (200, 16, 46)
INK = (34, 34, 34)
GREY = (110, 110, 110)
ACTIVITY = "文明城市创建志愿服务（文明交通劝导、文明引导等）"
NOTE = ("本证明依据《志愿服务记录与证明出具办法（试行）》出具，时长以红马甲志愿服务系统记录为准；"
        "扫描二维码或访问下方网址可核验本证明的真实性。")


def _chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _lines(certificate: Certificate) -> dict[str, str]:
    hours = rules.as_hours(certificate.credited_minutes)
    star = STAR_NAMES[certificate.star_level]
    unit = certificate.unit_name or "—"
    return {
        "title": "志愿服务时长证明",
        "number": f"证明编号：{certificate.number}",
        "body": (f"兹证明 {certificate.volunteer_name} 同志（所在单位：{unit}）于 "
                 f"{_chinese_date(certificate.period_from)}至{_chinese_date(certificate.period_to)}期间，"
                 f"参加{ACTIVITY}，经记录核实，累计服务时长 {hours:.2f} 小时，共上岗 "
                 f"{certificate.shift_count} 次。"),
        "closing": "特此证明。",
        "organisation": certificate.organisation,
        "date": _chinese_date(certificate.issued_on),
        "star": star,
    }


def _table(certificate: Certificate) -> list[tuple[str, str]]:
    return [
        ("姓名", certificate.volunteer_name),
        ("所在单位", certificate.unit_name or "—"),
        ("服务期间", f"{certificate.period_from.isoformat()} 至 {certificate.period_to.isoformat()}"),
        ("累计服务时长", f"{rules.as_hours(certificate.credited_minutes):.2f} 小时"),
        ("其中：扫码记录", f"{rules.as_hours(certificate.scanned_minutes):.2f} 小时"),
        *([("其中：岗长代签", f"{rules.as_hours(certificate.leader_minutes):.2f} 小时"),
           ("代签岗长", f"岗长代签：{certificate.leader_names}")] if certificate.leader_minutes else []),
        ("其中：补录", f"{rules.as_hours(certificate.manual_minutes):.2f} 小时"),
        ("上岗次数", f"{certificate.shift_count} 次"),
        ("志愿者星级", STAR_NAMES[certificate.star_level]),
    ]


def render(certificate: Certificate, url: str, font_file: str | None = None) -> bytes:
    lines, table = _lines(certificate), _table(certificate)
    text = "".join(lines.values()) + "".join(a + b for a, b in table) + NOTE + url + "　扫码核验0123456789.:-/"
    from server.pdf_font import a4_with_cjk

    with a4_with_cjk(text, font_file) as pdf:
        pdf.set_auto_page_break(False)
        pdf.set_title(f"志愿服务时长证明 {certificate.number}")
        pdf.add_page()
        _draw(pdf, certificate, lines, table, url)
        return bytes(pdf.output())


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """Lines of at most ``width``: Chinese breaks between any two characters, but a number,
    a date or a word in Latin letters stays whole (so 125.50 is never split across lines)."""
    lines, line = [], ""
    for token in re.findall(r"[A-Za-z0-9.:/_-]+|.", text):
        if line and pdf.get_string_width(line + token) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    if line:
        lines.append(line)
    return lines


def _draw(pdf: FPDF, certificate: Certificate, lines: dict, table: list, url: str) -> None:
    from fpdf.enums import WrapMode

    from qr.images import qr_image

    pdf.set_draw_color(*RED)
    pdf.set_line_width(1.2)
    pdf.rect(12, 12, 186, 273)
    pdf.set_line_width(0.3)
    pdf.rect(15, 15, 180, 267)

    pdf.set_text_color(*RED)
    pdf.set_font("cjk", "B", 28)
    pdf.set_xy(15, 32)
    pdf.cell(180, 14, lines["title"], align="C")
    pdf.set_text_color(*GREY)
    pdf.set_font("cjk", "", 10)
    pdf.set_xy(15, 48)
    pdf.cell(170, 6, lines["number"], align="R")

    pdf.set_text_color(*INK)
    pdf.set_font("cjk", "", 14)
    pdf.set_xy(28, 62)
    y = 62
    for line in _wrap(pdf, "　　" + lines["body"], 154):
        pdf.set_xy(28, y)
        pdf.cell(154, 9, line)
        y += 9

    y += 6
    pdf.set_font("cjk", "", 12)
    pdf.set_draw_color(180, 180, 180)
    for label, value in table:
        pdf.set_xy(38, y)
        pdf.set_fill_color(252, 238, 238)
        pdf.cell(44, 9, label, border=1, align="C", fill=True)
        pdf.cell(90, 9, value, border=1, align="L")
        y += 9

    pdf.set_font("cjk", "", 14)
    pdf.set_xy(28, y + 8)
    pdf.cell(154, 9, "　　" + lines["closing"])

    pdf.set_font("cjk", "B", 14)
    pdf.set_xy(95, 214)
    pdf.cell(90, 9, lines["organisation"], align="R")
    pdf.set_font("cjk", "", 13)
    pdf.set_xy(95, 224)
    pdf.cell(90, 9, lines["date"], align="R")

    pdf.image(qr_image(url, 480), x=25, y=206, w=42, h=42)
    pdf.set_font("cjk", "", 9)
    pdf.set_text_color(*GREY)
    pdf.set_xy(25, 248)
    pdf.cell(42, 5, "扫码核验", align="C")
    pdf.set_xy(25, 258)
    pdf.multi_cell(160, 4.5, NOTE + "\n" + url, align="L", wrapmode=WrapMode.CHAR)
