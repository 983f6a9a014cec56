"""Fitting Chinese text into a box: wrap, balance, shrink, and only then cut.

Post names run from 4 characters (东湖公园) to 30 (XX县人民路与解放大道交叉口
东南角文明交通劝导岗). Chinese breaks between any two characters, but a run
of Latin letters or digits ("G107", "3号") must stay whole and closing
punctuation must not start a line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from PIL import ImageFont

from qr import fonts

_ASCII_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-_/#]*")
_NO_LINE_START = set("，。、；：！？）》」』】”’·…%,.;:!?)]}")
_NO_LINE_END = set("（《「『【“‘([{")
ELLIPSIS = "…"


@dataclass(frozen=True)
class Fitted:
    font: ImageFont.FreeTypeFont
    lines: list[str]
    line_height: int


def tokens(text: str) -> list[str]:
    """Units that may not be split across lines."""
    units: list[str] = []
    i = 0
    while i < len(text):
        match = _ASCII_RUN.match(text, i)
        unit = match.group() if match else text[i]
        i += len(unit)
        if units and (unit[0] in _NO_LINE_START or units[-1][-1] in _NO_LINE_END):
            units[-1] += unit
        else:
            units.append(unit)
    return units


def wrap(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """Greedy wrap, then re-wrapped narrower so the lines come out even.

    Two lines of 12 and 12 characters read better on a poster than 22 and 2.
    """
    units = tokens(" ".join(text.split()))
    lines = _greedy(units, font, max_width)
    if len(lines) < 2:
        return lines
    lo, hi = max(font.getlength(u) for u in units), max_width
    while hi - lo > 1:  # narrowest width that still needs no extra line
        mid = (lo + hi) / 2
        if len(_greedy(units, font, mid)) <= len(lines):
            hi = mid
        else:
            lo = mid
    return _greedy(units, font, hi)


def _greedy(units: list[str], font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for unit in units:
        candidate = line + unit
        if line and font.getlength(candidate.strip()) > max_width:
            lines.append(line.strip())
            line = unit.lstrip()
        else:
            line = candidate
    if line.strip():
        lines.append(line.strip())
    return lines


def fit(
    text: str,
    font_file: str,
    weight: int,
    max_width: int,
    max_height: int,
    sizes: range,
    max_lines: int = 4,
    leading: float = 1.22,
) -> Fitted:
    """The largest size (from ``sizes``, tried largest first) at which ``text``
    fits the box; at the smallest size the last line is cut with an ellipsis
    rather than letting anything run off the page."""
    for size in sorted(sizes, reverse=True):
        font = fonts.load(font_file, size, weight)
        line_height = round(size * leading)
        lines = wrap(text, font, max_width)
        if len(lines) <= max_lines and len(lines) * line_height <= max_height and _widest(lines, font) <= max_width:
            return Fitted(font, lines, line_height)
    keep = max(1, min(max_lines, max_height // line_height))
    lines = lines[:keep]
    lines[-1] = _cut(lines[-1] + ELLIPSIS, font, max_width)
    return Fitted(font, lines, line_height)


def _widest(lines: list[str], font: ImageFont.FreeTypeFont) -> float:
    return max((font.getlength(line) for line in lines), default=0)


def _cut(line: str, font: ImageFont.FreeTypeFont, max_width: float) -> str:
    body = line.rstrip(ELLIPSIS)
    while body and font.getlength(body + ELLIPSIS) > max_width:
        body = body[:-1]
    return body + ELLIPSIS
