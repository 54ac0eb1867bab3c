"""Tests for the NVIDIA and AMD GPU sources, on traces replayed by tests/fakes.

The fakes replay power and energy traces derived from the Zeus NSDI'23 GPU recordings
(tests/fixtures/nvml, tests/fixtures/amdsmi; see tests/fixtures/README.md) on a fake clock.
"""

from __future__ import annotations

import csv
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.fake_amdsmi import AMDSMI_STATUS_DRIVER_NOT_LOADED, FakeAmdSmi
from fakes.fake_nvml import (
    NVML_ERROR_DRIVER_NOT_LOADED,
    NVML_ERROR_GPU_IS_LOST,
    NVML_ERROR_LIBRARY_NOT_FOUND,
    FakeClock,
    FakeNvml,
    Trace,
)

from wattprint.errors import ConfigError, SourceUnavailableError
from wattprint.power.base import PowerSource, ProbeOutcome, Reading
from wattprint.power.gpu.amd import AmdSmiBackend, AmdSource, probe_amd
from wattprint.power.gpu.describe import describe_gpus
from wattprint.power.gpu.nvidia import NvidiaSource, NvmlBackend, probe_nvidia
from wattprint.power.gpu.poll import PowerPoller, TrapezoidIntegrator
from wattprint.power.gpu.select import (
    KnownGpu,
    MigInstance,
    SelectedGpu,
    select_gpus,
    share_by_memory,
    share_by_utilisation,
)
from wattprint.power.gpu.source import GpuChannel, GpuEnergySource

FIXTURES = Path(__file__).parent / "fixtures"
START_S = 1000.0
MIG_A = "MIG-6f1c1a52-0e3b-5a7d-9c41-0b2a3c4d5e6f"
MIG_B = "MIG-9a8b7c6d-5e4f-5a3b-8c2d-1e0f9a8b7c6d"
A100_0 = "GPU-1a2b3c4d-1111-4222-8333-444455556666"
A100_1 = "GPU-7e8f9a0b-2222-4333-8444-555566667777"
A40_1 = "GPU-a40a40a4-0000-4000-8000-000000000001"
A40_2 = "GPU-a40a40a4-0000-4000-8000-000000000002"
GIB = 1024**3


# --------------------------------------------------------------------------- helpers


def rows(name: str, folder: str = "nvml") -> list[dict[str, str]]:
    with (FIXTURES / folder / name).open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START_S)


def open_nvidia(
    machine: str, clock: FakeClock, env: dict[str, str] | None = None
) -> tuple[FakeNvml, NvidiaSource]:
    fake = FakeNvml(machine, clock=clock)
    outcome = probe_nvidia(env or {}, nvml=fake, clock=clock, wall_clock=clock,
                           poll_interval_s=None)
    assert outcome.is_available, outcome.reason
    source = outcome.sources[0]
    assert isinstance(source, NvidiaSource)
    return fake, source


@pytest.fixture
def v100(clock: FakeClock) -> Iterator[tuple[FakeNvml, NvidiaSource]]:
    fake, source = open_nvidia("v100", clock)
    yield fake, source
    source.close()


def at(clock: FakeClock, t_s: float) -> None:
    """Put the clock at trace time ``t_s``."""
    clock.now_s = START_S + t_s


# --------------------------------------------------------------------------- selection


KNOWN = [
    KnownGpu(0, A100_0, (MigInstance(MIG_A, 0, 1, 0), MigInstance(MIG_B, 1, 2, 0))),
    KnownGpu(1, A100_1),
]


def test_all_gpus_without_mask() -> None:
    selection = select_gpus(KNOWN, env={})
    assert [g.label for g in selection.gpus] == ["gpu-0", "gpu-1"]
    assert selection.origin == "all GPUs (CUDA_VISIBLE_DEVICES not set)"


