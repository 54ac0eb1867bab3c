"""Which GPUs a run uses, and what part of each belongs to the tracked processes.

Pure functions over plain data, shared by the NVIDIA and AMD sources:

- :func:`select_gpus` turns ``gpu_ids=`` (or else ``CUDA_VISIBLE_DEVICES``, or
  else every GPU) into the devices to read. Entries follow the CUDA runtime's
  rules: an index, a ``GPU-`` UUID (a unique prefix is enough), a ``MIG-``
  identifier (``MIG-<uuid>``, or the older ``MIG-GPU-<uuid>/<gi>/<ci>``); an
  empty value selects none, and a negative index ends the list (so ``-1``
  hides every GPU). An index is CUDA's: it is mapped through the order CUDA
  numbers the GPUs in (``CUDA_DEVICE_ORDER``, see :mod:`.order`) when the
  vendor gives one; labels keep the library's index (NVML's follows the PCI
  bus). An id that names no GPU here is a
  :class:`~wattprint.errors.ConfigError` listing those that exist.
- A MIG instance has no power sensor of its own: NVML measures the whole GPU.
  A selected instance is therefore read as its GPU, labelled with the
  instance's id, and charged its slices' share (see :mod:`.mig`).
- :func:`share_by_utilisation` and :func:`share_by_memory` give the share
  (0..1) of a GPU used by a set of processes, with the rule as text for the
  methodology; :class:`GpuShares` carries one per device.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypedDict

from wattprint.errors import ConfigError
from wattprint.power.base import DeviceShare, GpuShares

__all__ = [
    "CUDA_VISIBLE_DEVICES",
    "DeviceShare",
    "GpuDescription",
    "GpuSelection",
    "GpuShares",
    "KnownGpu",
    "MigInstance",
    "SelectedGpu",
    "select_gpus",
    "share_by_memory",
    "share_by_utilisation",
]

CUDA_VISIBLE_DEVICES = "CUDA_VISIBLE_DEVICES"
"""The CUDA runtime's device mask, honoured when ``gpu_ids`` is not given."""


@dataclass(frozen=True, slots=True)
class MigInstance:
    """One MIG (Multi-Instance GPU) device of a GPU.

    Attributes:
        uuid: its identifier, ``MIG-<uuid>`` (driver R470 on).
        position: its index for ``nvmlDeviceGetMigDeviceHandleByIndex``.
        gpu_instance_id: the GPU instance id (for ``MIG-GPU-<uuid>/<gi>/<ci>``).
        compute_instance_id: the compute instance id (same).
        slices: the compute slices it holds, None if unknown.
    """

    uuid: str
    position: int
    gpu_instance_id: int | None = None
    compute_instance_id: int | None = None
    slices: int | None = None


@dataclass(frozen=True, slots=True)
class KnownGpu:
    """A GPU the vendor library lists.

    Attributes:
        index: the library's index (PCI bus order for NVML).
        uuid: its UUID, e.g. ``GPU-5c3b...`` (NVML).
        mig: its MIG devices, when MIG mode is on.
        total_slices: the slices the GPU is cut into in MIG mode (7 on A100), if known.
    """

    index: int
    uuid: str
    mig: tuple[MigInstance, ...] = ()
    total_slices: int | None = None


@dataclass(frozen=True, slots=True)
class SelectedGpu:
    """A GPU to read, whole or through some of its MIG instances.

    Attributes:
        index: the GPU's index.
        uuid: the GPU's UUID.
        mig: the selected MIG instances; empty when the whole GPU is selected.
    """

    index: int
    uuid: str
    mig: tuple[MigInstance, ...] = ()

    @property
    def label(self) -> str:
        """Return the device label, e.g. ``gpu-0`` or ``gpu-0/MIG-9f1c...``."""
        base = f"gpu-{self.index}"
        if not self.mig:
            return base
        return base + "/" + "+".join(m.uuid for m in self.mig)


@dataclass(frozen=True, slots=True)
class GpuSelection:
    """The GPUs chosen and why.

    Attributes:
        gpus: the GPUs to read, in the order given (all GPUs: by index).
        origin: where the choice came from, for people, e.g.
            ``CUDA_VISIBLE_DEVICES='1,0'``.
    """

    gpus: tuple[SelectedGpu, ...]
    origin: str


