r"""The report as a LaTeX snippet a paper can ``\input``.

One sentence and a small table: hardware, duration, energy, PUE, grid
intensity and its source, emissions; then a citation of wattprint
(``\cite{wattprint}``, with the BibTeX entry to add in a comment at the
top). The snippet uses no package, so it compiles in any standard document
class; every text from the data is escaped.
"""

from __future__ import annotations

from wattprint.report.model import Report
from wattprint.report.render import text as t
from wattprint.report.runs import RunLine

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "µ": r"$\mu$",
    "×": r"$\times$",
    "³": r"$^3$",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def tex(value: object) -> str:
    """Return ``value`` as LaTeX text, its special characters escaped."""
    return "".join(_SPECIAL.get(ch, ch) for ch in str(value))


def _figure(value: str) -> str:
    """Return ``12.3 mWh`` as ``12.3~mWh`` (no line break inside a figure)."""
    return tex(value).replace(" ", "~", 1)


def _co2(kg: float | None) -> str:
    return _figure(t.mass(kg, "")) + "~CO$_2$e" if kg is not None else "unknown"


def _co2_range(kg: float | None, low: float | None, high: float | None) -> str:
    """Return ``2.1~kg~CO$_2$e, 1.4--3.3`` (the range in the figure's unit)."""
    bounds = t.mass_range(kg, low, high, "").removeprefix(t.mass(kg, ""))
    return _co2(kg) + tex(bounds).replace("–", "--")


def _energy_range(kwh: float | None, low: float | None, high: float | None) -> str:
    bounds = t.energy_range(kwh, low, high).removeprefix(t.energy(kwh))
    return _figure(t.energy(kwh)) + tex(bounds).replace("–", "--")


def _hardware(run: RunLine) -> str:
    h = run.host
    parts = [
        f"{h.cpu_model or 'unknown CPU'}"
        + (f" ({h.cpu_count} logical CPUs)" if h.cpu_count else ""),
    ]
    if h.gpu_count:
        parts.append(f"{h.gpu_count} x {h.gpu_model or 'GPU'}")
    if h.ram_total_gb is not None:
        parts.append(f"{h.ram_total_gb:.1f} GB of memory")
    return ", ".join(parts)


def _distinct(values: list[str]) -> str:
    unique = list(dict.fromkeys(v for v in values if v))
    return "; ".join(unique) if unique else "unknown"


def _how_known(report: Report) -> str:
    """Say which energy was measured by hardware counters and which was estimated."""
    parts = [
        f"{c.component.upper() if c.component != 'ram' else 'memory'} {c.how}"
        for c in report.components
        if c.how not in ("not tracked",) and c.it_energy_kwh > 0
    ]
    return f" ({tex(', '.join(parts))} energy)" if parts else ""


def _codecarbon_versions(report: Report) -> list[str]:
    """Return the CodeCarbon versions that computed some of the report's figures."""
    return [
        tool.split(" ", 1)[1] if " " in tool else "unknown"
        for tool in report.methodology.tools
        if tool.lower().startswith("codecarbon")
    ]


def _credit(report: Report, version: str, *, cite: bool = True) -> str:
    """Name the tools that computed the figures: CodeCarbon's rows are CodeCarbon's."""
    tools = report.methodology.tools
    parts = [
        f"CodeCarbon~{tex(v)}" + ("~\\cite{codecarbon}" if cite else "")
        for v in _codecarbon_versions(report)
    ]
    if not parts or any(tool.startswith("wattprint") for tool in tools):
        parts.append(f"wattprint~{tex(version)}" + ("~\\cite{wattprint}" if cite else ""))
    credit = " and ".join(parts)
    if cite and _codecarbon_versions(report) and not any(t.startswith("wattprint") for t in tools):
        credit += f" (reported with wattprint~{tex(version)})"
    return credit


def _codecarbon_bib(report: Report) -> list[str]:
    """Return the BibTeX entry of CodeCarbon, commented, when it computed figures."""
    versions = _codecarbon_versions(report)
    if not versions:
        return []
    return [
        "% @software{codecarbon,",
        "%   title   = {CodeCarbon: estimate and track carbon emissions from machine learning},",
        "%   author  = {{The CodeCarbon developers}},",
        f"%   version = {{{', '.join(versions)}}},",
        "%   url     = {https://github.com/mlco2/codecarbon},",
        "% }",
    ]


def render_latex(report: Report) -> str:
    """Return the LaTeX snippet of the report."""
    s = report.totals
    counted = [r for r in report.runs if r.counted] or list(report.runs)
    version = report.generator.removeprefix("wattprint ").strip() or "unknown"
    hardware = tex(_distinct([_hardware(r) for r in counted]))
    pue = tex(_distinct([f"{r.inputs.pue:g}" for r in counted]))
    sources = _distinct(
        [
            (r.inputs.intensity_source or "implied by the recorded emissions")
            + (f", {r.inputs.intensity_year}" if r.inputs.intensity_year else "")
            for r in counted
        ]
    )
    places = _distinct([r.place.country_name or "" for r in counted])
    intensity = (
        f"{s.intensity_g_per_kwh:.4g}~gCO$_2$e/kWh"
        if s.intensity_g_per_kwh is not None
        else "unknown"
    )
    runs = "The experiment" if s.runs_counted == 1 else f"The {s.runs_counted} runs"
    sentence = (
        f"{runs} ran for {_figure(t.duration(s.duration_s))} on {hardware}, using "
        f"{_energy_range(s.energy_kwh, s.energy_kwh_low, s.energy_kwh_high)} of electricity "
        f"(PUE {pue}). At a grid carbon "
        f"intensity of {intensity} ({tex(places)}; {tex(sources)}), this amounts to "
        f"{_co2_range(s.emissions_kg, s.emissions_kg_low, s.emissions_kg_high)} "
        "(the range from each method's stated accuracy), as computed with "
        f"{_credit(report, version)}"
        f"{_how_known(report)}."
    )
    rows = [
        ("Hardware", hardware),
        ("Duration", _figure(t.duration(s.duration_s))),
        ("Energy (incl.\\ PUE)", _energy_range(s.energy_kwh, s.energy_kwh_low, s.energy_kwh_high)),
        ("PUE", pue),
        ("Carbon intensity", intensity),
        ("Intensity source", tex(sources)),
        ("Emissions", _co2_range(s.emissions_kg, s.emissions_kg_low, s.emissions_kg_high)),
    ]
    year = report.generated_at[:4]
    lines = [
        f"% Energy and carbon footprint, made by {tex(report.generator or 'wattprint')} on "
        f"{report.generated_at}.",
        "% \\input{} this file; it needs no package. Add this entry to your .bib file:",
        "% @software{wattprint,",
        "%   title   = {wattprint: energy, carbon and water footprint of running code},",
        "%   author  = {{The wattprint developers}},",
        f"%   version = {{{version}}},",
        f"%   year    = {{{year}}},",
        "% }",
        *_codecarbon_bib(report),
        sentence,
        "",
        "\\begin{table}[htbp]",
        "  \\centering",
        f"  \\caption{{Energy and carbon footprint ({_credit(report, version, cite=False)}).}}",
        "  \\label{tab:wattprint-footprint}",
        "  \\begin{tabular}{lp{0.6\\linewidth}}",
        "    \\hline",
        *(f"    {name} & {value} \\\\" for name, value in rows),
        "    \\hline",
        "  \\end{tabular}",
        "\\end{table}",
        "",
    ]
    return "\n".join(lines)
