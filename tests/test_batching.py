"""Samples gathered raw and worked out in batches give exactly what samples one by one give."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from test_attribution import JOB, FakeHost, LinearMachine, _hardware

from wattprint.power.cpu.models import LoadCurve
from wattprint.power.cpu.procfs import MachineCpu
from wattprint.power.cpu.tdp import TdpModelSource
from wattprint.power.discovery import Discovery
from wattprint.power.ram import RamModelSource
from wattprint.tracking.gathering import BATCH
from wattprint.tracking.meter import Meter
from wattprint.tracking.process_tree import ProcessTree


def _flat(pairs: object) -> list[float]:
    return [float(x) for pair in pairs for x in pair]  # type: ignore[attr-defined]


def _meter(root: Path, now: list[float], *, tree: bool) -> Meter:
    hw = _hardware(2, 2.0)
    clock = lambda: now[0]  # noqa: E731
    cpu = TdpModelSource(
        hardware=hw, curve=LoadCurve(), machine=MachineCpu(procfs_root=root), clock=clock
    )
    ram = RamModelSource(total_bytes=hw.ram_total_bytes, clock=clock)
    return Meter(
        Discovery(hw, (), (cpu, ram)),
        tree=ProcessTree(JOB, procfs_root=root, rescan_s=1e9) if tree else None,
        procfs_root=root, clock_s=0.0, wall_s=3590.0,
    )  # fmt: skip


@pytest.mark.parametrize("tree", [False, True], ids=["machine", "process"])
def test_gathered_samples_are_worked_out_exactly_as_samples_one_by_one(
    tmp_path: Path, tree: bool
) -> None:
    host = FakeHost(tmp_path, 2)
    now = [0.0]
    one_by_one, batched = _meter(tmp_path, now, tree=tree), _meter(tmp_path, now, tree=tree)
    assert batched.batches  # every source is a model read for a moment
    gathered = 0
    for i in range(1, 3 * BATCH + 1):  # ends on a whole sample
        # A load that changes each second, the job on and off CPU 1; the run crosses
        # an hour (wall 3590 s + i) so the hourly split is worked out late too.
        host.step(1.0, {0: (i % 7) / 7}, 1 if i % 3 else None)
        now[0] = float(i)
        expected = one_by_one.sample(float(i), 3590.0 + i)
        if batched.gather(float(i), 3590.0 + i):
            gathered += 1
            continue
        got = batched.sample(float(i), 3590.0 + i)
        assert got is not None and expected is not None
        for figure in ("cpu_j", "ram_j", "busy_s", "cpu_total_s", "ram_used_byte_s",
                       "cpu_idle_unattributed_j", "monotonic_s"):  # fmt: skip
            assert getattr(got, figure) == pytest.approx(getattr(expected, figure), rel=1e-12)
        assert _flat(got.hourly_j) == pytest.approx(_flat(expected.hourly_j), rel=1e-12)
    assert gathered >= 3 * (BATCH - 1)  # the batches were really used
    assert len({hour for hour, _ in batched.totals.hourly_j}) == 2
    assert _flat(batched.series) == pytest.approx(_flat(one_by_one.series), rel=1e-12)


def test_a_counter_source_is_never_gathered(tmp_path: Path) -> None:
    """A hardware counter must be read at its moment: no batching then."""
    FakeHost(tmp_path, 2)
    meter = Meter(Discovery(_hardware(2, 2), (), (LinearMachine(10.0, 5.0),)), tree=None,
                  procfs_root=tmp_path, clock_s=0.0, wall_s=0.0)  # fmt: skip
    assert not meter.batches
    assert not meter.gather(1.0, 1.0)


def test_a_tracker_on_the_real_clock_loses_no_gathered_sample() -> None:
    from wattprint import Tracker

    tracker = Tracker(project="batch", country="FR", interval_s=0.01, mode="machine",
                      save_to_file=False, handle_signals=False)  # fmt: skip
    tracker.start()
    meter = tracker._active.meter  # type: ignore[union-attr]
    if not meter.batches:
        pytest.skip("this machine has a hardware counter: its samples are never gathered")
    deadline = time.monotonic() + 10
    while not meter._pending and time.monotonic() < deadline:
        time.sleep(0.005)
    assert meter._pending  # the thread gathers between whole samples
    while len(meter.series) + len(meter._pending) < 25 and time.monotonic() < deadline:
        time.sleep(0.01)
    taken = len(meter.series) + len(meter._pending)
    result = tracker.stop()
    # Every interval's sample, gathered or whole, became a point of the power series.
    assert taken >= 25
    assert len(result.series) >= taken
    assert not meter._pending
    assert result.energy_kwh > 0


def test_a_reading_stamped_before_the_last_one_moves_nothing_back(tmp_path: Path) -> None:
    """Two threads' samples may take turns out of time order: nothing is counted twice."""
    from wattprint.power.cpu.load_integral import LoadIntegral

    host = FakeHost(tmp_path, 2)
    integral = LoadIntegral(MachineCpu(procfs_root=tmp_path), lambda: 0.0)
    flat = lambda load: 10.0 + 10.0 * load  # noqa: E731
    integral.advance(2.0, flat, 0.0)
    host.step(10.0, {0: 1.0}, None)  # one CPU of two busy for 10 s: 15 W
    integral.advance(2.0, flat, 10.0)
    host.step(1.0, {0: 1.0, 1: 1.0}, None)  # both busy for 1 s: 20 W
    integral.advance(2.0, flat, 9.5)  # stamped before the last reading: ignored
    host.step(9.0, {}, None)  # idle for 9 s: 10 W
    integral.advance(2.0, flat, 20.0)
    # 10 s at 15 W, then 10 s at 11 W on average (the busy second is not lost).
    assert integral.energy_j == pytest.approx(15.0 * 10 + 20.0 + 10.0 * 9, rel=1e-9)


def test_a_caller_reads_the_cpu_times_at_most_once_a_millisecond(tmp_path: Path) -> None:
    """Boundaries within REREAD_S of the last read reuse it; the next read counts the rest."""
    from wattprint.tracking.meter import REREAD_S

    host = FakeHost(tmp_path, 2)
    now = [0.0]
    meter = _meter(tmp_path, now, tree=True)
    reads = []
    real = meter._machine_times

    def counted(raw: bytes | None = None) -> tuple[float, float, float]:
        reads.append(now[0])
        return real(raw)

    meter._machine_times = counted  # type: ignore[method-assign]
    host.step(1.0, {0: 1.0}, 0)  # the job busy on CPU 0 for 1 s
    now[0] = 1.0
    first = meter.sample(1.0, 3591.0)
    host.step(0.0004, {0: 1.0, 1: 1.0}, 0)  # the counters moved within the millisecond
    now[0] = 1.0 + REREAD_S / 2
    second = meter.sample(now[0], 3591.0 + REREAD_S / 2)
    assert reads == [1.0]  # not read again
    assert second is not None and first is not None
    assert second.busy_s == first.busy_s  # its ticks wait for the next read...
    assert second.monotonic_s == now[0] and second.cpu_j >= first.cpu_j  # ...time still moves
    now[0] = 1.0 + 2 * REREAD_S
    third = meter.sample(now[0], 3591.0 + 2 * REREAD_S)
    assert reads == [1.0, now[0]]
    assert third is not None
    assert third.busy_s == pytest.approx(1.0 + 2 * 0.0004, abs=0.011)  # ...which counts them