def _existing(known: Sequence[KnownGpu]) -> str:
    """Describe the GPUs that exist, for an error message."""
    if not known:
        return "none: no GPU is present"
    parts = []
    for gpu in known:
        parts.append(f"{gpu.index} ({gpu.uuid})")
        parts.extend(f"{m.uuid} (MIG on GPU {gpu.index})" for m in gpu.mig)
    return "a GPU index, GPU- UUID or MIG- identifier of this machine: " + ", ".join(parts)


def _match(
    entry: str, known: Sequence[KnownGpu], order: Sequence[int] | None = None
) -> SelectedGpu | None:
    """Return the GPU or MIG instance ``entry`` names, or None (``order``: CUDA's)."""
    if entry.isdigit():
        index = int(entry)
        if order is not None:
            index = order[index] if index < len(order) else -1
        gpu = next((g for g in known if g.index == index), None)
        return None if gpu is None else SelectedGpu(gpu.index, gpu.uuid)
    if entry.startswith("MIG-GPU-"):  # MIG-GPU-<uuid>/<gi>/<ci>, drivers before R470
        parent, _, rest = entry.removeprefix("MIG-").partition("/")
        gi, _, ci = rest.partition("/")
        for gpu in known:
            if gpu.uuid.lower() != parent.lower():
                continue
            for mig in gpu.mig:
                if (str(mig.gpu_instance_id), str(mig.compute_instance_id)) == (gi, ci):
                    return SelectedGpu(gpu.index, gpu.uuid, (mig,))
        return None
    if entry.startswith("MIG-"):
        hits = [
            SelectedGpu(g.index, g.uuid, (m,))
            for g in known
            for m in g.mig
            if m.uuid.lower().startswith(entry.lower())
        ]
        return hits[0] if len(hits) == 1 else None
    # A UUID, or a unique prefix of one, as CUDA accepts; AMD UUIDs may lack "GPU-".
    wanted = entry.lower()
    gpus = [
        g
        for g in known
        if g.uuid.lower().startswith(wanted) or f"gpu-{g.uuid.lower()}".startswith(wanted)
    ]
    return SelectedGpu(gpus[0].index, gpus[0].uuid) if len(gpus) == 1 else None


def _merge(picks: Iterable[SelectedGpu]) -> tuple[SelectedGpu, ...]:
    """Merge picks of the same GPU: the whole GPU wins over its instances."""
    merged: dict[int, SelectedGpu] = {}
    for pick in picks:
        seen = merged.get(pick.index)
        if seen is None:
            merged[pick.index] = pick
        elif seen.mig and pick.mig:
            extra = tuple(m for m in pick.mig if m not in seen.mig)
            merged[pick.index] = SelectedGpu(seen.index, seen.uuid, seen.mig + extra)
        else:
            merged[pick.index] = SelectedGpu(seen.index, seen.uuid)
    return tuple(merged.values())


def select_gpus(
    known: Sequence[KnownGpu],
    *,
    gpu_ids: Sequence[int | str] | str | None = None,
    env: Mapping[str, str],
    env_vars: Sequence[str] = (CUDA_VISIBLE_DEVICES,),
    order: Sequence[int] | None = None,
    order_text: str = "",
) -> GpuSelection:
    """Choose the GPUs to read.

    Args:
        known: the GPUs the vendor library lists.
        gpu_ids: indices or UUIDs (or a comma-separated string of them); wins
            over the environment. An empty sequence selects no GPU.
        env: the environment to read ``env_vars`` from.
        env_vars: device masks to honour when ``gpu_ids`` is None, the first
            one set wins (``CUDA_VISIBLE_DEVICES`` for NVIDIA).
        order: the library's indices in the order the indices given count
            in (``order[k]`` is CUDA device k); None: the library's own order.
        order_text: how ``order`` was found, for the origin.

    Returns:
        The selected GPUs (possibly none) and where the choice came from.

    Raises:
        ConfigError: an entry names no GPU or MIG instance of this machine (or
            a ``gpu_ids`` index is negative); the message lists those that exist.
    """
    if gpu_ids is not None:
        key, origin_source = "gpu_ids", "argument"
        if isinstance(gpu_ids, str):
            entries = [e.strip() for e in gpu_ids.split(",")] if gpu_ids.strip() else []
        else:
            entries = [str(e).strip() for e in gpu_ids]
        origin = f"gpu_ids={list(gpu_ids) if not isinstance(gpu_ids, str) else gpu_ids!r}"
        stop_at_negative = False
    else:
        name = next((v for v in env_vars if v in env), None)
        if name is None:
            unset = ", ".join(env_vars)
            gpus = tuple(SelectedGpu(g.index, g.uuid) for g in known)
            return GpuSelection(gpus, f"all GPUs ({unset} not set)")
        key, origin_source = name, "environment"
        raw = env[name]
        entries = [e.strip() for e in raw.split(",")] if raw.strip() else []
        origin = f"{name}={raw!r}"
        stop_at_negative = True
    picks = []
    mapped: list[str] = []
    for entry in entries:
        if entry.startswith("-") and entry[1:].isdigit():
            if stop_at_negative:
                break  # CUDA ignores a negative index and every entry after it
            raise ConfigError(key, entry, "a GPU index >= 0, or a UUID", origin_source)
        pick = _match(entry, known, order)
        if pick is None:
            raise ConfigError(key, entry, _existing(known), origin_source)
        picks.append(pick)
        if entry.isdigit() and order is not None:
            mapped.append(f"{entry} = GPU {pick.index}")
    if mapped:
        origin += f" (CUDA indices, {order_text}: " + ", ".join(mapped) + ")"
    return GpuSelection(_merge(picks), origin)