@pytest.mark.parametrize(
    ("mask", "labels"),
    [
        ("1,0", ["gpu-1", "gpu-0"]),
        (f" {A100_1} ", ["gpu-1"]),
        ("GPU-7e8f", ["gpu-1"]),  # a unique prefix, as CUDA accepts
        (MIG_B, [f"gpu-0/{MIG_B}"]),
        (f"MIG-{A100_0}/1/0", [f"gpu-0/{MIG_A}"]),  # the form of drivers before R470
        (f"{MIG_A},{MIG_B}", [f"gpu-0/{MIG_A}+{MIG_B}"]),
        (f"{MIG_A},0", ["gpu-0"]),  # the whole GPU wins over one of its instances
        ("", []),
        ("-1", []),
        ("0,-1,1", ["gpu-0"]),  # CUDA ignores a negative index and all after it
        ("1,1", ["gpu-1"]),
    ],
)
def test_cuda_visible_devices(mask: str, labels: list[str]) -> None:
    selection = select_gpus(KNOWN, env={"CUDA_VISIBLE_DEVICES": mask})
    assert [g.label for g in selection.gpus] == labels
    assert selection.origin == f"CUDA_VISIBLE_DEVICES={mask!r}"


@pytest.mark.parametrize("bad", ["2", "GPU-deadbeef", "GPU-", "MIG-0000", "banana"])
def test_unknown_id_names_what_exists(bad: str) -> None:
    with pytest.raises(ConfigError) as info:
        select_gpus(KNOWN, env={"CUDA_VISIBLE_DEVICES": f"0,{bad}"})
    message = str(info.value)
    assert f"invalid CUDA_VISIBLE_DEVICES={bad!r} (from environment)" in message
    assert f"0 ({A100_0})" in message and f"1 ({A100_1})" in message
    assert f"{MIG_A} (MIG on GPU 0)" in message


def test_gpu_ids_win_over_the_environment() -> None:
    env = {"CUDA_VISIBLE_DEVICES": "0"}
    assert [g.index for g in select_gpus(KNOWN, gpu_ids=[1], env=env).gpus] == [1]
    assert [g.index for g in select_gpus(KNOWN, gpu_ids="1, 0", env=env).gpus] == [1, 0]
    assert [g.index for g in select_gpus(KNOWN, gpu_ids=[A100_0], env=env).gpus] == [0]
    assert select_gpus(KNOWN, gpu_ids=[], env=env).gpus == ()
    with pytest.raises(ConfigError, match="gpu_ids='-1' .*a GPU index >= 0"):
        select_gpus(KNOWN, gpu_ids=[-1], env=env)
    with pytest.raises(ConfigError, match="no GPU is present"):
        select_gpus([], gpu_ids=[0], env={})


def test_rocr_mask_for_amd() -> None:
    known = [KnownGpu(0, "8eff740f-0000-1000-80e3-1d2b3c4d5e6f"), KnownGpu(1, "0a1b")]
    env = {"HIP_VISIBLE_DEVICES": "0", "CUDA_VISIBLE_DEVICES": "1"}
    names = ("ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES")
    selection = select_gpus(known, env=env, env_vars=names)
    assert [g.index for g in selection.gpus] == [0]
    assert selection.origin == "HIP_VISIBLE_DEVICES='0'"
    # ROCR accepts "GPU-<id>" for a UUID that amdsmi shows without the prefix.
    picked = select_gpus(known, env={"ROCR_VISIBLE_DEVICES": "GPU-8eff740f"}, env_vars=names)
    assert picked.gpus == (SelectedGpu(0, "8eff740f-0000-1000-80e3-1d2b3c4d5e6f"),)


# --------------------------------------------------------------------------- share rules


def test_share_by_utilisation() -> None:
    samples = [(4242, 60.0), (5151, 20.0), (4242, 60.0), (5151, 20.0)]
    found = share_by_utilisation(samples, {4242})
    assert found is not None and found[0] == pytest.approx(0.75)
    assert "75.0%" in found[1] and "nvmlDeviceGetProcessUtilization" in found[1]
    assert share_by_utilisation([(4242, 0.0)], {4242}) is None  # idle: no basis


def test_share_by_memory() -> None:
    assert share_by_memory([], {1}) == (0.0, "no compute process on the GPU")
    alone = share_by_memory([(1, 10), (2, 30)], {1, 2})
    assert alone[0] == 1.0 and "only the tracked pids 1, 2" in alone[1]
    shared = share_by_memory([(1, 6 * GIB), (2, 2 * GIB)], {1})
    assert shared[0] == pytest.approx(0.75) and "by used GPU memory" in shared[1]
    unknown = share_by_memory([(1, None), (2, 5), (3, 5)], {1})
    assert unknown[0] == pytest.approx(1 / 3) and "split evenly" in unknown[1]
    absent = share_by_memory([(9, 5)], {1})
    assert absent[0] == 0.0 and "host pids" in absent[1]


