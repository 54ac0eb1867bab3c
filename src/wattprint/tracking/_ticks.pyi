"""Types of the optional C extension ``wattprint.tracking._ticks`` (see ``_ticks.c``)."""

from collections.abc import Sequence

DONE: int
RUNG: int
CHANGED: int

def gather(
    bell_fd: int,
    fds: Sequence[int],
    prev: Sequence[bytes | None],
    due_s: float,
    interval_s: float,
    max_ticks: int,
    until_s: float,
    watch_fd: int,
    watch_pid: int,
    moved: bool,
    /,
) -> tuple[
    list[tuple[float, float, tuple[bytes | None, ...]]], int, float, int, tuple[int, ...] | None
]: ...

def die_with_parent(signum: int, /) -> None: ...
