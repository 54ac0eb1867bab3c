"""AMD GPUs through AMD SMI (the ``amdsmi`` package that ships with ROCm).

``amdsmi_get_energy_count`` returns the GPU's energy accumulator, a count of
``counter_resolution`` microjoules (about 15.3 uJ), under the key
``energy_accumulator`` (``power`` before amdsmi 6.2.1): method
``amdsmi-energy``. Where it is not supported, the socket power of
``amdsmi_get_power_info`` (watts: ``socket_power`` on ROCm 7, else
``current_socket_power``, else ``average_socket_power``; ``"N/A"`` where absent)
is polled and integrated: method ``amdsmi-power-polling``.

``amdsmi`` is imported only when probed. It prints to stdout and may raise
``OSError`` (or ``AttributeError``/``KeyError`` on a version mismatch) when
``libamd_smi.so`` is missing, and ``amdsmi_init`` raises when the ``amdgpu``
driver is not loaded: each is "no AMD GPU: <reason>", never an error. The GPUs
read are ``gpu_ids``, else the first set of ``ROCR_VISIBLE_DEVICES``,
``HIP_VISIBLE_DEVICES`` and ``CUDA_VISIBLE_DEVICES`` (indices in amdsmi's
order; the two-level masking of ROCR then HIP is not modelled), else all.
:class:`AmdSmiBackend` implements :class:`~.backend.GpuBackend`; the rest is shared.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from wattprint.errors import MissingDependencyError, SourceUnavailableError
from wattprint.power.base import ProbeOutcome
from wattprint.power.gpu import select as sel
from wattprint.power.gpu.backend import ShareReader, probe_gpus
from wattprint.power.gpu.container import ContainerCheck
from wattprint.power.gpu.poll import DEFAULT_POLL_INTERVAL_S
from wattprint.power.gpu.presence import AMD_INSTALL
from wattprint.power.gpu.source import GpuEnergySource
from wattprint.provenance import GpuAttribution
from wattprint.units import J_PER_UJ

__all__ = ["AMD_VISIBLE_DEVICES", "AmdSmiBackend", "AmdSource", "load_amdsmi", "probe_amd"]

AmdSmiModule = Any
"""The ``amdsmi`` module, or a stand-in with the same functions (tests)."""

AmdSource = GpuEnergySource
"""The source ``amd-gpu`` is the shared GPU source (kept for compatibility)."""

AMD_VISIBLE_DEVICES = ("ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES")
"""Device masks honoured when ``gpu_ids`` is not given; the first one set wins."""

SOURCE_NAME = "amd-gpu"
_POWER_KEYS = ("socket_power", "current_socket_power", "average_socket_power")  # W
_BYTES_PER_MB = 1024 * 1024  # amdsmi_get_gpu_vram_usage counts MB of 2**20 bytes
_W_PER_UW = 1e-6  # amdsmi_get_power_cap_info gives microwatts
_LOAD_ERRORS = (OSError, AttributeError, KeyError)  # what importing amdsmi raises without ROCm


def load_amdsmi() -> AmdSmiModule:
    """Import ``amdsmi``, silencing what it prints.

    Raises:
        MissingDependencyError: it is not installed.
        SourceUnavailableError: it is installed but cannot load ``libamd_smi.so``.
    """
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return importlib.import_module("amdsmi")
    except ImportError as err:
        raise MissingDependencyError("amdsmi", "gpu") from err
    except _LOAD_ERRORS as err:
        why = f"amdsmi cannot load libamd_smi.so (is ROCm installed?): {err!r}"
        raise SourceUnavailableError(SOURCE_NAME, why) from err


def _process(amdsmi: AmdSmiModule, handle: object, entry: Any) -> tuple[int, int | None]:
    """Return ``(pid, vram_bytes)`` of a process-list entry (a dict, or an old-style handle)."""
    if isinstance(entry, Mapping):
        info = entry
    else:
        info = amdsmi.amdsmi_get_gpu_process_info(handle, entry)
    vram = info.get("memory_usage", {}).get("vram_mem")
    return int(info["pid"]), None if vram is None else int(vram)


class AmdSmiBackend:
    """AMD GPUs through amdsmi, for the shared GPU code (:class:`~.backend.GpuBackend`)."""

    vendor = "amd"
    title = "AMD"
    library = "amdsmi"
    source_name = SOURCE_NAME
    env_vars: tuple[str, ...] = AMD_VISIBLE_DEVICES
    counter_call = "amdsmi_get_energy_count"
    power_call = "amdsmi_get_power_info"
    counter_method = "amdsmi-energy"
    polling_method = "amdsmi-power-polling"

    def __init__(self, amdsmi: AmdSmiModule | None = None) -> None:
        """Use ``amdsmi`` (imported by ``start()`` when None)."""
        self._amdsmi: Any = amdsmi
        self._started = False

    def why(self, err: BaseException) -> str:
        """Describe an AmdSmiException on one line with its code; any other by its type."""
        error = getattr(self._amdsmi, "AmdSmiException", None)
        if isinstance(error, type) and isinstance(err, error):
            text = " ".join(str(err).split())
            return f"{text} (amdsmi error {getattr(err, 'err_code', '?')})"
        return f"{type(err).__name__}: {err}"

    def start(self) -> tuple[str, str]:
        """Import amdsmi if needed and initialise it: ``("", "")`` or ``(problem, advice)``."""
        if self._amdsmi is None:
            try:
                self._amdsmi = load_amdsmi()
            except MissingDependencyError:
                return "the amdsmi package is not installed", AMD_INSTALL
            except SourceUnavailableError as err:
                return err.reason, AMD_INSTALL
        try:
            self._amdsmi.amdsmi_init()
        except Exception as err:  # AmdSmiException, or whatever an odd amdsmi raises
            problem = f"amdsmi_init failed (amdgpu driver not loaded?): {self.why(err)}"
            return problem, "Load the amdgpu driver (amd-smi should list the GPUs)."
        self._started = True
        return "", ""

    def shutdown(self) -> None:
        """Shut amdsmi down once per ``start()``; never raises."""
        if not self._started:
            return
        self._started = False
        try:
            self._amdsmi.amdsmi_shut_down()
        except Exception:  # already shut down, or an odd amdsmi: nothing left to release
            pass

    def inventory(self) -> tuple[list[sel.KnownGpu], dict[int, object], list[str]]:
        """Return the GPUs amdsmi lists, their handles, and those that could not be opened."""
        amdsmi = self._amdsmi
        known: list[sel.KnownGpu] = []
        handles: dict[int, object] = {}
        problems: list[str] = []
        for index, handle in enumerate(amdsmi.amdsmi_get_processor_handles()):
            try:
                uuid = str(amdsmi.amdsmi_get_gpu_device_uuid(handle))
            except Exception as err:  # one GPU that cannot be opened: the others go on
                problems.append(f"gpu-{index}: cannot be opened: {self.why(err)}")
                continue
            known.append(sel.KnownGpu(index, uuid))
            handles[index] = handle
        return known, handles, problems

    def _get(self, call: str, handle: object, key: str) -> Any:
        """Return ``amdsmi.<call>(handle)[key]``; None if not known."""
        try:
            return getattr(self._amdsmi, call)(handle)[key]
        except Exception:  # amdsmi cannot say, or an odd amdsmi: unknown
            return None

    def driver_version(self) -> str:
        """Return the amdgpu driver's version (of the first GPU), or ``unknown``."""
        handles = self._amdsmi.amdsmi_get_processor_handles()
        if not handles:
            return "unknown"
        found = self._get("amdsmi_get_gpu_driver_info", handles[0], "driver_version")
        return str(found or "unknown")

    def device_name(self, handle: object) -> str:
        """Return the product name, e.g. ``AMD Instinct MI250X``."""
        return str(self._get("amdsmi_get_gpu_asic_info", handle, "market_name") or "AMD GPU")

    def read_counter(self, handle: object) -> tuple[int, float]:
        """Return the raw energy accumulator and joules per count."""
        found = self._amdsmi.amdsmi_get_energy_count(handle)
        raw = found["energy_accumulator"] if "energy_accumulator" in found else found["power"]
        return int(raw), float(found["counter_resolution"]) * J_PER_UJ

    def read_power_w(self, handle: object) -> float:
        """Return the socket power. Units: W. Raises KeyError when no field has a value."""
        info = self._amdsmi.amdsmi_get_power_info(handle)
        for key in _POWER_KEYS:
            value = info.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
        raise KeyError(f"no power value among {', '.join(_POWER_KEYS)}: {info!r}")

    def power_limit_w(self, handle: object) -> float | None:
        """Return the power cap. Units: W (amdsmi gives uW)."""
        cap_uw = self._get("amdsmi_get_power_cap_info", handle, "power_cap")
        return cap_uw * _W_PER_UW if isinstance(cap_uw, (int, float)) and cap_uw > 0 else None

    def memory_total_bytes(self, handle: object) -> int | None:
        """Return the GPU's VRAM. Units: bytes (amdsmi gives MB)."""
        total_mb = self._get("amdsmi_get_gpu_vram_usage", handle, "vram_total")
        return total_mb * _BYTES_PER_MB if isinstance(total_mb, int) else None

    def mig_text(self, gpu: sel.KnownGpu) -> str:
        """Return ``n/a``: AMD GPUs have no MIG."""
        return "n/a"

    def device_note(
        self, gpu: sel.KnownGpu, pick: sel.SelectedGpu, j_per_count: float | None
    ) -> str:
        """State the counter's resolution."""
        if j_per_count is None:
            return ""
        return f"counter resolution {j_per_count / J_PER_UJ:g} uJ"

    def device_fraction(self, gpu: sel.KnownGpu, pick: sel.SelectedGpu) -> tuple[float, str]:
        """Return 1: an AMD GPU is read whole."""
        return 1.0, ""

    def device_order(
        self, known: Sequence[sel.KnownGpu], handles: Mapping[int, object], env: Mapping[str, str]
    ) -> tuple[tuple[int, ...] | None, str]:
        """Return None: indices are amdsmi's."""
        return None, ""

    def share_reader(
        self, handle: object, gpu: sel.KnownGpu, pick: sel.SelectedGpu, check: ContainerCheck
    ) -> ShareReader:
        """Share by the VRAM of the GPU's processes (raises what amdsmi raises).

        The container case is not detected for AMD GPUs (``check`` is not
        used): set ``gpu_attribution = "whole"`` there.
        """
        amdsmi = self._amdsmi

        def read(pids: Collection[int]) -> tuple[float, str]:
            procs = [
                _process(amdsmi, handle, p) for p in amdsmi.amdsmi_get_gpu_process_list(handle)
            ]
            return sel.share_by_memory(procs, pids)

        return read


def probe_amd(
    env: Mapping[str, str] | None = None,
    gpu_ids: Sequence[int | str] | str | None = None,
    amdsmi: AmdSmiModule | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    poll_interval_s: float | None = DEFAULT_POLL_INTERVAL_S,
    attribution: GpuAttribution = "process",
) -> ProbeOutcome:
    """Find the selected AMD GPUs and open one source for them.

    Args:
        env: the environment (device masks); defaults to ``os.environ``.
        gpu_ids: GPU indices or UUIDs; wins over the environment.
        amdsmi: the amdsmi module; imported when None.
        clock: monotonic clock of the source. Units: s.
        poll_interval_s: power polling period of GPUs without a counter; None
            samples at each read only. Units: s.
        attribution: ``process`` (per-process shares) or ``whole``.

    Returns:
        One ``gpu`` source (``amd-gpu``), or none and the reason ("no AMD GPU: ...").

    Raises:
        ConfigError: ``gpu_ids`` or a device mask names a GPU that does not exist.
    """
    environ = os.environ if env is None else env
    backend = AmdSmiBackend(amdsmi)
    return probe_gpus(
        backend, environ, gpu_ids, clock=clock, poll_interval_s=poll_interval_s,
        attribution=attribution,
    )  # fmt: skip
