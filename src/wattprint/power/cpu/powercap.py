"""Find the RAPL zones of a powercap tree, in either sysfs layout, and choose the domains.

Zones are ``<control type>:<id>[:<subzone id>]`` directories (ids in hex) with
``name``, ``energy_uj`` and ``max_energy_range_uj``. Packages (else psys) serve
``cpu``; ``dram`` zones serve ``ram``; an ``intel-rapl-mmio`` duplicate of an
``intel-rapl`` zone is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from wattprint import _log
from wattprint._record import NamedTuple

__all__ = ["RaplDomain", "find_domains"]

logger = _log.get(__name__)

_RAPL = "intel-rapl"
_RAPL_MMIO = "intel-rapl-mmio"
# Zone directories are named "%s:%x" from their parent (drivers/powercap/powercap_sys.c).
_ZONE_RE = r"^(intel-rapl(?:-mmio)?)((?::[0-9a-f]+)+)$"
"""A powercap zone's name (compiled on first use)."""


class RaplDomain(NamedTuple):
    """One RAPL counter that a source reads.

    Attributes:
        device: stable device label, e.g. ``package-0`` or ``dram-1``.
        zone: the powercap zone, e.g. ``intel-rapl:0:1``.
        energy_path: the zone's ``energy_uj`` file.
        max_energy_range_uj: the largest value the counter shows. Units: uJ.
    """

    device: str
    zone: str
    energy_path: Path
    max_energy_range_uj: int


class _Zone(NamedTuple):
    """A powercap zone found on disk (a named tuple: cheaper to define than a dataclass)."""

    zone: str
    control_type: str
    ids: tuple[int, ...]
    path: Path
    name: str
    max_energy_range_uj: int


def _find_zone_dirs(root: Path) -> dict[str, Path]:
    """Map zone directory names to their paths, in either sysfs layout.

    ``/sys/class/powercap`` lists every zone flat (symlinks), while
    ``/sys/devices/virtual/powercap`` (what a container mounts) nests zones in
    their control type and subzones in their zone. The first path seen wins.
    """
    found: dict[str, Path] = {}

    def visit(directory: Path, depth: int) -> None:
        try:
            entries = sorted(directory.iterdir())
        except OSError as err:
            logger.debug("cannot list %s: %s", directory, err)
            return
        for entry in entries:
            if re.match(_ZONE_RE, entry.name) and entry.is_dir():
                found.setdefault(entry.name, entry)
                if depth < 3:
                    visit(entry, depth + 1)
            elif depth == 0 and entry.name in (_RAPL, _RAPL_MMIO) and entry.is_dir():
                visit(entry, 1)

    visit(root, 0)
    return found


def _read_zone(item: tuple[str, Path]) -> _Zone | None:
    """Read a zone's name and range, or None when it has no usable energy counter."""
    zone, path = item
    match = re.match(_ZONE_RE, zone)
    if match is None or not (path / "energy_uj").exists():
        return None
    try:
        name = (path / "name").read_text().strip()
        max_uj = int((path / "max_energy_range_uj").read_text())
    except (OSError, ValueError) as err:
        logger.debug("skipping powercap zone %s: %s", path, err)
        return None
    ids = tuple(int(part, 16) for part in match.group(2).split(":")[1:])
    return _Zone(zone, match.group(1), ids, path, name, max_uj)


def _select(zones: Sequence[_Zone]) -> dict[str, list[RaplDomain]]:
    """Choose the domains of each source: packages (else psys) for cpu, dram for ram."""
    msr_names = {z.name for z in zones if z.control_type == _RAPL}
    by_zone = {z.zone: z for z in zones}
    kept = [z for z in zones if z.control_type == _RAPL or z.name not in msr_names]
    kept.sort(key=lambda z: (z.control_type, z.ids))

    def domain(z: _Zone, device: str) -> RaplDomain:
        return RaplDomain(device, z.zone, z.path / "energy_uj", z.max_energy_range_uj)

    packages = [domain(z, z.name) for z in kept if z.name.startswith("package")]
    psys = [domain(z, z.name) for z in kept if z.name == "psys"]
    drams = []
    for z in kept:
        if z.name == "dram":
            parent = by_zone.get(z.zone.rpartition(":")[0])
            if parent is not None and parent.name.startswith("package"):
                device = "dram" + parent.name.removeprefix("package")
            else:
                device = f"dram-{z.ids[-1]}"
            drams.append(domain(z, device))
    selected: dict[str, list[RaplDomain]] = {}
    if packages:
        selected["rapl-package"] = packages
    elif psys:
        selected["rapl-psys"] = psys
    if drams:
        selected["rapl-dram"] = drams
    return selected


def find_domains(root: Path) -> tuple[dict[str, list[RaplDomain]], list[str]]:
    """Return the domains of each source found under ``root``, and every zone name seen."""
    zones = [z for z in map(_read_zone, _find_zone_dirs(root).items()) if z is not None]
    return _select(zones), sorted({z.name for z in zones})
