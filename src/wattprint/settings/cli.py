"""Command-line options for the settings that have a flag, made from the schema.

Each option is named like its setting (``--interval`` fills ``interval_s``)
and is checked by the setting's own parser, so a bad value gets the same
error as from any other source, naming the option. An option not given is
None, and the setting then comes from the environment, files or default.
A True/False setting's flag sets the opposite of its default
(``--no-save`` sets ``save_to_file=False``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from wattprint.errors import ConfigError
from wattprint.settings.parsers import Choice, Directory, FileName, Number, Switch
from wattprint.settings.schema import SETTINGS, Setting, by_name

_F = TypeVar("_F", bound=Callable[..., Any])


def _help(setting: Setting) -> str:
    if isinstance(setting.parser, Switch):
        return f"Set {setting.name}={not setting.default} ({setting.name}: {setting.doc})"
    unit = f" Unit: {setting.unit}." if setting.unit else ""
    default = "none" if setting.default is None else setting.default
    return f"{setting.doc}{unit}  [default: {default}]"


def _metavar(setting: Setting) -> str:
    if isinstance(setting.parser, Number):
        return "NUMBER"
    if isinstance(setting.parser, Directory):
        return "DIR"
    if isinstance(setting.parser, FileName):
        return "NAME"
    return "TEXT"


def _callback(setting: Setting) -> Callable[[click.Context, click.Parameter, Any], object]:
    def check(ctx: click.Context, param: click.Parameter, value: Any) -> object:
        if value is None:
            return None
        if isinstance(setting.parser, Switch):
            return (not setting.default) if value else None
        try:
            return setting.parser(setting.name, value, f"option {setting.cli}", True)
        except ConfigError as err:
            raise click.UsageError(str(err), ctx) from err

    return check


def _option(setting: Setting) -> Callable[[_F], _F]:
    common: dict[str, Any] = {"callback": _callback(setting), "help": _help(setting)}
    if isinstance(setting.parser, Switch):
        return click.option(setting.cli, setting.name, is_flag=True, default=None, **common)
    if isinstance(setting.parser, Choice):
        kind = click.Choice(setting.parser.options, case_sensitive=False)
        return click.option(setting.cli, setting.name, type=kind, default=None, **common)
    return click.option(
        setting.cli, setting.name, default=None, metavar=_metavar(setting), **common
    )


def setting_options(*names: str) -> Callable[[_F], _F]:
    """Add the options of the settings ``names`` (default: every one with a flag).

    The command receives each as a keyword named like the setting, already
    checked, or None when not given.
    """
    known = by_name()
    chosen = [known[n] for n in names] if names else [s for s in SETTINGS if s.cli]

    def decorate(func: _F) -> _F:
        for setting in reversed(chosen):  # click lists options in decoration order
            func = _option(setting)(func)
        return func

    return decorate
