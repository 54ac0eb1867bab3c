"""MIG (Multi-Instance GPU): list a GPU's instances and charge a slice its share.

A GPU in MIG mode (A100, A30, H100, H200...) is cut into GPU instances of
whole *slices*, each holding one or more compute instances; a MIG device, the
unit CUDA sees, is one compute instance. MIG devices have no power sensor and
no energy counter of their own: NVML measures the whole board. A run given
MIG devices is therefore charged the board's energy times the share of the
GPU's slices they hold: the compute slices of each device
(``computeInstanceSliceCount`` of ``nvmlDeviceGetAttributes``, else its GPU
instance's ``gpuInstanceSliceCount``) over the GPU's total (the largest
``sliceCount`` of ``nvmlDeviceGetGpuInstanceProfileInfo`` over the profiles
the GPU has: 7 on A100 and H100, 4 on A30; else
``nvmlDeviceGetMaxMigDeviceCount``). A ``3g.20gb`` device of an A100 is
charged 3/7 of the board's energy. This apportions the board's measured
energy by capacity, not by use: idle slices and the board's shared parts
(memory controllers, fans) are split in proportion too.

Where the slice sizes cannot be read (an older pynvml or driver), the whole
GPU is charged, and the methodology says so.
"""

from __future__ import annotations

from typing import Any

from wattprint.power.gpu import select as sel

__all__ = ["list_mig_instances", "mig_fraction", "total_slices"]


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _slices(nvml: Any, mig: object) -> int | None:
    """Return a MIG device's compute slices; None if NVML cannot say."""
    try:
        attributes = nvml.nvmlDeviceGetAttributes(mig)
    except Exception:  # an older pynvml or driver: unknown
        return None
    for field in ("computeInstanceSliceCount", "gpuInstanceSliceCount"):
        value = getattr(attributes, field, None)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def total_slices(nvml: Any, handle: object, max_devices: int | None) -> int | None:
    """Return the GPU's slices: the largest profile's ``sliceCount``, else ``max_devices``."""
    best = 0
    for profile in range(int(getattr(nvml, "NVML_GPU_INSTANCE_PROFILE_COUNT", 0))):
        try:
            count = nvml.nvmlDeviceGetGpuInstanceProfileInfo(handle, profile).sliceCount
        except Exception:  # a profile this GPU does not have
            continue
        if isinstance(count, int) and not isinstance(count, bool):
            best = max(best, count)
    if best > 0:
        return best
    return max_devices if max_devices and max_devices > 0 else None


def list_mig_instances(nvml: Any, handle: object) -> tuple[tuple[sel.MigInstance, ...], int | None]:
    """List the MIG devices of a GPU in MIG mode, and the GPU's total slices.

    Returns:
        ``((), None)`` when MIG is off or unsupported (before Ampere).
    """
    try:
        current, _pending = nvml.nvmlDeviceGetMigMode(handle)
        if current != nvml.NVML_DEVICE_MIG_ENABLE:
            return (), None
        count = int(nvml.nvmlDeviceGetMaxMigDeviceCount(handle))
    except Exception:  # NOT_SUPPORTED before Ampere, or a pynvml without MIG
        return (), None
    found = []
    for position in range(count):
        try:
            mig = nvml.nvmlDeviceGetMigDeviceHandleByIndex(handle, position)
        except Exception:  # NOT_FOUND: an empty slot
            continue
        uuid = _text(nvml.nvmlDeviceGetUUID(mig))
        try:  # for the MIG-GPU-<uuid>/<gi>/<ci> form of older drivers
            ids = (nvml.nvmlDeviceGetGpuInstanceId(mig), nvml.nvmlDeviceGetComputeInstanceId(mig))
        except Exception:  # unknown ids: only the MIG-<uuid> form matches
            ids = (None, None)
        found.append(sel.MigInstance(uuid, position, *ids, slices=_slices(nvml, mig)))
    return tuple(found), total_slices(nvml, handle, count)


def mig_fraction(gpu: sel.KnownGpu, pick: sel.SelectedGpu) -> tuple[float, str]:
    """Return the share of a GPU's energy charged to a pick, and why, for the methodology."""
    if not gpu.mig:
        return 1.0, ""
    if not pick.mig:
        return 1.0, (
            "MIG is on and the whole GPU is selected: the board's energy, shared by its "
            f"{len(gpu.mig)} MIG device(s), is charged in full"
        )
    slices = [m.slices for m in pick.mig]
    total = gpu.total_slices
    if total is None or any(s is None for s in slices):
        return 1.0, (
            "MIG: NVML measures the whole GPU and the slice sizes are unknown "
            "(nvmlDeviceGetAttributes or nvmlDeviceGetGpuInstanceProfileInfo failed), so the "
            "whole GPU's energy is charged"
        )
    held = sum(s or 0 for s in slices)
    share = min(held / total, 1.0)
    return share, (
        f"MIG: NVML measures the whole GPU; charged {held}/{total} of its energy, the "
        f"compute slices the selected MIG device(s) hold of the GPU's {total}"
    )
