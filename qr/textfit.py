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
    """As few lines as greedy wrapping needs, but evened out and broken at
    place-name boundaries where possible.

    "XX县人民路与解放大道 / 交叉口东南角文明交通劝导岗" reads better on a
    poster than "...解放大道交 / 叉口..." or 22 characters and then 2.
    """
    units: list[str] = []
    for unit in tokens(" ".join(text.split())):
        # A Latin run wider than the whole line has to break somewhere.
        units.extend(unit if font.getlength(unit) > max_width else [unit])
    # Line widths are sums of unit widths (no kerning across CJK units);
    # measuring every candidate line instead would make wrapping quadratic.
    starts = [0.0]  # starts[i]: width of units[:i]
    for unit in units:
        starts.append(starts[-1] + font.getlength(unit))
    breaks = _balanced(units, starts, max_width) or _greedy(starts, max_width)
    lines = ["".join(units[i:j]).strip() for i, j in zip(breaks, breaks[1:])]
    return [line for line in lines if line]


def _greedy(starts: list[float], max_width: float) -> list[int]:
    """Unit indices where lines start, plus the end: fill each line in turn."""
    breaks = [0]
    for i in range(1, len(starts) - 1):
        if starts[i + 1] - starts[breaks[-1]] > max_width:
            breaks.append(i)
    return breaks + [len(starts) - 1]


def _balanced(units: list[str], starts: list[float], max_width: float) -> list[int] | None:
    """The greedy line count, with breaks chosen to even out line widths and
    to fall after road and place names; None if no such set of breaks fits."""
    count = len(_greedy(starts, max_width)) - 1
    n = len(units)
    if count < 2:
        return None
    target = starts[-1] / count
    inf = float("inf")
    # best[k][i]: (cost, start of the last line) for units[:i] set in k lines.
    best = [[(inf, 0)] * (n + 1) for _ in range(count + 1)]
    best[0][0] = (0.0, 0)
    for k in range(1, count + 1):
        for i in range(k, n + 1):
            penalty = 0.0 if i == n or _good_break(units[i - 1], units[i]) else 0.15
            for j in range(i - 1, k - 2, -1):
                width = starts[i] - starts[j]
                if width > max_width:
                    break
                cost = best[k - 1][j][0] + ((target - width) / target) ** 2 + penalty
                if cost < best[k][i][0]:
                    best[k][i] = (cost, j)
    if best[count][n][0] == inf:
        return None
    breaks = [n]
    for k in range(count, 0, -1):
        breaks.append(best[k][breaks[-1]][1])
    return breaks[::-1]


# A line may well end after these: the end of a road, place or building name.
_BREAK_AFTER = set("路街道巷弄口与和及、园区镇乡村县市号楼栋门角侧处站场馆所院桥")


def _good_break(before: str, after: str) -> bool:
    return before[-1] in _BREAK_AFTER or before[-1] in _NO_LINE_START or before[-1] == " " or after[0] == " "


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
    ordered = sorted(sizes, reverse=True)
    # Text width grows in proportion to size; one measurement rules out the
    # sizes at which the text cannot fit however it is wrapped.
    per_px = fonts.load(font_file, ordered[0], weight).getlength(text) / ordered[0]
    for size in ordered:
        font = fonts.load(font_file, size, weight)
        line_height = round(size * leading)
        room = min(max_lines, max_height // line_height)
        if room < 1 or per_px * size > room * max_width * 1.02:
            continue
        lines = wrap(text, font, max_width)
        if len(lines) <= room and _widest(lines, font) <= max_width:
            return Fitted(font, lines, line_height)
    # Even the smallest size is too big: keep what fits and end with an ellipsis.
    lines = wrap(text, font, max_width)[: max(1, min(max_lines, max_height // line_height))]
    lines[-1] = _cut(lines[-1] + ELLIPSIS, font, max_width)
    return Fitted(font, lines, line_height)


def _widest(lines: list[str], font: ImageFont.FreeTypeFont) -> float:
    return max((font.getlength(line) for line in lines), default=0)


def _cut(line: str, font: ImageFont.FreeTypeFont, max_width: float) -> str:
    body = line.rstrip(ELLIPSIS)
    while body and font.getlength(body + ELLIPSIS) > max_width:
        body = body[:-1]
    return body + ELLIPSIS
