"""The command line for switchers: run --as-codecarbon, --json-out, report on CodeCarbon's folders.

The report tests read CodeCarbon 3.3.2's own files, recorded once in
tests/fixtures/codecarbon/ (see the README there for how).
"""

from __future__ import annotations

import csv
import json
import logging
import os
import shutil
import site
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from wattprint.cli import main
from wattprint.compat.shim import codecarbon_shim, find_real_codecarbon
from wattprint.report.load import load_runs

FIXTURES = Path(__file__).parent / "fixtures" / "codecarbon"
WATTPRINT = [sys.executable, "-m", "wattprint"]
RUN = ["run", "--country", "FR", "--interval", "0.2"]
SCRIPT = """\
from codecarbon import EmissionsTracker
import codecarbon
tracker = EmissionsTracker(project_name="legacy", measure_power_secs=0.1)
tracker.start()
sum(i * i for i in range(200000))
emissions = tracker.stop()
print("module", codecarbon.__file__)
print("emissions", emissions)
"""

@pytest.fixture
def restore_logger() -> Iterator[None]:
    """Put back the wattprint logger as it was (the command line adds a stderr handler)."""
    log = logging.getLogger("wattprint")
    level, handlers = log.level, list(log.handlers)
    yield
    log.setLevel(level)
    log.handlers[:] = handlers



@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("WATTPRINT_", "CODECARBON_"))
    }
    (tmp_path / "home").mkdir()
    (tmp_path / "no-rapl").mkdir()
    clean.update(HOME=str(tmp_path / "home"), WATTPRINT_RAPL_DIR=str(tmp_path / "no-rapl"))
    clean.setdefault("PYTHONUSERBASE", site.getuserbase())
    return clean


def _run(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WATTPRINT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_as_codecarbon_runs_unedited_codecarbon_code(tmp_path: Path, env: dict[str, str]) -> None:
    if find_real_codecarbon(env.get("PYTHONPATH", "")) is not None:
        pytest.skip("a real CodeCarbon is installed here: --as-codecarbon leaves it in place")
    (tmp_path / "train.py").write_text(SCRIPT)
    done = _run(*RUN, "--as-codecarbon", "--", sys.executable, "train.py", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert "resolves to wattprint's drop-in" in done.stderr
    assert "wattprint-codecarbon-" in done.stdout  # the shim, not a real package
    emissions = float(done.stdout.split("emissions ")[1])
    rows = _rows(tmp_path / "emissions.csv")
    legacy = [r for r in rows if r["project_name"] == "legacy"]
    assert len(rows) == 2 and len(legacy) == 1  # the script's run, and the command's
    assert float(legacy[0]["emissions"]) == emissions
    assert legacy[0]["tracking_mode"] == "machine"
    assert not any(Path(tempfile_dir).exists() for tempfile_dir in _shim_dirs(done.stdout))


def _shim_dirs(stdout: str) -> list[str]:
    return [line.split()[1].rsplit("/codecarbon/", 1)[0] for line in stdout.splitlines()
            if line.startswith("module ")]  # fmt: skip


def test_a_real_codecarbon_is_not_shadowed_unless_asked(tmp_path: Path) -> None:
    real = tmp_path / "site" / "codecarbon"
    real.mkdir(parents=True)
    (real / "__init__.py").write_text("REAL = True\n")
    env = {"PYTHONPATH": str(tmp_path / "site")}
    with codecarbon_shim(env) as plan:
        assert plan.directory is None and plan.real is not None and "--shadow" in plan.message
        assert env["PYTHONPATH"] == str(tmp_path / "site")
    with codecarbon_shim(env, shadow=True) as plan:
        assert plan.directory is not None and "shadowing the real one" in plan.message
        first = env["PYTHONPATH"].split(os.pathsep)[0]
        assert first == str(plan.directory)
        check = subprocess.run(
            [sys.executable, "-c", "import codecarbon; print(codecarbon.EmissionsTracker)"],
            env={**os.environ, "PYTHONPATH": env["PYTHONPATH"]}, capture_output=True, text=True,
        )  # fmt: skip
        assert "wattprint.compat.codecarbon.EmissionsTracker" in check.stdout, check.stderr
    assert env["PYTHONPATH"] == str(tmp_path / "site")
    assert not plan.directory.exists()


def test_json_out_never_mixes_with_the_commands_stdout(
    tmp_path: Path, env: dict[str, str]
) -> None:
    talk = [sys.executable, "-c", "print('hello from the command')"]
    done = _run(*RUN, "--no-save", "--json-out", "-", "--", *talk, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "completed"  # stdout is the JSON alone
    assert "hello from the command" in done.stderr
    done = _run(*RUN, "--no-save", "--json-out", "r.json", "--", *talk, cwd=tmp_path, env=env)
    assert done.stdout.strip() == "hello from the command"
    assert json.loads((tmp_path / "r.json").read_text())["status"] == "completed"


# -- reports on CodeCarbon's folders --------------------------------------------------


@pytest.mark.usefixtures("restore_logger")
def test_report_on_codecarbons_own_folder_keeps_the_run_and_its_tasks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "cc"
    shutil.copytree(FIXTURES, folder)
    loaded = load_runs([folder])
    demo = next(r for r in loaded.runs if r.project == "cc-demo")
    assert len(loaded.runs) == 2
    assert demo.energy_kwh == pytest.approx(3.8921958140077494e-05)  # the run, not a task
    assert [t.name for t in demo.tasks] == ["load", "train"]
    assert demo.tasks[1].energy_kwh == pytest.approx(1.9447764096666007e-05)
    assert main(["report", str(folder), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    both_kwh = 3.8921958140077494e-05 + 7.795050872443527e-06
    assert report["totals"]["energy_kwh"] == pytest.approx(both_kwh)
    assert main(["report", str(folder)]) == 0
    markdown = capsys.readouterr().out
    assert "computed by CodeCarbon 3.3.2" in markdown and "| load |" in markdown
    assert main(["report", str(folder), "--format", "latex"]) == 0
    latex = capsys.readouterr().out
    assert "as computed with CodeCarbon~3.3.2~\\cite{codecarbon}" in latex
    assert "@software{codecarbon," in latex


def test_a_task_file_alone_is_named_not_read_as_runs(tmp_path: Path) -> None:
    from wattprint.errors import DataError
    from wattprint.records.read import read_records

    task_file = next(FIXTURES.glob("emissions_base_*.csv"))
    with pytest.raises(DataError, match="task file"):
        list(read_records(task_file))
    loaded = load_runs([task_file])
    assert loaded.runs == () or all(not r.tasks for r in loaded.runs)


@pytest.mark.usefixtures("restore_logger")
def test_plain_report_reads_the_rows_wattprint_diverted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("WATTPRINT_OUTPUT_DIR", "WATTPRINT_OUTPUT_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copy(FIXTURES / "emissions.csv", tmp_path / "emissions.csv")  # CodeCarbon's file
    from wattprint.tracking.tracker import Tracker

    with Tracker(country="FR", interval_s=0.1, project="mine", handle_signals=False):
        pass
    assert (tmp_path / "emissions.wattprint-1.csv").exists()  # diverted
    assert main(["report", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    projects = {r["project"] for r in report["runs"]}
    assert projects == {"cc-demo", "cc-plain", "mine"}
