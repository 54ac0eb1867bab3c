"""The source contract: every source class, through its test double, honours the protocol.

RAPL reads a tree written in place (tests/fakes/fake_rapl.py), the models read this machine's
procfs and built machines (tests/fakes/fake_machine.py: a server, a VM, an AWS instance),
NVIDIA and AMD replay recorded traces (tests/fakes/fake_nvml.py, fake_amdsmi.py), each
with a counter and with polling. Time is driven by a fake clock; nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fakes.fake_amdsmi import FakeAmdSmi
from fakes.fake_machine import write_machine
from fakes.fake_nvml import FakeClock, FakeNvml
from fakes.fake_rapl import RaplTree

from wattprint.errors import SourceUnavailableError
from wattprint.power.base import COMPONENTS, PowerSource, Reading
from wattprint.power.cpu.rapl import probe_rapl
from wattprint.power.discovery import ProbeContext, discover
from wattprint.power.gpu.amd import probe_amd
from wattprint.power.gpu.nvidia import probe_nvidia

START_S = 1000.0
Advance = Callable[[float], None]
Opener = Callable[[Path, FakeClock], tuple[list[PowerSource], Advance]]


def _rapl(tmp_path: Path, clock: FakeClock) -> tuple[list[PowerSource], Callable[[float], None]]:
    tree = RaplTree(tmp_path, packages=2)

    def advance(dt_s: float) -> None:
        for device in tree.zones:
            tree.set(device, tree.get(device) + int(50e6 * dt_s))  # 50 W per domain
        clock.advance(dt_s)

    return list(probe_rapl(tmp_path, env={}, clock=clock).sources), advance


def _models(tmp_path: Path, clock: FakeClock) -> tuple[list[PowerSource], Callable[[float], None]]:
    none = {"WATTPRINT_RAPL_DIR": str(tmp_path / "none")}
    brand = "Intel(R) Xeon(R) Platinum 8175M CPU @ 2.50GHz"
    machines = (
        write_machine(tmp_path / "server", brand=brand, vcpus=96, hypervisor=False),
        write_machine(tmp_path / "vm", brand=brand, vcpus=4, dmi={"sys_vendor": "KVM"}),
        write_machine(
            tmp_path / "aws",
            brand=brand,
            vcpus=4,
            dmi={"sys_vendor": "Amazon EC2", "product_name": "m5.xlarge"},
        ),
    )
    contexts = [
        ProbeContext(env=none, clock=clock, cache_dir=tmp_path),
        ProbeContext(env=none, clock=clock, cache_dir=tmp_path, force_power_w={"cpu": 5.0}),
    ] + [
        ProbeContext(
            env=none,
            clock=clock,
            cache_dir=tmp_path,
            procfs_root=m.procfs_root,
            cgroup_root=m.cgroup_root,
            dmi_dir=m.dmi_dir,
        )
        for m in machines
    ]
    chosen = [s for ctx in contexts for s in discover(ctx).chosen]
    return chosen, clock.advance


def _nvidia(machine: str) -> Opener:
    def open_(tmp_path: Path, clock: FakeClock) -> tuple[list[PowerSource], Advance]:
        fake = FakeNvml(machine, clock=clock)
        outcome = probe_nvidia({}, nvml=fake, clock=clock, wall_clock=clock, poll_interval_s=None)
        return list(outcome.sources), clock.advance

    return open_


def _amd(counter: bool) -> Opener:
    def open_(tmp_path: Path, clock: FakeClock) -> tuple[list[PowerSource], Advance]:
        fake = FakeAmdSmi("mi210", clock=clock)
        fake.counter_supported[0] = counter
        outcome = probe_amd({}, amdsmi=fake, clock=clock, poll_interval_s=None)
        return list(outcome.sources), clock.advance

    return open_


OPENERS: dict[str, tuple[Opener, set[str]]] = {
    "rapl": (_rapl, {"RaplSource"}),
    "models": (
        _models,
        {
            "TdpModelSource",
            "TdpPerThreadSource",
            "CloudProfileSource",
            "RamModelSource",
            "ConstantPowerSource",
        },
    ),
    "nvidia-counter": (_nvidia("v100"), {"GpuEnergySource"}),
    "nvidia-polling": (_nvidia("p100"), {"GpuEnergySource"}),
    "nvidia-mig": (_nvidia("a100_mig"), {"GpuEnergySource"}),
    "amd-counter": (_amd(True), {"GpuEnergySource"}),
    "amd-polling": (_amd(False), {"GpuEnergySource"}),
}


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    yield FakeClock(START_S)


@pytest.mark.parametrize("family", sorted(OPENERS))
def test_every_source_honours_the_protocol(tmp_path: Path, clock: FakeClock, family: str) -> None:
    opener, classes = OPENERS[family]
    sources, advance = opener(tmp_path, clock)
    assert sources, family
    assert {type(s).__name__ for s in sources} >= classes
    methods = set()
    for source in sources:
        assert isinstance(source, PowerSource)
        assert source.component in COMPONENTS
        assert isinstance(source.measured, bool) and source.method and source.name
        methods.add(source.method)
        first = source.read()
        advance(2.0)
        second = source.read()
        advance(2.0)
        third = source.read()
        for reading in (first, second, third):
            assert isinstance(reading, Reading) and reading.source == source.name
            assert reading.component == source.component
            assert all(d.energy_j >= 0 for d in reading.devices)
        assert [d.device for d in second.devices] == [d.device for d in first.devices]
        assert third.energy_j >= second.energy_j >= first.energy_j >= 0
        assert third.energy_j > first.energy_j  # energy is cumulative and moves with time
        assert third.monotonic_s >= second.monotonic_s >= first.monotonic_s
        assert isinstance(source.detail, str) and source.detail
        source.close()
        source.close()  # twice is fine
        if source.measured:  # hardware is released: a read after close says so
            with pytest.raises(SourceUnavailableError):
                source.read()
    assert methods
