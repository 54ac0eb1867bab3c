"""The process tree's CPU accounting, on a procfs tree written by the test and on real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from wattprint.power.cpu.procfs import MachineCpu
from wattprint.tracking.process_tree import ProcessTree

TICKS = os.sysconf("SC_CLK_TCK")
BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < {s}: pass\n"


class FakeProc:
    """A procfs tree in a folder: /proc/<pid>/stat, /proc/stat and /proc/uptime."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.uptime_s = 1000.0
        (root / "stat").write_text("cpu  100 0 50 1000 10 0 0 0 0 0\n")
        self.set_uptime(self.uptime_s)

    def set_uptime(self, seconds: float) -> None:
        self.uptime_s = seconds
        (self.root / "uptime").write_text(f"{seconds:.2f} 0.00\n")

    def proc(
        self,
        pid: int,
        ppid: int,
        *,
        start: int,
        utime: int,
        stime: int = 0,
        cutime: int = 0,
        cstime: int = 0,
        rss_pages: int = 100,
    ) -> None:
        fields = ["S", str(ppid)] + ["0"] * 9 + [str(utime), str(stime), str(cutime), str(cstime)]
        fields += ["20", "0", "1", "0", str(start), "0", str(rss_pages)]
        (self.root / str(pid)).mkdir(exist_ok=True)
        (self.root / str(pid) / "stat").write_text(f"{pid} (name with ) paren) " + " ".join(fields))

    def gone(self, pid: int) -> None:
        (self.root / str(pid) / "stat").unlink()
        (self.root / str(pid)).rmdir()


def test_counts_children_started_later_and_reaped(tmp_path: Path) -> None:
    proc = FakeProc(tmp_path)
    start_ticks = int(proc.uptime_s * TICKS)
    proc.proc(1, 0, start=0, utime=99_999)  # init, not tracked
    proc.proc(100, 1, start=start_ticks - 500, utime=300, stime=100)  # root, 400 ticks before
    tree = ProcessTree(100, procfs_root=tmp_path, rescan_s=0)
    assert tree.start().cpu_s == 0.0

    # The root works 50 ticks; a child starts after tracking began and works 200.
    proc.proc(100, 1, start=start_ticks - 500, utime=350, stime=100)
    proc.proc(101, 100, start=start_ticks + 10, utime=150, stime=50)
    sample = tree.sample()
    assert sample.processes == 2
    assert sample.cpu_s == (50 + 200) / TICKS

    # The child ends after 100 more ticks and is reaped: its 300 ticks move to
    # the root's cutime/cstime and are counted once.
    proc.gone(101)
    proc.proc(100, 1, start=start_ticks - 500, utime=350, stime=100, cutime=240, cstime=60)
    sample = tree.sample()
    assert sample.processes == 1
    assert sample.cpu_s == (50 + 300) / TICKS


def test_process_existing_before_start_counts_from_start_only(tmp_path: Path) -> None:
    proc = FakeProc(tmp_path)
    start_ticks = int(proc.uptime_s * TICKS)
    proc.proc(100, 1, start=start_ticks - 900, utime=10)
    proc.proc(101, 100, start=start_ticks - 800, utime=5000)  # busy before start
    tree = ProcessTree(100, procfs_root=tmp_path, rescan_s=0)
    tree.start()
    proc.proc(101, 100, start=start_ticks - 800, utime=5070)
    assert tree.sample().cpu_s == 70 / TICKS
    # Reaped by the tracked root: cutime holds all 5070 ticks, the 5000 from
    # before start are not counted.
    proc.gone(101)
    proc.proc(100, 1, start=start_ticks - 900, utime=10, cutime=5070)
    assert tree.sample().cpu_s == 70 / TICKS


def test_orphan_keeps_being_tracked_and_reused_pid_is_not(tmp_path: Path) -> None:
    proc = FakeProc(tmp_path)
    start_ticks = int(proc.uptime_s * TICKS)
    proc.proc(100, 1, start=start_ticks - 10, utime=0)
    tree = ProcessTree(100, procfs_root=tmp_path, rescan_s=0)
    tree.start()
    proc.proc(101, 100, start=start_ticks + 5, utime=40)
    tree.sample()
    # The root exits (its parent is not tracked); the child is re-parented to init.
    proc.gone(100)
    proc.proc(101, 1, start=start_ticks + 5, utime=90)
    assert tree.sample().cpu_s == 90 / TICKS
    # pid 101 exits unreaped by us; a new, unrelated process reuses the pid.
    proc.proc(101, 1, start=start_ticks + 700, utime=5)
    assert tree.sample().cpu_s == 90 / TICKS


