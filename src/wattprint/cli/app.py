"""The command group with every command, and its exit codes (see :mod:`wattprint.cli`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from wattprint.cli.group import cli

# The commands of other modules join the group here, imported when first asked
# for, so that main.py imports none of them (each of them may import main.py's
# helpers: no import circle) and ``wattprint run`` loads none of them.
for _name, _module in (
    ("intensity", "grid_commands"), ("regions", "grid_commands"),
    ("report", "report_commands"), ("keygen", "report_commands"),
    ("verify", "report_commands"), ("advise", "advise_commands"),
    ("serve", "serve_commands"), ("push", "serve_commands"),
    ("monitor", "monitor_commands"), ("card", "card_commands"),
):  # fmt: skip
    cli.add_elsewhere(_name, f"wattprint.cli.{_module}")


def run_main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="wattprint",
            standalone_mode=False,
        )
    except SystemExit as exit_:
        return int(exit_.code or 0) if isinstance(exit_.code, int) or exit_.code is None else 1
    except click.ClickException as err:
        err.show()
        return int(err.exit_code)
    except click.Abort as err:
        # click turns a Ctrl-C (or an EOF at a prompt) into Abort and, outside
        # its standalone mode, raises it: say so as click would, no traceback.
        print("Aborted!", file=sys.stderr)
        return 130 if isinstance(err.__context__, KeyboardInterrupt) else 1
    except KeyboardInterrupt:
        return 130
    return 0


__all__ = ["cli", "run_main"]
