"""Uncertainty ranges: a low and a high bound for every figure, as intervals.

Each component's energy gets a band from the method that produced it, the
grid intensity one from its kind, and the bands are carried through the
formulas by interval arithmetic: every formula here is monotone increasing
in each of its inputs, so the low bound of a result is the formula of the
low bounds and the high bound the formula of the high bounds. No
distribution is assumed; a range says "the true figure lies within, if each
input lies within its stated band".

The bands, keyed by method name in :data:`ENERGY_BANDS` (sources in
``impact/SOURCES.md``):

- ``rapl``: ±5 %; Khan et al., "RAPL in Action", ACM TOMPECS 3(2), 2018
  (doi:10.1145/3177754) find RAPL package and DRAM energy highly correlated
  with plug power, within a few percent.
- ``nvml-energy``, ``nvml-power-polling``: ±5 %; NVIDIA's NVML reference,
  ``nvmlDeviceGetPowerUsage``: "accurate to within +/- 5% of current power
  draw". Polled power adds its sampling error (:func:`sampling_fraction`).
- ``amdsmi-energy``, ``amdsmi-power-polling``: AMD states no accuracy; the
  NVML figure is used and said so.
- ``tdp-x-load``, ``tdp-per-thread`` and ``cloud-instance-profile``: on the
  RAPL load profiles the curve was fitted on (CodeCarbon's, 5 runs of 4 CPUs,
  every step but each run's first), modelled / RAPL power ranges from
  :data:`MODEL_TO_RAPL_LOW` = 0.57 to :data:`MODEL_TO_RAPL_HIGH` = 3.67, so the
  true energy lies in value / 3.67 .. value / 0.57 (``scripts/build_cpu_tables.py``
  measures it and writes it to ``power/data/cpu_defaults.csv``; a test keeps
  them equal).
- ``gb-x-w-per-gb``: 0.5 to 3 x; the spread between Green Algorithms'
  0.3725 W/GB and CodeCarbon 3.x's 5 W per DIMM on common configurations
  (an 8 GiB two-DIMM machine: 3.2 W against 10 W).
- ``constant`` (a power the user set) and ``none``: exact.

A method not listed gets the widest model band, :data:`UNKNOWN_BAND`.
"""

from __future__ import annotations

from wattprint._record import record
from wattprint.units import G_PER_KG


@record(frozen=True, slots=True)
class Interval:
    """A figure and its bounds, ``low <= value <= high``, in the figure's unit."""

    low: float
    value: float
    high: float

    @classmethod
    def exact(cls, value: float) -> Interval:
        """Return ``value`` with no uncertainty."""
        return cls(value, value, value)

    def __add__(self, other: Interval) -> Interval:
        """Return the sum of two intervals (bounds add)."""
        return Interval(self.low + other.low, self.value + other.value, self.high + other.high)

    def scaled(self, factor: float) -> Interval:
        """Return the interval times an exact, non-negative ``factor``."""
        return Interval(self.low * factor, self.value * factor, self.high * factor)


@record(frozen=True, slots=True)
class Band:
    """How far the truth may lie from a figure: ``value x low_factor .. value x high_factor``.

    Attributes:
        low_factor: the lowest true value per unit of the figure (<= 1).
        high_factor: the highest true value per unit of the figure (>= 1).
        why: the source of the band, for the methodology.
    """

    low_factor: float
    high_factor: float
    why: str

    def of(self, value: float) -> Interval:
        """Return ``value`` with this band around it."""
        return Interval(value * self.low_factor, value, value * self.high_factor)


_RAPL = Band(0.95, 1.05, "RAPL counter, ±5% (Khan et al. 2018)")
_NVML = Band(0.95, 1.05, "NVML, ±5% of the power draw (NVIDIA NVML reference)")
_AMD = Band(0.95, 1.05, "amdsmi; AMD states no accuracy, NVML's ±5% is used")
MODEL_TO_RAPL_LOW = 0.57
"""Lowest modelled / RAPL power over the CPU model's fitting profiles (dimensionless)."""

MODEL_TO_RAPL_HIGH = 3.67
"""Highest modelled / RAPL power over the CPU model's fitting profiles (dimensionless)."""

_CPU_MODEL = Band(
    1 / MODEL_TO_RAPL_HIGH,
    1 / MODEL_TO_RAPL_LOW,
    "CPU model, 0.57-3.67x RAPL on its fitting profiles (power/data/SOURCES.md)",
)
EXACT = Band(1.0, 1.0, "exact (a set value)")

ENERGY_BANDS: dict[str, Band] = {
    "rapl": _RAPL,
    "nvml-energy": _NVML,
    "nvml-power-polling": _NVML,
    "amdsmi-energy": _AMD,
    "amdsmi-power-polling": _AMD,
    "tdp-x-load": _CPU_MODEL,
    "tdp-per-thread": _CPU_MODEL,
    "cloud-instance-profile": _CPU_MODEL,
    "gb-x-w-per-gb": Band(0.5, 3.0, "memory model, 0.5-3x (Green Algorithms vs CodeCarbon)"),
    "constant": EXACT,
    "none": EXACT,
}
"""The band of each energy method, by the method's name (the one place they are set)."""

