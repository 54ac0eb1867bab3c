"""A run's cumulative totals at one sample, and the difference of two.

A task, or the run itself, is the difference between the totals at its
start and at its end. The hourly energy (for hourly grid intensities) is kept
so that a sample costs the same in a run's 720th hour as in its first: the
closed hours are a tuple shared from one totals to the next, and only the
newest hour changes.
"""

from __future__ import annotations

_Hours = tuple[tuple[int, float], ...]


class Totals:
    """Cumulative figures of a run at one sample (never changed once made).

    Attributes:
        monotonic_s: when the sample was taken. Units: s (monotonic clock).
        cpu_j: CPU energy attributed so far. Units: J, cumulative.
        gpu_j: GPU energy attributed so far. Units: J, cumulative.
        ram_j: memory energy attributed so far. Units: J, cumulative.
        busy_s: machine busy CPU time so far. Units: s, cumulative.
        cpu_total_s: machine CPU time (busy + idle) so far. Units: s, cumulative.
        ram_used_byte_s: memory charged, integrated over time. Units: byte x s.
        ram_machine_byte_s: machine memory in use, integrated. Units: byte x s.
        cpu_idle_unattributed_j: idle CPU energy not charged to the tree
            (process mode). Units: J, cumulative.
        hourly_j: attributed IT energy per UTC hour, as ``(hour start in epoch
            seconds, energy)`` pairs in time order. Units: J, cumulative.
    """

    __slots__ = (
        "monotonic_s", "cpu_j", "gpu_j", "ram_j", "busy_s", "cpu_total_s",
        "ram_used_byte_s", "ram_machine_byte_s", "cpu_idle_unattributed_j",
        "_closed", "_hour", "_hour_j",
    )  # fmt: skip

    def __init__(
        self,
        monotonic_s: float,
        cpu_j: float = 0.0,
        gpu_j: float = 0.0,
        ram_j: float = 0.0,
        busy_s: float = 0.0,
        cpu_total_s: float = 0.0,
        ram_used_byte_s: float = 0.0,
        ram_machine_byte_s: float = 0.0,
        hourly_j: _Hours = (),
        cpu_idle_unattributed_j: float = 0.0,
    ) -> None:
        self.monotonic_s = monotonic_s
        self.cpu_j = cpu_j
        self.gpu_j = gpu_j
        self.ram_j = ram_j
        self.busy_s = busy_s
        self.cpu_total_s = cpu_total_s
        self.ram_used_byte_s = ram_used_byte_s
        self.ram_machine_byte_s = ram_machine_byte_s
        self.cpu_idle_unattributed_j = cpu_idle_unattributed_j
        # The hours before the newest one are kept in a tuple shared by later
        # totals; only the newest hour changes from one sample to the next.
        self._closed: _Hours = hourly_j[:-1]
        self._hour, self._hour_j = hourly_j[-1] if hourly_j else (-1, 0.0)

    @property
    def hourly_j(self) -> _Hours:
        """Attributed IT energy per UTC hour, in time order. Units: J, cumulative."""
        if self._hour < 0:
            return self._closed
        return (*self._closed, (self._hour, self._hour_j))

    def with_hours(self, parts: dict[int, float]) -> tuple[_Hours, int, float]:
        """Return the hours of these totals plus ``parts`` (closed, newest hour, its energy)."""
        closed, hour, hour_j = self._closed, self._hour, self._hour_j
        for h, energy in sorted(parts.items()):
            if h == hour:
                hour_j += energy
            elif h > hour:
                if hour >= 0:
                    closed = (*closed, (hour, hour_j))
                hour, hour_j = h, energy
            else:  # the wall clock went back: rare, rebuilt
                merged = dict(closed)
                merged[h] = merged.get(h, 0.0) + energy
                closed = tuple(sorted(merged.items()))
        return closed, hour, hour_j

    def __repr__(self) -> str:
        return (
            f"Totals(monotonic_s={self.monotonic_s}, cpu_j={self.cpu_j}, "
            f"gpu_j={self.gpu_j}, ram_j={self.ram_j})"
        )


def split_by_hour(start_s: float, end_s: float, energy_j: float) -> dict[int, float]:
    """Spread ``energy_j`` evenly over [start_s, end_s] and cut it at UTC hours.

    Returns the energy per hour, keyed by the hour's start in epoch seconds.
    """
    if end_s <= start_s:
        return {int(end_s // 3600) * 3600: energy_j}
    hour = int(start_s // 3600) * 3600
    if end_s <= hour + 3600:
        return {hour: energy_j}
    parts: dict[int, float] = {}
    t = start_s
    while t < end_s:
        hour = int(t // 3600) * 3600
        upto = min(end_s, hour + 3600)
        parts[hour] = parts.get(hour, 0.0) + energy_j * (upto - t) / (end_s - start_s)
        t = upto
    return parts


def difference(end: Totals, start: Totals) -> Totals:
    """Return the figures accumulated between two samples (``end - start``).

    Two samples of the same hour share their closed hours: their difference
    then costs the same in a run's 720th hour as in its first.
    """
    return Totals(
        monotonic_s=end.monotonic_s - start.monotonic_s,
        cpu_j=end.cpu_j - start.cpu_j,
        gpu_j=end.gpu_j - start.gpu_j,
        ram_j=end.ram_j - start.ram_j,
        busy_s=end.busy_s - start.busy_s,
        cpu_total_s=end.cpu_total_s - start.cpu_total_s,
        ram_used_byte_s=end.ram_used_byte_s - start.ram_used_byte_s,
        ram_machine_byte_s=end.ram_machine_byte_s - start.ram_machine_byte_s,
        cpu_idle_unattributed_j=end.cpu_idle_unattributed_j - start.cpu_idle_unattributed_j,
        hourly_j=hours_between(end, start),
    )


def hours_between(end: Totals, start: Totals) -> _Hours:
    """Return the hourly energy gained from ``start`` to ``end`` (see :func:`difference`)."""
    if end._closed is start._closed and end._hour == start._hour:
        gained = end._hour_j - start._hour_j
        return ((end._hour, gained),) if end._hour >= 0 and gained > 0 else ()
    before = dict(start.hourly_j)
    return tuple(
        (hour, energy - before.get(hour, 0.0))
        for hour, energy in end.hourly_j
        if energy > before.get(hour, 0.0)
    )


MAX_POINTS = 240
"""Points of the power series kept for reports (more are averaged pairwise)."""


def add_point(
    series: list[tuple[float, float, float, float]],
    elapsed_s: float,
    dt: float,
    cpu_j: float,
    gpu_j: float,
    ram_j: float,
) -> list[tuple[float, float, float, float]]:
    """Add an interval's mean powers to ``series``; past MAX_POINTS, halve the resolution.

    Returns:
        ``series`` itself, or its halved copy.
    """
    cpu_w, gpu_w, ram_w = cpu_j / dt, gpu_j / dt, ram_j / dt
    series.append((
        elapsed_s, cpu_w if cpu_w > 0 else 0.0, gpu_w if gpu_w > 0 else 0.0,
        ram_w if ram_w > 0 else 0.0,
    ))  # fmt: skip
    if len(series) < 2 * MAX_POINTS:
        return series
    pairs = zip(series[::2], series[1::2], strict=False)
    return [(b[0], (a[1] + b[1]) / 2, (a[2] + b[2]) / 2, (a[3] + b[3]) / 2) for a, b in pairs]
