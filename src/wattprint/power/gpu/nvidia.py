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
included), counter or polling, failures and shares are the shared code's;
MIG slices are in :mod:`.mig`, CUDA's numbering in :mod:`.order`, and the
container case (NVML's host PIDs) in :mod:`.container`.
An older or different ``pynvml`` (a missing function or ``NVML_*``
constant) makes a GPU poll its power, or the vendor unavailable, with the
reason; it never raises out of discovery.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from wattprint.errors import MissingDependencyError
from wattprint.power.base import ProbeOutcome
from wattprint.power.gpu import select as sel
from wattprint.power.gpu.backend import ShareReader, probe_gpus
from wattprint.power.gpu.container import ContainerCheck
from wattprint.power.gpu.mig import list_mig_instances, mig_fraction
from wattprint.power.gpu.order import cuda_order
from wattprint.power.gpu.poll import DEFAULT_POLL_INTERVAL_S
from wattprint.power.gpu.presence import NVIDIA_DRIVER, NVIDIA_INSTALL, nvidia_absent
from wattprint.power.gpu.source import GpuEnergySource
from wattprint.provenance import GpuAttribution

__all__ = ["NvidiaSource", "NvmlBackend", "load_nvml", "probe_nvidia"]

NvmlModule = Any
"""The ``pynvml`` module, or a stand-in with the same functions (tests)."""

NvidiaSource = GpuEnergySource
"""The source ``nvidia-gpu`` is the shared GPU source (kept for compatibility)."""

SOURCE_NAME = "nvidia-gpu"
_J_PER_MJ = 1e-3  # NVML energy counters count millijoules
_W_PER_MW = 1e-3  # NVML power readings are milliwatts
_US_PER_S = 1_000_000  # nvmlDeviceGetProcessUtilization takes a timestamp in microseconds


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
            mig, slices = list_mig_instances(nvml, handle)
            known.append(sel.KnownGpu(index, uuid, mig, slices))
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
        """Return ``off`` or ``on: <MIG uuid> (<slices>/<total> slices), ...``."""
        if not gpu.mig:
            return "off"
        total = gpu.total_slices if gpu.total_slices is not None else "?"
        return "on: " + ", ".join(
            f"{m.uuid} ({m.slices if m.slices is not None else '?'}/{total} slices)"
            for m in gpu.mig
        )

    def device_note(
        self, gpu: sel.KnownGpu, pick: sel.SelectedGpu, j_per_count: float | None
    ) -> str:
        """Return nothing more: MIG is said by :meth:`device_fraction`."""
        return ""

    def device_fraction(self, gpu: sel.KnownGpu, pick: sel.SelectedGpu) -> tuple[float, str]:
        """Return a MIG pick's share of its board (its slices), 1 for a whole GPU."""
        return mig_fraction(gpu, pick)

    def device_order(
        self, known: Sequence[sel.KnownGpu], handles: Mapping[int, object], env: Mapping[str, str]
    ) -> tuple[tuple[int, ...] | None, str]:
        """Return NVML's indices in CUDA's order (``CUDA_DEVICE_ORDER``)."""
        return cuda_order(self._nvml, known, handles, env)

    def share_reader(
        self, handle: object, gpu: sel.KnownGpu, pick: sel.SelectedGpu, check: ContainerCheck
    ) -> ShareReader:
        """Share by per-process SM utilisation since the last call, else by memory.

        In MIG mode NVML has no per-process samples, so memory decides, over
        the processes of the selected MIG devices. A failing or malformed
        utilisation answer falls back to memory (the rule says why); a failing
        memory answer raises, and the shared code then charges the GPU in
        full. When no tracked pid is among the GPU's processes, ``check``
        decides whether NVML cannot see them (a container): the GPU is then
        charged whole.
        """
        nvml = self._nvml
        window = {"since_us": int(self._wall_clock() * _US_PER_S)}
        mig = bool(pick.mig or gpu.mig)
        minor = self._optional("nvmlDeviceGetMinorNumber", handle)
        instances = {
            (m.gpu_instance_id, m.compute_instance_id)
            for m in pick.mig
            if m.gpu_instance_id is not None
        }

        def unseen(
            found: tuple[float, str], pids: Collection[int], listed: set[int]
        ) -> tuple[float, str]:
            """Charge the GPU whole where no tracked pid is listed and NVML cannot see them."""
            if found[0] > 0 or listed & set(pids):
                return found
            whole = check.whole_gpu(pids, listed, minor)
            return found if whole is None else (1.0, whole)

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
            found = sel.share_by_utilisation(pairs, pids)
            return None if found is None else unseen(found, pids, {p for p, _ in pairs})

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
            procs = [
                p
                for p in nvml.nvmlDeviceGetComputeRunningProcesses(handle)
                if not instances
                or (getattr(p, "gpuInstanceId", None), getattr(p, "computeInstanceId", None))
                in instances
            ]
            share, rule = sel.share_by_memory(
                ((int(p.pid), _memory(p.usedGpuMemory)) for p in procs), pids
            )
            return unseen((share, prefix + rule), pids, {int(p.pid) for p in procs})

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
    attribution: GpuAttribution = "process",
    procfs_root: Path = Path("/proc"),
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
        attribution: ``process`` (per-process shares; whole where NVML cannot
            see the tracked processes, as in a container) or ``whole``.
        procfs_root: the procfs mount, for the container check.

    Returns:
        One ``gpu`` source (``nvidia-gpu``), or none and the reason ("no NVIDIA
        GPU: ..."); the reason also names GPUs that cannot be read.

    Raises:
        ConfigError: ``gpu_ids`` or ``CUDA_VISIBLE_DEVICES`` names a GPU that
            does not exist; the message lists those that do.
    """
    environ = os.environ if env is None else env
    backend = NvmlBackend(nvml, wall_clock=wall_clock)
    return probe_gpus(
        backend, environ, gpu_ids, clock=clock, poll_interval_s=poll_interval_s,
        attribution=attribution, procfs_root=procfs_root,
    )  # fmt: skip
