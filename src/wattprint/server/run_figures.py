"""A run page's figures as text: written once, for the page and for its live updates.

The run page prints these strings, and the live endpoint sends the same
strings when they change, so a page updated in place reads exactly as a
page loaded afresh. Energies kWh, emissions kg CO2e, powers W, durations s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wattprint.server import models as m
from wattprint.units_format import (
    duration_text,
    energy_range_text,
    energy_text,
    mass_range_text,
    mass_text,
    water_text,
)

LIVE_STATUSES = ("running", "lost")
"""The statuses whose page keeps asking for news (a lost run may come back)."""


def number_text(value: float | None, digits: int = 3) -> str:
    """Return ``value`` to ``digits`` significant digits, never in e-notation; ``—`` for None."""
    if value is None:
        return "—"
    text = f"{value:.{digits}g}"
    if "e" in text:
        text = f"{value:.0f}" if abs(value) >= 1 else f"{value:.{digits + 6}f}".rstrip("0")
    return text


def _unit(text: str) -> str:
    return text.rsplit(" ", 1)[-1]


def mass_range(kg: float, low: float | None, high: float | None) -> str:
    """Return ``(112–312 g)``: the bounds in the unit ``kg`` is written in; ``""`` without."""
    if low is None or high is None:
        return ""
    return f"({mass_range_text(kg, low, high)} {_unit(mass_text(kg))})"


def energy_range(kwh: float, low: float | None, high: float | None) -> str:
    """Return ``(1.1–1.3 kWh)``: the bounds in the unit ``kwh`` is written in; ``""`` without."""
    if low is None or high is None:
        return ""
    return f"({energy_range_text(kwh, low, high)} {_unit(energy_text(kwh))})"


def _range_note(kind: str, note: str) -> str:
    if kind == "implied":
        return f"range {note}"
    if kind == "none":
        return "no range: its client sent none"
    return "range as its client sent it"


def run_texts(run: m.Run, bounds: Mapping[str, Any], samples: int, points: int,
              implied_note: str) -> dict[str, str]:  # fmt: skip
    """Return the run page's texts that change while it runs, by their element's id."""
    kind = str(bounds.get("range") or "none")
    at = ("at " + number_text(run.intensity_g_per_kwh) + " g/kWh"
          if run.intensity_g_per_kwh is not None else "")  # fmt: skip
    caption = f"{samples} samples"
    if samples > points:
        caption += f", averaged into {points} points (none dropped)"
    return {
        "energy-range": energy_range(run.energy_kwh, bounds.get("energy_kwh_low"),
                                     bounds.get("energy_kwh_high")),  # fmt: skip
        "energy-parts": f"CPU {energy_text(run.cpu_energy_kwh)} · GPU "
        f"{energy_text(run.gpu_energy_kwh)} · RAM {energy_text(run.ram_energy_kwh)}",
        "emissions-range": mass_range(run.emissions_kg, bounds.get("emissions_kg_low"),
                                      bounds.get("emissions_kg_high")),  # fmt: skip
        "emissions-note": " · ".join(t for t in (_range_note(kind, implied_note), at) if t),
        "samples-caption": caption + ".",
    }


def run_figures(run: m.Run) -> dict[str, dict[str, Any]]:
    """Return the run's headline figures: raw value and text, by ``data-figure`` name."""
    return {
        "energy_kwh": {"value": run.energy_kwh, "text": energy_text(run.energy_kwh)},
        "emissions_kg": {"value": run.emissions_kg, "text": mass_text(run.emissions_kg, " CO2e")},
        "water_l": {"value": run.water_l, "text": water_text(run.water_l)},
        "embodied_kg": {"value": run.embodied_kg, "text": mass_text(run.embodied_kg, " CO2e")},
        "duration_s": {"value": run.duration_s, "text": duration_text(run.duration_s)},
    }


def series_cells(row: Mapping[str, Any]) -> list[str]:
    """Return one row of the run's power table as text, in the table's column order."""
    return [
        number_text(row["elapsed_s"], 4),
        number_text(row["cpu_w"]),
        number_text(row["gpu_w"]),
        number_text(row["ram_w"]),
        energy_text(row["energy_kwh"]),
        mass_text(row["emissions_kg"]),
        number_text(row["intensity_g_per_kwh"]),
    ]


def version_of(run: m.Run, status: str) -> str:
    """Return what changes whenever the run's page would: its last message, samples, status."""
    return f"{run.last_seq}.{run.samples_count}.{status}"
