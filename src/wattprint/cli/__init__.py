"""The ``wattprint`` command line: thin, it parses, calls the library, renders.

Results go to stdout (``--json`` for machines), diagnostics to stderr. Errors
print ``Error: ...`` and exit 1; usage errors (a bad option value) exit 2.
"""

from __future__ import annotations

from collections.abc import Sequence

from .main import cli


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="wattprint",
                 standalone_mode=False)
    except SystemExit as exit_:
        return int(exit_.code or 0) if isinstance(exit_.code, int) or exit_.code is None else 1
    except _click_exceptions() as err:
        err.show()
        return int(err.exit_code)
    except KeyboardInterrupt:
        return 130
    return 0


def _click_exceptions() -> type[Exception]:
    import click

    return click.ClickException


__all__ = ["main"]
