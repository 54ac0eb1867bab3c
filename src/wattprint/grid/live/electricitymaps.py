"""Electricity Maps: live, past and forecast grid carbon intensity, world-wide.

Electricity Maps (https://www.electricitymaps.com) publishes the carbon
intensity of the electricity *consumed* in a zone (its mix after imports and
exports are traced), per hour by default, for zones named by codes such as
``FR``, ``DE``, ``GB`` or, in the United States, a balancing authority such as
``US-CAL-CISO``. Its API v3 needs a token sent in the ``auth-token`` header.

Endpoints used, each answering gCO2e/kWh under ``carbonIntensity``:

- ``/carbon-intensity/latest?zone=``: the current hour, one object;
- ``/carbon-intensity/history?zone=``: the last 24 hours, list ``history``
  (free tier);
- ``/carbon-intensity/past-range?zone=&start=&end=``: any past span of at
  most 10 days at hourly granularity, list ``data`` (paid tiers);
- ``/carbon-intensity/forecast?zone=``: the coming hours, list ``forecast``.

Each value carries ``datetime`` (start of its hour), ``emissionFactorType``
(``lifecycle``, the default, or ``direct``), ``isEstimated`` and
``estimationMethod``. The value is an average over the consumed mix, so
wattprint records its kind as ``average`` whatever the emission factor type;
the factor type and any estimation method go into the point's ``source``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TypeVar
from urllib.parse import urlencode

from wattprint import net
from wattprint.errors import ConfigError, ProviderError
from wattprint.grid.live.base import (
    HOUR,
    IntensityPoint,
    as_utc,
    ceil_hour,
    floor_hour,
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

DEFAULT_BASE_URL = "https://api.electricitymap.org/v3"
"""The API v3 root (``https://api.electricitymaps.com/v3`` answers too)."""

TOKEN_SETTING = "electricitymaps_token"
TOKEN_ENV = "WATTPRINT_ELECTRICITYMAPS_TOKEN"

HISTORY_WINDOW = timedelta(hours=24)
"""How far back ``/carbon-intensity/history`` reaches."""

PAST_RANGE_MAX = timedelta(days=10)
"""The longest span one ``/carbon-intensity/past-range`` request may ask (hourly)."""

_T = TypeVar("_T")

_GRANULARITY = {
    "5_minutes": timedelta(minutes=5),
    "15_minutes": timedelta(minutes=15),
    "hourly": HOUR,
}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class ElectricityMaps:
    """Carbon intensity from the Electricity Maps API v3.

    Zones are Electricity Maps zone codes (``FR``, ``DE``, ``US-CAL-CISO``,
    ``GB``...); see :func:`wattprint.grid.live.choose.zone_for`.
    """

    name = "electricitymaps"

    def __init__(
        self,
        *,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = net.DEFAULT_TIMEOUT_S,
        cache: LiveCache | None = None,
        clock: Callable[[], datetime] = utc_now,
        transport: net.Transport | None = None,
    ) -> None:
        """Set up the client; nothing is sent until a method is called.

        Args:
            token: the API token (setting ``electricitymaps_token``, environment
                variable ``WATTPRINT_ELECTRICITYMAPS_TOKEN``).
            base_url: the API root, without a trailing slash needed.
            timeout_s: time allowed for each request. Units: s.
            cache: where answers are kept; None to always ask.
            clock: returns the current time, timezone-aware.
            transport: what sends the requests; None for the network.

        Raises:
            ConfigError: the token is empty or the timeout is not positive.
        """
        if not token or not token.strip():
            raise ConfigError(
                TOKEN_SETTING, token, f"a non-empty Electricity Maps API token (set {TOKEN_ENV})"
            )
        if not timeout_s > 0:
            raise ConfigError("timeout_s", timeout_s, "a positive number of seconds")
        self._token = token.strip()
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._cache = cache
        self._clock = clock
        self._transport = transport

    def __repr__(self) -> str:
        return f"ElectricityMaps(base_url={self.base_url!r})"  # never show the token

    # -- the protocol -----------------------------------------------------------

    def latest(self, zone: str) -> IntensityPoint:
        """Return the intensity of the current hour in ``zone``.

        Raises:
            ProviderError: the request failed or the answer has no value.
        """

        def parse(payload: object) -> IntensityPoint:
            item = json_object(payload, "answer")
            point = _point(item, is_forecast=False, step=_step(item, HOUR))
            if point is None:
                raise ProviderError("carbonIntensity is null")
            return point

        return self._get("carbon-intensity/latest", {"zone": zone}, parse, lambda _: LATEST_TTL_S)

    def history(self, zone: str, start: datetime, end: datetime) -> list[IntensityPoint]:
        """Return the hourly points of ``zone`` that meet ``[start, end)``.

        Spans that began less than 24 hours ago are read from ``/history``
        (free tier); older spans from ``/past-range`` (paid tiers), in
        requests of at most 10 days aligned to whole hours.

        Raises:
            ConfigError: ``start`` or ``end`` is naive.
            ProviderError: a request failed or an answer has an unexpected shape.
        """
        start, end = as_utc("start", start), as_utc("end", end)
        if end <= start:
            return []
        now = self._clock()
        if start >= now - HISTORY_WINDOW:
            points = self._get(
                "carbon-intensity/history",
                {"zone": zone},
                lambda payload: _points(payload, "history", is_forecast=False),
                lambda _: LATEST_TTL_S,  # the last 24 h move on with the clock
            )
            return overlapping(points, start, end)
        collected: list[IntensityPoint] = []
        chunk_start = floor_hour(start)
        last = ceil_hour(end)
        while chunk_start < last:
            chunk_end = min(chunk_start + PAST_RANGE_MAX, last)
            collected += self._get(
                "carbon-intensity/past-range",
                {"zone": zone, "start": _iso(chunk_start), "end": _iso(chunk_end)},
                lambda payload: _points(payload, "data", is_forecast=False),
                lambda points: history_ttl_s(points, now),
            )
            chunk_start = chunk_end
        return overlapping(collected, start, end)

    def forecast(self, zone: str) -> list[IntensityPoint]:
        """Return the forecast hours of ``zone`` that have not ended yet.

        Raises:
            ProviderError: the request failed or the answer has an unexpected shape.
        """
        points = self._get(
            "carbon-intensity/forecast",
            {"zone": zone},
            lambda payload: _points(payload, "forecast", is_forecast=True),
            lambda _: FORECAST_TTL_S,
        )
        now = self._clock()
        return [p for p in points if p.end > now]

    # -- plumbing ---------------------------------------------------------------

    def _get(
        self,
        path: str,
        params: Mapping[str, str],
        parse: Callable[[object], _T],
        ttl_s: Callable[[_T], float | None],
    ) -> _T:
        zone = params["zone"]
        if not zone.strip():
            # An empty zone would make the API guess one from the caller's IP address.
            raise ConfigError("zone", zone, "an Electricity Maps zone code such as 'FR'")
        endpoint = f"{self.base_url}/{path}"
        url = f"{endpoint}?{urlencode(params)}"

        def checked(payload: object) -> _T:
            answered = json_object(payload, "answer").get("zone")
            if isinstance(answered, str) and answered.upper() != zone.upper():
                raise ProviderError(f"asked for zone {zone!r}, answered for zone {answered!r}")
            return parse(payload)

        return get_or_fetch(
            self._cache,
            CacheKey.of(self.name, endpoint, params),
            url=url,
            fetch=lambda: net.get_json(
                url,
                headers={"auth-token": self._token},
                timeout_s=self.timeout_s,
                transport=self._transport,
            ),
            parse=checked,
            ttl_s=ttl_s,
        )


def _step(item: Mapping[str, object], default: timedelta) -> timedelta:
    granularity = item.get("temporalGranularity")
    if isinstance(granularity, str):
        return _GRANULARITY.get(granularity, default)
    return default


def _source(item: Mapping[str, object]) -> str:
    factor = item.get("emissionFactorType")  # absent in forecasts: the API default, lifecycle
    details = [factor if isinstance(factor, str) and factor else "lifecycle"]
    if item.get("isEstimated") is True:
        method = item.get("estimationMethod")
        details.append(f"estimated: {method}" if isinstance(method, str) else "estimated")
    return f"Electricity Maps ({', '.join(details)})"


def _point(
    item: Mapping[str, object], *, is_forecast: bool, step: timedelta
) -> IntensityPoint | None:
    """Turn one answer object into a point, or None when its value is null."""
    start = json_time(item.get("datetime"), "datetime")
    raw = item.get("carbonIntensity")
    if raw is None:
        return None
    return IntensityPoint(
        start=start,
        end=start + _step(item, step),
        intensity_g_per_kwh=json_number(raw, "carbonIntensity"),
        kind="average",
        is_forecast=is_forecast,
        is_estimated=item.get("isEstimated") is True,
        source=_source(item),
        basis="direct" if item.get("emissionFactorType") == "direct" else "lifecycle",
    )


def _points(payload: object, list_key: str, *, is_forecast: bool) -> list[IntensityPoint]:
    """Read the list under ``list_key`` (``history``, ``data``, ``forecast``) into points."""
    answer = json_object(payload, "answer")
    step = _step(answer, HOUR)
    points = []
    for index, raw in enumerate(json_list(answer.get(list_key), list_key)):
        item = json_object(raw, f"{list_key}[{index}]")
        point = _point(item, is_forecast=is_forecast, step=step)
        if point is not None:
            points.append(point)
    return sorted(points, key=lambda p: p.start)
