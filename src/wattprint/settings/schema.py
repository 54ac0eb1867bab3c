"""Every setting wattprint knows, declared once.

Each :class:`Setting` holds the name, the type, the default, the unit, the
parser (which holds the bounds), a one-line doc, and its names elsewhere:
the ``WATTPRINT_*`` environment variable, CodeCarbon's name and the
command-line flag. The :class:`~wattprint.settings.resolve.Settings` object,
the environment and file parsers, the CodeCarbon mapping, the command-line
options, ``wattprint config show`` and the README's settings table all come
from :data:`SETTINGS`; a test checks that ``Tracker``'s keywords agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal, get_args

from wattprint._record import NamedTuple
from wattprint.provenance import GpuAttribution as GpuAttribution
from wattprint.settings.parsers import (
    BudgetAction,
    Choice,
    CloudRegion,
    Directory,
    FileName,
    GpuIds,
    LogLevel,
    Number,
    Parser,
    Switch,
    Text,
)

Mode = Literal["process", "machine"]
"""What a run is charged: its process tree's share of the machine, or all of it."""
MODES: tuple[str, ...] = get_args(Mode)
GPU_ATTRIBUTIONS: tuple[str, ...] = get_args(GpuAttribution)

ENV_PREFIX = "WATTPRINT_"
CODECARBON_PREFIX = "CODECARBON_"
ONE_DAY_S = 86400


class Setting(NamedTuple):
    """One setting and all its names.

    Attributes:
        name: the keyword of ``Tracker`` and the field of ``Settings``.
        type: the field's type, as written in ``Settings``.
        default: the value when nothing sets it.
        parser: checks and converts a value; says what is accepted.
        doc: one line saying what the setting does.
        unit: the unit of a number (``s``, ``W``...), empty if none.
        codecarbon: CodeCarbon's names for it (lower case), if any.
        cli: the ``wattprint run`` option that sets it, if any; for a
            True/False setting it is a flag that sets the opposite of the default.
    """

    name: str
    type: str
    default: object
    parser: Parser
    doc: str
    unit: str = ""
    codecarbon: tuple[str, ...] = ()
    cli: str = ""

    @property
    def env(self) -> str:
        """Return the environment variable, e.g. ``WATTPRINT_INTERVAL_S``."""
        return ENV_PREFIX + self.name.upper()

    @property
    def accepted(self) -> str:
        """Describe the values accepted."""
        return self.parser.accepted


_OPT_TEXT = Text(optional=True)
_SECONDS = Number("seconds", minimum=0.01, maximum=ONE_DAY_S)
_WATTS = Number("watts", optional=True)

