"""Reports: reading runs (ours and CodeCarbon's), the figures, the renderers, the command.

The hand-worked runs are built as real ``RunResult`` objects and written with
the JSON-lines sink's own serialisation; the recorded ones are in
``tests/fixtures/reports`` (see the README there for how they were made).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from wattprint import DataError
from wattprint.cli.report_commands import report
from wattprint.grid.intensity import Intensity
from wattprint.grid.location import Location
from wattprint.report.build import format_for, render, report_from_files
from wattprint.report.load import load_runs, select
from wattprint.report.model import Report
from wattprint.report.render.jsonreport import canonical
from wattprint.results import ComponentMethod, Host, Methodology, RunResult, TaskResult
from wattprint.sinks.jsonl import run_to_line

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
RUNS_JSONL = FIXTURES / "runs.jsonl"
EMISSIONS_CSV = FIXTURES / "emissions.csv"
CODECARBON_V2 = FIXTURES / "codecarbon_v2_31_columns.csv"
CODECARBON_V3 = FIXTURES / "codecarbon_v3_38_columns.csv"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


# --------------------------------------------------------------------------- hand-made runs


def make_run(
    run_id: str,
    *,
    cpu_kwh: float,
    gpu_kwh: float = 0.0,
    ram_kwh: float = 0.0,
    pue: float = 1.0,
    intensity: float,
    wue: float = 0.0,
    grid_water: float = 0.0,
    duration_s: float = 3600.0,
    ram_gb: float = 16.0,
    units: float = 0.0,
    tasks: tuple[tuple[str, float], ...] = (),
    country: tuple[str, str, str] = ("FRA", "FR", "France"),
    project: str = "demo",
) -> RunResult:
    """A finished run whose recorded figures follow the tracker's formulas."""
    start = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
    end = start + timedelta(seconds=duration_s)
    it_kwh = cpu_kwh + gpu_kwh + ram_kwh
    location = Location(*country, how="argument")
    methodology = Methodology(
        components=(
            ComponentMethod("cpu", "rapl", True, "package-0", "whole machine"),
            ComponentMethod("gpu", "nvml-energy", True, "GPU 0", "whole device"),
            ComponentMethod("ram", "gb-x-w-per-gb", False, "16 GB x 0.375 W/GB", "whole machine"),
        ),
        intensity=Intensity(intensity, "Test table", 2024, "average", "a test figure"),
        location=location,
        pue_source="set by the test",
        water="IT energy x (WUE + PUE x grid)",
    )

    def footprint(kwh: float, seconds: float) -> dict[str, object]:
        share = kwh / it_kwh
        return dict(
            run_id=run_id,
            project=project,
            experiment="exp",
            started_at=start,
            ended_at=start + timedelta(seconds=seconds),
            duration_s=seconds,
            energy_kwh=kwh * pue,
            cpu_energy_kwh=cpu_kwh * share,
            gpu_energy_kwh=gpu_kwh * share,
            ram_energy_kwh=ram_kwh * share,
            cpu_power_w=1.0,
            gpu_power_w=1.0,
            ram_power_w=1.0,
            emissions_kg=kwh * pue * intensity / 1000,
            intensity_g_per_kwh=intensity,
            water_l=kwh * (wue + pue * grid_water),
            location=location,
            status="completed",
            methodology=methodology,
            cpu_utilization_percent=50.0,
            ram_used_bytes=1e9,
        )

    task_results = tuple(
        TaskResult(name=name, **footprint(kwh, duration_s / 2))  # type: ignore[arg-type]
        for name, kwh in tasks
    )
    fields = footprint(it_kwh, duration_s)
    fields["ended_at"] = end
    return RunResult(
        mode="machine",
        pue=pue,
        wue_l_per_kwh=wue,
        host=Host(
            hostname="box",
            os="Linux",
            python_version="3.11",
            cpu_model="Test CPU",
            cpu_count=8,
            gpu_count=0,
            gpu_model="",
            ram_total_bytes=int(ram_gb * 1e9),
        ),
        ram_utilization_percent=10.0,
        tasks=task_results,
        units=units,
        unit="request" if units else "",
        **fields,  # type: ignore[arg-type]
    )


