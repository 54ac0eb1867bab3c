"""The ``wattprint`` command line: thin, it parses, calls the library, renders.

Results go to stdout (``--json`` for machines), diagnostics to stderr. Errors
print ``Error: ...`` and exit 1; usage errors (a bad option value) exit 2.

Importing this package loads nothing: :func:`main` loads the commands.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    The cyclic garbage collector is paused while the command line loads and
    the command starts (click, the tracker's modules: thousands of new
    objects, none of them garbage, that it would walk a dozen times over, a
    tenth of a short ``wattprint run``). :func:`resume_collection` restarts it
    early (``wattprint run`` does once its command has started); else it is
    restarted when the command returns. Where ``argv`` is None (the process is
    the command line's own), the objects loaded meanwhile are frozen first.
    """
    global _paused, _freeze
    _paused, _freeze = gc.isenabled(), argv is None
    gc.disable()
    try:
        from wattprint.cli.app import run_main

        return run_main(argv)
    finally:
        resume_collection()


_paused = _freeze = False


def resume_collection() -> None:
    """Restart the collector :func:`main` paused, if it did.

    In a process of its own, ``gc.freeze()`` first moves every object alive
    now (the modules loaded) out of the collector's reach, so the collections
    of a long run look only at what the run makes. A caller's process (a test
    calling :func:`main` with arguments) is left unfrozen: freezing would keep
    whatever cyclic garbage it holds for good.
    """
    global _paused
    if _paused:
        _paused = False
        if _freeze:
            gc.freeze()
        gc.enable()


__all__ = ["main", "resume_collection"]
