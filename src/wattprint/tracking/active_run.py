"""One run in progress: its meter and sampling thread, its tasks, and its results.

A :class:`~wattprint.tracking.tracker.Tracker` makes an :class:`ActiveRun`
at ``start()`` and drops it at ``stop()``; everything that lives exactly as
long as one run is kept here, so a stopped tracker starts afresh.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from wattprint.grid.timeline import IntensityTimeline
from wattprint.results import RunResult, Status, TaskResult
from wattprint.settings.parsers import add_units
from wattprint.tracking.assemble import ResultBuilder, footprint_kwargs
from wattprint.tracking.clock import Clock
from wattprint.tracking.meter import Meter, Totals, difference
from wattprint.tracking.observers import RunStart
from wattprint.tracking.sampler import Sampler
from wattprint.tracking.tasks import Tasks, Window


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
    ) -> None:
        self.run_id = str(uuid.uuid4())
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
        )
        self.window = Window(self.sampler.start(), now_utc(clock))

    def sample(self) -> Totals:
        """Take a sample now (bounded in time) and return the run's totals."""
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
            self.window.started_at,
            status,
            tasks=tuple(self.tasks.done),
            units=(self.units, self.unit),
        )

    def open_task(self, name: str) -> None:
        """Open the task ``name`` now.

        Raises:
            ConfigError: a task of that name is already open.
        """
        self.tasks.check_new(name)
        self.tasks.open(name, Window(self.sample(), now_utc(self.clock)))

    def close_task(self, name: str, end: Totals) -> TaskResult:
        """Close the task ``name`` at ``end`` and return what it cost."""
        opened = self.tasks.close(name)
        diff = difference(end, opened.totals)
        footprint = self.results().fields(diff, opened.started_at, "completed")
        task = TaskResult(name=name, **footprint_kwargs(footprint))
        self.tasks.done.append(task)
        return task

    def start_info(self, *, project: str, experiment: str, mode: str, pid: int,
                   group_id: str, rank: int | None) -> RunStart:
        """Return what observers are told at the start."""
        return RunStart(
            run_id=self.run_id,
            project=project,
            experiment=experiment,
            started_at=self.window.started_at,
            mode=mode,
            pid=pid,
            group_id=group_id,
            rank=rank,
        )
