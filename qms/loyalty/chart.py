"""Bar charts drawn on the server as SVG: no script, nothing fetched, fits the CSP."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | None  # a share, 0..1; None: nothing to measure
    text: str


def bar_chart(bars: list[Bar], title: str, width: int = 440, height: int = 200) -> str:
    """An SVG bar chart of shares (0..1), each bar labelled with its text and period."""
    from markupsafe import escape

    left, bottom, top = 8, 28, 22
    inner = height - bottom - top
    step = (width - 2 * left) / max(len(bars), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-label="{escape(title)}">',
        f'<text x="{left}" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - left}" y2="{height - bottom}" '
        'stroke="#888" stroke-width="1"/>',
    ]
    for i, bar in enumerate(bars):
        x = left + i * step + step * 0.15
        w = step * 0.7
        share = float(bar.value) if bar.value is not None else 0.0
        h = max(inner * min(share, 1.0), 0)
        y = height - bottom - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="#3b6ea5"/>'
        )
        parts.append(
            f'<text x="{x + w / 2:.1f}" y="{y - 3:.1f}" font-size="10" '
            f'text-anchor="middle">{escape(bar.text)}</text>'
        )
        parts.append(
            f'<text x="{x + w / 2:.1f}" y="{height - bottom + 14:.1f}" font-size="10" '
            f'text-anchor="middle">{escape(bar.label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
