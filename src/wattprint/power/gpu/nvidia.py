"""NVIDIA GPUs through NVML (the ``nvidia-ml-py`` package, module ``pynvml``).

NVML is the driver's management library (``libnvidia-ml.so.1``). On Volta and
newer, ``nvmlDeviceGetTotalEnergyConsumption`` counts the board's energy since
the driver was loaded, in millijoules (64 bits): method ``nvml-energy``. Older
boards answer ``NVML_ERROR_NOT_SUPPORTED``; their power (``nvmlDeviceGetPowerUsage``,
milliwatts) is polled at 10 Hz and integrated: method ``nvml-power-polling``.

``pynvml`` is an optional extra (``wattprint[gpu]``) imported only when probed.
Without it, without the driver (``nvmlInit`` raises
``NVML_ERROR_LIBRARY_NOT_FOUND``) or without a GPU, there is "no NVIDIA GPU".
:class:`NvmlBackend` implements :class:`~.backend.GpuBackend`: selection (MIG
included), counter or polling, failures and shares are the shared code's.
An older or different ``pynvml`` (a missing function or ``NVML_*``
constant) makes a GPU poll its power, or the vendor unavailable, with the
reason; it never raises out of discovery.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from wattprint.errors import MissingDependencyError
from wattprint.power.base import ProbeOutcome
from wattprint.power.gpu import select as sel
from wattprint.power.gpu.backend import ShareReader, probe_gpus
from wattprint.power.gpu.poll import DEFAULT_POLL_INTERVAL_S
from wattprint.power.gpu.presence import NVIDIA_DRIVER, NVIDIA_INSTALL, nvidia_absent
from wattprint.power.gpu.source import GpuEnergySource

__all__ = ["NvidiaSource", "NvmlBackend", "load_nvml", "probe_nvidia"]

NvmlModule = Any
"""The ``pynvml`` module, or a stand-in with the same functions (tests)."""

NvidiaSource = GpuEnergySource
"""The source ``nvidia-gpu`` is the shared GPU source (kept for compatibility)."""

SOURCE_NAME = "nvidia-gpu"
_J_PER_MJ = 1e-3  # NVML energy counters count millijoules
_W_PER_MW = 1e-3  # NVML power readings are milliwatts
_US_PER_S = 1_000_000  # nvmlDeviceGetProcessUtilization takes a timestamp in microseconds
_MIG_NOTE = "MIG: NVML measures the whole GPU, so this energy is shared by its MIG instances"


def load_nvml() -> NvmlModule:
    """Import ``pynvml`` (``nvidia-ml-py``), or raise MissingDependencyError (extra ``gpu``)."""
    try:
        return importlib.import_module("pynvml")
    except ImportError as err:
        raise MissingDependencyError("pynvml", "gpu") from err


def _text(value: object) -> str:
    """Return NVML's string (``bytes`` in nvidia-ml-py before 11.515) as ``str``."""
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _nvml_error(nvml: NvmlModule) -> type[BaseException]:
    """Return pynvml's error class (any exception where the module has none)."""
    error = getattr(nvml, "NVMLError", None)
    return error if isinstance(error, type) and issubclass(error, BaseException) else Exception


