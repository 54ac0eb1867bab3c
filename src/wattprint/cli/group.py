"""The command group and its options (the group's other commands join it in :mod:`.app`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from wattprint._log import when_made
from wattprint._version import __version__
from wattprint.cli.run_advice import advice_options
from wattprint.errors import ConfigError, WattprintError
from wattprint.settings.cli import setting_options

if TYPE_CHECKING:
    import logging


def _setup_logging() -> None:
    """Show the library's warnings on stderr (an application may configure logging).

    The handler is put on when the logger is first used: a command that logs
    nothing never loads :mod:`logging`.
    """

    def to_stderr(log: logging.Logger) -> None:
        from wattprint.cli.stderr_log import to_stderr

        to_stderr(log)

    when_made(to_stderr)


def _usage_error(err: ConfigError) -> click.UsageError:
    """Name the command-line option of the setting ``err`` is about (e.g. --cpu-power)."""
    ctx = click.get_current_context(silent=True)
    params = [p for p in (ctx.command.params if ctx is not None else []) if p.opts]
    values = ctx.params if ctx is not None else {}
    # The option the user gave that holds the bad value (--cloud gcp:nowhere for a
    # bad region), else the option of the setting the error names.
    given = [p for p in params if isinstance(values.get(p.name), str)]
    holder = next((p for p in given if p.name == err.key), None) or next(
        (p for p in given if str(err.value) and str(err.value) in values[p.name or ""]), None
    )
    named = holder or next((p for p in params if p.name == err.key), None)
    option = named.opts[0] if named is not None else ""
    return click.UsageError(f"{err} (option {option})" if option else str(err))


class _Commands(click.Group):
    """The command group; the commands of other modules are imported when asked for.

    ``wattprint run`` loads its own command and nothing of ``report``,
    ``serve`` or ``advise``; ``--help`` lists (and so imports) them all.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.elsewhere: dict[str, tuple[str, str]] = {}

    def add_elsewhere(self, name: str, module: str, attribute: str | None = None) -> None:
        """Add the command ``name``, found as ``attribute`` (default ``name``) of ``module``."""
        self.elsewhere[name] = (module, attribute or name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.elsewhere})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.elsewhere:
            import importlib

            module, attribute = self.elsewhere[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return self.commands.get(cmd_name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="wattprint")
def cli() -> None:
    """Measure what running code costs the planet: energy, carbon, and how each is known."""
    _setup_logging()


def given(options: dict[str, Any]) -> dict[str, Any]:
    """Keep the options the user gave: the others come from env, files or defaults."""
    return {k: v for k, v in options.items() if v is not None}


def place_options(func: Any) -> Any:
    """Add --country, --region and --cloud to a command."""
    return setting_options("country", "region", "cloud")(func)


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@setting_options()
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the result as JSON on stdout, after the command's own output.",
)
@click.option(
    "--json-out",
    "json_out",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default=None,
    help="Write the result as JSON to this file; '-' for stdout, the command's "
    "stdout then going to stderr so that the two never mix.",
)
@click.option(
    "--as-codecarbon",
    is_flag=True,
    help="'import codecarbon' in the command gets wattprint's drop-in "
    "(a real CodeCarbon install is left in place).",
)
@click.option(
    "--shadow-codecarbon",
    is_flag=True,
    help="With --as-codecarbon: use the drop-in even where CodeCarbon is installed.",
)
@advice_options
@click.option(
    "--summary-md",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Append a Markdown summary here (default: $GITHUB_STEP_SUMMARY, if set).",
)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run(
    command: tuple[str, ...],
    as_json: bool,
    json_out: Path | None,
    as_codecarbon: bool,
    shadow_codecarbon: bool,
    summary_md: Path | None,
    **options: Any,
) -> None:
    """Run COMMAND and track its whole process tree.

    Put '--' before the command: wattprint run --country FR -- python train.py

    The command's input and output are untouched, SIGINT and SIGTERM are
    passed on to it, and wattprint exits with its exit code. A summary goes
    to stderr. Options not given come from WATTPRINT_* variables, config
    files, or the defaults (see 'wattprint config show').
    """
    from wattprint.cli import resume_collection
    from wattprint.cli.render import print_json, print_summary
    from wattprint.cli.run_advice import BUDGET_EXIT_CODE, apply_budget, wait_for_start
    from wattprint.tracking.supervisor import run_tracked
    from wattprint.tracking.tracker import Tracker

    apply_budget(options)
    waited = wait_for_start(options)
    try:
        tracker = Tracker(**given(options), handle_signals=False)
    except ConfigError as err:
        raise _usage_error(err) from err
    if waited is not None:
        tracker.add_note(waited.note)
    from wattprint.cli.json_out import json_destination

    try:
        with (
            json_destination(json_out) as write_json,
            _codecarbon(as_codecarbon or shadow_codecarbon, shadow_codecarbon),
        ):
            code, result = run_tracked(tracker, list(command), started=resume_collection)
            if result is not None:
                write_json(result)
    except WattprintError as err:
        raise click.ClickException(str(err)) from err
    if result is not None:
        print_summary(result, tracker)
        from wattprint.cli.ci_summary import write_ci_outputs

        try:
            write_ci_outputs(result, command, summary_md, os.environ)
        except OSError as err:
            click.echo(f"wattprint: could not write the CI summary: {err}", err=True)
        if as_json:
            print_json(result)
        if result.status == "budget_exceeded":
            click.echo(f"wattprint: stopped: {tracker.budget_message()}", err=True)
            sys.exit(BUDGET_EXIT_CODE)
    sys.exit(code)


