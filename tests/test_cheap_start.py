"""A cheap start: one row of each table, nothing loaded before it is needed, small tasks."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wattprint.errors import ConfigError
from wattprint.grid.countries import CountryTable
from wattprint.grid.water import WaterTable
from wattprint.tracking.tasks import Window, pack_ended, unpack_ended
from wattprint.tracking.totals import Totals, difference

FIGURES = ("monotonic_s", "cpu_j", "gpu_j", "ram_j", "busy_s", "cpu_total_s",
           "ram_used_byte_s", "ram_machine_byte_s", "cpu_idle_unattributed_j")  # fmt: skip


# -- one row of each shipped table --------------------------------------------


def test_a_country_lookup_reads_one_row_and_finds_what_the_whole_table_holds() -> None:
    whole = list(CountryTable())  # parsed and checked whole
    for row in whole:
        for code in filter(None, (row.iso3, row.iso2, row.iso2.lower(), f" {row.iso3} ")):
            table = CountryTable()
            assert table.lookup(code) == row
            assert table._loaded is None  # no other row was parsed


def test_a_country_not_found_by_its_row_gets_the_whole_tables_error() -> None:
    table = CountryTable()
    with pytest.raises(ConfigError, match=r"'Frnace'.*did you mean 'FRA' \(France\)"):
        table.lookup("Frnace")
    with pytest.raises(ConfigError, match="'ZZ'"):
        CountryTable().lookup("ZZ")


def test_a_water_lookup_reads_one_row_and_finds_what_the_whole_table_holds() -> None:
    whole = WaterTable()
    keys = list(whole._load())
    assert "WLD" in keys and len(keys) > 200
    for key in keys:
        table = WaterTable()
        assert table._get(key) == whole._load()[key]
        assert table._by_key is None
    assert WaterTable().lookup("USA", "California") == whole.lookup("USA", "US-CA")
    assert WaterTable().lookup("XYZ") is None


# -- nothing loaded before it is needed ----------------------------------------


def _fresh(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter in ``cwd``, with this wattprint (it must succeed)."""
    import wattprint

    src = str(Path(wattprint.__file__).resolve().parents[1])
    path = os.pathsep.join(filter(None, (src, os.environ.get("PYTHONPATH"))))
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=cwd, env=env
    )


def _modules_after(code: str, cwd: Path) -> set[str]:
    """Run ``code`` in a fresh interpreter in ``cwd``, with this wattprint; return its modules."""
    out = _fresh(f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))", cwd)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_a_tracker_is_made_without_the_run_s_machinery(tmp_path: Path) -> None:
    bare = _modules_after("pass", tmp_path)
    loaded = _modules_after(
        "from wattprint import Tracker\nTracker(country='FR', output_dir='out')", tmp_path
    )
    later = (
        "wattprint.results", "wattprint.records.record", "wattprint.power.discovery",
        "wattprint.tracking.assemble", "wattprint.tracking.meter", "wattprint.impact",
        "wattprint.grid.regions", "wattprint.grid.cloud_regions", "wattprint.grid.monthly",
        "wattprint.grid.timeline", "wattprint.advice.prediction", "wattprint.sinks.server",
    )  # fmt: skip
    assert [m for m in later if m in loaded] == []
    stdlib = ("socket", "uuid", "platform", "tomllib", "difflib")
    assert [m for m in stdlib if m in loaded - bare] == []


def test_wattprint_run_loads_no_other_command_nor_rich(tmp_path: Path) -> None:
    loaded = _modules_after(
        "from wattprint.cli import main\n"
        "assert main(['run', '--no-save', '--country', 'FR', '--', 'true']) == 0",
        tmp_path,
    )
    assert "rich" not in loaded
    assert [m for m in loaded if m.startswith(("wattprint.report", "wattprint.server"))] == []
    assert [m for m in loaded if m.endswith("_commands")] == []


def test_the_commands_of_other_modules_are_listed_and_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from wattprint.cli import main

    logger = logging.getLogger("wattprint")
    handlers, level = list(logger.handlers), logger.level
    try:  # the CLI sets the logger up: put it back as it was
        assert main(["--help"]) == 0
        listed = capsys.readouterr().out
        names = ("advise", "card", "intensity", "keygen", "monitor", "push", "regions",
                 "report", "serve", "verify", "run", "doctor", "recover", "config")  # fmt: skip
        assert [name for name in names if f"  {name} " not in listed] == []
        assert main(["regions", "--help"]) == 0
        assert "Usage: wattprint regions" in capsys.readouterr().out
        assert main(["nope"]) == 2
    finally:
        logger.handlers[:] = handlers
        logger.setLevel(level)


