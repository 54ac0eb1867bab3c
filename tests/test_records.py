"""Records: the emissions.csv columns, the row and line forms, the readers, and rows never lost.

Covers the column table against CodeCarbon's own header, the readers
streaming every kind of file (damaged records named by ``file:line`` or
skipped), a full disk (through an ``os.write`` stand-in, and a real tmpfs
where the machine lets us mount one), and a file whose last line was cut.
"""

from __future__ import annotations

import csv
import errno
import inspect
import logging
import os
import random
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from test_sinks import make_result

from wattprint.errors import DataError
from wattprint.records.columns import (
    CODECARBON_COLUMNS,
    CODECARBON_V2_COLUMNS,
    COLUMNS,
    TABLE,
    convert_row,
)
from wattprint.records.csv_form import row_of
from wattprint.records.jsonl_form import json_record, water_source_of
from wattprint.records.lines import plain_row
from wattprint.records.read import read_records
from wattprint.records.run_dict import run_to_dict
from wattprint.report.build import report_from_files
from wattprint.results import RunResult
from wattprint.sinks.csv_file import CsvSink
from wattprint.sinks.jsonl import JsonLinesSink

FIXTURES = Path(__file__).parent / "fixtures"
REPORTS = FIXTURES / "reports"


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as f:
        return next(csv.reader(f))


# --------------------------------------------------------------------------- columns


def test_the_first_38_columns_are_codecarbons_in_its_order() -> None:
    assert list(CODECARBON_COLUMNS) == _header(FIXTURES / "codecarbon_header.csv")
    assert list(COLUMNS[:38]) == list(CODECARBON_COLUMNS)
    assert list(CODECARBON_V2_COLUMNS) == _header(REPORTS / "codecarbon_v2_31_columns.csv")
    assert len(set(COLUMNS)) == len(COLUMNS) == len(TABLE)
    assert list(row_of(make_result())) == list(COLUMNS)
    assert all(c.meaning and c.kind for c in TABLE)


def test_each_column_converts_its_text_once_and_names_a_bad_value() -> None:
    values = convert_row(["duration", "cpu_count", "run_id", "pue"], ["1.5", "8.0", "7", ""], "f:2")
    assert values == {"duration": 1.5, "cpu_count": 8, "run_id": "7", "pue": None}
    with pytest.raises(
        DataError, match=r"f:9: field 'intensity_year' is '2023.5', expected a whole"
    ):
        convert_row(["intensity_year"], ["2023.5"], "f:9")
    with pytest.raises(DataError, match=r"f:3: field 'started_at_utc' is 'noon', expected an ISO"):
        convert_row(["started_at_utc"], ["noon"], "f:3")


# --------------------------------------------------------------------------- readers


def test_a_row_and_a_line_read_back_as_the_same_record(tmp_path: Path) -> None:
    result = make_result("round-trip")
    CsvSink(tmp_path / "emissions.csv").write(result)
    JsonLinesSink(tmp_path / "runs.jsonl").write(result)
    (from_csv,) = read_records(tmp_path / "emissions.csv")
    (from_jsonl,) = read_records(tmp_path / "runs.jsonl")
    assert (from_csv.format, from_jsonl.format) == ("wattprint-csv", "wattprint-jsonl")
    for r in (from_csv, from_jsonl):
        assert r.run_id == "round-trip" and r.energy_kwh == pytest.approx(result.energy_kwh)
        assert r.intensity.source == "Ember yearly electricity data" and r.intensity.year == 2023
        assert r.host.cpu_count == 16 and r.place.country_iso3 == "FRA"
        assert r.component("cpu") is not None
    assert from_csv.component("cpu").method == "rapl"  # type: ignore[union-attr]


def test_codecarbon_files_of_both_versions_are_read_as_codecarbons() -> None:
    v3 = list(read_records(REPORTS / "codecarbon_v3_38_columns.csv"))
    v2 = list(read_records(REPORTS / "codecarbon_v2_31_columns.csv"))
    assert {r.format for r in v3 + v2} == {"codecarbon-csv"}
    assert v3[0].water_l == 0.1 and v3[0].tool == "CodeCarbon 2.1.3"
    assert len(v2) == 28 and v2[0].water_l is None  # before 3.x: no water column


