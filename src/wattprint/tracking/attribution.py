"""The CPU attribution rule of process mode: what a process tree is charged.

Per interval ``dt`` between two samples, a CPU source gives the energy ``E``
of the CPUs it covers: the whole machine (RAPL, a forced power), or only the
CPUs the process may use (the TDP model, scaled to them). ``E`` is split into

* an **idle part** ``P0 x dt``, ``P0`` being the source's power with its CPUs
  idle, and
* a **dynamic part** ``E - P0 x dt`` (never below 0).

The tree, whose CPU time in the interval is ``t``, is charged

* the dynamic part x ``t / B``, ``B`` being the busy CPU time of the CPUs the
  source covers: the whole machine's for a machine-wide source; for a source
  scaled to the usable CPUs, the busy time of the CPUs in the process's
  affinity mask, at most usable CPUs x ``dt`` (so a quota or an affinity mask
  has the same CPUs in numerator and denominator);
* the idle part x ``t / (N x dt)``, ``N`` being the CPUs the source covers
  (all of the machine's, or the usable ones): the share of the capacity the
  tree occupies.

The rest of the idle power is left unattributed: it belongs to the machine
being on, not to the tree (machine mode counts it in full). So a job is
charged the same whether its neighbours are idle or busy, and whether it is
pinned to one CPU or not.

``P0``: the TDP model's own curve at zero load; a forced constant power is
all idle (it does not change with the load); for an energy counter (RAPL),
the lowest power observed during the run brought down to zero load with the
shipped load curve's shape (``P x curve(0) / curve(u)`` at the machine's
utilisation ``u`` then), so a run that starts busy is not taken as idle.
"""

from __future__ import annotations

from wattprint.power.base import PowerSource
from wattprint.power.cpu.models import LoadCurve


def describe_rule(source: PowerSource | None) -> str:
    """Return the CPU attribution rule of process mode, with the idle estimate used."""
    if source is None:
        return ""
    if getattr(source, "idle_power_w", None) is not None:
        idle = "the model's power at zero load"
    elif source.method == "constant":
        idle = "all of it (a constant power does not change with the load)"
    else:
        idle = (
            "the lowest power observed in the run, brought to zero load with the "
            "shipped load curve's shape"
        )
    scope = getattr(source, "scope_cpus", None)
    over = (
        "the busy time of the CPUs it may use (affinity), at most its usable CPUs"
        if scope is not None
        else "the machine's busy CPU time"
    )
    cpus = "its usable CPUs" if scope is not None else "the machine's CPUs"
    return (
        f"dynamic power by its share of {over}, idle power (idle estimate: {idle}) "
        f"by its share of the capacity of {cpus} (its CPU time / (CPUs x time)); "
        "the rest of the idle power is left unattributed (machine mode counts it)"
    )


class CpuSplit:
    """Split one CPU source's interval energy between the tree and the idle rest.

    Args:
        source: the CPU (or SoC) source.
        machine_cpus: the machine's logical CPUs.
        usable_cpus: the CPUs the process may use (affinity and quota).
        curve: the load curve whose shape brings an observed power to zero load.
    """

    __slots__ = (
        "_source", "_scope", "_scoped", "_usable", "_curve", "_idle_w", "_fixed", "_idle_fraction",
        "_idle_pool_j", "_dynamic_pool_j", "_dynamic_j", "_busy_s",
    )  # fmt: skip

    def __init__(
        self,
        source: PowerSource,
        *,
        machine_cpus: float,
        usable_cpus: float,
        curve: LoadCurve | None = None,
    ) -> None:
        self._source = source
        scope = getattr(source, "scope_cpus", None)
        self._scoped = scope is not None
        self._scope = float(scope) if scope is not None else float(machine_cpus)
        self._usable = usable_cpus
        self._curve = curve
        fixed = getattr(source, "idle_power_w", None)
        if fixed is None and source.method == "constant":
            fixed = getattr(source, "power_w", None)
        self._fixed: float | None = fixed
        self._idle_w = float("inf")
        self._idle_fraction: float | None = None  # the curve at no load, found once
        # Energy not charged so far: CPU time that shows up late (a child's, in
        # its parent's count once reaped) is charged from it, never beyond it.
        self._idle_pool_j = 0.0
        self._dynamic_pool_j = 0.0
        self._dynamic_j = 0.0  # the run's dynamic energy and busy time, for late CPU time
        self._busy_s = 0.0

    def idle_w(self, energy_j: float, dt: float, machine_util: float) -> float:
        """Return the idle power for this interval (updating a counter's estimate). Units: W."""
        if self._fixed is not None:
            return self._fixed
        if dt > 0:
            curve = self._curve
            if curve is None:
                curve = self._curve = LoadCurve()
            if self._idle_fraction is None:
                self._idle_fraction = curve.fraction(0.0)
            at_load = curve.fraction(min(1.0, max(0.0, machine_util)))
            ratio = self._idle_fraction / at_load if at_load > 0 else 1.0
            estimate = energy_j / dt * min(1.0, ratio)
            if estimate < self._idle_w:
                self._idle_w = estimate
        return self._idle_w if self._idle_w != float("inf") else 0.0

    def charge(
        self,
        energy_j: float,
        dt: float,
        tree_s: float,
        *,
        busy_machine_s: float,
        busy_allowed_s: float,
    ) -> tuple[float, float]:
        """Return (energy charged to the tree, idle energy left unattributed). Units: J.

        Args:
            energy_j: the source's energy in the interval. Units: J.
            dt: the interval. Units: s.
            tree_s: the tree's CPU time in the interval. Units: s.
            busy_machine_s: the machine's busy CPU time in the interval. Units: s.
            busy_allowed_s: busy CPU time of the CPUs the process may use. Units: s.
        """
        busy = min(busy_allowed_s, self._usable * dt) if self._scoped else busy_machine_s
        idle_j = 0.0
        if dt > 0:
            idle_j = min(energy_j, self.idle_w(energy_j, dt, busy / (dt * self._scope)) * dt)
        dynamic_j = energy_j - idle_j
        idle_want = idle_j * tree_s / (self._scope * dt) if dt > 0 else 0.0
        # Pools and charges are clamped at zero: float rounding of the
        # differences must never make a charge (or a power point) negative.
        idle_charged = max(0.0, min(idle_want, idle_j + self._idle_pool_j))
        self._idle_pool_j = max(0.0, self._idle_pool_j + idle_j - idle_charged)
        self._dynamic_j += dynamic_j
        self._busy_s += busy
        in_time = min(tree_s, busy)
        dynamic_want = dynamic_j * in_time / busy if busy > 0 else 0.0
        if tree_s > in_time and self._busy_s > 0:  # time from earlier intervals
            dynamic_want += (tree_s - in_time) * self._dynamic_j / self._busy_s
        dynamic_charged = max(0.0, min(dynamic_want, dynamic_j + self._dynamic_pool_j))
        self._dynamic_pool_j = max(0.0, self._dynamic_pool_j + dynamic_j - dynamic_charged)
        return idle_charged + dynamic_charged, idle_j - idle_charged
