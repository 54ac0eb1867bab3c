"""Where wattprint keeps files of its own: the user's data and cache directories.

Follows the XDG base directory specification on every platform (a relative
``XDG_*`` value is ignored, as the specification says): data in
``$XDG_DATA_HOME/wattprint`` (``~/.local/share/wattprint``), cache in
``$XDG_CACHE_HOME/wattprint`` (``~/.cache/wattprint``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def _base(env: Mapping[str, str], variable: str, default: str) -> Path:
    value = env.get(variable, "")
    if value and os.path.isabs(value):
        return Path(value)
    home = env.get("HOME") or str(Path.home())
    return Path(home) / default


def user_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """Return wattprint's data directory (outputs that had nowhere else to go, outboxes)."""
    env = os.environ if env is None else env
    return _base(env, "XDG_DATA_HOME", ".local/share") / "wattprint"


def user_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """Return wattprint's cache directory (live intensity answers, cloud metadata)."""
    env = os.environ if env is None else env
    return _base(env, "XDG_CACHE_HOME", ".cache") / "wattprint"
