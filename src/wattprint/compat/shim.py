"""Make ``import codecarbon`` resolve to wattprint's drop-in, for one command.

``wattprint run --as-codecarbon -- python train.py`` runs the command with a
temporary directory first on its ``PYTHONPATH``; that directory holds a
``codecarbon`` package whose modules re-export
:mod:`wattprint.compat.codecarbon` (``codecarbon``,
``codecarbon.emissions_tracker``, ``codecarbon.output_methods.emissions_data``
and ``codecarbon.output_methods.base_output``). No ``sitecustomize`` and no
``.pth`` file is written, nothing is installed, and the directory is removed
when the command ends.

A real CodeCarbon install is never shadowed unless asked: when
``importlib.util.find_spec("codecarbon")`` finds one (with the command's
``PYTHONPATH``), the command runs with it and the caller is told so; with
``shadow=True`` the drop-in is put first anyway.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_REEXPORT = """\
# Written by wattprint run --as-codecarbon: CodeCarbon's interface, measured by wattprint.
try:
    import wattprint.compat.codecarbon as _dropin
except ImportError:  # the command's Python sees no wattprint, or another: use the one that ran it
    import sys as _sys
    _sys.path.insert(0, {package_parent!r})
    for _name in [n for n in _sys.modules if n == "wattprint" or n.startswith("wattprint.")]:
        del _sys.modules[_name]
    import wattprint.compat.codecarbon as _dropin
from wattprint.compat.codecarbon import *  # noqa: F401,F403
from wattprint.compat.codecarbon import EmissionsData, __version__  # noqa: F401
"""

_MODULES = {
    "codecarbon/__init__.py": "__all__ = _dropin.__all__\n",
    "codecarbon/emissions_tracker.py": (
        "from wattprint.compat.codecarbon import BaseEmissionsTracker  # noqa: F401\n"
    ),
    "codecarbon/output_methods/__init__.py": "",
    "codecarbon/output_methods/emissions_data.py": "",
    "codecarbon/output_methods/base_output.py": "",
}


@dataclass(frozen=True, slots=True)
class ShimPlan:
    """What ``--as-codecarbon`` does for a command.

    Attributes:
        directory: the directory put first on ``PYTHONPATH``; None when a
            real CodeCarbon is left in place.
        real: where the real CodeCarbon was found, or None.
        message: one line for the user saying what happens.
    """

    directory: Path | None
    real: str | None
    message: str


def find_real_codecarbon(pythonpath: str = "") -> str | None:
    """Return where a real ``codecarbon`` package is found, or None.

    Looks in this interpreter's ``sys.path`` plus the entries of ``pythonpath``.
    """
    extra = [p for p in pythonpath.split(os.pathsep) if p]
    saved = list(sys.path)
    sys.path[:0] = extra
    try:
        spec = importlib.util.find_spec("codecarbon")
    except (ImportError, ValueError):
        spec = None
    finally:
        sys.path[:] = saved
    if spec is None:
        return None
    return spec.origin or ", ".join(spec.submodule_search_locations or []) or "codecarbon"


def write_shim(directory: Path) -> Path:
    """Write the ``codecarbon`` package into ``directory``; return ``directory``."""
    parent = str(Path(__file__).resolve().parents[2])  # the folder holding wattprint/
    header = _REEXPORT.format(package_parent=parent)
    for relative, body in _MODULES.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + body, encoding="utf-8")
    return directory


@contextmanager
def codecarbon_shim(
    env: MutableMapping[str, str] | None = None, *, shadow: bool = False
) -> Iterator[ShimPlan]:
    """Put the drop-in first on ``env``'s ``PYTHONPATH`` while the block runs.

    Args:
        env: the environment the command inherits (default ``os.environ``);
            its ``PYTHONPATH`` is restored afterwards.
        shadow: put the drop-in first even when a real CodeCarbon is installed.

    Yields:
        what was done, with a message for the user.
    """
    env = os.environ if env is None else env
    before = env.get("PYTHONPATH")
    real = find_real_codecarbon(before or "")
    if real is not None and not shadow:
        yield ShimPlan(
            None,
            real,
            f"a real CodeCarbon is installed ({real}): the command uses it, not wattprint's "
            "drop-in (add --shadow-codecarbon to replace it for this command)",
        )
        return
    with tempfile.TemporaryDirectory(prefix="wattprint-codecarbon-") as tmp:
        directory = write_shim(Path(tmp))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(directory), before) if p)
        shadowed = f", shadowing the real one at {real}" if real else ""
        try:
            yield ShimPlan(
                directory,
                real,
                f"'import codecarbon' in the command resolves to wattprint's drop-in{shadowed}",
            )
        finally:
            if before is None:
                env.pop("PYTHONPATH", None)
            else:
                env["PYTHONPATH"] = before
