"""GPUs where ML runs: containers (NVML's host PIDs), MIG slices, short windows, CUDA's numbering.

Uses the trace-replaying NVML double of tests/fakes (traces derived from the Zeus recordings; see
tests/fixtures/README.md) and procfs trees built in place: ``/proc/PID/fd`` as symbolic links
to the device files, ``/proc/PID/maps`` and ``/proc/PID/status`` as text, as the kernel shows
them. No GPU machine was at hand for these checks: everything runs against the double.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from fakes.fake_nvml import FakeClock, FakeNvml

from wattprint.errors import ConfigError
from wattprint.power.discovery import Discovery, ProbeContext, discover
from wattprint.power.gpu.container import WHOLE_RULE, ContainerCheck, find_gpu_use
from wattprint.power.gpu.nvidia import NvidiaSource, probe_nvidia
from wattprint.power.gpu.source import SHORT_WINDOW_S
from wattprint.provenance import GpuAttribution
from wattprint.tracking.assemble import build_methodology
from wattprint.tracking.meter import Meter
from wattprint.tracking.process_tree import TreeSample

START_S = 1000.0
MIG_A = "MIG-6f1c1a52-0e3b-5a7d-9c41-0b2a3c4d5e6f"  # 3g.20gb: 3 of the A100's 7 slices
MIG_B = "MIG-9a8b7c6d-5e4f-5a3b-8c2d-1e0f9a8b7c6d"  # 2g.10gb
CONTAINER_PID = 17  # the job's pid inside its container; NVML reports host pids 4242 and 5151
CUDA_FILES = ("/dev/nvidiactl", "/dev/nvidia0", "/dev/nvidia-uvm")  # what a CUDA process holds
NVML_FILES = ("/dev/nvidiactl", "/dev/nvidia0")  # what NVML alone (wattprint itself) holds
LIBCUDA = "7f10a2c00000-7f10a2e00000 r-xp 00000000 08:01 1234 /usr/lib/libcuda.so.1"


class RecordedTree:
    """A process tree double: fixed pids, no CPU (only the GPU is under test)."""

    def __init__(self, pids: set[int]) -> None:
        self._pids = frozenset(pids)

    def start(self) -> TreeSample:
        return TreeSample(0.0, 0, len(self._pids))

    def sample(self, *, rescan: bool | None = None) -> TreeSample:
        return TreeSample(0.0, 0, len(self._pids))

    def pids(self) -> frozenset[int]:
        return self._pids


def make_proc(
    root: Path,
    pid: int,
    *,
    files: tuple[str, ...] = (),
    maps: str = "",
    nspid: tuple[int, ...] = (),
) -> Path:
    """Write /proc/<pid> as the kernel shows it: fd links, maps and the NSpid line."""
    proc = root / str(pid)
    (proc / "fd").mkdir(parents=True)
    for fd, target in enumerate(files, start=3):
        os.symlink(target, proc / "fd" / str(fd))
    (proc / "maps").write_text(maps + "\n")
    ids = "\t".join(str(p) for p in (nspid or (pid,)))
    (proc / "status").write_text(f"Name:\tpython\nPid:\t{pid}\nNSpid:\t{ids}\n")
    return root


def open_gpu(
    machine: str,
    clock: FakeClock,
    procfs: Path,
    *,
    env: dict[str, str] | None = None,
    attribution: GpuAttribution = "process",
    counter_period_s: float | None = None,
) -> tuple[FakeNvml, NvidiaSource]:
    fake = FakeNvml(machine, clock=clock, counter_period_s=counter_period_s)
    outcome = probe_nvidia(env or {}, nvml=fake, clock=clock, wall_clock=clock,
                           poll_interval_s=None, attribution=attribution,
                           procfs_root=procfs)  # fmt: skip
    assert outcome.is_available, outcome.reason
    source = outcome.sources[0]
    assert isinstance(source, NvidiaSource)
    return fake, source


def at(clock: FakeClock, t_s: float) -> None:
    clock.now_s = START_S + t_s


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START_S)


def container_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records
        if r.levelno == logging.WARNING and "cannot be matched" in r.getMessage()
    ]  # fmt: skip


# --------------------------------------------------------------------------- containers


def test_container_gpu_is_charged_whole_with_one_warning_and_the_methodology(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    procfs = make_proc(tmp_path / "proc", CONTAINER_PID, files=CUDA_FILES)
    base = discover(ProbeContext(env={"WATTPRINT_RAPL_DIR": str(tmp_path)}, cache_dir=tmp_path))
    _fake, source = open_gpu("v100", clock, procfs)
    discovery = Discovery(base.hardware, base.outcomes, (source,))
    meter = Meter(discovery, tree=RecordedTree({CONTAINER_PID}),  # type: ignore[arg-type]
                  clock_s=0.0, wall_s=0.0)  # fmt: skip
    start_j = source.read().energy_j
    for t in (10.0, 20.0, 30.0):
        at(clock, t)
        totals = meter.sample(t, t)
    assert totals is not None
    whole_j = source.read().energy_j - start_j
    assert whole_j > 0
    # NVML lists host pids 4242 and 5151 only: process matching alone would charge 0 J.
    assert totals.gpu_j == pytest.approx(whole_j)
    assert len(container_warnings(caplog)) == 1
    from wattprint.grid.plan import default_tables, plan_grid
    from wattprint.grid.timeline import IntensityTimeline
    from wattprint.settings.resolve import resolve_settings

    settings = resolve_settings({"country": "FR", "save_to_file": False}, env={})
    plan = plan_grid(settings, env={})
    resolved = IntensityTimeline(plan, default_tables()).resolve([])
    m = build_methodology(discovery, mode="process", pid=CONTAINER_PID, plan=plan,
                          resolved=resolved, failures={}, gpu_rules=meter.gpu_rules)  # fmt: skip
    gpu = m.component("gpu")
    assert gpu is not None
    assert gpu.attribution.startswith("gpu-0: charged whole, as dedicated to the container")
    assert "the pids NVML lists (4242, 5151) are no processes here" in gpu.attribution
    assert f"pid {CONTAINER_PID} has /dev/nvidia-uvm, /dev/nvidia0 open" in gpu.attribution
    source.close()


def test_nvml_files_alone_are_not_cuda_use(tmp_path: Path, clock: FakeClock) -> None:
    """wattprint's own NVML opens /dev/nvidiactl and /dev/nvidia0: that is no evidence."""
    procfs = make_proc(tmp_path / "proc", CONTAINER_PID, files=NVML_FILES)
    _fake, source = open_gpu("v100", clock, procfs)
    at(clock, 5.0)
    share = source.process_shares({CONTAINER_PID}).devices[0]
    assert share.share == 0.0 and "SM utilisation" in share.rule
    source.close()


