"""One source for the GPUs of a vendor: counters where they exist, else polled power.

Shared by every vendor backend. A GPU with an energy counter (NVML
``nvmlDeviceGetTotalEnergyConsumption`` on Volta and newer, amdsmi
``amdsmi_get_energy_count``) is read at each ``read()`` and accumulated by an
:class:`~wattprint.power.counter.EnergyCounter` (exact integers, resets,
impossible jumps refused). A GPU with only a power sensor is sampled by a
:class:`~wattprint.power.gpu.poll.PowerPoller` (10 Hz by default) and
integrated with the trapezoid rule; a power reading that is negative, not a
number or beyond the GPU's bound is refused (the neighbouring samples then
bridge the gap).

A counter moves in steps: NVML's total energy is updated about every 100 ms
on many boards, so over a window of a few updates its difference is mostly
quantisation. A window between two reads shorter than
:data:`SHORT_WINDOW_S` (three updates) is therefore counted from the power
read at both ends (trapezoid rule) instead, where the GPU's power can be
read; the counter counts every longer window. Each window is counted once,
by one or the other, so the total stays the counter's over long runs.

A channel's ``fraction`` scales what it reports: a MIG device is charged its
slices' share of the board's energy (see :mod:`.mig`).

Failure is per device: a GPU whose calls fail is dropped (its energy stays at
what it had counted, the reason is noted and logged once) while the others
go on. Only when every GPU is dropped does ``read()`` raise
:class:`~wattprint.errors.SourceUnavailableError`. A failed device is never
reported as zero.

Per-process shares are asked of each GPU's share reader; whatever it raises
costs only that GPU's share, which falls back to charging the GPU in full.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TypeVar

from wattprint.errors import ConfigError, SourceUnavailableError
from wattprint.power.base import Component, DeviceEnergy, Reading
from wattprint.power.counter import EnergyCounter
from wattprint.power.gpu import select as sel
from wattprint.power.gpu.poll import DEFAULT_POLL_INTERVAL_S, PowerPoller
from wattprint.power.notes import SourceNotes

__all__ = ["GpuChannel", "GpuEnergySource"]

SHORT_WINDOW_S = 0.3
"""Windows between two reads shorter than this use polled power, not the counter. Units: s."""

_CLOSE_WAIT_S = 1.0  # close() waits this long for a read in progress, then abandons it
_DEFAULT_BOUND_W = 5000.0  # power no single GPU board draws
_T = TypeVar("_T", int, float)


@dataclass(frozen=True, slots=True)
class GpuChannel:
    """How to read one GPU.

    Exactly one of ``read_counter`` and ``read_power_w`` is set.

    Attributes:
        label: the device label in readings, e.g. ``gpu-0``.
        about: what the device is, for messages, e.g. ``NVIDIA A100 (GPU-...)``.
        method: ``nvml-energy``, ``nvml-power-polling``, ``amdsmi-energy``, ...
        read_counter: returns the raw cumulative counter, an integer count of
            ``j_per_count`` joules.
        j_per_count: joules per counter unit (1e-3 for NVML's mJ). Units: J.
        read_power_w: returns the current power. Units: W.
        note: more to say in the methodology (MIG, counter resolution...).
        model: the product name (for the host's GPU model).
        max_power_w: readings beyond this power are refused. Units: W.
        read_share: returns the tracked pids' share of the GPU and the rule;
            None when the vendor cannot tell (the GPU is charged in full).
        call: the library call behind the reading, for messages.
        fraction: the share (0..1] of the device's energy reported (a MIG
            slice's share of its board; 1 for a whole GPU).
        short_power_w: for a counter channel, returns the power now, used for
            windows shorter than :data:`SHORT_WINDOW_S`. Units: W.
    """

    label: str
    about: str
    method: str
    read_counter: Callable[[], int] | None = None
    j_per_count: float = 1.0
    read_power_w: Callable[[], float] | None = None
    note: str = ""
    model: str = ""
    max_power_w: float = _DEFAULT_BOUND_W
    read_share: Callable[[Collection[int]], tuple[float, str]] | None = None
    call: str = "read"
    fraction: float = 1.0
    short_power_w: Callable[[], float] | None = None


def _repr_error(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


class GpuEnergySource:
    """Cumulative energy of GPUs, from counters where they exist, else polled power.

    Attributes:
        name: e.g. ``nvidia-gpu``.
        component: always ``gpu``.
        method: the devices' method, or both joined by ``+`` when they differ.
        measured: always True (a counter or the board's power sensor).
    """

    component: Component = "gpu"
    measured = True

    def __init__(
        self,
        *,
        name: str,
        channels: Sequence[GpuChannel],
        clock: Callable[[], float] = time.monotonic,
        poll_interval_s: float | None = DEFAULT_POLL_INTERVAL_S,
        on_close: Callable[[], None] | None = None,
        describe_error: Callable[[BaseException], str] = _repr_error,
    ) -> None:
        """Take every device's current value as the zero; start polling if needed.

        Args:
            name: the source's stable name.
            channels: how to read each device, in reading order.
            clock: monotonic clock for readings and power samples. Units: s.
            poll_interval_s: time between power samples of the polling thread;
                None takes power samples only at each ``read()``. Units: s.
            on_close: called once by ``close()`` (e.g. to shut the library down).
            describe_error: describes what a channel's call raised, on one line.

        Raises:
            ConfigError: ``channels`` is empty, or ``poll_interval_s`` is not positive.
            SourceUnavailableError: a device could not be read.
        """
        if not channels:
            raise ConfigError("channels", (), "at least one GPU")
        self.name = name
        self._channels = tuple(channels)
        self._clock = clock
        self._on_close = on_close
        self._why = describe_error
        self._lock = threading.Lock()
        self._closed = False
        self._notes = SourceNotes(name)
        self._dropped: dict[int, str] = {}
        if any((c.read_counter is None) == (c.read_power_w is None) for c in self._channels):
            raise ConfigError("channels", self.labels, "each with a counter or a power reader")
        self.method = "+".join(dict.fromkeys(c.method for c in self._channels))
        first_s = clock()
        self._counters: dict[int, EnergyCounter] = {}
        for i, c in enumerate(self._channels):
            if c.read_counter is not None:
                self._counters[i] = EnergyCounter(
                    label=c.label,
                    first_raw=self._call(i, c.read_counter, raise_it=True),
                    first_s=first_s,
                    j_per_count=c.j_per_count,
                    max_power_w=c.max_power_w,
                )
        self._energy_j = [0.0] * len(self._channels)
        self._last_power: dict[int, tuple[float, float]] = {}
        self._short_windows = [0] * len(self._channels)
        for i in self._counters:
            self._sample_short_power(i, first_s)
        self._polled = [i for i, c in enumerate(self._channels) if c.read_power_w is not None]
        self._poller: PowerPoller | None = None
        if self._polled:
            for i in self._polled:  # the first sample must work: raise as before
                self._call(i, self._power_reader(i), raise_it=True)
            self._poller = PowerPoller(
                name=name,
                read_power_w=self._sample_powers,
                n_devices=len(self._polled),
                interval_s=poll_interval_s,
                clock=clock,
            )

    # ------------------------------------------------------------ device calls

    def _power_reader(self, i: int) -> Callable[[], float]:
        read = self._channels[i].read_power_w
        assert read is not None  # noqa: S101  (only polled channels are asked)
        return read

    def _call(self, i: int, read: Callable[[], _T], *, raise_it: bool = False) -> _T:
        """Call a channel; on any failure drop the device (or raise while opening)."""
        c = self._channels[i]
        try:
            return read()
        except Exception as err:  # a vendor library may raise anything: drop this device only
            why = f"{c.label} {c.about}: {c.call} failed: {self._why(err)}"
            if raise_it:
                raise SourceUnavailableError(self.name, why) from err
            self._drop(i, why)
            raise SourceUnavailableError(self.name, why) from err

    def _drop(self, i: int, why: str) -> None:
        if i in self._dropped:
            return
        self._dropped[i] = why
        self._notes.add(
            f"drop {i}",
            f"{why}; dropped, its energy after that is not counted (the other GPUs go on)",
        )

    def _sample_powers(self) -> list[float | None]:
        """Read each polled device's power: None for a dropped device or a refused value."""
        powers: list[float | None] = []
        for i in self._polled:
            if i in self._dropped:
                powers.append(None)
                continue
            try:
                power_w = float(self._call(i, self._power_reader(i)))
            except (SourceUnavailableError, TypeError, ValueError):
                powers.append(None)
                continue
            c = self._channels[i]
            if math.isnan(power_w) or power_w < 0 or power_w > c.max_power_w:
                self._notes.add(
                    f"power {i}",
                    f"{c.label}: impossible power reading {power_w:g} W (outside 0..."
                    f"{c.max_power_w:g} W); refused, the neighbouring samples bridge it",
                )
                powers.append(None)
            else:
                powers.append(power_w)
        if all(p is None for p in powers) and all(i in self._dropped for i in self._polled):
            raise SourceUnavailableError(self.name, self._all_dropped())
        return powers

    def _sample_short_power(self, i: int, now_s: float) -> float | None:
        """Read a counter channel's power now (None when it cannot); remember it."""
        c = self._channels[i]
        power_w: float | None = None
        if c.short_power_w is not None:
            try:
                power_w = float(c.short_power_w())
            except Exception:  # no power reading: the counter counts every window
                power_w = None
        if power_w is None or math.isnan(power_w) or not 0 <= power_w <= c.max_power_w:
            self._last_power.pop(i, None)
            return None
        self._last_power[i] = (now_s, power_w)
        return power_w

    def _count(self, i: int, counter: EnergyCounter, raw: int, now_s: float) -> None:
        """Count a counter channel's window: by the counter, or by power when short."""
        before_j = counter.energy_j
        refused = counter.update(raw, now_s)
        if refused is not None:
            self._notes.add(f"{refused.kind} {i}", refused.text)
        counted_j = counter.energy_j - before_j
        last = self._last_power.get(i)
        power_w = self._sample_short_power(i, now_s)
        if last is not None and power_w is not None and 0 <= now_s - last[0] < SHORT_WINDOW_S:
            counted_j = (last[1] + power_w) / 2 * (now_s - last[0])
            self._short_windows[i] += 1
        self._energy_j[i] += counted_j

    def _all_dropped(self) -> str:
        return "every GPU failed: " + "; ".join(self._dropped.values())

    # ------------------------------------------------------------ the protocol

    @property
    def detail(self) -> str:
        """Describe each device and its method, and what was refused or dropped."""
        parts = []
        for i, c in enumerate(self._channels):
            how = c.method
            if c.read_counter is None and self._poller is not None:
                rate = self._poller.interval_s
                how += f" at {1 / rate:g} Hz, trapezoid rule" if rate else " at each read"
            elif self._short_windows[i]:
                how += (
                    f"; {self._short_windows[i]} window(s) under {SHORT_WINDOW_S:g} s counted "
                    f"from the polled power instead (the counter updates about every 100 ms)"
                )
            parts.append(f"{c.label} {c.about}: {how}" + (f" ({c.note})" if c.note else ""))
        return self._notes.joined("; ".join(parts))

    @property
    def notes(self) -> tuple[str, ...]:
        """What was refused or dropped so far, with the values."""
        return self._notes.texts

    @property
    def labels(self) -> tuple[str, ...]:
        """The device labels, in reading order."""
        return tuple(c.label for c in self._channels)

    @property
    def device_names(self) -> tuple[str, ...]:
        """The product names of the GPUs read, in reading order."""
        return tuple(c.model or c.about for c in self._channels)

    def read(self) -> Reading:
        """Return the energy of each GPU since the source was opened.

        Returns:
            A reading with one device per GPU (a dropped GPU keeps what it had
            counted). Units: J, cumulative.

        Raises:
            SourceUnavailableError: every device failed (their labels and the
                reasons are in the message), or the source is closed.
        """
        with self._lock:
            if self._closed:
                raise SourceUnavailableError(self.name, "the source is closed")
            for i, counter in self._counters.items():
                if i in self._dropped:
                    continue
                read = self._channels[i].read_counter
                assert read is not None  # noqa: S101  (a counter channel has a reader)
                try:
                    raw = int(self._call(i, read))
                except (SourceUnavailableError, TypeError, ValueError, OverflowError):
                    continue
                self._count(i, counter, raw, self._clock())
            if self._poller is not None:
                try:
                    polled = self._poller.energy_j()
                except SourceUnavailableError:
                    polled = None  # every polled GPU dropped: they keep what they counted
                if polled is not None:
                    for i, e_j in zip(self._polled, polled, strict=True):
                        self._energy_j[i] = e_j
            if len(self._dropped) == len(self._channels):
                raise SourceUnavailableError(self.name, self._all_dropped())
            monotonic_s = self._clock()
            energy_j = list(self._energy_j)
        devices = tuple(
            DeviceEnergy(c.label, e_j * c.fraction)
            for c, e_j in zip(self._channels, energy_j, strict=True)
        )
        return Reading(self.name, self.component, monotonic_s, devices)

    def process_shares(self, pids: Collection[int]) -> sel.GpuShares:
        """Return the share (0..1) of each GPU used by ``pids`` since the last call.

        Each GPU's rule says how its share was found. Whatever a GPU's share
        reader raises costs only that GPU's share: it is charged in full, and
        the rule says why. Never raises.
        """
        shares = []
        for i, c in enumerate(self._channels):
            if i in self._dropped:
                continue
            if c.read_share is None:
                shares.append(sel.DeviceShare(c.label, 1.0, "no per-process data: charged in full"))
                continue
            try:
                share, rule = c.read_share(pids)
                share = float(share)
                if not 0.0 <= share <= 1.0:
                    raise ValueError(f"share {share!r} outside 0..1")
            except Exception as err:  # a vendor library may raise anything: this GPU only
                share = 1.0
                rule = f"per-process data unusable ({self._why(err)}): charged in full"
            shares.append(sel.DeviceShare(c.label, share, rule))
        return sel.GpuShares(tuple(shares))

    def close(self) -> None:
        """Stop polling and release the library. Safe to repeat; never blocks long.

        A read still in progress after about a second (a hung library call) is
        abandoned: the library is then not shut down.
        """
        if self._closed:
            return
        self._closed = True
        if self._poller is not None:
            self._poller.stop(timeout_s=_CLOSE_WAIT_S)
        if not self._lock.acquire(timeout=_CLOSE_WAIT_S):
            return  # a read hangs inside the library: leave it, and the library, alone
        try:
            on_close, self._on_close = self._on_close, None
        finally:
            self._lock.release()
        if on_close is not None and not (self._poller is not None and self._poller.is_alive):
            on_close()
