"""One run in progress: its meter and sampling thread, its tasks, and its results.

A :class:`~wattprint.tracking.tracker.Tracker` makes an :class:`ActiveRun`
at ``start()`` and drops it at ``stop()``; everything that lives exactly as
long as one run is kept here, so a stopped tracker starts afresh.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from wattprint.grid.timeline import IntensityTimeline
from wattprint.settings.parsers import add_units
from wattprint.tracking.clock import Clock
from wattprint.tracking.meter import Meter, Totals, difference
from wattprint.tracking.observers import Observers, RunStart
from wattprint.tracking.sampler import Sampler
from wattprint.tracking.tasks import Tasks, Window, pack_ended, unpack_ended

if TYPE_CHECKING:  # the result's machinery loads with the first result (or journal)
    from wattprint.grid.live.base import LiveProvider
    from wattprint.grid.plan import GridPlan
    from wattprint.power.discovery import Discovery
    from wattprint.results import RunResult, Status, TaskResult
    from wattprint.tracking.assemble import ResultBuilder
    from wattprint.tracking.cgroup import CgroupTree
    from wattprint.tracking.process_tree import ProcessTree


def _uuid4() -> str:
    """Return a random (version 4) UUID string, without importing ``uuid``."""
    b = bytearray(os.urandom(16))
    b[6], b[8] = (b[6] & 0x0F) | 0x40, (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def begin_run(
    discovery: Discovery,
    tree: ProcessTree | CgroupTree | None,
    clock: Clock,
    *,
    builder: Callable[[str, Meter, IntensityTimeline], ResultBuilder],
    plan: GridPlan,
    live: tuple[LiveProvider | None, str | None],
    interval_s: float,
    checkpoint_s: float,
    on_checkpoint: Callable[[ActiveRun], None],
    wants_checkpoint: Callable[[], bool] | None = None,
) -> ActiveRun:
    """Make a run's meter over ``discovery`` and ``tree`` (None: the machine) and start it.

    Args:
        discovery: the power sources.
        tree: the tracked process tree or cgroup, or None in machine mode.
        clock: the clocks.
        builder: makes the run's :class:`ResultBuilder` (see :class:`ActiveRun`).
        plan: the place and its grid figures.
        live: the live intensity provider and its zone, or (None, None).
        interval_s: time between samples. Units: s.
        checkpoint_s: time between checkpoints. Units: s.
        on_checkpoint: called with the run in the sampling thread when a checkpoint is due.
        wants_checkpoint: whether a checkpoint would write anything now (default: always).
    """
    from wattprint.grid.tables import default_tables

    meter = Meter(
        discovery, tree=tree, clock_s=clock.monotonic_s(), wall_s=clock.wall_s(),
        defer_baseline=True,
    )  # fmt: skip
    return ActiveRun(
        meter,
        clock,
        builder=builder,
        timeline=IntensityTimeline(plan, default_tables(), *live),
        interval_s=interval_s,
        checkpoint_s=checkpoint_s,
        on_checkpoint=on_checkpoint,
        wants_checkpoint=wants_checkpoint,
    )


def now_utc(clock: Clock) -> datetime:
    """Return the clock's wall time as an aware UTC datetime."""
    return datetime.fromtimestamp(clock.wall_s(), timezone.utc)