def test_the_run_summary_is_bold_only_where_it_can_be(monkeypatch: pytest.MonkeyPatch) -> None:
    from wattprint.cli.render import _bold

    for name in ("FORCE_COLOR", "NO_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    assert _bold(io.StringIO())("x") == "x"  # not a terminal
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert _bold(io.StringIO())("x") == "\x1b[1mx\x1b[0m"
    monkeypatch.setenv("NO_COLOR", "1")
    assert _bold(io.StringIO())("x") == "x"


# -- a finished task keeps what its two readings measured ----------------------


def _totals(monotonic_s: float, base: float, hours: tuple[tuple[int, float], ...]) -> Totals:
    figures = [base * k for k in range(1, 8)]
    return Totals(monotonic_s, *figures, hourly_j=hours, cpu_idle_unattributed_j=base / 2)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (((36000, 30.0),), ((36000, 45.5),)),  # within one hour
        (((36000, 30.0),), ((36000, 40.0), (39600, 60.0))),  # across an hour
        ((), ((36000, 1.0), (39600, 2.0), (43200, 3.0))),  # from a run's first reading
        (((36000, 30.0),), ((36000, 30.0),)),  # nothing measured
    ],
)
def test_a_packed_task_gives_the_difference_of_its_readings(
    before: tuple[tuple[int, float], ...], after: tuple[tuple[int, float], ...]
) -> None:
    start, end = _totals(10.0, 1.5, before), _totals(99.5, 4.25, after)
    packed = pack_ended(Window(start, 1_714_564_800.25), end)
    started, got = unpack_ended(packed)
    want = difference(end, start)
    assert started == 1_714_564_800.25
    assert [getattr(got, f) for f in FIGURES] == [getattr(want, f) for f in FIGURES]
    assert got.hourly_j == want.hourly_j
    assert len(packed) == 80 + 16 * len(want.hourly_j)


def test_readings_of_one_hour_differ_by_that_hour_alone() -> None:
    start = Totals(0.0)
    closed, hour, hour_j = start.with_hours({36000: 5.0, 39600: 7.0})
    a = Totals(1.0)
    a._closed, a._hour, a._hour_j = closed, hour, hour_j
    b = Totals(2.0)
    b._closed, b._hour, b._hour_j = a.with_hours({39600: 3.0})
    assert b._closed is a._closed  # the closed hours are shared
    assert difference(b, a).hourly_j == ((39600, 3.0),)
    assert difference(a, a).hourly_j == ()
    assert difference(a, start).hourly_j == ((36000, 5.0), (39600, 7.0))
    assert difference(Totals(3.0), Totals(1.0)).hourly_j == ()


def test_finished_tasks_keep_their_packed_readings_until_read() -> None:
    from wattprint import Tracker

    tracker = Tracker(country="FR", save_to_file=False, mode="machine", force_cpu_power_w=5.0,
                      handle_signals=False)  # fmt: skip
    with tracker:
        for _ in range(200):
            with tracker.task("t"):
                pass
        active = tracker._active
        assert active is not None
        kept = active.tasks.done
        assert len(kept) == 200 and all(isinstance(t, tuple) for t in kept)
    result = tracker.result
    assert result is not None and len(result.tasks) == 200
    assert all(t.name == "t" and t.cpu_energy_kwh >= 0 for t in result.tasks)


# -- the journal reads a process's start from procfs -----------------------------


def test_a_process_start_is_read_as_psutil_reads_it() -> None:
    psutil = pytest.importorskip("psutil")
    from wattprint.tracking.journal import _process_start

    for pid in (os.getpid(), os.getppid(), 1):
        assert _process_start(pid) == pytest.approx(psutil.Process(pid).create_time(), abs=0.02)
    assert _process_start(2**22 + 12345) is None


def test_the_command_line_pauses_the_collector_only_while_it_loads(tmp_path: Path) -> None:
    """Collection is off while the commands load, on again once ``run``'s command started."""
    code = (
        "import gc, sys\n"
        "import wattprint.tracking.supervisor as sup\n"
        "real = sup._wait\n"
        "seen = []\n"
        "def wait(*a, **k):\n"
        "    seen.append(gc.isenabled())\n"
        "    return real(*a, **k)\n"
        "sup._wait = wait\n"
        "from wattprint.cli import main\n"
        "sys.argv = ['wattprint', 'run', '--no-save', '--country', 'FR', '--', 'true']\n"
        "assert main() == 0\n"
        "print(seen, gc.isenabled(), gc.get_freeze_count() > 1000)\n"
        "frozen = gc.get_freeze_count()\n"
        "main(['run', '--no-save', '--country', 'FR', '--', 'true'])\n"
        "print(gc.isenabled(), gc.get_freeze_count() == frozen)\n"
        "gc.disable()\n"
        "main(['--version'])\n"
        "print(gc.isenabled())\n"
    )
    out = _fresh(code, tmp_path).stdout.splitlines()
    assert out[0] == "[True] True True"  # resumed before the wait, the loaded modules frozen
    assert out[1] == "True True"  # main(argv) in a caller's process: on again, nothing frozen
    assert out[-1] == "False"  # a collector the caller had turned off stays off


def test_the_command_line_loads_logging_only_to_show_a_warning(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from wattprint.cli import main\n"
        "assert main(['run', '--no-save', '--country', 'FR', '--', 'true']) == 0\n"
        "print('logging' in sys.modules)\n"
        "from wattprint._log import logger\n"
        "logger.warning('wattprint: a warning from the library')\n"
        "logger.info('wattprint: not shown')\n"
    )
    done = _fresh(code, tmp_path)
    assert done.stdout.splitlines() == ["False"]
    assert "wattprint: a warning from the library" in done.stderr.splitlines()
    assert "not shown" not in done.stderr
