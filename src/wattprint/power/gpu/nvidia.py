"""NVIDIA GPUs through NVML (the ``nvidia-ml-py`` package, module ``pynvml``).

NVML is the driver's management library (``libnvidia-ml.so.1``). On Volta and
newer, ``nvmlDeviceGetTotalEnergyConsumption`` counts the board's energy since
the driver was loaded, in millijoules (64 bits): method ``nvml-energy``. Older
boards answer ``NVML_ERROR_NOT_SUPPORTED``; their power (``nvmlDeviceGetPowerUsage``,
milliwatts) is polled at 10 Hz and integrated: method ``nvml-power-polling``.

``pynvml`` is an optional extra (``wattprint[gpu]``) imported only when probed.
Without it, without the driver (``nvmlInit`` raises
``NVML_ERROR_LIBRARY_NOT_FOUND``) or without a GPU, there is "no NVIDIA GPU".
:mod:`.gpu_select` decides which GPUs (MIG included) are read;
:meth:`NvidiaSource.process_shares` gives the tracked processes' share of each.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wattprint.errors import MissingDependencyError, SourceUnavailableError
from wattprint.power.base import Component, ProbeOutcome
from wattprint.power.gpu import select as sel
from wattprint.power.gpu.poll import DEFAULT_POLL_INTERVAL_S, GpuChannel, GpuEnergySource
from wattprint.power.gpu.presence import NVIDIA_DRIVER, NVIDIA_INSTALL, nvidia_absent

__all__ = ["NvidiaSource", "NvmlDevice", "load_nvml", "probe_nvidia"]

NvmlModule = Any
"""The ``pynvml`` module, or a stand-in with the same functions (tests)."""

_Extra = tuple[tuple[str, str], ...]
_PROBE = "nvidia"
_COMPONENTS: tuple[Component, ...] = ("gpu",)
SOURCE_NAME = "nvidia-gpu"
_J_PER_MJ = 1e-3  # NVML energy counters count millijoules
_W_PER_MW = 1e-3  # NVML power readings are milliwatts
_US_PER_S = 1_000_000  # nvmlDeviceGetProcessUtilization takes a timestamp in microseconds
_INSTALL_ADVICE = NVIDIA_INSTALL
_DRIVER_ADVICE = NVIDIA_DRIVER
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


def _why(err: BaseException) -> str:  # an NVMLError's message and code
    return f"{err} (NVML error {getattr(err, 'value', '?')})"


def _init_problem(nvml: NvmlModule, err: BaseException) -> str:
    known = {
        nvml.NVML_ERROR_LIBRARY_NOT_FOUND: "the NVML library (libnvidia-ml.so.1) was not found: "
        "no NVIDIA driver is installed",
        nvml.NVML_ERROR_DRIVER_NOT_LOADED: "the NVIDIA driver is not loaded",
        nvml.NVML_ERROR_NO_PERMISSION: "no permission to use the NVIDIA driver (/dev/nvidia*)",
    }
    return known.get(getattr(err, "value", None), f"nvmlInit failed: {_why(err)}")


def _start(nvml: NvmlModule | None) -> tuple[NvmlModule, str, str]:
    """Import NVML if needed and initialise it: ``(module, problem, advice)``."""
    if nvml is None:
        absent = nvidia_absent()
        if absent is not None:
            return None, absent[0], absent[1]
        try:
            nvml = load_nvml()
        except MissingDependencyError:
            return None, "nvidia-ml-py (module pynvml) is not installed", _INSTALL_ADVICE
    try:
        nvml.nvmlInit()
    except nvml.NVMLError as err:
        return None, _init_problem(nvml, err), _DRIVER_ADVICE
    return nvml, "", ""


def _shutdown(nvml: NvmlModule) -> None:
    try:
        nvml.nvmlShutdown()
    except nvml.NVMLError:  # already shut down: nothing left to release
        pass


def _mig_instances(nvml: NvmlModule, handle: object) -> tuple[sel.MigInstance, ...]:
    """List the MIG devices of a GPU in MIG mode; () when MIG is off or unsupported."""
    try:
        current, _pending = nvml.nvmlDeviceGetMigMode(handle)
        if current != nvml.NVML_DEVICE_MIG_ENABLE:
            return ()
        count = nvml.nvmlDeviceGetMaxMigDeviceCount(handle)
    except nvml.NVMLError:  # NOT_SUPPORTED on GPUs without MIG
        return ()
    found = []
    for position in range(count):
        try:
            mig = nvml.nvmlDeviceGetMigDeviceHandleByIndex(handle, position)
        except nvml.NVMLError:  # NOT_FOUND: an empty slot
            continue
        uuid = _text(nvml.nvmlDeviceGetUUID(mig))
        try:  # for the MIG-GPU-<uuid>/<gi>/<ci> form of older drivers
            ids = (nvml.nvmlDeviceGetGpuInstanceId(mig), nvml.nvmlDeviceGetComputeInstanceId(mig))
        except nvml.NVMLError:
            ids = (None, None)
        found.append(sel.MigInstance(uuid, position, *ids))
    return tuple(found)


def _inventory(nvml: NvmlModule) -> tuple[list[sel.KnownGpu], dict[int, object], list[str]]:
    """Return the GPUs NVML lists, their handles, and the GPUs that could not be opened."""
    known: list[sel.KnownGpu] = []
    handles: dict[int, object] = {}
    problems: list[str] = []
    for index in range(nvml.nvmlDeviceGetCount()):
        try:
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            uuid = _text(nvml.nvmlDeviceGetUUID(handle))
        except nvml.NVMLError as err:
            problems.append(f"gpu-{index}: cannot be opened: {_why(err)}")
            continue
        known.append(sel.KnownGpu(index, uuid, _mig_instances(nvml, handle)))
        handles[index] = handle
    return known, handles, problems


@dataclass(frozen=True, slots=True)
class NvmlDevice:
    """A GPU an :class:`NvidiaSource` reads.

    Attributes:
        pick: which GPU (and which MIG instances of it) was selected.
        name: the product name, e.g. ``Tesla V100-SXM2-16GB``.
        handle: its NVML handle (of the whole GPU, even for a MIG pick).
        has_counter: whether ``nvmlDeviceGetTotalEnergyConsumption`` works.
        mig_mode: whether the GPU is in MIG mode.
    """

    pick: sel.SelectedGpu
    name: str
    handle: object
    has_counter: bool
    mig_mode: bool = False


class NvidiaSource(GpuEnergySource):
    """Cumulative energy of NVIDIA GPUs from NVML, as source ``nvidia-gpu``.

    Its method is ``nvml-energy``, ``nvml-power-polling`` or both joined by ``+``.
    """

    def __init__(
        self,
        *,
        nvml: NvmlModule,
        devices: Sequence[NvmlDevice],
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        poll_interval_s: float | None = DEFAULT_POLL_INTERVAL_S,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        """Open the GPUs (NVML initialised) and take their values as the zero.

        Args:
            nvml: the NVML module, initialised.
            devices: the GPUs to read.
            clock: monotonic clock for readings and power samples. Units: s.
            wall_clock: wall clock, for NVML's per-process samples. Units: s.
            poll_interval_s: power polling period of GPUs without a counter; None
                samples at each ``read()`` only. Units: s.
            on_close: called by ``close()`` (the probe passes ``nvmlShutdown``).
        """
        self._nvml = nvml
        self._devices = tuple(devices)
        self._wall_clock = wall_clock
        self._since_us = [int(wall_clock() * _US_PER_S)] * len(self._devices)
        channels = [self._channel(d) for d in self._devices]
        super().__init__(
            name=SOURCE_NAME,
            channels=channels,
            clock=clock,
            poll_interval_s=poll_interval_s,
            on_close=on_close,
        )

    def _channel(self, device: NvmlDevice) -> GpuChannel:
        nvml, handle, label = self._nvml, device.handle, device.pick.label
        about = f"{device.name} ({device.pick.uuid})"
        note = _MIG_NOTE if device.pick.mig or device.mig_mode else ""
        calls = ("nvmlDeviceGetPowerUsage", "nvmlDeviceGetTotalEnergyConsumption")
        call = calls[device.has_counter]
        get = getattr(nvml, call)

        def read_raw() -> int:
            """Return the counter (mJ) or the power (mW)."""
            try:
                return int(get(handle))
            except nvml.NVMLError as err:
                raise SourceUnavailableError(
                    SOURCE_NAME, f"{label} {about}: {call} failed: {_why(err)}"
                ) from err

        if device.has_counter:
            return GpuChannel(label, about, "nvml-energy", read_raw, _J_PER_MJ, note=note)
        power_w = lambda: read_raw() * _W_PER_MW  # noqa: E731
        return GpuChannel(label, about, "nvml-power-polling", read_power_w=power_w, note=note)

    @property
    def device_names(self) -> tuple[str, ...]:
        """The product names of the GPUs read, in reading order."""
        return tuple(d.name for d in self._devices)

    def process_shares(self, pids: Collection[int]) -> sel.GpuShares:
        """Return the share (0..1) of each GPU used by ``pids`` since the last call.

        From NVML's per-process SM utilisation samples since the previous call
        (or the opening); without any (idle window, MIG, unsupported GPU), from
        the GPU memory of the running compute processes. Each says its rule.

        Raises:
            SourceUnavailableError: NVML could not list a GPU's processes.
        """
        nvml = self._nvml
        shares = []
        for k, device in enumerate(self._devices):
            label = device.pick.label
            found = None
            if not (device.pick.mig or device.mig_mode):  # no per-process samples in MIG mode
                try:
                    samples = nvml.nvmlDeviceGetProcessUtilization(device.handle, self._since_us[k])
                except nvml.NVMLError:  # NOT_FOUND: no sample in the window; NOT_SUPPORTED
                    samples = []
                if samples:  # the next window starts after the newest sample seen
                    self._since_us[k] = max(int(s.timeStamp) for s in samples)
                found = sel.share_by_utilisation(((s.pid, s.smUtil) for s in samples), pids)
            if found is None:
                try:
                    procs = nvml.nvmlDeviceGetComputeRunningProcesses(device.handle)
                except nvml.NVMLError as err:
                    why = f"{label}: nvmlDeviceGetComputeRunningProcesses failed: {_why(err)}"
                    raise SourceUnavailableError(SOURCE_NAME, why) from err
                found = sel.share_by_memory(((p.pid, p.usedGpuMemory) for p in procs), pids)
            shares.append(sel.DeviceShare(label, found[0], found[1]))
        return sel.GpuShares(tuple(shares))


def _how_to_read(nvml: NvmlModule, handle: object) -> tuple[bool, str]:
    """Return whether the GPU has an energy counter, and why it cannot be read ("" if it can)."""
    try:
        nvml.nvmlDeviceGetTotalEnergyConsumption(handle)
        return True, ""
    except nvml.NVMLError as err:  # NOT_SUPPORTED before Volta: poll the power instead
        no_counter = _why(err)
    try:
        nvml.nvmlDeviceGetPowerUsage(handle)
        return False, ""
    except nvml.NVMLError as err:
        return False, f"no energy counter ({no_counter}) and no power reading ({_why(err)})"


def _driver_version(nvml: NvmlModule) -> str:
    try:
        return _text(nvml.nvmlSystemGetDriverVersion())
    except nvml.NVMLError as err:
        return f"unknown ({_why(err)})"


def _outcome(reason: str, advice: str = "", extra: _Extra = ()) -> ProbeOutcome:
    return ProbeOutcome(_PROBE, _COMPONENTS, (), reason, advice, extra)


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
    nvml, problem, advice = _start(nvml)
    if problem:
        return _outcome(f"no NVIDIA GPU: {problem}", advice)
    opened = False
    try:
        known, handles, problems = _inventory(nvml)
        driver = _driver_version(nvml)
        if not known:
            return _outcome("no NVIDIA GPU: " + ("; ".join(problems) or "NVML lists no GPU"))
        selection = sel.select_gpus(known, gpu_ids=gpu_ids, env=environ)
        extra = (("driver", driver), ("selection", selection.origin))
        if not selection.gpus:
            return _outcome(f"no NVIDIA GPU selected ({selection.origin})", extra=extra)
        devices = []
        mig_mode = {g.index: bool(g.mig) for g in known}
        for pick in selection.gpus:
            handle = handles[pick.index]
            name = _text(nvml.nvmlDeviceGetName(handle))
            has_counter, problem = _how_to_read(nvml, handle)
            if problem:
                problems.append(f"{pick.label} ({name}): {problem}")
                continue
            devices.append(NvmlDevice(pick, name, handle, has_counter, mig_mode[pick.index]))
        if not devices:
            return _outcome("no NVIDIA GPU readable: " + "; ".join(problems), extra=extra)
        try:
            source = NvidiaSource(
                nvml=nvml,
                devices=devices,
                clock=clock,
                wall_clock=wall_clock,
                poll_interval_s=poll_interval_s,
                on_close=lambda: _shutdown(nvml),
            )
        except SourceUnavailableError as err:
            return _outcome(f"no NVIDIA GPU readable: {err.reason}", extra=extra)
        opened = True
    except nvml.NVMLError as err:  # a GPU failed while being listed
        return _outcome(f"no NVIDIA GPU readable: NVML failed: {_why(err)}")
    finally:
        if not opened:
            _shutdown(nvml)
    reason = f"gpu from NVML (driver {driver}, {selection.origin}): {source.detail}"
    if problems:
        reason += "; not read: " + "; ".join(problems)
    return ProbeOutcome(_PROBE, _COMPONENTS, (source,), reason, "", extra)
