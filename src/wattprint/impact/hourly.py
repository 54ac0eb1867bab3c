"""Emissions of energy spread over hours, each hour at its own intensity."""

from __future__ import annotations

from collections.abc import Mapping

from wattprint.units import G_PER_KG


def hourly_emissions_kg(
    energy_kwh_by_hour: Mapping[int, float], intensity_by_hour: Mapping[int, float]
) -> float:
    """Return sum over hours of energy x that hour's intensity. Units: kg.

    ``energy_kwh_by_hour`` maps an hour (any key, e.g. its UTC start in
    epoch seconds) to the energy used in it (kWh); ``intensity_by_hour`` maps
    the same keys to gCO2e/kWh. An hour missing from the intensities raises
    KeyError: the caller decides the fallback.

    Example: 1 kWh at 100 g/kWh then 2 kWh at 50 g/kWh is
    (1 x 100 + 2 x 50) / 1000 = 0.2 kg.
    """
    grams = sum(e * intensity_by_hour[h] for h, e in energy_kwh_by_hour.items())
    return grams / G_PER_KG
