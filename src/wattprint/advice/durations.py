"""Durations as people write them: ``3h``, ``90m``, ``1h30m``, ``2d``, ``45s``."""

from __future__ import annotations

import re
from datetime import timedelta

from wattprint.errors import ConfigError

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)", re.IGNORECASE)
_SECONDS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}


def parse_duration(text: object, key: str = "duration") -> timedelta:
    """Parse ``3h``, ``90m``, ``1h30m``... into a duration > 0.

    Raises:
        ConfigError: not such a duration; names the value and the accepted form.
    """
    accepted = "a duration > 0 such as 3h, 90m, 1h30m, 2d or 45s"
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(key, text, accepted)
    compact = text.strip().replace(" ", "")
    parts = _PART.findall(compact)
    if not parts or "".join(f"{n}{u}" for n, u in parts).lower() != compact.lower():
        raise ConfigError(key, text, accepted)
    seconds = sum(float(n) * _SECONDS[u.lower()] for n, u in parts)
    if seconds <= 0:
        raise ConfigError(key, text, accepted)
    return timedelta(seconds=seconds)