class ActiveRun:
    """The state of one run, from its start to its end.

    Args:
        meter: the meter, its baseline not taken yet.
        clock: the clocks.
        timeline: the run's intensity timeline.
        builder: makes a :class:`ResultBuilder` for this run's id and meter.
        interval_s: time between samples. Units: s.
        checkpoint_s: time between checkpoints. Units: s.
        on_checkpoint: called with this run in the sampling thread when a checkpoint is due.
    """

    def __init__(
        self,
        meter: Meter,
        clock: Clock,
        *,
        builder: Callable[[str, Meter, IntensityTimeline], ResultBuilder],
        timeline: IntensityTimeline,
        interval_s: float,
        checkpoint_s: float,
        on_checkpoint: Callable[[ActiveRun], None],
        wants_checkpoint: Callable[[], bool] | None = None,
    ) -> None:
        self.run_id = _uuid4()
        self.meter = meter
        self.clock = clock
        self.timeline = timeline
        self._builder = builder
        self.tasks = Tasks()
        self.units, self.unit = 0.0, ""
        self.sampler = Sampler(
            meter,
            clock,
            interval_s=interval_s,
            checkpoint_s=checkpoint_s,
            on_checkpoint=lambda: on_checkpoint(self),
            wants_checkpoint=wants_checkpoint,
        )
        self.window = Window(self.sampler.start(), clock.wall_s())

    @property
    def started_at(self) -> datetime:
        """When the run started (UTC)."""
        return datetime.fromtimestamp(self.window.started_wall_s, timezone.utc)

    def sample(self) -> Totals:
        """Take a sample now (bounded in time) and return the run's totals."""
        return self.sampler.sample()

    def reading(self) -> Totals:
        """Take a task's reading now, in this thread where no source can hang (bounded)."""
        meter = self.meter
        if meter.inline_safe and meter.has_baseline:
            totals = meter.sample(self.clock.monotonic_s(), self.clock.wall_s())
            if totals is not None:
                return totals
        return self.sampler.sample()

    def add_units(self, count: object, unit: object) -> None:
        """Count functional units (see :meth:`Tracker.add_units`).

        Raises:
            ConfigError: a negative count, or another unit than this run's.
        """
        self.units, self.unit = add_units(self.units, self.unit, count, unit)

    def results(self) -> ResultBuilder:
        """Return the builder of this run's results."""
        return self._builder(self.run_id, self.meter, self.timeline)

    def result(self, end: Totals, status: Status) -> RunResult:
        """Return the run's result at ``end`` with ``status``."""
        return self.results().run(
            difference(end, self.window.totals),
            self.started_at,
            status,
            tasks=self.task_results(),
            units=(self.units, self.unit),
        )

    def open_task(self, name: str, at: Totals | None = None) -> None:
        """Open the task ``name`` at the reading ``at`` (default: a reading now).

        Raises:
            ConfigError: a task of that name is already open.
        """
        self.tasks.check_new(name)
        self.tasks.open(name, Window(at or self.reading(), self.clock.wall_s()))

    def end_task(self, name: str, end: Totals, observers: Observers | None = None) -> None:
        """Close the task ``name`` at ``end``, keeping only what its two readings measured.

        Its result is built now only if an observer listens to task ends.
        """
        opened = self.tasks.close(name)
        self.tasks.done.append((name, pack_ended(opened, end)))
        if observers is not None and observers.want_checkpoints:
            observers.task_end(self.task_result(len(self.tasks.done) - 1))

    def close_task(self, name: str, end: Totals) -> TaskResult:
        """Close the task ``name`` at ``end`` and return what it cost."""
        self.end_task(name, end)
        return self.task_result(len(self.tasks.done) - 1)

    def task_result(self, index: int) -> TaskResult:
        """Return the result of the finished task at ``index``, built now if not yet."""
        done = self.tasks.done[index]
        if not isinstance(done, tuple):
            return done  # built already
        from wattprint.results import TaskResult
        from wattprint.tracking.assemble import footprint_kwargs

        name, packed = done
        started_wall_s, diff = unpack_ended(packed)
        started = datetime.fromtimestamp(started_wall_s, timezone.utc)
        footprint = self.results().fields(diff, started, "completed")
        task = self.tasks.done[index] = TaskResult(name=name, **footprint_kwargs(footprint))
        return task

    def task_results(self) -> tuple[TaskResult, ...]:
        """Return every finished task's result (built on first use)."""
        return tuple(self.task_result(i) for i in range(len(self.tasks.done)))

    def start_info(self, *, project: str, experiment: str, mode: str, pid: int,
                   group_id: str, rank: int | None) -> RunStart:
        """Return what observers are told at the start."""
        return RunStart(
            run_id=self.run_id,
            project=project,
            experiment=experiment,
            started_at=self.started_at,
            mode=mode,
            pid=pid,
            group_id=group_id,
            rank=rank,
        )
