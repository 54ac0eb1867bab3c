"""How results and diagnoses look in a terminal (rich), and as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from wattprint.diagnose import Diagnosis
from wattprint.results import RunResult
from wattprint.sinks.csv_file import CsvSink
from wattprint.sinks.jsonl import JsonLinesSink
from wattprint.tracking.tracker import Tracker
from wattprint.units_format import energy_range_text as e_range
from wattprint.units_format import energy_text, mass_text, water_text
from wattprint.units_format import mass_range_text as m_range


def escape(text: str) -> str:
    """Return ``text`` safe from rich markup (``wattprint[gpu]`` stays as written)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


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


def print_summary(result: RunResult, tracker: Tracker) -> None:
    """Print a short summary of a finished run to stderr."""
    c = _console(stderr=True)
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
    c.print(
        f"[bold]wattprint[/bold] {result.status}: {result.duration_s:.1f} s, "
        f"{_energy(result.energy_kwh)}"
        f"{_range(result.energy_kwh, result.energy_kwh_low, result.energy_kwh_high, e_range)}, "
        f"[bold]{_mass(result.emissions_kg)} CO2e[/bold]"
        f"{_range(r.emissions_kg, r.emissions_kg_low, r.emissions_kg_high, m_range)} "
        f"at {i.intensity_g_per_kwh:g} g/kWh ({result.location.country_name}{year}, {i.source})"
        + (f" + {_mass(result.embodied_kg)} embodied" if result.embodied_kg else "")
    )
    c.print("  " + "; ".join(parts) + f"; mode {result.mode}")
    c.print(
        f"  water {water_text(result.water_l)}; PUE {result.pue:g}; "
        f"place: {escape(result.location.how)}"
    )
    for sink in tracker.sinks:
        if isinstance(sink, (CsvSink, JsonLinesSink)) and sink.written_to is not None:
            c.print(f"  row written to {sink.written_to}")


def print_json(result: RunResult) -> None:
    """Print the whole result as JSON on stdout."""
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
