"""Tests for the command line, run as real processes (``python -m wattprint``).

Every run is hermetic: it works in a temporary directory with an empty home
(no user config, no ``.codecarbon.config``), without WATTPRINT_* or
CODECARBON_* variables from outside, and the RAPL probe is pointed at an
empty directory (``WATTPRINT_RAPL_DIR``), so the same methods are used on any
machine, with or without RAPL, GPU or network. The commands tracked are
small scripts in ``tests/scripts/``.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import signal
import site
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from fakes.fake_machine import local_cpu_model_method

from wattprint import __version__
from wattprint.cli import main
from wattprint.sinks.csv_file import CODECARBON_COLUMNS, COLUMNS
from wattprint.units import J_PER_KWH

HERE = Path(__file__).parent
SCRIPTS = HERE / "scripts"
FIXTURES = HERE / "fixtures"
SIGNAL_CHILD = SCRIPTS / "signal_child.py"
BURN_TREE = SCRIPTS / "burn_tree.py"
WATTPRINT = [sys.executable, "-m", "wattprint"]
RUN = ["run", "--country", "FR", "--interval", "0.5"]
"""``wattprint run`` with a known grid and a short interval; the command follows."""

# Variables that would make the output differ from a plain non-TTY run.
_COLOUR_VARS = ("FORCE_COLOR", "CLICOLOR_FORCE", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS")

posix_signals = pytest.mark.skipif(
    not hasattr(signal, "sigtimedwait"), reason="needs POSIX signals with siginfo"
)


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def no_rapl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty powercap directory: the RAPL probe finds nothing, on any machine."""
    return tmp_path_factory.mktemp("no-rapl")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty home directory: no user configuration file is found."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture
def env(no_rapl: Path, home: Path) -> dict[str, str]:
    """The environment of a run: no settings or colour choices from outside."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WATTPRINT_", "CODECARBON_")) and k not in _COLOUR_VARS
    }
    clean["WATTPRINT_RAPL_DIR"] = str(no_rapl)
    clean["WATTPRINT_DMI_DIR"] = str(home / "no-dmi")  # no cloud's DMI strings
    clean["HOME"] = str(home)
    clean["XDG_CONFIG_HOME"] = str(home / ".config")
    clean.setdefault("PYTHONUSERBASE", site.getuserbase())  # packages installed with --user
    return clean


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The working directory of a run (the default output directory)."""
    path = tmp_path / "work"
    path.mkdir()
    return path


def wattprint(
    *args: str | os.PathLike[str],
    cwd: Path,
    env: Mapping[str, str],
    stdin: bytes | None = None,
    timeout_s: float = 30.0,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m wattprint ARGS`` to the end and capture its output."""
    return subprocess.run(
        [*WATTPRINT, *map(str, args)],
        cwd=cwd,
        env=dict(env),
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=timeout_s,
        check=False,
    )


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Return the header and rows of a CSV file."""
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def cpu_lines_in_proc_stat() -> int:
    """Return how many CPUs /proc/stat sums over (the machine's CPU time)."""
    with open("/proc/stat") as f:
        return sum(1 for line in f if line.startswith("cpu") and line[3].isdigit())


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[bytes], what: str) -> None:
    """Wait until ``condition()`` holds, failing if ``proc`` ends first or 15 s pass."""
    deadline = time.monotonic() + 15.0
    while not condition():
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"wattprint ended ({proc.returncode}) before {what}: {err!r}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def popen(env: dict[str, str], work: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start wattprint in the background, in a new session; kill what is left at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(
        *args: str | os.PathLike[str], run_env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [*WATTPRINT, *map(str, args)],
            cwd=work,
            env=dict(run_env if run_env is not None else env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def start_signal_child(
    popen: Callable[..., subprocess.Popen[bytes]], work: Path, exit_code: int
) -> tuple[subprocess.Popen[bytes], Path]:
    """Start ``wattprint run -- signal_child.py`` and wait until the child is ready."""
    box = work / "box"
    box.mkdir()
    child = [sys.executable, str(SIGNAL_CHILD), str(box), str(exit_code)]
    proc = popen(*RUN, "--", *child)
    wait_for((box / "ready").exists, proc, "the child was ready")
    return proc, box


def signals_received(box: Path) -> list[str]:
    """Return the signals the child wrote down, in order."""
    path = box / "signals"
    return path.read_text().split() if path.exists() else []


# --------------------------------------------------------------------------- version


def test_version_prints_the_version(env: dict[str, str], work: Path) -> None:
    done = wattprint("--version", cwd=work, env=env)
    assert done.returncode == 0
    assert done.stdout.decode() == f"wattprint, version {__version__}\n"


def test_main_returns_zero_for_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


# --------------------------------------------------------------------------- exit codes


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["sh", "-c", "exit 3"], 3),
        (["sh", "-c", "kill -9 $$"], 128 + 9),
        (["true"], 0),
    ],
    ids=["exit-3", "killed-by-sigkill", "success"],
)
def test_run_exits_with_the_command_exit_code(
    command: list[str], expected: int, env: dict[str, str], work: Path
) -> None:
    done = wattprint(*RUN, "--no-save", "--", *command, cwd=work, env=env)
    assert done.returncode == expected, done.stderr.decode()
    assert b"wattprint" in done.stderr  # the summary is still printed


