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
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wattprint.errors import ConfigError, MissingDependencyError, SourceUnavailableError
from wattprint.power.base import Component, ProbeOutcome
from wattprint.power.gpu import select as sel
from wattprint.power.gpu.poll import DEFAULT_POLL_INTERVAL_S, GpuChannel, GpuEnergySource
from wattprint.power.gpu.presence import AMD_INSTALL
from wattprint.units import J_PER_UJ

__all__ = ["AMD_VISIBLE_DEVICES", "AmdDevice", "AmdSource", "describe_gpus", "probe_amd"]

AmdSmiModule = Any
"""The ``amdsmi`` module, or a stand-in with the same functions (tests)."""

AMD_VISIBLE_DEVICES = ("ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES")
"""Device masks honoured when ``gpu_ids`` is not given; the first one set wins."""

SOURCE_NAME = "amd-gpu"
_PROBE = "amd"
_Extra = tuple[tuple[str, str], ...]
_COMPONENTS: tuple[Component, ...] = ("gpu",)
_POWER_KEYS = ("socket_power", "current_socket_power", "average_socket_power")  # W
_BYTES_PER_MB = 1024 * 1024  # amdsmi_get_gpu_vram_usage counts MB of 2**20 bytes
_W_PER_UW = 1e-6  # amdsmi_get_power_cap_info gives microwatts
_INSTALL_ADVICE = AMD_INSTALL
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


def _why(err: BaseException) -> str:  # an AmdSmiException's message and code, on one line
    return f"{' '.join(str(err).split())} (amdsmi error {getattr(err, 'err_code', '?')})"


def _counter(amdsmi: AmdSmiModule, handle: object) -> tuple[int, float]:
    """Return the raw energy accumulator and its resolution (uJ per count)."""
    found = amdsmi.amdsmi_get_energy_count(handle)
    raw = found["energy_accumulator"] if "energy_accumulator" in found else found["power"]
    return int(raw), float(found["counter_resolution"])


def _power_w(amdsmi: AmdSmiModule, handle: object) -> float:
    """Return the socket power. Units: W. Raises KeyError when no field has a value."""
    info = amdsmi.amdsmi_get_power_info(handle)
    for key in _POWER_KEYS:
        value = info.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    raise KeyError(f"no power value among {', '.join(_POWER_KEYS)}: {info!r}")


@dataclass(frozen=True, slots=True)
class AmdDevice:
    """An AMD GPU an :class:`AmdSource` reads.

    Attributes:
        pick: which GPU was selected.
        name: the product name, e.g. ``AMD Instinct MI250X``.
        handle: its amdsmi processor handle.
        uj_per_count: the energy counter's resolution, or None without a counter. Units: uJ.
    """

    pick: sel.SelectedGpu
    name: str
    handle: object
    uj_per_count: float | None


