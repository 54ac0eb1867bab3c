"""Reports over many runs: read one run at a time, the first runs listed, the rest counted."""

from __future__ import annotations

import csv
import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from wattprint.report.aggregate import build_report
from wattprint.report.build import report_from_files
from wattprint.report.load import load_runs, select
from wattprint.report.model import Report, Scope
from wattprint.report.recompute import recompute_checks
from wattprint.report.render.jsonreport import report_to_dict

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from report_stream import write_file  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
SCOPE = Scope(kind="runs", run_id=None, project=None, group=None, inputs=())


def _without_runs(report: Report) -> dict[str, object]:
    data = report_to_dict(replace(report, runs=(), runs_not_listed=0))
    data.pop("tasks")
    return data


def test_a_report_listing_few_runs_counts_every_run_exactly_as_one_listing_all(
    tmp_path: Path,
) -> None:
    path = tmp_path / "emissions.csv"
    write_file(path, 57)
    runs = load_runs([path, FIXTURES / "runs.jsonl"]).runs
    full = build_report(runs, SCOPE, now=NOW)
    short = build_report(iter(runs), SCOPE, now=NOW, listed=5)
    assert len(full.runs) == 61 and full.runs_not_listed == 0
    assert short.runs == full.runs[:5] and short.runs_not_listed == 56
    assert short.totals.runs == 61
    assert _without_runs(short) == _without_runs(full)
    assert "runs_not_listed" not in report_to_dict(full)
    assert report_to_dict(short)["runs_not_listed"] == 56


def test_streamed_report_is_the_one_read_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "emissions.csv"
    write_file(path, 40)
    for project in (None, "project-3"):
        streamed = report_from_files([path], project=project, now=NOW)
        runs = select(load_runs([path], skip_damaged=True), project=project)
        kept = build_report(runs, streamed.scope, now=NOW, generator=streamed.generator)
        assert report_to_dict(streamed) == report_to_dict(kept)


def test_a_repeated_run_is_kept_once_and_a_damaged_row_told_once(tmp_path: Path) -> None:
    path = tmp_path / "emissions.csv"
    write_file(path, 6)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    with open(path, "a", encoding="utf-8") as f:
        f.write("cut,off\n")
        f.write(",".join(rows[2]) + "\n")  # run 2 again, after a damaged row
    told: list[str] = []
    report = report_from_files([path], now=NOW, on_damaged=lambda e: told.append(str(e)))
    assert report.totals.runs == 6
    assert len(told) == 1 and ":8:" in told[0]
    assert any("has 2 records" in n for n in report.methodology.notes)


def test_verify_says_totals_over_unlisted_runs_are_not_recomputed(tmp_path: Path) -> None:
    path = tmp_path / "emissions.csv"
    write_file(path, 12)
    runs = load_runs([path]).runs
    data = report_to_dict(build_report(runs, SCOPE, now=NOW, listed=4))
    checks = {c.name: c for c in recompute_checks(data)}
    assert checks["totals"].passed is None and "8 runs" in checks["totals"].detail
    assert all(c.passed is not False for c in checks.values())
    full = report_to_dict(build_report(runs, SCOPE, now=NOW))
    assert any(c.name.startswith("totals ") and c.passed for c in recompute_checks(full))
