"""The UK NESO Carbon Intensity API: Great Britain's grid, per half-hour, keyless.

The National Energy System Operator (NESO, formerly National Grid ESO)
publishes the carbon intensity of electricity generated in Great Britain
(England, Scotland, Wales; not Northern Ireland) for each half-hour
settlement period, at https://api.carbonintensity.org.uk (CC BY 4.0, no
key). Values count CO2 from generation and imports only (operational, not
lifecycle: wind, solar and nuclear count as zero), so wattprint labels them
``NESO ..., operational CO2`` in each point's ``source``. The kind is
``average``.

Zones: ``GB`` is the national series; ``GB-<n>`` is NESO region ``n``
(1 North Scotland ... 14 South East England, 15 England, 16 Scotland,
17 Wales); a region's short name (``London``, ``GB-North Scotland``) or an
outward postcode (``RG10``, ``GB-SW1A``, or a full ``SW1A 1AA``) work too.

Answer shapes (all times ``YYYY-MM-DDThh:mmZ`` in UTC):

- national ``/intensity``, ``/intensity/{from}/{to}``, ``/intensity/{from}/fw48h``:
  ``{"data": [{"from", "to", "intensity": {"forecast", "actual", "index"}}]}``.
  ``actual`` is null for future half-hours and for a while after one ends;
  wattprint uses ``actual`` when present, else ``forecast`` (``is_forecast``).
- regional ``/regional/regionid/{id}`` and ``/regional/postcode/{outcode}``:
  ``{"data": [{"regionid", "dnoregion", "shortname", "data": [{"from", "to",
  "intensity": {"forecast", "index"}, "generationmix": [...]}]}]}``;
  ``/regional/intensity/{from}/{to}/regionid/{id}`` and ``.../fw48h/...``
  give the same region object directly under ``data``, not in a list.
  Regional values are forecasts only (there is no ``actual``), so every
  regional point has ``is_forecast=True``.

Range answers start with the half-hour that *ends* at ``from``; wattprint keeps
only the half-hours that meet the span asked for. One range request may
cover at most 14 days, so longer spans are split.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, TypeVar
from urllib.parse import quote

from wattprint import net
from wattprint.errors import ConfigError, ProviderError
from wattprint.grid.live.base import (
    IntensityPoint,
    as_utc,
    json_list,
    json_number,
    json_object,
    json_time,
    overlapping,
    utc_now,
)
from wattprint.grid.live.cache import (
    FORECAST_TTL_S,
    LATEST_TTL_S,
    CacheKey,
    LiveCache,
    get_or_fetch,
    history_ttl_s,
)

DEFAULT_BASE_URL = "https://api.carbonintensity.org.uk"

RANGE_MAX = timedelta(days=14)
"""The longest span one ``/intensity/{from}/{to}`` request may cover."""

REGIONS: Mapping[int, str] = {
    1: "North Scotland",
    2: "South Scotland",
    3: "North West England",
    4: "North East England",
    5: "Yorkshire",
    6: "North Wales & Merseyside",
    7: "South Wales",
    8: "West Midlands",
    9: "East Midlands",
    10: "East England",
    11: "South West England",
    12: "South England",
    13: "London",
    14: "South East England",
    15: "England",
    16: "Scotland",
    17: "Wales",
}
"""NESO region ids and their ``shortname``."""

_ALIASES = {name.casefold(): rid for rid, name in REGIONS.items()} | {
    "south yorkshire": 5,
    "north wales and merseyside": 6,
    "north wales, merseyside and cheshire": 6,
    "eng": 15,  # ISO 3166-2 GB-ENG
    "sct": 16,  # GB-SCT
    "wls": 17,  # GB-WLS
}
_NATIONAL = {"gb", "uk", "national", "great britain"}
_NOT_GB = {"nir", "northern ireland"}  # ISO 3166-2 GB-NIR: a separate grid
_OUTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)(?:\s*[0-9][A-Z]{2})?$")

ACCEPTED_ZONES = (
    "'GB' (national), 'GB-1' .. 'GB-17' (NESO regions), a region name such as "
    "'London', or an outward postcode such as 'RG10'"
)
GB_ONLY = "the UK Carbon Intensity API covers Great Britain only"

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class UkZone:
    """A zone resolved to one of the API's routes.

    Attributes:
        route: ``national``, ``regionid`` or ``postcode``.
        value: the region id or outward postcode (empty for national).
        label: for people, e.g. ``region 13 London``.
    """

    route: Literal["national", "regionid", "postcode"]
    value: str = ""
    label: str = "national"

    @property
    def suffix(self) -> str:
        """Return the regional path suffix, e.g. ``regionid/13``."""
        return f"{self.route}/{quote(self.value)}"


def resolve_uk_zone(zone: str) -> UkZone:
    """Resolve ``GB``, ``GB-13``, ``London``, ``GB-RG10``... to a route of the API.

    Raises:
        ConfigError: the zone is outside Great Britain or not understood.
    """
    text = " ".join(zone.split())
    lowered = text.casefold()
    if lowered in _NATIONAL:
        return UkZone("national")
    rest = text[3:] if lowered.startswith("gb-") else text
    key = rest.casefold()
    if key in _NOT_GB:
        raise ConfigError("zone", zone, GB_ONLY)
    if key.isdigit() and int(key) in REGIONS:
        return UkZone("regionid", key.lstrip("0"), f"region {int(key)} {REGIONS[int(key)]}")
    if key in _ALIASES:
        rid = _ALIASES[key]
        return UkZone("regionid", str(rid), f"region {rid} {REGIONS[rid]}")
    match = _OUTCODE.match(rest.upper())
    if match:
        return UkZone("postcode", match.group(1), f"postcode {match.group(1)}")
    raise ConfigError("zone", zone, ACCEPTED_ZONES)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%MZ")


class UkCarbonIntensity:
    """Carbon intensity of Great Britain's grid from the NESO Carbon Intensity API."""

    name = "uk"

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = net.DEFAULT_TIMEOUT_S,
        cache: LiveCache | None = None,
        clock: Callable[[], datetime] = utc_now,
        transport: net.Transport | None = None,
    ) -> None:
        """Set up the client; nothing is sent until a method is called.

        Args:
            base_url: the API root.
            timeout_s: time allowed for each request. Units: s.
            cache: where answers are kept; None to always ask.
            clock: returns the current time, timezone-aware.
            transport: what sends the requests; None for the network.

        Raises:
            ConfigError: the timeout is not positive.
        """
        if not timeout_s > 0:
            raise ConfigError("timeout_s", timeout_s, "a positive number of seconds")
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._cache = cache
        self._clock = clock
        self._transport = transport

    def __repr__(self) -> str:
        return f"UkCarbonIntensity(base_url={self.base_url!r})"

    def latest(self, zone: str) -> IntensityPoint:
        """Return the current half-hour of ``zone``.

        Raises:
            ConfigError: the zone is not in Great Britain.
            ProviderError: the request failed or the answer has no value.
        """
        where = resolve_uk_zone(zone)
        path = "intensity" if where.route == "national" else f"regional/{where.suffix}"

        def parse(payload: object) -> IntensityPoint:
            points = _parse(payload, where)
            if not points:
                raise ProviderError("no half-hour with a value")
            return points[0]

        return self._get(path, parse, lambda _: LATEST_TTL_S)

    def history(self, zone: str, start: datetime, end: datetime) -> list[IntensityPoint]:
        """Return the half-hours of ``zone`` that meet ``[start, end)``, in requests of 14 days.

        Raises:
            ConfigError: the zone is not in Great Britain, or a time is naive.
            ProviderError: a request failed or an answer has an unexpected shape.
        """
        where = resolve_uk_zone(zone)
        start, end = as_utc("start", start), as_utc("end", end)
        if end <= start:
            return []
        now = self._clock()
        collected: list[IntensityPoint] = []
        low = start.replace(second=0, microsecond=0)
        while low < end:
            high = min(low + RANGE_MAX, end)
            span = f"{_stamp(low)}/{_stamp(high)}"
            if _stamp(high) == _stamp(low):  # the API refuses an empty range
                span = f"{_stamp(low)}/{_stamp(low + timedelta(minutes=1))}"
            path = (
                f"intensity/{span}"
                if where.route == "national"
                else f"regional/intensity/{span}/{where.suffix}"
            )
            collected += self._get(
                path,
                lambda payload: _parse(payload, where),
                lambda points: history_ttl_s(points, now),
            )
            low = high
        return overlapping(collected, start, end)

    def forecast(self, zone: str) -> list[IntensityPoint]:
        """Return the coming 48 hours of ``zone``, from the half-hour now running.

        Raises:
            ConfigError: the zone is not in Great Britain.
            ProviderError: the request failed or the answer has an unexpected shape.
        """
        where = resolve_uk_zone(zone)
        now = self._clock()
        # Start at the running half-hour, so the key (and cache) holds for 30 min.
        since = now.replace(minute=now.minute - now.minute % 30, second=0, microsecond=0)
        path = f"intensity/{_stamp(since)}/fw48h"
        if where.route != "national":
            path = f"regional/intensity/{_stamp(since)}/fw48h/{where.suffix}"
        points = self._get(path, lambda payload: _parse(payload, where), lambda _: FORECAST_TTL_S)
        return [p for p in points if p.end > now]

    def _get(
        self,
        path: str,
        parse: Callable[[object], _T],
        ttl_s: Callable[[_T], float | None],
    ) -> _T:
        url = f"{self.base_url}/{path}"
        return get_or_fetch(
            self._cache,
            CacheKey.of(self.name, url),
            url=url,
            fetch=lambda: net.get_json(
                url,
                headers={"Accept": "application/json"},
                timeout_s=self.timeout_s,
                transport=self._transport,
            ),
            parse=parse,
            ttl_s=ttl_s,
        )


