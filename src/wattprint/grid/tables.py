"""The grid's shipped tables, bundled and loaded once, on first use.

Countries, sub-national regions, monthly country figures, cloud regions and
water intensities: each a small CSV in ``grid/data/`` with its source, year
and licence. :func:`default_tables` shares them with every caller of the
process; each table's module is imported and its file read the first time
the table is asked for (never at import).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the tables' modules load with the tables, on first use
    from wattprint.grid.cloud_regions import CloudTable
    from wattprint.grid.countries import CountryTable
    from wattprint.grid.monthly import MonthlyTable
    from wattprint.grid.regions import RegionTable
    from wattprint.grid.water import WaterTable


class GridTables:
    """The shipped tables (or those given), each made and read on first use.

    A run placed by its country reads one row of the country table and one of
    the water table: the region and cloud tables' modules are not even imported.

    Args:
        countries: the country table; default the shipped one.
        regions: the region table; default the shipped one.
        monthly: the monthly country table; default the shipped one.
        clouds: the cloud region table; default the shipped one.
        water: the water table; default the shipped one.
    """

    __slots__ = ("_countries", "_regions", "_monthly", "_clouds", "_water")

    def __init__(
        self,
        countries: CountryTable | None = None,
        regions: RegionTable | None = None,
        monthly: MonthlyTable | None = None,
        clouds: CloudTable | None = None,
        water: WaterTable | None = None,
    ) -> None:
        self._countries = countries
        self._regions = regions
        self._monthly = monthly
        self._clouds = clouds
        self._water = water

    @property
    def countries(self) -> CountryTable:
        """Countries' annual intensity."""
        if self._countries is None:
            from wattprint.grid.countries import CountryTable

            self._countries = CountryTable()
        return self._countries

    @property
    def regions(self) -> RegionTable:
        """Sub-national regions' annual intensity."""
        if self._regions is None:
            from wattprint.grid.regions import RegionTable

            self._regions = RegionTable()
        return self._regions

    @property
    def monthly(self) -> MonthlyTable:
        """Countries' monthly intensity."""
        if self._monthly is None:
            from wattprint.grid.monthly import MonthlyTable

            self._monthly = MonthlyTable()
        return self._monthly

    @property
    def clouds(self) -> CloudTable:
        """Cloud regions and providers."""
        if self._clouds is None:
            from wattprint.grid.cloud_regions import CloudTable

            self._clouds = CloudTable()
        return self._clouds

    @property
    def water(self) -> WaterTable:
        """Grids' water intensity."""
        if self._water is None:
            from wattprint.grid.water import WaterTable

            self._water = WaterTable()
        return self._water


@functools.cache
def default_tables() -> GridTables:
    """Return the shipped tables, shared by every tracker of the process."""
    return GridTables()


__all__ = ["GridTables", "default_tables"]
