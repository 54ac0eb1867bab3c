"""When inference overtakes training: the number of inferences that cost what training did.

A trained model is then served: each inference costs a little, and after
enough of them inference has cost as much as the training (a 7B model's
training energy equals about 590 million of its inferences, Luccioni et al.
2024, "Power Hungry Processing"). Given a training run's total and an
inference run that counted its units (``Tracker.add_units``), the parity point
is ``training / (inference / units)``, on energy and on emissions, with a range
from the two runs' own ranges (low training over high per-inference cost, and
the reverse). Pure functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from wattprint.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Parity:
    """The inferences after which inference has cost as much as training.

    Attributes:
        unit: the name of one unit of inference work (``request``, ``image``...).
        per_unit_kwh: energy of one unit. Units: kWh.
        per_unit_kg: emissions of one unit. Units: kg CO2e.
        energy_units: parity on energy. Units: units of inference work.
        energy_units_low: its low end.
        energy_units_high: its high end.
        emissions_units: parity on emissions (differs when the two ran on
            different grids).
    """

    unit: str
    per_unit_kwh: float
    per_unit_kg: float
    energy_units: float
    energy_units_low: float
    energy_units_high: float
    emissions_units: float


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
        math.isfinite(value) and value > 0
    ):
        raise ConfigError(name, value, "a finite number > 0")
    return float(value)


def parity(
    *,
    training_kwh: float,
    training_kg: float,
    inference_kwh: float,
    inference_kg: float,
    units: float,
    unit: str = "inference",
    training_kwh_low: float | None = None,
    training_kwh_high: float | None = None,
    inference_kwh_low: float | None = None,
    inference_kwh_high: float | None = None,
) -> Parity:
    """Return the parity point of a training run and an inference run of ``units`` units.

    Raises:
        ConfigError: an energy, emissions or unit count that is not a finite
            number > 0 (an inference run must count its units).
    """
    t_kwh, t_kg = _positive("training energy_kwh", training_kwh), _positive(
        "training emissions_kg", training_kg
    )
    i_kwh, i_kg = _positive("inference energy_kwh", inference_kwh), _positive(
        "inference emissions_kg", inference_kg
    )
    n = _positive("inference units (count them with Tracker.add_units)", units)
    per_kwh, per_kg = i_kwh / n, i_kg / n
    t_low = training_kwh if training_kwh_low is None else training_kwh_low
    t_high = training_kwh if training_kwh_high is None else training_kwh_high
    i_low = inference_kwh if inference_kwh_low is None else inference_kwh_low
    i_high = inference_kwh if inference_kwh_high is None else inference_kwh_high
    return Parity(
        unit=unit,
        per_unit_kwh=per_kwh,
        per_unit_kg=per_kg,
        energy_units=t_kwh / per_kwh,
        energy_units_low=t_low / (i_high / n),
        energy_units_high=t_high / (i_low / n),
        emissions_units=t_kg / per_kg,
    )
