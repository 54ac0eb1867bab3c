"""Observers hear a run's start, checkpoints, tasks and end; none can break the run.

Also the tracker's promise under a stuck sensor: ``stop()`` returns in bounded
time, the stuck source is noted, the others go on being counted, and a run is
journaled from ``start()`` so that a kill at any moment leaves it recoverable.
Time is driven by a fake clock: nothing here sleeps to let time pass.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fakes.fake_clock import FakeClock

from wattprint import Tracker
from wattprint.power.base import DeviceEnergy, Reading
from wattprint.power.discovery import Discovery
from wattprint.results import RunResult
from wattprint.tracking import sampler as sampler_module


class _Recorder:
    """An observer that notes what it hears, and fails where told to."""

    name = "recorder"

    def __init__(self, fail_in: str = "") -> None:
        self.heard: list[str] = []
        self.fail_in = fail_in

    def _note(self, what: str) -> None:
        self.heard.append(what)
        if what == self.fail_in:
            raise RuntimeError(f"{what} broke")

    def on_start(self, run: Any) -> None:
        self._note("start")

    def on_checkpoint(self, interim: RunResult) -> None:
        assert interim.status == "running"
        self._note("checkpoint")

    def on_task_end(self, task: Any) -> None:
        self._note(f"task:{task.name}")

    def on_stop(self, result: RunResult) -> None:
        self._note(f"stop:{result.status}")


@pytest.mark.parametrize("fail_in", ["", "start", "checkpoint", "task:t", "stop:completed"])
def test_observers_hear_every_step_and_a_failing_one_never_raises(
    fail_in: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    broken, healthy = _Recorder(fail_in), _Recorder()
    tracker = Tracker(
        country="FR", save_to_file=False, force_cpu_power_w=10.0, force_ram_power_w=1.0,
        mode="machine", interval_s=1.0, checkpoint_s=5.0, clock=clock,
        observers=[broken, healthy], handle_signals=False,
    )  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="wattprint"):
        tracker.start()
        with tracker.task("t"):
            clock.advance(2.0)
        clock.advance(6.0)
        tracker.flush()  # the sampling thread has taken the due sample and checkpoint
        result = tracker.stop()
    assert healthy.heard == ["start", "task:t", "checkpoint", "stop:completed"]
    assert broken.heard == healthy.heard
    assert result.duration_s == pytest.approx(8.0)
    assert result.cpu_energy_kwh == pytest.approx(10.0 * 8.0 / 3.6e6)
    if fail_in:
        assert "recorder failed" in caplog.text or "writing the run to recorder failed" in (
            caplog.text
        )


class _HangingSource:
    """A GPU counter that answers until told to hang, then never returns (like a stuck NVML)."""

    name = "gpu-hanging"
    component = "gpu"
    method = "fake-counter"
    measured = True
    detail = "a fake GPU that hangs"

    def __init__(self, clock: FakeClock, power_w: float) -> None:
        self.clock = clock
        self.power_w = power_w
        self.hang = threading.Event()
        self.release = threading.Event()
        self.start_s = clock.monotonic_s()

    def read(self) -> Reading:
        if self.hang.is_set():
            self.release.wait(60)  # stuck, as a hung driver call is
        now = self.clock.monotonic_s()
        energy = self.power_w * (now - self.start_s)
        return Reading(self.name, "gpu", now, (DeviceEnergy("gpu0", energy),))

    def close(self) -> None:
        self.release.set()


def _tracker_with(clock: FakeClock, extra: tuple[Any, ...], **kwargs: Any) -> Tracker:
    forced = Tracker(
        country="FR", save_to_file=False, force_cpu_power_w=10.0, force_ram_power_w=1.0,
        mode="machine", clock=clock, handle_signals=False,
    )  # fmt: skip
    real = forced.discovery
    discovery = Discovery(real.hardware, real.outcomes, (*real.chosen, *extra))
    return Tracker(
        country="FR", mode="machine", clock=clock, discovery=discovery,
        handle_signals=False, interval_s=1.0, **kwargs,
    )  # fmt: skip


def test_stop_returns_in_bounded_time_when_a_sensor_hangs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sampler_module, "DEFAULT_ANSWER_S", 0.5)
    clock = FakeClock()
    gpu = _HangingSource(clock, power_w=100.0)
    tracker = _tracker_with(clock, (gpu,), output_dir=tmp_path)
    try:
        with caplog.at_level(logging.WARNING, logger="wattprint"):
            tracker.start()
            clock.advance(10.0)
            tracker.flush()
            gpu.hang.set()  # from now on every GPU read blocks
            clock.advance(10.0)
            began = time.monotonic()
            result = tracker.stop()
            took_s = time.monotonic() - began
    finally:
        gpu.release.set()
    assert took_s < 5.0, f"stop() took {took_s:.1f} s with a hung sensor"
    assert result.status == "completed"
    assert result.duration_s == pytest.approx(20.0)
    # The GPU counted its 10 healthy seconds; CPU and RAM counted all 20.
    assert result.gpu_energy_kwh == pytest.approx(100.0 * 10.0 / 3.6e6)
    assert result.cpu_energy_kwh == pytest.approx(10.0 * 20.0 / 3.6e6)
    assert result.ram_energy_kwh == pytest.approx(1.0 * 20.0 / 3.6e6)
    assert "gpu-hanging stopped answering" in caplog.text
    gpu_method = next(c for c in result.methodology.components if c.component == "gpu")
    assert "stopped answering" in gpu_method.detail or "stopped answering" in str(
        result.methodology
    )
    rows = (tmp_path / "emissions.csv").read_text().splitlines()
    assert len(rows) == 2  # header and the run: the row is written


def test_a_run_is_journaled_as_soon_as_start_returns(tmp_path: Path) -> None:
    clock = FakeClock()
    tracker = Tracker(
        country="FR", force_cpu_power_w=10.0, force_ram_power_w=1.0, mode="machine",
        output_dir=tmp_path, clock=clock, checkpoint_s=30.0, handle_signals=False,
    )  # fmt: skip
    tracker.start()
    journals = list((tmp_path / ".wattprint").glob("*.journal.json"))
    assert [j.name for j in journals] == [f"{tracker.run_id}.journal.json"]
    tracker.stop()
    assert not (tmp_path / ".wattprint").exists()  # removed with its last journal
