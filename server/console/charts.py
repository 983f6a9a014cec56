"""Inline SVG charts: no script, no external resource, legible on a laptop and a wall screen.

Both charts draw in a fixed 640-unit-wide box so text keeps one size whatever
the number of bars; the box scales with the page.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 640


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    title: str = ""


def nice_ceiling(value: float) -> float:
    """The axis maximum: 1, 2, 2.5 or 5 times a power of ten, at or above the value."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _tooltip(bar: Bar, unit: str) -> str:
    return f"<title>{escape(bar.title or bar.label)}：{_fmt(bar.value)} {unit}</title>"


def column_chart(bars: list[Bar], *, unit: str = "小时", label_every: int = 1, aria_label: str = "") -> Markup:
    """Vertical bars, e.g. hours per day."""
    height, top, bottom, left, right = 240, 12, 28, 40, 8
    plot_h, plot_w = height - top - bottom, WIDTH - left - right
    peak = nice_ceiling(max((b.value for b in bars), default=0))
    step = plot_w / max(len(bars), 1)
    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(aria_label)}" '
           f'xmlns="http://www.w3.org/2000/svg">']
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        out.append(f'<line class="axis" x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(peak * fraction)}</text>')
    for i, bar in enumerate(bars):
        h = plot_h * bar.value / peak
        x = left + i * step + step * 0.15
        out.append(f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.7:.1f}" '
                   f'height="{h:.1f}">{_tooltip(bar, unit)}</rect>')
        if i % label_every == 0:
            out.append(f'<text x="{x + step * 0.35:.1f}" y="{height - 8}" text-anchor="middle">'
                       f'{escape(bar.label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def bar_chart(bars: list[Bar], *, unit: str = "小时", aria_label: str = "") -> Markup:
    """Horizontal bars with the label on the left, e.g. hours per unit (long Chinese names fit)."""
    row, top, label_w, value_w = 28, 4, 170, 60
    height = top * 2 + row * max(len(bars), 1)
    plot_w = WIDTH - label_w - value_w
    peak = nice_ceiling(max((b.value for b in bars), default=0))
    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(aria_label)}" '
           f'xmlns="http://www.w3.org/2000/svg">']
    for i, bar in enumerate(bars):
        y = top + i * row
        w = plot_w * bar.value / peak
        label = bar.label if len(bar.label) <= 11 else bar.label[:10] + "…"
        out.append(f'<text x="{label_w - 8}" y="{y + row * 0.65:.1f}" text-anchor="end">{escape(label)}</text>'
                   f'<rect class="bar" x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row - 10}">'
                   f'{_tooltip(bar, unit)}</rect>'
                   f'<text x="{label_w + w + 6:.1f}" y="{y + row * 0.65:.1f}">{_fmt(bar.value)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
