"""The tracker: start, sample in the background, stop, and hand out results.

This is the only stateful part of wattprint. It validates its settings when
made (so a bad value fails before anything is measured), finds the power
sources on first start, samples them every ``interval_s`` seconds in a light
daemon thread, and turns the attributed energy into a :class:`RunResult`
with its methodology. Tasks are named windows over the same totals, so they
may nest or overlap and the run is still counted once.

It is also the firewall: a failing source or output is logged once and the
run goes on; nothing raises into the user's code once tracking has started.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from types import TracebackType

from wattprint.errors import ConfigError, WattprintError
from wattprint.grid.plan import GridPlan, default_tables, plan_grid
from wattprint.grid.timeline import IntensityTimeline, live_for
from wattprint.power.discovery import Discovery
from wattprint.records.run_dict import run_to_dict
from wattprint.results import RunResult, Status, TaskResult
from wattprint.settings.parsers import add_units
from wattprint.settings.resolve import UNSET, Settings, Unset, resolve_settings
from wattprint.sinks.base import Sink, write_all
from wattprint.sinks.csv_file import CsvSink
from wattprint.tracking.assemble import FootprintFields, ResultBuilder
from wattprint.tracking.groups import RunGroup, detect_group, discover_for_run
from wattprint.tracking.lifecycle import RunSafety
from wattprint.tracking.meter import Meter, Totals, difference
from wattprint.tracking.process_tree import ProcessTree

logger = logging.getLogger("wattprint")


@dataclass(frozen=True, slots=True)
class _Open:
    """A window that has started: a task, or the run itself."""

    totals: Totals
    started_at: datetime


class Tracker:
    """Track the energy and emissions of a block of code or a process tree.

    Args:
        project: project name, for grouping runs.
        experiment: experiment name within the project.
        country: ISO 3166 alpha-3 or alpha-2 code of the grid (e.g. ``"FR"``);
            None uses the world average and warns.
        region: sub-national region (recorded; regional data comes later).
        interval_s: seconds between two samples. Units: s, 0.01 to 86400.
        checkpoint_s: seconds between two checkpoints of the run to its
            journal, from which a killed process's run is recovered. Units: s, 0.01 to 86400.
        mode: ``"process"`` charges the tracked process tree its share of the
            machine; ``"machine"`` counts the whole machine (any case).
        output_dir: directory of the CSV file; created when the row is written.
        output_file: CSV file name.
        save_to_file: write a row to the CSV file at stop.
        pue: power usage effectiveness of the facility (>= 1); default: the
            cloud provider's published figure, else 1.0.
        wue: on-site water per kWh of IT energy; default: the cloud's, else 0. Units: L/kWh.
        embodied_kg: manufacturing emissions of the whole machine, replacing
            the default per-component estimate. Units: kg CO2e.
        lifetime_years: the hardware's expected lifetime, for the embodied share.
        gpu_ids: GPUs to measure (indices or UUIDs); default ``CUDA_VISIBLE_DEVICES``, else all.
        force_cpu_power_w: use this constant CPU power instead of measuring. Units: W.
        force_ram_power_w: use this constant memory power. Units: W.
        force_intensity_g_per_kwh: use this grid intensity. Units: gCO2e/kWh.
        log_level: level of the ``wattprint`` logger (``"warning"`` ...).
        pid: root of the tracked process tree; defaults to this process.
        sinks: extra outputs, each given every finished run.
        env: environment mapping read by the probes (defaults to ``os.environ``).
        handle_signals: finish the run on SIGTERM and at interpreter exit
            (see :mod:`wattprint.tracking.lifecycle`); the CLI handles signals itself.

    Raises:
        ConfigError: an argument is not accepted.
    """

    def __init__(
        self,
        *,
        project: str | Unset = UNSET,
        experiment: str | Unset = UNSET,
        country: str | None | Unset = UNSET,
        region: str | None | Unset = UNSET,
        cloud: str | None | Unset = UNSET,
        cloud_provider: str | None | Unset = UNSET,
        cloud_region: str | None | Unset = UNSET,
        geoip: bool | Unset = UNSET,
        live_provider: str | None | Unset = UNSET,
        electricitymaps_token: str | None | Unset = UNSET,
        interval_s: float | Unset = UNSET,
        checkpoint_s: float | Unset = UNSET,
        mode: str | Unset = UNSET,
        output_dir: str | os.PathLike[str] | Unset = UNSET,
        output_file: str | Unset = UNSET,
        save_to_file: bool | Unset = UNSET,
        pue: float | None | Unset = UNSET,
        wue: float | None | Unset = UNSET,
        embodied_kg: float | None | Unset = UNSET,
        lifetime_years: float | Unset = UNSET,
        gpu_ids: Sequence[int | str] | str | None | Unset = UNSET,
        force_cpu_power_w: float | None | Unset = UNSET,
        force_ram_power_w: float | None | Unset = UNSET,
        force_intensity_g_per_kwh: float | None | Unset = UNSET,
        log_level: str | int | None | Unset = UNSET,
        pid: int | None = None,
        sinks: Sequence[Sink] = (),
        env: Mapping[str, str] | None = None,
        handle_signals: bool = True,
    ) -> None:
        self._env = env if env is not None else os.environ
        # UNSET ones come from env, files or defaults; a test checks this against the schema.
        given: dict[str, object] = dict(
            project=project, experiment=experiment, country=country, region=region,
            cloud=cloud, cloud_provider=cloud_provider, cloud_region=cloud_region, geoip=geoip,
            live_provider=live_provider, electricitymaps_token=electricitymaps_token,
            interval_s=interval_s, checkpoint_s=checkpoint_s, mode=mode, output_dir=output_dir,
            output_file=output_file, save_to_file=save_to_file, pue=pue, wue=wue,
            embodied_kg=embodied_kg, lifetime_years=lifetime_years, gpu_ids=gpu_ids,
            force_cpu_power_w=force_cpu_power_w, force_ram_power_w=force_ram_power_w,
            force_intensity_g_per_kwh=force_intensity_g_per_kwh, log_level=log_level,
        )  # fmt: skip
        self.settings: Settings = resolve_settings(given, env=self._env)
        if pid is not None and (isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0):
            raise ConfigError("pid", pid, "a positive process id")
        if self.settings.log_level is not None:
            logger.setLevel(self.settings.log_level)
        self.grid: GridPlan = plan_grid(self.settings, env=self._env)
        self._live = live_for(self.settings, self.grid.location, self._env)
        self._timeline = IntensityTimeline(self.grid, default_tables(), *self._live)
        self.pid = pid if pid is not None else os.getpid()
        self.group: RunGroup | None = detect_group(self._env)
        out: list[Sink] = []
        if self.settings.save_to_file:
            out.append(CsvSink(self.settings.output_dir / self.settings.output_file))
        self.sinks: tuple[Sink, ...] = (*out, *sinks)
        self._discovery: Discovery | None = None
        self._meter: Meter | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._run: _Open | None = None
        self._run_id = ""
        self._tasks: dict[str, _Open] = {}
        self._done_tasks: list[TaskResult] = []
        self._warned: set[str] = set()
        self._lock = threading.RLock()
        self.result: RunResult | None = None
        self.root_is_new = False
        self._units, self._unit = 0.0, ""
        self._safety = RunSafety(self._finish_on_exit, handle_signals=handle_signals)

    def _finish_on_exit(self, status: Status) -> None:
        """Stop the run from a signal handler or at exit; never raises."""
        try:
            if self._run is not None:
                self.stop(status)
        except Exception as err:  # at exit, an error must not hide the user's own
            logger.warning("wattprint: finishing the run at exit failed: %s", err)

    # -- lifecycle ---------------------------------------------------------

    @property
    def running(self) -> bool:
        """True between ``start()`` and ``stop()``."""
        return self._run is not None

    @property
    def run_id(self) -> str:
        """The current (or last) run's id."""
        return self._run_id

    @property
    def discovery(self) -> Discovery:
        """The power sources of this machine, probed on first use."""
        if self._discovery is None:
            self._discovery = discover_for_run(
                self.settings, self._env, self.group, counts_host=self.counts_host
            )
        return self._discovery

    @property
    def counts_host(self) -> bool:
        """False for ranks other than local rank 0 of a job, in machine mode."""
        if self.group is None or self.settings.mode != "machine":
            return True
        return self.group.measures_host

    def start(self) -> Tracker:
        """Start a new run (a stopped tracker starts a fresh one) and return self."""
        with self._lock:
            if self._run is not None:
                self._warn_once("start", "start() called on a running tracker; ignored")
                return self
            for message in self.grid.warnings:
                self._warn_once(message, message)
            self._run_id = str(uuid.uuid4())
            self._timeline = IntensityTimeline(self.grid, default_tables(), *self._live)
            self._done_tasks = []
            self._tasks = {}
            self._units, self._unit = 0.0, ""
            tree = None
            if self.settings.mode == "process":
                tree = ProcessTree(
                    self.pid,
                    rescan_s=self.settings.interval_s,
                    root_is_new=self.root_is_new,
                )
            self._meter = Meter(
                self.discovery, tree=tree, clock_s=time.monotonic(), wall_s=time.time()
            )
            self._run = _Open(self._meter.totals, _now())
            self._safety.begin(self._run_id, self.settings.output_dir, self.sinks)
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._loop, args=(self._stop, self._meter), name="wattprint", daemon=True
            )
            self._thread.start()
            return self

    def _loop(self, stop: threading.Event, meter: Meter) -> None:
        last_checkpoint = time.monotonic()
        while not stop.wait(self.settings.interval_s):
            try:
                meter.sample(time.monotonic(), time.time())
                if time.monotonic() - last_checkpoint >= self.settings.checkpoint_s:
                    last_checkpoint = time.monotonic()
                    self._checkpoint()
            except Exception as err:  # the sampler must never die or raise
                self._warn_once("sample", f"a sample failed ({err!r}); sampling goes on")

    def _checkpoint(self) -> None:
        """Write the run so far to its journal (skipped if the tracker is busy)."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            if self._run is not None and self._meter is not None:
                self._safety.checkpoint(
                    run_to_dict(self._run_result(self._meter.totals, "running"))
                )
        finally:
            self._lock.release()

    def _sample(self) -> Totals:
        if self._meter is None:
            raise WattprintError("the tracker is not running; call start() first")
        return self._meter.sample(time.monotonic(), time.time())

    def note_reaped_cpu(self, cpu_s: float) -> None:
        """Tell the tracker the exact CPU time of the reaped tree (from wait4). Units: s."""
        if self._meter is not None and self._meter.tree is not None:
            self._meter.tree.note_reaped_cpu(cpu_s)

    def flush(self) -> RunResult:
        """Return the run's figures so far, without stopping it (status ``running``)."""
        with self._lock:
            if self._run is None:
                raise WattprintError("flush() needs a running tracker; call start() first")
            return self._run_result(self._sample(), "running")

    def add_units(self, count: float, unit: str = "unit") -> None:
        """Count ``count`` functional units of work done (SCI's R), e.g. inferences.

        Raises:
            ConfigError: a negative count, or another unit than this run's.
        """
        with self._lock:
            self._units, self._unit = add_units(self._units, self._unit, count, unit)

    def stop(
        self, status: Status = "completed", *, units: float | None = None, unit: str = "unit"
    ) -> RunResult:
        """Stop the run, write it to the outputs, and return its result.

        Args:
            status: how the run ended.
            units: functional units done, added to those counted by ``add_units``.
            unit: their name.

        Raises:
            WattprintError: the tracker was never started.
        """
        if units is not None:
            self.add_units(units, unit)
        with self._lock:
            if self._run is None:
                if self.result is not None:
                    self._warn_once("stop", "stop() called on a stopped tracker")
                    return self.result
                raise WattprintError("stop() called before start()")
            self._stop.set()
            if self._thread is not None:
                self._thread.join()
            end = self._sample()
            for name in list(self._tasks):
                self._close_task(name, end)
            result = self._run_result(end, status)
            self._run = None
            self.result = result
            self._write(result)
            self._safety.end()
            return result

    def _write(self, result: RunResult) -> None:
        for name, err in write_all(self.sinks, result):
            self._warn_once(
                f"sink:{name}",
                f"writing the run to {name} failed ({err}); the result is still returned by stop()",
            )

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            logger.warning("wattprint: %s", message)

    def __enter__(self) -> Tracker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop("completed" if exc_type is None else "interrupted")

    # -- tasks -------------------------------------------------------------

    def start_task(self, name: str) -> None:
        """Open the task ``name`` (starting the run if needed).

        Raises:
            ConfigError: a task of that name is already open.
        """
        with self._lock:
            if self._run is None:
                self.start()
            if name in self._tasks:
                raise ConfigError("task", name, "a name not already in use by an open task")
            self._tasks[name] = _Open(self._sample(), _now())

    def stop_task(self, name: str) -> TaskResult:
        """Close the task ``name`` and return what it cost.

        Raises:
            ConfigError: no open task has that name.
        """
        with self._lock:
            if name not in self._tasks:
                open_names = ", ".join(repr(n) for n in self._tasks) or "none"
                raise ConfigError("task", name, f"the name of an open task ({open_names})")
            return self._close_task(name, self._sample())

    @contextmanager
    def task(self, name: str) -> Iterator[Tracker]:
        """Measure the block as the task ``name``: ``with tracker.task("epoch-1"):``."""
        self.start_task(name)
        try:
            yield self
        finally:
            if name in self._tasks:
                self.stop_task(name)

    def _close_task(self, name: str, end: Totals) -> TaskResult:
        opened = self._tasks.pop(name)
        fields = self._fields(difference(end, opened.totals), opened.started_at, "completed")
        task = TaskResult(name=name, **fields)
        self._done_tasks.append(task)
        return task

    # -- results -----------------------------------------------------------

    def _require_meter(self) -> Meter:
        if self._meter is None:
            raise WattprintError("the tracker has not been started")
        return self._meter

    def _results(self) -> ResultBuilder:
        return ResultBuilder(
            settings=self.settings,
            plan=self.grid,
            timeline=self._timeline,
            meter=self._require_meter(),
            pid=self.pid,
            run_id=self._run_id,
            group=self.group,
            counts_host=self.counts_host,
        )

    def _fields(self, diff: Totals, started_at: datetime, status: Status) -> FootprintFields:
        return self._results().fields(diff, started_at, status)

    def _run_result(self, end: Totals, status: Status) -> RunResult:
        if self._run is None:
            raise WattprintError("the tracker is not running")
        return self._results().run(
            difference(end, self._run.totals),
            self._run.started_at,
            status,
            tasks=tuple(self._done_tasks),
            units=(self._units, self._unit),
        )


def _now() -> datetime:
    return datetime.now(timezone.utc)