SETTINGS: tuple[Setting, ...] = (
    Setting("project", "str", "default", Text(), "Project name, for grouping runs.",
            codecarbon=("project_name",), cli="--project"),
    Setting("experiment", "str", "default", Text(), "Experiment name within the project.",
            codecarbon=("experiment_name",), cli="--experiment"),
    Setting("country", "str | None", None, _OPT_TEXT,
            "ISO 3166 code of the grid, e.g. FR or FRA; None: detected, else the world average.",
            codecarbon=("country_iso_code",), cli="--country"),
    Setting("region", "str | None", None, _OPT_TEXT,
            "State or province, e.g. US-CA or California.",
            codecarbon=("region",), cli="--region"),
    Setting("cloud", "str | None", None, CloudRegion(),
            "Cloud region as provider:region, e.g. gcp:europe-west1.", cli="--cloud"),
    Setting("cloud_provider", "str | None", None, _OPT_TEXT,
            "Cloud provider (aws, gcp, azure), with cloud_region.",
            codecarbon=("cloud_provider",)),
    Setting("cloud_region", "str | None", None, _OPT_TEXT,
            "Cloud region, with cloud_provider.", codecarbon=("cloud_region",)),
    Setting("geoip", "bool", False, Switch(),
            "Ask a geo-IP service for the country when nothing else finds it."),
    Setting("live_provider", "str | None", None, _OPT_TEXT,
            "Live intensity provider: electricitymaps or uk.", cli="--live"),
    Setting("electricitymaps_token", "str | None", None, _OPT_TEXT,
            "Electricity Maps API token (enables live intensity).",
            codecarbon=("electricitymaps_api_token", "co2_signal_api_token")),
    Setting("interval_s", "float", 5.0, _SECONDS, "Seconds between two samples.",
            unit="s", codecarbon=("measure_power_secs",), cli="--interval"),
    Setting("checkpoint_s", "float", 30.0, _SECONDS,
            "Seconds between two checkpoints to the run's journal.", unit="s"),
    Setting("mode", "Mode", "process", Choice(MODES),
            "Charge the tracked process tree its share (process), or the whole machine.",
            codecarbon=("tracking_mode",), cli="--mode"),
    Setting("output_dir", "Path", Path("."), Directory(),
            "Directory of the CSV file; created when the row is written.",
            codecarbon=("output_dir",), cli="--output-dir"),
    Setting("output_file", "str", "emissions.csv", FileName(), "CSV file name.",
            codecarbon=("output_file",), cli="--output-file"),
    Setting("save_to_file", "bool", True, Switch(), "Write a row to the CSV file at stop.",
            codecarbon=("save_to_file",), cli="--no-save"),
    Setting("pue", "float | None", None, Number(minimum=1.0, optional=True),
            "Power usage effectiveness; None: the cloud's published figure, else 1.0.",
            codecarbon=("pue",), cli="--pue"),
    Setting("wue", "float | None", None, Number("litres per kWh", optional=True),
            "On-site water per kWh of IT energy; None: the cloud's, else 0.",
            unit="L/kWh", codecarbon=("wue",), cli="--wue"),
    Setting("embodied_kg", "float | None", None, Number("kg CO2e", optional=True),
            "Manufacturing emissions of the whole machine; None: estimated per part.",
            unit="kg CO2e"),
    Setting("lifetime_years", "float", 4.0, Number("years", above_minimum=True),
            "Expected lifetime of the hardware, for the embodied share.", unit="years"),
    Setting("gpu_ids", "tuple[str, ...] | None", None, GpuIds(),
            "GPUs to measure (indices or UUIDs); None: CUDA_VISIBLE_DEVICES, else all.",
            codecarbon=("gpu_ids",)),
    Setting("gpu_attribution", "GpuAttribution", "process", Choice(GPU_ATTRIBUTIONS),
            "Process mode: share GPUs by NVML's per-process data, charging them whole where "
            "NVML cannot see the run (a container), or always charge them whole.",
            cli="--gpu-attribution"),
    Setting("force_cpu_power_w", "float | None", None, _WATTS,
            "Use this constant CPU power instead of measuring.",
            unit="W", codecarbon=("force_cpu_power",), cli="--cpu-power"),
    Setting("force_ram_power_w", "float | None", None, _WATTS,
            "Use this constant memory power instead of the model.",
            unit="W", codecarbon=("force_ram_power",), cli="--ram-power"),
    Setting("force_intensity_g_per_kwh", "float | None", None,
            Number("gCO2e/kWh", optional=True), "Use this grid carbon intensity.",
            unit="gCO2e/kWh", codecarbon=("force_carbon_intensity_g_co2e_kwh",),
            cli="--intensity"),
    Setting("server_url", "str | None", None, _OPT_TEXT,
            "wattprint server to send runs to (start, checkpoints, result), e.g. "
            "http://127.0.0.1:8000.", cli="--server"),
    Setting("server_token", "str | None", None, _OPT_TEXT,
            "Project token (write access) for server_url."),
    Setting("budget_kwh", "float | None", None, Number("kWh", optional=True, above_minimum=True),
            "Energy budget of a run: warned at 80 % and 100 %; see on_budget.", unit="kWh"),
    Setting("budget_kg", "float | None", None,
            Number("kg CO2e", optional=True, above_minimum=True),
            "Carbon budget of a run: warned at 80 % and 100 %; see on_budget.", unit="kg CO2e"),
    Setting("on_budget", "Any", "warn", BudgetAction(),
            "At 100 % of a budget: warn, stop (BudgetExceeded at the next task; wattprint run "
            "ends the command, exit 3), or a callable(budget, value).", cli="--on-budget"),
    Setting("log_level", "int | None", None, LogLevel(),
            "Level of the wattprint logger; None leaves it alone.",
            codecarbon=("log_level",)),
)  # fmt: skip
"""Every setting, in the order ``config show`` and the README list them."""

