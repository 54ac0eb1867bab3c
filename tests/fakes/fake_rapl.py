"""A RAPL powercap tree written in place, as sysfs shows it, with counters a test moves.

``RaplTree(tmp_path)`` writes ``intel-rapl/intel-rapl:<i>`` zones (``name``,
``energy_uj``, ``max_energy_range_uj``) like the kernel's nested layout; ``set()`` rewrites a
counter in place (same inode), so an open file descriptor re-read with ``pread`` sees the new
value, as it sees the kernel's. Counters can jump, reset, exceed their range or turn to garbage.
"""

from __future__ import annotations

from pathlib import Path

MAX_ENERGY_RANGE_UJ = 262_143_328_850


class RaplTree:
    """A powercap directory with ``packages`` package zones (and a dram zone in each)."""

    def __init__(self, root: Path, *, packages: int = 1, start_uj: int = 1_000_000) -> None:
        self.root = root
        self.max_uj = MAX_ENERGY_RANGE_UJ
        self.zones: dict[str, Path] = {}
        for i in range(packages):
            zone = root / "intel-rapl" / f"intel-rapl:{i:x}"
            self._zone(zone, f"package-{i}", start_uj)
            self.zones[f"package-{i}"] = zone
            dram = zone / f"intel-rapl:{i:x}:1"
            self._zone(dram, "dram", start_uj)
            self.zones[f"dram-{i}"] = dram

    def _zone(self, path: Path, name: str, energy_uj: int) -> None:
        path.mkdir(parents=True)
        (path / "name").write_text(name + "\n")
        (path / "max_energy_range_uj").write_text(f"{self.max_uj}\n")
        (path / "energy_uj").write_text(f"{energy_uj}\n")

    def set(self, device: str, value: int | str) -> None:
        """Write ``value`` (uJ, or any text) into a counter, in place."""
        with (self.zones[device] / "energy_uj").open("r+") as f:
            f.truncate(0)
            f.write(f"{value}\n")

    def get(self, device: str) -> int:
        """The counter's value now. Units: uJ."""
        return int((self.zones[device] / "energy_uj").read_text())
