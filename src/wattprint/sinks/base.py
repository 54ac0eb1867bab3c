"""What outputs implement: the observer protocol, and the sink (one method for a finished run).

An observer hears a run's start, checkpoints, tasks and end; the tracker
tells every observer through :class:`wattprint.tracking.observers.Observers`,
which never lets one raise into the user's program. A :class:`Sink` is the
simplest output: it only takes the finished run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from wattprint._record import record

if TYPE_CHECKING:
    from datetime import datetime

    from wattprint.results import RunResult, TaskResult


@runtime_checkable
class Sink(Protocol):
    """Something that takes finished runs (a file, a logger, a service)."""

    name: str

    def write(self, result: RunResult) -> None:
        """Record ``result``; raise ``OSError`` or ``WattprintError`` on failure."""
        ...


@record(frozen=True, slots=True)
class RunStart:
    """What is known of a run when it starts.

    Attributes:
        run_id: the run's id (a UUID), the same as its result's.
        project: the project name.
        experiment: the experiment name.
        started_at: when it started (UTC).
        mode: ``process`` or ``machine``.
        pid: the root of the tracked process tree (process mode).
        group_id: the run group of a multi-process job, or "".
        rank: this process's rank in the group, or None.
    """

    run_id: str
    project: str
    experiment: str
    started_at: datetime
    mode: str
    pid: int
    group_id: str = ""
    rank: int | None = None


@runtime_checkable
class Observer(Protocol):
    """Something told of a run's start, checkpoints, tasks and end."""

    name: str

    def on_start(self, run: RunStart) -> None:
        """Hear that a run started."""
        ...

    def on_checkpoint(self, interim: RunResult) -> None:
        """Hear the run's figures so far (status ``running``), at each checkpoint."""
        ...

    def on_task_end(self, task: TaskResult) -> None:
        """Hear of a task that ended."""
        ...

    def on_stop(self, result: RunResult) -> None:
        """Hear the finished run; raise ``OSError`` or ``WattprintError`` on failure."""
        ...
