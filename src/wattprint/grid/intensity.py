"""The carbon intensity of the electricity used, with its provenance.

The type itself lives in :mod:`wattprint.provenance` (results carry it
without importing ``grid/``); it is re-exported here. Which intensity
applies is decided in ``plan.py`` and ``choice.py``, and hour by hour in
``timeline.py``.
"""

from __future__ import annotations

from wattprint.provenance import Intensity, IntensityKind

__all__ = ["Intensity", "IntensityKind"]