def test_run_missing_command_is_an_error(env: dict[str, str], work: Path) -> None:
    missing = f"no-such-command-{uuid.uuid4().hex}"
    done = wattprint(*RUN, "--", missing, cwd=work, env=env)
    assert done.returncode == 1
    err = done.stderr.decode()
    assert "Error: command not found" in err
    assert missing in err
    assert "Traceback" not in err
    assert list(work.iterdir()) == []  # nothing measured, no row written


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--mode", "sideways"], ["sideways", "process", "machine"]),
        (["--interval", "0"], ["--interval", "from 0.01 to 86400"]),
        (["--country", "XXX"], ["'XXX'", "--country"]),
        (["--cpu-power", "-1"], ["-1", "--cpu-power"]),
    ],
    ids=["mode", "interval", "country", "cpu-power"],
)
def test_run_usage_errors_exit_2_and_run_nothing(
    options: list[str], named: list[str], env: dict[str, str], work: Path
) -> None:
    marker = work / "ran"
    done = wattprint("run", *options, "--", "touch", marker, cwd=work, env=env)
    assert done.returncode == 2
    err = done.stderr.decode()
    assert "Error:" in err
    for text in named:
        assert text in err
    assert "Traceback" not in err
    assert not marker.exists()
    assert not (work / "emissions.csv").exists()


def test_run_mode_is_case_insensitive(env: dict[str, str], work: Path) -> None:
    done = wattprint(
        *RUN, "--no-save", "--json", "--mode", "MACHINE", "--", "true", cwd=work, env=env
    )
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout)["mode"] == "machine"


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--interval", "1e400"], ["interval_s='1e400'", "option --interval", "0.01 to 86400"]),
        (["--output-file", "a\nb.csv"], ["output_file=", "option --output-file", "line breaks"]),
    ],
    ids=["huge-interval", "newline-in-file-name"],
)
def test_run_option_errors_name_option_value_and_accepted(
    options: list[str], named: list[str], env: dict[str, str], work: Path
) -> None:
    done = wattprint("run", *options, "--", "true", cwd=work, env=env)
    assert done.returncode == 2
    err = done.stderr.decode()
    assert all(text in err for text in named), err
    assert "Traceback" not in err and list(work.iterdir()) == []


# --------------------------------------------------------------------------- standard streams


def test_run_passes_stdin_to_stdout_byte_for_byte(env: dict[str, str], work: Path) -> None:
    data = os.urandom(256 * 1024) + b"\x00\r\n\xff" + bytes(range(256)) * 64
    done = wattprint(*RUN, "--no-save", "--", "cat", cwd=work, env=env, stdin=data)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == data  # the summary is not on stdout
    assert b"wattprint completed" in done.stderr
    assert b"\x1b[" not in done.stderr  # not a terminal: no colour codes


def test_run_leaves_the_command_stderr_alone(env: dict[str, str], work: Path) -> None:
    command = ["sh", "-c", "echo to-err >&2; echo to-out"]
    done = wattprint(*RUN, "--no-save", "--", *command, cwd=work, env=env)
    assert done.returncode == 0
    assert done.stdout == b"to-out\n"
    assert done.stderr.startswith(b"to-err\n")
    assert b"wattprint completed" in done.stderr


