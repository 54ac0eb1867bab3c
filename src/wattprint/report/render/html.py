"""The report as one self-contained HTML page, with charts drawn as inline SVG.

The page's text is the Markdown report's, section by section (rendered with
``markdown-it-py``, which comes with ``rich``; raw HTML in the data is
escaped), each section followed by its chart: power over time by component
(only for runs that carry a power series), energy by component, emissions by
task, and the what-if by place. Styles are inline and a Content Security
Policy forbids every fetch, so the file opens the same with no network.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from wattprint.report.model import Report
from wattprint.report.render import text as t
from wattprint.report.render.markdown import SECTIONS
from wattprint.report.render.svg import Bar, Line, bar_chart, line_chart

MAX_SERIES_CHARTS = 5
"""Power-over-time charts drawn at most (one per run with a series)."""

_STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;
background:#f6f7f5;color:#1d2420}
main{max-width:980px;margin:0 auto;padding:24px 32px;background:#fff}
h1{color:#2f6f4f;border-bottom:3px solid #2f6f4f;padding-bottom:6px}
h2{color:#2f6f4f;margin-top:32px;border-bottom:1px solid #cfd8d2}
table{border-collapse:collapse;margin:8px 0 16px;font-size:14px}
th,td{border:1px solid #cfd8d2;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef3ef}
code{background:#eef3ef;padding:0 3px}
svg.chart{max-width:760px;display:block;margin:8px 0 20px}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _series_charts(r: Report) -> str:
    charts = []
    for run in [run for run in r.runs if run.series][:MAX_SERIES_CHARTS]:
        names = sorted({name for p in run.series for name, _ in p.power_w})
        lines = [
            Line(
                name.upper(),
                tuple((p.elapsed_s, w) for p in run.series for n, w in p.power_w if n == name),
            )
            for name in names
        ]
        charts.append(
            line_chart(
                lines,
                title=f"Power over time by component, run {(run.run_id or run.origin)[:8]}",
                x_label="time since the start (s)",
                y_label="power (W)",
            )
        )
    return "".join(charts)


def _component_chart(r: Report) -> str:
    bars = [
        Bar(c.component.upper(), c.it_energy_kwh, f"{t.energy(c.it_energy_kwh)}, {c.how}")
        for c in r.components
        if c.it_energy_kwh > 0 or c.how != "not tracked"
    ]
    return bar_chart(bars, title="Energy by component (IT energy)") if bars else ""


def _task_chart(r: Report) -> str:
    bars = [
        Bar(f"{k.name} ({(k.run_id or '')[:8]})", k.emissions_kg, t.mass(k.emissions_kg))
        for k in r.tasks
    ]
    return bar_chart(bars, title="Emissions by task") if bars else ""


def _what_if_chart(r: Report) -> str:
    w = r.what_if
    if w is None:
        return ""
    bars = [Bar("As run", w.current_emissions_kg, t.mass(w.current_emissions_kg), True)]
    seen = set()
    for place in (
        *w.months,
        *w.countries_best,
        *w.countries_worst,
        *w.cloud_best,
        *w.cloud_worst,
    ):
        if place.key in seen:
            continue
        seen.add(place.key)
        name = place.name if place.key in place.name else f"{place.name} ({place.key})"
        bars.append(Bar(name, place.emissions_kg, t.mass(place.emissions_kg)))
    return bar_chart(bars, title="What if: the same energy elsewhere, emissions by place")


_CHARTS: dict[str, Callable[[Report], str]] = {
    "totals": _series_charts,
    "components": _component_chart,
    "tasks": _task_chart,
    "what_if": _what_if_chart,
}


def render_html(report: Report) -> str:
    """Return the report as a complete HTML document (UTF-8, no external resource)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    body = []
    for name, part in SECTIONS:
        body.append(md.render("\n".join(part(report))))
        chart = _CHARTS.get(name)
        if chart is not None:
            body.append(chart(report))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="{escape(report.generator or "wattprint")}">'
        f"<title>{escape(report.title)}</title><style>{_STYLE}</style></head>\n"
        f"<body><main>\n{''.join(body)}</main></body></html>\n"
    )
