"""The GPU vendor backend protocol, and the probe written once for every vendor.

A backend (:class:`~wattprint.power.gpu.nvidia.NvmlBackend`,
:class:`~wattprint.power.gpu.amd.AmdSmiBackend`) knows one vendor library:
how to start it, list its GPUs, read a GPU's energy counter or its power,
and tell which processes use a GPU. Everything else is shared: selection
(:mod:`.select`), the choice of counter or polling, plausibility bounds,
counter accumulation (:mod:`wattprint.power.counter`), polling
(:mod:`.poll`), per-device failure and per-process shares (:mod:`.source`),
the container case and ``gpu_attribution`` (:mod:`.container`), and the
description ``wattprint doctor`` shows (:mod:`.describe`).

A vendor library is foreign code: an older or different version may lack a
function or a constant, or raise what its documentation does not say. So
every call into it made here is guarded, and any exception makes the GPU (or
the whole vendor) unusable with the reason, never an exception out of
discovery.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from wattprint.errors import ConfigError, SourceUnavailableError
from wattprint.power.base import Component, ProbeOutcome
from wattprint.power.gpu import select as sel
from wattprint.power.gpu.container import WHOLE_RULE, ContainerCheck
from wattprint.power.gpu.poll import DEFAULT_POLL_INTERVAL_S
from wattprint.power.gpu.source import GpuChannel, GpuEnergySource
from wattprint.provenance import GpuAttribution

__all__ = ["DEFAULT_MAX_POWER_W", "GpuBackend", "max_power_w", "probe_gpus"]

DEFAULT_MAX_POWER_W = 5000.0
"""Power no single GPU board can draw, used where the power limit is unknown. Units: W."""

POWER_LIMIT_MARGIN = 2.0
"""Readings are refused beyond this many times the device's power limit."""

ShareReader = Callable[[Collection[int]], tuple[float, str]]
"""Return the share (0..1) of one GPU used by the pids since the last call, and the rule."""

_COMPONENTS: tuple[Component, ...] = ("gpu",)
_Extra = tuple[tuple[str, str], ...]


@runtime_checkable
class GpuBackend(Protocol):
    """One GPU vendor library, as the shared GPU code uses it.

    Attributes:
        vendor: the probe's name, ``nvidia`` or ``amd``.
        title: the vendor for people, ``NVIDIA`` or ``AMD``.
        library: the library for people, ``NVML`` or ``amdsmi``.
        source_name: the source's name, e.g. ``nvidia-gpu``.
        env_vars: device masks honoured when ``gpu_ids`` is not given.
        counter_call: the library call that reads the energy counter.
        power_call: the library call that reads the power.
        counter_method: the method of a GPU read by its counter.
        polling_method: the method of a GPU whose power is polled.
    """

    vendor: str
    title: str
    library: str
    source_name: str
    env_vars: tuple[str, ...]
    counter_call: str
    power_call: str
    counter_method: str
    polling_method: str

    def start(self) -> tuple[str, str]:
        """Import and initialise the library: ``("", "")``, or ``(problem, advice)``."""
        ...

    def shutdown(self) -> None:
        """Release the library (never raises)."""
        ...

    def inventory(self) -> tuple[list[sel.KnownGpu], dict[int, object], list[str]]:
        """Return the GPUs listed, their handles by index, and those that could not be opened."""
        ...

    def driver_version(self) -> str:
        """Return the driver's version, or ``unknown (...)``."""
        ...

    def device_name(self, handle: object) -> str:
        """Return the product name of a GPU."""
        ...

    def read_counter(self, handle: object) -> tuple[int, float]:
        """Return the raw energy counter and joules per count. Units: counts, J."""
        ...

    def read_power_w(self, handle: object) -> float:
        """Return the power drawn now. Units: W."""
        ...

    def power_limit_w(self, handle: object) -> float | None:
        """Return the enforced power limit, None if unknown. Units: W."""
        ...

    def memory_total_bytes(self, handle: object) -> int | None:
        """Return the installed memory, None if unknown. Units: bytes."""
        ...

    def mig_text(self, gpu: sel.KnownGpu) -> str:
        """Describe the MIG state for ``doctor``: ``off``, ``on: ...`` or ``n/a``."""
        ...

    def device_note(
        self, gpu: sel.KnownGpu, pick: sel.SelectedGpu, j_per_count: float | None
    ) -> str:
        """Return more to say about a GPU in the methodology ("" for nothing)."""
        ...

    def share_reader(
        self, handle: object, gpu: sel.KnownGpu, pick: sel.SelectedGpu, check: ContainerCheck
    ) -> ShareReader:
        """Return how to read the tracked processes' share of this GPU.

        ``check`` says whether a GPU whose processes match none of the
        tracked pids is charged whole (a container); a vendor may ignore it.
        """
        ...

    def device_order(
        self, known: Sequence[sel.KnownGpu], handles: Mapping[int, object], env: Mapping[str, str]
    ) -> tuple[tuple[int, ...] | None, str]:
        """Return the indices in the order ``gpu_ids`` and the masks count in, and how found.

        None keeps the library's own order.
        """
        ...

    def device_fraction(self, gpu: sel.KnownGpu, pick: sel.SelectedGpu) -> tuple[float, str]:
        """Return the share (0..1] of the device's energy a pick is charged, and why (MIG)."""
        ...

    def why(self, err: BaseException) -> str:
        """Describe an exception of the library (or any other) on one line."""
        ...


