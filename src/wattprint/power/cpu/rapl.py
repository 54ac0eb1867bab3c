"""Linux powercap RAPL: CPU package and DRAM energy from hardware counters.

RAPL (Running Average Power Limit) keeps a 32-bit energy counter per domain in
a model-specific register. Linux shows them through the power capping framework
(Documentation/power/powercap/powercap.rst) under ``/sys/class/powercap``: one
directory per zone, ``<control type>:<id>[:<subzone id>]`` (ids in hex), with
``name``, ``energy_uj`` (the counter, uJ) and ``max_energy_range_uj``.

Intel (Sandy Bridge on) and AMD/Hygon CPUs (family 17h on, Linux 5.8 on) share
the ``intel_rapl_msr`` driver, so both appear under the ``intel-rapl`` control
type; there is no ``amd-rapl``. Zones are ``package-N`` (or
``package-N-die-M``: one socket or die, summed for ``cpu``); ``core`` and
``uncore`` (inside a package, never added); ``dram`` (the memory of a package
on Intel servers: ``ram``); ``psys`` (the whole platform on client CPUs: it
contains the packages, so it serves ``cpu`` only when no package exists). The
int340x driver may show the package counter again under ``intel-rapl-mmio``;
such a zone is skipped when ``intel-rapl`` has one of the same name.

The counter holds 32 bits of an energy unit (61.035 uJ on most CPUs, 15.3 uJ
for Haswell-EP DRAM), so it wraps at ``max_energy_range_uj`` (262143328850 uJ,
minutes at server load): :class:`RaplSource` remembers the last raw value of
each domain and fixes wraps itself. Since Linux 5.10 ``energy_uj`` is readable
by root only (PLATYPUS, CVE-2020-8694): :func:`probe_rapl` then says how to
grant access. Docker masks ``/sys/devices/virtual/powercap``: mount it
elsewhere and point ``WATTPRINT_RAPL_DIR`` at it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from wattprint import _log
from wattprint.errors import ConfigError, SourceUnavailableError
from wattprint.power.base import Component, DeviceEnergy, ProbeOutcome, Reading
from wattprint.power.counter import EnergyCounter
from wattprint.power.notes import SourceNotes
from wattprint.units import J_PER_UJ

if TYPE_CHECKING:  # the zone finder loads with a probe that has a powercap folder to read
    from wattprint.power.cpu.powercap import RaplDomain

__all__ = [
    "DEFAULT_POWERCAP_DIR",
    "ENV_RAPL_DIR",
    "PERMISSION_ADVICE",
    "RaplSource",
    "probe_rapl",
]

logger = _log.get(__name__)

DEFAULT_POWERCAP_DIR = Path("/sys/class/powercap")
"""Where the kernel's powercap class lives."""

ENV_RAPL_DIR = "WATTPRINT_RAPL_DIR"
"""Environment variable naming another powercap directory (a mount in a container)."""

_PROBE = "rapl"
_COMPONENTS: tuple[Component, ...] = ("cpu", "ram")
_READ_BYTES = 32  # a u64 in decimal plus a newline is at most 21 bytes
_CLOSE_WAIT_S = 1.0  # close() waits this long for a read in progress, then abandons it

MAX_DOMAIN_POWER_W = 2000.0
"""The most one RAPL domain is believed to draw (the largest packages draw about
500 W; a wide margin). A counter step beyond it over the elapsed time is refused.
Units: W."""

PERMISSION_ADVICE = (
    "energy_uj is readable by root only since Linux 5.10 (PLATYPUS side channel, CVE-2020-8694); "
    "granting read access re-opens that channel to local users, so do it on machines you trust. "
    "Until the next reboot: sudo chmod a+r /sys/class/powercap/intel-rapl:*/energy_uj "
    "/sys/class/powercap/intel-rapl:*/intel-rapl:*/energy_uj . Persistently, put this line in "
    '/etc/udev/rules.d/99-wattprint-rapl.rules: ACTION=="add", SUBSYSTEM=="powercap", '
    'KERNEL=="intel-rapl:*", RUN+="/bin/chmod a+r /sys%p/energy_uj" then run: sudo udevadm '
    "trigger --subsystem-match=powercap --action=add . In a container, make the host's counters "
    "readable that way, mount them (docker run -v /sys/devices/virtual/powercap:/host/powercap:ro)"
    f" and set {ENV_RAPL_DIR}=/host/powercap."
)
"""How to grant read access to the RAPL counters, shown by ``wattprint doctor``."""