def write_jsonl(path: Path, *runs: RunResult, drop: tuple[str, ...] = ("embodied_kg",)) -> Path:
    """Write runs as the JSON-lines sink does, less the ``drop`` fields (an older file)."""
    with open(path, "wb") as f:
        for run in runs:
            data = json.loads(run_to_line(run))
            for key in drop:
                data.pop(key, None)
            f.write(json.dumps(data).encode() + b"\n")
    return path


@pytest.fixture
def worked(tmp_path: Path) -> Report:
    """Two runs worked out by hand (see test_hand_worked_figures)."""
    a = make_run(
        "aaaaaaaa-1",
        cpu_kwh=0.5,
        gpu_kwh=0.3,
        ram_kwh=0.2,
        pue=1.5,
        intensity=200.0,
        wue=0.2,
        grid_water=2.0,
        units=100.0,
        tasks=(("train", 0.4),),
    )
    b = make_run("bbbbbbbb-2", cpu_kwh=1.0, intensity=50.0, units=60.0)
    path = write_jsonl(tmp_path / "runs.jsonl", a, b)
    return report_from_files([path], now=NOW)


# --------------------------------------------------------------------------- figures


def test_hand_worked_figures(worked: Report) -> None:
    a, b = worked.runs
    # Run A: IT 0.5 + 0.3 + 0.2 = 1 kWh; x PUE 1.5 = 1.5 kWh; x 200 g/kWh = 0.3 kg.
    assert a.it_energy_kwh == pytest.approx(1.0)
    assert a.energy_kwh == pytest.approx(1.5)
    assert a.emissions_kg == pytest.approx(0.3)
    # Water: 1 kWh x (WUE 0.2 + PUE 1.5 x grid 2.0 L/kWh) = 3.2 L; the grid figure is implied.
    assert a.inputs.grid_water_l_per_kwh == pytest.approx(2.0)
    assert a.water_l == pytest.approx(3.2)
    # Embodied (the file has none): 1 socket + 16 GB = CCF's 1,000 kg baseline server;
    # 1 h of a 4-year (35,040 h) life = 1000 / 35040 = 0.0285388 kg.
    assert a.embodied is not None and not a.embodied.recorded
    assert a.embodied.total_embodied_kg == pytest.approx(1000.0)
    assert a.embodied.embodied_kg == pytest.approx(1000 / 35040)
    # SCI: (1.5 kWh x 200 g/kWh + 28.5388 g) / 100 requests = 3.285388 g per request.
    assert a.sci is not None
    assert a.sci.g_per_unit == pytest.approx((300 + 1e6 / 35040) / 100)
    # Run B: 1 kWh at 50 g/kWh = 0.05 kg.
    assert b.emissions_kg == pytest.approx(0.05)

    s = worked.totals
    assert (s.runs, s.runs_counted) == (2, 2)
    assert s.energy_kwh == pytest.approx(2.5)
    assert s.emissions_kg == pytest.approx(0.35)
    assert s.intensity_g_per_kwh == pytest.approx(140.0)  # 350 g / 2.5 kWh
    assert s.embodied_kg == pytest.approx(2 * 1000 / 35040)
    assert s.total_kg == pytest.approx(0.35 + 2 * 1000 / 35040)
    assert s.water_l == pytest.approx(3.2)

    shares = {c.component: c.share_percent for c in worked.components}
    assert shares == pytest.approx({"cpu": 75.0, "gpu": 15.0, "ram": 10.0})  # of 2 kWh IT
    how = {c.component: c.how for c in worked.components}
    assert how == {"cpu": "measured", "gpu": "measured", "ram": "estimated"}

    # The task: 0.4 kWh IT x 1.5 = 0.6 kWh at 200 g/kWh = 0.12 kg, 40% of run A's 0.3 kg.
    (task,) = worked.tasks
    assert (task.name, task.run_id) == ("train", "aaaaaaaa-1")
    assert task.emissions_kg == pytest.approx(0.12)
    assert task.share_percent == pytest.approx(40.0)

    # Per unit over both runs: (350 g + 57.0776 g) / 160 requests.
    assert worked.per_unit is not None
    assert worked.per_unit.units == 160
    assert worked.per_unit.g_per_unit == pytest.approx((350 + 2e6 / 35040) / 160)
    assert worked.per_unit.energy_kwh_per_unit == pytest.approx(2.5 / 160)

    equivalents = {e.factor.key: e.value for e in worked.equivalents}
    assert equivalents["tree_years"] == pytest.approx(0.35 / 11)  # 11 kg per tree-year
    assert equivalents["tv_hours"] == pytest.approx(2.5 / 0.12)  # 0.12 kWh per TV hour


