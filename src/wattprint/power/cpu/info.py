"""What CPU this is, and how much of it this process may use.

The CPU model needs the brand string (to find the TDP), the number of
sockets and logical CPUs, and, in containers and batch jobs, how many CPUs
the process may really use: the smaller of the CPUs in its affinity mask and
its cgroup CPU quota (``cpu.max`` in cgroup v2, ``cpu.cfs_quota_us`` /
``cpu.cfs_period_us`` in v1).
"""

from __future__ import annotations

import os
from pathlib import Path

from wattprint._record import NamedTuple


class CpuInfo(NamedTuple):
    """The machine's CPUs as seen by this process.

    Attributes:
        brand: the model name, e.g. ``Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz``.
        sockets: physical packages.
        logical_cpus: hardware threads on the machine.
        usable_cpus: CPUs this process may use (affinity and cgroup quota). May
            be fractional under a quota.
        limit: what limits ``usable_cpus``, for people; empty when nothing does.
    """

    brand: str
    sockets: int
    logical_cpus: int
    usable_cpus: float
    limit: str

    @property
    def threads_per_socket(self) -> int:
        """Logical CPUs per package."""
        return max(1, self.logical_cpus // max(1, self.sockets))


def read_cpu_info(
    *, procfs_root: Path = Path("/proc"), cgroup_root: Path = Path("/sys/fs/cgroup")
) -> CpuInfo:
    """Read the CPU brand, topology and usable share of this machine.

    The logical CPUs are the processors ``cpuinfo`` lists, else
    ``os.cpu_count()``; the affinity mask is read for this process only when
    ``procfs_root`` is the real ``/proc`` (a recorded tree has its own CPUs).
    """
    brand, sockets, processors = _brand_and_sockets(procfs_root / "cpuinfo")
    logical = processors or os.cpu_count() or 1
    usable = float(logical)
    limits: list[str] = []
    if hasattr(os, "sched_getaffinity") and procfs_root == Path("/proc"):
        allowed = len(os.sched_getaffinity(0))
        if allowed < usable:
            usable = float(allowed)
            limits.append(f"affinity allows {allowed} of {logical} CPUs")
    quota = cgroup_cpu_quota(procfs_root=procfs_root, cgroup_root=cgroup_root)
    if quota is not None and quota < usable:
        usable = quota
        limits.append(f"cgroup CPU quota of {quota:g} CPUs")
    return CpuInfo(
        brand=brand,
        sockets=sockets,
        logical_cpus=logical,
        usable_cpus=usable,
        limit="; ".join(limits),
    )


def _brand_and_sockets(cpuinfo: Path) -> tuple[str, int, int]:
    """Return the brand, the number of packages and the number of processors listed."""
    brand = ""
    packages: set[str] = set()
    processors = 0
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "processor":
            processors += 1
        if key == "model name" and not brand:
            brand = value.strip()
        elif key == "physical id":
            packages.add(value.strip())
        elif key in ("Hardware", "Model") and not brand:
            brand = value.strip()
    if not brand:  # no brand in /proc/cpuinfo: ask the platform (may run ``uname -p``)
        import platform

        brand = platform.processor() or platform.machine() or "unknown CPU"
    return brand, max(1, len(packages)), processors


def cgroup_cpu_quota(
    *, procfs_root: Path = Path("/proc"), cgroup_root: Path = Path("/sys/fs/cgroup")
) -> float | None:
    """Return the CPU quota of this process's cgroup in CPUs, or None if unlimited.

    Reads cgroup v2 ``cpu.max`` (``"max 100000"`` or ``"150000 100000"``) for
    the process's cgroup, else cgroup v1 ``cpu.cfs_quota_us`` and
    ``cpu.cfs_period_us`` (a quota of -1 means unlimited).
    """
    for directory in _cgroup_dirs(procfs_root, cgroup_root):
        try:
            quota, period = (directory / "cpu.max").read_text().split()[:2]
        except (OSError, ValueError):
            pass
        else:
            if quota == "max":
                return None
            return _ratio(quota, period)
        try:
            quota = (directory / "cpu.cfs_quota_us").read_text().strip()
            period = (directory / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            continue
        if quota.startswith("-"):
            return None
        return _ratio(quota, period)
    return None


def _ratio(quota: str, period: str) -> float | None:
    try:
        q, p = int(quota), int(period)
    except ValueError:
        return None
    return q / p if q > 0 and p > 0 else None


def _cgroup_dirs(procfs_root: Path, cgroup_root: Path) -> list[Path]:
    """Return candidate directories holding this process's CPU controller files."""
    dirs: list[Path] = []
    try:
        lines = (procfs_root / "self" / "cgroup").read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        rel = path.lstrip("/")
        if controllers == "":
            dirs.append(cgroup_root / rel)
        elif "cpu" in controllers.split(","):
            for name in ("cpu,cpuacct", "cpu", "cpuacct,cpu"):
                dirs.append(cgroup_root / name / rel)
                dirs.append(cgroup_root / name)
    dirs.append(cgroup_root)
    return dirs


def read_ram_total_bytes(procfs_root: Path = Path("/proc")) -> int:
    """Return the installed memory in bytes (``MemTotal``), or psutil's figure."""
    try:
        with open(procfs_root / "meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    import psutil

    return int(psutil.virtual_memory().total)


def read_ram_used_bytes(procfs_root: Path = Path("/proc")) -> int:
    """Return memory in use machine-wide (``MemTotal - MemAvailable``) in bytes."""
    values: dict[bytes, int] = {}
    try:
        with open(procfs_root / "meminfo", "rb") as f:
            for line in f:  # both are among the first lines: stop once found
                key, _, rest = line.partition(b":")
                if key in (b"MemTotal", b"MemAvailable"):
                    values[key] = int(rest.split()[0]) * 1024
                    if len(values) == 2:
                        break
    except (OSError, ValueError, IndexError):
        pass
    if len(values) == 2:
        return values[b"MemTotal"] - values[b"MemAvailable"]
    import psutil

    vm = psutil.virtual_memory()
    return int(vm.total - vm.available)