def test_libcuda_mapped_and_no_process_listed_is_the_container_case(
    tmp_path: Path, clock: FakeClock
) -> None:
    procfs = make_proc(tmp_path / "proc", CONTAINER_PID, files=NVML_FILES, maps=LIBCUDA)
    _fake, source = open_gpu("p100", clock, procfs)  # NVML lists no process on the P100
    share = source.process_shares({CONTAINER_PID}).devices[0]
    assert share.share == 1.0
    assert "NVML lists no process on the GPU" in share.rule
    assert f"pid {CONTAINER_PID} maps libcuda.so" in share.rule
    source.close()


def test_nested_pid_namespace_is_the_container_case(tmp_path: Path, clock: FakeClock) -> None:
    procfs = make_proc(tmp_path / "proc", CONTAINER_PID, files=CUDA_FILES, nspid=(90017, 17))
    for host_pid in (4242, 5151):  # NVML's pids exist here, yet the tree is nested
        make_proc(procfs, host_pid)
    _fake, source = open_gpu("v100", clock, procfs)
    at(clock, 5.0)
    share = source.process_shares({CONTAINER_PID}).devices[0]
    assert share.share == 1.0
    assert f"pid {CONTAINER_PID} is in a nested PID namespace (NSpid)" in share.rule
    source.close()


