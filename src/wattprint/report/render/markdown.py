"""The report as Markdown, one headed section after another.

Totals, components, tasks, runs, per unit, equivalents, what-if,
methodology, data sources and uncertainty, mostly as tables. The HTML page
renders the same sections, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from wattprint.advice.ranking import RankedPlace
from wattprint.impact.equivalents import say
from wattprint.report.model import Report
from wattprint.report.render import text as t

MAX_LISTED = 5
"""Per-run explanations listed at most in a section (the JSON report has them all)."""

_COMPONENT_NAMES = {"cpu": "CPU", "gpu": "GPU", "ram": "Memory"}


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """Return a Markdown table's lines."""
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines + [""]


def _places(title: str, places: Sequence[RankedPlace]) -> list[str]:
    if not places:
        return []
    kg = t.mass_unit([p.emissions_kg for p in places] + [p.saving_kg for p in places])
    rows = [
        (
            p.name + (f" ({p.key})" if p.key != p.name else ""),
            t.intensity(p.intensity_g_per_kwh),
            t.in_unit(p.emissions_kg, kg, suffix=" CO2e"),
            t.in_unit(p.saving_kg, kg),
            t.percent(p.saving_percent),
            p.source,
        )
        for p in places
    ]
    header = ("Place", "Intensity", "Emissions", "Saving", "Saving %", "Source")
    return [f"**{title}**", "", *table(header, rows)]


def _totals(r: Report) -> list[str]:
    s = r.totals
    rows = [
        ("Runs", f"{s.runs} ({s.runs_counted} counted)"),
        ("Duration", t.duration(s.duration_s)),
        (
            "Energy (facility: IT x PUE)",
            f"{t.energy_range(s.energy_kwh, s.energy_kwh_low, s.energy_kwh_high)} "
            f"(IT {t.energy(s.it_energy_kwh)})",
        ),
        (
            "Emissions (operational)",
            t.mass_range(s.emissions_kg, s.emissions_kg_low, s.emissions_kg_high),
        ),
        ("Grid intensity (energy-weighted mean)", t.intensity(s.intensity_g_per_kwh)),
        ("Embodied (hardware share)", t.mass(s.embodied_kg)),
        ("Total (operational + embodied)", t.mass(s.total_kg)),
        ("Water", t.water(s.water_l)),
    ]
    if s.first_started_at or s.last_ended_at:
        rows.append(("Period", f"{t.when(s.first_started_at)} to {t.when(s.last_ended_at)}"))
    return ["## Totals", "", *table(("Figure", "Value"), rows)]


def _components(r: Report) -> list[str]:
    kwh = t.energy_unit([c.it_energy_kwh for c in r.components])
    rows = [
        (
            _COMPONENT_NAMES.get(c.component, c.component),
            t.in_unit(c.it_energy_kwh, kwh),
            t.percent(c.share_percent),
            ", ".join(c.methods),
            c.how,
        )
        for c in r.components
    ]
    header = ("Component", "Energy (IT)", "Share", "Method", "Measured?")
    return ["## By component", "", *table(header, rows)]


def _tasks(r: Report) -> list[str]:
    if not r.tasks:
        return ["## By task", "", "No task was recorded (tasks come from JSON-lines files).", ""]
    kwh = t.energy_unit([k.energy_kwh for k in r.tasks])
    kg = t.mass_unit([k.emissions_kg for k in r.tasks])
    rows = [
        (
            (k.run_id or "")[:8],
            k.name,
            t.duration(k.duration_s),
            t.in_unit(k.energy_kwh, kwh),
            t.in_unit(k.emissions_kg, kg, suffix=" CO2e"),
            t.percent(k.share_percent),
        )
        for k in r.tasks
    ]
    header = ("Run", "Task", "Duration", "Energy", "Emissions", "Share of run")
    return ["## By task", "", *table(header, rows)]


def _runs(r: Report) -> list[str]:
    kwh = t.energy_unit([run.energy_kwh for run in r.runs])
    kg = t.mass_unit([run.emissions_kg for run in r.runs])
    rows = [
        (
            (run.run_id or "(no id)")[:8],
            t.text(run.project),
            t.when(run.started_at or run.ended_at),
            t.duration(run.duration_s),
            t.in_unit(run.energy_kwh, kwh, run.energy_kwh_low, run.energy_kwh_high),
            t.in_unit(run.emissions_kg, kg, run.emissions_kg_low, run.emissions_kg_high,
                      suffix=" CO2e"),  # fmt: skip
            t.intensity(run.inputs.intensity_g_per_kwh),
            t.text(run.place.country_name),
            run.origin if run.counted else f"{run.origin} (not counted)",
        )
        for run in r.runs
    ]
    header = (
        "Run",
        "Project",
        "When",
        "Duration",
        "Energy",
        "Emissions",
        "Intensity",
        "Place",
        "Record",
    )
    more = (
        [
            "",
            f"The first {len(r.runs)} runs are listed; {r.runs_not_listed} more are "
            "counted in the totals, not listed.",
        ]
        if r.runs_not_listed
        else []
    )
    return ["## Runs", "", *table(header, rows), *more]


def _per_unit(r: Report) -> list[str]:
    u = r.per_unit
    if u is None:
        own = [
            f"- run {(run.run_id or run.origin)[:8]}: {t.mass(run.sci.g_per_unit / 1000)} "
            f"and {t.energy(run.sci.energy_kwh_per_unit)} per {run.sci.unit}"
            for run in r.runs
            if run.sci is not None
        ]
        return [
            "## Per unit",
            "",
            r.per_unit_note[0].upper() + r.per_unit_note[1:] + ".",
            "",
            *own,
            "",
        ]
    rows = [
        ("SCI (operational + embodied)", f"{t.mass(u.g_per_unit / 1000)} per {u.unit}"),
        ("Energy", f"{t.energy(u.energy_kwh_per_unit)} per {u.unit}"),
        ("Water", f"{t.water(u.water_l_per_unit)} per {u.unit}"),
        ("Functional units", r.per_unit_note),
    ]
    return ["## Per unit", "", *table(("Figure", "Value"), rows)]


