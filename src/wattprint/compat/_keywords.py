"""CodeCarbon 3.3.2's constructor keywords, each mapped to wattprint's or named in a warning.

CodeCarbon's ``BaseEmissionsTracker.__init__`` takes 36 keywords (in the order
of :data:`PARAMETERS`, any of them positionally); ``OfflineEmissionsTracker``
adds five keyword-only ones for the place (:data:`OFFLINE_PARAMETERS`), and
``track_emissions`` adds ``offline``. :func:`bind` checks them as CodeCarbon's
signature would (an unknown keyword is a ``TypeError``, here with the closest
keyword named); :func:`translate` turns them into ``Tracker`` keywords, extra
outputs, and one warning for each value wattprint cannot honour.

The keywords that are settings are mapped by the settings schema's own
CodeCarbon names (:func:`wattprint.settings.schema.codecarbon_names`), so a
keyword and its ``.codecarbon.config`` key always mean the same.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wattprint._log import wattprint_logger
from wattprint.settings.schema import by_name, closest, codecarbon_names

PARAMETERS: tuple[str, ...] = (
    "project_name", "measure_power_secs", "api_call_interval", "api_endpoint", "api_key",
    "output_dir", "output_file", "output_methods", "save_to_file", "save_to_api",
    "save_to_logger", "logging_logger", "save_to_prometheus", "save_to_logfire",
    "prometheus_url", "output_handlers", "gpu_ids", "emissions_endpoint", "experiment_id",
    "experiment_name", "electricitymaps_api_token", "co2_signal_api_token", "tracking_mode",
    "log_level", "on_csv_write", "logger_preamble", "force_cpu_power", "force_ram_power",
    "pue", "wue", "force_carbon_intensity_g_co2e_kwh", "force_mode_cpu_load",
    "allow_multiple_runs", "rapl_include_dram", "rapl_prefer_psys", "metadata",
)  # fmt: skip
"""``EmissionsTracker``'s keywords, in CodeCarbon 3.3.2's order (positional too)."""

OFFLINE_PARAMETERS: tuple[str, ...] = (
    "country_iso_code", "region", "cloud_provider", "cloud_region", "country_2letter_iso_code",
)  # fmt: skip
"""``OfflineEmissionsTracker``'s own keyword-only keywords."""

DECORATOR_PARAMETERS: tuple[str, ...] = (
    *(p for p in PARAMETERS if p not in ("metadata", "force_mode_cpu_load")),
    "offline",
    *OFFLINE_PARAMETERS,
)
"""``track_emissions``' keywords (after ``fn``): the tracker's but two, and the place."""

CODECARBON_DEFAULTS: dict[str, object] = {
    "project": "codecarbon",
    "experiment": "base",
    "mode": "machine",
}
"""CodeCarbon's defaults where wattprint's differ, used when nothing else sets them."""

_SERVER_KEYS = ("save_to_api", "api_key", "api_endpoint", "experiment_id", "api_call_interval")
_NO_SERVER = (
    "is not sent anywhere: this wattprint has no team-server output yet (the run is "
    "still written to the CSV file and returned by stop())"
)

# Keywords CodeCarbon takes whose default wattprint honours, and the reason a
# value other than that default cannot be honoured.
_ONLY_DEFAULT: dict[str, tuple[object, str]] = {
    "allow_multiple_runs": (True, "wattprint always allows several trackers at once"),
    "force_mode_cpu_load": (
        False, "wattprint uses its TDP x load model by itself when RAPL cannot be read"
    ),
    "rapl_include_dram": (
        False, "wattprint reads the RAPL DRAM domain as memory energy when it exists"
    ),
    "rapl_prefer_psys": (False, "wattprint chooses the RAPL domains itself (package, DRAM)"),
    "metadata": (None, "it feeds CodeCarbon's BoAmps output, which wattprint does not have"),
    "save_to_logfire": (False, "wattprint has no Logfire output"),
    "logger_preamble": ("", "wattprint's log messages are configured with the logging module"),
    "on_csv_write": ("append", "wattprint appends one row per run (and per flush())"),
    "emissions_endpoint": (
        None, "wattprint's webhook posts its own JSON: use Tracker(sinks=[WebhookSink(url)])"
    ),
}  # fmt: skip

logger = wattprint_logger()


def bind(owner: str, names: Sequence[str], args: Sequence[object], kwargs: Mapping[str, Any]
         ) -> dict[str, Any]:  # fmt: skip
    """Bind ``args`` and ``kwargs`` to ``names`` as CodeCarbon's signature would.

    Args:
        owner: what is called, for the message (``EmissionsTracker.__init__``).
        names: the accepted keywords; the first ``len(args)`` are taken positionally.
        args: positional values.
        kwargs: keyword values.

    Raises:
        TypeError: too many positional values, a keyword given twice, or an
            unknown keyword (with the closest accepted keyword named).
    """
    if len(args) > len(PARAMETERS):
        raise TypeError(
            f"{owner}() takes at most {len(PARAMETERS)} positional arguments "
            f"({len(args)} given)"
        )
    values = dict(zip(PARAMETERS, args, strict=False))
    for key, value in kwargs.items():
        if key not in names:
            near = closest(key, names)
            hint = f"; did you mean {near!r}?" if near else ""
            raise TypeError(f"{owner}() got an unexpected keyword argument {key!r}{hint}")
        if key in values:
            raise TypeError(f"{owner}() got multiple values for argument {key!r}")
        values[key] = value
    return values


