"""Runs counted straight from their rows give the report that their records give, to the last digit.

A report lists its first runs and counts the others from their rows of
wattprint's emissions.csv (``records/rows.py``, ``report/counting.py``):
these tests build files that vary every column the report reads (projects,
methods, places, PUE, empty cells, zeros, ``nan``, negative durations,
recorded bounds or none, both meanings of the component columns) with
damaged rows among them, and check that the report, its JSON form and
``verify``'s recomputation are the same whichever way the runs are read.
"""

from __future__ import annotations

import csv
import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from test_report_stream import FIXTURES, NOW, SCOPE
from test_sinks import make_result

from wattprint.errors import DataError
from wattprint.impact.uncertainty import (
    INTENSITY_BANDS,
    Band,
    Interval,
    emissions_interval,
    it_energy_interval,
)
from wattprint.records import rows
from wattprint.records.columns import COLUMNS
from wattprint.records.csv_form import row_of
from wattprint.records.read import read_records, read_runs
from wattprint.records.record import RunRecord
from wattprint.records.rows import PER_RUN, RunRow
from wattprint.report import aggregate, build
from wattprint.report.aggregate import Aggregate, build_report
from wattprint.report.build import report_from_files
from wattprint.report.counting import figures_of, profile_of, row_figures
from wattprint.report.load import RunStream, load_runs, select
from wattprint.report.model import RUNS_LISTED, Report
from wattprint.report.recompute import recompute_checks
from wattprint.report.render.jsonreport import report_to_dict
from wattprint.report.runs import ranges_from, run_line

METHODS = {
    "cpu": ("rapl", "tdp-x-load", "constant", "cloud-instance-profile", "", "mystery-meter"),
    "gpu": ("none", "nvml-energy", "nvml-power-polling", "nvml-energy+nvml-power-polling", ""),
    "ram": ("gb-x-w-per-gb", "constant", "rapl", "none"),
}
PLACES = (  # country, ISO 3166 alpha-3, region, cloud provider, cloud region
    ("France", "FRA", "", "", ""),
    ("United States", "USA", "US-CA", "", ""),
    ("Belgium", "BEL", "", "gcp", "europe-west1"),
    ("", "", "", "", ""),
)
HOSTS = (  # GPUs, their model, memory (GiB)
    ("0", "", "32.0"), ("2", "NVIDIA A100-SXM4-80GB", "64.0"), ("1", "Tesla T4", ""), ("", "", "16")
)  # fmt: skip


def _figure(rng: random.Random, scale: float) -> str:
    return "0.0" if rng.random() < 0.03 else repr(rng.random() * scale)


def _time(rng: random.Random, at: datetime) -> str:
    roll = rng.random()
    if roll < 0.05:
        return ""
    if roll < 0.15:
        return at.replace(tzinfo=None).isoformat(sep=" ")  # naive, and not as isoformat() writes
    if roll < 0.25:
        return at.isoformat().replace("+00:00", "Z")
    return at.astimezone(timezone(timedelta(hours=rng.choice((0, 2, -5))))).isoformat()


def _static(rng: random.Random, n: int) -> dict[str, str]:
    """Return the cells a run shares with others alike: methods, place, host, PUE, sources."""
    pick = rng.choice
    country, iso3, region, provider, cloud_region = pick(PLACES)
    gpus, gpu_model, ram = pick(HOSTS)
    return {
        "experiment_id": pick(("exp-a", "exp-b")),
        "host_name": pick(("h1", "h2")),
        **{f"{c}_method": pick(METHODS[c]) for c in ("cpu", "gpu", "ram")},
        "measured_share": pick(("0.0", "1.0", "0.5", "", "0.75")),
        "pue": ("1.0", "1.58", "", "0", "1.1")[n % 5],
        "wue": pick(("0.0", "0.2", "")),
        "intensity_source": pick(("Ember (2025)", "Google Cloud region-carbon-info", "")),
        "intensity_year": pick(("2023", "2024", "", "2024.0")),
        "intensity_kind": pick(("average", "marginal", "")),
        "country_name": country, "country_iso_code": iso3, "region": region,
        "cloud_provider": provider, "cloud_region": cloud_region,
        "location_source": pick(("argument country", "", "cloud metadata")),
        "gpu_count": gpus, "gpu_model": gpu_model, "ram_total_size": ram,
        "cpu_count": pick(("16", "", "8")),
        "status": pick(("completed", "crashed", "")),
        "tracking_mode": pick(("process", "machine")),
        "unit": pick(("", "image", "token")),
        "rank": pick(("", "0", "1")),
        "wattprint_it_energy_kwh": ("", "0.5")[n % 2],  # which meaning the component columns have
    }  # fmt: skip