def _equivalents(r: Report) -> list[str]:
    rows = [
        (
            say(e),
            f"{t.count(e.value)} {e.factor.unit}",
            e.factor.basis,
            f"{e.factor.source} ({e.factor.year})",
        )
        for e in r.equivalents
    ]
    header = ("As much as", "Count", "Compares", "Source")
    return ["## Equivalents", "", *table(header, rows)]


def _what_if(r: Report) -> list[str]:
    w = r.what_if
    if w is None:
        return ["## What if", "", "No what-if: the energy is zero or unknown.", ""]
    lines = [
        "## What if",
        "",
        f"The same {t.energy(w.energy_kwh)}, used elsewhere or at another time of year, "
        f"instead of {t.mass(w.current_emissions_kg)} at {t.intensity(w.current_g_per_kwh)} "
        "(a negative saving is an increase):",
        "",
    ]
    lines += _places("Cleanest countries", w.countries_best)
    lines += _places("Dirtiest countries", w.countries_worst)
    provider = "every provider" if w.cloud_provider == "all" else w.cloud_provider
    lines += _places(f"Cleanest cloud regions ({provider})", w.cloud_best)
    lines += _places(f"Dirtiest cloud regions ({provider})", w.cloud_worst)
    lines += _places("Same place, cleanest and dirtiest month of the last twelve", w.months)
    lines += [f"- {n}" for n in w.notes] + ([""] if w.notes else [])
    return lines


def _methodology(r: Report) -> list[str]:
    m = r.methodology
    lines = ["## Methodology", "", "**What was measured, what was estimated**", ""]
    for c in m.components:
        how = (
            "not tracked"
            if c.method == "none"
            else "measured"
            if c.measured
            else "estimated"
            if c.measured is False
            else "measured or estimated: unknown"
        )
        extra = "; ".join(x for x in (c.detail, c.attribution) if x)
        name = _COMPONENT_NAMES.get(c.component, c.component)
        lines.append(
            f"- {name}: `{c.method}`, {how}"
            + (f" ({extra})" if extra else "")
            + f" [{c.runs} run(s)]"
        )
    lines += ["", "**Grid carbon intensity**", ""]
    for i in m.intensities:
        facts = ", ".join(x for x in (t.text(i.year), i.kind or "kind unknown") if x)
        lines.append(
            f"- {i.source} ({facts})"
            + (f": {i.detail}" if i.detail else "")
            + f" [{i.runs} run(s)]"
        )
    lines += ["", "**Place, PUE and water**", ""]
    lines += [f"- Place: {p}" for p in m.places]
    lines += [f"- {p}" for p in m.pue]
    lines += [f"- Water: {w}" for w in m.water]
    lines += ["", "**Embodied emissions**", ""]
    assumed = dict.fromkeys(a for run in r.runs if run.embodied for a in run.embodied.assumptions)
    if not assumed:
        lines.append("- not estimated: no run records its memory size and duration")
    else:
        lines.append("- SCI share: M = machine total x duration / lifetime x reserved share")
        shown = list(assumed)[:MAX_LISTED]
        lines += [f"- {a}" for a in shown]
        if len(assumed) > len(shown):
            lines.append(f"- ... and {len(assumed) - len(shown)} more (see the JSON report)")
    lines += ["", f"**Records** from {', '.join(m.tools)}", ""]
    if m.unknown:
        lines.append("- Unknown in the files: " + ", ".join(m.unknown))
    lines += [f"- {n}" for n in m.notes]
    return lines + [""]


def _sources(r: Report) -> list[str]:
    rows = [(s.name, t.text(s.year), s.licence, s.used_for) for s in r.sources]
    return ["## Data sources", "", *table(("Source", "Year", "Licence", "Used for"), rows)]


def _head(r: Report) -> list[str]:
    inputs = ", ".join(f"`{i.path}` (sha256 {i.sha256[:12]}...)" for i in r.scope.inputs)
    made = f"Made by {r.generator or 'wattprint'} on {r.generated_at}"
    lines = [f"# {r.title}", "", made + (f" from {inputs}" if inputs else "") + ".", ""]
    others = [tool for tool in r.methodology.tools if not tool.startswith("wattprint")]
    if others:
        lines += [f"Figures as computed by {', '.join(r.methodology.tools)} (as recorded).", ""]
    return lines


def _advice(r: Report) -> list[str]:
    if not r.advice:
        return []
    return ["## Advice", "", *(f"{i}. {a}" for i, a in enumerate(r.advice, start=1)), ""]


def _uncertainty(r: Report) -> list[str]:
    return ["## Uncertainty", "", *(f"- {u}" for u in r.uncertainty), ""]


SECTIONS = (
    ("head", _head),
    ("totals", _totals),
    ("advice", _advice),
    ("components", _components),
    ("tasks", _tasks),
    ("runs", _runs),
    ("per_unit", _per_unit),
    ("equivalents", _equivalents),
    ("what_if", _what_if),
    ("methodology", _methodology),
    ("sources", _sources),
    ("uncertainty", _uncertainty),
)
"""The report's sections in order, each a name and a function giving its lines."""


def render_markdown(report: Report) -> str:
    """Return the whole report as a Markdown document."""
    return "\n".join(line for _, part in SECTIONS for line in part(report))