def test_what_if_places_and_months(worked: Report) -> None:
    w = worked.what_if
    assert w is not None
    assert w.energy_kwh == pytest.approx(2.5) and w.current_g_per_kwh == pytest.approx(140.0)
    best = w.countries_best[0]
    # The cleanest country's emissions and saving, worked from its intensity.
    assert best.emissions_kg == pytest.approx(2.5 * best.intensity_g_per_kwh / 1000)
    assert best.saving_kg == pytest.approx(0.35 - best.emissions_kg)
    assert best.saving_percent == pytest.approx(100 * best.saving_kg / 0.35)
    assert [p.intensity_g_per_kwh for p in w.countries_best] == sorted(
        p.intensity_g_per_kwh for p in w.countries_best
    )
    assert w.countries_worst[0].intensity_g_per_kwh >= w.countries_worst[-1].intensity_g_per_kwh
    assert all(p.intensity_g_per_kwh > 0 for p in (*w.countries_best, *w.cloud_best))
    assert w.cloud_provider == "all"
    assert {p.key.split(":")[0] for p in (*w.cloud_best, *w.cloud_worst)} <= {"gcp", "aws", "azure"}
    # France has monthly figures: its cleanest and dirtiest month of the last twelve.
    cleanest, dirtiest = w.months
    assert cleanest.key.startswith("FRA:") and dirtiest.key.startswith("FRA:")
    assert cleanest.intensity_g_per_kwh <= dirtiest.intensity_g_per_kwh


def test_cloud_runs_rank_their_own_provider() -> None:
    built = report_from_files([RUNS_JSONL], project="vision", run_id="9e9d")
    assert built.what_if is not None and built.what_if.cloud_provider == "gcp"
    assert all(p.key.startswith("gcp:") for p in built.what_if.cloud_best)
    # Regional and cloud intensities have no monthly figures (the monthly table is national).
    assert built.what_if.months == ()
    group = report_from_files([RUNS_JSONL], group="job-42").what_if
    assert group is not None and group.months == ()
    assert any("US-CA" in note and "no monthly what-if" in note for note in group.notes)


def test_recorded_embodied_is_used_as_recorded(tmp_path: Path) -> None:
    run = replace(make_run("r", cpu_kwh=1.0, intensity=100.0), embodied_kg=0.004)
    built = report_from_files([write_jsonl(tmp_path / "r.jsonl", run, drop=())])
    (line,) = built.runs
    assert line.embodied is not None and line.embodied.recorded
    assert line.embodied.embodied_kg == 0.004 and built.totals.embodied_kg == 0.004


# --------------------------------------------------------------------------- recorded files


def test_recorded_jsonl_and_csv_together() -> None:
    loaded = load_runs([RUNS_JSONL, EMISSIONS_CSV])
    # The CSV repeats the JSON-lines runs: each is kept once, from the richer file.
    assert len(loaded.runs) == 4
    assert all(r.format == "wattprint-jsonl" for r in loaded.runs)
    assert len(loaded.notes) == 4 and "runs.jsonl" in loaded.notes[0]
    built = report_from_files([RUNS_JSONL, EMISSIONS_CSV])
    assert built.totals.runs_counted == 4
    assert len(built.tasks) == 9
    assert built.scope.inputs[0].runs == 4 and built.scope.inputs[1].runs == 0


def test_recorded_csv_alone_matches_the_jsonl_totals() -> None:
    from_csv = report_from_files([EMISSIONS_CSV]).totals
    from_jsonl = report_from_files([RUNS_JSONL]).totals
    assert from_csv.energy_kwh == pytest.approx(from_jsonl.energy_kwh, rel=1e-12)
    assert from_csv.emissions_kg == pytest.approx(from_jsonl.emissions_kg, rel=1e-12)
    assert from_csv.water_l == pytest.approx(from_jsonl.water_l, rel=1e-9)
    assert from_csv.embodied_kg == pytest.approx(from_jsonl.embodied_kg, rel=1e-12)


