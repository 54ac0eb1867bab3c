"""The three most useful actions for a set of runs, each with its number.

From what a report already knows, one action of each kind: the what-if by
place (the cleanest place on the same basis, with its saving), by month (the cleanest month at the
runs' place), and, when the runs hold both a training run and an inference
run that counted its units, when inference overtakes training. Actions are
ranked by the share of emissions they would save (parity, which saves
nothing by itself, comes last), and at most ``limit`` are given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wattprint.advice.parity import parity
from wattprint.advice.whatif import WhatIf
from wattprint.errors import ConfigError
from wattprint.units_format import energy_text


@dataclass(frozen=True, slots=True)
class RunFigures:
    """What the actions need of one run.

    Attributes:
        energy_kwh: its energy. Units: kWh.
        emissions_kg: its emissions. Units: kg CO2e.
        units: functional units it counted (inferences, requests), 0 if none.
        unit: their name.
    """

    energy_kwh: float
    emissions_kg: float
    units: float = 0.0
    unit: str = ""


def _count(n: float) -> str:
    for size, suffix in ((1e9, " billion"), (1e6, " M"), (1e3, " k")):
        if n >= size:
            return f"{n / size:.3g}{suffix}"
    return f"{n:.3g}"


def top_actions(
    what_if: WhatIf | None, runs: Sequence[RunFigures], *, limit: int = 3
) -> tuple[str, ...]:
    """Return up to ``limit`` actions, most saving first, each a sentence with its number."""
    ranked: list[tuple[float, str]] = []
    if what_if is not None and what_if.current_emissions_kg > 0:
        places = [*what_if.cloud_best[:1], *what_if.countries_best[:1]]
        best = max(places, key=lambda p: p.saving_percent, default=None)
        for place in [best] if best is not None else []:  # one action per kind
            if place.saving_percent >= 1:
                ranked.append((place.saving_percent,
                               f"run in {place.key} ({place.name}): -{place.saving_percent:.0f} % "
                               f"CO2e ({place.intensity_g_per_kwh:.0f} instead of "
                               f"{what_if.baseline_g_per_kwh or what_if.current_g_per_kwh:.0f} "
                               "gCO2e/kWh)"))  # fmt: skip
        if what_if.months and what_if.months[0].saving_percent >= 1:
            month = what_if.months[0]
            ranked.append((month.saving_percent,
                           f"run in {month.name}: -{month.saving_percent:.0f} % CO2e (that "
                           f"month's average at the same place, "
                           f"{month.intensity_g_per_kwh:.0f} gCO2e/kWh)"))  # fmt: skip
    ranked.sort(key=lambda pair: -pair[0])
    actions = [text for _, text in ranked]
    sentence = _parity_sentence(runs)
    if sentence:
        actions.append(sentence)
    return tuple(actions[:limit])


def _parity_sentence(runs: Sequence[RunFigures]) -> str:
    inference = [r for r in runs if r.units > 0 and r.energy_kwh > 0]
    training = [r for r in runs if r.units <= 0 and r.energy_kwh > 0]
    if not inference or not training:
        return ""
    train = max(training, key=lambda r: r.energy_kwh)
    infer = max(inference, key=lambda r: r.units)
    try:
        p = parity(training_kwh=train.energy_kwh, training_kg=max(train.emissions_kg, 1e-30),
                   inference_kwh=infer.energy_kwh, inference_kg=max(infer.emissions_kg, 1e-30),
                   units=infer.units, unit=infer.unit or "unit")  # fmt: skip
    except ConfigError:
        return ""
    return (f"inference passes training after {_count(p.energy_units)} {p.unit}s "
            f"({energy_text(p.per_unit_kwh)} each)")  # fmt: skip
