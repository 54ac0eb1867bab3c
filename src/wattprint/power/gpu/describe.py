"""What ``wattprint doctor`` shows of each NVIDIA GPU: driver, counter, method."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from wattprint.errors import ConfigError
from wattprint.power.gpu import select as sel
from wattprint.power.gpu.nvidia import (
    _W_PER_MW,
    NvmlModule,
    _driver_version,
    _how_to_read,
    _inventory,
    _shutdown,
    _start,
    _text,
)


def describe_gpus(
    env: Mapping[str, str] | None = None,
    gpu_ids: Sequence[int | str] | str | None = None,
    nvml: NvmlModule | None = None,
) -> list[sel.GpuDescription]:
    """Describe every NVIDIA GPU for ``wattprint doctor``; [] when there is none.

    The arguments are those of :func:`probe_nvidia`; they mark the selected GPUs.
    """
    environ = os.environ if env is None else env
    nvml, problem, _advice = _start(nvml)
    if problem:
        return []
    try:
        known, handles, _problems = _inventory(nvml)
        driver = _driver_version(nvml)
        try:
            chosen = {g.index for g in sel.select_gpus(known, gpu_ids=gpu_ids, env=environ).gpus}
        except ConfigError:
            chosen = set()  # the probe reports the bad id
        described: list[sel.GpuDescription] = []
        for gpu in known:
            handle = handles[gpu.index]
            has_counter, problem = _how_to_read(nvml, handle)
            method = "nvml-energy" if has_counter else "nvml-power-polling"
            described.append(
                sel.GpuDescription(
                    vendor="nvidia",
                    index=gpu.index,
                    name=_text(nvml.nvmlDeviceGetName(handle)),
                    uuid=gpu.uuid,
                    driver_version=driver,
                    energy_counter=has_counter,
                    memory_total_bytes=_optional(nvml, "nvmlDeviceGetMemoryInfo", handle, "total"),
                    method=f"unusable: {problem}" if problem else method,
                    power_limit_w=_power_limit_w(nvml, handle),
                    selected=gpu.index in chosen,
                    mig=("on: " + ", ".join(m.uuid for m in gpu.mig)) if gpu.mig else "off",
                )
            )
        return described
    except nvml.NVMLError:  # a GPU failed while being described: the probe will say why
        return []
    finally:
        _shutdown(nvml)


def _optional(nvml: NvmlModule, call: str, handle: object, field: str = "") -> int | None:
    """Return ``nvml.<call>(handle)`` (or its ``field``) as an int; None if NVML cannot say."""
    try:
        value = getattr(nvml, call)(handle)
    except nvml.NVMLError:
        return None
    return int(getattr(value, field) if field else value)


def _power_limit_w(nvml: NvmlModule, handle: object) -> float | None:
    """Return the enforced power limit (else the management limit). Units: W."""
    limit_mw = _optional(nvml, "nvmlDeviceGetEnforcedPowerLimit", handle)
    if limit_mw is None:
        limit_mw = _optional(nvml, "nvmlDeviceGetPowerManagementLimit", handle)
    return None if limit_mw is None else limit_mw * _W_PER_MW
