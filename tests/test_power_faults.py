"""Faults of the power sources (issue 10 items 1, 2, 4, 9, 10), through fault-injecting doubles.

NVML faults come from ``FakeNvml.inject`` / ``remove`` (tests/fakes/fake_nvml.py), RAPL faults
from a tree written in place (tests/fakes/fake_rapl.py). Every fault must cost only the part of
a sample it touches, never raise out of ``read()``, ``process_shares()``, discovery or doctor,
and be noted with its value and logged once.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fakes.fake_nvml import NVML_ERROR_NOT_FOUND, FakeClock, FakeNvml, NVMLError
from fakes.fake_rapl import RaplTree

from wattprint.errors import SourceUnavailableError
from wattprint.power.base import NamedDevices, PerProcessShares, PowerSource
from wattprint.power.cpu.rapl import RaplSource, probe_rapl
from wattprint.power.discovery import Discovery, ProbeContext, discover
from wattprint.power.gpu.describe import describe_gpus
from wattprint.power.gpu.nvidia import NvmlBackend, probe_nvidia
from wattprint.power.gpu.poll import PowerPoller
from wattprint.power.gpu.source import GpuEnergySource
from wattprint.tracking.assemble import build_methodology
from wattprint.tracking.meter import Meter
from wattprint.tracking.process_tree import TreeSample

START_S = 1000.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START_S)


def at(clock: FakeClock, t_s: float) -> None:
    clock.now_s = START_S + t_s


def open_gpus(fake: FakeNvml, clock: FakeClock) -> GpuEnergySource:
    outcome = probe_nvidia({}, nvml=fake, clock=clock, wall_clock=clock, poll_interval_s=None)
    assert outcome.is_available, outcome.reason
    source = outcome.sources[0]
    assert isinstance(source, GpuEnergySource)
    return source


def warnings(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno == logging.WARNING and text in r.getMessage()]  # fmt: skip


# --------------------------------------------------------------------------- item 1


class NoPid:
    usedGpuMemory = 1024  # noqa: N815  (NVML's field name)


PROCESS_FAULTS: list[tuple[str, dict[str, Any], bool]] = [
    ("nvmlDeviceGetComputeRunningProcesses", {"raises": TypeError("bad struct")}, False),
    ("nvmlDeviceGetComputeRunningProcesses", {"returns": [NoPid()]}, False),
    ("nvmlDeviceGetComputeRunningProcesses",
     {"returns": [SimpleNamespace(pid=4242, usedGpuMemory="lots")]}, False),
    ("nvmlDeviceGetProcessUtilization", {"raises": ValueError("bad sample")}, True),
    ("nvmlDeviceGetProcessUtilization",
     {"transform": lambda ss: [SimpleNamespace(**{**vars(s), "timeStamp": "soon"}) for s in ss]},
     True),
    ("nvmlDeviceGetProcessUtilization",
     {"transform": lambda ss: [SimpleNamespace(**{**vars(s), "smUtil": None}) for s in ss]},
     True),
]


@pytest.mark.parametrize(("call", "fault", "memory_decides"), PROCESS_FAULTS)
def test_malformed_per_process_data_costs_only_the_share(
    clock: FakeClock, call: str, fault: dict[str, Any], memory_decides: bool
) -> None:
    fake = FakeNvml("v100", clock=clock)
    source = open_gpus(fake, clock)
    if not memory_decides:  # no utilisation sample in the window: the process list decides
        fake.inject("nvmlDeviceGetProcessUtilization", raises=NVMLError(NVML_ERROR_NOT_FOUND))
    fake.inject(call, **fault)
    at(clock, 10.0)
    shares = source.process_shares({4242})  # never raises
    (device,) = shares.devices
    assert fake.calls_faulted >= 1
    if memory_decides:  # utilisation unusable: by memory, and the rule says why
        assert device.rule.startswith("per-process utilisation unusable (")
        assert "by used GPU memory" in device.rule or "only the tracked" in device.rule
    else:  # the process list unusable: the GPU is charged in full, and the rule says why
        assert (device.share, device.rule.startswith("per-process data unusable (")) == (1.0, True)
    assert source.read().energy_j > 0  # the reading is untouched
    source.close()


class RecordedTree:
    """A process tree double: fixed pids, no CPU."""

    def start(self) -> TreeSample:
        return TreeSample(0.0, 0, 1)

    def sample(self, *, rescan: bool | None = None) -> TreeSample:
        return TreeSample(0.0, 0, 1)

    def pids(self) -> frozenset[int]:
        return frozenset({4242})


def test_a_meter_sample_survives_a_failing_process_list(tmp_path: Path, clock: FakeClock) -> None:
    fake = FakeNvml("v100", clock=clock)
    source = open_gpus(fake, clock)
    base = discover(ProbeContext(env={"WATTPRINT_RAPL_DIR": str(tmp_path)}, cache_dir=tmp_path))
    discovery = Discovery(base.hardware, base.outcomes, (*base.chosen, source))
    meter = Meter(discovery, tree=RecordedTree(), clock_s=0.0, wall_s=0.0)  # type: ignore[arg-type]
    fake.inject("nvmlDeviceGetProcessUtilization", raises=NVMLError(NVML_ERROR_NOT_FOUND))
    fake.inject("nvmlDeviceGetComputeRunningProcesses", raises=TypeError("bad struct"))
    before = source.read().energy_j
    at(clock, 30.0)
    totals = meter.sample(30.0, 30.0)
    assert totals.gpu_j == pytest.approx(source.read().energy_j - before)  # charged in full
    assert "TypeError: bad struct" in meter.gpu_rules["gpu-0"]
    assert meter.failures == {}
    discovery.close()


# --------------------------------------------------------------------------- item 2


def test_pynvml_without_the_energy_function_polls(clock: FakeClock) -> None:
    fake = FakeNvml("v100", clock=clock)
    fake.remove("nvmlDeviceGetTotalEnergyConsumption")
    source = open_gpus(fake, clock)
    assert source.method == "nvml-power-polling"
    at(clock, 10.0)
    assert source.read().energy_j > 0
    source.close()
    (described,) = describe_gpus(NvmlBackend(fake), {})
    assert (described["energy_counter"], described["method"]) == (False, "nvml-power-polling")


def test_pynvml_without_a_constant_still_reads(clock: FakeClock) -> None:
    fake = FakeNvml("a100_mig", clock=clock)
    fake.remove("NVML_DEVICE_MIG_ENABLE", "NVML_ERROR_LIBRARY_NOT_FOUND")
    source = open_gpus(fake, clock)
    at(clock, 5.0)
    assert source.read().energy_j > 0
    source.close()
    assert fake.init_count == 0


@pytest.mark.parametrize(
    ("call", "error"),
    [("nvmlInit", RuntimeError("odd")), ("nvmlDeviceGetCount", KeyError("x")),
     ("nvmlSystemGetDriverVersion", AttributeError("gone")),
     ("nvmlDeviceGetName", OSError("io"))],
)
def test_any_library_exception_in_discovery_is_a_reason(
    clock: FakeClock, call: str, error: Exception
) -> None:
    fake = FakeNvml("a40x2", clock=clock)
    fake.inject(call, raises=error)
    outcome = probe_nvidia({}, nvml=fake, clock=clock, poll_interval_s=None)  # never raises
    if outcome.is_available:  # a failing name or driver version does not stop counting
        assert type(error).__name__ in outcome.reason
        outcome.sources[0].close()
    else:
        assert outcome.reason.startswith("no NVIDIA GPU")
        assert type(error).__name__ in outcome.reason
    assert fake.init_count == 0
    assert isinstance(describe_gpus(NvmlBackend(fake), {}), list)  # doctor never crashes
    assert fake.init_count == 0


# --------------------------------------------------------------------------- item 4


@pytest.mark.parametrize("counters", [True, False])
def test_one_gpu_raising_on_every_call_is_dropped(
    clock: FakeClock, caplog: pytest.LogCaptureFixture, counters: bool
) -> None:
    fake = FakeNvml("a40x2", clock=clock)
    if not counters:
        fake.counter_supported = [False, False]
    source = open_gpus(fake, clock)
    at(clock, 10.0)
    kept_j = source.read().devices[1].energy_j
    for call in ("nvmlDeviceGetTotalEnergyConsumption", "nvmlDeviceGetPowerUsage",
                 "nvmlDeviceGetProcessUtilization", "nvmlDeviceGetComputeRunningProcesses"):
        fake.inject(call, raises=RuntimeError("handle gone"), index=1)
    healthy = []
    for t in (20.0, 30.0, 40.0):
        at(clock, t)
        reading = source.read()
        healthy.append(reading.devices[0].energy_j)
        assert reading.devices[1].energy_j == kept_j
    assert healthy[0] < healthy[1] < healthy[2]  # gpu-0 goes on counting
    assert [d.device for d in source.process_shares({1}).devices] == ["gpu-0"]
    assert "gpu-1 NVIDIA A40" in source.detail
    assert "RuntimeError: handle gone; dropped" in source.detail
    assert len(warnings(caplog, "dropped")) == 1
    source.close()


# --------------------------------------------------------------------------- item 9


def test_impossible_nvml_counter_is_refused(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeNvml("v100", clock=clock)
    source = open_gpus(fake, clock)
    at(clock, 10.0)
    before = source.read().energy_j
    fake.inject("nvmlDeviceGetTotalEnergyConsumption", returns=10**30)
    at(clock, 11.0)
    assert source.read().energy_j == before  # not counted
    fake.inject("nvmlDeviceGetTotalEnergyConsumption", transform=lambda mj: mj + 10**30)
    at(clock, 12.0)
    counted = source.read().energy_j
    at(clock, 13.0)
    step_j = source.read().energy_j - counted
    assert 0 < step_j < 400  # counting on from the new value, at a plausible power
    assert "counter jumped by 1e+27 J, more than 600 W over 1 s allows" in source.detail
    assert len(warnings(caplog, "counter jumped")) == 1
    source.close()


@pytest.mark.parametrize(("power_mw", "shown"), [(10**30, "1e+27 W"), (-5000, "-5 W")])
def test_impossible_polled_power_is_refused(
    clock: FakeClock, caplog: pytest.LogCaptureFixture, power_mw: int, shown: str
) -> None:
    fake = FakeNvml("p100", clock=clock)
    source = open_gpus(fake, clock)
    at(clock, 1.0)
    source.read()
    fake.inject("nvmlDeviceGetPowerUsage", returns=power_mw)
    for t in (2.0, 3.0):
        at(clock, t)
        source.read()
    fake.heal("nvmlDeviceGetPowerUsage")
    at(clock, 4.0)
    # The refused samples are bridged by their neighbours: 4 s at the first epoch's power.
    assert source.read().energy_j == pytest.approx(108.444 * 4.0)
    assert f"impossible power reading {shown}" in source.detail
    assert len(warnings(caplog, "impossible power")) == 1
    source.close()


def test_rapl_value_above_its_range_is_refused(tmp_path: Path) -> None:
    tree = RaplTree(tmp_path)
    clock = FakeClock(0.0)
    sources = probe_rapl(tmp_path, env={}, clock=clock).sources
    cpu = next(s for s in sources if s.component == "cpu")
    tree.set("package-0", tree.max_uj + 10**12)
    clock.advance(3.0)
    assert cpu.read().energy_j == 0.0
    assert "impossible counter value 1262143328850 (outside 0..262143328850)" in cpu.detail
    tree.set("package-0", 1_000_000 + 300_000_000)  # 300 J in 6 s: 50 W
    clock.advance(3.0)
    assert cpu.read().energy_j == pytest.approx(300.0)
    for source in sources:
        source.close()


def test_rapl_reset_counts_on_from_the_new_value(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tree = RaplTree(tmp_path, start_uj=200_000_000_000)
    clock = FakeClock(0.0)
    sources = probe_rapl(tmp_path, env={}, clock=clock).sources
    cpu = next(s for s in sources if s.component == "cpu")
    tree.set("package-0", 200_000_000_000 + 150_000_000)  # 150 J in 3 s
    clock.advance(3.0)
    assert cpu.read().energy_j == pytest.approx(150.0)
    tree.set("package-0", 5_000_000)  # a reset: the wrap would be 62 kJ in 3 s
    clock.advance(3.0)
    assert cpu.read().energy_j == pytest.approx(150.0)
    tree.set("package-0", 5_000_000 + 120_000_000)
    clock.advance(3.0)
    assert cpu.read().energy_j == pytest.approx(270.0)  # on from the new value
    assert "a reset; counting on from the new value" in cpu.detail
    assert len(warnings(caplog, "a reset")) == 1
    # A true wrap, plausible for the time, still counts exactly.
    tree.set("package-0", tree.max_uj - 10_000_000)
    clock.advance(100_000.0)
    cpu.read()
    before = cpu.read().energy_j
    tree.set("package-0", 20_000_000)
    clock.advance(3.0)
    assert cpu.read().energy_j == pytest.approx(before + 30.000001)
    for source in sources:
        source.close()


# --------------------------------------------------------------------------- item 10


def test_failing_poller_thread_logs_one_warning_and_no_traceback(
    clock: FakeClock, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeNvml("p100", clock=clock)
    outcome = probe_nvidia({}, nvml=fake, clock=clock, poll_interval_s=0.001)
    source = outcome.sources[0]
    assert isinstance(source, GpuEnergySource)
    hooked: list[object] = []
    old_hook = threading.excepthook
    threading.excepthook = hooked.append
    try:
        fake.inject("nvmlDeviceGetPowerUsage", raises=ZeroDivisionError("odd"))
        fake.hanging.clear()
        with pytest.raises(SourceUnavailableError, match="every GPU failed"):
            source.read()
        source.close()
    finally:
        threading.excepthook = old_hook
    assert hooked == []
    assert "Traceback" not in capsys.readouterr().err
    assert len(warnings(caplog, "ZeroDivisionError: odd")) == 1


def test_poller_with_an_unexpected_error_warns_once(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[int] = []

    def read() -> list[float | None]:
        calls.append(1)
        if len(calls) > 2:
            raise ZeroDivisionError("odd")
        return [100.0]

    hooked: list[object] = []
    old_hook = threading.excepthook
    threading.excepthook = hooked.append
    try:
        poller = PowerPoller(name="t", read_power_w=read, n_devices=1, interval_s=0.001)
        while poller.is_alive:
            threading.Event().wait(0.01)
        for _ in range(2):
            with pytest.raises(SourceUnavailableError, match="ZeroDivisionError: odd"):
                poller.energy_j()
        poller.stop()
    finally:
        threading.excepthook = old_hook
    assert hooked == [] and "Traceback" not in capsys.readouterr().err
    assert len(warnings(caplog, "power polling failed: ZeroDivisionError: odd")) == 1


def test_rapl_gap_note_says_what_was_done(tmp_path: Path) -> None:
    from wattprint.grid.plan import default_tables, plan_grid
    from wattprint.grid.timeline import IntensityTimeline
    from wattprint.settings.resolve import resolve_settings

    tree = RaplTree(tmp_path)
    discovery = discover(ProbeContext(env={"WATTPRINT_RAPL_DIR": str(tmp_path)},
                                      cache_dir=tmp_path))  # fmt: skip
    meter = Meter(discovery, tree=None, clock_s=0.0, wall_s=0.0)
    tree.set("package-0", "garbage")
    meter.sample(1.0, 1.0)
    settings = resolve_settings({"country": "FR", "save_to_file": False}, env={})
    plan = plan_grid(settings, env={})
    resolved = IntensityTimeline(plan, default_tables()).resolve([])

    def notes() -> str:
        m = build_methodology(discovery, mode="machine", pid=1, plan=plan, resolved=resolved,
                              failures=meter.failures, recovered=meter.recovered)  # fmt: skip
        return " ".join(m.notes)

    assert "rapl-package failed during the run" in notes()
    assert "the gap is not counted" in notes()
    tree.set("package-0", 1_000_000 + 50_000_000)
    meter.sample(2.0, 2.0)  # reads again: the cumulative counter covers the gap
    assert "the gap is not counted" not in notes()
    assert "counted the gap" in notes()
    discovery.close()


# --------------------------------------------------------------------------- close never blocks


def test_close_abandons_a_hung_read(clock: FakeClock) -> None:
    fake = FakeNvml("v100", clock=clock)
    source = open_gpus(fake, clock)
    fake.inject("nvmlDeviceGetTotalEnergyConsumption", hang=True)
    reader = threading.Thread(target=source.read, daemon=True)
    reader.start()
    assert fake.hanging.wait(10.0)
    source.close()  # returns although the read hangs: the library is left alone
    assert reader.is_alive() and fake.init_count == 1
    fake.release()
    reader.join(10.0)


def test_capabilities_are_declared(clock: FakeClock, tmp_path: Path) -> None:
    RaplTree(tmp_path)
    source = open_gpus(FakeNvml("v100", clock=clock), clock)
    rapl = probe_rapl(tmp_path, env={}).sources[0]
    assert isinstance(source, PowerSource) and isinstance(source, PerProcessShares)
    assert isinstance(source, NamedDevices) and source.device_names == ("Tesla V100-SXM2-16GB",)
    assert isinstance(rapl, RaplSource) and not isinstance(rapl, PerProcessShares)
    source.close()
    rapl.close()