def test_readers_stream_and_yield_good_records_before_a_damaged_one(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    sink = JsonLinesSink(path)
    for i in range(3):
        sink.write(make_result(f"r{i}"))
    with open(path, "ab") as f:
        f.write(b"{not json}\n")
    records = read_records(path)
    assert inspect.isgenerator(records)
    assert [next(records).run_id for _ in range(3)] == ["r0", "r1", "r2"]
    with pytest.raises(DataError, match=rf"{path}:4: damaged line"):
        next(records)
    skipped: list[DataError] = []
    assert len(list(read_records(path, on_damaged=skipped.append))) == 3
    assert [str(e).split(": ")[0] for e in skipped] == [f"{path}:4"]


def test_a_row_cut_inside_quotes_does_not_swallow_the_rows_after_it(tmp_path: Path) -> None:
    path = tmp_path / "emissions.csv"
    sink = CsvSink(path)
    sink.write(make_result("a"))
    with open(path, "ab") as f:
        f.write(b'2024-05-01T12:01:00,proj,cut,exp,60.0,"0.0001')  # cut inside a quote
    sink.write(make_result("b"))
    sink.write(make_result("c"))
    skipped: list[DataError] = []
    assert [r.run_id for r in read_records(path, on_damaged=skipped.append)] == ["a", "b", "c"]
    assert len(skipped) == 1 and f"{path}:3:" in str(skipped[0])


# --------------------------------------------------------------------------- stored sources


def _with_water(result: RunResult, detail: str) -> RunResult:
    return replace(result, methodology=replace(result.methodology, water=detail))


def test_a_stored_run_is_credited_with_its_own_water_source(tmp_path: Path) -> None:
    stored = (
        "IT energy x (WUE 0 L/kWh [none] + PUE 1 x grid 0.5 L/kWh "
        "(2019 mix: hydro 60%, gas 40%; Old Water Table, 2019))"
    )
    assert water_source_of(stored) == ("Old Water Table", 2019)
    path = tmp_path / "runs.jsonl"
    JsonLinesSink(path).write(_with_water(make_result("w"), stored))
    built = report_from_files([path])
    water = [s for s in built.sources if "grid water intensity" in s.used_for]
    assert [(s.name, s.year) for s in water] == [("Old Water Table", 2019)]  # not today's table
    record = json_record("x:1", run_to_dict(_with_water(make_result(), stored)))
    assert (record.water_source, record.water_year) == ("Old Water Table", 2019)


def test_a_csv_run_credits_no_water_source_it_did_not_record(tmp_path: Path) -> None:
    path = tmp_path / "emissions.csv"
    CsvSink(path).write(make_result("c"))
    (record,) = read_records(path)
    assert record.water_source is None and "water_source" in record.unknown
    built = report_from_files([path])
    assert not [s for s in built.sources if "grid water intensity" in s.used_for]


# --------------------------------------------------------------------------- damaged last line


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_a_cut_last_line_gets_the_next_row_on_a_fresh_line_and_one_warning(
    kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / f"out.{kind}"
    sink = CsvSink(path) if kind == "csv" else JsonLinesSink(path)
    sink.write(make_result("a"))
    whole = path.read_bytes()
    with open(path, "ab") as f:
        f.write(whole.splitlines(keepends=True)[-1][:50])  # a copy cut short
    with caplog.at_level(logging.WARNING, logger="wattprint"):
        sink.write(make_result("b"))
        sink.write(make_result("c"))
    warnings = [r.getMessage() for r in caplog.records if "unfinished" in r.getMessage()]
    assert len(warnings) == 1 and str(path) in warnings[0]
    assert path.read_bytes().startswith(whole)  # nothing before the cut line was touched
    skipped: list[DataError] = []
    assert [r.run_id for r in read_records(path, on_damaged=skipped.append)] == ["a", "b", "c"]
    line = 3 if kind == "csv" else 2
    assert len(skipped) == 1 and str(skipped[0]).startswith(f"{path}:{line}:")


# --------------------------------------------------------------------------- disk full


def _short_writes() -> Callable[[int, memoryview], int]:
    """Return an ``os.write`` on a disk that fills up: half the bytes, then ENOSPC.

    Later calls (the fallback, on another disk) write everything.
    """
    calls = {"n": 0}

    def write(fd: int, data: memoryview) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            return os.write(fd, data[: len(data) // 2])
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return os.write(fd, data)

    return write


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_a_short_write_rolls_back_and_the_row_goes_to_the_data_dir(
    kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, spare = tmp_path / f"out.{kind}", tmp_path / "data"
    first = CsvSink(path) if kind == "csv" else JsonLinesSink(path)
    first.write(make_result("before"))
    before = path.read_bytes()
    full: CsvSink | JsonLinesSink = (
        CsvSink(path, spare, os_write=_short_writes())
        if kind == "csv"
        else JsonLinesSink(path, fallback_dir=spare, os_write=_short_writes())
    )
    with caplog.at_level(logging.WARNING, logger="wattprint"):
        full.write(make_result("after"))
    assert path.read_bytes() == before  # the half row was rolled back
    assert full.written_to == spare / path.name
    assert [r.run_id for r in read_records(spare / path.name)] == ["after"]
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "cannot be written" in warning and "rolled back" in warning and str(spare) in warning
    first.write(make_result("later"))  # the next run's row is not glued onto anything
    assert [r.run_id for r in read_records(path)] == ["before", "later"]


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs, mounted for the test (skipped where mounting is not allowed)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_a_real_full_disk_leaves_only_whole_rows(
    kind: str, tiny_disk: Path, tmp_path: Path
) -> None:
    path, spare = tiny_disk / f"out.{kind}", tmp_path / "data"
    sink = CsvSink(path, spare) if kind == "csv" else JsonLinesSink(path, fallback_dir=spare)
    kept = 0
    for i in range(500):
        sink.write(make_result(f"r{i}", tasks=2))
        if sink.written_to != path:
            break
        kept += 1
    else:
        pytest.fail("64 KiB never filled up")
    assert path.read_bytes().endswith(b"\n")
    assert [r.run_id for r in read_records(path)] == [f"r{i}" for i in range(kept)]
    assert [r.run_id for r in read_records(spare / path.name)] == [f"r{kept}"]


def _as_csv_reads(line: str, longest: int) -> list[str] | None:
    """Return what plain_row gives, checked against csv.reader (None: not a plain line)."""
    cells = plain_row(line, longest)
    try:
        expected = next(csv.reader([line]), [])
    except csv.Error:
        assert cells is None, repr(line)
        return None
    if cells is not None:
        blank = cells == [""] and '"' not in line  # csv gives [] for an empty line
        assert ([] if blank else cells) == expected, repr(line)
        assert len(line.rstrip("\r\n")) <= longest
    return cells


def test_a_plain_line_splits_as_the_csv_module_reads_it() -> None:
    rng = random.Random(11)
    alphabet = ["a", "7", ",", ",", " ", '"', '"', "\r", "\n", "\0", "é", "\t", ";"]
    ends = ("\n", "\r\n", "")
    plain = 0
    for _ in range(20_000):
        line = "".join(rng.choices(alphabet, k=rng.randint(0, 12))) + rng.choice(ends)
        plain += _as_csv_reads(line, 8) is not None
    quoted = 0
    for _ in range(20_000):  # cells quoted or not, some quotes doubled or stray
        cells = []
        for _ in range(rng.randint(1, 6)):
            text = "".join(rng.choices(["a", ",", " ", "é", "7"], k=rng.randint(0, 5)))
            roll = rng.random()
            if roll < 0.4:
                text = '"' + text + '"'
            elif roll < 0.45:
                text = '"' + text + '""' + text + '"'
            elif roll < 0.5:
                text = rng.choice((' "', '"', 'x"')) + text + rng.choice(('"', ' "', '"x', ""))
            cells.append(text if text.startswith('"') else text.replace(",", ""))
        line = ",".join(cells) + rng.choice(ends)
        quoted += '"' in line and _as_csv_reads(line, 40) is not None
    assert plain > 2000 and quoted > 8000, (plain, quoted)
