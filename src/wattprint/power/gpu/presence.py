"""Say cheaply that a GPU vendor is absent, before importing its backend.

Importing a GPU backend and its vendor library costs tens of milliseconds;
on the many machines without that vendor's driver or library, these checks
answer in a fraction of a millisecond, so ``start()`` stays fast.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

NVIDIA_DRIVER_MARKERS = (Path("/proc/driver/nvidia"), Path("/dev/nvidiactl"))
"""Files the NVIDIA kernel driver creates on Linux (also inside GPU containers)."""

NVIDIA_INSTALL = 'If this machine has an NVIDIA GPU: pip install "wattprint[gpu]"'
NVIDIA_DRIVER = "If this machine has an NVIDIA GPU: install its driver (then nvidia-smi works)."
AMD_INSTALL = "If this machine has an AMD GPU: install ROCm and its amdsmi Python package."


def _installed(module: str) -> bool | None:
    """Tell whether ``module`` is installed, without importing it (None: unknown)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken or blocked install: the import will say
        return None


def nvidia_absent(markers: tuple[Path, ...] = NVIDIA_DRIVER_MARKERS) -> tuple[str, str] | None:
    """Return ``(reason, advice)`` when there can be no NVIDIA GPU to read, else None."""
    if _installed("pynvml") is False:
        return "nvidia-ml-py (module pynvml) is not installed", NVIDIA_INSTALL
    if sys.platform.startswith("linux") and not any(p.exists() for p in markers):
        listed = " and ".join(str(p) for p in markers)
        return f"no NVIDIA driver is loaded ({listed} are absent)", NVIDIA_DRIVER
    return None


def amd_absent() -> tuple[str, str] | None:
    """Return ``(reason, advice)`` when the amdsmi package is not installed, else None."""
    if _installed("amdsmi") is False:
        return "the amdsmi package is not installed", AMD_INSTALL
    return None
