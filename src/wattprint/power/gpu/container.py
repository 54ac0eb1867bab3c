"""GPUs charged whole when NVML cannot see the tracked processes (containers).

NVML names a GPU's processes by their PID in the driver's (the host's) PID
namespace. Inside a container the tracked processes have other PIDs, so in
process mode none of NVML's processes matches the tree and the GPU would be
charged nothing while the job computes on it. Some drivers list no process
at all in a container (``nvidia-smi`` says "No running processes found").

:class:`ContainerCheck` tells that case apart, once per run, when a GPU's
per-process data matches none of the tracked PIDs:

1. the tree uses CUDA: one of its processes maps the CUDA driver library
   (``libcuda.so`` in ``/proc/PID/maps``) or holds ``/dev/nvidia-uvm`` open
   (``/proc/PID/fd``). The plain ``/dev/nvidiactl`` and ``/dev/nvidiaN``
   files are not enough on their own: NVML, which wattprint itself loads in
   the tracked process, opens them too. The ``/dev/nvidiaN`` files such a
   process holds say which GPUs it uses (N is NVML's minor number);
2. and NVML cannot see the tree: a PID NVML lists is no process here, NVML
   lists no process at all, or ``NSpid`` in ``/proc/PID/status`` shows the
   tracked process in a nested PID namespace.

Then the GPUs the tree uses (every selected GPU when the device files do not
say) are charged whole, as dedicated to the container: the rule says so in
the methodology, and one warning is logged. ``gpu_attribution = "whole"``
charges every GPU whole without looking.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from wattprint._log import logger
from wattprint.provenance import GpuAttribution

__all__ = [
    "WHOLE_RULE",
    "ContainerCheck",
    "GpuAttribution",
    "GpuUse",
    "find_gpu_use",
    "nested_pid_namespace",
]


WHOLE_RULE = "charged whole, as dedicated to the run (gpu_attribution = 'whole')"
"""The rule of every GPU when ``gpu_attribution = "whole"``."""

RESCAN_S = 5.0
"""A tree found not using CUDA is looked at again after this long. Units: s."""

MAX_PIDS = 256
"""At most this many tracked processes are looked at per scan."""

_DEVICE = re.compile(r"/dev/nvidia(\d+)$")
_UVM = "/dev/nvidia-uvm"
_CUDA_LIBRARY = "libcuda.so"


@dataclass(frozen=True, slots=True)
class GpuUse:
    """What shows that tracked processes use CUDA.

    Attributes:
        pids: the tracked processes that use CUDA.
        minors: the ``/dev/nvidiaN`` numbers they hold open (empty: unknown).
        evidence: what was found, for people, e.g. ``pid 17 maps libcuda.so``.
    """

    pids: tuple[int, ...]
    minors: frozenset[int]
    evidence: str


def _links(fd_dir: Path) -> list[str]:
    try:
        names = os.listdir(fd_dir)
    except OSError:  # gone, or not ours to read
        return []
    targets = []
    for name in names:
        try:
            targets.append(os.readlink(fd_dir / name))
        except OSError:  # closed meanwhile
            continue
    return targets


def _maps_cuda(maps: Path) -> bool:
    try:
        with maps.open("rb") as f:
            return any(_CUDA_LIBRARY.encode() in line for line in f)
    except OSError:
        return False


def find_gpu_use(procfs_root: Path, pids: Iterable[int]) -> GpuUse | None:
    """Return what shows that some of ``pids`` use CUDA, or None.

    A process uses CUDA when it holds ``/dev/nvidia-uvm`` open or maps
    ``libcuda.so``; the ``/dev/nvidiaN`` it holds open name its GPUs.

    Args:
        procfs_root: the procfs mount (``/proc``).
        pids: the tracked processes (at most :data:`MAX_PIDS` are read).
    """
    users: list[int] = []
    minors: set[int] = set()
    found: list[str] = []
    for k, pid in enumerate(sorted(pids)):
        if k >= MAX_PIDS:
            break
        links = _links(procfs_root / str(pid) / "fd")
        numbered = {int(m.group(1)) for t in links if (m := _DEVICE.match(t))}
        if _UVM in links:
            what = f"has {_UVM}" + "".join(f", /dev/nvidia{n}" for n in sorted(numbered)) + " open"
        elif _maps_cuda(procfs_root / str(pid) / "maps"):
            what = f"maps {_CUDA_LIBRARY}"
        else:
            continue
        users.append(pid)
        minors |= numbered
        found.append(f"pid {pid} {what}")
    if not users:
        return None
    return GpuUse(tuple(users), frozenset(minors), "; ".join(found[:3]))


def nested_pid_namespace(procfs_root: Path, pid: int) -> bool:
    """Tell whether ``pid`` lives in a nested PID namespace (``NSpid`` has several ids)."""
    try:
        with (procfs_root / str(pid) / "status").open() as f:
            for line in f:
                if line.startswith("NSpid:"):
                    return len(line.split()) > 2
    except OSError:
        return False
    return False


def _foreign(procfs_root: Path, listed: Collection[int]) -> list[int]:
    """Return the pids NVML lists that are no process in this procfs."""
    return sorted(p for p in listed if not (procfs_root / str(p)).is_dir())


class ContainerCheck:
    """Decide whether GPUs are charged whole because NVML cannot see the tree.

    One per GPU source, shared by its GPUs; thread-safe enough for the meter,
    which asks from one thread. Once the tree is found using CUDA unseen by
    NVML, that stays so for the run (a PID namespace does not change).
    """

    def __init__(
        self,
        *,
        attribution: GpuAttribution = "process",
        procfs_root: Path = Path("/proc"),
        clock: Callable[[], float] = time.monotonic,
        rescan_s: float = RESCAN_S,
    ) -> None:
        """Look at ``procfs_root`` with ``clock`` pacing the scans.

        Args:
            attribution: ``process`` (detect the container case) or ``whole``.
            procfs_root: the procfs mount.
            clock: monotonic clock that paces rescans. Units: s.
            rescan_s: time between two scans of a tree not using CUDA. Units: s.
        """
        self.attribution: GpuAttribution = attribution
        self._procfs = procfs_root
        self._clock = clock
        self._rescan_s = rescan_s
        self._next_scan_s: float | None = None
        self._use: GpuUse | None = None
        self._why = ""
        self._warned = False

    @property
    def forced(self) -> bool:
        """True when every GPU is charged whole by the setting."""
        return self.attribution == "whole"

    def whole_gpu(
        self, pids: Collection[int], listed: Collection[int], minor: int | None = None
    ) -> str | None:
        """Return the rule charging a GPU whole, or None to keep its per-process share.

        Call it when none of ``pids`` is among the processes NVML lists.

        Args:
            pids: the tracked processes.
            listed: the pids NVML lists on the GPU (possibly none).
            minor: the GPU's ``/dev/nvidiaN`` number, if known.
        """
        if self.forced:
            return WHOLE_RULE
        if self._use is None and not self._scan(pids, listed):
            return None
        use = self._use
        if use is None:
            return None
        if minor is not None and use.minors and minor not in use.minors:
            return None  # the tree uses other GPUs, not this one
        rule = (
            f"charged whole, as dedicated to the container: NVML cannot see the tracked "
            f"processes ({self._why}) while they use CUDA ({use.evidence}); "
            "gpu_attribution = 'process' found this; 'whole' forces it"
        )
        if not self._warned:
            self._warned = True
            logger.warning(
                "wattprint: the GPU's processes cannot be matched to the tracked ones (%s; "
                "inside a container NVML reports host PIDs); the GPUs the run uses are "
                "charged whole, as dedicated to the container",
                self._why,
            )
        return rule

    def _scan(self, pids: Collection[int], listed: Collection[int]) -> bool:
        """Look for the container case; True when found (paced by ``rescan_s``)."""
        now_s = self._clock()
        if self._next_scan_s is not None and now_s < self._next_scan_s:
            return False
        self._next_scan_s = now_s + self._rescan_s
        use = find_gpu_use(self._procfs, pids)
        if use is None:
            return False
        foreign = _foreign(self._procfs, listed)
        nested = [p for p in use.pids if nested_pid_namespace(self._procfs, p)]
        if nested:
            why = f"pid {nested[0]} is in a nested PID namespace (NSpid)"
        elif not listed:
            why = "NVML lists no process on the GPU"
        elif foreign:
            shown = ", ".join(str(p) for p in foreign[:5])
            why = f"the pids NVML lists ({shown}) are no processes here"
        else:
            return False  # NVML sees this namespace: the GPU is used by others
        self._use, self._why = use, why
        return True
