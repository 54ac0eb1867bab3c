"""CodeCarbon's columns keep CodeCarbon's meaning; wattprint's own meanings go in its columns.

A real run at PUE 1.5 and WUE 1.8 (forced powers, a fake clock) is written
to emissions.csv and read back: the component energies include the PUE and
sum to ``energy_consumed``, ``water_consumed`` is WUE x ``energy_consumed``,
memory is in GiB, and ``ram_used_gb`` is the machine's memory in use. Older
wattprint files and CodeCarbon's files still read as they did.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from fakes.fake_clock import FakeClock
from test_sinks import make_result

from wattprint.records.columns import COLUMNS, TABLE
from wattprint.records.csv_form import row_of
from wattprint.records.read import read_records
from wattprint.results import RunResult
from wattprint.tracking.tracker import Tracker
from wattprint.units import BYTES_PER_GIB

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "tests" / "fixtures" / "reports"
OURS = (
    "wattprint_it_energy_kwh", "wattprint_water_total_l", "wattprint_ram_charged_gib",
    "wattprint_energy_kwh_low", "wattprint_energy_kwh_high",
    "wattprint_emissions_kg_low", "wattprint_emissions_kg_high",
)  # fmt: skip


def _run(tmp_path: Path, *, mode: str = "machine") -> tuple[RunResult, dict[str, str]]:
    clock = FakeClock()
    tracker = Tracker(
        country="DE", output_dir=tmp_path, force_cpu_power_w=40.0, force_ram_power_w=6.0,
        mode=mode, pue=1.5, wue=1.8, interval_s=1.0, clock=clock, handle_signals=False,
    )  # fmt: skip
    tracker.start()
    clock.advance(30.0)
    tracker.flush()
    result = tracker.stop()
    with (tmp_path / "emissions.csv").open(newline="", encoding="utf-8") as f:
        (row,) = list(csv.DictReader(f))
    return result, row


def test_the_columns_add_up_as_codecarbons_at_pue_1_5_and_wue_1_8(tmp_path: Path) -> None:
    result, row = _run(tmp_path)
    n = {k: float(v) for k, v in row.items() if k not in ("run_id",) and _is_number(v)}
    it_kwh = (40.0 + 6.0) * 30.0 / 3.6e6  # forced powers, 30 s
    assert n["wattprint_it_energy_kwh"] == pytest.approx(it_kwh)
    assert n["cpu_energy"] == pytest.approx(40.0 * 30.0 / 3.6e6 * 1.5)
    assert n["ram_energy"] == pytest.approx(6.0 * 30.0 / 3.6e6 * 1.5)
    assert n["cpu_energy"] + n["gpu_energy"] + n["ram_energy"] == pytest.approx(
        n["energy_consumed"], rel=1e-12
    )
    assert n["energy_consumed"] == pytest.approx(it_kwh * 1.5)
    assert n["water_consumed"] == pytest.approx(1.8 * n["energy_consumed"], rel=1e-12)
    # wattprint's total: on site (IT x WUE) plus the plants (facility energy x grid water)
    assert n["wattprint_water_total_l"] == pytest.approx(result.water_l)
    assert n["wattprint_water_total_l"] > it_kwh * 1.8  # Germany's plants consume water
    assert n["pue"] == 1.5 and n["wue"] == 1.8
    ram_total = result.host.ram_total_bytes
    assert n["ram_total_size"] == pytest.approx(ram_total / BYTES_PER_GIB, abs=1e-3)
    # machine mode: the machine's memory in use, never the installed total
    used = result.ram_utilization_percent / 100 * ram_total / BYTES_PER_GIB
    assert n["ram_used_gb"] == pytest.approx(used, abs=1e-3)
    assert 0 < n["ram_used_gb"] < n["ram_total_size"]
    assert n["wattprint_ram_charged_gib"] == pytest.approx(ram_total / BYTES_PER_GIB, abs=1e-3)
    # forced powers and a grid average: energy exact, emissions within the average's band
    assert n["wattprint_energy_kwh_low"] == n["energy_consumed"] == n["wattprint_energy_kwh_high"]
    assert n["wattprint_emissions_kg_low"] < n["emissions"] < n["wattprint_emissions_kg_high"]
    (record,) = read_records(tmp_path / "emissions.csv")
    assert record.component("cpu").it_energy_kwh == pytest.approx(40.0 * 30.0 / 3.6e6)  # type: ignore[union-attr]
    assert record.water_l == pytest.approx(result.water_l)
    assert record.emissions_kg_low == pytest.approx(result.emissions_kg_low)
    assert record.energy_kwh_high == pytest.approx(result.energy_kwh_high)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_wattprints_own_columns_are_one_block_at_the_end() -> None:
    assert COLUMNS[-len(OURS) :] == OURS
    assert all(c.unit for c in TABLE if c.name in OURS)


def test_a_row_with_no_ranges_leaves_the_cells_empty() -> None:
    row = row_of(make_result())  # built by hand, without bounds
    assert [row[c] for c in OURS[3:]] == ["", "", "", ""]


def test_an_older_wattprint_file_still_reads_as_it_was_written() -> None:
    # written before the CodeCarbon meanings: IT energies in the component columns,
    # the total water in water_consumed, no ranges
    path = REPORTS / "emissions.csv"
    with path.open(newline="", encoding="utf-8") as f:
        first = next(csv.DictReader(f))
    assert "wattprint_it_energy_kwh" not in first
    record = next(iter(read_records(path)))
    assert record.component("cpu").it_energy_kwh == float(first["cpu_energy"])  # type: ignore[union-attr]
    assert record.water_l == float(first["water_consumed"])
    assert record.energy_kwh_low is None and record.emissions_kg_high is None


def test_codecarbons_files_read_its_component_energies_less_its_pue(tmp_path: Path) -> None:
    header = TABLE[:38]
    values = {c.name: "" for c in header}
    values.update(
        timestamp="2025-01-01T00:00:00", project_name="p", run_id="r", duration="10",
        emissions="0.01", energy_consumed="0.03", cpu_energy="0.015", gpu_energy="0.012",
        ram_energy="0.003", water_consumed="0.054", pue="1.5", wue="1.8",
        ram_total_size="16.0", codecarbon_version="3.3.2",
    )  # fmt: skip
    path = tmp_path / "cc.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([c.name for c in header])
        writer.writerow([values[c.name] for c in header])
    (record,) = read_records(path)
    assert record.format == "codecarbon-csv"
    assert record.component("cpu").it_energy_kwh == pytest.approx(0.01)  # type: ignore[union-attr]
    assert record.water_l == pytest.approx(0.054)  # CodeCarbon's on-site water, as written
    assert record.host.ram_total_gb == pytest.approx(16.0 * BYTES_PER_GIB / 1e9)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "columns_table", ROOT / "scripts" / "columns_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_docs_column_table_is_made_from_the_columns(tmp_path: Path) -> None:
    script = _script()
    assert script.PAGE == ROOT / "docs" / "emissions-csv.md"
    page = script.PAGE.read_text(encoding="utf-8")
    assert script.START in page and script.END in page
    assert page == script.with_table(page), "run: python scripts/columns_table.py"
    assert script.main(["--check"]) == 0
    stale = tmp_path / "emissions-csv.md"
    stale.write_text(page.replace("`timestamp`", "`time`"), encoding="utf-8")
    assert script.main(["--check", "--page", str(stale)]) == 1
    assert script.main(["--page", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == page
    for column in TABLE:
        assert f"`{column.name}`" in script.table()
    with pytest.raises(ValueError, match="markers"):
        script.with_table("no markers here")
