"""A stand-in for the ``amdsmi`` module (ROCm's AMD SMI bindings) that replays a trace.

``FakeAmdSmi("mi210", clock=clock)`` follows ``tests/fixtures/amdsmi/machines.json``. Returned
shapes follow amdsmi's Python interface: ``amdsmi_get_energy_count`` gives a dict with the
accumulator under ``energy_accumulator`` (amdsmi >= 6.2.1; ``power`` before, set
``energy_key="power"``), ``counter_resolution`` (uJ per count, a float32) and ``timestamp``;
``amdsmi_get_power_info`` gives watts with ``"N/A"`` where a field is absent; errors are
``AmdSmiLibraryException(err_code)`` with the message format of amdsmi_exception.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fakes.fake_nvml import Trace

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "amdsmi"

# amdsmi_status_t values (amdsmi.h), as in Zeus's exception map.
AMDSMI_STATUS_INVAL = 1
AMDSMI_STATUS_NOT_SUPPORTED = 2
AMDSMI_STATUS_INIT_ERROR = 18
AMDSMI_STATUS_NOT_INIT = 32
AMDSMI_STATUS_DRIVER_NOT_LOADED = 34
_INFO = {
    AMDSMI_STATUS_INVAL: "AMDSMI_STATUS_INVAL - Invalid parameters",
    AMDSMI_STATUS_NOT_SUPPORTED: "AMDSMI_STATUS_NOT_SUPPORTED - Feature not supported",
    AMDSMI_STATUS_INIT_ERROR: "AMDSMI_STATUS_INIT_ERROR - Initialization error",
    AMDSMI_STATUS_NOT_INIT: "AMDSMI_STATUS_NOT_INIT - Device not initialized",
    AMDSMI_STATUS_DRIVER_NOT_LOADED: "AMDSMI_STATUS_DRIVER_NOT_LOADED - Driver not loaded",
}


class AmdSmiException(Exception):
    """Base amdsmi exception class."""


class AmdSmiLibraryException(AmdSmiException):
    def __init__(self, err_code: int) -> None:
        super().__init__(err_code)
        self.err_code = abs(err_code)
        self.err_info = _INFO.get(self.err_code, "AMDSMI_STATUS_UNKNOWN_ERROR - Unknown error")

    def __str__(self) -> str:
        return f"Error code:\n\t{self.err_code} | {self.err_info}"

    def get_error_code(self) -> int:
        return self.err_code

    def get_error_info(self) -> str:
        return self.err_info


class FakeAmdSmi:
    """The amdsmi functions wattprint uses, for one machine."""

    AmdSmiException = AmdSmiException
    AmdSmiLibraryException = AmdSmiLibraryException

    def __init__(
        self, machine: str, *, clock: Callable[[], float], init_error: int | None = None
    ) -> None:
        data = json.loads((FIXTURES / "machines.json").read_text())
        self.driver_version = data["driver_version"]
        self.specs: list[dict[str, Any]] = data["machines"][machine]
        self.traces = [Trace.load(FIXTURES / s["trace"]) for s in self.specs]
        self.clock = clock
        self.t0_s = clock()
        self.init_error = init_error
        self.initialised = False
        self.counter_supported = [True] * len(self.specs)
        self.energy_key = [str(s.get("energy_key", "energy_accumulator")) for s in self.specs]

    def now_s(self) -> float:
        return round(self.clock() - self.t0_s, 6)  # to the us: no float drift across rows

    def _spec(self, handle: int) -> dict[str, Any]:
        if not self.initialised:
            raise AmdSmiLibraryException(AMDSMI_STATUS_NOT_INIT)
        return self.specs[handle]

    def accumulator(self, handle: int) -> int:
        """The raw accumulator now: the trace's counter (mJ) in counts of the resolution."""
        res_uj = float(self.specs[handle]["counter_resolution_uj"])
        return int(self.traces[handle].energy_mj_at(self.now_s()) * 1000 / res_uj)

    def amdsmi_init(self) -> None:
        if self.init_error is not None:
            raise AmdSmiLibraryException(self.init_error)
        self.initialised = True

    def amdsmi_shut_down(self) -> None:
        self.initialised = False

    def amdsmi_get_processor_handles(self) -> list[int]:
        if not self.initialised:
            raise AmdSmiLibraryException(AMDSMI_STATUS_NOT_INIT)
        return list(range(len(self.specs)))

    def amdsmi_get_gpu_device_uuid(self, handle: int) -> str:
        return str(self._spec(handle)["uuid"])

    def amdsmi_get_gpu_asic_info(self, handle: int) -> dict[str, Any]:
        return {"market_name": self._spec(handle)["market_name"], "vendor_id": "0x1002"}

    def amdsmi_get_energy_count(self, handle: int) -> dict[str, Any]:
        spec = self._spec(handle)
        if not self.counter_supported[handle]:
            raise AmdSmiLibraryException(AMDSMI_STATUS_NOT_SUPPORTED)
        return {
            self.energy_key[handle]: self.accumulator(handle),
            "counter_resolution": float(spec["counter_resolution_uj"]),
            "timestamp": round(self.clock() * 1e9),
        }

    def amdsmi_get_power_info(self, handle: int) -> dict[str, Any]:
        self._spec(handle)
        power_w = round(self.traces[handle].power_mw_at(self.now_s()) / 1000)  # amdsmi: whole W
        return {"current_socket_power": power_w, "average_socket_power": "N/A",
                "gfx_voltage": "N/A", "soc_voltage": "N/A", "mem_voltage": "N/A",
                "power_limit": self._spec(handle)["power_cap_uw"] // 1_000_000}

    def amdsmi_get_gpu_vram_usage(self, handle: int) -> dict[str, int]:
        used_mb = sum(p["vram_mem"] for p in self._spec(handle)["processes"]) // 2**20
        return {"vram_total": int(self._spec(handle)["vram_total_mb"]), "vram_used": used_mb}

    def amdsmi_get_power_cap_info(self, handle: int) -> dict[str, int]:
        cap = int(self._spec(handle)["power_cap_uw"])
        return {"power_cap": cap, "default_power_cap": cap, "min_power_cap": 0,
                "max_power_cap": cap}

    def amdsmi_get_gpu_driver_info(self, handle: int) -> dict[str, str]:
        self._spec(handle)
        return {"driver_name": "amdgpu", "driver_version": self.driver_version,
                "driver_date": "2015/01/01 00:00"}

    def amdsmi_get_gpu_process_list(self, handle: int) -> list[dict[str, Any]]:
        return [
            {"name": f"proc-{p['pid']}", "pid": p["pid"], "mem": p["vram_mem"],
             "engine_usage": {"gfx": 0, "enc": 0},
             "memory_usage": {"gtt_mem": 0, "cpu_mem": 0, "vram_mem": p["vram_mem"]},
             "cu_occupancy": "N/A"}
            for p in self._spec(handle)["processes"]
        ]
