"""The command of ``wattprint run`` forked early and held before its exec (tracking/spawn.py)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from wattprint.tracking.cgroup import RunCgroup, create_run_cgroup
from wattprint.tracking.spawn import HELD, EarlySpawn

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="cgroups and prctl are Linux only"
)


@pytest.fixture
def cgroup() -> RunCgroup:
    made = create_run_cgroup()
    if made is None:
        pytest.skip("this machine does not let this user make a cgroup (not root, no delegation)")
    made.prepare_join()
    yield made  # type: ignore[misc]
    made.close_join()
    made.remove()


def _mask(status: str, field: str) -> int:
    line = next(x for x in status.splitlines() if x.startswith(field + ":"))
    return int(line.split()[1], 16)


def test_the_command_waits_for_its_release_then_runs_in_its_cgroup(
    cgroup: RunCgroup, tmp_path: Path
) -> None:
    out = tmp_path / "ran"
    script = f"cat /proc/self/cgroup > {out}; grep -E '^Sig(Blk|Ign)' /proc/self/status >> {out}"
    with EarlySpawn(["sh", "-c", script], own_group=True, cgroup=cgroup) as starter:
        deadline = time.monotonic() + 5
        while not cgroup.pids() and time.monotonic() < deadline:
            time.sleep(0.01)
        held = cgroup.pids()
        assert len(held) == 1  # forked and in its cgroup already...
        time.sleep(0.2)
        assert not out.exists()  # ...but not run before its release
        child = starter.release()
        assert child.pid == held[0]
        assert child.wait(10) == 0  # not ended by the forking thread's SIGTERM
    text = out.read_text()
    assert cgroup.path.rsplit("/", 1)[1] in text
    # The forking thread blocks SIGINT and SIGTERM; the command gets them back.
    blocked = _mask(text, "SigBlk")
    assert not blocked & (1 << (signal.SIGINT - 1) | 1 << (signal.SIGTERM - 1))


def test_a_command_never_released_never_runs(cgroup: RunCgroup, tmp_path: Path) -> None:
    out = tmp_path / "ran"
    with pytest.raises(KeyError):
        with EarlySpawn(["touch", str(out)], own_group=True, cgroup=cgroup):
            raise KeyError("the probe failed")  # e.g. a bad setting: the command must not run
    assert not out.exists()
    assert cgroup.pids() == []


def test_a_command_that_cannot_start_raises_at_its_release(cgroup: RunCgroup) -> None:
    with EarlySpawn(["/nonexistent/command"], own_group=False, cgroup=cgroup) as starter:
        with pytest.raises(FileNotFoundError):
            starter.release()


def test_the_forking_thread_holds_sigint_and_sigterm(cgroup: RunCgroup) -> None:
    with EarlySpawn(["sleep", "5"], own_group=True, cgroup=cgroup) as starter:
        child = starter.release()
        thread = next(t for t in threading.enumerate() if t.name == "wattprint-spawn")
        status = Path(f"/proc/self/task/{thread.native_id}/status").read_text()
        for sig in HELD:
            assert _mask(status, "SigBlk") & (1 << (sig - 1))
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