@dataclass(slots=True)
class Translated:
    """CodeCarbon keywords, as wattprint takes them.

    Attributes:
        tracker_args: ``Tracker`` keywords.
        sinks: extra outputs (logger, Prometheus Pushgateway).
        handlers: CodeCarbon output handlers (``BaseOutput`` objects), given
            each run and its tasks as CodeCarbon gives them.
        warnings: one message per keyword or value that cannot be honoured.
    """

    tracker_args: dict[str, object] = field(default_factory=dict)
    sinks: list[object] = field(default_factory=list)
    handlers: list[object] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def translate(values: Mapping[str, Any]) -> Translated:
    """Map bound CodeCarbon keywords to wattprint's.

    A keyword given as ``None`` counts as not given (CodeCarbon's own
    decorator passes its unset keywords on that way).
    """
    given = {k: v for k, v in values.items() if v is not None}
    out = Translated()
    settings = codecarbon_names()
    for key, value in given.items():
        if key in settings:
            out.tracker_args[settings[key]] = value
    if "co2_signal_api_token" in given:
        out.warnings.append(
            "co2_signal_api_token is deprecated (as in CodeCarbon): use electricitymaps_api_token"
        )
        if "electricitymaps_api_token" in given:
            out.tracker_args["electricitymaps_token"] = given["electricitymaps_api_token"]
    alpha2 = given.get("country_2letter_iso_code")
    if alpha2 is not None:
        if "country_iso_code" not in given:
            out.tracker_args["country"] = alpha2
        else:
            out.warnings.append(
                f"country_2letter_iso_code={alpha2!r} is not used: the grid is the one of "
                f"country_iso_code={given['country_iso_code']!r} (Electricity Maps' zone too)"
            )
    for key, (default, why) in _ONLY_DEFAULT.items():
        if key in given and given[key] != default:
            out.warnings.append(f"{key}={given[key]!r} is not honoured: {why}")
    _outputs(given, out)
    return out


def _methods(given: Mapping[str, Any]) -> set[str] | None:
    """Return the output methods chosen by ``output_methods``, or None (the flags decide)."""
    methods = given.get("output_methods")
    if methods is None:
        return None
    if isinstance(methods, str):
        methods = methods.split(",")
    return {str(getattr(m, "value", m)).strip().lower() for m in methods}


def _outputs(given: Mapping[str, Any], out: Translated) -> None:
    """Add the outputs CodeCarbon's ``output_methods`` or ``save_to_*`` flags ask for."""
    methods = _methods(given)
    if methods is None:
        wanted = {
            name
            for name, flag in (("api", "save_to_api"), ("logger", "save_to_logger"),
                               ("prometheus", "save_to_prometheus"))
            if given.get(flag)
        }  # fmt: skip
    else:
        wanted = methods
        out.tracker_args["save_to_file"] = "csv" in methods
        for unknown in sorted(methods - {"csv", "api", "logger", "prometheus"}):
            out.warnings.append(f"output method {unknown!r} is not honoured: wattprint has none")
    if "api" in wanted or any(k in given for k in _SERVER_KEYS if k != "save_to_api"):
        _server(given, "api" in wanted, out)
    if "logger" in wanted:
        out.sinks.append(_logger_sink(given.get("logging_logger"), out))
    if "prometheus" in wanted:
        sink = _pushgateway(str(given.get("prometheus_url") or "localhost:9091"), out)
        if sink is not None:
            out.sinks.append(sink)
    handlers = given.get("output_handlers") or ()
    out.handlers.extend(h for h in handlers if hasattr(h, "out"))


def _server(given: Mapping[str, Any], send: bool, out: Translated) -> None:
    """Map CodeCarbon's API keywords to the team server's settings, if this wattprint has them."""
    known = by_name()
    if send and "server_url" in known and "server_token" in known:
        if "api_endpoint" not in given:
            out.warnings.append(
                "save_to_api=True without api_endpoint: CodeCarbon's public API is not "
                "used; set api_endpoint to your wattprint server (wattprint serve) to send runs"
            )
            return
        out.tracker_args["server_url"] = given["api_endpoint"]
        if "api_key" in given:
            out.tracker_args["server_token"] = given["api_key"]
        return
    named = ", ".join(k for k in _SERVER_KEYS if k in given) or "save_to_api"
    out.warnings.append(f"CodeCarbon's API settings ({named}): the run {_NO_SERVER}")


def _logger_sink(logging_logger: object, out: Translated) -> object:
    """Return a logger sink writing to CodeCarbon's ``logging_logger`` (a LoggerOutput)."""
    from wattprint.sinks.logger import LoggerSink

    inner = getattr(logging_logger, "logger", logging_logger)
    level = getattr(logging_logger, "logging_level", logging.INFO)
    if isinstance(inner, logging.Logger):
        return LoggerSink(logger_name=inner.name, level=level if isinstance(level, int) else 20)
    if logging_logger is not None:
        out.warnings.append(
            f"logging_logger={logging_logger!r} is not a Python logger (a Google Cloud "
            "logger?): the runs are logged to the 'wattprint.results' logger instead"
        )
    return LoggerSink()


def _pushgateway(url: str, out: Translated) -> object | None:
    """Return a Prometheus sink pushing to CodeCarbon's ``prometheus_url``, if it can."""
    from wattprint.errors import MissingDependencyError
    from wattprint.sinks.prometheus import PrometheusSink

    full = url if "://" in url else f"http://{url}"
    try:
        return PrometheusSink(pushgateway_url=full, job="codecarbon")
    except MissingDependencyError as err:
        out.warnings.append(f"save_to_prometheus is not honoured: {err}")
        return None
