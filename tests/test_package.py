"""The package's shape: public API, cheap import, one-way dependencies, source contract."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakes.fake_machine import write_machine

import wattprint
from wattprint.diagnose import diagnose
from wattprint.power.base import PowerSource, Reading
from wattprint.power.discovery import ProbeContext, discover

SRC = Path(wattprint.__file__).parent
FIXTURES = Path(__file__).parent / "fixtures"
HEAVY = ("click", "rich", "numpy", "pandas", "requests", "httpx", "fastapi", "sqlalchemy",
         "pynvml", "amdsmi", "prometheus_client", "cryptography")  # fmt: skip


def test_all_matches_the_public_names() -> None:
    assert wattprint.__all__ == sorted(wattprint.__all__)
    for name in wattprint.__all__:
        assert getattr(wattprint, name) is not None
    public = {n for n in dir(wattprint) if not n.startswith("_")}
    assert public == {n for n in wattprint.__all__ if not n.startswith("_")}
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = wattprint.Nope  # type: ignore[attr-defined]


def _loaded_after(code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    "code", ["import wattprint", "from wattprint import Tracker, track, RunResult"]
)
def test_import_loads_no_heavy_module(code: str) -> None:
    loaded = _loaded_after(code)
    assert [m for m in HEAVY if m in loaded] == []
    assert "socket" not in loaded or "import wattprint" != code  # no network client


def test_import_reads_no_table_and_starts_no_thread() -> None:
    loaded = _loaded_after("import threading, wattprint\nassert threading.active_count() == 1")
    assert "wattprint.power.discovery" not in loaded


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
    return found


def test_impact_is_pure() -> None:
    for path in (SRC / "impact").glob("*.py"):
        for name in _imports(path):
            assert not any(bad in name for bad in ("power", "grid", "sinks", "tracker"))
            assert name.split(".")[0] not in ("os", "io", "pathlib", "socket", "time", "logging")


def test_power_knows_nothing_of_carbon() -> None:
    for path in (SRC / "power").glob("*.py"):
        for name in _imports(path):
            assert not any(bad in name for bad in ("grid", "impact", "sinks", "tracker"))


def test_no_module_is_too_long() -> None:
    for path in SRC.rglob("*.py"):
        assert len(path.read_text().splitlines()) <= 420, path


# -- every source honours the protocol ----------------------------------------


def _rapl_tree(tmp_path: Path) -> Path:
    root = tmp_path / "powercap"
    shutil.copytree(FIXTURES / "rapl", root, ignore=shutil.ignore_patterns("*.csv", "*.py"))
    return root


def _server(tmp_path: Path) -> dict[str, Path]:
    """A physical server's procfs, cgroup and DMI trees (no hypervisor flag, no DMI)."""
    box = write_machine(
        tmp_path / "server", brand="Intel(R) Xeon(R) Platinum 8480+", vcpus=8, hypervisor=False
    )
    return {"procfs_root": box.procfs_root, "cgroup_root": box.cgroup_root, "dmi_dir": box.dmi_dir}


def _all_sources(tmp_path: Path) -> list[PowerSource]:
    rapl = {"WATTPRINT_RAPL_DIR": str(_rapl_tree(tmp_path))}
    none = {"WATTPRINT_RAPL_DIR": str(tmp_path / "none")}
    contexts = [
        ProbeContext(env=rapl),
        ProbeContext(env=none),
        ProbeContext(env=none, **_server(tmp_path)),
        ProbeContext(env=none, force_power_w={"cpu": 5.0}),
    ]
    return [s for ctx in contexts for s in discover(ctx).chosen]


def test_every_source_honours_the_protocol(tmp_path: Path) -> None:
    sources = _all_sources(tmp_path)
    names = {type(s).__name__ for s in sources}
    assert {"RaplSource", "TdpModelSource", "RamModelSource", "ConstantPowerSource"} <= names
    for source in sources:
        assert isinstance(source, PowerSource)
        assert source.component in ("cpu", "gpu", "ram", "soc")
        assert isinstance(source.measured, bool) and source.method and source.name
        first = source.read()
        time.sleep(0.01)
        second = source.read()
        assert isinstance(second, Reading) and second.source == source.name
        assert second.energy_j >= first.energy_j >= 0
        assert second.monotonic_s >= first.monotonic_s
        assert isinstance(source.detail, str) and source.detail
        source.close()


def test_discovery_prefers_counters_then_models(tmp_path: Path) -> None:
    with_rapl = discover(ProbeContext(env={"WATTPRINT_RAPL_DIR": str(_rapl_tree(tmp_path))}))
    cpu, ram = with_rapl.source_for("cpu"), with_rapl.source_for("ram")
    assert cpu is not None and cpu.method == "rapl" and cpu.measured
    assert ram is not None and ram.method == "rapl" and ram.measured
    reasons = {o.probe: o.reason for o in with_rapl.outcomes}
    assert reasons["cpu-tdp-model"].startswith("not needed: cpu by rapl")

    absent = {"WATTPRINT_RAPL_DIR": str(tmp_path / "absent")}
    without = discover(ProbeContext(env=absent, **_server(tmp_path)))
    cpu, ram = without.source_for("cpu"), without.source_for("ram")
    assert cpu is not None and cpu.method == "tdp-x-load" and not cpu.measured
    assert ram is not None and ram.method == "gb-x-w-per-gb"
    rapl = next(o for o in without.outcomes if o.probe == "rapl")
    assert not rapl.is_available and str(tmp_path / "absent") in rapl.reason


def test_tracker_measures_with_rapl_counters(tmp_path: Path) -> None:
    """With the recorded RAPL tree, the run says measured, and counts deltas only."""
    tree = _rapl_tree(tmp_path)
    tracker = wattprint.Tracker(
        country="FR",
        mode="machine",
        save_to_file=False,
        interval_s=0.05,
        env={"WATTPRINT_RAPL_DIR": str(tree)},
    )
    package = tree / "intel-rapl" / "intel-rapl:0" / "energy_uj"
    with tracker:
        before = int(package.read_text())
        package.write_text(str(before + 7_200_000))  # +7.2 J on package-0
        time.sleep(0.15)
    r = tracker.result
    assert r is not None
    assert r.cpu_energy_kwh == pytest.approx(7.2 / 3.6e6)
    assert r.methodology.component("cpu").measured  # type: ignore[union-attr]
    assert r.measured_share == 1.0  # dram is measured too (and did not move)


def test_diagnose_reports_every_probe(tmp_path: Path) -> None:
    d = diagnose(country="DE", env={"WATTPRINT_RAPL_DIR": str(tmp_path / "nothing")})
    statuses = {p.probe: p.status for p in d.probes}
    assert statuses["rapl"] == "unavailable" and statuses["cpu-tdp-model"] == "used"
    assert d.location["country"] == "DEU" and d.intensity["source"]
    json.dumps(d.to_dict())
