"""A stand-in for the ``pynvml`` module that replays recorded traces.

``FakeNvml("v100", clock=clock)`` behaves like ``pynvml`` on the machine described under that
name in ``tests/fixtures/nvml/machines.json``: same function names, argument order, units (mJ,
mW, bytes, microsecond timestamps), error class (``NVMLError`` with ``.value``, the NVML_ERROR_*
codes and pynvml's messages). Each GPU replays a power/energy trace from ``tests/fixtures/nvml``
(see the README there) on an injected clock: trace time 0 is the clock's value when the fake is
made, and time only moves when the test moves the clock. Only the functions wattprint calls
exist; calling any other fails loudly, as a missing attribute.

Faults are switchable, as a fault-injection pass needs them: ``inject(call, ...)`` makes a
function raise any exception, return garbage, transform its answer or hang (until
``release()``), for every GPU or one; ``remove(name)`` hides a function or an ``NVML_*``
constant, as an older or different pynvml would.
"""

from __future__ import annotations

import bisect
import csv
import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

_UNSET = object()

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# Codes and messages as in nvml.h and pynvml (nvidia-ml-py 13.615.71).
NVML_SUCCESS = 0
NVML_ERROR_UNINITIALIZED = 1
NVML_ERROR_INVALID_ARGUMENT = 2
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_NO_PERMISSION = 4
NVML_ERROR_NOT_FOUND = 6
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_FUNCTION_NOT_FOUND = 13
NVML_ERROR_GPU_IS_LOST = 15
NVML_ERROR_UNKNOWN = 999
NVML_DEVICE_MIG_DISABLE = 0
NVML_DEVICE_MIG_ENABLE = 1
NVML_GPU_INSTANCE_PROFILE_1_SLICE = 0x0
NVML_GPU_INSTANCE_PROFILE_2_SLICE = 0x1
NVML_GPU_INSTANCE_PROFILE_3_SLICE = 0x2
NVML_GPU_INSTANCE_PROFILE_4_SLICE = 0x3
NVML_GPU_INSTANCE_PROFILE_7_SLICE = 0x4
NVML_GPU_INSTANCE_PROFILE_COUNT = 0x12
_A100_PROFILE_SLICES = {0x0: 1, 0x1: 2, 0x2: 3, 0x3: 4, 0x4: 7}  # profiles of an A100 or H100
_NO_ID = 0xFFFFFFFF  # gpuInstanceId / computeInstanceId of a process outside MIG

_MESSAGES = {
    NVML_ERROR_UNINITIALIZED: "Uninitialized",
    NVML_ERROR_INVALID_ARGUMENT: "Invalid Argument",
    NVML_ERROR_NOT_SUPPORTED: "Not Supported",
    NVML_ERROR_NO_PERMISSION: "Insufficient Permissions",
    NVML_ERROR_NOT_FOUND: "Not Found",
    NVML_ERROR_DRIVER_NOT_LOADED: "Driver Not Loaded",
    NVML_ERROR_LIBRARY_NOT_FOUND: "NVML Shared Library Not Found",
    NVML_ERROR_FUNCTION_NOT_FOUND: "Function Not Found",
    NVML_ERROR_GPU_IS_LOST: "GPU is lost",
    NVML_ERROR_UNKNOWN: "Unknown Error",
}


class NVMLError(Exception):
    """pynvml's error: ``value`` is the NVML return code."""

    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        return _MESSAGES.get(self.value, f"NVML Error with code {self.value}")


class FakeClock:
    """A clock that moves only when told to. Units: s."""

    def __init__(self, start_s: float = 1000.0) -> None:
        self.now_s = start_s

    def __call__(self) -> float:
        return self.now_s

    def advance(self, dt_s: float) -> None:
        self.now_s += dt_s