@contextmanager
def _codecarbon(wanted: bool, shadow: bool) -> Iterator[None]:
    """Make ``import codecarbon`` in the command get the drop-in, when ``wanted``."""
    if not wanted:
        yield
        return
    from wattprint.compat.shim import codecarbon_shim

    with codecarbon_shim(shadow=shadow) as plan:
        click.echo(f"wattprint: {plan.message}", err=True)
        yield


@cli.command()
@click.option("--country", default=None, help="ISO 3166 code to check the intensity of.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON on stdout.")
def doctor(country: str | None, as_json: bool) -> None:
    """Show what can be measured here, how, and how to measure more."""
    from wattprint.cli.render import print_diagnosis
    from wattprint.diagnose import diagnose

    try:
        diagnosis = diagnose(country=country)
    except ConfigError as err:
        raise _usage_error(err) from err
    if as_json:
        import json

        click.echo(json.dumps(diagnosis.to_dict(), indent=2))
    else:
        print_diagnosis(diagnosis)


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
def recover(directory: Path) -> None:
    """Recover runs of killed processes from their journals in DIRECTORY.

    Each is written to the outputs it had, marked 'crashed', with the figures
    of its last checkpoint; runs already written are left alone.
    """
    from wattprint.tracking.recovery import recover as recover_runs

    runs = recover_runs(directory)
    for run in runs:
        click.echo(
            f"recovered {run.run_id} ({run.project}/{run.experiment}): "
            f"{run.energy_kwh:.6f} kWh, {run.emissions_kg:.6f} kg CO2e, crashed at "
            f"{run.ended_at.isoformat(timespec='seconds')}"
        )
    if not runs:
        click.echo(f"nothing to recover in {directory}")


@cli.group()
def config() -> None:
    """Show the settings wattprint resolves, and where each comes from."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON on stdout.")
def config_show(as_json: bool) -> None:
    """Print every setting, its value and its source (env, file, default).

    The settings are checked exactly as a ``Tracker()`` made here checks them
    (an unknown country, say, is an error here too); nothing is measured.
    """
    from wattprint.settings.resolve import describe, resolve_settings
    from wattprint.settings.schema import by_name
    from wattprint.tracking.tracker import Tracker

    try:
        settings = Tracker(handle_signals=False).settings
    except ConfigError as err:
        if not err.source and err.key in by_name():  # a check past resolving: say where from
            source = resolve_settings({}).source_of(err.key)
            err = ConfigError(err.key, err.value, err.accepted, source)
        raise click.ClickException(str(err)) from err
    rows = describe(settings)
    if as_json:
        import json

        click.echo(json.dumps({k: {"value": v, "source": src} for k, v, src in rows}, indent=2))
        return
    width = max(len(k) for k, _, _ in rows)
    for key, value, source in rows:
        click.echo(f"{key:<{width}}  {value:<24}  {source}")