# --------------------------------------------------------------------------- integration


def test_trapezoid_by_hand() -> None:
    integ = TrapezoidIntegrator(2)
    integ.add(10.0, [100.0, 0.0])
    integ.add(11.0, [200.0, 50.0])  # (100+200)/2 x 1 s = 150 J; (0+50)/2 = 25 J
    integ.add(13.0, [200.0, 50.0])  # + 400 J; + 100 J
    integ.add(12.0, [999.0, 999.0])  # out of order: ignored
    assert integ.energy_j == (550.0, 125.0)
    assert integ.samples == 3


def test_poller_thread_samples_and_stops() -> None:
    poller = PowerPoller(name="t", read_power_w=lambda: [100.0], n_devices=1, interval_s=0.01)
    deadline = time.monotonic() + 5.0
    while poller.samples < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    poller.stop()
    assert poller.samples >= 5
    assert not any(t.name == "wattprint-t-poll" for t in threading.enumerate())
    poller.stop()  # twice is fine
    with pytest.raises(ConfigError, match="poll_interval_s"):
        PowerPoller(name="t", read_power_w=lambda: [1.0], n_devices=1, interval_s=0)


def test_counter_reset_and_step_back(clock: FakeClock) -> None:
    # Counter values of the V100 trace (mJ), with a value read out of order and a reset.
    e = [int(r["energy_mj"]) for r in rows("v100_sweep.csv")]
    values = iter([e[0], e[1], e[1] - 500, e[2], 7_000, 9_500])
    channel = GpuChannel("gpu-0", "test", "nvml-energy", lambda: next(values), 1e-3)
    source = GpuEnergySource(name="t", channels=[channel], clock=clock)
    totals = [source.read().energy_j for _ in range(5)]
    base = e[2] - e[0]
    assert totals == pytest.approx(
        [(e[1] - e[0]) * 1e-3, (e[1] - e[0]) * 1e-3, base * 1e-3, (base + 7_000) * 1e-3,
         (base + 9_500) * 1e-3]
    )


# --------------------------------------------------------------------------- NVIDIA


def test_counter_path_is_the_counter_difference(
    clock: FakeClock, v100: tuple[FakeNvml, NvidiaSource]
) -> None:
    _, source = v100
    assert isinstance(source, PowerSource)
    assert (source.name, source.component, source.method, source.measured) == (
        "nvidia-gpu", "gpu", "nvml-energy", True
    )
    assert "gpu-0 Tesla V100-SXM2-16GB (GPU-5c3b3c2e" in source.detail
    trace = rows("v100_sweep.csv")
    first_mj = int(trace[0]["energy_mj"])
    last_j = 0.0
    for row in trace[1:]:
        at(clock, float(row["time_s"]))
        reading = source.read()
        assert isinstance(reading, Reading)
        assert reading.monotonic_s == clock()
        assert [d.device for d in reading.devices] == ["gpu-0"]
        # Exactly the counter difference, mJ -> J (the counter is NVML's, as replayed).
        assert reading.energy_j == (int(row["energy_mj"]) - first_mj) * 1e-3
        assert reading.energy_j >= last_j
        last_j = reading.energy_j
    # The 60.3 s sweep: 8278.513 J (Zeus's unrounded power x time: 8278.639 J).
    assert last_j == pytest.approx(8278.513)


