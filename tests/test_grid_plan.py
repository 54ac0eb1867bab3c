"""Where the electricity comes from: the resolution chain, the choice, the hours."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from wattprint import Tracker
from wattprint.errors import ConfigError, ProviderError
from wattprint.grid.cloud_detect import CloudGuess
from wattprint.grid.geoip import GeoIpGuess
from wattprint.grid.live.base import IntensityPoint
from wattprint.grid.plan import GridPlan, default_tables, plan_grid
from wattprint.grid.request import GridRequest
from wattprint.grid.timeline import IntensityTimeline, Resolved
from wattprint.grid.timezone import TzGuess
from wattprint.impact.hourly import hourly_emissions_kg
from wattprint.settings.resolve import resolve_settings
from wattprint.tracking.grid_request import request_from
from wattprint.units import J_PER_KWH


def _settings(**args: object) -> GridRequest:
    """Resolve settings as a tracker does and return the grid request they make."""
    settings = resolve_settings(
        {"save_to_file": False, **args}, env={}, cwd=Path("/"), home=Path("/")
    )
    return request_from(settings)


def _never() -> object:
    raise AssertionError("this step must not run")


def _plan(request, *, cloud=_never, tz=_never, geoip=_never) -> GridPlan:  # type: ignore[no-untyped-def]
    return plan_grid(request, env={}, detect_cloud=cloud, guess_timezone=tz, lookup_geoip=geoip)


def _emissions_kg(resolved: Resolved) -> float:
    return hourly_emissions_kg(resolved.energy_kwh_by_hour, resolved.intensity_g_per_kwh_by_hour)


def test_country_from_settings_needs_no_detection() -> None:
    plan = _plan(_settings(country="fr"))
    assert plan.location.country_iso3 == "FRA" and "argument" in plan.location.how
    assert plan.intensity.intensity_g_per_kwh == 44.18 and plan.intensity.year == 2024
    assert plan.monthly_country == "FRA"
    assert plan.pue == 1.0 and plan.wue_l_per_kwh == 0.0 and "private" in plan.pue_source
    assert plan.grid_water is not None and plan.grid_water.water_l_per_kwh == 1.928


@pytest.mark.parametrize(
    "args", [{"region": "US-CA"}, {"country": "US", "region": "California"},
             {"country": "USA", "region": "ca"}],
)  # fmt: skip
def test_regions_by_code_or_name(args: dict[str, str]) -> None:
    plan = _plan(_settings(**args))
    assert plan.location.country_iso3 == "USA" and plan.location.region == "US-CA"
    assert plan.intensity.intensity_g_per_kwh == 199.67 and plan.monthly_country is None
    assert plan.grid_water is not None and plan.grid_water.key == "US-CA"


def test_unknown_region_and_cloud_name_the_value() -> None:
    with pytest.raises(ConfigError, match="'Atlantis'"):
        _plan(_settings(country="US", region="Atlantis"))
    with pytest.raises(ConfigError, match="europe-west99"):
        _plan(_settings(cloud="gcp:europe-west99"))
    with pytest.raises(ConfigError, match="region"):
        _plan(_settings(region="Bavaria"))


def test_cloud_region_uses_the_provider_figures() -> None:
    plan = _plan(_settings(cloud="gcp:europe-west1"))
    loc = plan.location
    assert (loc.country_iso3, loc.cloud_provider, loc.cloud_region) == (
        "BEL",
        "gcp",
        "europe-west1",
    )
    assert (
        plan.intensity.intensity_g_per_kwh == 103.37 and "84% carbon-free" in plan.intensity.detail
    )
    assert (plan.pue, plan.wue_l_per_kwh) == (1.10, 1.06)
    aws = _plan(_settings(cloud_provider="aws", cloud_region="us-east-1", pue=1.3))
    assert aws.location.region == "US-VA" and aws.intensity.intensity_g_per_kwh > 0
    assert aws.pue == 1.3 and aws.wue_l_per_kwh == 0.18  # the user's PUE wins


def test_detected_cloud_region() -> None:
    plan = _plan(_settings(), cloud=lambda: CloudGuess("aws", "eu-west-1", "IMDSv2 placement"))
    assert plan.location.country_iso3 == "IRL" and plan.location.cloud_region == "eu-west-1"
    assert "cloud metadata" in plan.location.how and plan.pue == 1.15


def test_cloud_without_region_falls_to_time_zone_but_keeps_the_provider_pue() -> None:
    plan = _plan(
        _settings(),
        cloud=lambda: CloudGuess("azure", None, "DMI says azure; metadata did not answer"),
        tz=lambda: TzGuess("Europe/Paris", "FR", None, False, "TZ=Europe/Paris"),
    )
    assert plan.location.country_iso3 == "FRA" and "time zone" in plan.location.how
    assert plan.pue == 1.18 and any("region unknown" in w for w in plan.warnings)


def test_time_zone_state_guess_is_marked() -> None:
    plan = _plan(
        _settings(),
        cloud=lambda: None,
        tz=lambda: TzGuess("America/Los_Angeles", "US", "US-CA", True, "TZ=America/Los_Angeles"),
    )
    assert plan.location.region == "US-CA" and "is a guess" in plan.location.how
    assert plan.intensity.intensity_g_per_kwh == 199.67


def test_geoip_only_when_opted_in_and_world_otherwise() -> None:
    plan = _plan(_settings(), cloud=lambda: None, tz=lambda: None)
    assert plan.location.is_world and any("world-average" in w for w in plan.warnings)
    assert "WATTPRINT_COUNTRY" in plan.warnings[0]
    found = _plan(
        _settings(geoip=True),
        cloud=lambda: None,
        tz=lambda: None,
        geoip=lambda: GeoIpGuess("DE", "Bavaria", "ipinfo.io"),
    )
    assert found.location.country_iso3 == "DEU" and "geo-IP" in found.location.how

    def down() -> object:
        raise ProviderError("timed out")

    failed = _plan(_settings(geoip=True), cloud=lambda: None, tz=lambda: None, geoip=down)
    assert failed.location.is_world and any("geo-IP lookup failed" in w for w in failed.warnings)


def test_forced_intensity_skips_detection() -> None:
    plan = _plan(_settings(force_intensity_g_per_kwh=12.5))
    assert plan.intensity.intensity_g_per_kwh == 12.5 and plan.intensity.source == "set by the user"
    assert not any("world-average" in w for w in plan.warnings)


# -- hours ---------------------------------------------------------------------


def _hour(year: int, month: int, day: int = 1, hour: int = 0) -> int:
    return int(datetime(year, month, day, hour, tzinfo=timezone.utc).timestamp())


def test_monthly_figures_replace_the_annual_one_where_covered() -> None:
    plan = _plan(_settings(country="FR"))
    timeline = IntensityTimeline(plan, default_tables())
    march_2025, now = _hour(2025, 3), _hour(2026, 11)
    # 1 kWh in March 2025 at 36.27 + 1 kWh in Nov 2026 at the annual 44.18 = 80.45 g.
    resolved = timeline.resolve([(march_2025, J_PER_KWH), (now, J_PER_KWH)])
    assert _emissions_kg(resolved) == pytest.approx((36.27 + 44.18) / 1000)
    assert resolved.intensity.intensity_g_per_kwh == pytest.approx((36.27 + 44.18) / 2)
    assert "monthly" in resolved.intensity.source and "50%" in resolved.intensity.detail


class RecordedProvider:
    """A live provider replaying a recorded series (implements the protocol)."""

    name = "electricitymaps"

    def __init__(self, points: list[IntensityPoint], *, fail: bool = False) -> None:
        self.points, self.fail, self.calls = points, fail, 0

    def latest(self, zone: str) -> IntensityPoint:
        self.calls += 1
        if self.fail:
            raise ProviderError("GET /latest: timed out")
        return self.points[-1]

    def history(self, zone: str, start: datetime, end: datetime) -> list[IntensityPoint]:
        self.calls += 1
        if self.fail:
            raise ProviderError("GET /past-range: HTTP 500")
        return [p for p in self.points if p.end > start and p.start < end]

    def forecast(self, zone: str) -> list[IntensityPoint]:
        return []


def _points(start: datetime, values: list[float]) -> list[IntensityPoint]:
    return [
        IntensityPoint(start + timedelta(hours=i), start + timedelta(hours=i + 1), v,
                       "average", False, False, "Electricity Maps (lifecycle)")
        for i, v in enumerate(values)
    ]  # fmt: skip


def test_live_hours_each_get_their_intensity() -> None:
    start = datetime(2026, 11, 20, 10, tzinfo=timezone.utc)
    provider = RecordedProvider(_points(start, [100.0, 300.0]))
    plan = _plan(_settings(country="DE"))
    timeline = IntensityTimeline(
        plan, default_tables(), provider, "DE", now=lambda: start + timedelta(hours=3)
    )
    h0 = int(start.timestamp())
    # 1 kWh at 100 + 3 kWh at 300 = 1000 g; mean 250 g/kWh.
    resolved = timeline.resolve([(h0, J_PER_KWH), (h0 + 3600, 3 * J_PER_KWH)])
    assert _emissions_kg(resolved) == pytest.approx(1.0)
    assert resolved.intensity.intensity_g_per_kwh == pytest.approx(250.0)
    assert "live" in resolved.intensity.source
    calls = provider.calls
    timeline.resolve([(h0, J_PER_KWH)])  # known hours are not fetched again
    assert provider.calls == calls


def test_live_failure_falls_back_to_the_tables_with_a_note() -> None:
    start = datetime(2026, 11, 20, 10, tzinfo=timezone.utc)
    plan = _plan(_settings(country="DE"))
    provider = RecordedProvider([], fail=True)
    timeline = IntensityTimeline(plan, default_tables(), provider, "DE", now=lambda: start)
    resolved = timeline.resolve([(int(start.timestamp()), J_PER_KWH)])
    assert resolved.intensity.intensity_g_per_kwh == plan.intensity.intensity_g_per_kwh
    assert any("failed" in n and "shipped tables" in n for n in resolved.notes)


def test_tracker_reports_water_and_cloud_pue(tmp_path: Path) -> None:
    with Tracker(
        cloud="gcp:europe-west1",
        mode="machine",
        force_cpu_power_w=10.0,
        force_ram_power_w=0.0,
        output_dir=tmp_path,
        interval_s=0.1,
    ) as tracker:
        pass
    r = tracker.result
    assert r is not None and r.pue == 1.10 and r.wue_l_per_kwh == 1.06
    it_kwh = r.cpu_energy_kwh + r.ram_energy_kwh
    assert r.energy_kwh == pytest.approx(it_kwh * 1.10)
    # water = IT energy x (WUE + PUE x grid water) = it x (1.06 + 1.10 x 1.660)
    assert r.water_l == pytest.approx(it_kwh * (1.06 + 1.10 * 1.660))
    assert r.emissions_kg == pytest.approx(r.energy_kwh * 103.37 / 1000)
    assert "WUE 1.06" in r.methodology.water and "fleet" in r.methodology.pue_source
    row = (tmp_path / "emissions.csv").read_text().splitlines()[1]
    assert ",gcp,europe-west1," in row and ",Y,1.1,1.06," in row


# -- the request, not the settings ------------------------------------------------


def test_a_plain_request_needs_no_settings() -> None:
    plan = _plan(GridRequest(country="FR", pue=1.2))
    assert plan.location.country_iso3 == "FRA" and "country='FR' (request)" in plan.location.how
    assert plan.pue == 1.2 and "set by the user (request)" in plan.pue_source
    with pytest.raises(ConfigError) as info:
        _plan(GridRequest(region="Bavaria"))
    assert info.value.source == "request" and "'Bavaria'" in str(info.value)


def test_the_request_carries_where_each_value_came_from() -> None:
    request = _settings(country="FR", project="not-a-grid-setting")
    assert request.source_of("country") == "argument"
    assert [key for key, _ in request.sources] == ["country"]
    assert "tok-secret" not in repr(GridRequest(electricitymaps_token="tok-secret"))


def test_a_set_intensity_holds_every_hour_and_asks_no_provider() -> None:
    start = datetime(2026, 11, 20, 10, tzinfo=timezone.utc)
    plan = _plan(_settings(country="FR", force_intensity_g_per_kwh=12.5))
    assert plan.intensity_is_set and plan.monthly_country is None
    provider = RecordedProvider(_points(start, [100.0]))
    timeline = IntensityTimeline(plan, default_tables(), provider, "FR", now=lambda: start)
    h0, march_2025 = int(start.timestamp()), _hour(2025, 3)
    resolved = timeline.resolve([(h0, J_PER_KWH), (march_2025, J_PER_KWH)])
    assert provider.calls == 0
    assert resolved.intensity_g_per_kwh_by_hour == {h0: 12.5, march_2025: 12.5}
    assert _emissions_kg(resolved) == pytest.approx(2 * 12.5 / 1000)
    assert not _plan(_settings(country="FR")).intensity_is_set


def test_latest_asks_the_live_provider_once_or_says_why_not() -> None:
    start = datetime(2026, 11, 20, 10, tzinfo=timezone.utc)
    plan = _plan(_settings(country="DE"))
    provider = RecordedProvider(_points(start, [100.0, 300.0]))
    timeline = IntensityTimeline(plan, default_tables(), provider, "DE", now=lambda: start)
    latest = timeline.latest()
    assert latest is not None and latest.intensity_g_per_kwh == 300.0
    assert latest.detail.startswith("electricitymaps zone DE, ") and latest.year == 2026
    assert provider.calls == 1 and timeline.is_live and timeline.notes == ()

    failing = IntensityTimeline(
        plan, default_tables(), RecordedProvider([], fail=True), "DE", now=lambda: start
    )
    assert failing.latest() is None
    assert failing.notes == (
        "live intensity failed (GET /latest: timed out); the table value stands",
    )
    offline = IntensityTimeline(plan, default_tables())
    assert offline.latest() is None and not offline.is_live and offline.notes == ()
