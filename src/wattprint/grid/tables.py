"""The grid's shipped tables, bundled and loaded once, on first use.

Countries, sub-national regions, monthly country figures, cloud regions and
water intensities: each a small CSV in ``grid/data/`` with its source, year
and licence. :func:`default_tables` loads them the first time it is called
(never at import) and shares them with every later caller of the process.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the tables' modules load with the tables, on first use
    from wattprint.grid.cloud_regions import CloudTable
    from wattprint.grid.countries import CountryTable
    from wattprint.grid.monthly import MonthlyTable
    from wattprint.grid.regions import RegionTable
    from wattprint.grid.water import WaterTable


@dataclass(frozen=True, slots=True)
class GridTables:
    """The shipped tables, each loaded on first use."""

    countries: CountryTable
    regions: RegionTable
    monthly: MonthlyTable
    clouds: CloudTable
    water: WaterTable


@functools.cache
def default_tables() -> GridTables:
    """Return the shipped tables, shared by every tracker of the process."""
    from wattprint.grid.cloud_regions import CloudTable
    from wattprint.grid.countries import CountryTable
    from wattprint.grid.monthly import MonthlyTable
    from wattprint.grid.regions import RegionTable
    from wattprint.grid.water import WaterTable

    return GridTables(CountryTable(), RegionTable(), MonthlyTable(), CloudTable(), WaterTable())


__all__ = ["GridTables", "default_tables"]
