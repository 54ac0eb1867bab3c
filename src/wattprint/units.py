"""Exact unit conversions. Internally wattprint counts joules and seconds.

People read kilowatt-hours and kilograms, so conversions happen at the edges,
through these named constants only.
"""

from __future__ import annotations

J_PER_KWH = 3_600_000.0
"""Joules in one kilowatt-hour (exact: 1 kWh = 1000 W x 3600 s)."""

J_PER_UJ = 1e-6
"""Joules in one microjoule (RAPL ``energy_uj`` counters)."""

BYTES_PER_GB = 1_000_000_000
"""Bytes in one gigabyte (SI, as memory power figures per GB use)."""

BYTES_PER_GIB = 1024**3
"""Bytes in one gibibyte (what ``free -g`` and CodeCarbon's ``ram_total_size`` use)."""

G_PER_KG = 1000.0
"""Grams in one kilogram."""


def j_to_kwh(energy_j: float) -> float:
    """Convert joules to kilowatt-hours."""
    return energy_j / J_PER_KWH


def kwh_to_j(energy_kwh: float) -> float:
    """Convert kilowatt-hours to joules."""
    return energy_kwh * J_PER_KWH
