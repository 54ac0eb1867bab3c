"""The sampling thread's ticks taken outside the interpreter (the C extension ``_ticks``).

On Linux the extension must have been built (``pip install -e .`` compiles it;
a build that failed silently would leave the tracker on its slower Python
path), so these tests fail there rather than skip. Elsewhere it does not exist.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from wattprint.tracking import ticks

INF = float("inf")

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the C extension is built on Linux only"
)


@pytest.fixture
def native():  # type: ignore[no-untyped-def]
    module = ticks.native_module()
    assert module is not None, (
        "wattprint.tracking._ticks was not built: is a C compiler installed? "
        "(pip install -e . builds it; see setup.py)"
    )
    return module


@pytest.fixture
def bell() -> Iterator[int]:
    fd = ticks.make_bell()
    assert fd >= 0
    yield fd
    os.close(fd)


def _open(path: Path | str) -> int:
    return os.open(path, os.O_RDONLY)


def _loadavg() -> tuple[int, int]:
    fd = _open("/proc/loadavg")
    return fd, int(os.pread(fd, 128, 0).split()[-1])


def test_ticks_read_each_file_at_each_interval(native, bell: int, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a").write_bytes(b"first file\n")
    (tmp_path / "b").write_bytes(b"x" * 20_000)  # bigger than the first buffer
    fds = [_open(tmp_path / "a"), _open(tmp_path / "b")]
    start = time.monotonic()
    got, reason, due, pid, parents = native.gather(
        bell, fds, (), start + 0.02, 0.02, 4, INF, -1, -1, -1, -1
    )
    assert reason == native.DONE and len(got) == 4 and parents == ()
    assert pid == -1  # nothing watched
    times = [mono for mono, _, _ in got]
    assert times[0] >= start + 0.02
    assert all(b - a >= 0.02 for a, b in zip(times, times[1:], strict=False))
    assert due == pytest.approx(times[-1] + 0.02)
    assert all(abs(wall - time.time()) < 5 for _, wall, _ in got)
    assert all(raws == (b"first file\n", b"x" * 20_000) for _, _, raws in got)
    for fd in fds:
        os.close(fd)


def test_no_tick_is_waited_for_at_or_after_until(native, bell: int) -> None:  # type: ignore[no-untyped-def]
    fd = _open("/proc/stat")
    start = time.monotonic()
    got, reason, due, _, _ = native.gather(
        bell, [fd], (), start, 0.05, 100, start + 0.12, -1, -1, -1, -1
    )
    assert reason == native.DONE
    assert len(got) == 3  # at about 0, 0.05 and 0.10 s
    assert due >= start + 0.12
    assert got[0][2][0].startswith(b"cpu ")
    os.close(fd)


def test_a_ring_ends_the_wait_at_once(native, bell: int) -> None:  # type: ignore[no-untyped-def]
    threading.Timer(0.1, ticks.ring, (bell,)).start()
    start = time.monotonic()
    got, reason, due, _, _ = native.gather(
        bell, [], (), start + 0.03, 0.03, 1000, INF, -1, -1, -1, -1
    )
    assert reason == native.RUNG
    assert 0.08 < time.monotonic() - start < 1.0
    assert 2 <= len(got) <= 4  # ticks with nothing read: only waits
    assert all(raws == () for _, _, raws in got)
    ticks.drain(bell)
    got, reason, _, _, _ = native.gather(
        bell, [], (), time.monotonic(), 0.01, 1, INF, -1, -1, -1, -1
    )
    assert reason == native.DONE and len(got) == 1  # drained: the bell is quiet again


def test_a_failed_read_ends_the_call_with_none_in_its_place(native, bell: int) -> None:  # type: ignore[no-untyped-def]
    stat = _open("/proc/stat")
    child = subprocess.Popen(["sleep", "30"])
    gone = _open(f"/proc/{child.pid}/stat")
    child.kill()
    child.wait()  # reaped: its stat file reads ESRCH from now on
    got, reason, _, _, _ = native.gather(
        bell, [stat, gone], (), time.monotonic(), 0.01, 50, INF, -1, -1, -1, -1
    )
    assert reason == native.CHANGED and len(got) == 1
    assert got[0][2][0] is not None and got[0][2][1] is None
    os.close(stat)
    os.close(gone)


def test_a_child_of_a_tracked_process_ends_the_call_and_names_its_parent(native, bell: int) -> None:  # type: ignore[no-untyped-def]
    watch, newest = _loadavg()
    children: list[subprocess.Popen[bytes]] = []
    maker = threading.Timer(0.15, lambda: children.append(subprocess.Popen(["sleep", "5"])))
    maker.start()
    start = time.monotonic()
    got, reason, _, pid, parents = native.gather(
        bell, [], (os.getpid(),), start + 0.05, 0.05, 100, INF, watch, newest, -1, -1
    )
    maker.join()
    try:
        assert reason == native.CHANGED
        assert parents == (os.getpid(),)
        assert pid >= children[0].pid  # every id up to the newest was looked at
        assert time.monotonic() - start < 2.0
    finally:
        for child in children:
            child.kill()
            child.wait()
        os.close(watch)


def test_processes_made_by_others_do_not_end_the_call(native, bell: int) -> None:  # type: ignore[no-untyped-def]
    sleeper = subprocess.Popen(["sleep", "30"])  # tracked, and makes nothing
    watch, newest = _loadavg()
    # New processes (ours) and a new thread: looked up, and let go.
    made = threading.Timer(0.05, lambda: subprocess.run(["true"], check=True))
    made.start()
    start = time.monotonic()
    try:
        got, reason, _, pid, parents = native.gather(
            bell, [], (sleeper.pid,), start + 0.1, 0.1, 3, INF, watch, newest, -1, -1
        )
        made.join()
        assert reason == native.DONE and len(got) == 3 and parents == ()
        assert pid > newest
    finally:
        sleeper.kill()
        sleeper.wait()
        os.close(watch)


def test_too_many_new_processes_to_tell_asks_to_look_everywhere(native, bell: int) -> None:  # type: ignore[no-untyped-def]
    watch, newest = _loadavg()
    for _ in range(70):  # more than the extension looks up in one interval
        subprocess.run(["true"], check=True)
    got, reason, _, _, parents = native.gather(
        bell, [], (os.getpid(),), time.monotonic(), 0.05, 10, INF, watch, newest, -1, -1
    )
    assert reason == native.CHANGED and parents is None and len(got) == 1
    os.close(watch)


def test_bad_arguments_are_refused_with_their_value(native, bell: int) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="interval_s must be above 0, not 0.0"):
        native.gather(bell, [], (), 0.0, 0.0, 1, INF, -1, -1, -1, -1)
    with pytest.raises(TypeError, match="fds must be a sequence of descriptors"):
        native.gather(bell, 3, (), 0.0, 1.0, 1, INF, -1, -1, -1, -1)
    with pytest.raises(TypeError):
        native.gather(bell, ["/proc/stat"], (), 0.0, 1.0, 1, INF, -1, -1, -1, -1)


def test_a_tree_replayed_from_raw_reads_equals_the_tree_read() -> None:
    from wattprint.tracking.process_tree import ProcessTree

    code = "import subprocess, time\nps = [subprocess.Popen(['sleep', '30']) for _ in range(3)]\n"
    code += "print('up', flush=True); time.sleep(30)\n"
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert parent.stdout is not None
        parent.stdout.readline()
        read, replayed = ProcessTree(parent.pid), ProcessTree(parent.pid)
        read.start(), replayed.start()
        files = replayed.tick_files()
        assert files is not None
        pids, fds = files
        assert set(pids) == set(read.pids()) and len(pids) == 4
        raws = tuple(os.pread(fd, 4096, 0) for fd in fds)
        assert replayed.replay(pids, raws) == read.sample()
        # A process whose read failed is gone: its CPU time stays counted, once.
        gone = tuple(None if pid == pids[-1] else raw for pid, raw in zip(pids, raws, strict=True))
        after = replayed.replay(pids, gone)
        assert after.processes == 3 and after.cpu_s == read.sample().cpu_s
        assert pids[-1] not in replayed.pids()
        # New descendants are looked for below the parents named.
        replayed.discover((parent.pid,))
        assert pids[-1] in replayed.pids()  # still alive: found again (counted from zero)
    finally:
        parent.kill()
        parent.wait()


def _counting_gather(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = ticks.NativeTicks.__init__

    def init(self: ticks.NativeTicks, *args: object, **kwargs: object) -> None:
        real(self, *args, **kwargs)  # type: ignore[arg-type]
        gather = self._gather

        def counted(*a: object) -> object:
            out = gather(*a)
            calls.append(len(out[0]))
            return out

        self._gather = counted

    monkeypatch.setattr(ticks.NativeTicks, "__init__", init)
    return calls


def test_a_tracker_finds_and_counts_a_child_made_between_whole_samples(
    native, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from wattprint import Tracker

    calls = _counting_gather(monkeypatch)
    tracker = Tracker(project="native", country="FR", interval_s=0.02, mode="process",
                      save_to_file=False, handle_signals=False)  # fmt: skip
    tracker.start()
    meter = tracker._active.meter  # type: ignore[union-attr]
    if not meter.batches:
        tracker.stop()
        pytest.skip("this machine has a hardware counter: its ticks are never gathered")
    time.sleep(0.1)
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\n"
    child = subprocess.Popen([sys.executable, "-c", burn])
    deadline = time.monotonic() + 10
    while child.pid not in meter.tree.pids() and time.monotonic() < deadline:
        time.sleep(0.005)
    found_s = time.monotonic()
    assert child.pid in meter.tree.pids()
    child.wait()
    result = tracker.stop()
    assert calls and sum(calls) > 0  # the ticks were taken by the extension
    assert found_s - (deadline - 10) < 1.0  # found at a tick, not at the next whole sample
    # The child's 0.3 s of CPU is in the tree's count (reaped: through our cutime).
    assert meter.totals.busy_s > 0
    assert meter._last_tree.cpu_s >= 0.3
    assert result.energy_kwh > 0


def test_stop_and_checkpoints_do_not_wait_for_a_batch(
    native, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from wattprint import Tracker

    calls = _counting_gather(monkeypatch)
    seen: list[float] = []

    class Counting:
        name = "counting"

        def on_start(self, run: object) -> None: ...
        def on_checkpoint(self, result: object) -> None:
            seen.append(time.monotonic())

        def on_task_end(self, result: object) -> None: ...
        def on_stop(self, result: object) -> None: ...

    tracker = Tracker(project="native", country="FR", interval_s=0.05, checkpoint_s=0.2,
                      mode="machine", output_dir=tmp_path, handle_signals=False,
                      observers=[Counting()])  # fmt: skip
    start = time.monotonic()
    tracker.start()
    time.sleep(0.9)
    stopping = time.monotonic()
    tracker.stop()
    assert time.monotonic() - stopping < 1.0  # a batch is 60 intervals: the ring ended it
    assert calls
    assert len(seen) >= 3  # every 0.2 s, though a batch would last 3 s
    assert seen[0] - start < 0.6


def test_this_process_is_read_from_times_and_statm(native, bell: int) -> None:  # type: ignore[no-untyped-def]
    from wattprint.power.cpu.procfs import parse_stat

    pid = os.getpid()
    stat, statm = _open(f"/proc/{pid}/stat"), _open(f"/proc/{pid}/statm")
    t = time.process_time()
    while time.process_time() - t < 0.05:  # some CPU time of our own
        pass
    got, reason, _, _, _ = native.gather(
        bell, [stat], (pid,), time.monotonic(), 0.01, 1, INF, -1, -1, 0, statm
    )
    read = parse_stat(os.pread(stat, 4096, 0), os.sysconf("SC_PAGE_SIZE"))
    assert reason == native.DONE and read is not None
    word, ticks, pages = got[0][2][0].split()
    assert word == b"self"
    # The same sum as the stat file's utime + stime + cutime + cstime (a tick may pass).
    assert 0 <= read.cpu_ticks - int(ticks) <= 2
    assert abs(int(pages) * os.sysconf("SC_PAGE_SIZE") - read.rss_bytes) < 4 << 20
    os.close(stat)
    os.close(statm)


def test_die_with_parent_ends_the_child_when_its_parent_ends(native, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A grandchild that asked for SIGTERM at its parent's end gets it, and the call checks."""
    code = (
        "import os, sys, time\n"
        "from wattprint.tracking import _ticks\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    _ticks.die_with_parent(15)\n"
        "    time.sleep(30)\n"
        "    os._exit(0)\n"
        "print(pid, flush=True)\n"
        "time.sleep(0.3)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=20
    )
    grandchild = int(out.stdout.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Path(f"/proc/{grandchild}").exists():
        state = Path(f"/proc/{grandchild}/stat").read_text().split(") ")[-1].split()[0]
        if state == "Z":
            break  # ended, not yet reaped by init
        time.sleep(0.05)
    else:
        assert not Path(f"/proc/{grandchild}").exists(), "the grandchild outlived its parent"
    with pytest.raises(ValueError, match="0 is not a signal number"):
        native.die_with_parent(0)
