"""Small charts as inline SVG: horizontal bars and lines over time.

The charts need no script, font file or network: plain SVG elements with a
``<title>`` and an ``aria-label`` for screen readers, sized by ``viewBox`` so
they scale with the page. Every text is XML-escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#2f6f4f", "#d08c2f", "#3b6ea8", "#a8443b", "#7a5ea8", "#5e8f2f")
"""Colours, one per series (green, amber, blue, red, violet, olive)."""

HIGHLIGHT = "#a8443b"
"""The colour of a highlighted bar (e.g. the runs' own emissions in a what-if)."""


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label, its value (>= 0) and the text written beside it."""

    label: str
    value: float
    text: str
    highlight: bool = False


@dataclass(frozen=True, slots=True)
class Line:
    """One series: a label and ``(x, y)`` points, x increasing."""

    label: str
    points: tuple[tuple[float, float], ...]


SHORT_INTERVAL = 0.25
"""An interval shorter than this share of the median one is merged into the next."""


def merge_short_intervals(
    points: Sequence[tuple[float, float]],
) -> tuple[tuple[float, float], ...]:
    """Merge the points of very short intervals into the next, keeping the energy.

    Each point is a mean power over the interval that ends at its x (seconds
    since the start). A task that starts or ends takes a sample of its own,
    so the series holds intervals of a few milliseconds, over which a counter
    read at the procfs floor may not have moved: drawn as they are, they drop
    the line to 0 W at every task boundary. Such an interval (shorter than
    :data:`SHORT_INTERVAL` times the median) is merged into the next one, its
    power weighted by its length, so the area under the line (the energy) is
    the same and the chart shows what the hardware drew.
    """
    if len(points) < 3:
        return tuple(points)
    lengths = [b[0] - a[0] for a, b in zip(points, points[1:], strict=False)]
    median = sorted(lengths)[len(lengths) // 2]
    merged: list[tuple[float, float]] = [points[0]]
    carried_s, carried_j = 0.0, 0.0
    for (x_before, _), (x, y) in zip(points, points[1:], strict=False):
        length = x - x_before
        if length < SHORT_INTERVAL * median and x != points[-1][0]:
            carried_s += length
            carried_j += y * length
            continue
        total_s = carried_s + length
        power = (carried_j + y * length) / total_s if total_s > 0 else y
        merged.append((x, power))
        carried_s, carried_j = 0.0, 0.0
    return tuple(merged)


def _open(title: str, width: int, height: int) -> str:
    label = escape(title, quote=True)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{label}" class="chart" '
        f'font-family="sans-serif" font-size="12"><title>{escape(title)}</title>'
    )


def bar_chart(bars: Sequence[Bar], *, title: str, width: int = 720) -> str:
    """Return a horizontal bar chart; bars are scaled to the largest value."""
    label_w, text_w, row_h, top = 230, 170, 22, 26
    height = top + row_h * len(bars) + 8
    plot_w = width - label_w - text_w
    biggest = max((b.value for b in bars), default=0.0)
    parts = [_open(title, width, height)]
    parts.append(f'<text x="0" y="16" font-weight="bold">{escape(title)}</text>')
    for n, bar in enumerate(bars):
        y = top + n * row_h
        length = plot_w * bar.value / biggest if biggest > 0 else 0.0
        colour = HIGHLIGHT if bar.highlight else PALETTE[0]
        label = bar.label if len(bar.label) <= 34 else bar.label[:33] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{length:.2f}" height="{row_h - 6}" '
            f'fill="{colour}"><title>{escape(bar.label)}: {escape(bar.text)}</title></rect>'
            f'<text x="{label_w + length + 6:.2f}" y="{y + 15}">{escape(bar.text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _ticks(low: float, high: float) -> list[float]:
    """Return four evenly spaced values from ``low`` to ``high``, ends included."""
    return [low + (high - low) * k / 3 for k in range(4)]


def tick_label(value: float) -> str:
    """Return an axis label a reader takes in at once: ``30,000`` and ``0.25``, never ``3e+04``."""
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.4g}"
    return f"{value:.3g}" if abs(value) >= 1e-4 else f"{value:.1e}"


def line_chart(
    lines: Sequence[Line],
    *,
    title: str,
    x_label: str,
    y_label: str,
    width: int = 720,
    height: int = 280,
) -> str:
    """Return a line chart of every series on shared axes, with a legend.

    Each series' points are mean powers over the interval ending at x; very
    short intervals are merged into the next (see :func:`merge_short_intervals`).
    """
    left, right, top, bottom = 60, 110, 28, 40
    xs = [x for line in lines for x, _ in line.points]
    ys = [y for line in lines for _, y in line.points]
    x0, x1 = (min(xs), max(xs)) if xs else (0.0, 1.0)
    y1 = max(ys) if ys else 1.0
    x1 = x1 if x1 > x0 else x0 + 1.0
    y1 = y1 if y1 > 0 else 1.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + plot_w * (x - x0) / (x1 - x0)

    def py(y: float) -> float:
        return top + plot_h * (1 - y / y1)

    parts = [_open(title, width, height)]
    parts.append(f'<text x="0" y="16" font-weight="bold">{escape(title)}</text>')
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="#555"/><line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" '
        'stroke="#555"/>'
    )
    for value in _ticks(0.0, y1):
        parts.append(
            f'<text x="{left - 4}" y="{py(value) + 4:.2f}" text-anchor="end">'
            f"{tick_label(value)}</text>"
            f'<line x1="{left}" y1="{py(value):.2f}" x2="{left + plot_w}" y2="{py(value):.2f}" '
            'stroke="#ddd"/>'
        )
    for value in _ticks(x0, x1):
        parts.append(
            f'<text x="{px(value):.2f}" y="{top + plot_h + 16}" text-anchor="middle">'
            f"{tick_label(value)}</text>"
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.2f}" y="{height - 4}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text x="12" y="{top + plot_h / 2:.2f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {top + plot_h / 2:.2f})">{escape(y_label)}</text>'
    )
    for n, line in enumerate(lines):
        colour = PALETTE[n % len(PALETTE)]
        shown = merge_short_intervals(line.points)
        points = " ".join(f"{px(x):.2f},{py(y):.2f}" for x, y in shown)
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2">'
            f"<title>{escape(line.label)}</title></polyline>"
            f'<rect x="{width - right + 10}" y="{top + 18 * n}" width="12" height="12" '
            f'fill="{colour}"/><text x="{width - right + 28}" y="{top + 18 * n + 11}">'
            f"{escape(line.label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
