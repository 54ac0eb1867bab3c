"""Tests of the live intensity providers against a real HTTP server replaying recorded answers.

The server is ``http.server`` on 127.0.0.1 (port 0) in a thread; answers come
from ``tests/fixtures/live/`` (see tests/fixtures/README.md). Nothing is patched:
the providers go through ``wattprint.net`` and real sockets.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import FrozenInstanceError, dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from wattprint import Tracker
from wattprint.errors import ConfigError, ProviderError
from wattprint.grid.live.base import IntensityPoint, LiveProvider, hourly_means
from wattprint.grid.live.cache import CacheKey, LiveCache, default_cache_dir
from wattprint.grid.live.choose import make_provider, zone_for
from wattprint.grid.live.electricitymaps import ElectricityMaps
from wattprint.grid.live.uk_carbon import UkCarbonIntensity
from wattprint.grid.timeline import live_for
from wattprint.net import MockTransport, Request, Response
from wattprint.provenance import Location
from wattprint.settings.resolve import resolve_settings
from wattprint.tracking.grid_request import request_from

FIXTURES = Path(__file__).parent / "fixtures" / "live"
UTC = timezone.utc
NOW = datetime(2021, 10, 26, 13, 10, tzinfo=UTC)  # the fixtures' "now"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2021, 10, day, hour, minute, tzinfo=UTC)


class Clock:
    """A wall clock that tests move by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    delay_s: float = 0.0