def test_missing_counter_falls_back_to_polling(clock: FakeClock) -> None:
    fake, source = open_nvidia("p100", clock)
    assert source.method == "nvml-power-polling"
    assert "nvml-power-polling at each read" in source.detail
    trace = rows("p100_sweep.csv")
    end_s = float(trace[-1]["time_s"])
    steps = round(end_s / 0.1)
    last_j = 0.0
    for k in range(1, steps + 1):
        at(clock, k * 0.1)  # polled at 10 Hz
        energy_j = source.read().energy_j
        assert energy_j >= last_j
        last_j = energy_j
    # The hand integral of the replayed trace: each epoch's power x its duration.
    t = [float(r["time_s"]) for r in trace]
    p_w = [int(r["power_mw"]) / 1000 for r in trace]
    exact_j = sum(p_w[i] * (min(t[i + 1], steps * 0.1) - t[i]) for i in range(len(t) - 1))
    # The trapezoid rule errs only on the 0.1 s interval around each step of the power, by at
    # most half the step x the interval: sum |dP| x 0.1 s / 2 (= 1.45 J here, of 13.3 kJ).
    tolerance_j = sum(abs(p_w[i + 1] - p_w[i]) for i in range(len(p_w) - 1)) * 0.1 / 2
    # By hand: 108.444 W x 17.513 s + 127.482 x 16.660 + 136.788 x 16.513 + 137.097 x 16.483
    # + 135.916 x 16.563 + 136.525 x 16.500 = 13045.419 J over the 100.232 s sweep (Zeus's
    # unrounded figures give 13045.605 J), less the last 0.032 s at 136.525 W = 4.369 J.
    assert exact_j == pytest.approx(13041.050, abs=0.001)
    assert abs(last_j - exact_j) <= tolerance_j
    source.close()
    assert fake.init_count == 0


def test_polling_thread_runs_with_the_probe(clock: FakeClock) -> None:
    fake = FakeNvml("p100", clock=clock)
    outcome = probe_nvidia({}, nvml=fake, clock=clock, poll_interval_s=0.005)
    source = outcome.sources[0]
    assert "nvml-power-polling at 200 Hz, trapezoid rule" in source.detail
    names = [t.name for t in threading.enumerate()]
    assert "wattprint-nvidia-gpu-poll" in names
    at(clock, 10.0)
    assert source.read().energy_j == pytest.approx(108.444 * 10.0)
    source.close()
    assert "wattprint-nvidia-gpu-poll" not in [t.name for t in threading.enumerate()]