class NvmlBackend:
    """NVIDIA GPUs through NVML, for the shared GPU code (:class:`~.backend.GpuBackend`)."""

    vendor = "nvidia"
    title = "NVIDIA"
    library = "NVML"
    source_name = SOURCE_NAME
    env_vars: tuple[str, ...] = (sel.CUDA_VISIBLE_DEVICES,)
    counter_call = "nvmlDeviceGetTotalEnergyConsumption"
    power_call = "nvmlDeviceGetPowerUsage"
    counter_method = "nvml-energy"
    polling_method = "nvml-power-polling"

    def __init__(
        self, nvml: NvmlModule | None = None, *, wall_clock: Callable[[], float] = time.time
    ) -> None:
        """Use ``nvml`` (``pynvml`` is imported by ``start()`` when None).

        Args:
            nvml: the NVML module, or a stand-in (tests).
            wall_clock: wall clock, for NVML's per-process samples. Units: s.
        """
        self._nvml: Any = nvml
        self._wall_clock = wall_clock
        self._started = False

    @property
    def nvml(self) -> NvmlModule:
        """The NVML module in use (None before ``start()`` imported it)."""
        return self._nvml

    def why(self, err: BaseException) -> str:
        """Describe an NVMLError by its message and code; any other error by its type."""
        if self._nvml is not None and isinstance(err, _nvml_error(self._nvml)):
            return f"{err} (NVML error {getattr(err, 'value', '?')})"
        return f"{type(err).__name__}: {err}"

    def _init_problem(self, err: BaseException) -> str:
        nvml = self._nvml
        known = {
            getattr(nvml, "NVML_ERROR_LIBRARY_NOT_FOUND", -1): "the NVML library "
            "(libnvidia-ml.so.1) was not found: no NVIDIA driver is installed",
            getattr(nvml, "NVML_ERROR_DRIVER_NOT_LOADED", -1): "the NVIDIA driver is not loaded",
            getattr(nvml, "NVML_ERROR_NO_PERMISSION", -1): "no permission to use the NVIDIA "
            "driver (/dev/nvidia*)",
        }
        return known.get(getattr(err, "value", None), f"nvmlInit failed: {self.why(err)}")

    def start(self) -> tuple[str, str]:
        """Import NVML if needed and initialise it: ``("", "")`` or ``(problem, advice)``."""
        if self._nvml is None:
            absent = nvidia_absent()
            if absent is not None:
                return absent
            try:
                self._nvml = load_nvml()
            except MissingDependencyError:
                return "nvidia-ml-py (module pynvml) is not installed", NVIDIA_INSTALL
        try:
            self._nvml.nvmlInit()
        except Exception as err:  # NVMLError, or whatever an odd pynvml raises
            return self._init_problem(err), NVIDIA_DRIVER
        self._started = True
        return "", ""

    def shutdown(self) -> None:
        """Shut NVML down once per ``start()``; never raises."""
        if not self._started:
            return
        self._started = False
        try:
            self._nvml.nvmlShutdown()
        except Exception:  # already shut down, or an odd pynvml: nothing left to release
            pass

    def _mig_instances(self, handle: object) -> tuple[sel.MigInstance, ...]:
        """List the MIG devices of a GPU in MIG mode; () when MIG is off or unsupported."""
        nvml = self._nvml
        try:
            current, _pending = nvml.nvmlDeviceGetMigMode(handle)
            if current != nvml.NVML_DEVICE_MIG_ENABLE:
                return ()
            count = nvml.nvmlDeviceGetMaxMigDeviceCount(handle)
        except Exception:  # NOT_SUPPORTED before Ampere, or a pynvml without MIG
            return ()
        found = []
        for position in range(count):
            try:
                mig = nvml.nvmlDeviceGetMigDeviceHandleByIndex(handle, position)
            except Exception:  # NOT_FOUND: an empty slot
                continue
            uuid = _text(nvml.nvmlDeviceGetUUID(mig))
            try:  # for the MIG-GPU-<uuid>/<gi>/<ci> form of older drivers
                ids = (
                    nvml.nvmlDeviceGetGpuInstanceId(mig),
                    nvml.nvmlDeviceGetComputeInstanceId(mig),
                )
            except Exception:  # unknown ids: only the MIG-<uuid> form matches
                ids = (None, None)
            found.append(sel.MigInstance(uuid, position, *ids))
        return tuple(found)

    def inventory(self) -> tuple[list[sel.KnownGpu], dict[int, object], list[str]]:
        """Return the GPUs NVML lists, their handles, and the GPUs that could not be opened."""
        nvml = self._nvml
        known: list[sel.KnownGpu] = []
        handles: dict[int, object] = {}
        problems: list[str] = []
        for index in range(nvml.nvmlDeviceGetCount()):
            try:
                handle = nvml.nvmlDeviceGetHandleByIndex(index)
                uuid = _text(nvml.nvmlDeviceGetUUID(handle))
            except Exception as err:  # one GPU that cannot be opened: the others go on
                problems.append(f"gpu-{index}: cannot be opened: {self.why(err)}")
                continue
            known.append(sel.KnownGpu(index, uuid, self._mig_instances(handle)))
            handles[index] = handle
        return known, handles, problems

    def driver_version(self) -> str:
        """Return the driver's version, or ``unknown (...)``."""
        try:
            return _text(self._nvml.nvmlSystemGetDriverVersion())
        except Exception as err:  # an unknown version does not stop counting
            return f"unknown ({self.why(err)})"

    def device_name(self, handle: object) -> str:
        """Return the product name, e.g. ``Tesla V100-SXM2-16GB``."""
        return _text(self._nvml.nvmlDeviceGetName(handle))

    def read_counter(self, handle: object) -> tuple[int, float]:
        """Return the board's energy counter (mJ) and joules per count."""
        return int(self._nvml.nvmlDeviceGetTotalEnergyConsumption(handle)), _J_PER_MJ

    def read_power_w(self, handle: object) -> float:
        """Return the board's power. Units: W (NVML gives mW)."""
        return int(self._nvml.nvmlDeviceGetPowerUsage(handle)) * _W_PER_MW

    def _optional(self, call: str, handle: object, field: str = "") -> int | None:
        """Return ``nvml.<call>(handle)`` (or its ``field``) as an int; None if unknown."""
        try:
            value = getattr(self._nvml, call)(handle)
            return int(getattr(value, field) if field else value)
        except Exception:  # NVML cannot say, or an odd pynvml: unknown
            return None

    def power_limit_w(self, handle: object) -> float | None:
        """Return the enforced power limit (else the management limit). Units: W."""
        limit_mw = self._optional("nvmlDeviceGetEnforcedPowerLimit", handle)
        if limit_mw is None:
            limit_mw = self._optional("nvmlDeviceGetPowerManagementLimit", handle)
        return None if limit_mw is None else limit_mw * _W_PER_MW

    def memory_total_bytes(self, handle: object) -> int | None:
        """Return the GPU's memory. Units: bytes."""
        return self._optional("nvmlDeviceGetMemoryInfo", handle, "total")

    def mig_text(self, gpu: sel.KnownGpu) -> str:
        """Return ``off`` or ``on: <MIG uuids>``."""
        return ("on: " + ", ".join(m.uuid for m in gpu.mig)) if gpu.mig else "off"

    def device_note(
        self, gpu: sel.KnownGpu, pick: sel.SelectedGpu, j_per_count: float | None
    ) -> str:
        """Say that a MIG GPU's energy is shared by its instances."""
        return _MIG_NOTE if pick.mig or gpu.mig else ""

    def share_reader(self, handle: object, gpu: sel.KnownGpu, pick: sel.SelectedGpu) -> ShareReader:
        """Share by per-process SM utilisation since the last call, else by memory.

        In MIG mode NVML has no per-process samples, so memory decides. A
        failing or malformed utilisation answer falls back to memory (the rule
        says why); a failing memory answer raises, and the shared code then
        charges the GPU in full.
        """
        nvml = self._nvml
        window = {"since_us": int(self._wall_clock() * _US_PER_S)}
        mig = bool(pick.mig or gpu.mig)

        def by_utilisation(pids: Collection[int]) -> tuple[float, str] | None:
            try:
                samples = nvml.nvmlDeviceGetProcessUtilization(handle, window["since_us"])
            except _nvml_error(nvml):  # NOT_FOUND: no sample in the window; NOT_SUPPORTED
                return None
            pairs = [(int(s.pid), float(s.smUtil)) for s in samples]
            stamps = [int(s.timeStamp) for s in samples]
            now_us = int(self._wall_clock() * _US_PER_S)
            plausible = [t for t in stamps if window["since_us"] < t <= now_us + _US_PER_S]
            if plausible:  # the next window starts after the newest sample seen
                window["since_us"] = max(plausible)
            return sel.share_by_utilisation(pairs, pids)

        def read(pids: Collection[int]) -> tuple[float, str]:
            prefix = ""
            found = None
            if not mig:
                try:
                    found = by_utilisation(pids)
                except Exception as err:  # malformed samples: use the memory rule
                    prefix = f"per-process utilisation unusable ({self.why(err)}), so by memory: "
            if found is not None:
                return found
            procs = nvml.nvmlDeviceGetComputeRunningProcesses(handle)
            share, rule = sel.share_by_memory(
                ((int(p.pid), _memory(p.usedGpuMemory)) for p in procs), pids
            )
            return share, prefix + rule

        return read