def test_filters_project_group_and_run_prefix() -> None:
    loaded = load_runs([RUNS_JSONL])
    assert {r.project for r in select(loaded, project="vision")} == {"vision"}
    group = select(loaded, group="job-42")
    assert len(group) == 2 and {r.run_group for r in group} == {"job-42"}
    (one,) = select(loaded, run_id="ca24")
    assert one.run_id is not None and one.run_id.startswith("ca244190")
    with pytest.raises(DataError, match="no run of project 'nope'.*projects found"):
        select(loaded, project="nope")
    with pytest.raises(DataError, match="no run with id 'zzz'"):
        select(loaded, run_id="zzz")
    built = report_from_files([RUNS_JSONL], group="job-42")
    assert built.scope.kind == "group" and built.title == "Footprint of run group job-42"


def test_codecarbon_v2_31_columns() -> None:
    loaded = load_runs([CODECARBON_V2])
    # 28 rows: a run flushed 6 times and two flushed twice are kept once (their last row).
    assert len(loaded.runs) == 21
    first = loaded.runs[0]
    assert first.format == "codecarbon-csv" and first.tool == "CodeCarbon 2.4.3rc1"
    assert first.intensity.implied and first.intensity.source is None
    assert first.intensity.g_per_kwh == pytest.approx(
        3.435810400385386e-05 * 1000 / 0.0004047892176375
    )
    assert {"intensity_source", "water_l", "cpu_method", "started_at"} <= set(first.unknown)
    built = report_from_files([CODECARBON_V2])
    # Two rows carry no energy or emissions: listed, not counted.
    assert (built.totals.runs, built.totals.runs_counted) == (21, 19)
    assert built.totals.water_l is None
    assert any("not counted" in u for u in built.uncertainty)
    assert "unknown" in render(built, "md")


def test_codecarbon_v3_38_columns() -> None:
    (run,) = load_runs([CODECARBON_V3]).runs
    assert run.water_l == 0.1 and run.wue_l_per_kwh == 0.0
    assert run.host.ram_total_gb is None  # empty in the file: unknown, not zero
    built = report_from_files([CODECARBON_V3])
    (line,) = built.runs
    assert line.embodied is None  # no memory size: no embodied estimate
    assert line.emissions_kg == pytest.approx(0.0004490989249167)
    assert built.totals.intensity_g_per_kwh == pytest.approx(0.4490989249167 / 0.00057442898176)


# --------------------------------------------------------------------------- bad input