@dataclass(frozen=True)
class Trace:
    """A replayed trace: power held from each row to the next, a counter advancing with it."""

    times_s: tuple[float, ...]
    power_mw: tuple[int, ...]
    energy_mj: tuple[int, ...] | None
    power_limit_w: tuple[int, ...]

    @classmethod
    def load(cls, path: Path) -> Trace:
        with path.open(newline="") as f:
            rows = list(csv.DictReader(f))
        energy = [r["energy_mj"] for r in rows]
        return cls(
            tuple(float(r["time_s"]) for r in rows),
            tuple(int(r["power_mw"]) for r in rows),
            None if "" in energy else tuple(int(e) for e in energy),
            tuple(int(r["power_limit_w"]) for r in rows),
        )

    def _row(self, t_s: float) -> int:
        return max(bisect.bisect_right(self.times_s, t_s) - 1, 0)

    def power_mw_at(self, t_s: float) -> int:
        return self.power_mw[self._row(t_s)]

    def energy_mj_at(self, t_s: float) -> int:
        """The counter at trace time ``t_s``: the row's value plus power x time since, floored."""
        if self.energy_mj is None:
            raise ValueError("this trace has no energy counter")
        k = self._row(t_s)
        return self.energy_mj[k] + int(self.power_mw[k] * max(t_s - self.times_s[k], 0.0))

    def integral_j(self, t0_s: float, t1_s: float) -> float:
        """The exact energy of the held power between two trace times. Units: J."""
        total_mj = 0.0
        edges = [t0_s, *(t for t in self.times_s if t0_s < t < t1_s), t1_s]
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            total_mj += self.power_mw_at(a) * (b - a)
        return total_mj / 1000


@dataclass
class _Gpu:
    spec: dict[str, Any]
    trace: Trace
    fail_at_s: float | None = None
    fail_code: int = NVML_ERROR_GPU_IS_LOST
    mig: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class _Handle:
    index: int
    mig_position: int | None = None


def machine_spec(machine: str) -> tuple[str, list[dict[str, Any]]]:
    """The driver version and GPU specs of a machine in machines.json."""
    data = json.loads((FIXTURES / "nvml" / "machines.json").read_text())
    return data["driver_version"], data["machines"][machine]


@dataclass
class Fault:
    """What an injected call does instead of (or after) its normal answer."""

    raises: BaseException | None = None
    returns: Any = _UNSET
    transform: Callable[[Any], Any] | None = None
    hang: bool = False
    index: int | None = None


