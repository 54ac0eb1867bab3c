"""Process-mode CPU attribution on a fake host with neighbours: the rule of tracking/attribution."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from wattprint.power.base import Component, DeviceEnergy, Reading
from wattprint.power.cpu.hardware import Hardware
from wattprint.power.cpu.info import CpuInfo
from wattprint.power.cpu.models import CpuMatch, CpuTable, LoadCurve
from wattprint.power.cpu.procfs import MachineCpu
from wattprint.power.cpu.tdp import TdpModelSource
from wattprint.power.discovery import Discovery
from wattprint.tracking.attribution import CpuSplit
from wattprint.tracking.meter import Meter
from wattprint.tracking.process_tree import ProcessTree

TICKS = os.sysconf("SC_CLK_TCK")
JOB = 100


class FakeHost:
    """A procfs tree of a host with ``cpus`` CPUs, a job (pid 100) and neighbours."""

    def __init__(self, root: Path, cpus: int) -> None:
        self.root = root
        self.cpus = cpus
        self.busy = [0] * cpus  # ticks per CPU
        self.idle = [0] * cpus
        self.job_ticks = 0
        self.now_s = 1000.0
        (root / "meminfo").write_text("MemTotal: 1000000 kB\nMemAvailable: 500000 kB\n")
        (root / str(JOB)).mkdir()
        self._write()

    def _write(self) -> None:
        def line(name: str, busy: int, idle: int) -> str:
            return f"{name} {busy} 0 0 {idle} 0 0 0 0 0 0"

        lines = [line("cpu ", sum(self.busy), sum(self.idle))]
        lines += [line(f"cpu{n}", self.busy[n], self.idle[n]) for n in range(self.cpus)]
        (self.root / "stat").write_text("\n".join(lines) + "\nintr 0\n")
        (self.root / "uptime").write_text(f"{self.now_s:.2f} 0.00\n")
        fields = ["S", "1"] + ["0"] * 9 + [str(self.job_ticks), "0", "0", "0"]
        fields += ["20", "0", "1", "0", "10", "0", "100"]
        (self.root / str(JOB) / "stat").write_text(f"{JOB} (job) " + " ".join(fields))

    def step(self, dt: float, load: dict[int, float], job_cpu: int | None) -> None:
        """Advance ``dt`` s: each CPU busy by ``load`` (fraction), the job fully on ``job_cpu``."""
        for n in range(self.cpus):
            busy = 1.0 if n == job_cpu else load.get(n, 0.0)
            self.busy[n] += round(busy * dt * TICKS)
            self.idle[n] += round((1 - busy) * dt * TICKS)
        if job_cpu is not None:
            self.job_ticks += round(dt * TICKS)
        self.now_s += dt
        self._write()

    def busy_cpus(self, load: dict[int, float], job_cpu: int | None) -> float:
        return sum(load.values()) + (1.0 if job_cpu is not None else 0.0)


class LinearMachine:
    """A counter (like RAPL) of a machine drawing ``idle_w + per_cpu_w`` per busy CPU."""

    name = "fake-counter"
    component: Component = "cpu"
    method = "rapl"
    measured = True
    detail = "fake"

    def __init__(self, idle_w: float, per_cpu_w: float) -> None:
        self.idle_w, self.per_cpu_w = idle_w, per_cpu_w
        self.energy_j = 0.0

    def run(self, dt: float, busy_cpus: float) -> None:
        self.energy_j += (self.idle_w + self.per_cpu_w * busy_cpus) * dt

    def read(self) -> Reading:
        return Reading(self.name, "cpu", 0.0, (DeviceEnergy("package-0", self.energy_j),))

    def close(self) -> None:
        pass


def _hardware(cpus: int, usable: float) -> Hardware:
    hw = Hardware(CpuInfo("Fake CPU", 1, cpus, usable, ""), 1_024_000_000, CpuTable())
    hw.__dict__["cpu_match"] = CpuMatch("Fake CPU", None, 100.0, "default", "TDP 100 W")
    return hw


def _charge_counter(tmp_path: Path, neighbours: dict[int, float], *, cpus: int = 8) -> float:
    """Charge of a one-thread job for 60 s on a linear machine beside ``neighbours``."""
    host = FakeHost(tmp_path, cpus)
    source = LinearMachine(40.0, 10.0)
    discovery = Discovery(_hardware(cpus, cpus), (), (source,))
    tree = ProcessTree(JOB, procfs_root=tmp_path, rescan_s=1e9)
    meter = Meter(discovery, tree=tree, procfs_root=tmp_path, clock_s=0.0, wall_s=0.0,
                  cpus=frozenset(range(cpus)))  # fmt: skip
    for i in range(1, 61):
        host.step(1.0, neighbours, 3)
        source.run(1.0, host.busy_cpus(neighbours, 3))
        totals = meter.sample(float(i), float(i))
    assert totals is not None
    return totals.cpu_j


def test_same_job_alone_or_beside_a_busy_neighbour_is_charged_alike(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    alone = _charge_counter(tmp_path / "a", {})
    busy = _charge_counter(tmp_path / "b", {n: 1.0 for n in (0, 1, 2, 4, 5, 6)})
    assert alone > 0 and busy > 0
    assert abs(busy / alone - 1) <= 0.25
    # The job's busy CPU draws 10 W, and it occupies 1/8 of the 40 W idle machine:
    # 15 W is the charge of a perfect split; each is within 25 % of it.
    for charged in (alone, busy):
        assert abs(charged / 60 / 15.0 - 1) <= 0.25


def _charge_model(tmp_path: Path, *, pinned: bool) -> float:
    """Charge of a one-thread job, pinned to CPU 0 or not, by the TDP model on 2 CPUs."""
    host = FakeHost(tmp_path, 2)
    now = [0.0]
    hw = _hardware(2, 1.0 if pinned else 2.0)
    source = TdpModelSource(
        hardware=hw, curve=LoadCurve(), machine=MachineCpu(procfs_root=tmp_path),
        clock=lambda: now[0],
    )  # fmt: skip
    discovery = Discovery(hw, (), (source,))
    tree = ProcessTree(JOB, procfs_root=tmp_path, rescan_s=1e9)
    cpus = frozenset({0}) if pinned else frozenset({0, 1})
    meter = Meter(discovery, tree=tree, procfs_root=tmp_path, clock_s=0.0, wall_s=0.0, cpus=cpus)
    neighbour = {1: 0.3}  # a light neighbour on the other CPU
    for i in range(1, 31):
        host.step(1.0, neighbour, 0)
        now[0] = float(i)
        totals = meter.sample(float(i), float(i))
    assert totals is not None
    return totals.cpu_j


def test_pinned_and_unpinned_runs_of_one_thread_are_charged_alike(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "u").mkdir()
    pinned = _charge_model(tmp_path / "p", pinned=True)
    unpinned = _charge_model(tmp_path / "u", pinned=False)
    assert pinned > 0 and unpinned > 0
    assert abs(pinned / unpinned - 1) <= 0.20


def test_idle_part_goes_by_capacity_and_the_rest_is_left_unattributed() -> None:
    split = CpuSplit(_Constant(), machine_cpus=4, usable_cpus=4)
    # 10 J over 1 s, all idle (a constant power); the tree used 1 of 4 CPUs.
    charged, left = split.charge(10.0, 1.0, 1.0, busy_machine_s=3.0, busy_allowed_s=3.0)
    assert math.isclose(charged, 2.5)
    assert math.isclose(left, 7.5)
    # An idle tree is charged nothing, whatever the neighbours do.
    charged, left = split.charge(10.0, 1.0, 0.0, busy_machine_s=4.0, busy_allowed_s=4.0)
    assert charged == 0.0 and math.isclose(left, 10.0)


def test_cpu_time_that_shows_up_late_is_charged_from_what_was_left() -> None:
    split = CpuSplit(_Constant(), machine_cpus=2, usable_cpus=2)
    left_total = 0.0
    for _ in range(4):  # a child works unseen: its time shows only when reaped
        charged, left = split.charge(10.0, 1.0, 0.0, busy_machine_s=1.0, busy_allowed_s=1.0)
        left_total += left
    charged, left = split.charge(10.0, 1.0, 5.0, busy_machine_s=1.0, busy_allowed_s=1.0)
    # 5 CPU-s of 2 CPUs x 5 s: half the 50 J of idle power, never more than there was.
    assert math.isclose(charged, 25.0)
    assert math.isclose(left_total + left, 25.0)


@pytest.mark.parametrize("util", [0.0, 0.5, 1.0])
def test_counter_idle_estimate_is_never_above_the_power_seen(util: float) -> None:
    split = CpuSplit(LinearMachine(40.0, 10.0), machine_cpus=8, usable_cpus=8)
    assert 0 < split.idle_w(120.0, 1.0, util) <= 120.0


class _Constant:
    name = "constant-cpu"
    component: Component = "cpu"
    method = "constant"
    measured = False
    detail = "10 W"
    power_w = 10.0

    def read(self) -> Reading:
        raise NotImplementedError

    def close(self) -> None:
        pass


def test_charges_are_never_negative_under_float_rounding() -> None:
    """Pools kept as float differences must not go below zero (a server refuses W < 0)."""
    import random

    rng = random.Random(1)
    for _ in range(2000):
        split = CpuSplit(_Constant(), machine_cpus=1, usable_cpus=1)
        split._dynamic_pool_j = rng.uniform(0.0, 1.0)  # left from earlier intervals
        # Late CPU time takes the interval's dynamic energy and the whole pool...
        split.charge(10.0 + rng.uniform(0.0, 1.0), 1.0, 9.0, busy_machine_s=1.0, busy_allowed_s=1.0)
        # ...so an idle tree in the next interval is charged nothing, not -1e-16 J.
        charged, _ = split.charge(10.0, 1.0, 0.0, busy_machine_s=1.0, busy_allowed_s=1.0)
        assert charged >= 0.0


def test_machine_memory_is_read_at_most_every_few_seconds_and_still_integrated(
    tmp_path: Path,
) -> None:
    """``/proc/meminfo`` costs the kernel as much as ``/proc/stat``: task boundaries reuse it."""
    from wattprint.tracking.meter import RAM_MACHINE_EVERY_S

    FakeHost(tmp_path, 2)  # MemTotal 1,000,000 kB, 500,000 kB available
    source = LinearMachine(10.0, 5.0)
    meter = Meter(Discovery(_hardware(2, 2), (), (source,)), tree=None, procfs_root=tmp_path,
                  clock_s=0.0, wall_s=0.0)  # fmt: skip
    reads = []
    real = meter._meminfo

    class _Counted:
        def used_bytes(self) -> float:
            reads.append(1)
            return real.used_bytes()

    meter._meminfo = _Counted()  # type: ignore[assignment]
    steps = 400  # 20 s of samples 0.05 s apart (tasks in a loop)
    for i in range(1, steps + 1):
        if i == steps // 2:  # at 10 s the machine's memory in use doubles
            (tmp_path / "meminfo").write_text("MemTotal: 1000000 kB\nMemAvailable: 0 kB\n")
        totals = meter.sample(i * 0.05, i * 0.05)
    assert totals is not None
    assert len(reads) <= 20 / RAM_MACHINE_EVERY_S + 1
    mean = totals.ram_machine_byte_s / 20.0 / 1024 / 1_000_000
    assert 0.70 <= mean <= 0.80  # half at 50 %, half at 100 %, give or take one read's hold


def test_model_sources_take_the_cpu_times_the_meter_read(tmp_path: Path) -> None:
    """One read of /proc/stat per sample: a cloud profile's own procfs is never read."""
    from wattprint.power.cpu.cloud_profiles import CloudProfileSource

    host = FakeHost(tmp_path, 2)
    now = [0.0]
    source = CloudProfileSource(
        component="cpu", points=((0.0, 10.0), (1.0, 30.0)), usable_cpus=2.0,
        machine=MachineCpu(procfs_root=tmp_path / "never-read"), detail="test",
        clock=lambda: now[0],
    )  # fmt: skip
    meter = Meter(Discovery(_hardware(2, 2), (), (source,)), tree=None, procfs_root=tmp_path,
                  clock_s=0.0, wall_s=0.0)  # fmt: skip
    for i in range(1, 11):
        host.step(1.0, {0: 1.0}, None)  # one of two CPUs busy: 20 W on the profile
        now[0] = float(i)
        totals = meter.sample(float(i), float(i))
    assert totals is not None
    assert totals.cpu_j == pytest.approx(20.0 * 10, rel=0.02)