_MISSING_ADVICE = (
    "On Linux, load the driver (sudo modprobe intel_rapl_msr). In a container, mount the "
    "host's counters (docker run -v /sys/devices/virtual/powercap:/host/powercap:ro) and set "
    f"{ENV_RAPL_DIR}=/host/powercap."
)

Opener = Callable[[Path], int]
"""Open a counter file read-only and return its file descriptor."""


def _open_counter(path: Path) -> int:
    """Open ``path`` read-only, not inherited by child processes."""
    return os.open(path, os.O_RDONLY | os.O_CLOEXEC)


class RaplSource:
    """Cumulative energy of one component from powercap RAPL counters.

    The counters are opened once and re-read with ``os.pread`` at offset 0,
    which makes sysfs produce a fresh value (a few microseconds per domain).
    Counts are kept as integer microjoules so that wrap-around arithmetic is
    exact, and turned into joules on the line that builds each reading.

    Attributes:
        name: ``rapl-package``, ``rapl-dram`` or ``rapl-psys``.
        component: ``cpu`` or ``ram``.
        method: always ``rapl``.
        measured: always True.
    """

    __slots__ = (
        "name",
        "component",
        "_domains",
        "_clock",
        "_fds",
        "_lock",
        "_counters",
        "_notes",
    )

    method = "rapl"
    measured = True

    def __init__(
        self,
        *,
        name: str,
        component: Component,
        domains: Sequence[RaplDomain],
        clock: Callable[[], float] = time.monotonic,
        opener: Opener = _open_counter,
        max_power_w: float = MAX_DOMAIN_POWER_W,
    ) -> None:
        """Open the counters and take their current values as the zero.

        Args:
            name: the source's stable name, e.g. ``rapl-package``.
            component: the component class the energy belongs to.
            domains: the counters to read; their energies are reported per device.
            clock: monotonic clock for reading timestamps. Units: s.
            opener: opens a counter file read-only and returns its descriptor.
            max_power_w: the most one domain can draw; larger steps are refused. Units: W.

        Raises:
            ConfigError: ``domains`` is empty.
            SourceUnavailableError: a counter cannot be opened or read; ``__cause__``
                holds the OS error (``PermissionError`` when access is denied).
        """
        if not domains:
            raise ConfigError("domains", (), "at least one RAPL domain")
        self.name = name
        self.component: Component = component
        self._domains = tuple(domains)
        self._clock = clock
        self._fds: list[int] = []
        self._lock = threading.Lock()
        self._notes = SourceNotes(name)
        opened = False
        try:
            for domain in self._domains:
                try:
                    self._fds.append(opener(domain.energy_path))
                except OSError as err:
                    raise SourceUnavailableError(
                        name, f"cannot open {domain.energy_path}: {err.strerror or err}"
                    ) from err
            first_uj = [self._read_uj(i) for i in range(len(self._domains))]
            opened = True
        finally:
            if not opened:
                self.close()
        first_s = clock()
        self._counters = [
            EnergyCounter(
                label=f"{d.device} ({d.zone})",
                first_raw=raw,
                first_s=first_s,
                j_per_count=J_PER_UJ,
                max_power_w=max_power_w,
                max_raw=d.max_energy_range_uj,
            )
            for d, raw in zip(self._domains, first_uj, strict=True)
        ]

    @property
    def detail(self) -> str:
        """Describe the domains read, e.g. ``RAPL powercap counters: package-0 (intel-rapl:0)``."""
        listed = ", ".join(f"{d.device} ({d.zone})" for d in self._domains)
        return self._notes.joined(f"RAPL powercap counters: {listed}")

    def _read_uj(self, index: int) -> int:
        """Return the raw counter of domain ``index``. Units: uJ, as the kernel shows it."""
        domain = self._domains[index]
        try:
            return int(os.pread(self._fds[index], _READ_BYTES, 0))
        except (OSError, ValueError) as err:
            raise SourceUnavailableError(
                self.name, f"cannot read {domain.energy_path}: {err}"
            ) from err

    def read(self) -> Reading:
        """Return the energy of each domain since the source was opened.

        A raw value lower than the last one means the counter wrapped: it counts
        from 0 to ``max_energy_range_uj`` inclusive (the kernel reports the range
        as the all-ones 32-bit register times the energy unit), so one wrap adds
        ``max_energy_range_uj + 1 - last + new``. The exact period is
        ``max_energy_range_uj`` plus one energy unit (61 uJ on most CPUs), so a
        wrap may be counted short by at most one unit, the counter's own
        resolution (2e-10 of the range). Two wraps between reads cannot be
        detected; one takes minutes at full load, so sample more often.

        Impossible readings are refused (:class:`~wattprint.power.counter.EnergyCounter`):
        a value above ``max_energy_range_uj``, a step more than ``max_power_w``
        could give, and a fall whose wrap would be such a step (a reset, counted
        on from the new value). Each is noted in ``detail`` and logged once.

        Returns:
            A reading with one device per domain. Units: J, cumulative.

        Raises:
            SourceUnavailableError: a counter could not be read (or the source is
                closed); ``__cause__`` holds the OS or parse error. The energy
                of the gap is counted at the next read that succeeds.
        """
        with self._lock:
            if not self._fds:
                raise SourceUnavailableError(self.name, "the source is closed")
            raw_uj = [self._read_uj(i) for i in range(len(self._domains))]
            monotonic_s = self._clock()
            devices = []
            for domain, counter, raw in zip(self._domains, self._counters, raw_uj, strict=True):
                refused = counter.update(raw, monotonic_s)
                if refused is not None:
                    self._notes.add(f"{domain.zone} {refused.kind}", refused.text)
                devices.append(DeviceEnergy(domain.device, counter.total * J_PER_UJ))
        return Reading(
            source=self.name,
            component=self.component,
            monotonic_s=monotonic_s,
            devices=tuple(devices),
        )

    @property
    def notes(self) -> tuple[str, ...]:
        """What was refused so far, with the values."""
        return self._notes.texts

    def close(self) -> None:
        """Close the counter files. Safe to call more than once; never blocks long.

        A read still in progress after a second is abandoned: its files stay
        open until the process ends.
        """
        if not self._lock.acquire(timeout=_CLOSE_WAIT_S):
            return
        try:
            fds, self._fds = self._fds, []
        finally:
            self._lock.release()
        for fd in fds:
            try:
                os.close(fd)
            except OSError as err:  # already closed: nothing left to release
                logger.debug("%s: closing fd %d: %s", self.name, fd, err)