def test_count_never_goes_back(tmp_path: Path) -> None:
    proc = FakeProc(tmp_path)
    start_ticks = int(proc.uptime_s * TICKS)
    proc.proc(100, 1, start=start_ticks - 10, utime=0)
    tree = ProcessTree(100, procfs_root=tmp_path, rescan_s=0)
    tree.start()
    proc.proc(101, 100, start=start_ticks + 5, utime=40)
    assert tree.sample().cpu_s == 40 / TICKS
    # Reaped, but the parent's cutime is not updated yet when we read it.
    proc.gone(101)
    assert tree.sample().cpu_s == 40 / TICKS
    proc.proc(100, 1, start=start_ticks - 10, utime=0, cutime=45)
    assert tree.sample().cpu_s == 45 / TICKS


def test_machine_cpu_times_from_proc_stat(tmp_path: Path) -> None:
    FakeProc(tmp_path)
    times = MachineCpu(procfs_root=tmp_path).times()
    assert times.busy_s == 150 / TICKS
    assert times.total_s == (150 + 1000 + 10) / TICKS


def test_real_tree_matches_rusage() -> None:
    """A real child and two grandchildren burn CPU; the count matches wait4's."""
    import resource

    script = (
        "import subprocess, sys\n"
        f"code = {BURN.format(s=0.4)!r}\n"
        "ps = [subprocess.Popen([sys.executable, '-c', code]) for _ in range(2)]\n"
        "[p.wait() for p in ps]\n"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    child = subprocess.Popen([sys.executable, "-c", script])
    tree = ProcessTree(child.pid, rescan_s=0, root_is_new=True)
    tree.start()
    seen = 0
    while child.poll() is None:
        seen = max(seen, tree.sample().processes)
        time.sleep(0.05)
    counted = tree.sample().cpu_s
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    exact = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert seen >= 2
    # The grandchildren burn 0.8 s; what each does after its last sample (up to one
    # 0.05 s interval) may be missed, which `wattprint run` corrects with wait4.
    assert counted >= 0.8 - 2 * 0.05 - 0.05
    assert abs(counted - exact) < 0.15 * exact


def test_child_and_parent_ending_together_keep_the_child_time(tmp_path: Path) -> None:
    proc = FakeProc(tmp_path)
    start_ticks = int(proc.uptime_s * TICKS)
    proc.proc(1, 0, start=0, utime=0)
    proc.proc(50, 1, start=start_ticks - 100, utime=0)  # not tracked: reaps the root
    proc.proc(100, 50, start=start_ticks + 1, utime=10)
    tree = ProcessTree(100, procfs_root=tmp_path, rescan_s=0, root_is_new=True)
    tree.start()
    proc.proc(101, 100, start=start_ticks + 2, utime=300)
    assert tree.sample().cpu_s == (10 + 300) / TICKS
    # Between two samples the child is reaped by the root and the root ends:
    # the root was last read before the reap, so the child's 300 ticks stay.
    proc.gone(101)
    proc.gone(100)
    assert tree.sample().cpu_s == (10 + 300) / TICKS


def test_idle_process_is_skipped_and_found_again_when_it_forks() -> None:
    """A sleeping parent reads the same ``stat`` bytes and is skipped; its fork is still found.

    The child is started from a thread other than the main one, so only the
    periodic walk of every thread's children files can find it.
    """
    script = (
        "import subprocess, sys, threading, time\n"
        "sys.stdin.readline()\n"  # idle until told
        f"code = {BURN.format(s=0.6)!r}\n"
        "t = threading.Thread(target=lambda: subprocess.run([sys.executable, '-c', code]))\n"
        "t.start(); t.join()\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE)
    assert child.stdin is not None
    try:
        time.sleep(0.3)  # the interpreter settles
        tree = ProcessTree(child.pid, rescan_s=0.1, children_rescan_s=0.1, root_is_new=True)
        tree.start()
        first = tree.sample()
        idle = [tree.sample() for _ in range(3)]
        assert [s.cpu_s for s in idle] == [first.cpu_s] * 3
        child.stdin.write(b"go\n")
        child.stdin.flush()
        seen = 1
        while child.poll() is None:
            seen = max(seen, tree.sample().processes)
            time.sleep(0.05)
        counted = tree.sample().cpu_s - first.cpu_s
    finally:
        child.kill()
    assert seen == 2
    assert counted >= 0.6 - 0.15