def _periods(payload: object, where: UkZone) -> tuple[list[object], str]:
    """Return the half-hour objects of an answer and a label for ``source``."""
    data = json_object(payload, "answer").get("data")
    if where.route == "national":
        return json_list(data, "data"), "national"
    if isinstance(data, list):  # /regional/regionid/{id}: a list of one region
        if not data:
            raise ProviderError("data: an empty list, no region")
        data = data[0]
    region = json_object(data, "data")
    label = where.label
    regionid, shortname = region.get("regionid"), region.get("shortname")
    if isinstance(regionid, int) and isinstance(shortname, str):
        label = f"region {regionid} {shortname}"
    return json_list(region.get("data"), "data[0].data"), label


def _parse(payload: object, where: UkZone) -> list[IntensityPoint]:
    """Turn an answer into points, skipping half-hours with neither value."""
    periods, label = _periods(payload, where)
    source = f"NESO Carbon Intensity API ({label}, operational CO2)"
    points = []
    for index, raw in enumerate(periods):
        period = json_object(raw, f"data[{index}]")
        intensity = json_object(period.get("intensity"), f"data[{index}].intensity")
        actual, forecast = intensity.get("actual"), intensity.get("forecast")
        value = actual if actual is not None else forecast
        if value is None:
            continue
        points.append(
            IntensityPoint(
                start=json_time(period.get("from"), f"data[{index}].from"),
                end=json_time(period.get("to"), f"data[{index}].to"),
                intensity_g_per_kwh=json_number(value, f"data[{index}].intensity"),
                kind="average",
                is_forecast=actual is None,
                is_estimated=False,
                source=source,
                basis="direct",
            )
        )
    return sorted(points, key=lambda p: p.start)
