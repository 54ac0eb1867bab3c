"""Build the live intensity provider asked for, and find the zone to ask it about.

Nothing is live unless configured. :func:`make_provider` takes the provider's
name and the Electricity Maps token as arguments (the caller resolved them
from its settings: ``live_provider`` / ``WATTPRINT_LIVE_PROVIDER``,
``electricitymaps_token`` / ``WATTPRINT_ELECTRICITYMAPS_TOKEN``, an explicit
argument beating the environment); with no name, a token selects Electricity
Maps, and otherwise there is no live provider (None). It never reads which
provider to use from the environment, and writes nothing there. From the
environment it reads only ``WATTPRINT_ELECTRICITYMAPS_URL`` and
``WATTPRINT_UK_CARBON_URL``, which override the providers' base URLs (a
proxy, a mirror, a test server), and the cache directory.

:func:`zone_for` turns a country (and region) into a provider's zone code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from wattprint.errors import ConfigError, choices
from wattprint.grid.live.base import LiveProvider
from wattprint.grid.live.cache import LiveCache, default_cache_dir
from wattprint.grid.live.electricitymaps import DEFAULT_BASE_URL as EM_DEFAULT_URL
from wattprint.grid.live.electricitymaps import ElectricityMaps
from wattprint.grid.live.uk_carbon import DEFAULT_BASE_URL as UK_DEFAULT_URL
from wattprint.grid.live.uk_carbon import GB_ONLY, UkCarbonIntensity, resolve_uk_zone

EM_URL_ENV = "WATTPRINT_ELECTRICITYMAPS_URL"
UK_URL_ENV = "WATTPRINT_UK_CARBON_URL"

PROVIDER_NAMES: Mapping[str, str] = {
    "electricitymaps": "electricitymaps",
    "uk": "uk",
    "neso": "uk",
    "carbonintensity": "uk",
}
"""Accepted provider names (lower case) and the provider each one means."""

US_STATE_ZONES: Mapping[str, str] = {
    "CA": "US-CAL-CISO",  # CAISO; LADWP, SMUD, IID and others serve parts of the state
    "TX": "US-TEX-ERCO",  # ERCOT; the panhandle and El Paso are outside it
    "NY": "US-NY-NYIS",
    **dict.fromkeys(("CT", "MA", "ME", "NH", "RI", "VT"), "US-NE-ISNE"),
    **dict.fromkeys(("PA", "NJ", "MD", "DE", "DC", "VA", "OH", "WV", "IL"), "US-MIDA-PJM"),
    **dict.fromkeys(("MN", "IA", "WI", "MI", "IN", "AR", "LA"), "US-MIDW-MISO"),
    **dict.fromkeys(("KS", "OK", "NE"), "US-CENT-SWPP"),
    **dict.fromkeys(("GA", "AL"), "US-SE-SOCO"),
    "TN": "US-TEN-TVA",
    "FL": "US-FLA-FPL",
    "NC": "US-CAR-DUK",
    "CO": "US-NW-PSCO",
    "NV": "US-NW-NEVP",
    "ID": "US-NW-IPCO",
    "UT": "US-NW-PACE",
}
"""US state (USPS / ISO 3166-2 code) to the Electricity Maps balancing-authority
zone serving most of its load. A best guess: several states are split between
authorities (Illinois between PJM and MISO, for instance); states missing here
(WA, OR, AZ, KY, MO, ...) have no dominant one."""

_SAME_CODES = frozenset({"CA", "AU"})
"""Countries whose ISO 3166-2 subdivision codes are Electricity Maps zones (CA-ON, AU-NSW)."""


def canonical_provider(name: str, *, source: str = "") -> str:
    """Return the canonical provider name (``electricitymaps`` or ``uk``) for ``name``.

    Args:
        name: a provider name, any case.
        source: where the name came from, for the error message.

    Raises:
        ConfigError: ``name`` is not an accepted provider name (setting
            ``live_provider``).
    """
    canonical = PROVIDER_NAMES.get(name.strip().lower())
    if canonical is None:
        raise ConfigError("live_provider", name, choices(PROVIDER_NAMES), source)
    return canonical


def _url(env: Mapping[str, str], key: str, default: str) -> str:
    value = env.get(key, "").strip()
    if not value:
        return default
    if not value.startswith(("http://", "https://")):
        raise ConfigError(key, value, "an http:// or https:// URL", "environment variable")
    return value


def make_provider(
    *,
    provider: str | None,
    token: str | None = None,
    env: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
    source: str = "",
) -> LiveProvider | None:
    """Build the live provider asked for, or return None when none is.

    Args:
        provider: a provider name (``electricitymaps``, ``uk``, ``neso``,
            ``carbonintensity``), or None for none. A blank name counts as None.
        token: the Electricity Maps API token, if any; with no ``provider``,
            a token selects Electricity Maps.
        env: the environment for the base-URL overrides and the default
            cache directory (default ``os.environ``). Read, never written.
        cache_dir: where answers are cached (default:
            ``$XDG_CACHE_HOME/wattprint/live`` or ``~/.cache/wattprint/live``).
        source: where ``provider`` was set, for the error message.

    Raises:
        ConfigError: an unknown provider name, a bad base URL, or Electricity
            Maps chosen without a token.
    """
    env = os.environ if env is None else env
    chosen = provider.strip() if provider is not None else ""
    token = (token or "").strip()
    if not chosen:
        if not token:
            return None
        chosen = "electricitymaps"
    name = canonical_provider(chosen, source=source)
    cache = LiveCache(directory=cache_dir if cache_dir is not None else default_cache_dir(env))
    if name == "electricitymaps":
        return ElectricityMaps(
            token=token, base_url=_url(env, EM_URL_ENV, EM_DEFAULT_URL), cache=cache
        )
    return UkCarbonIntensity(base_url=_url(env, UK_URL_ENV, UK_DEFAULT_URL), cache=cache)


def zone_for(provider_name: str, country_iso2: str, region: str | None) -> str:
    """Return the zone code to ask ``provider_name`` about for a country and region.

    Electricity Maps: the country code (``FR``, ``DE``, ``GB``), except that

    - in the US, which Electricity Maps splits by balancing authority, a
      state maps through :data:`US_STATE_ZONES` (``CA`` or ``US-CA`` gives
      ``US-CAL-CISO``); a state missing there, or no state, gives ``US``,
      which Electricity Maps may not serve: set a zone explicitly then;
    - in Canada and Australia a province or state code gives its zone
      (``CA-ON``, ``AU-NSW``);
    - ``GB-NIR`` (Northern Ireland) gives ``GB-NIR``.

    Other countries that Electricity Maps splits (SE, NO, DK, IT, JP, IN...)
    get the country code, which it may not serve either.

    UK provider: ``GB`` for Great Britain, or ``GB-<n>`` / ``GB-<outcode>``
    when the region names a NESO region or an outward postcode; a region it
    does not know gives ``GB``.

    Raises:
        ConfigError: an unknown provider, a malformed country code, or a
            place outside Great Britain for the UK provider.
    """
    name = canonical_provider(provider_name)
    country = country_iso2.strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise ConfigError("country", country_iso2, "an ISO 3166 alpha-2 code such as 'FR'")
    area = (region or "").strip().upper()
    if name == "uk":
        if country not in ("GB", "UK"):
            raise ConfigError("country", country_iso2, GB_ONLY)
        if not area:
            return "GB"
        try:
            where = resolve_uk_zone(region or "")
        except ConfigError as err:
            if err.accepted == GB_ONLY:
                raise ConfigError("region", region, GB_ONLY) from err
            return "GB"
        return "GB" if where.route == "national" else f"GB-{where.value}"
    code = area[len(country) + 1 :] if area.startswith(country + "-") else area
    if country == "US":
        return US_STATE_ZONES.get(code, "US")
    if country in _SAME_CODES and code.isalpha() and 2 <= len(code) <= 3:
        return f"{country}-{code}"
    if country == "GB" and code in ("NIR", "NORTHERN IRELAND"):
        return "GB-NIR"
    return country
