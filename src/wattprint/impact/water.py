"""Water consumed because of a run: on site (cooling) and at the power plants."""

from __future__ import annotations


def water_l(
    it_energy_kwh: float, *, pue: float, wue_l_per_kwh: float, grid_water_l_per_kwh: float
) -> float:
    """Return the water consumed for ``it_energy_kwh`` of IT energy. Units: L.

    water = IT energy x (WUE + PUE x grid water intensity), where WUE (water
    usage effectiveness, The Green Grid WP#35) is the data centre's on-site
    water per kWh of IT energy, and the grid water intensity is the water
    consumed by the power plants per kWh generated; the facility draws
    IT energy x PUE from the grid.

    Example: 2 kWh of IT load at WUE 0.2 L/kWh, PUE 1.1 and a grid consuming
    1.5 L/kWh is 2 x (0.2 + 1.1 x 1.5) = 3.7 L.
    """
    return it_energy_kwh * (wue_l_per_kwh + pue * grid_water_l_per_kwh)
