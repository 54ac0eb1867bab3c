"""Operational carbon: energy times the carbon intensity of the grid."""

from __future__ import annotations

from wattprint.units import G_PER_KG


def facility_energy_kwh(it_energy_kwh: float, pue: float) -> float:
    """Return the energy drawn by the facility for ``it_energy_kwh`` of IT load.

    PUE (power usage effectiveness, ISO/IEC 30134-2) is facility energy over
    IT equipment energy, so facility energy = IT energy x PUE.

    Example: 2 kWh of IT load at PUE 1.5 is 3 kWh drawn from the grid.

    Units: kWh in, kWh out.
    """
    return it_energy_kwh * pue


def emissions_kg(energy_kwh: float, intensity_g_per_kwh: float) -> float:
    """Return operational emissions of ``energy_kwh`` at ``intensity_g_per_kwh``.

    emissions (kg) = energy (kWh) x intensity (g/kWh) / 1000 (g per kg); the
    ``E x I`` term of the Green Software Foundation's SCI specification.

    Example: 3 kWh at 56 gCO2e/kWh is 0.168 kg CO2e.
    """
    return energy_kwh * intensity_g_per_kwh / G_PER_KG
