"""What the grid is asked: a place, options, and where each came from.

``grid/`` does not read the settings: its caller (the tracker, the command
line) fills a :class:`GridRequest` from them, with the source of each value
so that messages can say where a bad value was set. Every field left at its
default means "not set": the place is then detected, the intensity, PUE and
WUE come from the tables, and nothing is live.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from wattprint._record import NamedTuple

if TYPE_CHECKING:
    from wattprint.grid.live.base import LiveProvider
    from wattprint.provenance import Location


class GridRequest(NamedTuple):
    """A place and the options that decide its electricity's figures.

    Attributes:
        country: ISO 3166 alpha-2 or alpha-3 code (or a name the table knows).
        region: a state or province (``US-CA``, ``California``).
        cloud: ``provider:region``, e.g. ``gcp:europe-west1``.
        cloud_provider: ``gcp``, ``aws`` or ``azure``.
        cloud_region: the provider's region name.
        geoip: whether a geo-IP lookup may be made to find the place.
        force_intensity_g_per_kwh: a set intensity, replacing every table
            and live figure. Units: gCO2e/kWh.
        pue: a set power usage effectiveness (>= 1).
        wue: a set on-site water usage effectiveness. Units: L/kWh.
        live_provider: a live intensity provider's name, or None for none.
        electricitymaps_token: an Electricity Maps API token; with no
            ``live_provider``, it selects Electricity Maps.
        sources: ``(key, where)`` pairs saying where a value was set, e.g.
            ``("country", "environment variable WATTPRINT_COUNTRY")``.
    """

    country: str | None = None
    region: str | None = None
    cloud: str | None = None
    cloud_provider: str | None = None
    cloud_region: str | None = None
    geoip: bool = False
    force_intensity_g_per_kwh: float | None = None
    pue: float | None = None
    wue: float | None = None
    live_provider: str | None = None
    electricitymaps_token: str | None = None
    sources: tuple[tuple[str, str], ...] = ()

    def __repr__(self) -> str:
        """Show every field but the token, which is a secret."""
        shown = ", ".join(
            f"{name}={value!r}"
            for name, value in zip(self._fields, self, strict=True)
            if name != "electricitymaps_token"
        )
        return f"GridRequest({shown})"

    def source_of(self, key: str) -> str:
        """Return where ``key``'s value was set (``request`` when the request does not say)."""
        return dict(self.sources).get(key, "request")


def live_for(
    request: GridRequest,
    location: Location,
    env: Mapping[str, str],
    *,
    cache_dir: Path | None = None,
) -> tuple[LiveProvider | None, str | None]:
    """Return the requested live provider and its zone for ``location``, or (None, None).

    Nothing is fetched here. The provider is the request's ``live_provider``;
    with none named, an Electricity Maps token selects Electricity Maps; with
    neither, nothing is live. The environment is not asked which provider to
    use (the caller's settings already did, and an explicit argument there
    beats it): ``env`` only gives the providers' base-URL overrides and the
    cache directory.

    Raises:
        ConfigError: an unknown provider, or a place the provider does not cover.
    """
    configured = request.live_provider or request.electricitymaps_token
    if not configured or request.force_intensity_g_per_kwh is not None:
        return None, None  # nothing to import or ask
    from wattprint.grid.live.choose import make_provider, zone_for

    provider = make_provider(
        provider=request.live_provider,
        token=request.electricitymaps_token,
        env=env,
        cache_dir=cache_dir,
        source=request.source_of("live_provider"),
    )
    if provider is None or location.is_world:
        return None, None
    return provider, zone_for(provider.name, location.country_iso2, location.region)


__all__ = ["GridRequest", "live_for"]
