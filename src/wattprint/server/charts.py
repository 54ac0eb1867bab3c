"""The run page's chart: power over time stacked by component, as inline SVG.

No script and no font file: plain SVG elements, escaped text, sized by
``viewBox`` so the chart shrinks to a phone's width. The numbers drawn are
also given as a table beside the chart (the page's template).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from wattprint.report.render.svg import PALETTE

COMPONENTS = ("cpu", "gpu", "ram")


def _ticks(high: float) -> list[float]:
    return [high * k / 4 for k in range(5)]


def tick_text(value: float) -> str:
    """Return an axis label: three significant digits, never in e-notation."""
    text = f"{value:.3g}"
    if "e" in text:
        text = f"{value:.0f}" if abs(value) >= 1 else f"{value:.9f}".rstrip("0")
    return text


def stacked_power_chart(
    points: Sequence[tuple[float, Sequence[float]]],
    *,
    title: str,
    labels: Sequence[str] = COMPONENTS,
    width: int = 720,
    height: int = 300,
) -> str:
    """Return a stacked area chart of powers over time.

    Args:
        points: ``(seconds since the start, powers in W per label)``, time increasing;
            each is the mean power over the interval that ends there (drawn as a step
            from the previous point, or from 0 for the first).
        title: the chart's title (also its accessible name).
        labels: the name of each stacked series, bottom first.
        width: the drawing's width in SVG units.
        height: the drawing's height in SVG units.
    """
    left, right, top, bottom = 78, 90, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [x for x, _ in points]
    x0, x1 = (min(0.0, *xs), max(xs)) if xs else (0.0, 1.0)
    x1 = x1 if x1 > x0 else x0 + 1.0
    y1 = max((sum(ys) for _, ys in points), default=0.0)
    y1 = y1 if y1 > 0 else 1.0

    def px(x: float) -> float:
        return left + plot_w * (x - x0) / (x1 - x0)

    def py(y: float) -> float:
        return top + plot_h * (1 - y / y1)

    label = escape(title, quote=True)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{label}" class="chart" font-family="sans-serif" '
        f'font-size="12"><title>{escape(title)}</title>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="#555"/><line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" '
        'stroke="#555"/>',
    ]
    for value in _ticks(y1):
        parts.append(
            f'<text x="{left - 4}" y="{py(value) + 4:.2f}" text-anchor="end">'
            f"{tick_text(value)}</text>"
            f'<line x1="{left}" y1="{py(value):.2f}" x2="{left + plot_w}" y2="{py(value):.2f}" '
            'stroke="#ddd"/>'
        )
    for value in (x0 + (x1 - x0) * k / 3 for k in range(4)):
        parts.append(
            f'<text x="{px(value):.2f}" y="{top + plot_h + 16}" text-anchor="middle">'
            f"{tick_text(value)}</text>"
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.2f}" y="{height - 4}" text-anchor="middle">'
        "time since the start (s)</text>"
        f'<text x="12" y="{top + plot_h / 2:.2f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {top + plot_h / 2:.2f})">power (W)</text>'
    )
    below = [0.0] * len(points)
    for n, name in enumerate(labels):
        above = [b + ys[n] for b, (_, ys) in zip(below, points, strict=True)]
        colour = PALETTE[n % len(PALETTE)]
        if points and any(a > b for a, b in zip(above, below, strict=True)):
            upper = _steps([x for x, _ in points], above, x0)
            lower = _steps([x for x, _ in points], below, x0)
            shape = " ".join(f"{px(x):.2f},{py(y):.2f}" for x, y in upper + lower[::-1])
            parts.append(
                f'<polygon points="{shape}" fill="{colour}" fill-opacity="0.85" '
                f'data-series="{escape(name, quote=True)}"><title>{escape(name)}</title></polygon>'
            )
        parts.append(
            f'<rect x="{width - right + 10}" y="{top + 18 * n}" width="12" height="12" '
            f'fill="{colour}"/><text x="{width - right + 28}" y="{top + 18 * n + 11}">'
            f"{escape(name)}</text>"
        )
        below = above
    parts.append("</svg>")
    return "".join(parts)


def _steps(xs: Sequence[float], ys: Sequence[float], start: float) -> list[tuple[float, float]]:
    """Return the corners of a step line: each y held over the interval ending at its x."""
    corners: list[tuple[float, float]] = []
    before = start
    for x, y in zip(xs, ys, strict=True):
        corners += [(before, y), (x, y)]
        before = x
    return corners
