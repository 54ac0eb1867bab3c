"""GPU energy from cumulative counters, or from power polled and integrated.

The shared machinery of the NVIDIA and AMD sources. A GPU with an energy
counter (NVML ``nvmlDeviceGetTotalEnergyConsumption`` on Volta and newer,
amdsmi ``amdsmi_get_energy_count``) is read at each ``read()``: the energy is
the difference of two counter values, kept as integers in the vendor's unit so
that it is exact. A counter that falls below half its last value was reset (a
driver reload): the new value is taken as counted from zero. A smaller step
back (amdsmi has been seen to return one, ROCm/amdsmi issue 115) is ignored
until the counter passes its highest value again, so nothing is counted twice.
A GPU with only a power sensor is sampled by a :class:`PowerPoller`, one light
daemon thread per source (10 Hz by default), and the samples are integrated with
the trapezoid rule; every ``read()`` also takes a sample, so the energy
reported is up to the moment.

A device that fails raises :class:`~wattprint.errors.SourceUnavailableError`
naming the device and the vendor's reason: the tracker logs it once. A failed
device is never reported as zero.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wattprint.errors import ConfigError, SourceUnavailableError
from wattprint.power.base import Component, DeviceEnergy, Reading

__all__ = [
    "DEFAULT_POLL_INTERVAL_S",
    "GpuChannel",
    "GpuEnergySource",
    "PowerPoller",
    "TrapezoidIntegrator",
]

logger = logging.getLogger(__name__)

DEFAULT_POLL_INTERVAL_S = 0.1
"""Time between two power samples of the polling thread (10 Hz). Units: s."""


class TrapezoidIntegrator:
    """Integrate power samples of several devices with the trapezoid rule.

    Not thread-safe on its own: :class:`PowerPoller` guards it.
    """

    __slots__ = ("_last_s", "_last_w", "_energy_j", "samples")

    def __init__(self, n_devices: int) -> None:
        self._last_s: float | None = None
        self._last_w = [0.0] * n_devices
        self._energy_j = [0.0] * n_devices
        self.samples = 0

    def add(self, monotonic_s: float, power_w: Sequence[float]) -> None:
        """Add one sample: the power of each device at ``monotonic_s``.

        Args:
            monotonic_s: when the powers were read. Units: s (monotonic clock).
            power_w: power per device. Units: W.
        """
        if self._last_s is not None:
            dt_s = monotonic_s - self._last_s
            if dt_s < 0:
                return  # an out-of-order sample: never integrate backwards
            for i, p_w in enumerate(power_w):
                self._energy_j[i] += (self._last_w[i] + p_w) / 2.0 * dt_s
        self._last_s = monotonic_s
        self._last_w = list(power_w)
        self.samples += 1

    @property
    def energy_j(self) -> tuple[float, ...]:
        """Energy per device since the first sample. Units: J, cumulative."""
        return tuple(self._energy_j)


PowerReader = Callable[[], Sequence[float]]
"""Read the power of each polled device. Units: W. Raises SourceUnavailableError."""


class PowerPoller:
    """Sample power in a daemon thread and integrate it.

    The first sample is taken at construction: energy counts from there.
    ``energy_j()`` takes one more sample, so it is current. When a sample fails,
    the thread stops and every later call raises the same reason.
    """

    def __init__(
        self,
        *,
        name: str,
        read_power_w: PowerReader,
        n_devices: int,
        interval_s: float | None = DEFAULT_POLL_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Take the first sample and, unless ``interval_s`` is None, start the thread.

        Args:
            name: the source's name (for the thread and messages).
            read_power_w: reads every polled device's power. Units: W.
            n_devices: how many values ``read_power_w`` returns.
            interval_s: time between samples of the thread; None runs no
                thread (samples are then taken only by ``sample()`` and
                ``energy_j()``). Units: s.
            clock: monotonic clock that stamps the samples. Units: s.

        Raises:
            ConfigError: ``interval_s`` is not positive.
            SourceUnavailableError: the first sample failed.
        """
        if interval_s is not None and not interval_s > 0:
            raise ConfigError("poll_interval_s", interval_s, "a positive number of seconds")
        self._name = name
        self._read = read_power_w
        self._clock = clock
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._integrator = TrapezoidIntegrator(n_devices)
        self._error: SourceUnavailableError | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sample()
        if interval_s is not None:
            self._thread = threading.Thread(
                target=self._run, name=f"wattprint-{name}-poll", daemon=True
            )
            self._thread.start()

    @property
    def interval_s(self) -> float | None:
        """Time between samples of the thread, or None without a thread. Units: s."""
        return self._interval_s

    @property
    def samples(self) -> int:
        """How many samples were integrated."""
        return self._integrator.samples

    def sample(self) -> None:
        """Take one sample now and integrate it.

        Raises:
            SourceUnavailableError: this sample or an earlier one failed.
        """
        with self._lock:
            if self._error is not None:
                raise self._error
            try:
                power_w = self._read()
            except SourceUnavailableError as err:
                self._error = err
                raise
            self._integrator.add(self._clock(), power_w)

    def energy_j(self) -> tuple[float, ...]:
        """Sample now and return each device's energy. Units: J, cumulative.

        Raises:
            SourceUnavailableError: a sample failed (now or in the thread).
        """
        self.sample()
        with self._lock:
            return self._integrator.energy_j

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.sample()
            except SourceUnavailableError as err:
                logger.debug("%s: polling stopped: %s", self._name, err)
                return

    def stop(self) -> None:
        """Stop the thread and wait for it (at most one sample). Safe to repeat."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join()


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
    """

    label: str
    about: str
    method: str
    read_counter: Callable[[], int] | None = None
    j_per_count: float = 1.0
    read_power_w: Callable[[], float] | None = None
    note: str = ""


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
    ) -> None:
        """Take every device's current value as the zero; start polling if needed.

        Args:
            name: the source's stable name.
            channels: how to read each device, in reading order.
            clock: monotonic clock for readings and power samples. Units: s.
            poll_interval_s: time between power samples of the polling thread;
                None takes power samples only at each ``read()``. Units: s.
            on_close: called once by ``close()`` (e.g. to shut the library down).

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
        self._lock = threading.Lock()
        self._closed = False
        self._counters = [
            (i, c.read_counter) for i, c in enumerate(self._channels) if c.read_counter is not None
        ]
        polled = [
            (i, c.read_power_w)
            for i, c in enumerate(self._channels)
            if c.read_counter is None and c.read_power_w is not None
        ]
        if len(self._counters) + len(polled) != len(self._channels):
            raise ConfigError("channels", self.labels, "each with a counter or a power reader")
        self._polled = [i for i, _ in polled]
        methods = list(dict.fromkeys(c.method for c in self._channels))
        self.method = "+".join(methods)
        self._last = [read() for _, read in self._counters]
        self._total = [0] * len(self._counters)
        self._poller: PowerPoller | None = None
        if polled:
            readers = [read for _, read in polled]
            self._poller = PowerPoller(
                name=name,
                read_power_w=lambda: [r() for r in readers],
                n_devices=len(readers),
                interval_s=poll_interval_s,
                clock=clock,
            )

    @property
    def detail(self) -> str:
        """Describe each device and its method, for the methodology."""
        parts = []
        for c in self._channels:
            how = c.method
            if c.read_counter is None and self._poller is not None:
                rate = self._poller.interval_s
                how += f" at {1 / rate:g} Hz, trapezoid rule" if rate else " at each read"
            parts.append(f"{c.label} {c.about}: {how}" + (f" ({c.note})" if c.note else ""))
        return "; ".join(parts)

    @property
    def labels(self) -> tuple[str, ...]:
        """The device labels, in reading order."""
        return tuple(c.label for c in self._channels)

    def read(self) -> Reading:
        """Return the energy of each GPU since the source was opened.

        Returns:
            A reading with one device per GPU. Units: J, cumulative.

        Raises:
            SourceUnavailableError: a device failed (its label and the reason
                are in the message), or the source is closed.
        """
        with self._lock:
            if self._closed:
                raise SourceUnavailableError(self.name, "the source is closed")
            energy_j = [0.0] * len(self._channels)
            for k, (i, read_counter) in enumerate(self._counters):
                raw = read_counter()
                last = self._last[k]
                if raw >= last:
                    self._total[k] += raw - last
                    self._last[k] = raw
                elif raw < last // 2:  # reset (driver reloaded): counting from zero again
                    logger.warning(
                        "%s: %s energy counter went back from %d to %d (driver reloaded?); "
                        "counting on from zero",
                        self.name,
                        self._channels[i].label,
                        last,
                        raw,
                    )
                    self._total[k] += raw
                    self._last[k] = raw
                else:  # a value read out of order: wait until the counter passes the last one
                    logger.debug(
                        "%s: %s counter read %d after %d",
                        self.name,
                        self._channels[i].label,
                        raw,
                        last,
                    )
                energy_j[i] = self._total[k] * self._channels[i].j_per_count
            if self._poller is not None:
                for i, e_j in zip(self._polled, self._poller.energy_j(), strict=True):
                    energy_j[i] = e_j
            monotonic_s = self._clock()
        devices = tuple(
            DeviceEnergy(c.label, e_j) for c, e_j in zip(self._channels, energy_j, strict=True)
        )
        return Reading(self.name, self.component, monotonic_s, devices)

    def close(self) -> None:
        """Stop polling and release the library. Safe to call more than once."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._poller is not None:
            self._poller.stop()
        if self._on_close is not None:
            self._on_close()