class AmdSource(GpuEnergySource):
    """Cumulative energy of AMD GPUs from amdsmi, as source ``amd-gpu``."""

    def __init__(
        self,
        *,
        amdsmi: AmdSmiModule,
        devices: Sequence[AmdDevice],
        clock: Callable[[], float] = time.monotonic,
        poll_interval_s: float | None = DEFAULT_POLL_INTERVAL_S,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        """Open the GPUs (amdsmi initialised) and take their values as the zero.

        Args:
            amdsmi: the amdsmi module, initialised.
            devices: the GPUs to read.
            clock: monotonic clock for readings and power samples. Units: s.
            poll_interval_s: power polling period of GPUs without a counter; None
                samples at each ``read()`` only. Units: s.
            on_close: called by ``close()`` (the probe passes ``amdsmi_shut_down``).
        """
        self._amdsmi = amdsmi
        self._devices = tuple(devices)
        channels = [self._channel(d) for d in self._devices]
        super().__init__(
            name=SOURCE_NAME,
            channels=channels,
            clock=clock,
            poll_interval_s=poll_interval_s,
            on_close=on_close,
        )

    def _channel(self, device: AmdDevice) -> GpuChannel:
        amdsmi, handle, label = self._amdsmi, device.handle, device.pick.label
        about = f"{device.name} ({device.pick.uuid})"

        def fail(call: str, err: BaseException) -> SourceUnavailableError:
            why = _why(err) if isinstance(err, amdsmi.AmdSmiException) else repr(err)
            return SourceUnavailableError(SOURCE_NAME, f"{label} {about}: {call} failed: {why}")

        def read_counter() -> int:
            try:
                return _counter(amdsmi, handle)[0]
            except (amdsmi.AmdSmiException, KeyError) as err:
                raise fail("amdsmi_get_energy_count", err) from err

        def read_power_w() -> float:
            try:
                return _power_w(amdsmi, handle)
            except (amdsmi.AmdSmiException, KeyError) as err:
                raise fail("amdsmi_get_power_info", err) from err

        if device.uj_per_count is not None:
            j_per_count = device.uj_per_count * J_PER_UJ
            note = f"counter resolution {device.uj_per_count:g} uJ"
            return GpuChannel(label, about, "amdsmi-energy", read_counter, j_per_count, note=note)
        return GpuChannel(label, about, "amdsmi-power-polling", read_power_w=read_power_w)

    @property
    def device_names(self) -> tuple[str, ...]:
        """The product names of the GPUs read, in reading order."""
        return tuple(d.name for d in self._devices)

    def process_shares(self, pids: Collection[int]) -> sel.GpuShares:
        """Return the share (0..1) of each GPU used by ``pids``, by their VRAM.

        Raises:
            SourceUnavailableError: amdsmi could not list a GPU's processes.
        """
        amdsmi = self._amdsmi
        shares = []
        for device in self._devices:
            try:
                procs = [
                    _process(amdsmi, device.handle, p)
                    for p in amdsmi.amdsmi_get_gpu_process_list(device.handle)
                ]
            except amdsmi.AmdSmiException as err:
                why = f"{device.pick.label}: amdsmi_get_gpu_process_list failed: {_why(err)}"
                raise SourceUnavailableError(SOURCE_NAME, why) from err
            share, rule = sel.share_by_memory(procs, pids)
            shares.append(sel.DeviceShare(device.pick.label, share, rule))
        return sel.GpuShares(tuple(shares))


def _process(amdsmi: AmdSmiModule, handle: object, entry: Any) -> tuple[int, int | None]:
    """Return ``(pid, vram_bytes)`` of a process-list entry (a dict, or an old-style handle)."""
    if isinstance(entry, Mapping):
        info = entry
    else:
        info = amdsmi.amdsmi_get_gpu_process_info(handle, entry)
    vram = info.get("memory_usage", {}).get("vram_mem")
    return int(info["pid"]), None if vram is None else int(vram)


def _start(amdsmi: AmdSmiModule | None) -> tuple[AmdSmiModule, str, str]:
    """Import amdsmi if needed and initialise it: ``(module, problem, advice)``."""
    if amdsmi is None:
        try:
            amdsmi = load_amdsmi()
        except MissingDependencyError:
            return None, "the amdsmi package is not installed", _INSTALL_ADVICE
        except SourceUnavailableError as err:
            return None, err.reason, _INSTALL_ADVICE
    try:
        amdsmi.amdsmi_init()
    except amdsmi.AmdSmiException as err:
        problem = f"amdsmi_init failed (amdgpu driver not loaded?): {_why(err)}"
        return None, problem, "Load the amdgpu driver (amd-smi should list the GPUs)."
    return amdsmi, "", ""


def _shutdown(amdsmi: AmdSmiModule) -> None:
    try:
        amdsmi.amdsmi_shut_down()
    except amdsmi.AmdSmiException:  # already shut down: nothing left to release
        pass


def _inventory(amdsmi: AmdSmiModule) -> tuple[list[sel.KnownGpu], list[object]]:
    handles = list(amdsmi.amdsmi_get_processor_handles())
    known = [
        sel.KnownGpu(i, str(amdsmi.amdsmi_get_gpu_device_uuid(h))) for i, h in enumerate(handles)
    ]
    return known, handles


def _name(amdsmi: AmdSmiModule, handle: object) -> str:
    try:
        return str(amdsmi.amdsmi_get_gpu_asic_info(handle)["market_name"])
    except (amdsmi.AmdSmiException, KeyError):
        return "AMD GPU"


def _how_to_read(amdsmi: AmdSmiModule, handle: object) -> tuple[float | None, str]:
    """Return the counter's resolution (uJ; None without counter), and why the GPU is unusable."""
    try:
        return _counter(amdsmi, handle)[1], ""
    except (amdsmi.AmdSmiException, KeyError) as err:
        no_counter = _why(err) if isinstance(err, amdsmi.AmdSmiException) else repr(err)
    try:
        _power_w(amdsmi, handle)
        return None, ""
    except (amdsmi.AmdSmiException, KeyError) as err:
        why = _why(err) if isinstance(err, amdsmi.AmdSmiException) else str(err)
        return None, f"no energy counter ({no_counter}) and no power reading ({why})"


def _outcome(reason: str, advice: str = "", extra: _Extra = ()) -> ProbeOutcome:
    return ProbeOutcome(_PROBE, _COMPONENTS, (), reason, advice, extra)


def probe_amd(
    env: Mapping[str, str] | None = None,
    gpu_ids: Sequence[int | str] | str | None = None,
    amdsmi: AmdSmiModule | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    poll_interval_s: float | None = DEFAULT_POLL_INTERVAL_S,
) -> ProbeOutcome:
    """Find the selected AMD GPUs and open one source for them.

    Args:
        env: the environment (device masks); defaults to ``os.environ``.
        gpu_ids: GPU indices or UUIDs; wins over the environment.
        amdsmi: the amdsmi module; imported when None.
        clock: monotonic clock of the source. Units: s.
        poll_interval_s: power polling period of GPUs without a counter; None
            samples at each read only. Units: s.

    Returns:
        One ``gpu`` source (``amd-gpu``), or none and the reason ("no AMD GPU: ...").

    Raises:
        ConfigError: ``gpu_ids`` or a device mask names a GPU that does not exist.
    """
    environ = os.environ if env is None else env
    amdsmi, problem, advice = _start(amdsmi)
    if problem:
        return _outcome(f"no AMD GPU: {problem}", advice)
    opened = False
    problems: list[str] = []
    try:
        known, handles = _inventory(amdsmi)
        if not known:
            return _outcome("no AMD GPU: amdsmi lists no GPU")
        selection = sel.select_gpus(
            known, gpu_ids=gpu_ids, env=environ, env_vars=AMD_VISIBLE_DEVICES
        )
        extra = (("selection", selection.origin),)
        if not selection.gpus:
            return _outcome(f"no AMD GPU selected ({selection.origin})", extra=extra)
        devices = []
        for pick in selection.gpus:
            handle = handles[pick.index]
            uj_per_count, problem = _how_to_read(amdsmi, handle)
            if problem:
                problems.append(f"{pick.label}: {problem}")
            else:
                devices.append(AmdDevice(pick, _name(amdsmi, handle), handle, uj_per_count))
        if not devices:
            return _outcome("no AMD GPU readable: " + "; ".join(problems), extra=extra)
        try:
            source = AmdSource(
                amdsmi=amdsmi,
                devices=devices,
                clock=clock,
                poll_interval_s=poll_interval_s,
                on_close=lambda: _shutdown(amdsmi),
            )
        except SourceUnavailableError as err:
            return _outcome(f"no AMD GPU readable: {err.reason}", extra=extra)
        opened = True
    except amdsmi.AmdSmiException as err:  # a GPU failed while being listed
        return _outcome(f"no AMD GPU readable: amdsmi failed: {_why(err)}")
    finally:
        if not opened:
            _shutdown(amdsmi)
    reason = f"gpu from amdsmi ({selection.origin}): {source.detail}"
    if problems:
        reason += "; not read: " + "; ".join(problems)
    return ProbeOutcome(_PROBE, _COMPONENTS, (source,), reason, "", extra)


def describe_gpus(
    env: Mapping[str, str] | None = None,
    gpu_ids: Sequence[int | str] | str | None = None,
    amdsmi: AmdSmiModule | None = None,
) -> list[sel.GpuDescription]:
    """Describe every AMD GPU for ``wattprint doctor``; [] when there is none.

    The arguments are those of :func:`probe_amd`; they mark the selected GPUs.
    """
    environ = os.environ if env is None else env
    amdsmi, problem, _advice = _start(amdsmi)
    if problem:
        return []
    try:
        known, handles = _inventory(amdsmi)
        try:
            picks = sel.select_gpus(
                known, gpu_ids=gpu_ids, env=environ, env_vars=AMD_VISIBLE_DEVICES
            )
            chosen = {g.index for g in picks.gpus}
        except ConfigError:
            chosen = set()  # the probe reports the bad id
        described = []
        for gpu in known:
            handle = handles[gpu.index]
            uj_per_count, problem = _how_to_read(amdsmi, handle)
            method = "amdsmi-power-polling" if uj_per_count is None else "amdsmi-energy"
            described.append(
                sel.GpuDescription(
                    vendor="amd",
                    index=gpu.index,
                    name=_name(amdsmi, handle),
                    uuid=gpu.uuid,
                    memory_total_bytes=_get(
                        amdsmi, "amdsmi_get_gpu_vram_usage", handle, "vram_total", _BYTES_PER_MB
                    ),
                    driver_version=str(
                        _get(amdsmi, "amdsmi_get_gpu_driver_info", handle, "driver_version")
                        or "unknown"
                    ),
                    energy_counter=uj_per_count is not None,
                    method=f"unusable: {problem}" if problem else method,
                    power_limit_w=_power_limit_w(amdsmi, handle),
                    mig="n/a",
                    selected=gpu.index in chosen,
                )
            )
        return described
    except amdsmi.AmdSmiException:  # a GPU failed while being described: the probe says why
        return []
    finally:
        _shutdown(amdsmi)


def _get(amdsmi: AmdSmiModule, call: str, handle: object, key: str, scale: int = 0) -> Any:
    """Return ``amdsmi.<call>(handle)[key]`` (times ``scale`` if given); None if not known."""
    try:
        value = getattr(amdsmi, call)(handle)[key]
    except (amdsmi.AmdSmiException, KeyError):
        return None
    if scale:
        return int(value) * scale if isinstance(value, int) else None
    return value


def _power_limit_w(amdsmi: AmdSmiModule, handle: object) -> float | None:
    """Return the power cap. Units: W (amdsmi gives uW)."""
    cap_uw = _get(amdsmi, "amdsmi_get_power_cap_info", handle, "power_cap")
    return cap_uw * _W_PER_UW if isinstance(cap_uw, (int, float)) else None