OWN = (
    "duration", "started_at_utc", "ended_at_utc", "emissions", "emissions_rate", "cpu_energy",
    "gpu_energy", "ram_energy", "energy_consumed", "water_consumed", "wattprint_water_total_l",
    "intensity_g_per_kwh", "units", "embodied_kg", "run_id",
)  # fmt: skip
"""Cells of a run's own, some left empty in all runs alike."""


def _blanks(rng: random.Random) -> frozenset[str]:
    return frozenset(c for c in OWN if rng.random() < 0.15)


def _row(
    rng: random.Random, n: int, prefix: str, alike: dict[str, str], blank: frozenset[str]
) -> dict[str, str]:
    """Return a run's row: the cells of ``alike``, figures of its own, ``blank`` ones empty."""
    row = row_of(make_result())
    pick = rng.choice
    started = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=n, microseconds=n * 7)
    energies = {c: _figure(rng, 1e-2) for c in ("cpu", "gpu", "ram")}
    row.update(alike)
    row.update({
        "timestamp": (started + timedelta(hours=1)).isoformat(timespec="seconds"),
        "project_name": pick(("vision", "nlp", "speech", "")),
        "run_id": f"{prefix}-{n}",
        "run_group": pick(("", "", "job-1", "job-2")),
        "duration": pick((repr(rng.random() * 5000),) * 30 + ("0.0", "-3.5")),
        "started_at_utc": _time(rng, started),
        "ended_at_utc": _time(rng, started + timedelta(seconds=rng.random() * 5000)),
        "emissions": _figure(rng, 1e-3),
        "emissions_rate": pick((repr(rng.random()),) * 30 + ("nan",)),
        "cpu_power": repr(rng.random() * 100),
        **{f"{c}_energy": e for c, e in energies.items()},
        "energy_consumed": _figure(rng, 3e-2),
        "water_consumed": _figure(rng, 1e-2),
        "wattprint_water_total_l": _figure(rng, 1e-1),
        "intensity_g_per_kwh": pick((repr(rng.random() * 800), "56.0")),
        "units": pick(("100.0", repr(rng.random() * 1e4)) * 8 + ("0", "0.0")),
        "embodied_kg": _figure(rng, 1e-2),
    })  # fmt: skip
    row.update(dict.fromkeys(blank, ""))
    if rng.random() < 0.03:
        row[rng.choice(OWN)] = ""
    bounds = pick(("none", "all", "some"))
    for name in ("energy_kwh_low", "energy_kwh_high", "emissions_kg_low", "emissions_kg_high"):
        if bounds == "all" or (bounds == "some" and rng.random() < 0.5):
            row[f"wattprint_{name}"] = repr(rng.random() * 1e-2)
    return row


DAMAGED = (
    "cut,off\n",
    '"an open quote,\n',
    "\n",
    "   ,  ,\n",
)


def _write(path: Path, rows: int, seed: int) -> list[str]:
    """Write ``rows`` varied runs and some damaged lines; return what the damaged rows hold."""
    rng = random.Random(seed)
    alike = [(_static(rng, n), _blanks(rng)) for n in range(12)]
    bad: list[str] = []
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        for n in range(rows):
            row = _row(rng, n, f"run-{seed}", *rng.choice(alike))
            if rng.random() < 0.02:
                column, value = rng.choice(
                    (("cpu_power", "abc"), ("intensity_year", "2023.5"), ("started_at_utc", "noon"),
                     ("pue", "one"), ("rank", "1.5"), ("cpu_count", "x"))
                )  # fmt: skip
                row[column] = value
                bad.append(value)
            writer.writerow([row[c] for c in COLUMNS])
            if rng.random() < 0.01:
                f.write(rng.choice(DAMAGED))
    with open(path, "ab") as b:
        b.write(b"\xff\xfe not utf-8\n")
    return bad


def _streamed(paths: list[Path], listed: int) -> Report:
    stream = RunStream(paths, on_damaged=lambda err: None)
    aggregate = Aggregate(listed)
    for run in stream:
        if isinstance(run, RunRecord):
            aggregate.add(run)
        else:
            aggregate.add_row(run)
    notes = tuple(stream.notes)
    return aggregate.report(SCOPE, load_notes=notes, generator="t", now=NOW, title=None, top=3)