def _memory(value: object) -> int | None:
    """Return a process's GPU memory in bytes; None where NVML does not know it."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"usedGpuMemory is {value!r}, not a number of bytes")
    return value if value >= 0 else None


def probe_nvidia(
    env: Mapping[str, str] | None = None,
    gpu_ids: Sequence[int | str] | str | None = None,
    nvml: NvmlModule | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
    poll_interval_s: float | None = DEFAULT_POLL_INTERVAL_S,
) -> ProbeOutcome:
    """Find the selected NVIDIA GPUs and open one source for them.

    Args:
        env: the environment (``CUDA_VISIBLE_DEVICES``); defaults to ``os.environ``.
        gpu_ids: GPU indices, UUIDs or ``MIG-`` ids; wins over the environment.
        nvml: the NVML module; ``pynvml`` is imported when None.
        clock: monotonic clock of the source. Units: s.
        wall_clock: wall clock of the source. Units: s.
        poll_interval_s: power polling period of GPUs without a counter; None
            samples at each read only. Units: s.

    Returns:
        One ``gpu`` source (``nvidia-gpu``), or none and the reason ("no NVIDIA
        GPU: ..."); the reason also names GPUs that cannot be read.

    Raises:
        ConfigError: ``gpu_ids`` or ``CUDA_VISIBLE_DEVICES`` names a GPU that
            does not exist; the message lists those that do.
    """
    environ = os.environ if env is None else env
    backend = NvmlBackend(nvml, wall_clock=wall_clock)
    return probe_gpus(backend, environ, gpu_ids, clock=clock, poll_interval_s=poll_interval_s)
