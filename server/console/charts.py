"""Inline SVG bar charts: no script, no external resource, legible on a wall screen."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    title: str = ""


def bar_chart(bars: list[Bar], *, height: int = 220, unit: str = "小时", label_every: int = 1,
              aria_label: str = "") -> Markup:
    """A vertical bar chart scaled to the largest value; each bar carries a tooltip with its value."""
    width = max(320, 36 * len(bars) + 60)
    top, bottom, left = 16, 40, 44
    plot_h = height - top - bottom
    plot_w = width - left - 10
    peak = max((b.value for b in bars), default=0) or 1
    step = plot_w / max(len(bars), 1)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(aria_label)}" xmlns="http://www.w3.org/2000/svg">']
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        parts.append(f'<line class="axis" x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(peak * fraction)}</text>')
    for i, bar in enumerate(bars):
        h = plot_h * (bar.value / peak)
        x = left + i * step + step * 0.15
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.7:.1f}" '
                     f'height="{h:.1f}"><title>{escape(bar.title or bar.label)}：{_fmt(bar.value)} {unit}'
                     f'</title></rect>')
        if i % label_every == 0:
            parts.append(f'<text x="{x + step * 0.35:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                         f'{escape(bar.label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
