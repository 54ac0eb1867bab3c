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

import os
import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING

from wattprint._log import logger, set_level
from wattprint.errors import ConfigError, WattprintError
from wattprint.grid.plan import GridPlan, plan_grid
from wattprint.grid.request import live_for
from wattprint.settings.resolve import UNSET, Settings, Unset, resolve_settings
from wattprint.tracking.clock import Clock, SystemClock
from wattprint.tracking.grid_request import request_from
from wattprint.tracking.groups import RunGroup, detect_group
from wattprint.tracking.lifecycle import RunSafety
from wattprint.tracking.observers import Observer, Observers, RunStart
from wattprint.tracking.run_api import RunApi

if TYPE_CHECKING:  # what a run needs is loaded at its first start
    from wattprint.advice.prediction import Progress
    from wattprint.grid.timeline import IntensityTimeline
    from wattprint.power.discovery import Discovery
    from wattprint.results import RunResult, Status
    from wattprint.sinks.base import Sink
    from wattprint.tracking.active_run import ActiveRun
    from wattprint.tracking.assemble import ResultBuilder
    from wattprint.tracking.budgets import BudgetWatch, OnBudget
    from wattprint.tracking.cgroup import CgroupTree
    from wattprint.tracking.meter import Meter


class Tracker(RunApi):
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
        pue: power usage effectiveness (>= 1); default: the cloud's published figure, else 1.0.
        wue: on-site water per kWh of IT energy; default: the cloud's, else 0. Units: L/kWh.
        embodied_kg: the whole machine's embodied emissions (default: by part). Units: kg CO2e.
        lifetime_years: the hardware's expected lifetime, for the embodied share.
        gpu_ids: GPUs to measure (indices or UUIDs); default ``CUDA_VISIBLE_DEVICES``, else all.
        gpu_attribution: ``"process"`` (per-process GPU data; whole in a container) or ``"whole"``.
        force_cpu_power_w: use this constant CPU power instead of measuring. Units: W.
        force_ram_power_w: use this constant memory power. Units: W.
        force_intensity_g_per_kwh: use this grid intensity. Units: gCO2e/kWh.
        log_level: level of the ``wattprint`` logger (``"warning"`` ...).
        server_url: a wattprint server to send the run to (``wattprint serve``).
        server_token: a project token with write access to it.
        budget_kwh: energy budget, warned at 80 % and 100 %. Units: kWh.
        budget_kg: carbon budget, likewise. Units: kg CO2e.
        on_budget: at 100 %: ``"warn"``, ``"stop"`` (:class:`~wattprint.BudgetExceeded`
            at the next task boundary) or a callable ``(budget, value)``.
        pid: root of the tracked process tree; defaults to this process.
        sinks: extra outputs, each given every finished run.
        env: environment mapping read by the probes (defaults to ``os.environ``).
        handle_signals: finish the run on SIGTERM and at interpreter exit
            (see :mod:`wattprint.tracking.lifecycle`); the CLI handles signals itself.
        observers: told of the run's start, checkpoints, tasks and end
            (:class:`~wattprint.tracking.observers.Observer`); sinks are observers too.
        clock: the monotonic and wall clocks (tests pass a fake one).
        discovery: the power sources to read, instead of probing this machine.
        grid_plan: the place, intensity, PUE and water to use, instead of
            working them out from the settings.

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
        gpu_attribution: str | Unset = UNSET,
        force_cpu_power_w: float | None | Unset = UNSET,
        force_ram_power_w: float | None | Unset = UNSET,
        force_intensity_g_per_kwh: float | None | Unset = UNSET,
        server_url: str | None | Unset = UNSET, server_token: str | None | Unset = UNSET,
        budget_kwh: float | None | Unset = UNSET, budget_kg: float | None | Unset = UNSET,
        on_budget: OnBudget | Unset = UNSET,
        log_level: str | int | None | Unset = UNSET,
        pid: int | None = None,
        sinks: Sequence[Sink] = (),
        env: Mapping[str, str] | None = None,
        handle_signals: bool = True,
        observers: Sequence[Observer] = (),
        clock: Clock | None = None,
        discovery: Discovery | None = None,
        grid_plan: GridPlan | None = None,
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
            gpu_attribution=gpu_attribution, force_cpu_power_w=force_cpu_power_w,
            force_ram_power_w=force_ram_power_w, log_level=log_level,
            force_intensity_g_per_kwh=force_intensity_g_per_kwh,
            server_url=server_url, server_token=server_token, budget_kwh=budget_kwh,
            budget_kg=budget_kg, on_budget=on_budget,
        )  # fmt: skip
        self.settings: Settings = resolve_settings(given, env=self._env)
        if pid is not None and (isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0):
            raise ConfigError("pid", pid, "a positive process id")
        if self.settings.log_level is not None:
            set_level(self.settings.log_level)
        request = request_from(self.settings)
        plan = grid_plan if grid_plan is not None else plan_grid(request, env=self._env)
        self.grid: GridPlan = plan
        self._live = live_for(request, self.grid.location, self._env)
        self.pid = pid if pid is not None else os.getpid()
        self._root_is_new = False
        self._cgroup_tree: CgroupTree | None = None
        self.group: RunGroup | None = detect_group(self._env)
        self.clock: Clock = clock if clock is not None else SystemClock()
        out: list[Sink] = []
        if self.settings.server_url:
            from wattprint.sinks.server import server_sinks

            out += server_sinks(self.settings)
        if self.settings.save_to_file:
            from wattprint.sinks.csv_file import CsvSink

            out.append(CsvSink(self.settings.output_dir / self.settings.output_file))
        self._observers = Observers([*out, *sinks, *observers])
        self._discovery: Discovery | None = discovery
        self._active: ActiveRun | None = None
        self._budgets: BudgetWatch | None = None
        self._progress: list[Progress] = []
        self._notes: list[str] = []
        self._run_id = ""
        self._warned: set[str] = set()
        self._lock = threading.RLock()
        self.result: RunResult | None = None
        self._safety = RunSafety(self._finish_on_exit, handle_signals=handle_signals)

    def _finish_on_exit(self, status: Status) -> None:
        """Stop the run from a signal handler or at exit; never raises."""
        try:
            if self._active is not None:
                self.stop(status)
        except Exception as err:  # at exit, an error must not hide the user's own
            logger.warning("wattprint: finishing the run at exit failed: %s", err)

    # -- lifecycle ---------------------------------------------------------

    @property
    def running(self) -> bool:
        """True between ``start()`` and ``stop()``."""
        return self._active is not None

    @property
    def run_id(self) -> str:
        """The current (or last) run's id."""
        return self._run_id

    @property
    def sinks(self) -> tuple[object, ...]:
        """The outputs and observers, in the order they are told."""
        return self._observers.sinks

    def add_observer(self, observer: Observer | Sink) -> None:
        """Tell ``observer`` of this tracker's runs from now on (a running run's end too).

        Raises:
            ConfigError: ``observer`` is neither an observer nor a sink.
        """
        with self._lock:
            added = self._observers.add(observer)
            if self._active is not None:
                Observers([added]).start(self._start_info(self._active))

    @property
    def discovery(self) -> Discovery:
        """The power sources of this machine, probed on first use."""
        if self._discovery is None:
            from wattprint.tracking.groups import discover_for_run

            self._discovery = discover_for_run(
                self.settings,
                self._env,
                self.group,
                counts_host=self.counts_host,
                clock=self.clock.monotonic_s,
            )
        return self._discovery

    @property
    def counts_host(self) -> bool:
        """False for ranks other than local rank 0 of a job, in machine mode."""
        if self.group is None or self.settings.mode != "machine":
            return True
        return self.group.measures_host

    def _follow(self, pid: int, *, root_is_new: bool, cgroup: CgroupTree | None = None) -> None:
        """Track the tree of ``pid`` (or its cgroup) from the next start (``wattprint run``)."""
        self.pid, self._root_is_new, self._cgroup_tree = pid, root_is_new, cgroup

    def start(self) -> Tracker:
        """Start a new run (a stopped tracker starts a fresh one) and return self."""
        from wattprint.tracking.active_run import begin_run
        from wattprint.tracking.budgets import budget_watch
        from wattprint.tracking.process_tree import ProcessTree

        with self._lock:
            if self._active is not None:
                self._warn_once("start", "start() called on a running tracker; ignored")
                return self
            for message in self.grid.warnings:
                self._warn_once(message, message)
            tree = None
            if self.settings.mode == "process":
                tree = self._cgroup_tree or ProcessTree(self.pid, root_is_new=self._root_is_new)
            active = self._active = begin_run(
                self.discovery, tree, self.clock, builder=self._builder, plan=self.grid,
                live=self._live, interval_s=self.settings.interval_s,
                checkpoint_s=self.settings.checkpoint_s, on_checkpoint=self._checkpoint,
                wants_checkpoint=self._wants_checkpoint,
            )  # fmt: skip
            self._run_id = active.run_id
            self._progress = []
            self._budgets = budget_watch(self.settings)
            self._safety.begin(active.run_id, self.settings.output_dir, self.sinks)
            if self._safety.journaling:
                # Journaled at once: a run killed before its first checkpoint is recovered too.
                from wattprint.records.run_dict import run_to_dict

                first = run_to_dict(active.result(active.window.totals, "running"))
                self._safety.checkpoint(first, run_id=active.run_id)
            self._observers.start(self._start_info(active))
            return self

    def _start_info(self, active: ActiveRun) -> RunStart:
        group = self.group
        return active.start_info(
            project=self.settings.project, experiment=self.settings.experiment,
            mode=self.settings.mode, pid=self.pid,
            group_id=group.group_id if group is not None else "",
            rank=group.rank if group is not None else None,
        )

    def _wants_checkpoint(self) -> bool:
        """Whether a checkpoint would write anything (a journal, an observer)."""
        return self._safety.journaling or self._observers.want_checkpoints

    def _checkpoint(self, active: ActiveRun) -> None:
        """Journal ``active`` so far and tell the observers (in the sampling thread).

        Takes no tracker lock, so a checkpoint is never skipped because the
        program is busy in a task; a run that has ended is left alone.
        """
        if not self._wants_checkpoint():
            return  # nothing would be written: build nothing
        if self._active is not active:
            return
        from wattprint.records.run_dict import run_to_dict

        interim = active.result(active.sampler.latest, "running")
        self._safety.checkpoint(run_to_dict(interim), run_id=active.run_id)
        if self._active is active:
            self._observers.checkpoint(interim)

    def _require_active(self, what: str) -> ActiveRun:
        if self._active is None:
            raise WattprintError(f"{what} needs a running tracker; call start() first")
        return self._active

    def note_reaped_cpu(self, cpu_s: float) -> None:
        """Tell the tracker the exact CPU time of the reaped tree (from wait4). Units: s."""
        if self._active is not None and self._active.meter.tree is not None:
            self._active.meter.tree.note_reaped_cpu(cpu_s)

    def flush(self) -> RunResult:
        """Return the run's figures so far, without stopping it (status ``running``)."""
        with self._lock:
            active = self._require_active("flush()")
            return active.result(active.sample(), "running")

    def add_units(self, count: float, unit: str = "unit") -> None:
        """Count ``count`` functional units of work done (SCI's R), e.g. inferences.

        Raises:
            ConfigError: a negative count, or another unit than this run's.
        """
        with self._lock:
            self._require_active("add_units()").add_units(count, unit)

    def stop(
        self, status: Status = "completed", *, units: float | None = None, unit: str = "unit"
    ) -> RunResult:
        """Stop the run, write it to the outputs, and return its result.

        Returns in bounded time whatever a sensor does: a reading that does
        not come back in a few seconds is abandoned and noted.

        Args:
            status: how the run ended.
            units: functional units done, added to those counted by ``add_units``.
            unit: their name.

        Raises:
            WattprintError: the tracker was never started.
        """
        with self._lock:
            active = self._active
            if active is None:
                if self.result is not None:
                    self._warn_once("stop", "stop() called on a stopped tracker")
                    return self.result
                raise WattprintError("stop() called before start()")
            if units is not None:
                active.add_units(units, unit)
            if self._budgets is not None and self._budgets.stop_requested and status in (
                "completed", "interrupted"
            ):
                status = "budget_exceeded"  # stopped by its budget: the row says so
            end = active.sampler.stop()
            for name in active.tasks.names():
                self._observers.task_end(active.close_task(name, end))
            result = active.result(end, status)
            if self._notes:
                from wattprint._record import replace

                notes = (*result.methodology.notes, *self._notes)
                result = replace(result, methodology=replace(result.methodology, notes=notes))
            self._active = None
            self.result = result
            for name, err in self._observers.stop(result):
                self._warn_once(
                    f"sink:{name}",
                    f"writing the run to {name} failed ({err}); "
                    "the result is still returned by stop()",
                )
            self._safety.end()
            return result

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

    def _builder(self, run_id: str, meter: Meter, timeline: IntensityTimeline) -> ResultBuilder:
        from wattprint.tracking.active_run import now_utc
        from wattprint.tracking.assemble import ResultBuilder

        return ResultBuilder(
            settings=self.settings, plan=self.grid, timeline=timeline, meter=meter, pid=self.pid,
            run_id=run_id, group=self.group, counts_host=self.counts_host,
            now=lambda: now_utc(self.clock),
        )  # fmt: skip
