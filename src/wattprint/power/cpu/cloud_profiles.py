"""Power profiles of cloud instances, from Cloud Carbon Footprint's data.

On a cloud instance the chip's TDP says little: the instance has a few of
its threads, and the provider's platform has its own memory and power
supply. Cloud Carbon Footprint (CCF, Apache-2.0) publishes two better
figures, which this module looks up (tables built by
``scripts/build_cloud_profiles.py``; see ``power/data/SOURCES.md``):

1. **Per instance type (AWS)**: Teads' measurements of the instance's CPU
   package and memory power at idle, 10, 50 and 100 % load (W), for the
   instance's own vCPUs. Power is interpolated linearly between those loads.
2. **Per vCPU, by microarchitecture (AWS, GCP, Azure)**: minimum and maximum
   watts per vCPU from SPECpower; power = vCPUs x (min + load x (max - min)),
   CCF's own formula.

The microarchitecture comes from the instance type's row, else the CPU
model's (CCF's lists), else the CPUID family and model.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable

from wattprint._record import NamedTuple
from wattprint.errors import DataError
from wattprint.power.base import Component, DeviceEnergy, Reading
from wattprint.power.cpu.load_integral import LoadIntegral
from wattprint.power.cpu.models import LoadCurve, normalize_brand
from wattprint.power.cpu.procfs import MachineCpu
from wattprint.tables import read_table

_LOADS = (0.0, 0.1, 0.5, 1.0)
_LOAD_COLUMNS = ("idle", "10", "50", "100")


class InstanceType(NamedTuple):
    """One cloud instance type, as Cloud Carbon Footprint describes it.

    Attributes:
        provider: ``aws``, ``gcp`` or ``azure``.
        name: the instance type, e.g. ``m5.xlarge``.
        vcpus: the instance's vCPUs (Azure's shared-core types have 0.5).
        platform_vcpus: vCPUs of the whole server it runs on, if known.
        cpu: the platform's CPU name, if given.
        microarchitectures: the platform's possible microarchitectures.
        platform_embodied_kg: embodied emissions of the whole server. Units: kg CO2e.
        cpu_w: CPU package power at idle, 10, 50 and 100 % load (AWS). Units: W.
        ram_w: memory power at the same loads (AWS). Units: W.
    """

    provider: str
    name: str
    vcpus: float
    platform_vcpus: float | None
    cpu: str
    microarchitectures: tuple[str, ...]
    platform_embodied_kg: float | None
    cpu_w: tuple[float, ...] | None
    ram_w: tuple[float, ...] | None


def _num(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def _csv(table: str) -> csv.DictReader[str]:
    text = read_table("wattprint.power", table, None, "cloud table")
    return csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#"))


class CloudTables:
    """The shipped instance, coefficient and microarchitecture tables, read on first use."""

    __slots__ = ("_instances", "_coefficients", "_arch")

    def __init__(self) -> None:
        """Create the tables; nothing is read until a lookup."""
        self._instances: dict[tuple[str, str], InstanceType] | None = None
        self._coefficients: dict[tuple[str, str], tuple[float, float]] | None = None
        self._arch: dict[str, str] | None = None

    def instance(self, provider: str | None, name: str) -> InstanceType | None:
        """Return the instance type ``name`` of ``provider`` (any provider when None)."""
        if self._instances is None:
            self._instances = _read_instances()
        key = name.strip()
        if provider is not None:
            return self._instances.get((provider, key))
        return next((v for (_, n), v in self._instances.items() if n == key), None)

    def coefficients(self, provider: str, microarchitecture: str) -> tuple[float, float] | None:
        """Return CCF's (min, max) watts per vCPU of a microarchitecture on ``provider``."""
        if self._coefficients is None:
            self._coefficients = {
                (r["provider"], r["microarchitecture"]): (
                    float(r["min_w_per_vcpu"]),
                    float(r["max_w_per_vcpu"]),
                )
                for r in _csv("cloud_cpu_coefficients.csv")
            }
        return self._coefficients.get((provider, microarchitecture))

    def microarchitecture(self, cpu: str) -> str | None:
        """Return the microarchitecture of a CPU model or brand string, if listed.

        Tries the normalised name without the word Xeon, then the same less
        its leading words (``platinum 8175m``, then ``8175m``).
        """
        if self._arch is None:
            self._arch = {
                r["model"]: r["microarchitecture"] for r in _csv("cpu_microarchitectures.csv")
            }
        words = [w for w in normalize_brand(cpu).split() if w != "xeon"]
        for i in range(len(words)):
            found = self._arch.get(" ".join(words[i:]))
            if found:
                return found
        return None


def _watts(row: dict[str, str], part: str) -> tuple[float, ...] | None:
    if not row[f"{part}_w_idle"]:
        return None
    return tuple(float(row[f"{part}_w_{c}"]) for c in _LOAD_COLUMNS)


def _read_instances() -> dict[tuple[str, str], InstanceType]:
    rows: dict[tuple[str, str], InstanceType] = {}
    for r in _csv("cloud_instances.csv"):
        try:
            cpu_w = (
                tuple(float(r[f"cpu_w_{c}"]) for c in _LOAD_COLUMNS) if r["cpu_w_idle"] else None
            )
            ram_w = (
                tuple(float(r[f"ram_w_{c}"]) for c in _LOAD_COLUMNS) if r["ram_w_idle"] else None
            )
            platform = _num(r["platform_vcpus"])
            row = InstanceType(
                provider=r["provider"],
                name=r["instance_type"],
                vcpus=float(r["vcpus"]),
                platform_vcpus=platform or None,
                cpu=r["cpu"],
                microarchitectures=tuple(a for a in r["microarchitecture"].split("|") if a),
                platform_embodied_kg=_num(r["platform_embodied_kg"]),
                cpu_w=cpu_w,
                ram_w=ram_w,
            )
        except (KeyError, ValueError) as err:
            raise DataError(f"cloud_instances.csv: bad row {r!r}: {err}") from err
        rows.setdefault((row.provider, row.name), row)
    return rows