ENV_ONLY = frozenset(
    {
        "WATTPRINT_RAPL_DIR",
        "WATTPRINT_ELECTRICITYMAPS_URL",
        "WATTPRINT_UK_CARBON_URL",
        "WATTPRINT_RUN_GROUP",
        "WATTPRINT_DMI_DIR",
        "WATTPRINT_CLOUD_INSTANCE_TYPE",
    }
)
"""Environment variables that are not settings (read where they are used)."""

_API = (
    "the run is not sent anywhere, neither to CodeCarbon's online API nor to a team "
    "server (this wattprint has no server output yet); it is still written to the CSV file"
)
CODECARBON_UNSUPPORTED: dict[str, str] = {
    "api_key": _API,
    "api_endpoint": _API,
    "api_call_interval": _API,
    "save_to_api": _API,
    "experiment_id": _API,
    "emissions_endpoint": "use wattprint's webhook sink (Tracker(sinks=[...]))",
    "save_to_prometheus": "use wattprint's Prometheus sink (Tracker(sinks=[...]))",
    "prometheus_url": "use wattprint's Prometheus sink (Tracker(sinks=[...]))",
    "save_to_logger": "use wattprint's logger sink (Tracker(sinks=[...]))",
    "logging_logger": "use wattprint's logger sink (Tracker(sinks=[...]))",
    "save_to_logfire": "wattprint has no Logfire output",
    "logger_preamble": "wattprint's messages are configured with the logging module",
    "on_csv_write": "wattprint appends one row per run",
    "default_cpu_power": "wattprint uses its CPU table; set force_cpu_power for a constant",
    "force_mode_cpu_load": "wattprint uses the TDP x load model when RAPL cannot be read",
    "rapl_include_dram": "wattprint chooses the RAPL domains itself",
    "rapl_prefer_psys": "wattprint chooses the RAPL domains itself",
    "allow_multiple_runs": "wattprint always allows several trackers at once",
    "output_methods": "use save_to_file, or wattprint's sinks (Tracker(sinks=[...]))",
    "output_handlers": "CodeCarbon output objects are taken as arguments only",
    "country_2letter_iso_code": "set country (alpha-2 or alpha-3) instead",
    "metadata": "it feeds CodeCarbon's BoAmps output, which wattprint does not have",
}
"""CodeCarbon settings wattprint does not take, and why (each is named in a warning)."""


def by_name() -> dict[str, Setting]:
    """Return the settings keyed by name."""
    return {s.name: s for s in SETTINGS}


def codecarbon_names() -> dict[str, str]:
    """Return CodeCarbon's setting names (lower case) and the wattprint settings they map to."""
    return {cc: s.name for s in SETTINGS for cc in s.codecarbon}


def closest(name: str, known: Iterable[str]) -> str | None:
    """Return the known name closest to ``name`` (a likely typo), or None."""
    import difflib  # only on this error path, to keep the import cheap

    close = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def suggest(key: str, prefix: str = "", known: Iterable[str] | None = None) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest known key, or ''."""
    found = closest(key, [s.name for s in SETTINGS] if known is None else known)
    if found is None:
        return ""
    name = f"{prefix}{found.upper()}" if prefix else found
    return f"; did you mean {name!r}?"