def _bad(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_missing_and_empty_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nothere\.csv: no such file"):
        load_runs([tmp_path / "nothere.csv"])
    empty = _bad(tmp_path, "empty.jsonl", b"\n  \n")
    with pytest.raises(DataError, match=r"empty\.jsonl: the file is empty"):
        load_runs([empty])


def test_damaged_jsonl_names_file_and_line(tmp_path: Path) -> None:
    lines = RUNS_JSONL.read_bytes().splitlines(keepends=True)
    cut = _bad(tmp_path, "cut.jsonl", lines[0] + b"\n" + lines[1][:200])
    with pytest.raises(DataError, match=r"cut\.jsonl:3: damaged line"):
        load_runs([cut])
    other = _bad(tmp_path, "other.jsonl", lines[0] + b'{"schema": "something/9"}\n')
    with pytest.raises(DataError, match=r"other\.jsonl:2: schema 'something/9'"):
        load_runs([other])
    data = json.loads(lines[0])
    data["duration_s"] = "long"
    typed = _bad(tmp_path, "typed.jsonl", json.dumps(data).encode())
    with pytest.raises(DataError, match=r"typed\.jsonl:1: field 'duration_s' is 'long'"):
        load_runs([typed])


def test_damaged_csv_names_file_and_line(tmp_path: Path) -> None:
    text = CODECARBON_V2.read_text(encoding="utf-8").splitlines()
    short = _bad(tmp_path, "short.csv", "\n".join([*text[:4], text[4][:40]]).encode())
    with pytest.raises(DataError, match=r"short\.csv:5: the row has \d+ fields, the header 31"):
        load_runs([short])
    row = text[2].split(",")
    row[3] = "12s"  # duration
    bad_number = _bad(tmp_path, "number.csv", "\n".join([text[0], text[1], ",".join(row)]).encode())
    with pytest.raises(DataError, match=r"number\.csv:3: field 'duration' is '12s'"):
        load_runs([bad_number])
    alien = _bad(tmp_path, "alien.csv", b"a,b,c\n1,2,3\n")
    with pytest.raises(DataError, match=r"alien\.csv:1: not an emissions.csv"):
        load_runs([alien])
    latin = _bad(tmp_path, "latin.csv", text[0].encode() + b"\n" + "Île".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin\.csv:2: not UTF-8"):
        load_runs([latin])


def test_command_reports_bad_input_with_exit_1(tmp_path: Path) -> None:
    lines = RUNS_JSONL.read_bytes().splitlines(keepends=True)
    cut = _bad(tmp_path, "cut.jsonl", lines[1][:100])  # nothing good left to report
    result = CliRunner().invoke(report, [str(cut)])
    assert result.exit_code == 1
    assert "Error:" in result.output and "cut.jsonl:1: damaged line" in result.output
    alien = _bad(tmp_path, "alien.csv", b"a,b,c\n1,2,3\n")
    result = CliRunner().invoke(report, [str(alien)])
    assert result.exit_code == 1 and "alien.csv:1: not an emissions.csv" in result.output


def test_command_reports_every_good_record_and_names_the_bad_line(tmp_path: Path) -> None:
    lines = RUNS_JSONL.read_bytes().splitlines(keepends=True)
    cut = _bad(tmp_path, "cut.jsonl", lines[0] + lines[1][:100])
    result = CliRunner().invoke(report, [str(cut), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "Warning: skipped" in result.stderr and "cut.jsonl:2: damaged line" in result.stderr
    document = json.loads(result.stdout)
    assert [r["run_id"] for r in document["runs"]] == [json.loads(lines[0])["run_id"]]
    assert "cut.jsonl:2: damaged line" in json.dumps(document["methodology"]["notes"])

    rows = EMISSIONS_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    good = [r for r in rows[1:] if r.strip()]
    torn = rows[0] + good[0] + good[1][:60] + "\n" + "".join(good[2:])
    path = _bad(tmp_path, "torn.csv", torn.encode())
    built = report_from_files([path])
    assert len(built.runs) == len(good) - 1  # every good row
    assert any("torn.csv:3: the row has" in n for n in built.methodology.notes)


# --------------------------------------------------------------------------- renderers


def test_markdown_holds_every_section(worked: Report) -> None:
    text = render(worked, "md")
    for heading in (
        "## Totals", "## By component", "## By task", "## Runs", "## Per unit",
        "## Equivalents", "## What if", "## Methodology", "## Data sources", "## Uncertainty",
    ):  # fmt: skip
        assert heading in text
    # ranges from the methods (these records carry none): A's IT energy is
    # 0.5 x 0.95-1.05 (rapl) + 0.3 x 0.95-1.05 (nvml) + 0.2 x 0.5-3 (memory model)
    # = 0.86-1.44 kWh, x PUE 1.5 = 1.29-2.16; B's 1 kWh by rapl 0.95-1.05: 2.24-3.21 kWh.
    # Emissions at an annual average (0.7-1.3): A 0.3 x 0.86 x 0.7 = 0.1806 ..
    # 0.3 x 1.44 x 1.3 = 0.5616, B 0.05 x 0.95 x 0.7 .. 0.05 x 1.05 x 1.3: 0.2139-0.6299 kg.
    assert "| Energy (facility: IT x PUE) | 2.5 kWh, 2.24–3.21 (IT 2 kWh) |" in text
    assert "| Emissions (operational) | 350 g CO2e, 214–630 |" in text
    assert worked.totals.emissions_kg_low == pytest.approx(0.1806 + 0.05 * 0.95 * 0.7)
    assert worked.totals.emissions_kg_high == pytest.approx(0.5616 + 0.05 * 1.05 * 1.3)
    assert "| Grid intensity (energy-weighted mean) | 140 gCO2e/kWh |" in text
    assert "Test table" in text and "rapl" in text and "estimated" in text


def test_html_is_self_contained_with_charts(worked: Report, tmp_path: Path) -> None:
    page = render(worked, "html")
    assert page.startswith("<!DOCTYPE html>") and "</html>" in page
    # Nothing to fetch: no script, link, image, stylesheet import or CSS url().
    for fetch in ("<script", " src=", " href=", "<link", "@import", "url("):
        assert fetch not in page
    assert "default-src 'none'" in page  # and the page's policy forbids fetching anyway
    assert "Energy by component" in page and "Emissions by task" in page
    assert "What if: the same energy elsewhere" in page
    assert "<polyline" not in page  # no power series in these runs: no power chart
    # A run that carries a power series gets its chart.
    data = json.loads(RUNS_JSONL.read_text(encoding="utf-8").splitlines()[0])
    data["series"] = [
        {"elapsed_s": t, "cpu_power_w": 40 + t, "ram_power_w": 6.0} for t in (0.0, 1.0, 2.0)
    ]
    path = tmp_path / "series.jsonl"
    path.write_text(json.dumps(data) + "\n", encoding="utf-8")
    with_series = render(report_from_files([path]), "html")
    assert with_series.count("<polyline") == 2 and "Power over time by component" in with_series


def test_html_escapes_the_data(tmp_path: Path) -> None:
    run = make_run("x", cpu_kwh=1.0, intensity=100.0, project="<b>&co</b>")
    page = render(report_from_files([write_jsonl(tmp_path / "x.jsonl", run)]), "html")
    assert "<b>&co</b>" not in page and "&lt;b&gt;&amp;co&lt;/b&gt;" in page


def test_latex_snippet(worked: Report) -> None:
    text = render(worked, "latex")
    assert "\\begin{tabular}" in text and "\\cite{wattprint}" in text
    assert "Emissions & 350~g~CO$_2$e, 214--630 \\\\" in text  # the range (see the markdown test)
    assert "Energy (incl.\\ PUE) & 2.5~kWh, 2.24--3.21 \\\\" in text
    assert "amounts to 350~g~CO$_2$e, 214--630 (the range" in text
    assert "Carbon intensity & 140~gCO$_2$e/kWh" in text
    assert "PUE & 1.5; 1 \\\\" in text
    assert "% @software{wattprint," in text


def test_json_report_is_canonical_and_versioned(worked: Report) -> None:
    text = render(worked, "json")
    data = json.loads(text)
    assert data["schema"] == "wattprint.report/1"
    assert text == canonical(data).decode("utf-8") + "\n"
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)  # separators only, not the text of strings
    assert ", " not in bare and ": " not in bare
    assert math.isclose(data["totals"]["emissions_kg"], 0.35)
    assert data["totals"]["emissions_kg_low"] < 0.35 < data["totals"]["emissions_kg_high"]
    assert data["runs"][0]["emissions_kg_low"] < data["runs"][0]["emissions_kg"]
    assert data["runs"][0]["inputs"]["pue"] == 1.5


def test_format_from_the_output_suffix() -> None:
    assert format_for(Path("r.html"), None) == "html"
    assert format_for(Path("r.tex"), None) == "latex"
    assert format_for(Path("r.json"), "md") == "md"
    assert format_for(None, None) == "md"


# --------------------------------------------------------------------------- command


def test_command_writes_each_format(tmp_path: Path) -> None:
    runner = CliRunner()
    for name, start in (
        ("r.md", "# Footprint"), ("r.html", "<!DOCTYPE html>"),
        ("r.tex", "% Energy and carbon"), ("r.json", '{"advice"'),
    ):  # fmt: skip
        out = tmp_path / name
        result = runner.invoke(report, [str(RUNS_JSONL), "--project", "nlp", "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_text(encoding="utf-8").startswith(start)
    result = runner.invoke(report, [str(RUNS_JSONL), "--group", "job-42", "--format", "md"])
    assert result.exit_code == 0 and "# Footprint of run group job-42" in result.output
    assert "| Runs | 2 (2 counted) |" in result.output


def test_command_without_paths_reads_the_default_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(report, [], env={"HOME": str(tmp_path)})
    assert result.exit_code == 2 and "no PATHS given" in result.output
    Path("emissions.csv").write_bytes(EMISSIONS_CSV.read_bytes())
    result = runner.invoke(report, [], env={"HOME": str(tmp_path)})
    assert result.exit_code == 0 and "| Runs | 4 (4 counted) |" in result.output


def test_import_wattprint_loads_no_report_module() -> None:
    code = (
        "import sys, wattprint; "
        "print([m for m in sys.modules if m.startswith('wattprint.report') "
        "or m.split('.')[0] in ('cryptography', 'markdown_it')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
