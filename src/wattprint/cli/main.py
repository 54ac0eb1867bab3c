"""The command group and its options."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import click

from .._version import __version__
from ..errors import ConfigError, WattprintError

RUN_OPTIONS_HELP = "Options of the tracker; see 'wattprint run --help'."


def _setup_logging() -> None:
    """Show the library's warnings on stderr (an application may configure logging)."""
    log = logging.getLogger("wattprint")
    if not any(isinstance(h, logging.StreamHandler) for h in log.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    if log.level == logging.NOTSET:
        log.setLevel(logging.WARNING)


def _usage_error(err: ConfigError) -> click.UsageError:
    """Name the command-line option of the setting ``err`` is about (e.g. --cpu-power)."""
    ctx = click.get_current_context(silent=True)
    params = ctx.command.params if ctx is not None else []
    option = next((p.opts[0] for p in params if p.name == err.key and p.opts), "")
    return click.UsageError(f"{err} (option {option})" if option else str(err))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="wattprint")
def cli() -> None:
    """Measure what running code costs the planet: energy, carbon, and how each is known."""
    _setup_logging()


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--project", default="default", show_default=True, help="Project name.")
@click.option("--experiment", default="default", show_default=True, help="Experiment name.")
@click.option("--country", default=None, help="ISO 3166 code of the grid, e.g. FR or FRA.")
@click.option("--region", default=None, help="Sub-national region (recorded).")
@click.option("--interval", "interval_s", type=float, default=5.0, show_default=True,
              help="Seconds between samples.")
@click.option("--mode", type=click.Choice(["process", "machine"]), default="process",
              show_default=True, help="Charge the command's process tree, or the machine.")
@click.option("--output-dir", default=".", show_default=True, help="Directory of the CSV.")
@click.option("--output-file", default="emissions.csv", show_default=True, help="CSV name.")
@click.option("--no-save", is_flag=True, help="Do not write the CSV row.")
@click.option("--pue", type=float, default=1.0, show_default=True,
              help="Power usage effectiveness of the facility.")
@click.option("--cpu-power", "force_cpu_power_w", type=float, default=None,
              help="Use this constant CPU power (W) instead of measuring.")
@click.option("--ram-power", "force_ram_power_w", type=float, default=None,
              help="Use this constant memory power (W).")
@click.option("--intensity", "force_intensity_g_per_kwh", type=float, default=None,
              help="Use this grid intensity (gCO2e/kWh).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run(command: tuple[str, ...], no_save: bool, as_json: bool, **options: Any) -> None:
    """Run COMMAND and track its whole process tree.

    Put '--' before the command: wattprint run --country FR -- python train.py

    The command's input and output are untouched, SIGINT and SIGTERM are
    passed on to it, and wattprint exits with its exit code. A summary goes
    to stderr.
    """
    from ..tracker import Tracker
    from .render import print_json, print_summary
    from .run import run_tracked

    try:
        tracker = Tracker(save_to_file=not no_save, **options)
    except ConfigError as err:
        raise _usage_error(err) from err
    try:
        code, result = run_tracked(tracker, list(command))
    except WattprintError as err:
        raise click.ClickException(str(err)) from err
    if result is not None:
        print_summary(result, tracker)
        if as_json:
            print_json(result)
    sys.exit(code)


@cli.command()
@click.option("--country", default=None, help="ISO 3166 code to check the intensity of.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON on stdout.")
def doctor(country: str | None, as_json: bool) -> None:
    """Show what can be measured here, how, and how to measure more."""
    from ..diagnose import diagnose
    from .render import print_diagnosis

    try:
        diagnosis = diagnose(country=country)
    except ConfigError as err:
        raise _usage_error(err) from err
    if as_json:
        click.echo(json.dumps(diagnosis.to_dict(), indent=2))
    else:
        print_diagnosis(diagnosis)
