"""How far each power method's figure may be from the truth: a low and a high factor.

``MODEL_ERROR[method] = (low, high)``: the true energy lies between
``low x estimate`` and ``high x estimate`` (``low <= 1 <= high``). Sources
and derivations are in ``power/data/SOURCES.md`` ("Error bands"):

- ``tdp-x-load`` and ``tdp-per-thread``: the TDP x load-curve model against
  RAPL on the CodeCarbon load profiles the curve was fitted on (5 runs of 4
  CPUs, every step but each run's first): modelled / RAPL power ranges from
  ``MODEL_TO_RAPL_LOW`` = 0.57 to ``MODEL_TO_RAPL_HIGH`` = 3.67, so the truth
  is between estimate / 3.67 and estimate / 0.57. The per-thread model uses
  the same TDP and curve. (Built by ``scripts/build_cpu_tables.py``, also
  written to ``cpu_defaults.csv``; a test keeps the two equal.)
- ``cloud-instance-profile``: the same band. CCF's per-instance and
  per-vCPU figures are themselves SPECpower and TDP-based models of a
  platform, not measurements of the instance; no narrower band is published.
- ``rapl``: ±5 %. Intel states no accuracy for RAPL; on Haswell and later it
  is measured, not modelled, and studies comparing it with external meters
  (Khan et al., "RAPL in Action", ACM TOMPECS 3(2), 2018) found it tracks
  them closely. The ±5 % is this package's assumption, stated as such.
- ``constant``: exact (1, 1): a power the user set is taken as given.

Other methods (GPU counters, the memory model) get their bands from the
modules that own them.
"""

from __future__ import annotations

from types import MappingProxyType

# The bands are declared once, with the other figures' bands, in impact/uncertainty.py.
from wattprint.impact.uncertainty import ENERGY_BANDS
from wattprint.impact.uncertainty import MODEL_TO_RAPL_HIGH as MODEL_TO_RAPL_HIGH
from wattprint.impact.uncertainty import MODEL_TO_RAPL_LOW as MODEL_TO_RAPL_LOW

MODEL_ERROR: MappingProxyType[str, tuple[float, float]] = MappingProxyType(
    {
        method: (ENERGY_BANDS[method].low_factor, ENERGY_BANDS[method].high_factor)
        for method in ("tdp-x-load", "tdp-per-thread", "cloud-instance-profile", "rapl",
                       "constant")
    }  # fmt: skip
)
"""Per method, (low, high) factors on the estimate: truth in [low x E, high x E]."""


def error_band(method: str) -> tuple[float, float] | None:
    """Return the (low, high) factors of ``method``, or None when this table has none.

    Example: ``error_band("tdp-x-load")`` is (0.2725, 1.7544): a 10 Wh
    estimate means 2.7 to 17.5 Wh.
    """
    return MODEL_ERROR.get(method)
