"""Cumulative hardware energy counters: wrap-around, resets and impossible jumps.

Written once for every counter wattprint reads (RAPL's ``energy_uj``, NVML's
total energy, amdsmi's accumulator). A counter is kept as integers in the
vendor's unit so that differences are exact. Every step is checked against
what the device can physically do: at most ``max_power_w`` over the elapsed
time plus a second of slack (counters update in steps, and the first read of
a run may follow the previous one by microseconds).

- A value outside ``0..max_raw`` is impossible: refused, nothing moves.
- A rise the device could not have drawn is refused: not counted, and the
  count goes on from the new value.
- A fall is a wrap when the counter wraps (``max_raw`` given, as RAPL's
  ``max_energy_range_uj``) and the wrapped difference is plausible for the
  elapsed time; otherwise it is a reset, counted on from the new value.
- A counter that does not wrap (NVML, amdsmi: 64 bits) and falls below half
  its last value was reset (a driver reload) and counts from zero: its new
  value is counted when plausible. A smaller step back (amdsmi has been seen to
  return one, ROCm/amdsmi issue 115) is ignored until the counter passes its
  highest value again, so nothing is counted twice.

Each refusal is returned as a note (for the methodology); the owner logs it.
"""

from __future__ import annotations

from wattprint._record import NamedTuple

__all__ = ["SLACK_S", "EnergyCounter", "Refusal"]


class Refusal(NamedTuple):
    """A reading a counter refused or treated specially.

    Attributes:
        kind: ``impossible``, ``jump``, ``reset`` or ``restart`` (counted from zero).
        text: what happened, with the values, for the methodology.
    """

    kind: str
    text: str


SLACK_S = 1.0
"""Time added to every interval before judging a step plausible. Units: s."""


class EnergyCounter:
    """Accumulate one cumulative counter, refusing what the device cannot do.

    Not thread-safe on its own: its owner serialises the updates.
    """

    __slots__ = ("label", "j_per_count", "max_power_w", "max_raw", "_last", "_last_s", "total")

    def __init__(
        self,
        *,
        label: str,
        first_raw: int,
        first_s: float,
        j_per_count: float,
        max_power_w: float,
        max_raw: int | None = None,
    ) -> None:
        """Take ``first_raw`` as the zero.

        Args:
            label: the device, for notes (e.g. ``package-0 (intel-rapl:0)``).
            first_raw: the counter's value now. Units: counts.
            first_s: when it was read (monotonic clock). Units: s.
            j_per_count: joules per count (1e-6 for RAPL's uJ). Units: J.
            max_power_w: the most the device can draw, margin included. Units: W.
            max_raw: the largest value of a counter that wraps to 0 after it;
                None for a counter that does not wrap.
        """
        self.label = label
        self.j_per_count = j_per_count
        self.max_power_w = max_power_w
        self.max_raw = max_raw
        self._last = first_raw
        self._last_s = first_s
        self.total = 0
        """Counts accumulated since the zero. Units: counts, cumulative."""

    @property
    def energy_j(self) -> float:
        """Energy since the zero. Units: J, cumulative."""
        return self.total * self.j_per_count

    def _plausible(self, counts: int, now_s: float) -> bool:
        elapsed_s = max(0.0, now_s - self._last_s)
        return counts * self.j_per_count <= self.max_power_w * (elapsed_s + SLACK_S)

    def _move(self, raw: int, now_s: float, counted: int) -> None:
        self.total += counted
        self._last = raw
        self._last_s = now_s

    def update(self, raw: int, now_s: float) -> Refusal | None:
        """Take a new raw value read at ``now_s``; return a note when it was refused.

        Args:
            raw: the counter now. Units: counts.
            now_s: when it was read (monotonic clock). Units: s.

        Returns:
            None when the step was counted (or waited on), else what was refused and why.
        """
        last, j = self._last, self.j_per_count
        if raw < 0 or (self.max_raw is not None and raw > self.max_raw):
            bound = f"0..{self.max_raw}" if self.max_raw is not None else ">= 0"
            text = f"{self.label}: impossible counter value {raw} (outside {bound}); not counted"
            return Refusal("impossible", text)
        elapsed_s = max(0.0, now_s - self._last_s)
        limit = f"{self.max_power_w:g} W over {elapsed_s:.3g} s"
        if raw >= last:
            if self._plausible(raw - last, now_s):
                self._move(raw, now_s, raw - last)
                return None
            self._move(raw, now_s, 0)
            return Refusal(
                "jump",
                f"{self.label}: counter jumped by {(raw - last) * j:.6g} J, more than {limit} "
                "allows; not counted, counting on from the new value",
            )
        if self.max_raw is not None:
            wrapped = self.max_raw + 1 - last + raw
            if self._plausible(wrapped, now_s):
                self._move(raw, now_s, wrapped)
                return None
            self._move(raw, now_s, 0)
            return Refusal(
                "reset",
                f"{self.label}: counter went back from {last} to {raw}, and a wrap would mean "
                f"{wrapped * j:.6g} J, more than {limit} allows: a reset; counting on from the "
                "new value",
            )
        if raw >= last // 2:
            return None  # read out of order: wait until the counter passes its highest value
        if self._plausible(raw, now_s):
            self._move(raw, now_s, raw)
            return Refusal(
                "restart",
                f"{self.label}: counter went back from {last} to {raw} (driver reloaded?); "
                "counted from zero",
            )
        self._move(raw, now_s, 0)
        return Refusal(
            "reset",
            f"{self.label}: counter went back from {last} to {raw} (a reset); counting on "
            "from the new value",
        )