@dataclass
class FakeApi:
    """What the test server answers, and what it was asked."""

    base_url: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def serve(
        self,
        path: str,
        fixture: str | None = None,
        *,
        status: int = 200,
        body: bytes = b"",
        delay_s: float = 0.0,
    ) -> None:
        """Answer ``path`` (with its query, or without to match any query)."""
        if fixture is not None:
            body = (FIXTURES / fixture).read_bytes()
        self.routes[path] = Route(status, body, delay_s)

    @property
    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            api.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = api.routes.get(self.path) or api.routes.get(urlsplit(self.path).path)
            if route is None:
                route = Route(404, json.dumps({"error": f"no fixture for {self.path}"}).encode())
            time.sleep(route.delay_s)
            try:
                self.send_response(route.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


@pytest.fixture(autouse=True)
def _no_proxy_for_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a proxy set in the environment away from the local test server."""
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


@pytest.fixture
def api() -> Iterator[FakeApi]:
    fake = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def em(api: FakeApi, clock: Clock, cache: LiveCache | None = None, **kw: float) -> ElectricityMaps:
    return ElectricityMaps(
        token="tok-123", base_url=f"{api.base_url}/v3", cache=cache, clock=clock, **kw
    )


def uk(api: FakeApi, clock: Clock, cache: LiveCache | None = None) -> UkCarbonIntensity:
    return UkCarbonIntensity(base_url=api.base_url, cache=cache, clock=clock)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def values(points: list[IntensityPoint]) -> list[float]:
    return [p.intensity_g_per_kwh for p in points]


# -- Electricity Maps ----------------------------------------------------------


def test_auth_token_header_reaches_the_server(api: FakeApi, clock: Clock) -> None:
    api.serve("/v3/carbon-intensity/latest?zone=DE", "em_latest_DE.json")
    em(api, clock).latest("DE")
    path, headers = api.requests[0]
    assert path == "/v3/carbon-intensity/latest?zone=DE"
    assert headers["auth-token"] == "tok-123"


def test_electricitymaps_latest_maps_every_field(api: FakeApi, clock: Clock) -> None:
    api.serve("/v3/carbon-intensity/latest?zone=DE", "em_latest_DE.json")
    point = em(api, clock).latest("DE")
    assert point == IntensityPoint(
        start=at(26, 13),
        end=at(26, 14),
        intensity_g_per_kwh=96.0,
        kind="average",  # emissionFactorType lifecycle: an average of the consumed mix
        is_forecast=False,
        is_estimated=True,
        source="Electricity Maps (lifecycle, estimated: TIME_SLICER_AVERAGE)",
    )
    assert point.start.tzinfo is not None and point.duration_s == 3600
    assert isinstance(em(api, clock), LiveProvider)
    with pytest.raises(FrozenInstanceError):
        point.intensity_g_per_kwh = 1.0  # type: ignore[misc]


def test_electricitymaps_recent_history_reads_the_last_24_hours(api: FakeApi, clock: Clock) -> None:
    api.serve("/v3/carbon-intensity/history?zone=DE", "em_history_DE.json")
    points = em(api, clock).history("DE", at(26, 10), at(26, 13))
    assert api.paths == ["/v3/carbon-intensity/history?zone=DE"]
    assert [p.start for p in points] == [at(26, 10), at(26, 11), at(26, 12)]
    assert values(points) == [30, 31, 3]
    assert [p.is_estimated for p in points] == [False, False, True]
    assert not any(p.is_forecast for p in points)


def test_electricitymaps_older_history_reads_past_range_on_whole_hours(
    api: FakeApi, clock: Clock
) -> None:
    clock.now = at(28, 0)
    api.serve("/v3/carbon-intensity/past-range", "em_past-range_DE.json")
    points = em(api, clock).history("DE", at(25, 14, 30), at(25, 19, 30))
    query = parse_qs(urlsplit(api.paths[0]).query)
    assert urlsplit(api.paths[0]).path == "/v3/carbon-intensity/past-range"
    assert query == {
        "zone": ["DE"],
        "start": ["2021-10-25T14:00:00Z"],
        "end": ["2021-10-25T20:00:00Z"],
    }
    assert values(points) == [47, 21, 69, 70, 94, 59]
    assert points[0].start == at(25, 14) and points[-1].end == at(25, 20)


def test_electricitymaps_splits_past_range_into_10_day_requests(api: FakeApi, clock: Clock) -> None:
    clock.now = datetime(2021, 12, 31, tzinfo=UTC)
    api.serve("/v3/carbon-intensity/past-range", "em_past-range_DE.json")
    em(api, clock).history("DE", at(1, 0), at(25, 0))
    spans = [
        (parse_qs(urlsplit(p).query)["start"][0], parse_qs(urlsplit(p).query)["end"][0])
        for p in api.paths
    ]
    assert spans == [
        ("2021-10-01T00:00:00Z", "2021-10-11T00:00:00Z"),
        ("2021-10-11T00:00:00Z", "2021-10-21T00:00:00Z"),
        ("2021-10-21T00:00:00Z", "2021-10-25T00:00:00Z"),
    ]


def test_electricitymaps_forecast_keeps_hours_not_yet_over(api: FakeApi, clock: Clock) -> None:
    api.serve("/v3/carbon-intensity/forecast?zone=DE", "em_forecast_DE.json")
    points = em(api, clock).forecast("DE")
    assert len(points) == 24 and all(p.is_forecast for p in points)
    assert points[0].start == at(26, 13) and values(points)[:3] == [13, 35, 99]
    clock.advance(hours=2, minutes=20)  # 15:30: the 13:00 and 14:00 hours are over
    assert em(api, clock).forecast("DE")[0].start == at(26, 15)


def test_electricitymaps_needs_a_token() -> None:
    with pytest.raises(ConfigError) as info:
        ElectricityMaps(token="  ")
    assert info.value.key == "electricitymaps_token"
    assert "WATTPRINT_ELECTRICITYMAPS_TOKEN" in str(info.value)


def test_an_answer_for_another_zone_is_refused(api: FakeApi, clock: Clock) -> None:
    api.serve("/v3/carbon-intensity/latest?zone=FR", "em_latest_DE.json")
    with pytest.raises(ProviderError, match="asked for zone 'FR', answered for zone 'DE'"):
        em(api, clock).latest("FR")
    with pytest.raises(ConfigError, match="zone"):
        em(api, clock).latest(" ")  # the API would guess a zone from the caller's IP
    assert len(api.requests) == 1


def test_the_token_is_never_shown(api: FakeApi, clock: Clock) -> None:
    api.serve("/v3/carbon-intensity/latest?zone=DE", status=401, body=b'{"message":"no"}')
    provider = em(api, clock)
    with pytest.raises(ProviderError) as info:
        provider.latest("DE")
    assert "tok-123" not in repr(provider) and "tok-123" not in str(info.value)


def test_naive_times_are_refused(api: FakeApi, clock: Clock) -> None:
    with pytest.raises(ConfigError) as info:
        em(api, clock).history("DE", datetime(2021, 10, 26, 10), at(26, 13))
    assert info.value.key == "start"


# -- failures ------------------------------------------------------------------


def test_a_slow_server_times_out_with_a_provider_error(api: FakeApi, clock: Clock) -> None:
    api.serve("/v3/carbon-intensity/latest?zone=DE", "em_latest_DE.json", delay_s=1.5)
    provider = em(api, clock, timeout_s=0.3)
    began = time.monotonic()
    with pytest.raises(ProviderError) as info:
        provider.latest("DE")
    assert time.monotonic() - began < 0.3 + 0.5
    assert f"{api.base_url}/v3/carbon-intensity/latest?zone=DE" in str(info.value)
    assert "timed out" in str(info.value)


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (401, b'{"message":"Invalid auth-token"}', "HTTP 401"),
        (500, b"Internal Server Error", "HTTP 500"),
        (200, b"<html>not json</html>", "expected JSON"),
        (200, b'{"zone": "DE"}', "datetime"),
        (200, b'{"zone": "DE", "datetime": "yesterday", "carbonIntensity": 1}', "yesterday"),
    ],
)
def test_http_errors_and_bad_answers_name_the_url_and_the_reason(
    api: FakeApi, clock: Clock, status: int, body: bytes, reason: str
) -> None:
    api.serve("/v3/carbon-intensity/latest?zone=DE", status=status, body=body)
    with pytest.raises(ProviderError) as info:
        em(api, clock).latest("DE")
    assert f"{api.base_url}/v3/carbon-intensity/latest?zone=DE" in str(info.value)
    assert reason in str(info.value)


def test_an_unreachable_server_is_a_provider_error(clock: Clock) -> None:
    provider = UkCarbonIntensity(base_url="http://127.0.0.1:9", timeout_s=1.0, clock=clock)
    with pytest.raises(ProviderError, match=r"http://127\.0\.0\.1:9/intensity"):
        provider.latest("GB")


# -- in memory, through MockTransport ------------------------------------------------


class Answers:
    """A MockTransport handler: recorded answers by URL path, every request kept."""

    def __init__(self, **by_path: Response | BaseException) -> None:
        self.by_path = by_path
        self.seen: list[Request] = []

    def __call__(self, sent: Request) -> Response:
        self.seen.append(sent)
        answer = self.by_path.get(urlsplit(sent.url).path, Response(404, b"{}"))
        if isinstance(answer, BaseException):
            raise answer
        return answer


def test_electricitymaps_in_memory_sends_the_token_and_maps_the_answer(clock: Clock) -> None:
    answers = Answers(
        **{"/v3/carbon-intensity/latest": Response(200, fixture("em_latest_DE.json"))}
    )
    provider = ElectricityMaps(
        token="tok-123",
        base_url="https://api.example.org/v3",
        clock=clock,
        transport=MockTransport(answers),
    )
    point = provider.latest("DE")
    assert (point.start, point.end, point.intensity_g_per_kwh) == (at(26, 13), at(26, 14), 96.0)
    (sent,) = answers.seen
    assert (sent.method, sent.url) == (
        "GET",
        "https://api.example.org/v3/carbon-intensity/latest?zone=DE",
    )
    assert sent.headers["auth-token"] == "tok-123"
    assert sent.timeout_s == 3.0


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (TimeoutError("timed out"), "timed out"),
        (ConnectionRefusedError(111, "Connection refused"), "Connection refused"),
        (Response(503, b"maintenance"), "HTTP 503 maintenance"),
        (Response(200, b"<html>"), "expected JSON"),
    ],
)
def test_uk_in_memory_failures_name_the_url_and_the_reason(
    clock: Clock, answer: Response | BaseException, reason: str
) -> None:
    provider = UkCarbonIntensity(
        base_url="https://uk.example.org",
        clock=clock,
        transport=MockTransport(Answers(**{"/intensity": answer})),
    )
    with pytest.raises(ProviderError) as info:
        provider.latest("GB")
    assert "https://uk.example.org/intensity" in str(info.value)
    assert reason in str(info.value)


def test_uk_in_memory_answer_and_cache(clock: Clock, tmp_path: Path) -> None:
    answers = Answers(**{"/intensity": Response(200, fixture("uk_intensity.json"))})
    provider = UkCarbonIntensity(
        base_url="https://uk.example.org",
        clock=clock,
        cache=LiveCache(directory=tmp_path, clock=clock),
        transport=MockTransport(answers),
    )
    first = provider.latest("GB")
    assert provider.latest("GB") == first  # the second is answered by the cache
    assert first.intensity_g_per_kwh == 100 and not first.is_forecast
    assert [r.headers["Accept"] for r in answers.seen] == ["application/json"]


# -- hourly means ----------------------------------------------------------------


def point(start: datetime, minutes: int, value: float) -> IntensityPoint:
    return IntensityPoint(
        start, start + timedelta(minutes=minutes), value, "average", False, False, "test"
    )


def test_two_half_hours_average_to_their_mean() -> None:
    points = [point(at(26, 0, 30), 30, 200), point(at(26, 0), 30, 100)]
    assert hourly_means(points, at(26, 0), at(26, 1)) == [(at(26, 0), 150.0)]


def test_a_partial_hour_is_weighted_by_time() -> None:
    points = [point(at(26, 0), 30, 100), point(at(26, 0, 30), 30, 200)]
    # 00:00-00:45: 30 min at 100 and 15 min at 200 -> (3000 + 3000) / 45 = 133.33
    [(hour, mean)] = hourly_means(points, at(26, 0), at(26, 0, 45))
    assert hour == at(26, 0) and mean == pytest.approx(400 / 3)
    # 00:50-02:00 over an hourly point at 300 from 01:00: 10 min at 200, then a whole hour.
    points.append(point(at(26, 1), 60, 300))
    assert hourly_means(points, at(26, 0, 50), at(26, 2)) == [
        (at(26, 0), 200.0),
        (at(26, 1), 300.0),
    ]


def test_an_hour_without_points_is_left_out() -> None:
    points = [point(at(26, 0), 60, 100), point(at(26, 2), 60, 300)]
    assert hourly_means(points, at(26, 0), at(26, 3)) == [(at(26, 0), 100.0), (at(26, 2), 300.0)]


def test_hourly_means_of_recorded_half_hours(api: FakeApi, clock: Clock) -> None:
    api.serve("/intensity/2021-10-25T14:00Z/2021-10-25T16:00Z", "uk_intensity_range.json")
    points = uk(api, clock).history("GB", at(25, 14), at(25, 16))
    # 14:00 148 and 14:30 193 -> 170.5; 15:00 238 and 15:30 194 -> 216.
    assert hourly_means(points, at(25, 14), at(25, 16)) == [
        (at(25, 14), 170.5),
        (at(25, 15), 216.0),
    ]


# -- the cache -------------------------------------------------------------------


def test_a_second_call_is_answered_from_the_cache(
    api: FakeApi, clock: Clock, tmp_path: Path
) -> None:
    api.serve("/v3/carbon-intensity/latest?zone=DE", "em_latest_DE.json")
    cache = LiveCache(directory=tmp_path, clock=clock)
    first = em(api, clock, cache).latest("DE")
    assert em(api, clock, cache).latest("DE") == first
    assert len(api.requests) == 1
    assert not list(tmp_path.rglob(".tmp-*")), "temporary files are moved into place"


def test_an_expired_entry_is_fetched_again(api: FakeApi, clock: Clock, tmp_path: Path) -> None:
    api.serve("/v3/carbon-intensity/latest?zone=DE", "em_latest_DE.json")
    cache = LiveCache(directory=tmp_path, clock=clock)
    provider = em(api, clock, cache)
    provider.latest("DE")
    clock.advance(minutes=4, seconds=59)
    provider.latest("DE")
    assert len(api.requests) == 1
    clock.advance(seconds=2)  # past the 5 min a latest value stays fresh
    provider.latest("DE")
    assert len(api.requests) == 2


def test_a_corrupted_entry_is_ignored(api: FakeApi, clock: Clock, tmp_path: Path) -> None:
    api.serve("/v3/carbon-intensity/latest?zone=DE", "em_latest_DE.json")
    cache = LiveCache(directory=tmp_path, clock=clock)
    provider = em(api, clock, cache)
    provider.latest("DE")
    [entry] = tmp_path.rglob("*.json")
    entry.write_text('{"format": 1, "key": {"provid')
    assert provider.latest("DE").intensity_g_per_kwh == 96
    assert len(api.requests) == 2
    assert json.loads(entry.read_text())["payload"]["zone"] == "DE"  # rewritten whole
    entry.write_bytes(b"\xff\xfe garbage")
    provider.latest("DE")
    assert len(api.requests) == 3


def test_closed_measured_history_is_kept_for_good(
    api: FakeApi, clock: Clock, tmp_path: Path
) -> None:
    clock.now = at(28, 0)
    api.serve("/v3/carbon-intensity/past-range", "em_past-range_DE.json")
    provider = em(api, clock, LiveCache(directory=tmp_path, clock=clock))
    provider.history("DE", at(25, 14), at(25, 20))
    clock.advance(days=365)
    provider.history("DE", at(25, 14), at(25, 20))
    assert len(api.requests) == 1


def test_history_awaiting_actual_values_is_fetched_again_after_30_min(
    api: FakeApi, clock: Clock, tmp_path: Path
) -> None:
    api.serve("/intensity/2021-10-25T14:00Z/2021-10-25T20:00Z", "uk_intensity_range.json")
    provider = uk(api, clock, LiveCache(directory=tmp_path, clock=clock))
    provider.history("GB", at(25, 14), at(25, 20))  # 19:00 and 19:30 have no actual yet
    clock.advance(minutes=29)
    provider.history("GB", at(25, 14), at(25, 20))
    assert len(api.requests) == 1
    clock.advance(minutes=2)
    provider.history("GB", at(25, 14), at(25, 20))
    assert len(api.requests) == 2


def test_the_cache_key_ignores_parameter_order_and_the_default_dir_follows_xdg() -> None:
    assert CacheKey.of("p", "u", {"a": "1", "b": "2"}) == CacheKey.of(
        "p", "u", {"b": "2", "a": "1"}
    )
    assert default_cache_dir({"XDG_CACHE_HOME": "/x/cache"}) == Path("/x/cache/wattprint/live")
    assert default_cache_dir({"XDG_CACHE_HOME": "rel", "HOME": "/home/u"}) == Path(
        "/home/u/.cache/wattprint/live"
    )


# -- UK NESO Carbon Intensity ----------------------------------------------------


def test_uk_national_latest_prefers_the_actual_value(api: FakeApi, clock: Clock) -> None:
    api.serve("/intensity", "uk_intensity.json")
    point = uk(api, clock).latest("GB")
    assert api.paths == ["/intensity"]
    assert (point.start, point.end, point.intensity_g_per_kwh) == (at(26, 13), at(26, 13, 30), 100)
    assert not point.is_forecast and point.kind == "average"
    assert point.source == "NESO Carbon Intensity API (national, operational CO2)"
    assert isinstance(uk(api, clock), LiveProvider)


@pytest.mark.parametrize("zone", ["GB-13", "London", "gb-london", "13"])
def test_uk_regional_latest_is_a_forecast(api: FakeApi, clock: Clock, zone: str) -> None:
    api.serve("/regional/regionid/13", "uk_regional_regionid_13.json")
    point = uk(api, clock).latest(zone)
    assert api.paths == ["/regional/regionid/13"]
    assert point.intensity_g_per_kwh == 100 and point.is_forecast
    assert "region 13 London" in point.source


@pytest.mark.parametrize("zone", ["RG10", "GB-RG10", "rg10 4ab"])
def test_uk_postcode_goes_through_the_postcode_route(api: FakeApi, clock: Clock, zone: str) -> None:
    api.serve("/regional/postcode/RG10", "uk_regional_postcode_RG10.json")
    point = uk(api, clock).latest(zone)
    assert point.intensity_g_per_kwh == 202
    assert "region 12 South England" in point.source


def test_uk_national_history_keeps_the_span_and_falls_back_to_forecast(
    api: FakeApi, clock: Clock
) -> None:
    api.serve("/intensity/2021-10-25T14:00Z/2021-10-25T20:00Z", "uk_intensity_range.json")
    points = uk(api, clock).history("GB", at(25, 14), at(25, 20))
    assert len(points) == 12  # the half-hour ending at 14:00 is left out
    assert points[0].start == at(25, 14) and points[-1].end == at(25, 20)
    assert values(points)[:3] == [148, 193, 238]
    assert [p.is_forecast for p in points[-3:]] == [False, True, True]
    assert values(points)[-2:] == [203, 210]  # the forecasts stand in for missing actuals


def test_uk_regional_history_and_forecast(api: FakeApi, clock: Clock) -> None:
    api.serve(
        "/regional/intensity/2021-10-25T14:00Z/2021-10-25T20:00Z/regionid/13",
        "uk_regional_range_regionid_13.json",
    )
    api.serve(
        "/regional/intensity/2021-10-26T13:00Z/fw48h/regionid/13",
        "uk_regional_fw48h_regionid_13.json",
    )
    provider = uk(api, clock)
    past = provider.history("GB-13", at(25, 14), at(25, 20))
    assert len(past) == 12 and all(p.is_forecast for p in past)
    assert values(past)[-2:] == [200, 207]
    ahead = provider.forecast("London")
    assert len(ahead) == 96 and ahead[0].start == at(26, 13)
    assert ahead[-1].end == at(28, 13) and all(p.is_forecast for p in ahead)


def test_uk_national_forecast_starts_at_the_running_half_hour(api: FakeApi, clock: Clock) -> None:
    api.serve("/intensity/2021-10-26T13:00Z/fw48h", "uk_intensity_fw48h.json")
    points = uk(api, clock).forecast("GB")
    assert api.paths == ["/intensity/2021-10-26T13:00Z/fw48h"]
    assert len(points) == 96 and points[0].start == at(26, 13)
    assert values(points)[:2] == [103, 127] and all(p.is_forecast for p in points)


@pytest.mark.parametrize(
    ("zone", "words"),
    [("GB-NIR", "covers Great Britain only"), ("Atlantis", "outward postcode")],
)
def test_uk_zones_outside_great_britain_are_refused(zone: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        UkCarbonIntensity().latest(zone)
    assert info.value.key == "zone" and words in str(info.value) and zone in str(info.value)


# -- choosing a provider and a zone ----------------------------------------------


GREAT_BRITAIN = Location("GBR", "GB", "United Kingdom")


def _provider_from(
    arguments: dict[str, object], env: dict[str, str], tmp_path: Path
) -> LiveProvider | None:
    """Resolve settings as a tracker does, and return the live provider they ask for."""
    settings = resolve_settings(
        {"save_to_file": False, **arguments}, env=env, cwd=tmp_path, home=tmp_path
    )
    provider, _ = live_for(request_from(settings), GREAT_BRITAIN, env, cache_dir=tmp_path)
    return provider


def test_nothing_configured_means_no_provider(tmp_path: Path) -> None:
    assert make_provider(provider=None, env={}, cache_dir=tmp_path) is None
    assert make_provider(provider="  ", env={"WATTPRINT_LIVE_PROVIDER": ""}) is None
    assert _provider_from({}, {}, tmp_path) is None


def test_a_token_selects_electricity_maps(api: FakeApi, tmp_path: Path) -> None:
    env = {
        "WATTPRINT_ELECTRICITYMAPS_TOKEN": "tok-env",
        "WATTPRINT_ELECTRICITYMAPS_URL": f"{api.base_url}/v3",
    }
    provider = _provider_from({}, env, tmp_path)
    assert isinstance(provider, ElectricityMaps)
    api.serve("/v3/carbon-intensity/latest?zone=DE", "em_latest_DE.json")
    assert provider.latest("DE").intensity_g_per_kwh == 96
    assert api.requests[0][1]["auth-token"] == "tok-env"
    assert list(tmp_path.rglob("*.json")), "answers are cached in cache_dir"
    direct = make_provider(provider=None, token="tok-arg", env={}, cache_dir=tmp_path)
    assert isinstance(direct, ElectricityMaps)


@pytest.mark.parametrize("name", ["uk", "NESO", "carbonintensity"])
def test_the_environment_picks_the_uk_provider(api: FakeApi, tmp_path: Path, name: str) -> None:
    env = {
        "WATTPRINT_LIVE_PROVIDER": name,
        "WATTPRINT_UK_CARBON_URL": api.base_url,
        "WATTPRINT_ELECTRICITYMAPS_TOKEN": "tok-env",  # the explicit choice wins
    }
    provider = _provider_from({}, env, tmp_path)
    assert isinstance(provider, UkCarbonIntensity) and provider.name == "uk"
    api.serve("/intensity", "uk_intensity.json")
    assert provider.latest("GB").intensity_g_per_kwh == 100


def test_the_argument_wins_over_the_environment(tmp_path: Path) -> None:
    env = {"WATTPRINT_LIVE_PROVIDER": "electricitymaps"}
    assert isinstance(make_provider(provider="uk", env=env, cache_dir=tmp_path), UkCarbonIntensity)
    assert isinstance(_provider_from({"live_provider": "uk"}, env, tmp_path), UkCarbonIntensity)


def test_an_explicit_none_beats_the_environment_which_is_never_written(tmp_path: Path) -> None:
    before = dict(os.environ)
    env = {"WATTPRINT_LIVE_PROVIDER": "uk"}
    # The environment names no provider to make_provider: the settings chose already.
    assert make_provider(provider=None, env=env, cache_dir=tmp_path) is None
    assert _provider_from({"live_provider": None}, env, tmp_path) is None
    with_token = _provider_from(
        {"live_provider": None, "electricitymaps_token": "tok"}, env, tmp_path
    )
    assert isinstance(with_token, ElectricityMaps)  # the token selects it, not the env's 'uk'
    assert dict(os.environ) == before


def test_a_tracker_given_live_provider_none_never_asks_the_environment_s_provider(
    api: FakeApi, tmp_path: Path
) -> None:
    env = {
        "WATTPRINT_LIVE_PROVIDER": "uk",
        "WATTPRINT_UK_CARBON_URL": api.base_url,
        "WATTPRINT_ELECTRICITYMAPS_URL": f"{api.base_url}/v3",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    before = dict(os.environ)
    tracker = Tracker(
        live_provider=None,
        electricitymaps_token="tok",
        country="GB",
        mode="machine",
        force_cpu_power_w=10.0,
        force_ram_power_w=0.0,
        save_to_file=False,
        handle_signals=False,
        env=env,
    )
    with tracker:
        pass
    assert api.paths, "the chosen provider (Electricity Maps, by its token) was asked"
    assert all(path.startswith("/v3/") for path in api.paths), api.paths
    assert dict(os.environ) == before


def test_unknown_provider_names_list_the_accepted_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        _provider_from({}, {"WATTPRINT_LIVE_PROVIDER": "watttime"}, tmp_path)
    assert info.value.key == "live_provider"
    assert info.value.source == "environment variable WATTPRINT_LIVE_PROVIDER"
    for name in ("'electricitymaps'", "'uk'", "'neso'", "'carbonintensity'", "'watttime'"):
        assert name in str(info.value)
    with pytest.raises(ConfigError, match="live_provider"):
        make_provider(provider="co2signal", env={})


def test_electricity_maps_without_a_token_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        make_provider(provider="electricitymaps", env={}, cache_dir=tmp_path)
    assert info.value.key == "electricitymaps_token"


def test_a_base_url_override_must_be_http(tmp_path: Path) -> None:
    env = {"WATTPRINT_LIVE_PROVIDER": "uk", "WATTPRINT_UK_CARBON_URL": "ftp://example"}
    with pytest.raises(ConfigError, match="WATTPRINT_UK_CARBON_URL"):
        make_provider(provider="uk", env=env)
    with pytest.raises(ConfigError, match="WATTPRINT_UK_CARBON_URL"):
        _provider_from({}, env, tmp_path)


@pytest.mark.parametrize(
    ("provider", "country", "region", "zone"),
    [
        ("electricitymaps", "fr", None, "FR"),
        ("electricitymaps", "US", "CA", "US-CAL-CISO"),
        ("electricitymaps", "US", "US-TX", "US-TEX-ERCO"),
        ("electricitymaps", "US", "WA", "US"),  # no dominant balancing authority
        ("electricitymaps", "US", None, "US"),
        ("electricitymaps", "CA", "CA-ON", "CA-ON"),
        ("electricitymaps", "GB", "GB-NIR", "GB-NIR"),
        ("electricitymaps", "GB", "GB-SCT", "GB"),
        ("uk", "GB", None, "GB"),
        ("neso", "gb", "London", "GB-13"),
        ("uk", "GB", "GB-SCT", "GB-16"),
        ("uk", "GB", "RG10", "GB-RG10"),
        ("uk", "GB", "Kent", "GB"),  # not a NESO region: the national series
    ],
)
def test_zone_for(provider: str, country: str, region: str | None, zone: str) -> None:
    assert zone_for(provider, country, region) == zone


@pytest.mark.parametrize(("country", "region"), [("FR", None), ("IE", None), ("GB", "GB-NIR")])
def test_the_uk_provider_covers_great_britain_only(country: str, region: str | None) -> None:
    with pytest.raises(ConfigError, match="the UK Carbon Intensity API covers Great Britain only"):
        zone_for("uk", country, region)


def test_zone_for_refuses_bad_names() -> None:
    with pytest.raises(ConfigError, match="'electricitymaps'"):
        zone_for("watttime", "FR", None)
    with pytest.raises(ConfigError, match="alpha-2"):
        zone_for("electricitymaps", "FRA", None)
