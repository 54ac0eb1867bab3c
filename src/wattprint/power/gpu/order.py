"""The order in which CUDA numbers NVIDIA GPUs (``CUDA_DEVICE_ORDER``).

NVML numbers GPUs by PCI bus id. The CUDA runtime numbers them, by default
(``CUDA_DEVICE_ORDER=FASTEST_FIRST``), fastest first, and in PCI bus order
only with ``CUDA_DEVICE_ORDER=PCI_BUS_ID``. Indices in ``CUDA_VISIBLE_DEVICES``
and in ``gpu_ids`` are CUDA's, so on a machine with mixed GPUs index 0 may
be NVML's GPU 1. CUDA's heuristic for "fastest" is not published: wattprint
orders by compute capability (``nvmlDeviceGetCudaComputeCapability``), then by
streaming multiprocessor count (``nvmlDeviceGetAttributes``), then by PCI bus
id (``nvmlDeviceGetPciInfo``), so identical GPUs keep their PCI order. Set
``CUDA_DEVICE_ORDER=PCI_BUS_ID`` to make the numbering certain. Where NVML
cannot say, the GPUs keep NVML's order and the selection says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from wattprint.power.gpu import select as sel

__all__ = ["CUDA_DEVICE_ORDER", "cuda_order"]

CUDA_DEVICE_ORDER = "CUDA_DEVICE_ORDER"
"""The CUDA runtime's numbering: ``FASTEST_FIRST`` (default) or ``PCI_BUS_ID``."""

_ORDERS = ("FASTEST_FIRST", "PCI_BUS_ID")


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{value!r} is not an integer")
    return value


def _pci(nvml: Any, handle: object) -> tuple[int, int, int]:
    info = nvml.nvmlDeviceGetPciInfo(handle)
    return _int(info.domain), _int(info.bus), _int(info.device)


def _speed(nvml: Any, handle: object) -> tuple[int, int, int]:
    """Return ``(-major, -minor, -SMs)``: the fastest GPU sorts first."""
    major, minor = nvml.nvmlDeviceGetCudaComputeCapability(handle)
    try:
        sms = _int(nvml.nvmlDeviceGetAttributes(handle).multiprocessorCount)
    except Exception:  # an older driver: compute capability alone decides
        sms = 0
    return -_int(major), -_int(minor), -sms


def cuda_order(
    nvml: Any,
    known: Sequence[sel.KnownGpu],
    handles: Mapping[int, object],
    env: Mapping[str, str],
) -> tuple[tuple[int, ...], str]:
    """Return NVML's indices in CUDA's order, and how that order was found.

    Args:
        nvml: the NVML module.
        known: the GPUs NVML lists.
        handles: their NVML handles, by index.
        env: the environment (``CUDA_DEVICE_ORDER``).

    Returns:
        ``(order, text)``: ``order[k]`` is the NVML index of CUDA device k.
    """
    raw = env.get(CUDA_DEVICE_ORDER, "").strip()
    wanted = raw.upper() if raw.upper() in _ORDERS else "FASTEST_FIRST"
    named = (
        f"{CUDA_DEVICE_ORDER}={raw}"
        if raw.upper() in _ORDERS
        else (
            f"{CUDA_DEVICE_ORDER}={raw!r} is not FASTEST_FIRST or PCI_BUS_ID, so CUDA's "
            "default FASTEST_FIRST"
            if raw
            else f"{CUDA_DEVICE_ORDER} unset: CUDA's default FASTEST_FIRST"
        )
    )
    indices = [g.index for g in known]
    try:
        pci = {i: _pci(nvml, handles[i]) for i in indices}
    except Exception:  # NVML cannot say: its own order, which follows the PCI bus
        pci = {i: (0, 0, i) for i in indices}
    try:
        speed = {i: _speed(nvml, handles[i]) for i in indices} if wanted == "FASTEST_FIRST" else {}
    except Exception as err:  # no compute capability: PCI order, said
        return tuple(sorted(indices, key=lambda i: pci[i])), (
            f"{named}; compute capability unknown ({type(err).__name__}), so PCI bus order"
        )
    if wanted == "PCI_BUS_ID":
        return tuple(sorted(indices, key=lambda i: pci[i])), named
    order = tuple(sorted(indices, key=lambda i: (speed[i], pci[i])))
    return order, f"{named}: by compute capability, then SM count, then PCI bus id"
