"""How results and diagnoses look in a terminal (rich), and as JSON."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from wattprint.units_format import energy_range_text as e_range
from wattprint.units_format import energy_text, mass_text, water_text
from wattprint.units_format import mass_range_text as m_range

if TYPE_CHECKING:
    from wattprint.diagnose import Diagnosis
    from wattprint.results import RunResult
    from wattprint.tracking.tracker import Tracker


def escape(text: str) -> str:
    """Return ``text`` safe from rich markup (``wattprint[gpu]`` stays as written)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _bold(stream: TextIO) -> Callable[[str], str]:
    """Return how to write bold text on ``stream``: ANSI on a terminal, else as it is.

    The summary of ``wattprint run`` is written without rich (whose import
    costs more than the rest of the summary): ``NO_COLOR`` and ``TERM=dumb``
    turn bold off, ``FORCE_COLOR`` turns it on off a terminal, as rich does.
    """
    env = os.environ
    isatty = getattr(stream, "isatty", None)
    on = bool(env.get("FORCE_COLOR")) or (callable(isatty) and bool(isatty()))
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        on = False
    return (lambda text: f"\x1b[1m{text}\x1b[0m") if on else (lambda text: text)


def _energy(kwh: float) -> str:
    return energy_text(kwh)


def _mass(kg: float) -> str:
    return mass_text(kg)


def _range(
    value: float, low: float | None, high: float | None, show: Callable[[float, float, float], str]
) -> str:
    """Return ``, low–high`` in the unit ``value`` is written in ("" without bounds)."""
    if low is None or high is None or value <= 0:
        return ""
    return f", {show(value, low, high)}"


def _file_sink_types() -> tuple[type[Any], ...]:
    """Return the file sink classes loaded (a sink's class is loaded, and no other is needed)."""
    found = []
    for module, name in (
        ("wattprint.sinks.csv_file", "CsvSink"),
        ("wattprint.sinks.jsonl", "JsonLinesSink"),
    ):
        if module in sys.modules:
            found.append(getattr(sys.modules[module], name))
    return tuple(found)


def print_summary(result: RunResult, tracker: Tracker) -> None:
    """Print a short summary of a finished run to stderr."""
    out = sys.stderr
    bold = _bold(out)
    m = result.methodology
    parts = []
    for comp in m.components:
        if comp.method == "none":
            continue
        how = "measured" if comp.measured else "estimated"
        energy = getattr(result, f"{comp.component}_energy_kwh")
        parts.append(f"{comp.component.upper()} {_energy(energy)} ({comp.method}, {how})")
    i = m.intensity
    year = f" {i.year}" if i.year else ""
    r = result
    lines = [
        f"{bold('wattprint')} {result.status}: {result.duration_s:.1f} s, "
        f"{_energy(result.energy_kwh)}"
        f"{_range(result.energy_kwh, result.energy_kwh_low, result.energy_kwh_high, e_range)}, "
        f"{bold(_mass(result.emissions_kg) + ' CO2e')}"
        f"{_range(r.emissions_kg, r.emissions_kg_low, r.emissions_kg_high, m_range)} "
        f"at {i.intensity_g_per_kwh:g} g/kWh ({result.location.country_name}{year}, {i.source})"
        + (f" + {_mass(result.embodied_kg)} embodied" if result.embodied_kg else ""),
        "  " + "; ".join(parts) + f"; mode {result.mode}",
        f"  water {water_text(result.water_l)}; PUE {result.pue:g}; place: {result.location.how}",
    ]
    files = _file_sink_types()
    for sink in tracker.sinks:
        if isinstance(sink, files) and sink.written_to is not None:
            lines.append(f"  row written to {sink.written_to}")
    out.write("\n".join(lines) + "\n")
    out.flush()


def print_json(result: RunResult) -> None:
    """Print the whole result as JSON on stdout."""
    import json

    from wattprint.records.run_dict import run_to_dict

    print(json.dumps(run_to_dict(result), indent=2))


def print_diagnosis(d: Diagnosis) -> None:
    """Print ``wattprint doctor``'s report."""
    from rich.table import Table

    c = _console()
    cpu = d.cpu
    c.print("[bold]Hardware[/bold]")
    c.print(
        f"  CPU: {cpu['brand']} ({cpu['sockets']} socket(s), {cpu['logical_cpus']} threads, "
        f"{cpu['usable_cpus']:g} usable{'; ' + str(cpu['limit']) if cpu['limit'] else ''})"
    )
    c.print(f"  TDP: {escape(str(cpu['tdp_detail']))}")
    c.print(f"  RAM: {d.ram_total_gib:g} GiB")
    if not d.gpus:
        c.print(
            "  GPUs: none found (NVIDIA needs its driver and "
            + escape('pip install "wattprint[gpu]"')
            + "; AMD needs ROCm's amdsmi)"
        )
    for gpu in d.gpus:
        if "error" in gpu:
            c.print(f"  GPU ({gpu['vendor']}): {escape(str(gpu['error']))}")
            continue
        limit = gpu.get("power_limit_w")
        c.print(
            f"  GPU {gpu.get('index')}: {gpu.get('name')} ({gpu.get('uuid')}), driver "
            f"{gpu.get('driver_version')}, energy counter: "
            f"{'yes' if gpu.get('energy_counter') else 'no'}, method: {gpu.get('method')}"
            + (f", power limit {limit:g} W" if isinstance(limit, (int, float)) else "")
            + ("" if gpu.get("selected", True) else " (not selected)")
        )
    table = Table(title="Power sources, in order of preference", title_justify="left")
    for col in ("probe", "serves", "status", "why"):
        table.add_column(col)
    for p in d.probes:
        style = {"used": "green", "available": "yellow"}.get(p.status, "red")
        table.add_row(
            p.probe, ", ".join(p.components), f"[{style}]{p.status}[/{style}]", escape(p.reason)
        )
    c.print(table)
    c.print("[bold]Methods that a run would use[/bold]")
    for component, method in d.methods.items():
        c.print(f"  {component}: {method}")
    loc, inten = d.location, d.intensity
    c.print("[bold]Location and intensity[/bold]")
    c.print(f"  {loc['name']} ({loc['country']}): {escape(str(loc['how']))}")
    c.print(
        f"  {inten['g_per_kwh']} gCO2e/kWh, {inten['kind']}, {inten['source']} "
        f"{inten['year'] or ''}"
    )
    if d.advice:
        c.print("[bold]How to improve accuracy[/bold]")
        for line in d.advice:
            c.print(f"  - {escape(line)}")