def test_neighbours_seen_by_nvml_keep_their_share(tmp_path: Path, clock: FakeClock) -> None:
    """Same namespace: NVML's pids are processes here, not the tree's: the tree gets 0."""
    procfs = make_proc(tmp_path / "proc", CONTAINER_PID, files=CUDA_FILES)
    for host_pid in (4242, 5151):
        make_proc(procfs, host_pid)
    _fake, source = open_gpu("v100", clock, procfs)
    at(clock, 5.0)
    assert source.process_shares({CONTAINER_PID}).devices[0].share == 0.0
    source.close()


def test_only_the_gpus_the_tree_holds_are_charged_whole(tmp_path: Path, clock: FakeClock) -> None:
    files = ("/dev/nvidiactl", "/dev/nvidia1", "/dev/nvidia-uvm")
    procfs = make_proc(tmp_path / "proc", CONTAINER_PID, files=files)
    _fake, source = open_gpu("a40x2", clock, procfs)  # GPU 0 is minor 0, GPU 1 minor 1
    shares = source.process_shares({CONTAINER_PID})
    assert (shares.share_of("gpu-0"), shares.share_of("gpu-1")) == (0.0, 1.0)
    source.close()


def test_gpu_attribution_whole_forces_it(tmp_path: Path, clock: FakeClock) -> None:
    _fake, source = open_gpu("a40x2", clock, tmp_path, attribution="whole")  # empty procfs
    shares = source.process_shares({4242})  # 4242 holds 6 of GPU 0's 8 GiB
    assert [(d.share, d.rule) for d in shares.devices] == [(1.0, WHOLE_RULE)] * 2
    source.close()


def test_the_tree_is_looked_at_again_only_after_a_while(tmp_path: Path) -> None:
    procfs = tmp_path / "proc"
    make_proc(procfs, CONTAINER_PID)
    clock = FakeClock(0.0)
    check = ContainerCheck(procfs_root=procfs, clock=clock, rescan_s=5.0)
    assert check.whole_gpu({CONTAINER_PID}, {4242}) is None
    os.symlink("/dev/nvidia-uvm", procfs / str(CONTAINER_PID) / "fd" / "9")  # CUDA starts
    clock.advance(1.0)
    assert check.whole_gpu({CONTAINER_PID}, {4242}) is None  # not looked at yet
    clock.advance(5.0)
    assert check.whole_gpu({CONTAINER_PID}, {4242}) is not None
    assert find_gpu_use(procfs, {999}) is None  # a pid that is gone: no evidence, no error


def test_gpu_attribution_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from wattprint.settings.resolve import resolve_settings
    from wattprint.tracking import groups

    assert resolve_settings({}, env={}).gpu_attribution == "process"
    settings = resolve_settings({}, env={"WATTPRINT_GPU_ATTRIBUTION": "Whole"})
    assert settings.gpu_attribution == "whole"
    with pytest.raises(ConfigError, match="'everything'.*process.*whole"):
        resolve_settings({"gpu_attribution": "everything"}, env={})
    seen: list[ProbeContext] = []

    def capture(ctx: ProbeContext) -> Discovery:
        seen.append(ctx)
        return discover(ProbeContext(env={"WATTPRINT_RAPL_DIR": "/nonexistent"}))

    monkeypatch.setattr("wattprint.power.discovery.discover", capture)
    groups.discover_for_run(settings, {}, None, counts_host=True).close()
    assert seen[0].gpu_attribution == "whole"


# --------------------------------------------------------------------------- MIG