class CloudProfile(NamedTuple):
    """The power curves chosen for a cloud instance.

    Attributes:
        cpu_points: (load 0..1, CPU power in W) for the usable vCPUs.
        ram_points: (load 0..1, memory power in W), or None when unknown.
        instance: the instance type's row, if known.
        detail: what was used, for people.
    """

    cpu_points: tuple[tuple[float, float], ...]
    ram_points: tuple[tuple[float, float], ...] | None
    instance: InstanceType | None
    detail: str


def choose_profile(
    tables: CloudTables,
    *,
    provider: str | None,
    instance_type: str | None,
    brand: str,
    arch_from_ids: str | None,
    usable_cpus: float,
) -> tuple[CloudProfile | None, str]:
    """Return the instance's power profile, or None and why not.

    Args:
        tables: the shipped tables.
        provider: the cloud from DMI (``aws``, ``gcp``, ``azure``), or None.
        instance_type: the instance type, if known.
        brand: the CPU brand string.
        arch_from_ids: the microarchitecture the CPUID tells, if any.
        usable_cpus: vCPUs this process may use (quota, affinity).
    """
    if provider is None and instance_type is None:
        return None, "not a cloud instance (DMI names no provider, no instance type set)"
    row = tables.instance(provider, instance_type) if instance_type else None
    provider = provider or (row.provider if row else None)
    if row is not None and row.cpu_w is not None:
        scale = min(usable_cpus, row.vcpus) / row.vcpus
        cpu = tuple((u, w * scale) for u, w in zip(_LOADS, row.cpu_w, strict=True))
        ram = None
        if row.ram_w is not None:
            ram = tuple((u, w * scale) for u, w in zip(_LOADS, row.ram_w, strict=True))
        detail = (
            f"{row.provider} {row.name} ({row.vcpus} vCPUs, {row.cpu}): Teads/CCF package power "
            f"{row.cpu_w[0]:g}/{row.cpu_w[1]:g}/{row.cpu_w[2]:g}/{row.cpu_w[3]:g} W at "
            "idle/10/50/100 % load"
        )
        if scale < 1:
            detail += f", x {scale:.3g} for {usable_cpus:g} usable vCPUs"
        return CloudProfile(cpu, ram, row, detail), ""
    if provider is None:
        return None, f"instance type {instance_type!r} is not in the cloud table"
    arch = (
        (
            row.microarchitectures[0]
            if row is not None and len(row.microarchitectures) == 1
            else None
        )
        or tables.microarchitecture(row.cpu if row is not None and row.cpu else brand)
        or tables.microarchitecture(brand)
        or arch_from_ids
    )
    coefficients = tables.coefficients(provider, arch) if arch else None
    if coefficients is None:
        return None, (
            f"{provider}: no per-vCPU coefficients for the CPU {brand!r}"
            + (f" ({arch})" if arch else " (microarchitecture unknown)")
        )
    min_w, max_w = coefficients
    cpu = ((0.0, min_w * usable_cpus), (1.0, max_w * usable_cpus))
    what = f"instance {row.name}, " if row is not None else ""
    detail = (
        f"{provider} {what}{arch}: CCF {min_w:.3g}-{max_w:.3g} W per vCPU x "
        f"{usable_cpus:g} vCPUs, linear in load (SPECpower via Cloud Carbon Footprint)"
    )
    return CloudProfile(cpu, None, row, detail), ""


class CloudProfileSource:
    """Estimate a cloud instance's CPU or memory energy from its profile and the load."""

    method = "cloud-instance-profile"
    measured = False

    def __init__(
        self,
        *,
        component: Component,
        points: tuple[tuple[float, float], ...],
        usable_cpus: float,
        machine: MachineCpu,
        detail: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.component: Component = component
        self.name = f"{component}-cloud-profile"
        self._curve = LoadCurve(points)
        self._usable = usable_cpus
        self._detail = detail
        self._integral = LoadIntegral(machine, clock)
        self.machine = machine  # the meter hands it the CPU times it has just read

    @property
    def detail(self) -> str:
        """Describe the instance profile used."""
        return self._detail

    def power_w(self, utilization: float) -> float:
        """Return the profile's power at ``utilization`` (0..1 of usable vCPUs). Units: W."""
        return self._curve.fraction(utilization)

    def read(self) -> Reading:
        """Integrate the profile up to now and return the cumulative energy (J)."""
        return self.read_at(None)

    def read_at(self, now_s: float | None) -> Reading:
        """Integrate the profile up to ``now_s`` (on its clock; None: now).

        The CPU times handed to :attr:`machine` are those of that moment.
        """
        integral = self._integral
        now = integral.advance(self._usable, self.power_w, now_s)
        return Reading(
            source=self.name,
            component=self.component,
            monotonic_s=now,
            devices=(DeviceEnergy(self.name, integral.energy_j),),
        )

    def close(self) -> None:
        """Nothing to release."""
