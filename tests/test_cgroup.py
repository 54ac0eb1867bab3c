"""The command's own cgroup: made, read in one file, ended exactly, removed (also after a crash)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wattprint.tracking.cgroup import CgroupTree, RunCgroup, create_run_cgroup, remove_stale
from wattprint.tracking.watchdog import end_tree

BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < {s}: pass\n"


def _real_cgroup() -> RunCgroup:
    if not sys.platform.startswith("linux"):
        pytest.skip("cgroups are Linux only")
    cgroup = create_run_cgroup()
    if cgroup is None:
        pytest.skip("this machine does not let this user make a cgroup (not root, no delegation)")
    return cgroup


def test_a_cgroup_that_cannot_be_made_is_not_an_error(tmp_path: Path) -> None:
    assert create_run_cgroup(cgroup_root=str(tmp_path / "none")) is None
    # A folder that looks like a v2 hierarchy but is not one: nothing made, no error.
    (tmp_path / "cg").mkdir()
    (tmp_path / "cg" / "cgroup.controllers").write_text("")
    (tmp_path / "proc" / "self").mkdir(parents=True)
    (tmp_path / "proc" / "self" / "cgroup").write_text("0::/\n")
    made = create_run_cgroup(cgroup_root=str(tmp_path / "cg"), procfs_root=str(tmp_path / "proc"))
    assert made is None
    assert [p.name for p in (tmp_path / "cg").iterdir()] == ["cgroup.controllers"]


def test_leftovers_of_dead_owners_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    cg, proc = tmp_path / "cg", tmp_path / "proc"
    cg.mkdir()
    (cg / "cgroup.controllers").write_text("")
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "cgroup").write_text("0::/\n")
    (proc / "77").mkdir()
    stat = "77 (wattprint) S 1 " + " ".join(["0"] * 17) + " 4242 0 0"
    (proc / "77" / "stat").write_text(stat)
    (cg / "wattprint-77-4242").mkdir()  # its owner runs
    (cg / "wattprint-77-1111").mkdir()  # pid 77 reused: that owner is dead
    (cg / "wattprint-99999-5").mkdir()  # owner gone
    (cg / "other").mkdir()
    removed = remove_stale(cgroup_root=str(cg), procfs_root=str(proc))
    assert sorted(Path(p).name for p in removed) == ["wattprint-77-1111", "wattprint-99999-5"]
    assert sorted(p.name for p in cg.iterdir() if p.is_dir()) == ["other", "wattprint-77-4242"]


def test_tree_cpu_is_one_read_and_counts_reaped_and_orphaned_descendants() -> None:
    cgroup = _real_cgroup()
    # The child starts a grandchild that outlives it (reparented to init, reaped by
    # init, never by the child): its CPU time is in the cgroup all the same.
    script = (
        "import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', {BURN.format(s=0.4)!r}])\n"
        f"exec({BURN.format(s=0.2)!r})\n"
    )
    try:
        cgroup.prepare_join()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        child = subprocess.Popen([sys.executable, "-c", script], preexec_fn=cgroup.join_from_child)
        cgroup.close_join()
        tree = CgroupTree(cgroup, child.pid)
        tree.start()
        child.wait()
        own = resource.getrusage(resource.RUSAGE_CHILDREN)
        deadline = time.monotonic() + 10
        while cgroup.pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        sample = tree.sample()
        child_s = (own.ru_utime + own.ru_stime) - (before.ru_utime + before.ru_stime)
        assert sample.processes == 0
        # wait4 sees only the child's 0.2 s; the cgroup also has the orphan's 0.4 s.
        assert sample.cpu_s >= child_s + 0.35
        assert sample.cpu_s < child_s + 0.4 + 0.3
        assert "cgroup" in tree.method
    finally:
        assert cgroup.remove()
    assert not os.path.exists(cgroup.path)


def test_watchdog_ends_the_cgroup_exactly_even_a_double_forked_daemon() -> None:
    cgroup = _real_cgroup()
    daemon = (
        "import os, signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(60)\n"
        "    os._exit(0)\n"
        "os.wait()\n"
        "time.sleep(60)\n"
    )
    try:
        cgroup.prepare_join()
        child = subprocess.Popen([sys.executable, "-c", daemon], preexec_fn=cgroup.join_from_child)
        cgroup.close_join()
        deadline = time.monotonic() + 10
        while len(cgroup.pids()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        inside = cgroup.pids()
        assert len(inside) == 2  # the child and the daemon, which is not its descendant
        paths = [d.path for d in cgroup.dirs]
        end_tree(child.pid, None, grace_s=0.3, cgroups=paths)
        child.wait(timeout=10)
        for pid in inside:
            assert not os.path.exists(f"/proc/{pid}/cmdline") or _zombie(pid)
        assert not any(os.path.exists(p) for p in paths)  # removed once empty
    finally:
        cgroup.remove()


def _zombie(pid: int) -> bool:
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return True
    return raw[raw.rfind(b")") + 2 : raw.rfind(b")") + 3] == b"Z"


def test_wattprint_run_reads_the_tree_from_its_cgroup_and_removes_it(tmp_path: Path) -> None:
    _real_cgroup().remove()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATTPRINT_")}
    env.update(HOME=str(tmp_path), PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run(
        [sys.executable, "-m", "wattprint", "run", "--json", "--no-save", "--country", "FR", "--",
         sys.executable, "-c", BURN.format(s=0.3)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=True,
    )  # fmt: skip
    result = json.loads(out.stdout[out.stdout.index("{") :])
    cpu = next(c for c in result["methodology"]["components"] if c["component"] == "cpu")
    assert "cgroup" in cpu["attribution"]
    assert not [p for p in Path("/sys/fs/cgroup").rglob(f"wattprint-{os.getpid()}-*")]
