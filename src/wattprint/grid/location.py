"""Where the electricity comes from, and how wattprint knows it.

The type itself lives in :mod:`wattprint.provenance` (results carry it
without importing ``grid/``); it is re-exported here.
"""

from __future__ import annotations

from wattprint.provenance import Location

__all__ = ["Location"]