def probe_rapl(
    root: Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    opener: Opener = _open_counter,
) -> ProbeOutcome:
    """Find the RAPL counters and open one source per component.

    Args:
        root: the powercap directory; defaults to ``$WATTPRINT_RAPL_DIR`` if set,
            else ``/sys/class/powercap``.
        env: the environment to read ``WATTPRINT_RAPL_DIR`` from; defaults to
            ``os.environ``.
        clock: monotonic clock handed to the sources. Units: s.
        opener: opens a counter file read-only (injected by tests).

    Returns:
        Up to two sources (``cpu`` from ``package-*`` zones, or ``psys`` when
        there is none; ``ram`` from ``dram`` zones), or none with the reason
        and, where it helps, advice on how to grant access.
    """
    environ = os.environ if env is None else env
    if root is None:
        root = Path(environ.get(ENV_RAPL_DIR) or DEFAULT_POWERCAP_DIR)
    extra = (("root", str(root)),)
    if not root.is_dir():
        reason = (
            f"no powercap RAPL interface at {root} (not Linux, a VM without RAPL, "
            "or a container without /sys/class/powercap mounted)"
        )
        return ProbeOutcome(_PROBE, _COMPONENTS, (), reason, _MISSING_ADVICE, extra)
    from wattprint.power.cpu.powercap import find_domains

    selected, zones = find_domains(root)
    if not selected:
        reason = (
            f"no RAPL package, psys or dram zone with an energy counter under {root} "
            f"(zones found: {', '.join(zones) or 'none'}); the "
            "intel_rapl_msr driver is not loaded, or a container masks the counters"
        )
        return ProbeOutcome(_PROBE, _COMPONENTS, (), reason, _MISSING_ADVICE, extra)
    sources: list[RaplSource] = []
    problems: list[str] = []
    denied = False
    for name, domains in selected.items():
        component: Component = "ram" if name == "rapl-dram" else "cpu"
        try:
            source = RaplSource(
                name=name, component=component, domains=domains, clock=clock, opener=opener
            )
        except SourceUnavailableError as err:
            cause = err.__cause__
            if isinstance(cause, PermissionError):
                denied = True
                where = cause.filename or "energy_uj"
                problems.append(
                    f"{name}: no read permission on {where} (energy_uj is root-only since "
                    "Linux 5.10: PLATYPUS, CVE-2020-8694)"
                )
            else:
                problems.append(str(err))
        else:
            sources.append(source)
    found = "; ".join(f"{s.component} from {s.detail}" for s in sources)
    reason = "; ".join(([found] if found else []) + problems)
    advice = PERMISSION_ADVICE if denied else ""
    return ProbeOutcome(_PROBE, _COMPONENTS, tuple(sources), reason, advice, extra)
