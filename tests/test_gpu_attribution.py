"""GPUs in a run: per-process shares in process mode, whole devices in machine mode.

Uses the trace-replaying NVML double of tests/fakes (V100 trace derived from the Zeus
recordings; pid 4242 at 60 % SM and pid 5151 at 20 % in the first 30 s).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.fake_nvml import FakeClock, FakeNvml

from wattprint.power.discovery import Discovery, ProbeContext, discover
from wattprint.power.gpu.nvidia import NvidiaSource, probe_nvidia
from wattprint.tracking.assemble import build_host, build_methodology
from wattprint.tracking.meter import Meter
from wattprint.tracking.process_tree import TreeSample

START_S = 1000.0


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


def _discovery(tmp_path: Path, clock: FakeClock) -> tuple[Discovery, NvidiaSource]:
    base = discover(ProbeContext(env={"WATTPRINT_RAPL_DIR": str(tmp_path)}, cache_dir=tmp_path))
    outcome = probe_nvidia({}, nvml=FakeNvml("v100", clock=clock), clock=clock,
                           wall_clock=clock, poll_interval_s=None)  # fmt: skip
    source = outcome.sources[0]
    assert isinstance(source, NvidiaSource)
    return Discovery(base.hardware, (*base.outcomes, outcome), (source,)), source


@pytest.mark.parametrize(("pids", "share"), [({4242}, 0.75), ({5151}, 0.25), (None, 1.0)])
def test_gpu_energy_is_the_tree_share_of_the_counter(
    tmp_path: Path, pids: set[int] | None, share: float
) -> None:
    clock = FakeClock(START_S)
    discovery, source = _discovery(tmp_path, clock)
    tree = RecordedTree(pids) if pids is not None else None
    meter = Meter(discovery, tree=tree, clock_s=0.0, wall_s=0.0)  # type: ignore[arg-type]
    counter_before = source.read().energy_j
    clock.now_s = START_S + 30.0
    totals = meter.sample(30.0, 30.0)
    counter_delta = source.read().energy_j - counter_before
    assert counter_delta > 0
    # 60 % and 20 % SM: pid 4242 has 60 / 80 = 0.75 of the GPU, pid 5151 0.25.
    assert totals.gpu_j == pytest.approx(counter_delta * share)
    methodology_rule = next(iter(meter.gpu_rules.values()), "")
    if pids is not None:
        assert "SM utilisation" in methodology_rule
    host = build_host(discovery)
    assert host.gpu_count == 1 and "V100" in host.gpu_model
    source.close()


def test_gpu_attribution_is_stated_in_the_methodology(tmp_path: Path) -> None:
    from wattprint.grid.plan import default_tables, plan_grid
    from wattprint.grid.timeline import IntensityTimeline
    from wattprint.settings.resolve import resolve_settings

    clock = FakeClock(START_S)
    discovery, source = _discovery(tmp_path, clock)
    meter = Meter(discovery, tree=RecordedTree({4242}), clock_s=0.0, wall_s=0.0)  # type: ignore[arg-type]
    clock.now_s = START_S + 10.0
    meter.sample(10.0, 10.0)
    settings = resolve_settings({"country": "FR", "save_to_file": False}, env={})
    plan = plan_grid(settings, env={})
    resolved = IntensityTimeline(plan, default_tables()).resolve([])
    m = build_methodology(discovery, mode="process", pid=1, plan=plan, resolved=resolved,
                          failures={}, gpu_rules=meter.gpu_rules)  # fmt: skip
    gpu = m.component("gpu")
    assert gpu is not None and gpu.measured and gpu.method == "nvml-energy"
    assert gpu.attribution.startswith("gpu-0:") and "SM utilisation" in gpu.attribution
    source.close()
