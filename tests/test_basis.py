"""Every intensity says its basis, and rankings compare like with like.

The basis (``lifecycle`` or ``direct``) travels from the shipped tables to
the run's result, its CSV row and JSON form; rankings rank one basis, leave
0 g/kWh gaps out, price cloud regions at their grid's figure with the
provider's own beside it, and flag implausible provider figures.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_sinks import make_result

from wattprint.advice.ranking import rank_cloud_regions, rank_countries
from wattprint.advice.whatif import what_if_of
from wattprint.cli.grid_commands import regions as regions_command
from wattprint.errors import DataError
from wattprint.grid.choice import choose_intensity
from wattprint.grid.cloud_regions import CloudTable
from wattprint.grid.countries import CountryTable
from wattprint.grid.live.base import IntensityPoint
from wattprint.grid.monthly import MonthlyTable
from wattprint.grid.plan import plan_grid
from wattprint.grid.regions import RegionTable
from wattprint.grid.request import GridRequest
from wattprint.grid.tables import GridTables, default_tables
from wattprint.grid.timeline import IntensityTimeline
from wattprint.grid.water import WaterTable
from wattprint.provenance import Intensity, Location
from wattprint.records.columns import COLUMNS, WATTPRINT_COLUMNS
from wattprint.records.read import read_records
from wattprint.records.run_dict import run_from_dict, run_to_dict
from wattprint.sinks.csv_file import CsvSink
from wattprint.sinks.jsonl import JsonLinesSink

REPORTS = Path(__file__).parent / "fixtures" / "reports"
NORDIC = ("SE-SE1", "SE-SE2", "SE-SE3", "SE-SE4", "NO-NO1", "NO-NO2", "NO-NO3", "NO-NO4", "NO-NO5")


def _direct_result() -> object:
    result = make_result("direct-run")
    m = result.methodology
    direct = Intensity(300.0, "NESO live", 2025, "average", "GB, direct CO2", "direct")
    return replace(result, methodology=replace(m, intensity=direct))


# --------------------------------------------------------------------------- the record


def test_the_csv_carries_kind_and_basis_and_reads_them_back(tmp_path: Path) -> None:
    assert {"intensity_kind", "intensity_basis"} <= set(WATTPRINT_COLUMNS)
    path = tmp_path / "emissions.csv"
    CsvSink(path).write(_direct_result())  # type: ignore[arg-type]
    with path.open(newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert list(row) == list(COLUMNS)
    assert (row["intensity_kind"], row["intensity_basis"]) == ("average", "direct")
    (record,) = read_records(path)
    assert (record.intensity.kind, record.intensity.basis) == ("average", "direct")


def test_the_json_form_carries_the_basis_and_reads_it_back(tmp_path: Path) -> None:
    result = _direct_result()
    data = run_to_dict(result)  # type: ignore[arg-type]
    assert data["methodology"]["intensity"]["basis"] == "direct"
    assert run_from_dict(data).methodology.intensity.basis == "direct"
    JsonLinesSink(tmp_path / "runs.jsonl").write(result)  # type: ignore[arg-type]
    (record,) = read_records(tmp_path / "runs.jsonl")
    assert record.intensity.basis == "direct"


def test_old_json_records_without_a_basis_still_read() -> None:
    data = run_to_dict(make_result("old"))
    del data["methodology"]["intensity"]["basis"]
    for task in data["tasks"]:
        del task["methodology"]["intensity"]["basis"]
    assert run_from_dict(data).methodology.intensity.basis == "lifecycle"
    # A file written before the field existed (recorded fixture): read, basis unknown.
    records = list(read_records(REPORTS / "runs.jsonl"))
    assert records and all(r.intensity.basis is None for r in records)
    assert all(r.intensity.g_per_kwh is not None for r in records)
    line = json.loads((REPORTS / "runs.jsonl").read_text().splitlines()[0])
    assert "basis" not in line["methodology"]["intensity"]
    assert run_from_dict(line).methodology.intensity.basis == "lifecycle"


def test_a_json_record_with_an_unknown_basis_is_refused() -> None:
    data = run_to_dict(make_result("bad"))
    data["methodology"]["intensity"]["basis"] = "gross"
    with pytest.raises(DataError, match="gross"):
        run_from_dict(data)


# --------------------------------------------------------------------------- the tables


def test_every_intensity_the_tables_give_names_its_basis_in_the_detail() -> None:
    tables = default_tables()
    for location in (
        Location("USA", "US", "United States", region="US-CA"),
        Location("FRA", "FR", "France"),
        Location("SWE", "SE", "Sweden", region="SE-SE3"),
        Location("BEL", "BE", "Belgium", cloud_provider="gcp", cloud_region="europe-west1"),
    ):
        intensity, _, _ = choose_intensity(GridRequest(), location, tables)
        assert intensity.basis == "lifecycle"
        assert "lifecycle gCO2e/kWh" in intensity.detail, intensity.detail


def test_nordic_zones_are_distinct_with_source_and_year() -> None:
    zones = [default_tables().regions.lookup(code[:2], code) for code in NORDIC]
    values = {z.code: z.intensity_g_per_kwh for z in zones}
    # CodeCarbon nordic_emissions.json, commit 26b19bc5: ENTSO-E A75 generation, 2025.
    assert values == {
        "SE-SE1": 25.9, "SE-SE2": 25.7, "SE-SE3": 27.0, "SE-SE4": 24.7, "NO-NO1": 26.0,
        "NO-NO2": 27.0, "NO-NO3": 25.8, "NO-NO4": 51.7, "NO-NO5": 26.6,
    }  # fmt: skip
    assert len(set(values.values())) >= 8  # no longer one placeholder for all
    for zone in zones:
        assert zone.year == 2025 and zone.basis == "lifecycle"
        assert "CodeCarbon" in zone.source and "ENTSO-E" in zone.source


def test_a_zero_gap_country_falls_back_to_the_world_with_a_note() -> None:
    tables = default_tables()
    assert tables.countries.lookup("CAF").intensity_g_per_kwh == 0.0  # Ember's gap
    location = Location("CAF", "CF", "Central African Republic")
    intensity, monthly, note = choose_intensity(GridRequest(), location, tables)
    assert intensity.intensity_g_per_kwh == tables.countries.world().intensity_g_per_kwh
    assert monthly is None and note is not None and "gap" in note and "World" in note


# --------------------------------------------------------------------------- rankings


def _mixed_tables(tmp_path: Path) -> GridTables:
    countries = tmp_path / "countries.csv"
    countries.write_text(
        "iso3,iso2,name,intensity_g_per_kwh,year,source,basis\n"
        "AAA,AA,Aland,100,2024,t,lifecycle\nBBB,BB,Bland,0,2024,t,lifecycle\n"
        "CCC,CC,Cland,50,2024,t,lifecycle\nWLD,,World,400,2024,t,lifecycle\n"
    )
    regions = tmp_path / "regions.csv"
    regions.write_text(
        "country_iso3,code,name,intensity_g_per_kwh,year,source,basis\n"
        "AAA,AA-X,Xshire,10,2024,t,direct\nAAA,AA-Y,Yshire,80,2024,t,lifecycle\n"
    )
    clouds = tmp_path / "clouds.csv"
    clouds.write_text(
        "provider,region,name,country_iso3,subdivision,provider_intensity_g_per_kwh,"
        "cfe_share,year,source,basis\n"
        "gcp,x-one1,X one,AAA,AA-X,2,0.9,2024,t,lifecycle\n"
        "aws,x-one-1,X one,AAA,AA-X,,,,t,\n"
        "azure,yeast,Y east,AAA,AA-Y,,,,t,\n"
    )
    return GridTables(
        CountryTable(countries),
        RegionTable(regions),
        MonthlyTable(),
        CloudTable(clouds, providers_path=None),
        WaterTable(),
    )


def test_a_ranking_never_mixes_bases_without_saying_so(tmp_path: Path) -> None:
    tables = _mixed_tables(tmp_path)
    for basis in ("lifecycle", "direct"):
        ranking = rank_countries(
            tables, energy_kwh=1.0, current_g_per_kwh=100.0, regions=True, basis=basis
        )
        assert ranking.basis == basis
        assert all(p.basis == basis for p in ranking.places)
    lifecycle = rank_countries(tables, energy_kwh=1.0, current_g_per_kwh=100.0, regions=True)
    assert [p.key for p in lifecycle.places] == ["CCC", "AA-Y", "AAA"]  # no AA-X, no gap BBB
    assert any("another basis" in n and "AA-X" in n for n in lifecycle.notes)
    # Cloud regions: priced at their grid on the basis, the provider's own figure beside.
    clouds = rank_cloud_regions(tables, provider=None, energy_kwh=1.0, current_g_per_kwh=100.0)
    by_key = {p.key: p for p in clouds.places}
    assert by_key["gcp:x-one1"].intensity_g_per_kwh == 100.0  # AA-X is direct: the country
    assert by_key["gcp:x-one1"].provider_g_per_kwh == 2.0 and by_key["gcp:x-one1"].flag
    assert by_key["aws:x-one-1"].intensity_g_per_kwh == 100.0
    assert by_key["azure:yeast"].intensity_g_per_kwh == 80.0
    assert all(p.basis == "lifecycle" for p in clouds.places)


def test_the_shipped_rankings_skip_gaps_and_keep_one_basis() -> None:
    tables = default_tables()
    ranking = rank_countries(tables, energy_kwh=1.0, current_g_per_kwh=400.0, regions=True)
    assert ranking.places[0].key != "CAF" and "CAF" not in {p.key for p in ranking.places}
    assert all(p.intensity_g_per_kwh > 0 and p.basis == ranking.basis for p in ranking.places)
    assert any("0 g/kWh" in note and "CAF" in note for note in ranking.notes)


def test_same_state_on_two_providers_ranks_equal_and_outliers_are_flagged() -> None:
    ranking = rank_cloud_regions(
        default_tables(), provider=None, energy_kwh=1.0, current_g_per_kwh=400.0
    )
    by_key = {p.key: p for p in ranking.places}
    oregon_gcp, oregon_aws = by_key["gcp:us-west1"], by_key["aws:us-west-2"]
    assert oregon_gcp.intensity_g_per_kwh == oregon_aws.intensity_g_per_kwh == 203.66
    assert oregon_gcp.saving_kg == oregon_aws.saving_kg  # no saving from the data source
    assert oregon_gcp.provider_g_per_kwh == pytest.approx(79.23) and not oregon_gcp.flag
    stockholm = by_key["gcp:europe-north2"]
    assert stockholm.intensity_g_per_kwh == 27.0 and stockholm.provider_g_per_kwh == 2.73
    assert "2.73" in stockholm.flag and "implausible" in stockholm.flag
    assert any("gcp:europe-north2" in note for note in ranking.notes)


@dataclass(frozen=True)
class _Place:
    country_iso3: str | None
    country_name: str | None
    region: str | None = None
    cloud_provider: str | None = None
    cloud_region: str | None = None


@dataclass(frozen=True)
class _Run:
    place: _Place
    counted: bool = True


@dataclass(frozen=True)
class _Totals:
    energy_kwh: float
    intensity_g_per_kwh: float | None


def test_what_if_saves_nothing_from_the_data_source_alone() -> None:
    # A run in gcp:us-west1 used Google's 79.23; the ranking prices Oregon at 203.66.
    run = _Run(_Place("USA", "United States", cloud_provider="gcp", cloud_region="us-west1"))
    w = what_if_of([run], _Totals(energy_kwh=10.0, intensity_g_per_kwh=79.23))
    assert w is not None and w.basis == "lifecycle"
    assert w.current_g_per_kwh == 79.23 and w.baseline_g_per_kwh == 203.66
    assert any("79.23" in n and "203.66" in n for n in w.notes)
    for place in (*w.countries_best, *w.cloud_best):
        assert place.saving_kg == pytest.approx(10.0 * (203.66 - place.intensity_g_per_kwh) / 1000)
    # A run on its country's own figure keeps it as the baseline.
    france = what_if_of([_Run(_Place("FRA", "France"))], _Totals(1.0, 44.18))
    assert france is not None and france.baseline_g_per_kwh == 44.18


def test_regions_command_says_the_basis_per_row_and_flags(tmp_path: Path) -> None:
    out = CliRunner().invoke(regions_command, ["--cloud", "gcp", "--country", "SE", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["basis"] == "lifecycle" and data["current"]["basis"] == "lifecycle"
    assert all(p["basis"] == "lifecycle" for p in data["places"])
    flagged = {p["key"] for p in data["places"] if p["flag"]}
    assert "gcp:europe-north2" in flagged
    text = CliRunner().invoke(regions_command, ["--limit", "3"])
    assert text.exit_code == 0 and "lifecycle basis" in text.output
    assert "CAF" not in text.output.split("note:")[0]


class _DirectProvider:
    """A live provider answering direct (combustion) figures, as NESO's are."""

    name = "uk"

    def __init__(self, hour: datetime) -> None:
        self._hour = hour

    def _point(self, start: datetime) -> IntensityPoint:
        return IntensityPoint(
            start, start + timedelta(hours=1), 150.0, "average", False, False, "NESO", "direct"
        )

    def latest(self, zone: str) -> IntensityPoint:
        return self._point(self._hour)

    def history(self, zone: str, start: datetime, end: datetime) -> list[IntensityPoint]:
        return [self._point(self._hour)]

    def forecast(self, zone: str) -> list[IntensityPoint]:
        return []


def test_a_live_direct_figure_keeps_its_basis_and_a_mix_says_so() -> None:
    hour = datetime(2025, 3, 1, 10, tzinfo=timezone.utc)
    plan = plan_grid(GridRequest(country="GB"), env={}, detect_cloud=lambda: None)
    timeline = IntensityTimeline(
        plan, default_tables(), _DirectProvider(hour), "GB", now=lambda: hour + timedelta(hours=3)
    )
    first = int(hour.timestamp())
    alone = timeline.resolve([(first, 3.6e6)])
    assert alone.intensity.basis == "direct" and "direct CO2" in alone.intensity.detail
    # An hour the provider does not cover falls back to the (lifecycle) tables: a mix, said.
    mixed = timeline.resolve([(first, 3.6e6), (first + 3600, 1.2e6)])
    assert mixed.intensity.basis == "direct"  # the basis of most of the energy
    assert "mixed bases: direct for 75%, lifecycle for 25%" in mixed.intensity.detail
