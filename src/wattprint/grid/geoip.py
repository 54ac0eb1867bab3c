"""Guess the country from this machine's public IP address (opt-in only).

A geo-IP service looks up the address a request comes from and answers
where that address is registered. It is a last resort: it sends the user's
address to a third party, it is wrong behind VPNs and corporate proxies, and
it names where the network exits, not where the electricity is drawn. So
wattprint asks only when the user opted in (``geoip=True`` or
``WATTPRINT_GEOIP=1``); the caller decides, this module only asks.

The default service is IPinfo's keyless endpoint ``https://ipinfo.io/json``
(HTTPS, no account, rate-limited), whose answer is a JSON object such as::

    {"ip": "8.8.8.8", "city": "Mountain View", "region": "California",
     "country": "US", "loc": "37.4056,-122.0775", "timezone": "America/Los_Angeles"}

A private or reserved address gets ``{"ip": ..., "bogon": true}`` with no
country. Any JSON service that answers a ``country`` member holding an ISO
3166-1 alpha-2 code (and optionally a ``region`` name) can stand in, through
``base_url``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wattprint import net
from wattprint.errors import ProviderError

DEFAULT_GEOIP_URL = "https://ipinfo.io/json"
DEFAULT_GEOIP_TIMEOUT_S = 2.0
"""Time allowed for the geo-IP request. Units: s."""

_ISO2 = re.compile(r"[A-Za-z]{2}")


@dataclass(frozen=True, slots=True)
class GeoIpGuess:
    """The country of this machine's public IP address, as a geo-IP service says.

    Attributes:
        country_iso2: ISO 3166-1 alpha-2 code, upper case, e.g. ``US``.
        region: the region's name as the service gives it (e.g.
            ``California``, not an ISO 3166-2 code), or None.
        how: how it was found, for people (the address itself is not kept).
    """

    country_iso2: str
    region: str | None
    how: str


def lookup_geoip(
    *,
    base_url: str = DEFAULT_GEOIP_URL,
    timeout_s: float = DEFAULT_GEOIP_TIMEOUT_S,
    transport: net.Transport | None = None,
) -> GeoIpGuess:
    """Ask a geo-IP service where this machine's public address is.

    Call this only when the user opted in: it sends the machine's address to
    the service.

    Args:
        base_url: the service's URL, answering a JSON object with ``country``.
        timeout_s: time allowed for the request. Units: s.
        transport: what sends the request; None for the network.

    Raises:
        ProviderError: the request failed or timed out, the answer is not a
            JSON object, or it holds no ISO 3166-1 alpha-2 ``country``.
    """
    from http.client import HTTPException

    try:
        data = net.get_json(
            base_url,
            headers={"Accept": "application/json"},
            timeout_s=timeout_s,
            transport=transport,
        )
    except HTTPException as err:  # a garbled status line or headers
        raise ProviderError(f"GET {base_url}: {type(err).__name__}: {err}") from err
    if not isinstance(data, dict):
        raise ProviderError(f"GET {base_url}: expected a JSON object, got {str(data)[:80]!r}")
    country = data.get("country")
    if not isinstance(country, str) or not _ISO2.fullmatch(country.strip()):
        detail = "a bogon (private or reserved) address" if data.get("bogon") else "no country"
        raise ProviderError(
            f"GET {base_url}: the answer has {detail}: country={country!r}, "
            "expected an ISO 3166-1 alpha-2 code such as 'FR'"
        )
    region = data.get("region")
    region_name = region.strip() if isinstance(region, str) and region.strip() else None
    return GeoIpGuess(
        country.strip().upper(),
        region_name,
        f"geo-IP lookup of this machine's public address at {base_url} (opted in)",
    )