class FakeNvml:
    """The pynvml functions wattprint uses, for one recorded machine."""

    NVMLError = NVMLError

    def __getattribute__(self, name: str) -> Any:
        state = object.__getattribute__(self, "__dict__")
        if name in state.get("removed", ()):
            raise AttributeError(f"module 'pynvml' has no attribute {name!r}")
        value = object.__getattribute__(self, name)
        fault = state.get("faults", {}).get(name)
        if fault is None or not callable(value):
            return value
        return object.__getattribute__(self, "_faulty")(value, fault)

    def _faulty(self, call: Callable[..., Any], fault: Fault) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            if fault.index is not None and (
                not args or getattr(args[0], "index", None) != fault.index
            ):
                return call(*args)
            self.calls_faulted += 1
            if fault.hang:
                self.hanging.set()
                self.released.wait(30.0)
            if fault.raises is not None:
                raise fault.raises
            if fault.returns is not _UNSET:
                return fault.returns
            answer = call(*args)
            return fault.transform(answer) if fault.transform is not None else answer

        return run

    def __init__(
        self,
        machine: str,
        *,
        clock: Callable[[], float],
        init_error: int | None = None,
        counter_period_s: float | None = None,
    ) -> None:
        """Play ``machine``; ``counter_period_s`` makes the energy counter move in steps.

        With ``counter_period_s`` (0.1 s on many boards) the counter holds its value from one
        update to the next, as NVML's does; without it the counter follows the power exactly.
        """
        self.counter_period_s = counter_period_s
        self.driver_version, specs = machine_spec(machine)
        self.gpus = [
            _Gpu(spec, Trace.load(FIXTURES / "nvml" / spec["trace"]), mig=spec.get("mig", []))
            for spec in specs
        ]
        self.clock = clock
        self.t0_s = clock()
        self.init_error = init_error
        self.init_count = 0
        self.counter_supported = [g.trace.energy_mj is not None for g in self.gpus]
        self.power_supported = [True] * len(self.gpus)
        self.faults: dict[str, Fault] = {}
        self.removed: set[str] = set()
        self.calls_faulted = 0
        self.hanging = threading.Event()
        self.released = threading.Event()
        for name, value in globals().items():
            if name.startswith("NVML_"):
                setattr(self, name, value)

    # ---------------------------------------------------------------- test controls

    def now_s(self) -> float:
        """Trace time now. Units: s."""
        return round(self.clock() - self.t0_s, 6)  # to the us: no float drift across rows

    def fail(self, index: int, *, at_s: float, code: int = NVML_ERROR_GPU_IS_LOST) -> None:
        """Make every call on GPU ``index`` raise ``code`` from trace time ``at_s`` on."""
        self.gpus[index].fail_at_s = at_s
        self.gpus[index].fail_code = code

    def inject(self, call: str, **fault: Any) -> None:
        """Make ``call`` misbehave: ``raises=``, ``returns=``, ``transform=``, ``hang=True``,
        optionally only for GPU ``index=``."""
        self.faults[call] = Fault(**fault)

    def heal(self, call: str) -> None:
        """Make ``call`` behave again."""
        self.faults.pop(call, None)

    def remove(self, *names: str) -> None:
        """Hide functions or constants, as an older pynvml lacks them."""
        self.removed.update(names)

    def release(self) -> None:
        """Let every hanging call return."""
        self.released.set()

    def _gpu(self, handle: _Handle) -> _Gpu:
        if self.init_count <= 0:
            raise NVMLError(NVML_ERROR_UNINITIALIZED)
        gpu = self.gpus[handle.index]
        if gpu.fail_at_s is not None and self.now_s() >= gpu.fail_at_s:
            raise NVMLError(gpu.fail_code)
        return gpu

    # ---------------------------------------------------------------- library

    def nvmlInit(self) -> None:
        if self.init_error is not None:
            raise NVMLError(self.init_error)
        self.init_count += 1

    def nvmlShutdown(self) -> None:
        if self.init_count <= 0:
            raise NVMLError(NVML_ERROR_UNINITIALIZED)
        self.init_count -= 1

    def nvmlSystemGetDriverVersion(self) -> str:
        return self.driver_version

    def nvmlDeviceGetCount(self) -> int:
        if self.init_count <= 0:
            raise NVMLError(NVML_ERROR_UNINITIALIZED)
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> _Handle:
        if not 0 <= index < len(self.gpus):
            raise NVMLError(NVML_ERROR_INVALID_ARGUMENT)
        handle = _Handle(index)
        self._gpu(handle)
        return handle

    def nvmlDeviceGetUUID(self, handle: _Handle) -> str:
        gpu = self._gpu(handle)
        if handle.mig_position is not None:
            return str(gpu.mig[handle.mig_position]["uuid"])
        return str(gpu.spec["uuid"])

    def nvmlDeviceGetName(self, handle: _Handle) -> str:
        return str(self._gpu(handle).spec["name"])

    # ---------------------------------------------------------------- MIG

    def nvmlDeviceGetMigMode(self, handle: _Handle) -> list[int]:
        gpu = self._gpu(handle)
        if "mig" not in gpu.spec:  # a GPU without MIG (before Ampere)
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        mode = NVML_DEVICE_MIG_ENABLE if gpu.mig else NVML_DEVICE_MIG_DISABLE
        return [mode, mode]

    def nvmlDeviceGetMaxMigDeviceCount(self, handle: _Handle) -> int:
        self.nvmlDeviceGetMigMode(handle)
        return 7

    def nvmlDeviceGetMigDeviceHandleByIndex(self, handle: _Handle, position: int) -> _Handle:
        gpu = self._gpu(handle)
        if not 0 <= position < len(gpu.mig):
            raise NVMLError(NVML_ERROR_NOT_FOUND)
        return _Handle(handle.index, position)

    def nvmlDeviceGetGpuInstanceId(self, handle: _Handle) -> int:
        if handle.mig_position is None:
            raise NVMLError(NVML_ERROR_INVALID_ARGUMENT)
        return int(self._gpu(handle).mig[handle.mig_position]["gi"])

    def nvmlDeviceGetComputeInstanceId(self, handle: _Handle) -> int:
        if handle.mig_position is None:
            raise NVMLError(NVML_ERROR_INVALID_ARGUMENT)
        return int(self._gpu(handle).mig[handle.mig_position]["ci"])

    def nvmlDeviceGetAttributes(self, handle: _Handle) -> SimpleNamespace:
        """A MIG device's slices and SMs (14 per slice on an A100); a whole GPU's SMs."""
        gpu = self._gpu(handle)
        if handle.mig_position is None:
            return SimpleNamespace(
                multiprocessorCount=int(gpu.spec["sm_count"]),
                gpuInstanceSliceCount=0,
                computeInstanceSliceCount=0,
            )
        mig = gpu.mig[handle.mig_position]
        return SimpleNamespace(
            multiprocessorCount=14 * int(mig["ci_slices"]),
            gpuInstanceSliceCount=int(mig["gi_slices"]),
            computeInstanceSliceCount=int(mig["ci_slices"]),
        )

    def nvmlDeviceGetGpuInstanceProfileInfo(self, handle: _Handle, profile: int) -> SimpleNamespace:
        gpu = self._gpu(handle)
        if "mig" not in gpu.spec or handle.mig_position is not None:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        if profile not in _A100_PROFILE_SLICES:
            raise NVMLError(NVML_ERROR_INVALID_ARGUMENT)
        return SimpleNamespace(id=profile, sliceCount=_A100_PROFILE_SLICES[profile])

    # ---------------------------------------------------------------- numbering

    def nvmlDeviceGetCudaComputeCapability(self, handle: _Handle) -> tuple[int, int]:
        major, minor = self._gpu(handle).spec["cuda_cc"]
        return int(major), int(minor)

    def nvmlDeviceGetPciInfo(self, handle: _Handle) -> SimpleNamespace:
        bus = int(self._gpu(handle).spec["pci_bus"])
        return SimpleNamespace(domain=0, bus=bus, device=0, busId=f"00000000:{bus:02X}:00.0")

    def nvmlDeviceGetMinorNumber(self, handle: _Handle) -> int:
        return int(self._gpu(handle).spec["minor"])

    # ---------------------------------------------------------------- power and energy

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: _Handle) -> int:
        gpu = self._gpu(handle)
        if handle.mig_position is not None or not self.counter_supported[handle.index]:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        t_s = self.now_s()
        if self.counter_period_s is not None:  # the last update at or before now
            t_s = round(math.floor(t_s / self.counter_period_s + 1e-9) * self.counter_period_s, 6)
        return gpu.trace.energy_mj_at(t_s)

    def nvmlDeviceGetPowerUsage(self, handle: _Handle) -> int:
        gpu = self._gpu(handle)
        if handle.mig_position is not None or not self.power_supported[handle.index]:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return gpu.trace.power_mw_at(self.now_s())

    def nvmlDeviceGetEnforcedPowerLimit(self, handle: _Handle) -> int:
        return int(self._gpu(handle).spec["power_limit_mw"])

    def nvmlDeviceGetPowerManagementLimit(self, handle: _Handle) -> int:
        return int(self._gpu(handle).spec["power_limit_mw"])

    def nvmlDeviceGetMemoryInfo(self, handle: _Handle) -> SimpleNamespace:
        gpu = self._gpu(handle)
        total = int(gpu.spec["memory_total_bytes"])
        used = sum(p["used_memory_bytes"] or 0 for p in self._processes(gpu))
        return SimpleNamespace(total=total, used=used, free=total - used)

    # ---------------------------------------------------------------- processes

    def _processes(self, gpu: _Gpu) -> list[dict[str, Any]]:
        t = self.now_s()
        return [
            p
            for p in gpu.spec.get("processes", [])
            if p.get("from_s", 0.0) <= t < p.get("until_s", float("inf"))
        ]

    def nvmlDeviceGetComputeRunningProcesses(self, handle: _Handle) -> list[SimpleNamespace]:
        gpu = self._gpu(handle)
        return [
            SimpleNamespace(
                pid=p["pid"],
                usedGpuMemory=p["used_memory_bytes"],
                gpuInstanceId=p.get("gi", _NO_ID),
                computeInstanceId=p.get("ci", _NO_ID),
            )
            for p in self._processes(gpu)
        ]

    def nvmlDeviceGetProcessUtilization(self, handle: _Handle, timeStamp: int) -> list[Any]:
        """Samples newer than ``timeStamp`` (us, on the clock) up to now; NOT_FOUND if none."""
        gpu = self._gpu(handle)
        if gpu.mig:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        now = self.now_s()
        samples = []
        for series in gpu.spec.get("utilisation", []):
            k = 0
            while (t := series["from_s"] + k * series["every_s"]) <= min(now, series["until_s"]):
                stamp = round((self.t0_s + t) * 1_000_000)
                if stamp > timeStamp:
                    samples.append(
                        SimpleNamespace(
                            pid=series["pid"],
                            timeStamp=stamp,
                            smUtil=series["sm_util"],
                            memUtil=series["mem_util"],
                            encUtil=0,
                            decUtil=0,
                        )
                    )
                k += 1
        if not samples:
            raise NVMLError(NVML_ERROR_NOT_FOUND)
        return sorted(samples, key=lambda s: s.timeStamp)