def max_power_w(limit_w: float | None) -> float:
    """Return the most a GPU is believed to draw: its limit x a margin, else 5 kW. Units: W."""
    if limit_w is None or not limit_w > 0:
        return DEFAULT_MAX_POWER_W
    return min(limit_w * POWER_LIMIT_MARGIN, DEFAULT_MAX_POWER_W)


def how_to_read(backend: GpuBackend, handle: object) -> tuple[float | None, str]:
    """Return joules per count of the GPU's counter (None: poll its power), or why neither works."""
    try:
        return backend.read_counter(handle)[1], ""
    except Exception as err:  # any failure of the vendor library: poll instead
        no_counter = backend.why(err)
    try:
        backend.read_power_w(handle)
        return None, ""
    except Exception as err:  # any failure of the vendor library: the GPU is unusable
        return None, f"no energy counter ({no_counter}) and no power reading ({backend.why(err)})"


def _guarded_limit_w(backend: GpuBackend, handle: object) -> float | None:
    try:
        return backend.power_limit_w(handle)
    except Exception:  # an unknown limit: the generous default bound applies
        return None


def _whole(pids: Collection[int]) -> tuple[float, str]:
    return 1.0, WHOLE_RULE


def _channel(
    backend: GpuBackend,
    gpu: sel.KnownGpu,
    pick: sel.SelectedGpu,
    handle: object,
    check: ContainerCheck,
) -> tuple[GpuChannel | None, str]:
    """Describe how to read one selected GPU, or why it cannot be read."""
    try:
        name = backend.device_name(handle)
    except Exception as err:  # a name is not needed to count
        name = f"{backend.title} GPU (name unknown: {backend.why(err)})"
    j_per_count, problem = how_to_read(backend, handle)
    if problem:
        return None, f"{pick.label} ({name}): {problem}"
    about = f"{name} ({pick.uuid})"
    fraction, why = backend.device_fraction(gpu, pick)
    note = "; ".join(filter(None, (backend.device_note(gpu, pick, j_per_count), why)))
    bound_w = max_power_w(_guarded_limit_w(backend, handle))
    shares = _whole if check.forced else backend.share_reader(handle, gpu, pick, check)

    def read_power() -> float:
        return backend.read_power_w(handle)

    if j_per_count is not None:
        call = backend.counter_call

        def read_counter() -> int:
            return backend.read_counter(handle)[0]

        return GpuChannel(
            pick.label, about, backend.counter_method, read_counter, j_per_count,
            note=note, model=name, max_power_w=bound_w, read_share=shares, call=call,
            fraction=fraction, short_power_w=read_power,
        ), ""  # fmt: skip

    return GpuChannel(
        pick.label, about, backend.polling_method, read_power_w=read_power, note=note,
        model=name, max_power_w=bound_w, read_share=shares, call=backend.power_call,
        fraction=fraction,
    ), ""  # fmt: skip