def test_run_json_prints_one_document_on_stdout(env: dict[str, str], work: Path) -> None:
    done = wattprint(*RUN, "--no-save", "--json", "--", "true", cwd=work, env=env)
    assert done.returncode == 0, done.stderr.decode()
    result = json.loads(done.stdout)
    energy_kwh = ["energy_kwh", "cpu_energy_kwh", "gpu_energy_kwh", "ram_energy_kwh"]
    for key in [*energy_kwh, "emissions_kg", "duration_s", "cpu_power_w", "intensity_g_per_kwh"]:
        assert isinstance(result[key], float), key
        assert result[key] >= 0.0, key
    assert result["status"] == "completed"
    assert result["mode"] == "process"
    assert result["location"]["country_iso3"] == "FRA"
    assert [c["component"] for c in result["methodology"]["components"]] == ["cpu", "gpu", "ram"]
    assert result["energy_kwh"] == pytest.approx(
        result["cpu_energy_kwh"] + result["gpu_energy_kwh"] + result["ram_energy_kwh"]
    )
    # The run ends when the command does, not when the signal thread next wakes.
    assert result["duration_s"] < 0.15
    assert b"wattprint completed" in done.stderr


# --------------------------------------------------------------------------- process tree


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="needs Linux /proc/stat")
def test_run_counts_the_whole_process_tree(env: dict[str, str], work: Path) -> None:
    """Two grandchildren burn 1 CPU-second each; a forced 10 W CPU makes energies exact.

    Machine mode: CPU energy = 10 W x duration. Process mode: each interval's
    energy is 10 W x dt x (tree CPU time / machine busy CPU time), so it is at
    most 10 W x duration, and, as the machine's busy time in dt is at most
    n_cpus x dt, at least 10 W x (tree CPU time) / n_cpus.
    """
    power_w, children, burn_s = 10.0, 2, 1.0
    tree_cpu_s = children * burn_s
    n_cpus = cpu_lines_in_proc_stat()
    results = {}
    for mode in ("process", "machine"):
        options = ["--no-save", "--json", "--mode", mode, "--cpu-power", str(power_w)]
        command = [sys.executable, str(BURN_TREE), str(children), str(burn_s)]
        done = wattprint(*RUN, *options, "--", *command, cwd=work, env=env)
        assert done.returncode == 0, done.stderr.decode()
        results[mode] = json.loads(done.stdout)

    for mode, result in results.items():
        cpu = result["methodology"]["components"][0]
        assert (cpu["component"], cpu["method"], cpu["measured"]) == ("cpu", "constant", False)
        # The tree needed >= 2 CPU-seconds, so the machine was that busy at least.
        assert result["duration_s"] >= tree_cpu_s / n_cpus
        busy_cpu_s = result["cpu_utilization_percent"] / 100 * n_cpus * result["duration_s"]
        assert busy_cpu_s >= 0.8 * tree_cpu_s, (mode, result["cpu_utilization_percent"])
        assert result["ram_energy_kwh"] > 0

    machine = results["machine"]
    machine_cpu_j = machine["cpu_energy_kwh"] * J_PER_KWH
    assert machine_cpu_j == pytest.approx(power_w * machine["duration_s"], rel=0.02)
    assert machine["cpu_power_w"] == pytest.approx(power_w, rel=0.02)

    process = results["process"]
    process_cpu_j = process["cpu_energy_kwh"] * J_PER_KWH
    assert process_cpu_j > 0
    assert process_cpu_j <= power_w * process["duration_s"] * 1.02
    assert process["cpu_power_w"] <= machine["cpu_power_w"] * 1.02
    assert process_cpu_j >= 0.8 * power_w * tree_cpu_s / n_cpus
    assert "descendants" in process["methodology"]["components"][0]["attribution"]
    assert machine["methodology"]["components"][0]["attribution"] == "whole machine"


# --------------------------------------------------------------------------- CSV output


def test_codecarbon_columns_match_codecarbon_3() -> None:
    with (FIXTURES / "codecarbon_header.csv").open(newline="") as f:
        header = next(csv.reader(f))
    assert len(header) == 38
    assert list(CODECARBON_COLUMNS) == header