def test_failing_gpu_is_dropped_and_named_while_the_others_count(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    fake, source = open_nvidia("a40x2", clock)
    fake.fail(1, at_s=30.0, code=NVML_ERROR_GPU_IS_LOST)
    at(clock, 20.0)
    first = source.read()
    assert [d.device for d in first.devices] == ["gpu-0", "gpu-1"]
    for t in (40.0, 50.0):
        at(clock, t)
        reading = source.read()  # gpu-1 is lost: dropped, gpu-0 goes on counting
        trace = fake.gpus[0].trace
        assert reading.devices[0].energy_j == (trace.energy_mj_at(t) - trace.energy_mj_at(0)) * 1e-3
        assert reading.devices[1].energy_j == first.devices[1].energy_j  # kept, never zero
    message = source.detail
    assert "gpu-1 NVIDIA A40 (GPU-a40a40a4-0000-4000-8000-000000000002): " in message
    lost = "nvmlDeviceGetTotalEnergyConsumption failed: GPU is lost (NVML error 15); dropped"
    assert lost in message
    assert len([r for r in caplog.records if "dropped" in r.getMessage()]) == 1  # logged once
    fake.fail(0, at_s=55.0, code=NVML_ERROR_GPU_IS_LOST)
    at(clock, 60.0)
    with pytest.raises(SourceUnavailableError) as info:
        source.read()
    assert str(info.value).startswith("nvidia-gpu: every GPU failed: gpu-1 NVIDIA A40")
    assert "gpu-0 NVIDIA A40" in str(info.value)
    source.close()


def test_failing_power_never_reads_zero(clock: FakeClock) -> None:
    fake, source = open_nvidia("p100", clock)
    fake.fail(0, at_s=50.0, code=NVML_ERROR_GPU_IS_LOST)
    at(clock, 49.9)
    assert source.read().energy_j > 0
    for t in (50.0, 60.0):
        at(clock, t)
        with pytest.raises(SourceUnavailableError, match="gpu-0 .*nvmlDeviceGetPowerUsage failed: "
                           "GPU is lost"):
            source.read()
    source.close()


def test_mixed_and_unreadable_gpus(clock: FakeClock) -> None:
    fake = FakeNvml("a40x2", clock=clock)
    fake.counter_supported[1] = False
    source = probe_nvidia({}, nvml=fake, clock=clock, poll_interval_s=None).sources[0]
    assert source.method == "nvml-energy+nvml-power-polling"
    assert "gpu-0 NVIDIA A40" in source.detail and "gpu-1 NVIDIA A40" in source.detail
    at(clock, 27.0)  # within the first epoch, 106.889 W: 2886.003 J by counter and by polling
    assert [d.energy_j for d in source.read().devices] == pytest.approx([2886.003, 2886.003])
    source.close()
    fake.power_supported[1] = False
    outcome = probe_nvidia({}, nvml=fake, clock=clock, poll_interval_s=None)
    assert outcome.is_available and outcome.reason.endswith(
        "; not read: gpu-1 (NVIDIA A40): no energy counter (Not Supported (NVML error 3)) and "
        "no power reading (Not Supported (NVML error 3))"
    )
    outcome.sources[0].close()
    fake.counter_supported[0] = fake.power_supported[0] = False
    outcome = probe_nvidia({}, nvml=fake, clock=clock)
    assert not outcome.is_available and outcome.reason.startswith("no NVIDIA GPU readable: gpu-0")
    assert fake.init_count == 0


def test_probe_honours_cuda_visible_devices(clock: FakeClock) -> None:
    fake, source = open_nvidia("a100_mig", clock, {"CUDA_VISIBLE_DEVICES": MIG_A})
    assert source.labels == (f"gpu-0/{MIG_A}",)
    assert "MIG: NVML measures the whole GPU" in source.detail
    mig_share = source.process_shares({4242}).devices[0]  # no per-process samples in MIG mode
    assert (mig_share.share, mig_share.rule) == (1.0, "only the tracked pids 4242 run on the GPU")
    source.close()
    fake, source = open_nvidia("a100_mig", clock, {"CUDA_VISIBLE_DEVICES": A100_1})
    assert source.labels == ("gpu-1",) and "MIG" not in source.detail
    source.close()
    fake, source = open_nvidia("a40x2", clock, {"CUDA_VISIBLE_DEVICES": "1,0"})
    assert source.labels == ("gpu-1", "gpu-0")
    source.close()
    assert fake.init_count == 0


def test_probe_unknown_id_is_a_config_error(clock: FakeClock) -> None:
    fake = FakeNvml("a40x2", clock=clock)
    with pytest.raises(ConfigError) as info:
        probe_nvidia({"CUDA_VISIBLE_DEVICES": "3"}, nvml=fake, clock=clock)
    assert f"0 ({A40_1}), 1 ({A40_2})" in str(info.value)
    with pytest.raises(ConfigError, match="invalid gpu_ids='GPU-0bad' .*from argument"):
        probe_nvidia({}, gpu_ids=["GPU-0bad"], nvml=fake, clock=clock)
    assert fake.init_count == 0  # NVML shut down again


def test_probe_with_no_gpu_selected(clock: FakeClock) -> None:
    fake = FakeNvml("a40x2", clock=clock)
    outcome = probe_nvidia({"CUDA_VISIBLE_DEVICES": ""}, nvml=fake, clock=clock)
    assert not outcome.is_available
    assert outcome.reason == "no NVIDIA GPU selected (CUDA_VISIBLE_DEVICES='')"
    assert fake.init_count == 0


def test_shares_from_per_process_utilisation(
    clock: FakeClock, v100: tuple[FakeNvml, NvidiaSource]
) -> None:
    _, source = v100
    at(clock, 30.0)  # pid 4242 at 60 % SM and pid 5151 at 20 %, sampled every 0.5 s
    shares = source.process_shares({4242})
    assert shares.share_of("gpu-0") == pytest.approx(0.75)
    assert "SM utilisation" in shares.devices[0].rule
    at(clock, 60.0)  # pid 5151 left at 30 s: the new window is 4242's alone
    assert source.process_shares({4242}).share_of("gpu-0") == pytest.approx(1.0)
    assert source.process_shares({5151}).share_of("gpu-0") == 0.0  # no sample: by memory


def test_shares_by_memory_when_no_utilisation(clock: FakeClock) -> None:
    _, source = open_nvidia("a40x2", clock)
    shares = source.process_shares({4242})
    assert [d.device for d in shares.devices] == ["gpu-0", "gpu-1"]
    assert shares.share_of("gpu-0") == pytest.approx(6 / 8)  # 6 GiB of 6 + 2 GiB
    assert "by used GPU memory" in shares.devices[0].rule
    assert shares.share_of("gpu-1") == 1.0
    assert shares.devices[1].rule == "only the tracked pids 4242 run on the GPU"
    source.close()


def test_no_pynvml_is_no_nvidia_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import pynvml raises ImportError
    outcome = probe_nvidia({})
    assert outcome == ProbeOutcome(
        "nvidia", ("gpu",), (),
        "no NVIDIA GPU: nvidia-ml-py (module pynvml) is not installed",
        'If this machine has an NVIDIA GPU: pip install "wattprint[gpu]"',
    )
    assert describe_gpus(NvmlBackend(), {}) == []


def test_real_pynvml_without_driver() -> None:
    pytest.importorskip("pynvml")
    before = set(threading.enumerate())  # other tests' threads are not the probe's
    outcome = probe_nvidia({})
    if outcome.is_available:  # this machine has an NVIDIA GPU
        for source in outcome.sources:
            source.close()
        pytest.skip("an NVIDIA driver is present")
    assert outcome.reason.startswith("no NVIDIA GPU: ")
    left = set(threading.enumerate()) - before
    assert not [t for t in left if t.name.startswith("wattprint-")]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (NVML_ERROR_LIBRARY_NOT_FOUND, "no NVIDIA GPU: the NVML library (libnvidia-ml.so.1) was "
         "not found: no NVIDIA driver is installed"),
        (NVML_ERROR_DRIVER_NOT_LOADED, "no NVIDIA GPU: the NVIDIA driver is not loaded"),
        (NVML_ERROR_GPU_IS_LOST, "no NVIDIA GPU: nvmlInit failed: GPU is lost (NVML error 15)"),
    ],
)
def test_init_errors_are_reasons(clock: FakeClock, code: int, reason: str) -> None:
    outcome = probe_nvidia({}, nvml=FakeNvml("v100", clock=clock, init_error=code))
    assert (outcome.is_available, outcome.reason) == (False, reason)