def test_a_mig_slice_is_charged_its_share_of_the_board(tmp_path: Path, clock: FakeClock) -> None:
    _f, whole = open_gpu("a100_mig", clock, tmp_path, env={"CUDA_VISIBLE_DEVICES": "0"})
    _f, slice_a = open_gpu("a100_mig", clock, tmp_path, env={"CUDA_VISIBLE_DEVICES": MIG_A})
    _f, both = open_gpu("a100_mig", clock, tmp_path,
                        env={"CUDA_VISIBLE_DEVICES": f"{MIG_A},{MIG_B}"})  # fmt: skip
    at(clock, 40.0)
    board_j = whole.read().energy_j
    assert board_j > 0
    assert slice_a.read().energy_j == pytest.approx(board_j * 3 / 7)
    assert both.read().energy_j == pytest.approx(board_j * 5 / 7)
    assert "charged 3/7 of its energy" in slice_a.detail
    assert "MIG is on and the whole GPU is selected" in whole.detail
    for source in (whole, slice_a, both):
        source.close()


def test_mig_processes_are_those_of_the_selected_slice(tmp_path: Path, clock: FakeClock) -> None:
    _f, slice_b = open_gpu("a100_mig", clock, tmp_path, env={"CUDA_VISIBLE_DEVICES": MIG_B})
    assert slice_b.process_shares({6363}).devices[0].share == 1.0
    assert slice_b.process_shares({4242}).devices[0].share == 0.0  # 4242 runs on slice A
    slice_b.close()


def test_unknown_slice_sizes_charge_the_whole_gpu_and_say_so(
    tmp_path: Path, clock: FakeClock
) -> None:
    fake = FakeNvml("a100_mig", clock=clock)
    fake.remove("nvmlDeviceGetAttributes")
    source = probe_nvidia({"CUDA_VISIBLE_DEVICES": MIG_A}, nvml=fake, clock=clock,
                          wall_clock=clock, poll_interval_s=None).sources[0]  # fmt: skip
    assert "slice sizes are unknown" in source.detail
    _f, whole = open_gpu("a100_mig", clock, tmp_path, env={"CUDA_VISIBLE_DEVICES": "0"})
    at(clock, 20.0)
    assert source.read().energy_j == pytest.approx(whole.read().energy_j)
    source.close()
    whole.close()


# --------------------------------------------------------------------------- short windows


def test_a_window_shorter_than_the_counter_update_uses_polled_power(
    tmp_path: Path, clock: FakeClock
) -> None:
    fake, source = open_gpu("v100", clock, tmp_path, counter_period_s=0.1)
    power_w = fake.gpus[0].trace.power_mw_at(10.0) / 1000  # held over the first epoch
    at(clock, 10.02)
    before_j = source.read().energy_j
    at(clock, 10.07)  # 50 ms: the counter did not move (it updates at 10.0 and 10.1)
    assert fake.nvmlDeviceGetTotalEnergyConsumption(fake.nvmlDeviceGetHandleByIndex(0)) == (
        fake.gpus[0].trace.energy_mj_at(10.0)
    )
    short_j = source.read().energy_j - before_j
    assert short_j == pytest.approx(power_w * 0.05)
    assert f"1 window(s) under {SHORT_WINDOW_S:g} s counted from the polled power" in source.detail
    # A long window is the counter's: from 10.07 (counter at 10.0) to 12.07 (counter at 12.0).
    counter_mj = fake.gpus[0].trace.energy_mj_at
    at(clock, 12.07)
    long_j = source.read().energy_j - before_j - short_j
    assert long_j == pytest.approx((counter_mj(12.0) - counter_mj(10.0)) / 1000)
    source.close()


def test_a_short_window_without_a_power_reading_uses_the_counter(
    tmp_path: Path, clock: FakeClock
) -> None:
    fake, source = open_gpu("v100", clock, tmp_path, counter_period_s=0.1)
    fake.inject("nvmlDeviceGetPowerUsage", raises=fake.NVMLError(3))
    at(clock, 10.02)
    before_j = source.read().energy_j
    at(clock, 10.12)
    counter_mj = fake.gpus[0].trace.energy_mj_at
    assert source.read().energy_j - before_j == pytest.approx(
        (counter_mj(10.1) - counter_mj(10.0)) / 1000
    )
    assert source.labels == ("gpu-0",) and "dropped" not in source.detail
    source.close()


