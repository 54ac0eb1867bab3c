"""The power-source protocol: what every way of knowing energy must provide.

A source reads one component class (``cpu``, ``gpu``, ``ram`` or ``soc``) and
reports **cumulative energy in joules** per device since the source was
opened, together with its method (``rapl``, ``tdp-x-load``, ...) and whether
that method measures (a hardware counter) or estimates (a model). Counter
wrap-around, vendor units and power integration are the source's business.

Discovery is data: a probe either returns sources or a human reason why it
could not, so ``wattprint doctor`` and the tracker see the same list.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol, runtime_checkable

from wattprint._record import NamedTuple

# The component class is a provenance type, declared below the layers; re-exported here.
from wattprint.provenance import COMPONENTS as COMPONENTS
from wattprint.provenance import Component as Component

# Readings are named tuples: a sample makes several, and a frozen dataclass costs
# an object.__setattr__ per field to build (ARCHITECTURE.md: plain tuples on the hot path).


class DeviceEnergy(NamedTuple):
    """Cumulative energy of one device of a source.

    Attributes:
        device: a stable device label, e.g. ``package-0`` or ``dram-1``.
        energy_j: energy since the source was opened. Units: J, cumulative.
    """

    device: str
    energy_j: float


class Reading(NamedTuple):
    """One reading of a source: cumulative joules per device at a moment.

    Attributes:
        source: the source's ``name``.
        component: the component class the energy belongs to.
        monotonic_s: when it was read, on the monotonic clock. Units: s.
        devices: per-device cumulative energy.
    """

    source: str
    component: Component
    monotonic_s: float
    devices: tuple[DeviceEnergy, ...]

    @property
    def energy_j(self) -> float:
        """Total cumulative energy over the devices. Units: J."""
        return sum(d.energy_j for d in self.devices)


@runtime_checkable
class ReadAt(Protocol):
    """A source read for a given moment: a model, worked out from the time.

    Its reading comes from the time (and the machine's CPU times handed to
    it), not from hardware, so it can be read for a moment already past: a
    meter may take the raw figures now and work them out later.
    """

    def read_at(self, now_s: float | None) -> Reading:
        """Return the cumulative energy at ``now_s`` (on the source's clock; None: now)."""
        ...


@runtime_checkable
class PowerSource(Protocol):
    """A way of knowing the energy of one component class.

    Attributes:
        name: stable identifier, e.g. ``rapl-package``.
        component: which component the energy belongs to.
        method: the method, e.g. ``rapl``, ``tdp-x-load``, ``constant``.
        measured: True for a hardware counter, False for a model.
        detail: human description of the inputs (domains read, matched TDP...).
    """

    name: str
    component: Component
    method: str
    measured: bool

    @property
    def detail(self) -> str:
        """Describe what is read or assumed, for the methodology."""
        ...

    def read(self) -> Reading:
        """Return cumulative energy since the source was opened.

        Raises:
            SourceUnavailableError: the source can no longer be read.
        """
        ...

    def close(self) -> None:
        """Release whatever the source holds."""
        ...


class ProbeOutcome(NamedTuple):
    """What one probe found: sources, or the reason why none.

    Attributes:
        probe: the probe's name, e.g. ``rapl``.
        components: the component classes this probe can serve.
        sources: the sources it opened (empty when unusable).
        reason: why it was not usable, or what it found; for people.
        advice: how to make it usable (e.g. how to grant RAPL access), if any.
    """

    probe: str
    components: tuple[Component, ...]
    sources: tuple[PowerSource, ...] = ()
    reason: str = ""
    advice: str = ""
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def is_available(self) -> bool:
        """True when the probe opened at least one source."""
        return bool(self.sources)


class DeviceShare(NamedTuple):
    """The part of one GPU used by the tracked processes.

    Attributes:
        device: the device label, as in the source's readings.
        share: the fraction of the device's energy to charge them, 0..1.
        rule: how the share was found, for the methodology.
    """

    device: str
    share: float
    rule: str


class GpuShares(NamedTuple):
    """The tracked processes' share of each GPU of a source.

    Attributes:
        devices: one share per device, in the source's device order.
    """

    devices: tuple[DeviceShare, ...]

    def share_of(self, device: str) -> float:
        """Return the share (0..1) of ``device``; 0.0 for a device not listed."""
        return next((d.share for d in self.devices if d.device == device), 0.0)


@runtime_checkable
class PerProcessShares(Protocol):
    """A source of a shared device that can tell which processes use it (GPUs)."""

    def process_shares(self, pids: Collection[int]) -> GpuShares:
        """Return each device's share (0..1) used by ``pids`` since the last call."""
        ...


@runtime_checkable
class NamedDevices(Protocol):
    """A source that knows the product name of each device it reads (GPUs)."""

    @property
    def device_names(self) -> tuple[str, ...]:
        """The product names of the devices read, in reading order."""
        ...
