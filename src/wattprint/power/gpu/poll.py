"""GPU energy from power polled and integrated.

A GPU with only a power sensor is sampled by a :class:`PowerPoller`, one light
daemon thread per source (10 Hz by default), and the samples are integrated
with the trapezoid rule; every ``energy_j()`` also takes a sample, so the
energy reported is up to the moment. A sample may miss a device (None: a
refused or failed reading): that device's next sample bridges the gap.

A poller whose reader fails stops, and every later call raises the same
reason; a reader that raises anything but SourceUnavailableError (which its
owner reports) is logged as one warning, never as a thread's traceback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from wattprint._log import logger
from wattprint.errors import ConfigError, SourceUnavailableError

__all__ = ["DEFAULT_POLL_INTERVAL_S", "PowerPoller", "TrapezoidIntegrator"]


DEFAULT_POLL_INTERVAL_S = 0.1
"""Time between two power samples of the polling thread (10 Hz). Units: s."""


class TrapezoidIntegrator:
    """Integrate power samples of several devices with the trapezoid rule.

    Not thread-safe on its own: :class:`PowerPoller` guards it.
    """

    __slots__ = ("_last_s", "_last_w", "_energy_j", "samples")

    def __init__(self, n_devices: int) -> None:
        self._last_s: list[float | None] = [None] * n_devices
        self._last_w = [0.0] * n_devices
        self._energy_j = [0.0] * n_devices
        self.samples = 0

    def add(self, monotonic_s: float, power_w: Sequence[float | None]) -> None:
        """Add one sample: the power of each device at ``monotonic_s``.

        Args:
            monotonic_s: when the powers were read. Units: s (monotonic clock).
            power_w: power per device, None where the device gave no usable
                value (its next value bridges the gap). Units: W.
        """
        added = False
        for i, p_w in enumerate(power_w):
            if p_w is None:
                continue
            last_s = self._last_s[i]
            if last_s is not None:
                dt_s = monotonic_s - last_s
                if dt_s < 0:
                    continue  # an out-of-order sample: never integrate backwards
                self._energy_j[i] += (self._last_w[i] + p_w) / 2.0 * dt_s
            self._last_s[i] = monotonic_s
            self._last_w[i] = p_w
            added = True
        if added:
            self.samples += 1

    @property
    def energy_j(self) -> tuple[float, ...]:
        """Energy per device since the first sample. Units: J, cumulative."""
        return tuple(self._energy_j)


PowerReader = Callable[[], Sequence[float | None]]
"""Read the power of each polled device (None: no usable value). Units: W.
Raises SourceUnavailableError when no device can be read any more."""


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
            except Exception as err:  # a vendor library may raise anything: stop polling
                self._error = SourceUnavailableError(
                    self._name, f"power polling failed: {type(err).__name__}: {err}"
                )
                logger.warning("wattprint: %s; its energy after that is not counted", self._error)
                raise self._error from err
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
            except Exception as err:  # the thread's boundary: never a traceback (sample() warned)
                logger.debug("%s: polling stopped: %s", self._name, err)
                return

    @property
    def is_alive(self) -> bool:
        """Whether the polling thread still runs (e.g. stuck in a hung library call)."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def stop(self, timeout_s: float | None = None) -> None:
        """Stop the thread and wait for it (at most one sample). Safe to repeat.

        Args:
            timeout_s: the longest wait; a thread still stuck after it is
                abandoned (it is a daemon). None waits for it. Units: s.
        """
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)
        if thread is not None and not thread.is_alive():
            self._thread = None