# --------------------------------------------------------------------------- CUDA's numbering


@pytest.mark.parametrize(
    ("env", "label"),
    [
        ({"CUDA_VISIBLE_DEVICES": "0"}, "gpu-1"),  # FASTEST_FIRST: the A40 (8.6) is CUDA 0
        ({"CUDA_VISIBLE_DEVICES": "1"}, "gpu-0"),
        ({"CUDA_VISIBLE_DEVICES": "0", "CUDA_DEVICE_ORDER": "FASTEST_FIRST"}, "gpu-1"),
        ({"CUDA_VISIBLE_DEVICES": "0", "CUDA_DEVICE_ORDER": "PCI_BUS_ID"}, "gpu-0"),
    ],
)
def test_cuda_indices_follow_cuda_device_order(
    tmp_path: Path, clock: FakeClock, env: dict[str, str], label: str
) -> None:
    _fake, source = open_gpu("mixed", clock, tmp_path, env=env)
    assert source.labels == (label,)
    source.close()


def test_gpu_ids_are_cuda_indices_and_the_origin_says_how(clock: FakeClock) -> None:
    fake = FakeNvml("mixed", clock=clock)
    outcome = probe_nvidia({}, ["0"], nvml=fake, clock=clock, wall_clock=clock,
                           poll_interval_s=None)  # fmt: skip
    assert outcome.sources[0].detail.startswith("gpu-1 NVIDIA A40")
    assert dict(outcome.extra)["selection"] == (
        "gpu_ids=['0'] (CUDA indices, CUDA_DEVICE_ORDER unset: CUDA's default FASTEST_FIRST: "
        "by compute capability, then SM count, then PCI bus id: 0 = GPU 1)"
    )
    outcome.sources[0].close()


def test_without_compute_capability_pci_order_is_used_and_said(clock: FakeClock) -> None:
    fake = FakeNvml("mixed", clock=clock)
    fake.remove("nvmlDeviceGetCudaComputeCapability")
    outcome = probe_nvidia({"CUDA_VISIBLE_DEVICES": "0"}, nvml=fake, clock=clock,
                           wall_clock=clock, poll_interval_s=None)  # fmt: skip
    assert outcome.sources[0].detail.startswith("gpu-0 Tesla V100")
    assert (
        "compute capability unknown (AttributeError), so PCI bus order"
        in dict(outcome.extra)["selection"]
    )
    outcome.sources[0].close()


def test_doctor_marks_the_gpu_cuda_calls_0(clock: FakeClock) -> None:
    from wattprint.power.gpu.describe import describe_gpus
    from wattprint.power.gpu.nvidia import NvmlBackend

    described = describe_gpus(NvmlBackend(FakeNvml("mixed", clock=clock)),
                              {"CUDA_VISIBLE_DEVICES": "0"})  # fmt: skip
    assert [(d["name"], d["selected"], d["power_limit_w"]) for d in described] == [
        ("Tesla V100-PCIE-16GB", False, 250.0),
        ("NVIDIA A40", True, 300.0),
    ]


# --------------------------------------------------------------------------- power limit


def test_the_enforced_power_limit_bounds_the_counter(tmp_path: Path, clock: FakeClock) -> None:
    fake = FakeNvml("v100", clock=clock)
    fake.gpus[0].spec["power_limit_mw"] = 30_000  # a board capped at 30 W: at most 60 W
    source = probe_nvidia({}, nvml=fake, clock=clock, wall_clock=clock,
                          poll_interval_s=None).sources[0]  # fmt: skip
    at(clock, 10.0)  # the trace draws 86.9 W here: beyond 2 x 30 W over 10 s (+ 1 s slack)
    assert source.read().energy_j == 0.0
    assert "more than 60 W over 10 s allows" in source.detail
    source.close()