def _outcome(
    backend: GpuBackend, reason: str, advice: str = "", extra: _Extra = ()
) -> ProbeOutcome:
    return ProbeOutcome(backend.vendor, _COMPONENTS, (), reason, advice, extra)


def probe_gpus(
    backend: GpuBackend,
    env: Mapping[str, str] | None = None,
    gpu_ids: Sequence[int | str] | str | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    poll_interval_s: float | None = DEFAULT_POLL_INTERVAL_S,
    attribution: GpuAttribution = "process",
    procfs_root: Path = Path("/proc"),
) -> ProbeOutcome:
    """Find the selected GPUs of one vendor and open one source for them.

    Args:
        backend: the vendor library.
        env: the environment (device masks); defaults to ``os.environ``.
        gpu_ids: GPU indices, UUIDs or ``MIG-`` ids; wins over the environment.
        clock: monotonic clock of the source. Units: s.
        poll_interval_s: power polling period of GPUs without a counter; None
            samples at each read only. Units: s.
        attribution: ``process`` (per-process shares; whole where the tree
            uses a GPU NVML cannot match it to) or ``whole``.
        procfs_root: the procfs mount, for the container check.

    Returns:
        One ``gpu`` source, or none and the reason ("no NVIDIA GPU: ..."); the
        reason also names GPUs that cannot be read. Whatever the library
        raises becomes a reason.

    Raises:
        ConfigError: ``gpu_ids`` or a device mask names a GPU that does not
            exist; the message lists those that do.
    """
    environ = os.environ if env is None else env
    title, library = backend.title, backend.library
    try:
        problem, advice = backend.start()
    except Exception as err:  # a library that fails in an unexpected way: no GPU of it
        problem, advice = f"{library} failed to start: {backend.why(err)}", ""
    if problem:
        return _outcome(backend, f"no {title} GPU: {problem}", advice)
    source: GpuEnergySource | None = None
    try:
        known, handles, problems = backend.inventory()
        driver = backend.driver_version()
        if not known:
            listed = "; ".join(problems) or f"{library} lists no GPU"
            return _outcome(backend, f"no {title} GPU: {listed}")
        order, order_text = backend.device_order(known, handles, environ)
        selection = sel.select_gpus(
            known, gpu_ids=gpu_ids, env=environ, env_vars=backend.env_vars, order=order,
            order_text=order_text,
        )  # fmt: skip
        extra = (("driver", driver), ("selection", selection.origin))
        if not selection.gpus:
            return _outcome(backend, f"no {title} GPU selected ({selection.origin})", extra=extra)
        by_index = {g.index: g for g in known}
        check = ContainerCheck(attribution=attribution, procfs_root=procfs_root, clock=clock)
        channels = []
        for pick in selection.gpus:
            gpu, handle = by_index[pick.index], handles[pick.index]
            channel, problem = _channel(backend, gpu, pick, handle, check)
            if channel is None:
                problems.append(problem)
            else:
                channels.append(channel)
        if not channels:
            return _outcome(
                backend, f"no {title} GPU readable: " + "; ".join(problems), extra=extra
            )
        try:
            source = GpuEnergySource(
                name=backend.source_name,
                channels=channels,
                clock=clock,
                poll_interval_s=poll_interval_s,
                on_close=backend.shutdown,
                describe_error=backend.why,
            )
        except SourceUnavailableError as err:
            return _outcome(backend, f"no {title} GPU readable: {err.reason}", extra=extra)
    except ConfigError:
        raise  # a bad gpu_ids or device mask: the caller decides
    except Exception as err:  # any failure of the library while listing: no GPU of it
        return _outcome(backend, f"no {title} GPU readable: {library} failed: {backend.why(err)}")
    finally:
        if source is None:
            backend.shutdown()
    reason = f"gpu from {library} (driver {driver}, {selection.origin}): {source.detail}"
    if problems:
        reason += "; not read: " + "; ".join(problems)
    return ProbeOutcome(backend.vendor, _COMPONENTS, (source,), reason, "", extra)