def _from_records(paths: list[Path], listed: int) -> Report:
    loaded = load_runs(paths, skip_damaged=True)
    return build_report(loaded.runs, SCOPE, load_notes=loaded.notes, now=NOW, generator="t",
                        listed=listed)  # fmt: skip


@pytest.fixture(scope="module")
def varied(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("varied")
    paths = []
    for seed, count in ((1, 600), (2, 300), (3, 40)):
        path = folder / f"emissions-{seed}.csv"
        _write(path, count, seed)
        paths.append(path)
    return paths


@pytest.mark.parametrize("listed", [0, 7, 1000])
def test_a_report_counted_from_rows_is_the_one_counted_from_records(
    varied: list[Path], listed: int
) -> None:
    for paths in ([varied[0]], varied, [FIXTURES / "emissions.csv", varied[2]]):
        fast, full = _streamed(paths, listed), _from_records(paths, listed)
        assert fast.totals.runs == full.totals.runs > 0
        assert report_to_dict(fast) == report_to_dict(full)
        assert fast == full


def test_other_files_and_forms_give_the_same_report_either_way(tmp_path: Path) -> None:
    _write(tmp_path / "emissions.csv", 30, 7)
    v3 = FIXTURES / "codecarbon_v3_38_columns.csv"  # CodeCarbon's 2.4 fixture repeats run ids
    mixed = [FIXTURES / "emissions.csv", v3, tmp_path / "emissions.csv"]
    for paths in ([FIXTURES / "runs.jsonl"], [v3], mixed):
        for listed in (0, 2):
            assert report_to_dict(_streamed(paths, listed)) == report_to_dict(
                _from_records(paths, listed)
            )


def test_each_row_adds_what_its_record_adds(varied: list[Path]) -> None:
    profiles: dict[object, object] = {}
    rows = from_rows = negative = 0
    for path in varied:
        for run in read_runs(path, on_damaged=lambda err: None):
            if not isinstance(run, RunRow):
                continue
            rows += 1
            if run.duration_s is not None and run.duration_s < 0:
                negative += 1  # no embodied share, unlike its key's others: counted from its record
                continue
            record = run.record()
            line = run_line(record)
            profile = profile_of(record, line)
            first = profiles.setdefault(run.key, profile)
            assert profile == first, run.origin
            assert row_figures(run, first) == figures_of(record, line), run.origin
            from_rows += first is not profile
    assert rows > 800 and from_rows > 400 and negative > 3, (rows, from_rows, negative)


def test_rows_of_one_key_make_records_equal_but_for_what_the_rows_carry(varied: list[Path]) -> None:
    carried = dict.fromkeys(
        ("origin", "run_id", "project", "run_group", "started_at", "ended_at", "duration_s",
         "energy_kwh", "emissions_kg", "energy_kwh_low", "energy_kwh_high", "emissions_kg_low",
         "emissions_kg_high", "water_l", "embodied_kg", "units")
    )  # fmt: skip
    seen: dict[object, RunRecord] = {}
    for run in read_runs(varied[0], on_damaged=lambda err: None):
        if not isinstance(run, RunRow):
            continue
        record = run.record()
        bare = replace(
            record,
            **carried,  # type: ignore[arg-type]
            components=tuple(
                replace(c, it_energy_kwh=None, power_w=None) for c in record.components
            ),
            intensity=replace(record.intensity, g_per_kwh=None),
        )
        assert bare == seen.setdefault(run.key, bare), run.origin
        figures = (run.run_id, run.project, run.run_group, run.started_at, run.ended_at,
                   run.duration_s, run.it_energy_kwh, run.energy_kwh, run.emissions_kg,
                   run.energy_kwh_low, run.energy_kwh_high, run.emissions_kg_low,
                   run.emissions_kg_high, run.intensity_g_per_kwh, run.water_l, run.embodied_kg,
                   run.units)  # fmt: skip
        assert figures == (
            record.run_id, record.project, record.run_group, record.started_at, record.ended_at,
            record.duration_s, tuple(c.it_energy_kwh for c in record.components),
            record.energy_kwh, record.emissions_kg, record.energy_kwh_low, record.energy_kwh_high,
            record.emissions_kg_low, record.emissions_kg_high, record.intensity.g_per_kwh,
            record.water_l, record.embodied_kg, record.units,
        )  # fmt: skip
    assert "pue" not in PER_RUN and "cpu_method" not in PER_RUN and set(PER_RUN) <= set(COLUMNS)


def test_rows_are_damaged_exactly_when_records_are(tmp_path: Path) -> None:
    path = tmp_path / "emissions.csv"
    bad = _write(path, 400, 4)
    told_rows: list[str] = []
    told_records: list[str] = []
    runs = list(read_runs(path, on_damaged=lambda err: told_rows.append(str(err))))
    records = list(read_records(path, on_damaged=lambda err: told_records.append(str(err))))
    assert told_rows == told_records and len(told_rows) >= len(bad) > 3
    assert [r.record() if isinstance(r, RunRow) else r for r in runs] == records
    assert any(isinstance(r, RunRecord) for r in runs)  # "nan" cells: read the full way
    with pytest.raises(DataError, match="emissions.csv"):
        list(read_runs(path))


def test_a_report_of_more_runs_than_it_lists_is_the_one_read_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "emissions.csv"
    _write(path, 1300, 5)
    for project, listed in ((None, RUNS_LISTED), ("vision", 100)):
        monkeypatch.setattr(build, "RUNS_LISTED", listed)
        streamed = report_from_files([path], project=project, now=NOW)
        loaded = load_runs([path], skip_damaged=True)
        kept = build_report(
            select(loaded, project=project),
            streamed.scope,
            load_notes=loaded.notes,
            now=NOW,
            generator=streamed.generator,
            listed=listed,
        )
        assert streamed.runs_not_listed > 150
        assert report_to_dict(streamed) == report_to_dict(kept)
        checks = [(c.name, c.passed, c.detail) for c in recompute_checks(report_to_dict(streamed))]
        assert checks == [
            (c.name, c.passed, c.detail) for c in recompute_checks(report_to_dict(kept))
        ]


def test_keys_and_profiles_past_what_is_kept_are_counted_from_records(
    varied: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    full = report_to_dict(_from_records(varied, 5))
    monkeypatch.setattr(aggregate, "PROFILES_KEPT", 3)
    assert report_to_dict(_streamed(varied, 5)) == full
    monkeypatch.setattr(rows, "_KEYS_KEPT", 4)
    monkeypatch.setattr(rows, "_PLANS_KEPT", 1)
    assert report_to_dict(_streamed(varied, 5)) == full


def test_bounds_as_plain_numbers_are_the_interval_arithmetic() -> None:
    rng = random.Random(6)
    average = INTENSITY_BANDS["average"]
    for _ in range(2000):
        parts = [
            (rng.random() * 10 ** rng.randint(-9, 3), Band(rng.random(), 1 + rng.random() * 3, ""))
            for _ in range(rng.randint(0, 3))
        ]
        pue = rng.choice((1.0, 1.1, rng.random() * 2))
        energy = rng.choice((0.0, rng.random()))
        emissions = rng.random() * 1e-3
        interval = it_energy_interval(parts).scaled(pue)
        interval = Interval(interval.low, energy, interval.high)
        expected = emissions_interval(interval, average, emissions)
        energies = [e for e, _ in parts] + [None]
        bands = [(b.low_factor, b.high_factor) for _, b in parts] + [(9.0, 9.0)]
        got = ranges_from(energy, emissions, pue, (None,) * 6, energies, bands)
        assert got == (interval.low, interval.high, expected.low, expected.high)


def test_the_first_start_and_last_end_are_the_least_and_greatest_written_times(
    varied: list[Path],
) -> None:
    runs = load_runs(varied, skip_damaged=True).runs
    tz = timezone(timedelta(hours=2))
    moments = [  # one tzinfo or another, naive, with and without microseconds
        datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc),
        datetime(2026, 3, 1, 12, 0, 0, 1, tzinfo=timezone.utc),
        datetime(2026, 3, 1, 14, 0, 0, tzinfo=tz),  # the same instant, written later
        datetime(2026, 3, 1, 14, 0, 0, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 3, 1, 11, 59, 59, 999999),
        datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone(timedelta(hours=-5))),
    ]
    rng = random.Random(8)
    for _ in range(30):
        picked = rng.sample(moments, k=rng.randint(1, len(moments)))
        times = (picked * 20)[:20]
        some = [replace(r, started_at=t, ended_at=t) for r, t in zip(runs, times, strict=False)]
        report = build_report(some, SCOPE, now=NOW)
        written = [line.started_at for line in report.runs if line.counted and line.started_at]
        assert report.totals.first_started_at == min(written)
        assert report.totals.last_ended_at == max(written)
    report = build_report(runs, SCOPE, now=NOW, listed=len(runs))
    counted = [line for line in report.runs if line.counted]
    assert report.totals.first_started_at == min(r.started_at for r in counted if r.started_at)
    assert report.totals.last_ended_at == max(r.ended_at for r in counted if r.ended_at)
