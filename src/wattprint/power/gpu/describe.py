"""What ``wattprint doctor`` shows of each GPU: driver, counter, method. One for every vendor."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from wattprint.errors import ConfigError
from wattprint.power.gpu import select as sel
from wattprint.power.gpu.backend import GpuBackend, how_to_read

__all__ = ["describe_gpus"]


def describe_gpus(
    backend: GpuBackend,
    env: Mapping[str, str] | None = None,
    gpu_ids: Sequence[int | str] | str | None = None,
) -> list[sel.GpuDescription]:
    """Describe every GPU of a vendor for ``wattprint doctor``; [] when there is none.

    Args:
        backend: the vendor library (e.g. ``NvmlBackend()``, ``AmdSmiBackend()``).
        env: the environment (device masks); defaults to ``os.environ``.
        gpu_ids: as for the probe; they mark the selected GPUs.

    Returns:
        One description per GPU listed; [] when the library cannot start or
        fails while listing (the probe says why). Never raises.
    """
    environ = os.environ if env is None else env
    try:
        problem, _advice = backend.start()
    except Exception:  # a library that fails in an unexpected way: the probe says why
        return []
    if problem:
        return []
    try:
        known, handles, _problems = backend.inventory()
        driver = backend.driver_version()
        try:
            order, order_text = backend.device_order(known, handles, environ)
            picks = sel.select_gpus(
                known, gpu_ids=gpu_ids, env=environ, env_vars=backend.env_vars, order=order,
                order_text=order_text,
            )  # fmt: skip
            chosen = {g.index for g in picks.gpus}
        except ConfigError:
            chosen = set()  # the probe reports the bad id
        described: list[sel.GpuDescription] = []
        for gpu in known:
            handle = handles[gpu.index]
            j_per_count, problem = how_to_read(backend, handle)
            method = backend.polling_method if j_per_count is None else backend.counter_method
            described.append(
                sel.GpuDescription(
                    vendor=backend.vendor,
                    index=gpu.index,
                    name=backend.device_name(handle),
                    uuid=gpu.uuid,
                    memory_total_bytes=backend.memory_total_bytes(handle),
                    driver_version=driver,
                    energy_counter=j_per_count is not None,
                    method=f"unusable: {problem}" if problem else method,
                    power_limit_w=backend.power_limit_w(handle),
                    mig=backend.mig_text(gpu),
                    selected=gpu.index in chosen,
                )
            )
        return described
    except Exception:  # a GPU failed while being described: the probe says why
        return []
    finally:
        backend.shutdown()