def _pids_text(pids: Collection[int]) -> str:
    return ", ".join(str(p) for p in sorted(pids)) or "none"


def share_by_utilisation(
    samples: Iterable[tuple[int, float]], pids: Collection[int]
) -> tuple[float, str] | None:
    """Share a GPU by the SM utilisation of each process over a window.

    Args:
        samples: ``(pid, sm_util_percent)`` per process sample in the window
            (``nvmlDeviceGetProcessUtilization``); a process may appear in
            several samples.
        pids: the tracked processes.

    Returns:
        ``(share, rule)``: the tracked processes' sum of SM utilisation over
        every process's sum; None when no process used the SMs in the window.
    """
    total = 0.0
    tracked = 0.0
    for pid, sm_util in samples:
        total += sm_util
        if pid in pids:
            tracked += sm_util
    if total <= 0:
        return None
    share = tracked / total
    rule = (
        f"SM utilisation per process (nvmlDeviceGetProcessUtilization): pids "
        f"{_pids_text(pids)} used {share:.1%} of the SM time that processes used"
    )
    return share, rule


def share_by_memory(
    processes: Iterable[tuple[int, int | None]], pids: Collection[int]
) -> tuple[float, str]:
    """Share a GPU among its running processes by the memory each holds.

    Args:
        processes: ``(pid, used_memory_bytes)`` of each process on the GPU; the
            memory is None where the driver does not say.
        pids: the tracked processes.

    Returns:
        ``(share, rule)``: 1.0 when only tracked processes run on the GPU, 0.0
        when none does, else the tracked processes' memory over all processes'
        memory (an even split per process where some memory is unknown).
    """
    procs = list(processes)
    mine = [p for p in procs if p[0] in pids]
    names = _pids_text(pids)
    if not procs:
        return 0.0, "no compute process on the GPU"
    if not mine:
        return 0.0, (
            f"none of the pids {names} runs on the GPU ({len(procs)} other process(es); "
            "in a container NVML may report host pids)"
        )
    if len(mine) == len(procs):
        return 1.0, f"only the tracked pids {names} run on the GPU"
    if any(mem is None for _, mem in procs):
        share = len(mine) / len(procs)
        return share, (
            f"shared with other processes, memory unknown: split evenly per process, "
            f"{len(mine)} of {len(procs)}"
        )
    total = sum(mem or 0 for _, mem in procs)
    if total <= 0:
        share = len(mine) / len(procs)
        return share, f"shared, no memory used: split evenly, {len(mine)} of {len(procs)}"
    share = sum(mem or 0 for _, mem in mine) / total
    return share, (
        f"shared with other processes: by used GPU memory, pids {names} hold {share:.1%}"
    )


class GpuDescription(TypedDict):
    """One GPU as ``wattprint doctor`` shows it.

    Keys:
        vendor: ``nvidia`` or ``amd``.
        index: the library's index.
        name: the product name.
        uuid: the GPU's UUID.
        memory_total_bytes: installed memory. Units: bytes (None if unknown).
        driver_version: the driver's version.
        energy_counter: whether a cumulative energy counter can be read.
        method: the method that will be used, or ``unusable: <reason>``.
        power_limit_w: the enforced power limit. Units: W (None if unknown).
        mig: ``off``, ``on`` with the instance ids, or ``n/a``.
        selected: whether the current selection reads it.
    """

    vendor: str
    index: int
    name: str
    uuid: str
    memory_total_bytes: int | None
    driver_version: str
    energy_counter: bool
    method: str
    power_limit_w: float | None
    mig: str
    selected: bool
