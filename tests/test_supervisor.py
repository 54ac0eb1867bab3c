"""``wattprint run`` killed by SIGKILL: its command's whole tree ends, and the run is recovered.

Each test starts ``python -m wattprint run`` on a command that leaves
grandchildren (or ignores SIGTERM), waits until the tree is up, SIGKILLs
wattprint, and then checks that nothing of the tree is left (the watchdog's
SIGTERM, then SIGKILL after its grace period) and that ``wattprint recover``
writes the run as ``crashed``.
"""

from __future__ import annotations

import csv
import os
import pty
import signal
import site
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wattprint.tracking.journal import JOURNAL_DIR, SUFFIX

WATTPRINT = [sys.executable, "-m", "wattprint"]
PROC = Path("/proc")

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the watchdog test reads /proc (Linux only)"
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("WATTPRINT_", "CODECARBON_"))}
    (tmp_path / "no-rapl").mkdir()
    (tmp_path / "home").mkdir()
    clean.update(
        WATTPRINT_RAPL_DIR=str(tmp_path / "no-rapl"),
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "home" / ".config"),
        PYTHONUSERBASE=site.getuserbase(),
    )
    return clean


def _cmdline(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        raw = (PROC / str(pid) / "stat").read_bytes()
    except OSError:
        return False
    return raw[raw.rfind(b")") + 2 : raw.rfind(b")") + 3] != b"Z"


def _with(marker: str) -> list[int]:
    """Return the live processes whose command line starts with ``marker``."""
    return [
        int(p.name)
        for p in PROC.iterdir()
        if p.name.isdigit() and _cmdline(int(p.name)).startswith(marker) and _alive(int(p.name))
    ]


def _wait(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def killer() -> Iterator[list[int]]:
    """Pids to SIGKILL at the end whatever happened, so no test leaves a sleeper behind."""
    pids: list[int] = []
    yield pids
    for marker_pid in pids:
        try:
            os.kill(marker_pid, signal.SIGKILL)
        except OSError:
            pass


def _journaled(work: Path) -> bool:
    """Whether the run's journal was written (its folder alone is made a moment before)."""
    return any((work / JOURNAL_DIR).glob(f"*{SUFFIX}"))


def _recovered_status(work: Path, env: dict[str, str]) -> list[str]:
    done = subprocess.run(
        [*WATTPRINT, "recover", str(work)], env=env, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    with (work / "emissions.csv").open(newline="") as f:
        return [row["status"] for row in csv.DictReader(f)]


@pytest.mark.parametrize(
    "script, marker",
    [
        ("sleep 161 & sleep 162 & wait", "sleep 16"),
        # The sleeps inherit the ignored SIGTERM: only SIGKILL after the grace ends them.
        ("trap '' TERM; sleep 171 & sleep 172 & wait", "sleep 17"),
    ],
    ids=["grandchildren", "ignores-sigterm"],
)
def test_sigkill_of_wattprint_ends_the_whole_tree(
    script: str, marker: str, env: dict[str, str], tmp_path: Path, killer: list[int]
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.Popen(
        [*WATTPRINT, "run", "--country", "FR", "--", "sh", "-c", script],
        cwd=work, env=env, stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        _wait(lambda: len(_with(marker)) == 2, 30, f"two '{marker}' sleepers")
        sleepers = _with(marker)
        killer.extend(sleepers)
        _wait(lambda: _journaled(work), 30, "the run's journal")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        _wait(lambda: not any(_alive(p) for p in sleepers), 15, "the sleepers to end")
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _recovered_status(work, env) == ["crashed"]


def test_sigkill_with_a_terminal_ends_the_tree(
    env: dict[str, str], tmp_path: Path, killer: list[int]
) -> None:
    """With a controlling terminal the command stays in wattprint's process group."""
    work = tmp_path / "work"
    work.mkdir()
    argv = [*WATTPRINT, "run", "--country", "FR", "--", "sh", "-c", "sleep 181 & wait"]
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child, on the new terminal
        os.chdir(work)
        os.execve(argv[0], argv, env)
    try:
        _wait(lambda: len(_with("sleep 181")) == 1, 30, "the sleeper")
        sleeper = _with("sleep 181")
        killer.extend(sleeper)
        _wait(lambda: _journaled(work), 30, "the run's journal")
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        _wait(lambda: not any(_alive(p) for p in sleeper), 15, "the sleeper to end")
    finally:
        os.close(fd)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    assert _recovered_status(work, env) == ["crashed"]


def test_a_normal_end_leaves_background_children_alone(
    env: dict[str, str], tmp_path: Path, killer: list[int]
) -> None:
    """Only wattprint's death ends the tree: a command that finished normally keeps its
    background children, exactly as without wattprint."""
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(
        [*WATTPRINT, "run", "--country", "FR", "--", "sh", "-c", "sleep 191 >/dev/null 2>&1 &"],
        cwd=work, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    left = _with("sleep 191")
    killer.extend(left)
    time.sleep(0.5)  # a watchdog that wrongly acted would have sent SIGTERM by now
    assert left and all(_alive(p) for p in left)