def test_describe_gpus(clock: FakeClock) -> None:
    fake = FakeNvml("a100_mig", clock=clock)
    described = describe_gpus(NvmlBackend(fake), {"CUDA_VISIBLE_DEVICES": "1"})
    assert fake.init_count == 0
    assert [d["index"] for d in described] == [0, 1]
    first, second = described
    assert first == {
        "vendor": "nvidia", "index": 0, "name": "NVIDIA A100-SXM4-40GB", "uuid": A100_0,
        "memory_total_bytes": 40 * GIB, "driver_version": "535.183.01", "energy_counter": True,
        "method": "nvml-energy", "power_limit_w": 400.0,
        "mig": f"on: {MIG_A} (3/7 slices), {MIG_B} (2/7 slices)",
        "selected": False,
    }
    assert (second["mig"], second["selected"]) == ("off", True)
    (p100,) = describe_gpus(NvmlBackend(FakeNvml("p100", clock=clock)), {})
    assert (p100["energy_counter"], p100["method"]) == (False, "nvml-power-polling")


def test_source_contract(clock: FakeClock) -> None:
    for machine in ("v100", "p100", "a100_mig"):
        fake, source = open_nvidia(machine, clock)
        assert isinstance(source, PowerSource)
        at(clock, 5.0)
        assert source.read().energy_j >= 0
        source.close()
        source.close()
        with pytest.raises(SourceUnavailableError, match="the source is closed"):
            source.read()
        assert fake.init_count == 0
        at(clock, 0.0)


# --------------------------------------------------------------------------- AMD


def open_amd(clock: FakeClock, fake: FakeAmdSmi) -> AmdSource:
    outcome = probe_amd({}, amdsmi=fake, clock=clock, poll_interval_s=None)
    assert outcome.is_available, outcome.reason
    source = outcome.sources[0]
    assert isinstance(source, AmdSource) and isinstance(source, PowerSource)
    return source


