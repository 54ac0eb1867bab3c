"""Software Carbon Intensity: a run's carbon per functional unit.

The Green Software Foundation's Software Carbon Intensity specification
(SCI v1.0, 2021; published as ISO/IEC 21031:2024) rates software by its
emissions per functional unit R (a request, a user, a training run...):

    SCI = (E x I + M) per R

E is the energy the software used (kWh), I the carbon intensity of that
electricity (g CO2e/kWh), and M its share of the hardware's embodied
emissions (see ``embodied.embodied_share_kg``). SCI is a rate, not a total:
lower is better, and it cannot be lowered by offsets. Energy and water per
unit are reported beside it because the same R makes them comparable.
"""

from __future__ import annotations

import math

from wattprint._record import record
from wattprint.errors import ConfigError
from wattprint.units import G_PER_KG


@record(frozen=True, slots=True)
class Sci:
    """A run's SCI score and the parts it is made of.

    Attributes:
        g_per_unit: SCI, g CO2e per functional unit: (operational + embodied) / units.
        energy_kwh_per_unit: energy per functional unit, kWh.
        water_l_per_unit: water consumed per functional unit, L.
        operational_g: E x I, g CO2e (a total for the run).
        embodied_g: M, g CO2e (a total for the run).
        units: R, how many functional units the run delivered (> 0).
        unit: what one functional unit is, e.g. ``request``.
    """

    g_per_unit: float
    energy_kwh_per_unit: float
    water_l_per_unit: float
    operational_g: float
    embodied_g: float
    units: float
    unit: str


def _require_non_negative(key: str, value: float, unit: str) -> None:
    if not math.isfinite(value) or value < 0:
        raise ConfigError(key, value, f"a finite number >= 0 ({unit})")


def sci(
    *,
    energy_kwh: float,
    intensity_g_per_kwh: float,
    embodied_kg: float,
    water_l: float,
    units: float,
    unit: str,
) -> Sci:
    """Return the Software Carbon Intensity of a run, SCI = (E x I + M) per R.

    Green Software Foundation, Software Carbon Intensity specification v1.0
    (ISO/IEC 21031:2024).

    Args:
        energy_kwh: E, the energy the run used, kWh (a total; include the
            facility overhead (PUE) if the boundary includes the building).
        intensity_g_per_kwh: I, the carbon intensity of that energy, g CO2e/kWh.
        embodied_kg: M, the run's share of embodied emissions, kg CO2e.
        water_l: the water the run consumed, L (a total).
        units: R, the number of functional units delivered (> 0).
        unit: the name of one functional unit, e.g. ``request``.

    Example: 2 kWh at 300 g/kWh is 600 g; with M = 0.05 kg (50 g) over
    100 requests, SCI = (600 + 50) / 100 = 6.5 g per request.

    Raises:
        ConfigError: naming ``units`` when it is not > 0, ``unit`` when it is
            empty, or any other argument that is negative or not finite.
    """
    _require_non_negative("energy_kwh", energy_kwh, "kWh")
    _require_non_negative("intensity_g_per_kwh", intensity_g_per_kwh, "g CO2e/kWh")
    _require_non_negative("embodied_kg", embodied_kg, "kg CO2e")
    _require_non_negative("water_l", water_l, "L")
    if not math.isfinite(units) or units <= 0:
        raise ConfigError("units", units, "a finite number of functional units > 0")
    if not unit.strip():
        raise ConfigError("unit", unit, "the name of a functional unit, e.g. 'request'")
    operational_g = energy_kwh * intensity_g_per_kwh
    embodied_g = embodied_kg * G_PER_KG
    return Sci(
        g_per_unit=(operational_g + embodied_g) / units,
        energy_kwh_per_unit=energy_kwh / units,
        water_l_per_unit=water_l / units,
        operational_g=operational_g,
        embodied_g=embodied_g,
        units=units,
        unit=unit,
    )
