"""Reading the power sources for the meter: failures kept, a stuck read watched, GPU shares.

A source that fails is not counted until it reads again (its cumulative
reading then covers the gap, and the result says so); a source that stops
answering is abandoned by the sampler (``fail``). Which source is being read,
and since when, is kept for a read that can hang (a vendor library), so the
sampler can tell a stuck read from a slow thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection

from wattprint._log import logger
from wattprint.errors import SourceUnavailableError
from wattprint.power.base import PerProcessShares, PowerSource

NEVER_BLOCK = frozenset(
    {"rapl", "tdp-x-load", "tdp-per-thread", "cloud-instance-profile", "constant", "gb-x-w-per-gb"}
)
"""Methods whose reads are files or arithmetic: a sample of them may be taken in any thread."""

Readings = list[tuple[PowerSource, dict[str, float], "dict[str, float] | None"]]
"""Per source read: (source, cumulative energy per device, GPU shares or None)."""


class SourceReads:
    """Read ``sources``, keeping their failures and the last good energy of each.

    Args:
        sources: the chosen sources.
        tree_pids: the tracked processes' ids (for GPU shares), or None in machine mode.
    """

    def __init__(
        self,
        sources: Collection[PowerSource],
        tree_pids: Callable[[], frozenset[int]] | None,
    ) -> None:
        self._sources = tuple(sources)
        self._tree_pids = tree_pids
        self.failed: dict[str, str] = {}
        self.abandoned: set[str] = set()
        self.recovered: set[str] = set()
        self.last_energy: dict[str, dict[str, float]] = {}
        self.gpu_rules: dict[str, str] = {}
        self.reading_now: str | None = None  # the source being read, for a stuck read
        self.reading_since_s = 0.0  # when that read began (real monotonic time). Units: s

    def fail(self, source_name: str, reason: str) -> None:
        """Stop reading ``source_name`` for the rest of the run, noting ``reason``."""
        self.abandoned.add(source_name)
        if source_name not in self.failed:
            self.failed[source_name] = reason
            logger.warning("wattprint: %s %s", source_name, reason)

    def baseline(self) -> None:
        """Read every source once: the run counts from these readings."""
        for source in self._sources:
            self.reading_since_s = time.monotonic()
            self.reading_now = source.name
            self.last_energy[source.name] = self.read(source, {})
        self.reading_now = None

    def read(
        self, source: PowerSource, fallback: dict[str, float], at_s: float | None = None
    ) -> dict[str, float]:
        """Return ``source``'s energy per device (``fallback`` when it fails, noted once).

        With ``at_s``, the source is a model read for that moment (``read_at``).
        """
        try:
            reading = source.read() if at_s is None else source.read_at(at_s)  # type: ignore[attr-defined]
            energy = {d.device: d.energy_j for d in reading.devices}
            if source.name in self.failed:
                self.recovered.add(source.name)
            return energy
        except SourceUnavailableError as err:
            reason = err.reason
        except Exception as err:  # a sensor must never break the user's program
            reason = f"{type(err).__name__}: {err}"
        if source.name not in self.failed:
            self.failed[source.name] = reason
            logger.warning(
                "wattprint: reading %s failed (%s); its energy is not counted until it "
                "reads again, and the result notes the gap",
                source.name,
                reason,
            )
        return fallback

    def gpu_shares(self, source: PowerSource) -> dict[str, float] | None:
        """Per-device shares of the tracked tree, for a GPU source that can tell them."""
        if self._tree_pids is None or not isinstance(source, PerProcessShares):
            return None
        try:
            shares = source.process_shares(self._tree_pids())
        except SourceUnavailableError as err:
            self.failed.setdefault(f"{source.name} shares", err.reason)
            return None
        for device in shares.devices:
            self.gpu_rules[device.device] = device.rule
        return {d.device: d.share for d in shares.devices}

    def read_all(self, at_s: float | None = None) -> Readings:
        """Read every source still in use.

        With ``at_s``, every source is a model read for that moment (see ``Meter.gather``).
        """
        readings: Readings = []
        abandoned = self.abandoned
        for source in self._sources:
            name = source.name
            if name in abandoned:
                continue
            blocks = source.method not in NEVER_BLOCK
            if blocks:  # only a read that can hang is watched for (see Sampler)
                self.reading_since_s = time.monotonic()
                self.reading_now = name
            energy = self.read(source, self.last_energy.get(name, {}), at_s)
            shares = self.gpu_shares(source) if source.component == "gpu" else None
            readings.append((source, energy, shares))
            if blocks:
                self.reading_now = None
        return readings