@pytest.mark.parametrize("key", ["energy_accumulator", "power"])
def test_amd_counter_path(clock: FakeClock, key: str) -> None:
    fake = FakeAmdSmi("mi210", clock=clock)
    fake.energy_key[0] = key  # "power": amdsmi before 6.2.1
    source = open_amd(clock, fake)
    assert source.method == "amdsmi-energy"
    assert "counter resolution 15.3 uJ" in source.detail
    first = fake.accumulator(0)
    resolution_uj = 15.300000190734863
    for row in rows("rtx6000_sweep.csv", "amdsmi")[1:]:
        at(clock, float(row["time_s"]))
        raw = fake.accumulator(0)
        assert source.read().energy_j == (raw - first) * (resolution_uj * 1e-6)
    # The 93.4 s sweep: 14785.688 J (Zeus's unrounded power x time: 14785.451 J).
    assert source.read().energy_j == pytest.approx(14785.688, abs=0.001)
    source.close()
    assert not fake.initialised


def test_amd_polling_when_no_counter(clock: FakeClock) -> None:
    fake = FakeAmdSmi("mi210", clock=clock)
    fake.counter_supported[0] = False
    source = open_amd(clock, fake)
    assert source.method == "amdsmi-power-polling"
    for k in range(1, 201):
        at(clock, k * 0.1)
        energy_j = source.read().energy_j
    # 20 s at the first epoch's 96.650 W, which amdsmi reports in whole watts: 97 W.
    assert energy_j == pytest.approx(97 * 20.0)
    source.close()


def test_amd_shares_and_description(clock: FakeClock) -> None:
    fake = FakeAmdSmi("mi210", clock=clock)
    source = open_amd(clock, fake)
    shares = source.process_shares({4242})
    assert shares.share_of("gpu-0") == pytest.approx(0.75)
    source.close()
    (gpu,) = describe_gpus(AmdSmiBackend(fake), {})
    assert gpu == {
        "vendor": "amd", "index": 0, "name": "AMD Instinct MI210",
        "uuid": "8eff740f-0000-1000-80e3-1d2b3c4d5e6f", "memory_total_bytes": 65520 * 2**20,
        "driver_version": "6.8.5", "energy_counter": True, "method": "amdsmi-energy",
        "power_limit_w": 300.0, "mig": "n/a", "selected": True,
    }


def test_amd_init_failure_is_a_reason(clock: FakeClock) -> None:
    fake = FakeAmdSmi("mi210", clock=clock, init_error=AMDSMI_STATUS_DRIVER_NOT_LOADED)
    outcome = probe_amd({}, amdsmi=fake)
    assert not outcome.is_available
    assert outcome.reason == (
        "no AMD GPU: amdsmi_init failed (amdgpu driver not loaded?): Error code: 34 | "
        "AMDSMI_STATUS_DRIVER_NOT_LOADED - Driver not loaded (amdsmi error 34)"
    )
    assert describe_gpus(AmdSmiBackend(fake), {}) == []


def test_amdsmi_without_rocm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # What the amdsmi wheel does on a machine without ROCm: print, then fail to load the library.
    package = tmp_path / "amdsmi"
    package.mkdir()
    (package / "__init__.py").write_text(
        'print("Unable to find libamd_smi.so library try installing amd-smi-lib from your '
        'package manager")\n'
        'raise OSError("libamd_smi.so: cannot open shared object file: No such file or '
        'directory")\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "amdsmi", raising=False)
    outcome = probe_amd({})
    assert not outcome.is_available
    assert outcome.reason.startswith(
        "no AMD GPU: amdsmi cannot load libamd_smi.so (is ROCm installed?): OSError("
    )
    assert capsys.readouterr().out == ""


def test_no_amdsmi_is_no_amd_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "amdsmi", None)
    outcome = probe_amd({})
    assert outcome.reason == "no AMD GPU: the amdsmi package is not installed"
    assert describe_gpus(AmdSmiBackend(), {}) == []


def test_trace_helper_matches_the_csv() -> None:
    # The fake's exact integral agrees with the hand sum used above.
    trace = Trace.load(FIXTURES / "nvml" / "p100_sweep.csv")
    assert trace.integral_j(0.0, 100.2) == pytest.approx(13041.050, abs=0.001)