def test_run_appends_a_row_to_the_csv(env: dict[str, str], work: Path) -> None:
    out = work / "results" / "nested"
    for project in ("first", "second"):
        options = ["--project", project, "--output-dir", out]
        done = wattprint(*RUN, *options, "--", "true", cwd=work, env=env)
        assert done.returncode == 0, done.stderr.decode()
    assert b"row written to" in done.stderr
    assert [p.name for p in out.iterdir()] == ["emissions.csv"]
    with (FIXTURES / "codecarbon_header.csv").open(newline="") as f:
        codecarbon = next(csv.reader(f))
    header, rows = read_rows(out / "emissions.csv")
    assert header[:38] == codecarbon
    assert header == list(COLUMNS)
    assert [r["project_name"] for r in rows] == ["first", "second"]
    for row in rows:
        assert row["status"] == "completed"
        assert row["country_iso_code"] == "FRA"
        assert row["codecarbon_version"] == __version__
        assert row["tracking_mode"] == "process"
        uuid.UUID(row["run_id"])
        assert float(row["energy_consumed"]) >= 0
        assert float(row["duration"]) >= 0
    assert rows[0]["run_id"] != rows[1]["run_id"]
    assert list(work.iterdir()) == [work / "results"]  # nothing in the working directory


def test_run_no_save_writes_nothing(env: dict[str, str], work: Path) -> None:
    out = work / "out"
    done = wattprint(*RUN, "--no-save", "--", "true", cwd=work, env=env)
    assert done.returncode == 0
    done = wattprint(*RUN, "--no-save", "--output-dir", out, "--", "true", cwd=work, env=env)
    assert done.returncode == 0
    assert list(work.iterdir()) == []
    assert b"row written" not in done.stderr


# --------------------------------------------------------------------------- signals


@posix_signals
def test_sigterm_is_passed_on_and_the_run_is_interrupted(
    popen: Callable[..., subprocess.Popen[bytes]], work: Path
) -> None:
    proc, box = start_signal_child(popen, work, exit_code=0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=15)
    assert signals_received(box) == ["SIGTERM"]  # the child's handler ran
    assert proc.returncode == 0, err.decode()  # the child's code, not 128 + 15
    _, rows = read_rows(work / "emissions.csv")
    assert [r["status"] for r in rows] == ["interrupted"]
    assert b"wattprint interrupted" in err


@posix_signals
def test_sigint_to_wattprint_alone_reaches_the_command_once(
    popen: Callable[..., subprocess.Popen[bytes]], work: Path
) -> None:
    proc, box = start_signal_child(popen, work, exit_code=5)
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=15)
    assert signals_received(box) == ["SIGINT"]
    assert proc.returncode == 5, err.decode()
    _, rows = read_rows(work / "emissions.csv")
    assert [r["status"] for r in rows] == ["interrupted"]


@posix_signals
def test_sigint_to_the_process_group_reaches_the_command_once(
    popen: Callable[..., subprocess.Popen[bytes]], work: Path
) -> None:
    proc, box = start_signal_child(popen, work, exit_code=5)
    os.killpg(proc.pid, signal.SIGINT)  # a new session: its group is wattprint's pid
    _, err = proc.communicate(timeout=15)
    assert signals_received(box) == ["SIGINT"]
    assert proc.returncode == 5, err.decode()
    _, rows = read_rows(work / "emissions.csv")
    assert [r["status"] for r in rows] == ["interrupted"]


# Make the terminal on stdin the controlling terminal, then become wattprint.
_WITH_TERMINAL = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