UNKNOWN_BAND = _CPU_MODEL
"""The band of a method not in :data:`ENERGY_BANDS`: the widest model band."""

POLLED_INTERVAL_S: dict[str, float] = {"nvml-power-polling": 0.1, "amdsmi-power-polling": 0.1}
"""Sampling period of the methods that poll power (10 Hz). Units: s."""

INTENSITY_BANDS: dict[str, Band] = {
    "set": EXACT,
    "hourly": Band(0.9, 1.1, "hourly intensity from a live provider, ±10%"),
    "average": Band(
        0.7, 1.3, "annual or monthly average applied to the run's hours, ±30% (Miller et al. 2022)"
    ),
}
"""The band of a grid intensity by how it was obtained: set by the user, a
live hourly figure, or an annual (or monthly) average."""

EMBODIED_BANDS: dict[str, Band] = {
    "set": EXACT,
    "estimated": Band(0.5, 2.0, "generic per-component embodied figures, 0.5-2x"),
}
"""The band of the total embodied emissions: set by the user, or estimated."""


def sampling_fraction(interval_s: float, duration_s: float) -> float:
    """Return the most a polled integral can be off, as a fraction of it.

    A power read every ``interval_s`` and integrated by the trapezoid rule
    can miss at most one sampling period at each end of the window, that is
    ``interval_s / duration_s`` of the energy at steady power (capped at 1).

    Example: 10 Hz polling over a 20 s window: 0.1 / 20 = 0.005 (0.5 %).
    """
    if duration_s <= 0:
        return 1.0
    return min(1.0, interval_s / duration_s)


def band_of(method: str, duration_s: float) -> Band:
    """Return the band of an energy obtained by ``method`` over ``duration_s`` seconds.

    A method joined from several (``nvml-energy+nvml-power-polling``, when
    GPUs differ) takes the widest of its parts; a polling method widens its
    band by its sampling fraction.
    """
    bands = []
    for part in method.split("+"):
        band = ENERGY_BANDS.get(part, UNKNOWN_BAND)
        if part in POLLED_INTERVAL_S:
            extra = sampling_fraction(POLLED_INTERVAL_S[part], duration_s)
            band = Band(max(0.0, band.low_factor - extra), band.high_factor + extra, band.why)
        bands.append(band)
    return Band(min(b.low_factor for b in bands), max(b.high_factor for b in bands), bands[0].why)


def it_energy_interval(parts: list[tuple[float, Band]]) -> Interval:
    """Return the IT energy of components ``(energy, band)`` as an interval.

    Example: 1.0 kWh by ``rapl`` (±5 %) and 0.5 kWh by ``constant`` (exact)
    give 1.45 .. 1.5 .. 1.55 kWh.
    """
    total = Interval.exact(0.0)
    for energy, band in parts:
        total = total + band.of(energy)
    return total


def facility_energy_interval(it_energy: Interval, pue: float) -> Interval:
    """Return the facility energy, IT energy x PUE (the PUE taken as exact). Units: kWh."""
    return it_energy.scaled(pue)


def emissions_interval(energy_kwh: Interval, intensity: Band, emissions_kg: float) -> Interval:
    """Return the emissions of ``energy_kwh`` as an interval. Units: kg CO2e.

    ``emissions_kg`` is the figure computed hour by hour; its bounds scale it
    by the energy's and the intensity's bounds: emissions are the product of
    energy and intensity, both non-negative, so the low bound is the product
    of the low bounds.

    Example: 2 kWh (1.6 .. 2.4) at 100 g/kWh, an annual average (±30 %):
    0.2 kg, 0.2 x 0.8 x 0.7 = 0.112 .. 0.2 x 1.2 x 1.3 = 0.312 kg.
    """
    if energy_kwh.value <= 0:
        return Interval.exact(emissions_kg)
    low = emissions_kg * energy_kwh.low / energy_kwh.value * intensity.low_factor
    high = emissions_kg * energy_kwh.high / energy_kwh.value * intensity.high_factor
    return Interval(low, emissions_kg, high)


def emissions_of(energy_kwh: Interval, intensity_g_per_kwh: Interval) -> Interval:
    """Return energy x intensity / 1000 over two intervals. Units: kg CO2e."""
    return Interval(
        energy_kwh.low * intensity_g_per_kwh.low / G_PER_KG,
        energy_kwh.value * intensity_g_per_kwh.value / G_PER_KG,
        energy_kwh.high * intensity_g_per_kwh.high / G_PER_KG,
    )


def water_interval(
    it_energy: Interval, *, pue: float, wue_l_per_kwh: float, grid_water_l_per_kwh: float
) -> Interval:
    """Return water, IT energy x (WUE + PUE x grid water), as an interval. Units: L.

    WUE, PUE and the grid water intensity are taken as exact; the range is
    the energy's. Example: 2 kWh (1.8 .. 2.2) at WUE 0.2, PUE 1.1 and grid
    1.5 L/kWh: 3.7 L, 3.33 .. 4.07 L.
    """
    return it_energy.scaled(wue_l_per_kwh + pue * grid_water_l_per_kwh)


def embodied_interval(embodied_kg: float, band: Band) -> Interval:
    """Return an embodied share with its band (duration and share are exact). Units: kg."""
    return band.of(embodied_kg)
