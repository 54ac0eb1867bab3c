"""Predict a run's total footprint early, from the progress seen so far.

carbontracker predicts ``total epochs x mean epoch energy`` after the first
epoch. That counts the warm-up (data loading, compilation, cache filling) as
if every epoch paid it, and says nothing of how sure it is. Here:

1. the progress is a list of cumulative points ``(done, energy_j, elapsed_s)``
   (e.g. one per epoch or every few hundred steps), and each interval between
   two points gives a rate: energy and time per unit of work;
2. leading intervals that stand out from the rest (the warm-up) are left out:
   an interval is warm-up while its rate is more than 3 robust deviations (or
   15 %) away from the median of the intervals after it;
3. the per-unit rate is the work-weighted median of the remaining intervals,
   robust to a slow batch or a checkpoint write;
4. the total is what was measured plus the remaining work at that rate, and
   its range widens with the spread seen so far (1.4826 x MAD, the normal
   equivalent of a standard deviation, times 2.5 over the square root of the
   intervals used, and never narrower than 5 % of the remaining energy for
   drifts the past cannot show), and with the intensity's own range.

Pure functions over numbers: no clock, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from wattprint.errors import ConfigError
from wattprint.units import J_PER_KWH

_MAD_TO_SD = 1.4826
_Z = 2.5
_DRIFT_FLOOR = 0.05
_WARMUP_REL = 0.15


@dataclass(frozen=True, slots=True)
class Progress:
    """One cumulative point of a run's progress.

    Attributes:
        done: units of work done so far (epochs, steps, batches).
        energy_j: energy so far. Units: J, cumulative.
        elapsed_s: time so far. Units: s, cumulative.
    """

    done: float
    energy_j: float
    elapsed_s: float


@dataclass(frozen=True, slots=True)
class Prediction:
    """A run's predicted total, with its range and how it was obtained.

    Attributes:
        done: units of work done when predicted.
        total: units of work the run will do.
        energy_kwh: predicted total energy. Units: kWh.
        energy_kwh_low: low end of its range. Units: kWh.
        energy_kwh_high: high end of its range. Units: kWh.
        emissions_kg: predicted total emissions. Units: kg CO2e.
        emissions_kg_low: low end. Units: kg CO2e.
        emissions_kg_high: high end. Units: kg CO2e.
        water_l: predicted total water. Units: L.
        duration_s: predicted total duration. Units: s.
        duration_s_low: low end. Units: s.
        duration_s_high: high end. Units: s.
        method: ``robust-rate`` (warm-up left out, median rate) or ``mean-so-far``.
        assumptions: what the figure rests on, in words.
    """

    done: float
    total: float
    energy_kwh: float
    energy_kwh_low: float
    energy_kwh_high: float
    emissions_kg: float
    emissions_kg_low: float
    emissions_kg_high: float
    water_l: float
    duration_s: float
    duration_s_low: float
    duration_s_high: float
    method: str
    assumptions: tuple[str, ...]


def _weighted_median(values: Sequence[float], weights: Sequence[float]) -> float:
    pairs = sorted(zip(values, weights, strict=True))
    half = sum(weights) / 2
    running = 0.0
    for value, weight in pairs:
        running += weight
        if running >= half:
            return value
    return pairs[-1][0]


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _mad(values: Sequence[float], centre: float) -> float:
    return _median([abs(v - centre) for v in values])


def warmup_intervals(rates: Sequence[float]) -> int:
    """Return how many leading intervals are warm-up (their rate stands out from the rest).

    At most half of the intervals are ever called warm-up, and at least two
    must remain to compare with.
    """
    count = 0
    limit = len(rates) // 2
    while count < limit and len(rates) - count - 1 >= 2:
        rest = rates[count + 1 :]
        centre = _median(rest)
        spread = _MAD_TO_SD * _mad(rest, centre)
        gap = abs(rates[count] - centre)
        if gap > max(3 * spread, _WARMUP_REL * abs(centre)):
            count += 1
        else:
            break
    return count


def _check(points: Sequence[Progress], done: float, total: float) -> None:
    if not points:
        raise ConfigError("progress", "[]", "at least one point of work done")
    for name, value in (("done", done), ("total", total)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
            value
        ):
            raise ConfigError(name, value, "a finite number of units of work")
    if done <= 0:
        raise ConfigError("done", done, "units of work done > 0 (predict after some work)")
    if total < done:
        raise ConfigError("total", total, f"the run's total units of work, >= done ({done:g})")
    previous = Progress(0.0, 0.0, 0.0)
    for point in points:
        if point.done <= previous.done or point.energy_j < previous.energy_j:
            raise ConfigError(
                "progress",
                point,
                "points in order of work done, with energy that never decreases",
            )
        previous = point


def predict(
    points: Sequence[Progress],
    *,
    total: float,
    intensity_g_per_kwh: float,
    intensity_low_g_per_kwh: float | None = None,
    intensity_high_g_per_kwh: float | None = None,
    water_l_per_kwh: float = 0.0,
) -> Prediction:
    """Predict the run's total from its cumulative progress ``points``.

    Args:
        points: cumulative progress, in order, starting after some work
            (the run's start, ``(0, 0, 0)``, is implied).
        total: units of work the whole run will do.
        intensity_g_per_kwh: the intensity for the rest of the run. Units: gCO2e/kWh.
        intensity_low_g_per_kwh: its low end (default: the value).
        intensity_high_g_per_kwh: its high end (default: the value).
        water_l_per_kwh: water per kWh of energy. Units: L/kWh.

    Raises:
        ConfigError: no point, points out of order, or ``total`` below the work done.
    """
    last = points[-1] if points else Progress(0.0, 0.0, 0.0)
    _check(points, last.done, total)
    steps = [Progress(0.0, 0.0, 0.0), *points]
    pairs = list(zip(steps, steps[1:], strict=False))
    work = [b.done - a.done for a, b in pairs]
    energy_rates = [(b.energy_j - a.energy_j) / w for (a, b), w in zip(pairs, work, strict=True)]
    time_rates = [(b.elapsed_s - a.elapsed_s) / w for (a, b), w in zip(pairs, work, strict=True)]
    remaining = total - last.done
    assumptions = [f"{last.done:g} of {total:g} units of work done"]
    if len(energy_rates) >= 3:
        skip = warmup_intervals(energy_rates)
        used_e, used_t, used_w = energy_rates[skip:], time_rates[skip:], work[skip:]
        rate_e = _weighted_median(used_e, used_w)
        rate_t = _weighted_median(used_t, used_w)
        sd_e = _MAD_TO_SD * _mad(used_e, rate_e)
        sd_t = _MAD_TO_SD * _mad(used_t, rate_t)
        n = len(used_e)
        method = "robust-rate"
        assumptions.append(
            f"warm-up left out: first {skip} interval(s)" if skip else "no warm-up detected"
        )
        assumptions.append(f"median rate of {n} interval(s), spread 1.4826 x MAD")
    else:
        rate_e, rate_t = last.energy_j / last.done, last.elapsed_s / last.done
        sd_e, sd_t, n = 0.5 * rate_e / _Z, 0.5 * rate_t / _Z, 1  # so the range is +/- 50 %
        method = "mean-so-far"
        assumptions.append("too few points for a robust rate: mean so far, range +/- 50 %")
    half_e = remaining * max(_Z * sd_e / math.sqrt(n), _DRIFT_FLOOR * rate_e)
    half_t = remaining * max(_Z * sd_t / math.sqrt(n), _DRIFT_FLOOR * rate_t)
    energy_j = last.energy_j + remaining * rate_e
    low_j = max(last.energy_j, energy_j - half_e)
    high_j = energy_j + half_e
    i_low = intensity_g_per_kwh if intensity_low_g_per_kwh is None else intensity_low_g_per_kwh
    i_high = intensity_g_per_kwh if intensity_high_g_per_kwh is None else intensity_high_g_per_kwh
    assumptions.append(f"intensity {intensity_g_per_kwh:g} gCO2e/kWh ({i_low:g}-{i_high:g})")
    duration_s = last.elapsed_s + remaining * rate_t
    return Prediction(
        done=last.done,
        total=total,
        energy_kwh=energy_j / J_PER_KWH,
        energy_kwh_low=low_j / J_PER_KWH,
        energy_kwh_high=high_j / J_PER_KWH,
        emissions_kg=energy_j / J_PER_KWH * intensity_g_per_kwh / 1000,
        emissions_kg_low=low_j / J_PER_KWH * i_low / 1000,
        emissions_kg_high=high_j / J_PER_KWH * i_high / 1000,
        water_l=energy_j / J_PER_KWH * water_l_per_kwh,
        duration_s=duration_s,
        duration_s_low=max(last.elapsed_s, duration_s - half_t),
        duration_s_high=duration_s + half_t,
        method=method,
        assumptions=tuple(assumptions),
    )


def carbontracker_energy_j(epoch_energies_j: Sequence[float], total_epochs: float) -> float:
    """Return carbontracker's prediction, ``total epochs x mean epoch energy`` (for comparison)."""
    return total_epochs * math.fsum(epoch_energies_j) / len(epoch_energies_j)