@posix_signals
@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_ctrl_c_at_a_terminal_reaches_the_command_once(env: dict[str, str], work: Path) -> None:
    """The terminal sends SIGINT to the foreground group (si_code SI_KERNEL): no forwarding."""
    launcher = [sys.executable, "-c", _WITH_TERMINAL]
    master, slave = os.openpty()
    box = work / "box"
    box.mkdir()
    try:
        proc = subprocess.Popen(
            [*launcher, *WATTPRINT, *RUN, "--", sys.executable, SIGNAL_CHILD, box, "5"],
            cwd=work,
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        try:
            wait_for((box / "ready").exists, proc, "the child was ready")
            os.write(master, b"\x03")  # Ctrl-C
            proc.wait(timeout=15)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        output = _drain(master)
    finally:
        os.close(master)
    assert signals_received(box) == ["SIGINT"], output
    assert proc.returncode == 5, output
    assert "interrupted: " in output  # a terminal: the summary may be in bold
    _, rows = read_rows(work / "emissions.csv")
    assert [r["status"] for r in rows] == ["interrupted"]


def _drain(master: int) -> str:
    """Read what is left on a pseudo-terminal whose other side is closed."""
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every slave end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


@posix_signals
@pytest.mark.parametrize("args", [RUN, ["doctor"]], ids=["run", "doctor"])
def test_ctrl_c_while_probing_exits_130_without_traceback(
    args: list[str],
    popen: Callable[..., subprocess.Popen[bytes]],
    env: dict[str, str],
    work: Path,
    tmp_path: Path,
) -> None:
    """Interrupt wattprint while it reads a RAPL zone name that is a FIFO nobody writes."""
    zone = tmp_path / "powercap" / "intel-rapl:0"
    zone.mkdir(parents=True)
    (zone / "energy_uj").write_text("0\n")
    (zone / "max_energy_range_uj").write_text("262143328850\n")
    fifo = zone / "name"
    os.mkfifo(fifo)
    env["WATTPRINT_RAPL_DIR"] = str(zone.parent)
    marker = work / "ran"
    command = ["--", "touch", marker] if args[0] == "run" else []
    proc = popen(*args, *command, run_env=env)
    fds: list[int] = []

    def reader_is_waiting() -> bool:
        try:  # succeeds once wattprint opened the FIFO; it then waits for data
            fds.append(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError as err:
            if err.errno != errno.ENXIO:
                raise
            return False
        return True

    try:
        wait_for(reader_is_waiting, proc, "wattprint opened the RAPL zone")
        proc.send_signal(signal.SIGINT)
        # A SIGINT that lands between the FIFO's open() and its read() is handled only
        # when the read returns (CPython checks signals between bytecodes), so after a
        # moment the writer end is closed: the read then ends and the signal acts.
        try:
            proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            pass
    finally:
        for fd in fds:
            os.close(fd)
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 130, err.decode()
    assert b"Aborted!" in err
    assert b"Traceback" not in err
    assert not marker.exists()


# --------------------------------------------------------------------------- doctor


def _table_rows(text: str) -> dict[str, list[str]]:
    """Return the probe table's rows by probe name (first cell), as cells."""
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("│"):
            cells = [c.strip() for c in line.strip("│").split("│")]
            if cells[0]:
                rows[cells[0]] = cells
    return rows


def test_doctor_lists_every_probe(env: dict[str, str], work: Path) -> None:
    done = wattprint("doctor", cwd=work, env=env)
    assert done.returncode == 0, done.stderr.decode()
    text = done.stdout.decode()
    rows = _table_rows(text)
    assert {"rapl", "cpu-tdp-model", "ram-model"} <= rows.keys()
    assert rows["rapl"][2] == "unavailable"
    assert rows["cpu-tdp-model"][2] == "used"
    assert rows["ram-model"][2] == "used"
    assert "Methods that a run would use" in text
    assert "\x1b[" not in text
    assert list(work.iterdir()) == []


def test_doctor_json(env: dict[str, str], work: Path, no_rapl: Path) -> None:
    done = wattprint("doctor", "--json", "--country", "FR", cwd=work, env=env)
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    assert {"cpu", "probes", "methods", "location", "intensity", "advice"} <= report.keys()
    probes = {p["probe"]: p for p in report["probes"]}
    names = [p["probe"] for p in report["probes"]]
    assert names[:5] == ["constant", "rapl", "cloud-instance", "cpu-tdp-model", "ram-model"]
    for probe in probes.values():
        assert probe["status"] in ("used", "available", "unavailable")
        assert probe["reason"]
    assert probes["rapl"]["status"] == "unavailable"
    assert str(no_rapl) in probes["rapl"]["reason"]
    assert report["location"]["country"] == "FRA"
    assert report["methods"]["cpu"] == f"{local_cpu_model_method()} (estimated)"
    assert report["cpu"]["logical_cpus"] >= 1


def test_doctor_unknown_country_is_a_usage_error(env: dict[str, str], work: Path) -> None:
    done = wattprint("doctor", "--country", "XXX", cwd=work, env=env)
    assert done.returncode == 2
    err = done.stderr.decode()
    assert "'XXX'" in err
    assert "--country" in err
    assert done.stdout == b""
