"""Where the electricity comes from, and how wattprint knows it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """The place whose grid supplies the run.

    Attributes:
        country_iso3: ISO 3166 alpha-3 code, ``WLD`` for the world average.
        country_iso2: ISO 3166 alpha-2 code, empty for the world.
        country_name: the country's name, for people.
        region: a sub-national region as given (state, province), if any.
        cloud_provider: ``gcp``, ``aws``, ``azure``, if known.
        cloud_region: the provider's region name, if known.
        how: how the place was found, e.g. ``argument country='FR'``.
    """

    country_iso3: str
    country_iso2: str
    country_name: str
    region: str | None = None
    cloud_provider: str | None = None
    cloud_region: str | None = None
    how: str = ""

    @property
    def is_world(self) -> bool:
        """True when no place is known and the world average stands in."""
        return self.country_iso3 == "WLD"
